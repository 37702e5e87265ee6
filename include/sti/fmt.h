/*
 * fmt.h - snprintf for the hot text of every session (verdict prose,
 * ladder rows).
 *
 * glibc's vsnprintf sets up a string FILE for each call and walks the
 * format through its general machinery: ~800 instructions for a short row,
 * ~13,000 for a long remediation, for every session. sti_vfmt writes the
 * same bytes and returns the same value for the conversions this program
 * uses (%s, %.Ns, %.*s, %c, %%, and d/i/u/x with l, ll or z, a '0' flag
 * and a width); any other conversion, or a NULL string, hands the whole
 * call to vsnprintf, so the result is vsnprintf's in every case.
 */
#ifndef STI_FMT_H
#define STI_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

__attribute__((format(printf, 3, 0)))
int sti_vfmt(char *dst, size_t cap, const char *fmt, va_list ap);

__attribute__((format(printf, 3, 4)))
int sti_fmt(char *dst, size_t cap, const char *fmt, ...);

/*
 * Append s to buf (capacity cap > 0, holding a string of *used bytes) and
 * keep it terminated, cut where snprintf would cut the whole text: at
 * cap - 1 bytes. Rows built piece by piece this way equal one sti_fmt.
 */
static inline void sti_put_capped(char *buf, size_t cap, size_t *used, const char *s)
{
	size_t k = strnlen(s, cap - 1 - *used);
	memcpy(buf + *used, s, k);
	*used += k;
	buf[*used] = '\0';
}

/*
 * The decimal digits of v, ending just before end, not terminated
 * (right-aligned output writes them in place): where the first digit is.
 * Two digits a division, from a table of "00" to "99": a report has
 * dozens of numbers a line, frames and ports of four to seven digits.
 * Here, not in the writer, so that the record layer's rows use it too.
 */
static inline char *sti_digits_before(char *end, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		end -= 2;
		memcpy(end, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, pairs + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

#endif /* STI_FMT_H */
