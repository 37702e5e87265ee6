/*
 * gen-verdict-mdoc.c - print the man page's lists of verdict outcomes,
 * causes and reasons, in mdoc, from the X-macro tables of
 * include/sti/verdict.h.
 *
 * The build runs this and puts its output into docs/starttls-inspect.1, so
 * the page lists exactly the codes and descriptions the program uses and
 * cannot drift from them. It is a build tool, never installed.
 */
#include <stdio.h>

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

int main(void)
{
	outcomes();
	causes();
	reasons();
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
