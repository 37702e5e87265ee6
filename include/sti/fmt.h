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

__attribute__((format(printf, 3, 0)))
int sti_vfmt(char *dst, size_t cap, const char *fmt, va_list ap);

__attribute__((format(printf, 3, 4)))
int sti_fmt(char *dst, size_t cap, const char *fmt, ...);

#endif /* STI_FMT_H */
