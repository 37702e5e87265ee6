/* civil_time.c - calendar arithmetic on days since 1970-01-01, in int64_t.
 *
 * The day count works on eras of 400 years (146097 days), in which the
 * Gregorian leap-year pattern repeats, with years that start on 1 March so
 * that the leap day is the last day of a year. */
#include "sti/civil_time.h"

#include <limits.h>

#define DAYS_PER_ERA 146097
/* Days from 0000-03-01 to 1970-01-01. */
#define EPOCH_SHIFT 719468

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Day of the year counted from 1 March (0..365) for month 1..12, day d. */
static int64_t march_day_of_year(int64_t month, int64_t day)
{
	int64_t m = month > 2 ? month - 3 : month + 9;
	return (153 * m + 2) / 5 + day - 1;
}

static int64_t days_from_civil(int64_t year, int64_t month, int64_t day)
{
	if (month <= 2)
		year--;
	int64_t era = floor_div(year, 400);
	int64_t yoe = year - era * 400;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + march_day_of_year(month, 1);
	return era * DAYS_PER_ERA + doe + (day - 1) - EPOCH_SHIFT;
}

int64_t sti_epoch_from_tm(const struct tm *tm)
{
	int64_t mon = tm->tm_mon;
	int64_t year = (int64_t)tm->tm_year + 1900 + floor_div(mon, 12);
	mon -= floor_div(mon, 12) * 12;
	int64_t days = days_from_civil(year, mon + 1, 1) + (int64_t)tm->tm_mday - 1;
	return days * 86400 + (int64_t)tm->tm_hour * 3600 + (int64_t)tm->tm_min * 60 +
	       (int64_t)tm->tm_sec;
}

bool sti_tm_from_epoch(int64_t secs, struct tm *tm)
{
	int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;
	int64_t z = days + EPOCH_SHIFT;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t mday = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);

	if (year - 1900 > INT_MAX || year - 1900 < INT_MIN)
		return false;
	tm->tm_year = (int)(year - 1900);
	tm->tm_mon = (int)(month - 1);
	tm->tm_mday = (int)mday;
	tm->tm_hour = (int)(rem / 3600);
	tm->tm_min = (int)(rem / 60 % 60);
	tm->tm_sec = (int)(rem % 60);
	tm->tm_wday = (int)(days - floor_div(days + 4, 7) * 7 + 4);
	tm->tm_yday = (int)(days - days_from_civil(year, 1, 1));
	tm->tm_isdst = 0;
	return true;
}
