/*
 * test_outbuf.c - the reporters' output writer: the one JSON escaper (every
 * byte class, UTF-8 valid and not), lines longer than the buffer and
 * escapes across its boundary, when the FILE is flushed, and RFC 3339 times
 * from the cached second.
 */
#define _XOPEN_SOURCE 700   /* posix_openpt */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sti/fmt.h"
#include "sti/outbuf.h"

/* A memory stream and the writer in front of it. */
struct sink {
	char *buf;
	size_t len;
	FILE *f;
	struct sti_out o;
};

static void sink_open(struct sink *k, bool line_flush)
{
	k->buf = NULL;
	k->len = 0;
	k->f = open_memstream(&k->buf, &k->len);
	assert_non_null(k->f);
	sti_out_init(&k->o, k->f, line_flush);
}

/* Everything written, NUL-terminated; the sink is closed. */
static char *sink_close(struct sink *k)
{
	sti_out_drain(&k->o);
	assert_int_equal(fclose(k->f), 0);
	return k->buf;
}

/* The escaper's output for n bytes. */
static char *escaped(const void *s, size_t n)
{
	struct sink k;
	sink_open(&k, false);
	sti_out_json_string(&k.o, s, n);
	return sink_close(&k);
}

#define assert_escapes(in, n, want)                        \
	do {                                               \
		char *got_ = escaped((in), (n));           \
		assert_string_equal(got_, (want));         \
		free(got_);                                \
	} while (0)

/* ---- the escaper ---- */

/* Every single byte on its own: the class it belongs to decides. */
static void test_every_byte_alone(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		char want[16];
		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\"\\%c\"", c);
		else if (c < 0x20 || c == 0x7f)
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		else if (c < 0x80)
			snprintf(want, sizeof(want), "\"%c\"", c);
		else   /* a lone byte above 0x7f is never valid UTF-8 */
			snprintf(want, sizeof(want), "\"\\ufffd\"");
		assert_escapes(&b, 1, want);
	}
}

/*
 * The escaper tests sixteen bytes at a time where it can: every byte
 * value at every place of a longer plain run, at its start, in its
 * middle, across the sixteen-byte steps and in the tail, escapes as it
 * does alone.
 */
static void test_every_byte_inside_runs(void **state)
{
	enum { LEN = 40 };
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		char *alone = escaped(&b, 1);
		size_t alen = strlen(alone) - 2;   /* without its quotes */
		for (size_t at = 0; at < LEN; at++) {
			char in[LEN], want[LEN + 16];
			memset(in, 'a', sizeof(in));
			in[at] = (char)b;
			want[0] = '"';
			memset(want + 1, 'a', at);
			memcpy(want + 1 + at, alone + 1, alen);
			memset(want + 1 + at + alen, 'a', LEN - at - 1);
			memcpy(want + LEN + alen, "\"", 2);
			assert_escapes(in, LEN, want);
		}
		free(alone);
	}
}

static void test_control_bytes_named(void **state)
{
	(void)state;
	assert_escapes("a\0b", 3, "\"a\\u0000b\"");
	assert_escapes("\t\r\n\x1b[31m", 8, "\"\\u0009\\u000d\\u000a\\u001b[31m\"");
	assert_escapes("\x7f", 1, "\"\\u007f\"");
	assert_escapes("say \"hi\" \\o/", 12, "\"say \\\"hi\\\" \\\\o/\"");
	assert_escapes("", 0, "\"\"");
}

