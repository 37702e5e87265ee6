/*
 * data.h - captured bytes the unit tests read from tests/data/.
 *
 * Handshake messages and stream transcripts cut out of real captures are
 * data, not code: they live as files beside the tests (binary .bin files,
 * or .segs transcripts of hex lines) and each test file names the capture
 * and frame they came from next to the blob's declaration. make check
 * exports STI_SRCDIR, so the files are found from any build directory.
 */
#ifndef STI_TEST_DATA_H
#define STI_TEST_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Test data files are small; anything larger is the wrong file. */
#define TEST_DATA_MAX (1u << 20)

/* A file's bytes. `want` is the size the test was written against: a
 * file of another size fails the load rather than the assertions. */
struct test_blob {
	const char *name;       /* below tests/data/ */
	size_t want;
	uint8_t *p;
	size_t n;
};

/* Reads tests/data/NAME into a fresh buffer (NUL-terminated, so text
 * files can be parsed as strings). NULL, with a message, on failure. */
static inline uint8_t *test_data_read(const char *name, size_t *len)
{
	const char *top = getenv("STI_SRCDIR");
	char path[4096];
	uint8_t *p = NULL;
	FILE *f;
	size_t n;

	if (!top) {
		fprintf(stderr, "test data %s: STI_SRCDIR is not set (run through make check)\n", name);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/tests/data/%s", top, name);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return NULL;
	}
	/* The buffer is the file's size (one more byte tells a file that grew
	 * since from one that did not). */
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (uintmax_t)st.st_size > TEST_DATA_MAX) {
		fprintf(stderr, "%s: not a regular file of at most %u bytes\n", path, TEST_DATA_MAX);
		fclose(f);
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	p = malloc(size + 1);
	n = p ? fread(p, 1, size + 1, f) : 0;
	fclose(f);
	if (!p || n != size) {
		fprintf(stderr, "%s: missing memory or not %zu bytes as it said\n", path, size);
		free(p);
		return NULL;
	}
	p[n] = 0;
	*len = n;
	return p;
}

/* Loads every blob of a test file; 0, or -1 when one is missing or has
 * the wrong size (a cmocka group setup returns this). */
static inline int test_blobs_load(struct test_blob *const *b, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		b[i]->p = test_data_read(b[i]->name, &b[i]->n);
		if (!b[i]->p)
			return -1;
		if (b[i]->n != b[i]->want) {
			fprintf(stderr, "test data %s: %zu bytes, the test expects %zu\n",
				b[i]->name, b[i]->n, b[i]->want);
			return -1;
		}
	}
	return 0;
}

static inline void test_blobs_free(struct test_blob *const *b, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(b[i]->p);
		b[i]->p = NULL;
	}
}

/*
 * Transcripts: one segment per line, NFIELDS decimal numbers (direction,
 * frame, ...) then the payload in lower-case hex. test_line_fields cuts a
 * line (NUL-terminated, newline removed) into v[] and *hex; false when the
 * line is not of that form.
 */
static inline bool test_line_fields(char *line, long long *v, int nfields, char **hex)
{
	char *at = line, *end;
	for (int i = 0; i < nfields; i++) {
		v[i] = strtoll(at, &end, 10);
		if (end == at || *end != ' ')
			return false;
		at = end + 1;
	}
	*hex = at;
	return true;
}

static inline int test_hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Decodes hex text in place (the bytes overwrite the text's start); the
 * number of bytes, or -1 when the text is not hex. */
static inline long test_hex_decode(char *hex)
{
	size_t len = strlen(hex);
	if (len % 2)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = test_hex_digit(hex[2 * i]), lo = test_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		hex[i] = (char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

/* Calls each(line, i, ctx) for every line of a loaded transcript `text`
 * (newlines replaced by NULs); the number of lines, or -1 as soon as
 * `each` refuses one. */
static inline long test_for_each_line(char *text, bool (*each)(char *, size_t, void *),
				      void *ctx)
{
	size_t k = 0;
	char *next;
	for (char *line = text; *line; line = next) {
		char *end = strchr(line, '\n');
		next = end ? end + 1 : line + strlen(line);
		if (end)
			*end = 0;
		if (!each(line, k, ctx))
			return -1;
		k++;
	}
	return (long)k;
}

/* Reads transcript NAME into *text and hands each of its lines to `each`;
 * 0, or -1 (with a message) when a line is refused or the file does not
 * have the `want` lines the test was written against. */
static inline int test_transcript_load(const char *name, size_t want, char **text,
				       bool (*each)(char *, size_t, void *), void *ctx)
{
	size_t len;
	long n;

	*text = (char *)test_data_read(name, &len);
	if (!*text)
		return -1;
	n = test_for_each_line(*text, each, ctx);
	if (n >= 0 && (size_t)n != want)
		fprintf(stderr, "test data %s: %ld lines, the test expects %zu\n", name, n, want);
	return n >= 0 && (size_t)n == want ? 0 : -1;
}

/* The cmocka group setup and teardown of a test file, data_setup and
 * data_teardown: LOAD and UNLOAD over every element of ARRAY. */
#define TEST_DATA_GROUP(ARRAY, LOAD, UNLOAD)                                    \
	static int data_setup(void **state)                                     \
	{                                                                       \
		(void)state;                                                    \
		return LOAD(ARRAY, sizeof(ARRAY) / sizeof((ARRAY)[0]));         \
	}                                                                       \
	static int data_teardown(void **state)                                  \
	{                                                                       \
		(void)state;                                                    \
		UNLOAD(ARRAY, sizeof(ARRAY) / sizeof((ARRAY)[0]));              \
		return 0;                                                       \
	}

/*
 * TEST_SEG_LIST(SEG) defines, for a test's own segment type SEG:
 *   struct seg_list { name, n, s, text }: a transcript file and its n
 *     segments (n is what the test was written against);
 *   seg_lists_load / seg_lists_free over an array of them, for a cmocka
 *     group setup and teardown.
 * The test defines `static bool seg_from_line(char *line, size_t k, void
 * *ctx)` (ctx is the struct seg_list) to fill segment k from its line.
 */
#define TEST_SEG_LIST(SEG)                                                      \
	struct seg_list {                                                       \
		const char *name;                                               \
		size_t n;                                                       \
		SEG *s;                                                         \
		char *text;                                                     \
	};                                                                      \
	static bool seg_from_line(char *line, size_t k, void *ctx);             \
	static inline int seg_lists_load(struct seg_list *const *l, size_t count) \
	{                                                                       \
		for (size_t i = 0; i < count; i++) {                            \
			l[i]->s = calloc(l[i]->n, sizeof(*l[i]->s));            \
			if (!l[i]->s || test_transcript_load(l[i]->name, l[i]->n, \
					&l[i]->text, seg_from_line, l[i]) != 0) \
				return -1;                                      \
		}                                                               \
		return 0;                                                       \
	}                                                                       \
	static inline void seg_lists_free(struct seg_list *const *l, size_t count) \
	{                                                                       \
		for (size_t i = 0; i < count; i++) {                            \
			free(l[i]->s);                                          \
			free(l[i]->text);                                       \
		}                                                               \
	}

#endif
