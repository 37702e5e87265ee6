/*
 * test_civil_time.c - epoch seconds <-> UTC calendar in 64-bit arithmetic,
 * at the dates a 32-bit time_t gets wrong and against the C library here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sti/civil_time.h"

static struct tm utc(int year, int mon, int mday, int hour, int min, int sec)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return tm;
}

static void assert_utc(int64_t secs, int year, int mon, int mday, int hour, int min,
		       int sec, int wday, int yday)
{
	struct tm tm;
	assert_true(sti_tm_from_epoch(secs, &tm));
	assert_int_equal(tm.tm_year, year - 1900);
	assert_int_equal(tm.tm_mon, mon - 1);
	assert_int_equal(tm.tm_mday, mday);
	assert_int_equal(tm.tm_hour, hour);
	assert_int_equal(tm.tm_min, min);
	assert_int_equal(tm.tm_sec, sec);
	assert_int_equal(tm.tm_wday, wday);
	assert_int_equal(tm.tm_yday, yday);
	assert_int_equal(tm.tm_isdst, 0);
}

/* Past 2038-01-19T03:14:07Z a 32-bit time_t wraps; these must not. */
static void test_after_2038(void **state)
{
	(void)state;
	struct tm tm = utc(2038, 1, 19, 3, 14, 8);
	assert_int_equal(sti_epoch_from_tm(&tm), 2147483648LL);
	tm = utc(2050, 1, 1, 0, 0, 0);
	assert_int_equal(sti_epoch_from_tm(&tm), 2524608000LL);
	tm = utc(2050, 12, 31, 23, 59, 59);
	assert_int_equal(sti_epoch_from_tm(&tm), 2556143999LL);
	tm = utc(2106, 2, 7, 6, 28, 16);   /* past a 32-bit unsigned one too */
	assert_int_equal(sti_epoch_from_tm(&tm), 4294967296LL);
	assert_utc(2147483648LL, 2038, 1, 19, 3, 14, 8, 2, 18);
	assert_utc(2556143999LL, 2050, 12, 31, 23, 59, 59, 6, 364);
	assert_utc(253402300799LL, 9999, 12, 31, 23, 59, 59, 5, 364);
}

static void test_epoch_and_before(void **state)
{
	(void)state;
	struct tm tm = utc(1970, 1, 1, 0, 0, 0);
	assert_int_equal(sti_epoch_from_tm(&tm), 0);
	tm = utc(1969, 12, 31, 23, 59, 59);
	assert_int_equal(sti_epoch_from_tm(&tm), -1);
	tm = utc(1950, 1, 1, 0, 0, 0);   /* X.509 UTCTime's first year */
	assert_int_equal(sti_epoch_from_tm(&tm), -631152000LL);
	assert_utc(0, 1970, 1, 1, 0, 0, 0, 4, 0);
	assert_utc(-1, 1969, 12, 31, 23, 59, 59, 3, 364);
	assert_utc(-631152000LL, 1950, 1, 1, 0, 0, 0, 0, 0);
}

/* 2000 is a leap year (divisible by 400), 2100 is not (by 100 only). */
static void test_leap_years(void **state)
{
	(void)state;
	struct tm tm = utc(2000, 2, 29, 12, 0, 0);
	assert_int_equal(sti_epoch_from_tm(&tm), 951825600LL);
	assert_utc(951825600LL, 2000, 2, 29, 12, 0, 0, 2, 59);
	tm = utc(2100, 3, 1, 0, 0, 0);
	assert_int_equal(sti_epoch_from_tm(&tm), 4107542400LL);
	assert_utc(4107542400LL - 1, 2100, 2, 28, 23, 59, 59, 0, 58);
	assert_utc(4107542400LL, 2100, 3, 1, 0, 0, 0, 1, 59);
}

/* Fields out of range carry over as timegm() does. */
static void test_carry(void **state)
{
	(void)state;
	struct tm tm = utc(2049, 13, 1, 0, 0, 0);   /* month 13: January 2050 */
	assert_int_equal(sti_epoch_from_tm(&tm), 2524608000LL);
	tm = utc(2050, 0, 1, 0, 0, 0);               /* month 0: December 2049 */
	assert_int_equal(sti_epoch_from_tm(&tm), 2524608000LL - 31 * 86400);
	tm = utc(2049, 12, 31, 23, 59, 60);          /* a leap second's label */
	assert_int_equal(sti_epoch_from_tm(&tm), 2524608000LL);
	tm = utc(2050, 1, 32, 0, 0, 0);              /* 32 January: 1 February */
	assert_int_equal(sti_epoch_from_tm(&tm), 2524608000LL + 31 * 86400);
}

/* Every day over 1901..2100 at a changing time of day, there and back,
 * and where the C library's time_t is 64-bit, equal to timegm/gmtime_r. */
static void test_round_trip_against_libc(void **state)
{
	(void)state;
	for (int64_t secs = -2177452800LL; secs < 4133980800LL; secs += 86400 + 3607) {
		struct tm ours, libc;
		assert_true(sti_tm_from_epoch(secs, &ours));
		assert_int_equal(sti_epoch_from_tm(&ours), secs);
		if (sizeof(time_t) < 8)
			continue;
		time_t t = (time_t)secs;
		assert_non_null(gmtime_r(&t, &libc));
		assert_int_equal(ours.tm_year, libc.tm_year);
		assert_int_equal(ours.tm_mon, libc.tm_mon);
		assert_int_equal(ours.tm_mday, libc.tm_mday);
		assert_int_equal(ours.tm_hour, libc.tm_hour);
		assert_int_equal(ours.tm_min, libc.tm_min);
		assert_int_equal(ours.tm_sec, libc.tm_sec);
		assert_int_equal(ours.tm_wday, libc.tm_wday);
		assert_int_equal(ours.tm_yday, libc.tm_yday);
		assert_int_equal((int64_t)timegm(&libc), secs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_after_2038),
		cmocka_unit_test(test_epoch_and_before),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_carry),
		cmocka_unit_test(test_round_trip_against_libc),
	};
	return cmocka_run_group_tests_name("civil_time", tests, NULL, NULL);
}
