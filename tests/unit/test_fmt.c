/*
 * test_fmt.c - sti_fmt writes what snprintf writes and returns what it
 * returns: every conversion it handles, the ones it hands to vsnprintf,
 * and every buffer size from 0 to past the whole result (truncation, the
 * terminator's place, nothing written past the capacity).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sti/fmt.h"

#define BUF 600

/* sti_vfmt against vsnprintf for fmt and its arguments, at every
 * capacity up to the whole length plus 2; bytes past the capacity must
 * stay untouched. Returns snprintf's value. */
__attribute__((format(printf, 1, 2)))
static int same(const char *fmt, ...)
{
	char want[BUF], got[BUF];
	va_list ap;
	va_start(ap, fmt);
	va_list a;
	va_copy(a, ap);
	int whole = vsnprintf(NULL, 0, fmt, a);
	va_end(a);
	assert_true(whole >= 0 && whole + 3 < BUF);
	for (size_t cap = 0; cap <= (size_t)whole + 2; cap++) {
		memset(want, 'X', sizeof(want));
		memset(got, 'X', sizeof(got));
		va_list w, g;
		va_copy(w, ap);
		va_copy(g, ap);
		int nw = vsnprintf(cap ? want : NULL, cap, fmt, w);
		int ng = sti_vfmt(cap ? got : NULL, cap, fmt, g);
		va_end(w);
		va_end(g);
		if (nw != ng || memcmp(want, got, sizeof(want)) != 0)
			fail_msg("\"%s\" at capacity %zu: \"%.*s\" (%d) != \"%.*s\" (%d)", fmt,
				 cap, (int)cap, got, ng, (int)cap, want, nw);
	}
	va_end(ap);
	return whole;
}

static void test_literals_and_strings(void **state)
{
	(void)state;
	assert_int_equal(same("FIN"), 3);
	assert_int_equal(same("100%% sure"), 9);
	assert_int_equal(same("%s", ""), 0);
	assert_int_equal(same("%s%s", "ab", "cd"), 4);
	assert_int_equal(same("ServerHello %s", "TLS 1.3"), 19);
	assert_int_equal(same("CN=%.5s!", "mail.example.test"), 9);
	assert_int_equal(same("CN=%.64s", "short"), 8);
	assert_int_equal(same("%.0s|", "gone"), 1);
	assert_int_equal(same("[%.*s]", 3, "abcdef"), 5);
	assert_int_equal(same("[%.*s]", -1, "abcdef"), 8);   /* negative: no precision */
	assert_int_equal(same("[%.*s]", 0, "abcdef"), 2);
	assert_int_equal(same("%c%c%c", 'a', '\n', 'z'), 3);
	/* A NUL written by %c counts and is copied like snprintf does. */
	assert_int_equal(same("a%cb", 0), 3);
	/* Long literal runs around the conversions (a remediation's). */
	same("\nWindows/Exchange: enable TLS %s in SChannel and .NET "
	     "(as administrator), then restart and install the latest "
	     "Windows and Exchange updates:\n  reg add \"HKLM\\%s\\%s\" /v "
	     "Enabled /t REG_DWORD /d 1 /f", "1.2", "TLS 1.2", "Client");
}

static void test_integers(void **state)
{
	(void)state;
	same("%u %d %i", 0u, 0, 0);
	same("%u %s", 250u, "2.0.0 Ready to start TLS");
	same("%u|%d|%d", UINT_MAX, INT_MAX, INT_MIN);
	same("%d|%d", -1, -1234567);
	same("%ld|%lu|%lld|%llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	same("frame %" PRIu64 ", %" PRId64 " days", UINT64_MAX, INT64_MIN);
	same("%zu bytes", (size_t)123456789);
	same("group 0x%04x", 0x1du);
	same("group 0x%04x", 0x11ecu);
	same("group 0x%04x", 0x123456u);   /* wider than the width */
	same("%x|%lx|%llx", 0xdeadbeefu, 0xfeedfaceUL, 0x0123456789abcdefULL);
	same("[%5u][%05u][%5d][%05d][%05d]", 42u, 42u, -42, -42, 0);
	same("[%1u][%01d][%3d]", 12345u, -7, -123);
	same("%c_%c", 'v', 'x');
}

static void test_unsupported_goes_to_vsnprintf(void **state)
{
	(void)state;
	same("%.1f%%", 99.5);
	same("[%-6s]", "ab");
	same("[%6s]", "ab");
	same("[%+d][% d]", 5, 5);
	same("[%#x]", 255u);
	same("[%.3d]", 7);
	same("[%hu][%hhu]", (unsigned short)65535, (unsigned char)255);
	same("[%zd]", (ptrdiff_t)-5);
	same("[%X]", 0xabcu);
	/* Read through a volatile: the compiler would reject a NULL it sees. */
	const char *volatile none = NULL;
	same("[%s]", none);
	same("[%.3s]", none);
	same("[%.8s]", none);
	same("[%e]", 1.5);
	/* The fast path had already written when it met these. */
	same("a long start before %s and then %5.2f", "this", 2.25);
}

static void test_sti_fmt_matches_snprintf(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(sti_fmt(buf, sizeof(buf), "%u %s", 220u, "mx.example.test ESMTP"), 25);
	assert_string_equal(buf, "220 mx.");
	assert_int_equal(sti_fmt(NULL, 0, "%s", "nothing written"), 15);
}

/* Pieces appended one by one are cut where one snprintf of the whole
 * text would cut it. */
static void test_put_capped_cuts_as_snprintf(void **state)
{
	(void)state;
	const char *parts[] = { "Certificate CN=", "mx.example.org", " issuer CN=", "R3" };
	for (size_t cap = 1; cap <= 48; cap++) {
		char got[48], want[48];
		size_t used = 0;
		got[0] = '\0';
		for (size_t i = 0; i < 4; i++)
			sti_put_capped(got, cap, &used, parts[i]);
		snprintf(want, cap, "%s%s%s%s", parts[0], parts[1], parts[2], parts[3]);
		assert_string_equal(got, want);
		assert_int_equal(used, strlen(want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_and_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_unsupported_goes_to_vsnprintf),
		cmocka_unit_test(test_sti_fmt_matches_snprintf),
		cmocka_unit_test(test_put_capped_cuts_as_snprintf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
