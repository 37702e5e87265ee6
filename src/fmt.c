/*
 * fmt.c - snprintf for the hot text of every session (see sti/fmt.h).
 *
 * Literal runs are found with strchr and copied whole; each conversion is
 * parsed here. A conversion outside the supported set stops the fast path
 * and vsnprintf formats the whole call from a copy of the arguments taken
 * at the start, so the bytes written and the value returned are
 * vsnprintf's whatever the format.
 */
#include "sti/fmt.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Widths and precisions above this go to vsnprintf (none are used). */
#define FMT_FIELD_MAX 4096u

struct fmt_sink {
	char *dst;
	size_t cap;
	size_t n;     /* bytes the whole result takes, written or not */
};

/* Append len bytes, as many as fit before the terminator's place. */
static void put(struct fmt_sink *o, const char *s, size_t len)
{
	if (o->n + 1 < o->cap) {
		size_t room = o->cap - 1 - o->n;
		memcpy(o->dst + o->n, s, len < room ? len : room);
	}
	o->n += len;
}

static void put_fill(struct fmt_sink *o, char ch, size_t len)
{
	if (o->n + 1 < o->cap) {
		size_t room = o->cap - 1 - o->n;
		memset(o->dst + o->n, ch, len < room ? len : room);
	}
	o->n += len;
}

enum fmt_len { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE };

struct fmt_spec {
	bool zero;              /* the '0' flag */
	unsigned width;
	int prec;               /* -1: none */
	enum fmt_len len;
	char conv;
};

/* Digits of a decimal field or precision; false past FMT_FIELD_MAX. */
static bool field_digits(const char **pp, unsigned *out)
{
	const char *p = *pp;
	unsigned v = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v > FMT_FIELD_MAX)
			return false;
	}
	*out = v;
	*pp = p;
	return true;
}

/* The conversion after a '%' at *pp; false when it is not one of ours. */
static bool parse_spec(const char **pp, struct fmt_spec *sp, va_list *ap)
{
	const char *p = *pp;
	sp->zero = *p == '0';
	if (sp->zero)
		p++;
	if (!field_digits(&p, &sp->width))
		return false;
	sp->prec = -1;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			p++;
			int prec = va_arg(*ap, int);
			sp->prec = prec < 0 ? -1 : prec;
		} else {
			unsigned prec;
			if (!field_digits(&p, &prec))
				return false;
			sp->prec = (int)prec;
		}
	}
	sp->len = LEN_INT;
	if (*p == 'l') {
		p++;
		sp->len = LEN_LONG;
		if (*p == 'l') {
			p++;
			sp->len = LEN_LLONG;
		}
	} else if (*p == 'z') {
		p++;
		sp->len = LEN_SIZE;
	}
	sp->conv = *p;
	if (!*p)
		return false;
	*pp = p + 1;
	return true;
}

static bool put_string(struct fmt_sink *o, const struct fmt_spec *sp, va_list *ap)
{
	if (sp->zero || sp->width || sp->len != LEN_INT)
		return false;
	const char *s = va_arg(*ap, const char *);
	if (!s)
		return false;   /* "(null)" or not by precision: vsnprintf's rule */
	put(o, s, sp->prec < 0 ? strlen(s) : strnlen(s, (size_t)sp->prec));
	return true;
}

/* An integer argument's magnitude and sign, as the length says. */
static bool int_arg(const struct fmt_spec *sp, va_list *ap, uint64_t *mag, bool *neg)
{
	*neg = false;
	if (sp->conv == 'd' || sp->conv == 'i') {
		long long v;
		switch (sp->len) {
		case LEN_INT: v = va_arg(*ap, int); break;
		case LEN_LONG: v = va_arg(*ap, long); break;
		case LEN_LLONG: v = va_arg(*ap, long long); break;
		default: return false;   /* %zd: not used */
		}
		*neg = v < 0;
		*mag = *neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		return true;
	}
	switch (sp->len) {
	case LEN_INT: *mag = va_arg(*ap, unsigned); break;
	case LEN_LONG: *mag = va_arg(*ap, unsigned long); break;
	case LEN_LLONG: *mag = va_arg(*ap, unsigned long long); break;
	case LEN_SIZE: *mag = va_arg(*ap, size_t); break;
	}
	return true;
}

static bool put_integer(struct fmt_sink *o, const struct fmt_spec *sp, va_list *ap)
{
	static const char hex[] = "0123456789abcdef";
	char buf[24];
	size_t at = sizeof(buf);
	uint64_t mag;
	bool neg;
	if (sp->prec >= 0 || !int_arg(sp, ap, &mag, &neg))
		return false;
	unsigned base = sp->conv == 'x' ? 16 : 10;
	do {
		buf[--at] = hex[mag % base];
		mag /= base;
	} while (mag);
	size_t digits = sizeof(buf) - at, used = digits + neg;
	size_t pad = sp->width > used ? sp->width - used : 0;
	if (pad && !sp->zero)
		put_fill(o, ' ', pad);
	if (neg)
		put(o, "-", 1);
	if (pad && sp->zero)
		put_fill(o, '0', pad);
	put(o, buf + at, digits);
	return true;
}

/* Write one parsed conversion; false when it is not one of ours. */
static bool put_spec(struct fmt_sink *o, const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 's':
		return put_string(o, sp, ap);
	case 'c': {
		if (sp->zero || sp->width || sp->prec >= 0 || sp->len != LEN_INT)
			return false;
		char ch = (char)va_arg(*ap, int);
		put(o, &ch, 1);
		return true;
	}
	case '%':
		if (sp->zero || sp->width || sp->prec >= 0 || sp->len != LEN_INT)
			return false;
		put(o, "%", 1);
		return true;
	case 'd':
	case 'i':
	case 'u':
	case 'x':
		return put_integer(o, sp, ap);
	default:
		return false;
	}
}

/* The fast path; false when vsnprintf must do the call. */
static bool fast_format(struct fmt_sink *o, const char *fmt, va_list *ap)
{
	const char *p = fmt;
	for (;;) {
		const char *pct = strchr(p, '%');
		put(o, p, pct ? (size_t)(pct - p) : strlen(p));
		if (!pct)
			return o->n <= INT_MAX;
		p = pct + 1;
		struct fmt_spec sp;
		if (!parse_spec(&p, &sp, ap) || !put_spec(o, &sp, ap))
			return false;
	}
}

int sti_vfmt(char *dst, size_t cap, const char *fmt, va_list ap)
{
	struct fmt_sink o = { dst, cap, 0 };
	va_list args, whole;
	va_copy(args, ap);
	va_copy(whole, ap);
	bool fast = fast_format(&o, fmt, &args);
	va_end(args);
	int n;
	if (fast) {
		if (cap)
			dst[o.n < cap ? o.n : cap - 1] = '\0';
		n = (int)o.n;
	} else {
		n = vsnprintf(dst, cap, fmt, whole);
	}
	va_end(whole);
	return n;
}

int sti_fmt(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = sti_vfmt(dst, cap, fmt, ap);
	va_end(ap);
	return n;
}
