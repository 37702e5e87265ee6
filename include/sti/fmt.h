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

#endif /* STI_FMT_H */
