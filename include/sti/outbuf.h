/*
 * outbuf.h - the reporters' output writer: a fixed buffer in front of a
 * FILE, the program's one JSON string escaper, and RFC 3339 times formatted
 * from a cached second.
 *
 * A report line is assembled in the buffer and handed to the FILE in one
 * fwrite when it ends (or earlier, in pieces, when it does not fit: the
 * buffer never grows). So other writers of the same FILE (a second reporter
 * on standard output, messages before an error) keep their order line by
 * line, and nothing is ever held here between lines: an exit path only
 * has stdio's own buffer to flush. The FILE is flushed at each line's end
 * only when lines must be seen as they come (live input, a terminal, a
 * pipe being read as it is written); otherwise stdio writes in blocks and
 * the reporter flushes at the end of the run.
 */
#ifndef STI_OUTBUF_H
#define STI_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define STI_OUT_CAP 8192

struct sti_out {
	FILE *f;
	bool line_flush;     /* fflush f at the end of every line */
	size_t len;          /* bytes in buf not yet handed to f */
	uint64_t drains;     /* times buf was handed over: a writer that
				finds it unchanged knows its bytes are still
				in buf, in one piece */
	char buf[STI_OUT_CAP];
};

void sti_out_init(struct sti_out *o, FILE *f, bool line_flush);

/* Whether lines written to f must be flushed one by one: live input, or
 * f is a terminal. */
bool sti_out_wants_line_flush(FILE *f, bool live);

/* Give stdout a 64 KB stdio buffer, once, when f is stdout and its lines
 * are not flushed one by one (files and pipes, not live input or a
 * terminal). */
void sti_out_widen_stdout(FILE *f, bool line_flush);

/* Hand the buffered bytes to the FILE (no fflush). */
void sti_out_drain(struct sti_out *o);

/* The end of a line: '\n', drained, and flushed under line_flush. */
void sti_out_end_line(struct sti_out *o);

/* Drain and fflush: the end of a run. */
void sti_out_flush(struct sti_out *o);

/* n bytes that may not fit: the buffer is drained as often as needed. */
void sti_out_write_across(struct sti_out *o, const void *p, size_t n);

static inline void sti_out_write(struct sti_out *o, const void *p, size_t n)
{
	/* n first: with a constant n it folds away, and the compiler sees
	 * the copy within the buffer */
	if (n <= STI_OUT_CAP && n <= STI_OUT_CAP - o->len) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	} else {
		sti_out_write_across(o, p, n);
	}
}

static inline void sti_out_byte(struct sti_out *o, char c)
{
	if (o->len == STI_OUT_CAP)
		sti_out_drain(o);
	o->buf[o->len++] = c;
}

/* A string constant, its length known at compile time. */
#define sti_out_lit(o, s) sti_out_write((o), "" s, sizeof(s) - 1)

void sti_out_str(struct sti_out *o, const char *s);
void sti_out_u64(struct sti_out *o, uint64_t v);

/* n spaces. */
void sti_out_spaces(struct sti_out *o, size_t n);
/* The n bytes at s right-aligned in width columns (printf's "%*s"). */
void sti_out_right(struct sti_out *o, const char *s, size_t n, size_t width);

/* The decimal digits of v and a NUL into buf: their count. */
#define STI_U64_DIGITS 21
size_t sti_fmt_u64(char buf[STI_U64_DIGITS], uint64_t v);
/* (The digits ending before a place: sti_digits_before, sti/fmt.h.) */

/*
 * The JSON string of the n bytes at s, quotes included: '"' and '\\'
 * escaped with a backslash, control bytes and DEL as \u00XX, valid UTF-8
 * (RFC 3629: no overlong forms, surrogates or values above U+10FFFF)
 * passed through, and each byte that is not part of a valid sequence
 * written as \ufffd; so the output is valid UTF-8 JSON whatever the bytes.
 * The one JSON escaper of the program.
 */
void sti_out_json_string(struct sti_out *o, const void *s, size_t n);

/* The same, written to f (for writers that print with stdio). */
void sti_json_string_to(FILE *f, const void *s, size_t n);

/*
 * RFC 3339 UTC times. The dates of the last few distinct days are kept
 * (direct-mapped by day), so a time costs a copy and the time of day's
 * arithmetic, not a calendar conversion: a capture's sessions fall on a
 * few days and its certificates' validity dates on a few more. Years
 * outside 0000-9999 cannot be written: 0.
 */
#define STI_TIME_CACHE_SLOTS 32   /* the sessions' days and the chains' dates */
#define STI_RFC3339_MAX 28   /* "2026-11-27T18:36:19.123456Z" and NUL */

struct sti_time_cache {
	struct {
		int64_t day;     /* days since the epoch, rounded down */
		bool used, ok;
		char date[11];   /* "2026-11-27T", not terminated */
	} slot[STI_TIME_CACHE_SLOTS];
};

/* "2026-11-27T18:36:19.123456Z" from microseconds since the epoch: its
 * length, or 0. */
size_t sti_rfc3339_us(struct sti_time_cache *c, int64_t us, char out[STI_RFC3339_MAX]);
/* "2027-02-25T12:00:00Z" from seconds since the epoch: its length, or 0. */
size_t sti_rfc3339_s(struct sti_time_cache *c, int64_t secs, char out[STI_RFC3339_MAX]);

#endif /* STI_OUTBUF_H */
