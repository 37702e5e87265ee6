/*
 * outbuf.c - the reporters' output writer (see sti/outbuf.h).
 */
#include "sti/outbuf.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sti/civil_time.h"
#include "sti/fmt.h"

void sti_out_init(struct sti_out *o, FILE *f, bool line_flush)
{
	o->f = f;
	o->line_flush = line_flush;
	o->len = 0;
	o->drains = 0;
}

bool sti_out_wants_line_flush(FILE *f, bool live)
{
	if (live)
		return true;
	int fd = fileno(f);
	return fd >= 0 && isatty(fd);
}

/*
 * A JSON line is 3-4 KB, and stdio's buffer for a file or a pipe is
 * 4 KB: nearly every line was a write(2) of its own (16,000 on the 100 MB
 * corpus, 5% of the run in system calls). Standard output gets a 64 KB
 * buffer instead, static as the stream outlives every reporter. The same
 * bytes reach it in the same order: only how many at a time changes.
 */
static char stdout_buffer[1 << 16];

void sti_out_widen_stdout(FILE *f, bool line_flush)
{
	static bool widened;

	if (f != stdout || line_flush || widened)
		return;
	widened = true;
	/* glibc hands over what the old buffer holds before switching. */
	(void)setvbuf(f, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
}

void sti_out_drain(struct sti_out *o)
{
	/* A short write leaves ferror(f) set for whoever checks the FILE;
	 * the buffer is reused either way, so it never grows. */
	if (o->len)
		(void)fwrite(o->buf, 1, o->len, o->f);
	o->len = 0;
	o->drains++;
}

void sti_out_end_line(struct sti_out *o)
{
	sti_out_byte(o, '\n');
	sti_out_drain(o);
	if (o->line_flush)
		fflush(o->f);
}

void sti_out_flush(struct sti_out *o)
{
	sti_out_drain(o);
	fflush(o->f);
}

void sti_out_write_across(struct sti_out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n > STI_OUT_CAP - o->len) {
		size_t room = STI_OUT_CAP - o->len;
		memcpy(o->buf + o->len, s, room);
		o->len = STI_OUT_CAP;
		sti_out_drain(o);
		s += room;
		n -= room;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void sti_out_str(struct sti_out *o, const char *s)
{
	sti_out_write(o, s, strlen(s));
}

size_t sti_fmt_u64(char buf[STI_U64_DIGITS], uint64_t v)
{
	char digits[20];
	const char *first = sti_digits_before(digits + sizeof(digits), v);
	size_t n = (size_t)(digits + sizeof(digits) - first);
	memcpy(buf, first, n);
	buf[n] = '\0';
	return n;
}

/* (Written from where the digits are, not through sti_fmt_u64: no copy,
 * no NUL, no call.) */
void sti_out_u64(struct sti_out *o, uint64_t v)
{
	char digits[20];
	const char *first = sti_digits_before(digits + sizeof(digits), v);

	sti_out_write(o, first, (size_t)(digits + sizeof(digits) - first));
}

void sti_out_spaces(struct sti_out *o, size_t n)
{
	static const char blank[] = "                                ";
	const size_t most = sizeof(blank) - 1;

	while (n > most) {
		sti_out_write(o, blank, most);
		n -= most;
	}
	sti_out_write(o, blank, n);
}

void sti_out_right(struct sti_out *o, const char *s, size_t n, size_t width)
{
	if (n < width)
		sti_out_spaces(o, width - n);
	sti_out_write(o, s, n);
}

/* ---- the JSON escaper ---- */

/*
 * The length of the valid UTF-8 sequence at p (at most n bytes), or 0 when
 * p does not start one (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF). p[0] is >= 0x80.
 */
static size_t utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;   /* range of the second byte */

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* 1: the byte goes out as it is (printable ASCII but '"' and '\\'). */
#define PLAIN16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const uint8_t json_plain[256] = {
	[0x20] = 1, 1, 0 /* '"' */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = PLAIN16,
	[0x40] = PLAIN16,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* '\\' */, 1, 1, 1,
	[0x60] = PLAIN16,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* DEL */,
};

/* One byte that is not plain ASCII, or the sequence it starts: how many
 * input bytes were used. */
static size_t json_special(struct sti_out *o, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t c = p[0];

	if (c == '"' || c == '\\') {
		char esc[2] = { '\\', (char)c };
		sti_out_write(o, esc, 2);
		return 1;
	}
	if (c < 0x80) {   /* a control byte or DEL */
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		sti_out_write(o, esc, 6);
		return 1;
	}
	size_t len = utf8_seq_len(p, n);
	if (len == 0) {
		sti_out_lit(o, "\\ufffd");
		return 1;
	}
	sti_out_write(o, p, len);
	return len;
}

#ifdef __SSE2__
/* Bit i set when byte i of v is not plain: a signed compare below ' '
 * also catches the bytes from 0x80 up, which the caller handles one
 * sequence at a time. */
static unsigned odd_bytes(__m128i v)
{
	const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);
	__m128i odd = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, quote)),
				   _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(v, del)));
	return (unsigned)_mm_movemask_epi8(odd);
}
#endif

