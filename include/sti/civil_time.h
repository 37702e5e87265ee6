/*
 * civil_time.h - UTC calendar time <-> epoch seconds in 64-bit arithmetic.
 *
 * timegm() and gmtime_r() go through time_t, which is 32 bits on some
 * targets (emscripten 3.1.6): a certificate valid until 2050 would wrap to
 * 1914 and be called expired. These never touch time_t, so the answer is the
 * same everywhere. Proleptic Gregorian calendar, no leap seconds.
 */
#ifndef STI_CIVIL_TIME_H
#define STI_CIVIL_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Seconds since 1970-01-01T00:00:00Z of a broken-down UTC time. Out-of-range
 * fields carry over as timegm() does (tm_mon 12 is January of the next year,
 * tm_sec 60 the next minute); tm_wday, tm_yday and tm_isdst are ignored. */
int64_t sti_epoch_from_tm(const struct tm *tm);

/* The broken-down UTC time of epoch seconds, every field set (tm_isdst 0).
 * False, with *tm untouched, when the year does not fit in an int. */
bool sti_tm_from_epoch(int64_t secs, struct tm *tm);

#endif
