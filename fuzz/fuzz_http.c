/*
 * fuzz_http.c - the --metrics-listen request parser (sti_http_parse) on
 * hostile bytes: never reads past what it is given or past the cap, and
 * the server's way of reading (re-parse after every read, stop at the
 * first verdict) gives the verdict of the whole request for the split the
 * first input byte picks.
 */
#include <stddef.h>
#include <stdint.h>

#include "sti/service_metrics_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t step = (size_t)data[0] % 17 + 1;   /* bytes per simulated read */
	data++;
	size--;
	struct sti_http_request whole, part = { .verdict = STI_HTTP_INCOMPLETE };
	sti_http_parse(data, size, &whole);
	size_t got = 0;
	while (part.verdict == STI_HTTP_INCOMPLETE && got < size) {
		got = got + step < size ? got + step : size;
		sti_http_parse(data, got, &part);
	}
	if (part.verdict != STI_HTTP_INCOMPLETE &&
	    (part.verdict != whole.verdict || part.head != whole.head ||
	     part.openmetrics != whole.openmetrics))
		__builtin_trap();   /* the verdict depended on the split */
	if (whole.verdict == STI_HTTP_INCOMPLETE && size >= STI_HTTP_REQUEST_MAX)
		__builtin_trap();   /* the cap was not applied */
	return 0;
}