/*
 * Copy the plain bytes at the start of p[0..m) to d: how many. Most of a
 * report's text is plain, so with SSE2 (every x86-64) sixteen bytes are
 * tested at once, then eight of a shorter tail; the last few one by one.
 */
static size_t plain_run(const uint8_t *p, size_t m, char *d)
{
	size_t k = 0;
#ifdef __SSE2__
	for (;;) {
		bool wide = m - k >= 16;
		if (!wide && m - k < 8)
			break;
		__m128i v = wide ? _mm_loadu_si128((const __m128i *)(const void *)(p + k))
				 : _mm_loadl_epi64((const __m128i *)(const void *)(p + k));
		unsigned mask = odd_bytes(v) & (wide ? 0xffffu : 0xffu);
		if (mask) {
			size_t run = (size_t)__builtin_ctz(mask);
			memcpy(d + k, p + k, run);
			return k + run;
		}
		if (wide)
			_mm_storeu_si128((__m128i *)(void *)(d + k), v);
		else
			_mm_storel_epi64((__m128i *)(void *)(d + k), v);
		k += wide ? 16 : 8;
	}
#endif
	while (k < m && json_plain[p[k]]) {
		d[k] = (char)p[k];
		k++;
	}
	return k;
}

void sti_out_json_string(struct sti_out *o, const void *s, size_t n)
{
	const uint8_t *p = s, *end = p + n;

	sti_out_byte(o, '"');
	while (p < end) {
		if (!json_plain[*p]) {
			p += json_special(o, p, (size_t)(end - p));
			continue;
		}
		/* a run of plain bytes, copied straight into the buffer */
		if (o->len == STI_OUT_CAP)
			sti_out_drain(o);
		size_t room = STI_OUT_CAP - o->len, left = (size_t)(end - p);
		size_t m = left < room ? left : room;
		size_t k = plain_run(p, m, o->buf + o->len);
		o->len += k;
		p += k;
	}
	sti_out_byte(o, '"');
}

void sti_json_string_to(FILE *f, const void *s, size_t n)
{
	struct sti_out o;

	sti_out_init(&o, f, false);
	sti_out_json_string(&o, s, n);
	sti_out_drain(&o);
}

/* ---- RFC 3339 times ---- */

static void two_digits(char *d, int v)
{
	d[0] = (char)('0' + v / 10 % 10);
	d[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SS" of secs into text, false when the year has not
 * four digits (RFC 3339) or the time is not representable. */
static bool format_second(int64_t secs, char text[20])
{
	struct tm tm;

	if (!sti_tm_from_epoch(secs, &tm) || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return false;
	int year = tm.tm_year + 1900;
	two_digits(text, year / 100);
	two_digits(text + 2, year % 100);
	text[4] = '-';
	two_digits(text + 5, tm.tm_mon + 1);
	text[7] = '-';
	two_digits(text + 8, tm.tm_mday);
	text[10] = 'T';
	two_digits(text + 11, tm.tm_hour);
	text[13] = ':';
	two_digits(text + 14, tm.tm_min);
	text[16] = ':';
	two_digits(text + 17, tm.tm_sec);
	text[19] = '\0';
	return true;
}

/* Days this far from the epoch or nearer: day * 86400 cannot overflow. */
#define DAY_LIMIT (INT64_MAX / 86400 - 1)

/* "YYYY-MM-DDTHH:MM:SS" of secs into text, the date from the cache (the
 * calendar conversion only for a day it does not keep); false as
 * format_second (which must not see such far days: its conversion would
 * overflow). */
static bool second_text(struct sti_time_cache *c, int64_t secs, char text[20])
{
	int64_t day = secs / 86400, sod = secs % 86400;

	if (sod < 0) {
		sod += 86400;
		day--;
	}
	if (day > DAY_LIMIT || day < -DAY_LIMIT)
		return false;   /* billions of years away: no four-digit year */
	unsigned i = (unsigned)((uint64_t)day % STI_TIME_CACHE_SLOTS);
	if (!c->slot[i].used || c->slot[i].day != day) {
		char midnight[20];
		c->slot[i].used = true;
		c->slot[i].day = day;
		c->slot[i].ok = format_second(day * 86400, midnight);
		memcpy(c->slot[i].date, midnight, sizeof(c->slot[i].date));
	}
	if (!c->slot[i].ok)
		return false;
	memcpy(text, c->slot[i].date, sizeof(c->slot[i].date));
	int s = (int)sod;
	two_digits(text + 11, s / 3600);
	text[13] = ':';
	two_digits(text + 14, s / 60 % 60);
	text[16] = ':';
	two_digits(text + 17, s % 60);
	text[19] = '\0';
	return true;
}

size_t sti_rfc3339_us(struct sti_time_cache *c, int64_t us, char out[STI_RFC3339_MAX])
{
	int64_t secs = us / 1000000, frac = us % 1000000;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (!second_text(c, secs, out))
		return 0;
	out[19] = '.';
	for (int i = 25; i > 19; i--) {
		out[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	out[26] = 'Z';
	out[27] = '\0';
	return 27;
}

size_t sti_rfc3339_s(struct sti_time_cache *c, int64_t secs, char out[STI_RFC3339_MAX])
{
	if (!second_text(c, secs, out))
		return 0;
	out[19] = 'Z';
	out[20] = '\0';
	return 20;
}