static void test_valid_utf8_passes(void **state)
{
	(void)state;
	/* U+00E9, U+20AC, U+1F600, and the extremes of each length */
	assert_escapes("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	assert_escapes("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	assert_escapes("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
	assert_escapes("\xc2\x80\xdf\xbf", 4, "\"\xc2\x80\xdf\xbf\"");
	assert_escapes("\xe0\xa0\x80\xef\xbf\xbf", 6, "\"\xe0\xa0\x80\xef\xbf\xbf\"");
	assert_escapes("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8,
		       "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	/* UTF-8 next to escapes: "é\n\"" */
	assert_escapes("\xc3\xa9\n\"", 4, "\"\xc3\xa9\\u000a\\\"\"");
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	/* overlong forms of '/' and of U+0000 */
	assert_escapes("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	assert_escapes("\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	assert_escapes("\xf0\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* a surrogate (U+D800) and a value above U+10FFFF */
	assert_escapes("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	assert_escapes("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_escapes("\xf5\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* a sequence cut by the end of the string, or by an ASCII byte */
	assert_escapes("ok\xe2\x82", 4, "\"ok\\ufffd\\ufffd\"");
	assert_escapes("\xe2x\xac", 3, "\"\\ufffdx\\ufffd\"");
	/* Latin-1 as the inventory used to meet it: each byte on its own */
	assert_escapes("caf\xe9", 4, "\"caf\\ufffd\"");
}

/* The inventory's names go through the same escaper (stdio variant). */
static void test_string_to_file_is_the_same(void **state)
{
	static const char in[] = "mx.\xc3\xa9xample\x01\"\xff";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	fputs("{", f);
	sti_json_string_to(f, in, sizeof(in) - 1);
	fputs("}", f);
	assert_int_equal(fclose(f), 0);
	char *direct = escaped(in, sizeof(in) - 1);
	assert_int_equal(strlen(buf), strlen(direct) + 2);
	assert_memory_equal(buf + 1, direct, strlen(direct));
	assert_string_equal(buf, "{\"mx.\xc3\xa9xample\\u0001\\\"\\ufffd\"}");
	free(direct);
	free(buf);
}

/* ---- the fixed buffer ---- */

/* A line three times the buffer: every byte arrives, in order. */
static void test_line_longer_than_buffer(void **state)
{
	size_t n = 3 * STI_OUT_CAP + 17;
	char *in = malloc(n);
	struct sink k;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	sink_open(&k, false);
	sti_out_write(&k.o, in, 5);
	sti_out_write(&k.o, in + 5, n - 5);
	assert_true(k.o.len <= STI_OUT_CAP);
	char *out = sink_close(&k);
	assert_int_equal(k.len, n);
	assert_memory_equal(out, in, n);
	free(out);
	free(in);
}

/* Escapes and UTF-8 sequences that straddle the buffer's end, at every
 * offset around it: the output is the same as with room to spare. */
static void test_escapes_across_boundary(void **state)
{
	static const char tail[] = "\"\\\x01\xc3\xa9\xf0\x9f\x98\x80\xff";
	(void)state;
	char *whole = escaped(tail, sizeof(tail) - 1);
	size_t wlen = strlen(whole);
	for (size_t fill = STI_OUT_CAP - 24; fill <= STI_OUT_CAP; fill++) {
		struct sink k;
		sink_open(&k, false);
		for (size_t i = 0; i < fill; i++)
			sti_out_byte(&k.o, '.');
		sti_out_json_string(&k.o, tail, sizeof(tail) - 1);
		sti_out_u64(&k.o, UINT64_MAX);
		char *out = sink_close(&k);
		assert_int_equal(k.len, fill + wlen + 20);
		for (size_t i = 0; i < fill; i++)
			assert_int_equal(out[i], '.');
		assert_memory_equal(out + fill, whole, wlen);
		assert_memory_equal(out + fill + wlen, "18446744073709551615", 20);
		free(out);
	}
	free(whole);
}

static void test_numbers(void **state)
{
	struct sink k;

	(void)state;
	sink_open(&k, false);
	sti_out_u64(&k.o, 0);
	sti_out_byte(&k.o, ',');
	sti_out_u64(&k.o, 7);
	sti_out_byte(&k.o, ',');
	sti_out_u64(&k.o, 1000000);
	sti_out_lit(&k.o, ",x");
	sti_out_str(&k.o, "yz");
	char *out = sink_close(&k);
	assert_string_equal(out, "0,7,1000000,xyz");
	free(out);
}

/* Every number of digits, each side of every power of ten, and a spread
 * of values: what printf's "%" PRIu64 writes. */
static void test_u64_digits(void **state)
{
	char want[32], got[STI_U64_DIGITS];
	uint64_t p = 1, x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int k = 0; k < 20; k++, p *= 10) {
		uint64_t vs[] = { p - 1, p, p + 1, p * 5 + 3, p * 9 + (p - 1) };
		for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
			int n = snprintf(want, sizeof(want), "%" PRIu64, vs[i]);
			assert_int_equal(sti_fmt_u64(got, vs[i]), (size_t)n);
			assert_string_equal(got, want);
		}
	}
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x >> (i % 64);
		int n = snprintf(want, sizeof(want), "%" PRIu64, v);
		assert_int_equal(sti_fmt_u64(got, v), (size_t)n);
		assert_string_equal(got, want);
	}
}

/* Digits written backwards from an end, in place (a right-aligned
 * field): exactly the digits, ending at end, nothing before the first,
 * and where the first is. */
static void test_digits_before(void **state)
{
	static const uint64_t vs[] = { 0, 7, 10, 99, 100, 12345, 4294967296u, UINT64_MAX };
	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		char field[32], want[32];
		memset(field, '#', sizeof(field));
		int n = snprintf(want, sizeof(want), "%" PRIu64, vs[i]);
		char *first = sti_digits_before(field + 25, vs[i]);
		assert_ptr_equal(first, field + 25 - n);
		assert_memory_equal(first, want, (size_t)n);
		for (char *p = field; p < first; p++)
			assert_int_equal(*p, '#');
		for (char *p = field + 25; p < field + sizeof(field); p++)
			assert_int_equal(*p, '#');
	}
}

/* Bytes waiting in the pipe's read end fd (non-blocking), read away. */
static size_t pipe_drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

/* n bytes through stdout; what reached its pipe by then. */
static size_t through_stdout(int rd, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(fputc('x', stdout), EOF);
	return pipe_drain(rd);
}

/*
 * stdout widened to 64 KB: 10,000 bytes stay in its buffer until the
 * flush, where a 4 KB buffer (stdio's for a pipe) passes most of them on
 * at once; not with line_flush, nor for another FILE.
 */
static void test_widen_stdout(void **state)
{
	static char small[4096];   /* stdio's size for a pipe, whatever fd 1 was */
	int p[2], saved;

	(void)state;
	assert_int_equal(fflush(stdout), 0);
	assert_int_equal(setvbuf(stdout, small, _IOFBF, sizeof(small)), 0);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_true(dup2(p[1], STDOUT_FILENO) >= 0);
	FILE *other = fopen("/dev/null", "w");
	assert_non_null(other);
	sti_out_widen_stdout(other, false);
	sti_out_widen_stdout(stdout, true);
	size_t early = through_stdout(p[0], 10000);
	assert_int_equal(fflush(stdout), 0);
	size_t late = pipe_drain(p[0]);
	sti_out_widen_stdout(stdout, false);
	size_t held = through_stdout(p[0], 10000);
	assert_int_equal(fflush(stdout), 0);
	size_t flushed = pipe_drain(p[0]);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(p[0]);
	close(p[1]);
	fclose(other);
	assert_true(early >= 8192);
	assert_int_equal(early + late, 10000);
	assert_int_equal(held, 0);
	assert_int_equal(flushed, 10000);
}

/* Padding and right alignment as printf's "%*s" and "%-*s" do them, the
 * text report's ladder columns; more spaces than the blank run holds. */
static void test_columns(void **state)
{
	struct sink k;
	char want[128], digits[STI_U64_DIGITS];

	(void)state;
	assert_int_equal(sti_fmt_u64(digits, 0), 1);
	assert_string_equal(digits, "0");
	assert_int_equal(sti_fmt_u64(digits, UINT64_MAX), 20);
	assert_string_equal(digits, "18446744073709551615");
	sink_open(&k, false);
	sti_out_right(&k.o, "time", 4, 10);
	sti_out_right(&k.o, "frame", 5, 3);   /* wider than its field */
	sti_out_spaces(&k.o, 0);
	sti_out_byte(&k.o, '|');
	sti_out_spaces(&k.o, 70);
	sti_out_byte(&k.o, '|');
	char *out = sink_close(&k);
	snprintf(want, sizeof(want), "%*s%*s|%*s|", 10, "time", 3, "frame", 70, "");
	assert_string_equal(out, want);
	free(out);
}

/* ---- flushing ---- */

/* A memory stream's size moves only when the FILE is flushed. */
static void test_flush_per_line_when_asked(void **state)
{
	struct sink k;

	(void)state;
	sink_open(&k, true);
	sti_out_lit(&k.o, "{\"a\":1}");
	assert_int_equal(k.len, 0);
	sti_out_end_line(&k.o);
	assert_int_equal(k.len, 8);
	assert_memory_equal(k.buf, "{\"a\":1}\n", 8);
	sti_out_lit(&k.o, "{}");
	sti_out_end_line(&k.o);
	assert_int_equal(k.len, 11);
	free(sink_close(&k));
}

static void test_no_flush_per_line_otherwise(void **state)
{
	struct sink k;

	(void)state;
	sink_open(&k, false);
	for (int i = 0; i < 3; i++) {
		sti_out_lit(&k.o, "{\"a\":1}");
		sti_out_end_line(&k.o);
		/* handed to the FILE (nothing kept in the writer) ... */
		assert_int_equal(k.o.len, 0);
		/* ... but not flushed */
		assert_int_equal(k.len, 0);
	}
	sti_out_flush(&k.o);
	assert_int_equal(k.len, 24);
	free(sink_close(&k));
}

/* Lines are handed over whole, so another writer of the same FILE in
 * between keeps its place. */
static void test_order_with_other_writers(void **state)
{
	struct sink k;

	(void)state;
	sink_open(&k, false);
	sti_out_lit(&k.o, "one");
	sti_out_end_line(&k.o);
	fputs("other\n", k.f);
	sti_out_lit(&k.o, "two");
	sti_out_end_line(&k.o);
	char *out = sink_close(&k);
	assert_string_equal(out, "one\nother\ntwo\n");
	free(out);
}

/* Live input, or a terminal: lines flushed; a file or a pipe: not. */
static void test_when_lines_are_flushed(void **state)
{
	(void)state;
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	assert_false(sti_out_wants_line_flush(tmp, false));
	assert_true(sti_out_wants_line_flush(tmp, true));
	fclose(tmp);

	int p[2];
	assert_int_equal(pipe(p), 0);
	FILE *w = fdopen(p[1], "w");
	assert_non_null(w);
	assert_false(sti_out_wants_line_flush(w, false));
	fclose(w);
	close(p[0]);

	/* a pseudo-terminal, where the system has them */
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
		if (m >= 0)
			close(m);
		return;
	}
	const char *name = ptsname(m);
	assert_non_null(name);
	FILE *tty = fopen(name, "w");
	assert_non_null(tty);
	assert_true(sti_out_wants_line_flush(tty, false));
	fclose(tty);
	close(m);
}

/* ---- times ---- */

/* What the writer must produce, computed the slow way. */
static void reference_us(int64_t us, char *buf, size_t len)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* Times in and out of order, several within a second, seconds that share
 * a cache slot: each is the fresh conversion. */
static void test_times_from_cache(void **state)
{
	static const int64_t T0 = INT64_C(1795804579) * 1000000;   /* 2026-11-27 */
	static const int64_t at[] = {
		T0 + 123, T0 + 999999, T0 + 1000000, T0 + 4000000, T0 + 123,
		T0 + 8000001, T0 - 1, T0 - 1000000, T0 + 4000000 + 42,
		INT64_C(951782400) * 1000000,      /* 2000-02-29 */
		INT64_C(4102444799) * 1000000 + 999999,   /* 2099-12-31 23:59:59 */
		-1, 0, T0 + 86400 * INT64_C(1000000),
	};
	struct sti_time_cache c;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		char got[STI_RFC3339_MAX], want[64];
		reference_us(at[i], want, sizeof(want));
		size_t n = sti_rfc3339_us(&c, at[i], got);
		assert_int_equal(n, strlen(want));
		assert_string_equal(got, want);
	}
	char s[STI_RFC3339_MAX];
	assert_int_equal(sti_rfc3339_s(&c, 1795804579, s), 20);
	assert_string_equal(s, "2026-11-27T18:36:19Z");
	assert_int_equal(sti_rfc3339_us(&c, -1, s), 27);
	assert_string_equal(s, "1969-12-31T23:59:59.999999Z");
}

/* Days that share a cache slot, every hour boundary and odd seconds of
 * them, midnight and the last second, in an order that evicts and
 * returns: each is the fresh conversion. */
static void test_times_days_share_slots(void **state)
{
	struct sti_time_cache c;
	(void)state;
	memset(&c, 0, sizeof(c));
	for (int round = 0; round < 2; round++) {
		for (int64_t d = -3; d < 3 * STI_TIME_CACHE_SLOTS; d += 7) {
			int64_t day = INT64_C(20000) + d * (round ? 1 : STI_TIME_CACHE_SLOTS);
			for (int64_t sod = 0; sod < 86400; sod += 3599) {
				int64_t us = (day * 86400 + sod) * 1000000 + sod;
				char got[STI_RFC3339_MAX], want[64];
				reference_us(us, want, sizeof(want));
				assert_int_equal(sti_rfc3339_us(&c, us, got), strlen(want));
				assert_string_equal(got, want);
			}
			char got[STI_RFC3339_MAX];
			assert_int_equal(sti_rfc3339_s(&c, day * 86400 + 86399, got), 20);
			assert_int_equal(got[11] == '2' && got[12] == '3' && got[17] == '5' &&
					 got[18] == '9' && got[19] == 'Z', 1);
		}
	}
	/* So far from the epoch that the day's start would not fit: not written. */
	char s[STI_RFC3339_MAX];
	assert_int_equal(sti_rfc3339_s(&c, INT64_MIN, s), 0);
	assert_int_equal(sti_rfc3339_s(&c, INT64_MAX, s), 0);
	assert_int_equal(sti_rfc3339_us(&c, INT64_MIN, s), 0);
}

/* RFC 3339 has four-digit years only: year 10000 and year -1 are not
 * written, year 0 and 9999 are. */
static void test_times_out_of_range(void **state)
{
	struct sti_time_cache c;
	char s[STI_RFC3339_MAX];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sti_rfc3339_s(&c, INT64_C(253402300800), s), 0);   /* 10000-01-01 */
	assert_int_equal(sti_rfc3339_s(&c, INT64_C(253402300799), s), 20);
	assert_string_equal(s, "9999-12-31T23:59:59Z");
	assert_int_equal(sti_rfc3339_s(&c, INT64_C(-62167219200), s), 20);
	assert_string_equal(s, "0000-01-01T00:00:00Z");
	assert_int_equal(sti_rfc3339_s(&c, INT64_C(-62167219201), s), 0);
	/* the cache keeps the "not representable" answer too */
	assert_int_equal(sti_rfc3339_us(&c, INT64_C(253402300800) * 1000000, s), 0);
	assert_int_equal(sti_rfc3339_s(&c, INT64_C(253402300800), s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte_alone),
		cmocka_unit_test(test_every_byte_inside_runs),
		cmocka_unit_test(test_control_bytes_named),
		cmocka_unit_test(test_valid_utf8_passes),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_string_to_file_is_the_same),
		cmocka_unit_test(test_line_longer_than_buffer),
		cmocka_unit_test(test_escapes_across_boundary),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_u64_digits),
		cmocka_unit_test(test_digits_before),
		cmocka_unit_test(test_widen_stdout),
		cmocka_unit_test(test_flush_per_line_when_asked),
		cmocka_unit_test(test_no_flush_per_line_otherwise),
		cmocka_unit_test(test_order_with_other_writers),
		cmocka_unit_test(test_when_lines_are_flushed),
		cmocka_unit_test(test_times_from_cache),
		cmocka_unit_test(test_times_days_share_slots),
		cmocka_unit_test(test_times_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
