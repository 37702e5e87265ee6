/*
 * gen-verdict-mdoc.c - print the man page's lists of verdict outcomes,
 * causes and reasons, in mdoc, from the X-macro tables of
 * include/sti/verdict.h; with --json, the same lists as one JSON object.
 *
 * The build runs this and puts its output into docs/starttls-inspect.1, so
 * the page lists exactly the codes and descriptions the program uses and
 * cannot drift from them. docs/sync-verdict-lists.py reads the JSON form
 * to write the README's table and the JSON Schema's enums, and the docs
 * test fails when they differ from it. It is a build tool, never installed.
 */
#include <stdio.h>
#include <string.h>

#include "sti/verdict.h"

/* One line of running text, then END. A line that starts with a dot or an
 * apostrophe would be a roff request, and a backslash an escape: neither may
 * come through from a description. */
static void text_line(const char *s, const char *end)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	/* The descriptions are clauses; here each starts a sentence. */
	if (*s >= 'a' && *s <= 'z')
		putchar(*s++ - 'a' + 'A');
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
	puts(end);
}

/* The codes are identifiers ([a-z0-9_]); the macro line takes them as is. */
static void outcome(const char *code, const char *desc)
{
	printf(".It Li %s\n", code);
	text_line(desc, ".");
}

static void outcomes(void)
{
	puts(".Ss Outcomes");
	puts(".Bl -tag -width Ds");
#define STI_X(name, str, desc) outcome(str, desc);
	STI_OUTCOMES(STI_X)
#undef STI_X
	puts(".El");
}

static void causes(void)
{
	static const char *const names[] = {
#define STI_X(name, str) str,
		STI_CAUSES(STI_X)
#undef STI_X
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	puts(".Ss Causes");
	puts("The cause is one of");
	for (size_t i = 0; i < n; i++)
		printf(".Li %s%s\n", names[i],
		       i + 2 < n ? " ," : i + 1 < n ? "\nor" : " .");
}

static void reason(const char *code, const char *tlsrpt, const char *desc)
{
	printf(".It Li %s\n", code);
	if (tlsrpt) {
		text_line(desc, ";");
		printf("TLS-RPT (RFC 8460) result type\n.Li %s .\n", tlsrpt);
	} else {
		text_line(desc, ".");
	}
}

static void reasons(void)
{
	puts(".Ss Reasons");
	puts(".Bl -tag -width Ds");
#define STI_X(name, str, rpt, desc) reason(str, rpt, desc);
	STI_REASONS(STI_X)
#undef STI_X
	puts(".El");
}

/* A JSON string; the descriptions are ASCII text written by us. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void json_entry(const char *code, const char *tlsrpt, const char *desc,
		       const char *sep)
{
	fputs("    {\"code\": ", stdout);
	json_string(code);
	if (tlsrpt) {
		fputs(", \"tlsrpt\": ", stdout);
		json_string(tlsrpt);
	}
	if (desc) {
		fputs(", \"description\": ", stdout);
		json_string(desc);
	}
	printf("}%s\n", sep);
}

static void json_lists(void)
{
	puts("{\n  \"outcomes\": [");
#define STI_X(name, str, desc) json_entry(str, NULL, desc, STI_OUTCOME_##name + 1 == STI_OUTCOME_COUNT ? "" : ",");
	STI_OUTCOMES(STI_X)
#undef STI_X
	puts("  ],\n  \"causes\": [");
#define STI_X(name, str) json_entry(str, NULL, NULL, STI_CAUSE_##name + 1 == STI_CAUSE_COUNT ? "" : ",");
	STI_CAUSES(STI_X)
#undef STI_X
	puts("  ],\n  \"reasons\": [");
#define STI_X(name, str, rpt, desc) json_entry(str, rpt, desc, STI_REASON_##name + 1 == STI_REASON_COUNT ? "" : ",");
	STI_REASONS(STI_X)
#undef STI_X
	puts("  ]\n}");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		json_lists();
	} else if (argc == 1) {
		outcomes();
		causes();
		reasons();
	} else {
		fputs("usage: gen-verdict-mdoc [--json]\n", stderr);
		return 2;
	}
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
