/*
 * report_text.c - the default text output, for a person at a terminal
 * (SPEC section 7).
 *
 * Per input file: the failed sessions in detail, then the deprecated ones,
 * then the no_tls ones (plaintext mail, fallbacks after a failed TLS
 * attempt), then one line counting the rest (ok, and incomplete with their
 * reasons). With an explicit selection (opts.full) every session given is
 * printed in detail, the others after no_tls and ok last. The run ends with
 * one summary line counting every outcome.
 *
 * A remediation is printed once per category and refers back after that
 * ("fix: the same as for #4 above"); its lines that start with two spaces
 * (paths, commands) are printed whole on lines of their own.
 *
 * Memory stays bounded whatever the size of the input: each detailed block
 * is written as soon as its session arrives into a temporary file of its
 * category (tmpfile(3)), and the files are copied to the output, in category
 * order, when the input file ends. Only counts stay in RAM.
 *
 * Every string that may come from the wire (ladder rows, explanations that
 * quote SMTP replies) is reduced to printable ASCII before it is written, so
 * a hostile banner cannot send escape sequences to the terminal. Colour is
 * used only when opts.color is set, and then only on the outcome words.
 */
#include "sti/report.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sti/decode.h"
#include "sti/fmt.h"
#include "sti/mtalog.h"
#include "sti/outbuf.h"
#include "sti/session.h"
#include "sti/tls_hello.h"

/* Prose (explanation, remediation) is wrapped at this column. */
#define WRAP_COLS 76
/* Ladder lines never exceed this, so they fit a 100-column terminal. */
#define LADDER_COLS 99
/* Between the client and server columns: " --> " or " <-- ". */
#define ARROW_COLS 5
/* Narrowest text column, and the narrowest time and frame fields. */
#define MIN_TEXT_COLS 16
#define MIN_TIME_COLS 10
#define MIN_FRAME_COLS 5

/* A category (an outcome) remembers this many distinct fixes. */
#define FIXES_REMEMBERED 64

struct fix_seen {
	uint64_t hash, id;    /* the remediation's hash, the first session */
};

struct text_reporter {
	struct sti_reporter base;          /* first: the ops get &base */
	FILE *park[STI_OUTCOME_COUNT];     /* tmpfile per outcome, or NULL */
	char *park_buf[STI_OUTCOME_COUNT]; /* its stdio buffer, or NULL */
	bool park_failed[STI_OUTCOME_COUNT]; /* a write to it failed */
	struct fix_seen fixes[STI_OUTCOME_COUNT][FIXES_REMEMBERED];
	unsigned nfixes[STI_OUTCOME_COUNT];
	bool header_done;                  /* this file's header is out */
	bool wrote;                        /* an earlier file wrote something */
	bool tmp_warned;
	char *file;                        /* the file being reported, or NULL */
	uint64_t count[STI_OUTCOME_COUNT]; /* this file */
	uint64_t incomplete[STI_REASON_COUNT];
	uint64_t not_smtp[STI_REASON_COUNT];  /* not_smtp sessions by reason */
	struct sti_tally run;              /* for finish() given no tally */
	struct sti_time_cache times;       /* the titles' dates */
};

static struct text_reporter *text_of(struct sti_reporter *r)
{
	/* base is the first member: the cast is the container-of. */
	return (struct text_reporter *)r;
}

/* ---- small writers ---- */

static const char *outcome_color(enum sti_outcome o)
{
	switch (o) {
	case STI_OUTCOME_FAILED: return "\033[31m";      /* red */
	case STI_OUTCOME_DEPRECATED: return "\033[33m";  /* yellow */
	case STI_OUTCOME_OK: return "\033[32m";          /* green */
	case STI_OUTCOME_NO_TLS: return "\033[35m";      /* magenta */
	case STI_OUTCOME_INCOMPLETE: return "\033[90m";  /* grey */
	case STI_OUTCOME_NOT_SMTP: return "\033[90m";    /* grey */
	case STI_OUTCOME_COUNT: break;
	}
	return "";
}

#define COLOR_RESET "\033[0m"

/* The outcome's name, in capitals for a verdict line, coloured if asked. */
static void put_outcome_to(struct sti_out *o, bool color, enum sti_outcome oc, bool upper)
{
	const char *name = sti_outcome_name(oc);
	if (color)
		sti_out_str(o, outcome_color(oc));
	for (const char *p = name; *p; p++)
		sti_out_byte(o, upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p);
	if (color)
		sti_out_lit(o, COLOR_RESET);
}

static void put_outcome(FILE *f, bool color, enum sti_outcome oc, bool upper)
{
	struct sti_out o;
	sti_out_init(&o, f, false);
	put_outcome_to(&o, color, oc, upper);
	sti_out_drain(&o);
}

static char clean_byte(unsigned char ch)
{
	if (ch == '\t' || ch == '\n' || ch == '\r')
		return ' ';
	return ch < 0x20 || ch > 0x7e ? '?' : (char)ch;
}

#ifdef __SSE2__
/* clean_byte on 16 bytes: from src to dst. */
static inline void clean16(char *dst, const char *src)
{
	/* Signed bytes: only 0x20..0x7e are above 0x1f and below 0x7f. */
	const __m128i low = _mm_set1_epi8(0x1f), high = _mm_set1_epi8(0x7f);
	const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r'), space = _mm_set1_epi8(' ');
	const __m128i what = _mm_set1_epi8('?');
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)src);
	__m128i keep = _mm_and_si128(_mm_cmpgt_epi8(v, low), _mm_cmplt_epi8(v, high));
	__m128i blank = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)),
				     _mm_cmpeq_epi8(v, cr));
	__m128i other = _mm_andnot_si128(_mm_or_si128(keep, blank), what);
	__m128i out = _mm_or_si128(_mm_or_si128(_mm_and_si128(keep, v), _mm_and_si128(blank, space)),
				   other);
	_mm_storeu_si128((__m128i *)(void *)dst, out);
}
#endif

/*
 * Copy src into dst (capacity cap > 0, always terminated), keeping
 * printable ASCII, turning tabs and line breaks into spaces and every other
 * byte into '?'. Reads at most srcmax bytes of src. Returns dst's length.
 * Every ladder row and explanation goes through here: 16 bytes at a time
 * where SSE2 is there.
 */
static size_t clean(char *dst, size_t cap, const char *src, size_t srcmax)
{
	size_t n = strnlen(src, srcmax), i = 0;
	if (n > cap - 1)
		n = cap - 1;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16)
		clean16(dst + i, src + i);
#endif
	for (; i < n; i++)
		dst[i] = clean_byte((unsigned char)src[i]);
	dst[n] = '\0';
	return n;
}

/*
 * clean() of a ladder row's first n bytes (n < STI_LADDER_TEXT, its
 * length) into dst, not terminated: dst has STI_LADDER_TEXT bytes of room.
 * In whole 16-byte steps where SSE2 is there: the row's array holds
 * STI_LADDER_TEXT bytes, a multiple of 16, so the last step reads within
 * it, and what it writes past n is never used.
 */
_Static_assert(STI_LADDER_TEXT % 16 == 0, "a row's text is whole 16-byte steps");
static void clean_row(char *dst, const char text[STI_LADDER_TEXT], size_t n)
{
#ifdef __SSE2__
	for (size_t i = 0; i < n; i += 16)
		clean16(dst + i, text + i);
#else
	for (size_t i = 0; i < n; i++)
		dst[i] = clean_byte((unsigned char)text[i]);
#endif
}

/*
 * Write text word by word, breaking lines before WRAP_COLS columns: the
 * first line starts with `first`, the others with `cont`. A word longer
 * than a line (a registry path) stays whole on a line of its own. Words
 * one space apart in the text, as most are, go out together: the run
 * from the text, in one copy.
 */
static void wrap(struct sti_out *f, const char *first, const char *cont, const char *text)
{
	size_t col = strlen(first), cont_len = strlen(cont);
	bool line_empty = true;
	sti_out_write(f, first, col);
	const char *p = text, *end = text + strlen(text);
	const char *run = p, *run_end = p;   /* words placed, not yet written */
	for (;;) {
		while (*p == ' ')
			p++;
		if (p == end)
			break;
		const char *space = memchr(p, ' ', (size_t)(end - p));
		size_t w = (size_t)((space ? space : end) - p);
		if (!line_empty && col + 1 + w > WRAP_COLS) {
			sti_out_write(f, run, (size_t)(run_end - run));
			sti_out_byte(f, '\n');
			sti_out_write(f, cont, cont_len);
			col = cont_len;
			line_empty = true;
		}
		if (line_empty) {
			run = p;
		} else if (p != run_end + 1) {   /* more than one space between */
			sti_out_write(f, run, (size_t)(run_end - run));
			sti_out_byte(f, ' ');
			run = p;
		}
		col += w + !line_empty;
		run_end = p + w;
		line_empty = false;
		p += w;
	}
	sti_out_write(f, run, (size_t)(run_end - run));
	sti_out_byte(f, '\n');
}

/* "192.0.2.10:40101" or "[2001:db8::10]:40101". */
static void endpoint_str(const struct sti_endpoint *e, char *buf, size_t len)
{
	char a[64], port[STI_U64_DIGITS];
	size_t n = 0;
	bool v6 = e->addr.family == 6;
	sti_addr_str(&e->addr, a, sizeof(a));
	sti_fmt_u64(port, e->port);
	buf[0] = '\0';
	sti_put_capped(buf, len, &n, v6 ? "[" : "");
	sti_put_capped(buf, len, &n, a);
	sti_put_capped(buf, len, &n, v6 ? "]:" : ":");
	sti_put_capped(buf, len, &n, port);
}

/* "smtp starttls", "smtp", "tls implicit", ... */
static void kind_str(const struct sti_record *rec, char *buf, size_t len)
{
	const char *proto;
	switch (rec->proto) {
	case STI_PROTO_SMTP: proto = "smtp"; break;
	case STI_PROTO_TLS: proto = "tls"; break;
	case STI_PROTO_NONE: proto = "no payload"; break;
	case STI_PROTO_OTHER: proto = "other"; break;
	default: proto = "unknown"; break;
	}
	size_t n = 0;
	buf[0] = '\0';
	sti_put_capped(buf, len, &n, proto);
	if (rec->mode != STI_MODE_UNKNOWN) {
		sti_put_capped(buf, len, &n, " ");
		sti_put_capped(buf, len, &n, sti_mode_name(rec->mode));
	}
}

/* The number of v's decimal digits: compared with powers of ten, not
 * divided. */
static size_t u64_digits(uint64_t v)
{
	size_t n = 1;
	for (uint64_t p = 10; n < 20 && v >= p; p *= 10)
		n++;
	return n;
}

/* The time since the session's first packet, unsigned, and whether it
 * is before it. (Unsigned arithmetic: no overflow on absurd timestamps.) */
static uint64_t time_since(int64_t ts_us, int64_t first_us, bool *neg)
{
	*neg = ts_us < first_us;
	return *neg ? (uint64_t)first_us - (uint64_t)ts_us : (uint64_t)ts_us - (uint64_t)first_us;
}

/* The length of reltime_at's text. */
static size_t reltime_len(int64_t ts_us, int64_t first_us)
{
	bool neg;
	uint64_t d = time_since(ts_us, first_us, &neg);
	return 1 + u64_digits(d / 1000000) + 5;   /* sign, seconds, ".mmms" */
}

/* "+0.004s": the time since the session's first packet, in milliseconds,
 * at p, tl bytes long (reltime_len), not terminated. */
static void reltime_at(char *p, size_t tl, int64_t ts_us, int64_t first_us)
{
	bool neg;
	uint64_t d = time_since(ts_us, first_us, &neg);
	unsigned ms = (unsigned)(d % 1000000 / 1000);
	p[0] = neg ? '-' : '+';
	sti_digits_before(p + tl - 5, d / 1000000);
	p[tl - 5] = '.';
	p[tl - 4] = (char)('0' + ms / 100);
	p[tl - 3] = (char)('0' + ms / 10 % 10);
	p[tl - 2] = (char)('0' + ms % 10);
	p[tl - 1] = 's';
}

/* ---- the ladder diagram ---- */

/* The widest time field ("-" or "+", 20 digits, ".mmms") and frame field. */
#define MAX_TIME_COLS 26
#define MAX_FRAME_COLS 20
/* Room for a ladder line as it is assembled: the text starts at most
 * LADDER_COLS columns in (or after the narrowest text columns), and is
 * cleaned there in whole 16-byte steps (clean_row). */
#define LINE_ROOM (MAX_TIME_COLS + 2 + MAX_FRAME_COLS + 2 + LADDER_COLS + 2 * MIN_TEXT_COLS + \
		   ARROW_COLS + STI_LADDER_TEXT + 2)

/* Print at most width columns of the n bytes at line + at, ending in
 * "..." when cut, padded with spaces to width if pad: the new end. */
static size_t cut_in_place(char *line, size_t at, size_t n, size_t width, bool pad)
{
	if (n > width) {
		size_t keep = width > 3 ? width - 3 : 0;
		memcpy(line + at + keep, "...", width - keep);
		return at + width;
	}
	if (pad && n < width) {
		memset(line + at + n, ' ', width - n);
		return at + width;
	}
	return at + n;
}

/* The time and frame fields of a row, right-aligned in tw and fw
 * columns (tl and fl long), and the two spaces after each: the end. */
static size_t row_prefix(char *line, const struct sti_ladder_row *row, int64_t first_ts,
			 size_t tw, size_t tl, size_t fw, size_t fl)
{
	memset(line, ' ', tw - tl);
	reltime_at(line + tw - tl, tl, row->ts_us, first_ts);
	line[tw] = line[tw + 1] = ' ';
	size_t k = tw + 2;
	memset(line + k, ' ', fw - fl);
	k += fw;
	sti_digits_before(line + k, row->frame);
	line[k] = line[k + 1] = ' ';
	return k + 2;
}

/*
 * Columns: time and frame right-aligned, then the client's messages and the
 * server's, with the arrows in a column of their own between them:
 *
 *       time  frame  client                  server
 *    +0.000s     40                      <-- 220 mx.example.test ESMTP
 *    +0.250s     41  EHLO client.example -->
 *
 * The widths are fixed per session: the time and frame fields fit the
 * session's largest values, and the room left under LADDER_COLS goes to the
 * two text columns, each getting what its longest row needs when both fit,
 * otherwise as even a share as possible. Longer texts are cut with "...".
 * Each row's line is assembled whole and written with one copy.
 */
static void write_ladder_to(struct sti_out *o, const struct sti_record *rec)
{
	unsigned n = rec->nladder < STI_LADDER_MAX ? rec->nladder : STI_LADDER_MAX;
	size_t tw = MIN_TIME_COLS, fw = MIN_FRAME_COLS, cmax = 0, smax = 0;
	uint8_t tls[STI_LADDER_MAX], fls[STI_LADDER_MAX], xls[STI_LADDER_MAX];
	char line[LINE_ROOM];

	if (n == 0 && rec->ladder_dropped == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct sti_ladder_row *row = &rec->ladder[i];
		size_t tl = reltime_len(row->ts_us, rec->first_ts);
		size_t fl = u64_digits(row->frame);
		size_t xl = strnlen(row->text, sizeof(row->text));
		tls[i] = (uint8_t)tl;
		fls[i] = (uint8_t)fl;
		xls[i] = (uint8_t)xl;
		if (tl > tw)
			tw = tl;
		if (fl > fw)
			fw = fl;
		if (row->dir == STI_C2S) {
			if (xl > cmax)
				cmax = xl;
		} else if (xl > smax) {
			smax = xl;
		}
	}
	size_t prefix = tw + 2 + fw + 2;
	size_t room = LADDER_COLS > prefix + ARROW_COLS + 2 * MIN_TEXT_COLS
		? LADDER_COLS - prefix - ARROW_COLS : 2 * MIN_TEXT_COLS;
	size_t cw, half = room / 2;
	if (cmax < strlen("client"))
		cmax = strlen("client");
	if (cmax + smax <= room)
		cw = cmax;                  /* both fit */
	else if (cmax <= half)
		cw = cmax;                  /* the server's rows get cut */
	else if (smax <= room - half)
		cw = room - smax;           /* the client's rows get cut */
	else
		cw = half;                  /* both get cut */
	size_t sw = room - cw;

	sti_out_right(o, "time", 4, tw);
	sti_out_lit(o, "  ");
	sti_out_right(o, "frame", 5, fw);
	sti_out_lit(o, "  client");
	sti_out_spaces(o, (cw > strlen("client") ? cw - strlen("client") : 0) + ARROW_COLS);
	sti_out_lit(o, "server\n");
	for (unsigned i = 0; i < n; i++) {
		const struct sti_ladder_row *row = &rec->ladder[i];
		/* a text of STI_LADDER_TEXT bytes without its NUL: cut as
		 * clean() cuts it */
		size_t xl = xls[i] < STI_LADDER_TEXT ? xls[i] : STI_LADDER_TEXT - 1;
		size_t k = row_prefix(line, row, rec->first_ts, tw, tls[i], fw, fls[i]);
		if (row->dir == STI_C2S) {
			clean_row(line + k, row->text, xl);
			k = cut_in_place(line, k, xl, cw, true);
			memcpy(line + k, " -->\n", 5);
			k += 5;
		} else {
			memset(line + k, ' ', cw);
			k += cw;
			memcpy(line + k, " <-- ", 5);
			k += 5;
			clean_row(line + k, row->text, xl);
			k = cut_in_place(line, k, xl, sw, false);
			line[k++] = '\n';
		}
		sti_out_write(o, line, k);
	}
	if (rec->ladder_dropped) {
		sti_out_lit(o, "  (");
		sti_out_u64(o, rec->ladder_dropped);
		if (rec->ladder_dropped == 1)
			sti_out_lit(o, " more row not shown)\n");
		else
			sti_out_lit(o, " more rows not shown)\n");
	}
}

/* The ladder assembled in the writer and handed to f whole: per row one
 * copy instead of several formatted stdio calls. */
void sti_report_ladder(FILE *f, const struct sti_record *rec)
{
	struct sti_out o;
	sti_out_init(&o, f, false);
	write_ladder_to(&o, rec);
	sti_out_drain(&o);
}

/* ---- the MTA's log (--mta-log) ---- */

/* "  mta log: Postfix server, exact" then "    FILE:LINE  text" per line. */
static void write_mta_lines(struct sti_out *f, const struct sti_mtalog_joined *mta)
{
	char how[160], line[STI_MTALOG_TEXT_MAX + 1];
	for (size_t i = 0; i < mta->n; i++) {
		const struct sti_mtalog_session *s = mta->s[i];
		sti_mtalog_match_str(s, how, sizeof(how));
		sti_out_lit(f, "  mta log: ");
		sti_out_str(f, sti_mta_name(s->mta));
		sti_out_byte(f, ' ');
		sti_out_str(f, sti_mta_role_name(s->role));
		sti_out_lit(f, ", ");
		sti_out_str(f, how);
		sti_out_byte(f, '\n');
		for (const struct sti_mtalog_line *l = s->first; l; l = l->next) {
			clean(line, sizeof(line), l->text, sizeof(l->text));
			sti_out_lit(f, "    ");
			sti_out_str(f, sti_mtalog_file_name(mta->log, l->file));
			sti_out_byte(f, ':');
			sti_out_u64(f, l->lineno);
			sti_out_lit(f, "  ");
			sti_out_str(f, line);
			sti_out_byte(f, '\n');
		}
	}
}

struct text_unmatched {
	FILE *f;
	const struct sti_mtalog *log;
	uint64_t n;
};

static bool text_unmatched_line(void *ctx, const struct sti_mtalog_session *s,
				const struct sti_mtalog_line *l)
{
	struct text_unmatched *u = ctx;
	char peer[64], when[40], line[STI_MTALOG_TEXT_MAX + 1];
	if (u->n++ >= STI_MTALOG_UNMATCHED_LISTED)
		return true;
	time_t secs = (time_t)(l->ts_us / 1000000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "?");
	sti_addr_str(&s->peer.addr, peer, sizeof(peer));
	clean(line, sizeof(line), l->text, sizeof(l->text));
	fprintf(u->f, "  %s  %s  %s:%" PRIu64 "  %s\n", when, peer,
		sti_mtalog_file_name(u->log, l->file), l->lineno, line);
	return true;
}

static void text_mta_done(struct sti_reporter *r, const struct sti_mtalog_report *m)
{
	FILE *f = r->out;
	fputs("\n== MTA logs ==\n", f);
	for (size_t i = 0; i < m->ncaptures; i++) {
		const struct sti_mtajoin_result *res = &m->results[i];
		fprintf(f, "%s: %" PRIu64 " exact, %" PRIu64 " by time and address, %" PRIu64
			" ambiguous; ", m->capture_names[i], res->matched[STI_MTA_EXACT],
			res->matched[STI_MTA_TIME_AND_ADDRESS], res->matched[STI_MTA_AMBIGUOUS]);
		if (res->skew_given)
			fprintf(f, "log clock skew %+.3f s (--log-skew)\n", (double)res->skew_us / 1e6);
		else if (res->skew_known)
			fprintf(f, "log clock skew %+.3f s (estimated from %" PRIu64 " matches)\n",
				(double)res->skew_us / 1e6, res->skew_samples);
		else
			fputs("log clock skew unknown (no unambiguous match), 0 assumed\n", f);
	}
	struct text_unmatched u = { f, m->log, 0 };
	fputs("failure lines with no captured session:\n", f);
	sti_mtalog_unmatched_failures(m->log, text_unmatched_line, &u);
	if (!u.n)
		fputs("  none\n", f);
	else {
		if (u.n > STI_MTALOG_UNMATCHED_LISTED)
			fprintf(f, "  ... and %" PRIu64 " more\n", u.n - STI_MTALOG_UNMATCHED_LISTED);
		fputs("  hint: the capture was taken elsewhere (another host or interface), a filter"
		      " left these connections out, or the clocks differ (--log-skew SECS)\n", f);
	}
	fflush(f);
}

/* ---- one session in detail ---- */

/* --keylog: how much of the session was read, and why not more. */
static void write_decryption(struct sti_out *f, const struct sti_record *rec)
{
	const struct sti_tls_facts *t = rec->tls;
	if (!t || t->decrypt == STI_TLS_DEC_NONE)
		return;
	sti_out_lit(f, "  decryption: ");
	sti_out_str(f, sti_tls_decrypt_state_name(t->decrypt));
	sti_out_lit(f, ", ");
	sti_out_u64(f, (unsigned)(t->decrypted_records[STI_C2S] + t->decrypted_records[STI_S2C]));
	sti_out_lit(f, " records");
	if (t->decrypt_note[0]) {
		sti_out_lit(f, " (");
		sti_out_str(f, t->decrypt_note);
		sti_out_byte(f, ')');
	}
	sti_out_byte(f, '\n');
}

/*
 * The remediation: prose lines wrapped under "fix: ", lines that start
 * with two spaces (a path, a command) whole and unwrapped, indented.
 */
static void write_fix(struct sti_out *f, const char *remediation, size_t max)
{
	char line[STI_REMEDIATION_MAX], buf[STI_REMEDIATION_MAX];
	const char *p = remediation, *end = remediation + strnlen(remediation, max);
	bool first = true;
	while (p < end) {
		size_t n = strcspn(p, "\n");
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		sti_fmt(line, sizeof(line), "%.*s", (int)n, p);
		clean(buf, sizeof(buf), line, sizeof(line));
		if (strncmp(buf, "  ", 2) == 0) {
			if (first)
				sti_out_lit(f, "  fix:\n       ");
			else
				sti_out_lit(f, "       ");
			sti_out_str(f, buf + 2);
			sti_out_byte(f, '\n');
		} else if (buf[0])
			wrap(f, first ? "  fix: " : "       ", "       ", buf);
		first = first && !buf[0];
		p += n + 1;
	}
}

/* A 64-bit hash of a remediation: equal texts print once per category.
 * FNV-1a's step over 8 bytes at a time (a Windows fix is 2 KB), with a
 * shift to fold the high bits back, then the tail byte by byte. */
static uint64_t text_hash(const char *s, size_t max)
{
	size_t n = strnlen(s, max), i = 0;
	uint64_t h = 1469598103934665603ull ^ n;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, sizeof(w));
		h = (h ^ w) * 1099511628211ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The session that printed this fix already in category o, or 0. */
static uint64_t fix_printed(struct text_reporter *t, enum sti_outcome o,
			    const struct sti_record *rec, const struct sti_verdict *v)
{
	uint64_t h = text_hash(v->remediation, sizeof(v->remediation));
	unsigned n = t->nfixes[o];
	for (unsigned i = 0; i < n; i++)
		if (t->fixes[o][i].hash == h)
			return t->fixes[o][i].id;
	if (n < FIXES_REMEMBERED)
		t->fixes[o][t->nfixes[o]++] = (struct fix_seen){ h, rec->id };
	return 0;
}

/* "  negotiated: TLS 1.3, TLS_AES_256_GCM_SHA384, group x25519" */
static void write_negotiated(struct sti_out *f, const struct sti_record *rec)
{
	char ver[24], cs[64];
	if (!rec->tls || !rec->tls->have_sh)
		return;
	const struct sti_server_hello *sh = &rec->tls->sh;
	const char *group = sti_tls_group_name(sh->selected_group);
	sti_out_lit(f, "  negotiated: ");
	sti_out_str(f, sti_tls_version_text(sh->version, ver, sizeof(ver)));
	sti_out_lit(f, ", ");
	sti_out_str(f, sti_tls_cipher_text(sh->cipher, cs, sizeof(cs)));
	if (group) {
		sti_out_lit(f, ", group ");
		sti_out_str(f, group);
	}
	sti_out_byte(f, '\n');
}

/* sti_report_time's text: in UTC, for a year of four digits, from the
 * cache's day ("2026-11-27T19:41:00Z" made "2026-11-27 19:41:00 UTC"),
 * without a calendar conversion. */
static void title_time(struct sti_time_cache *times, char when[64], int64_t ts_us,
		       bool localtime)
{
	char r[STI_RFC3339_MAX];
	if (!localtime && sti_rfc3339_s(times, ts_us / 1000000, r) == 20 && r[0] != '0') {
		memcpy(when, r, 19);
		when[10] = ' ';
		memcpy(when + 19, " UTC", 5);
		return;
	}
	sti_report_time(when, 64, ts_us, localtime);
}

/* "#12 2026-11-27 19:41:00 UTC 192.0.2.10:40101 -> ... (smtp starttls)" */
static void write_title(struct sti_out *f, const struct sti_report_opts *opts,
			struct sti_time_cache *times, const struct sti_record *rec)
{
	char cli[80], srv[80], kind[32], when[64];

	endpoint_str(&rec->cli, cli, sizeof(cli));
	endpoint_str(&rec->srv, srv, sizeof(srv));
	kind_str(rec, kind, sizeof(kind));
	title_time(times, when, rec->first_ts, opts->localtime);
	sti_out_lit(f, "\n#");
	sti_out_u64(f, rec->id);
	sti_out_byte(f, ' ');
	sti_out_str(f, when);
	sti_out_byte(f, ' ');
	sti_out_str(f, cli);
	sti_out_lit(f, " -> ");
	sti_out_str(f, srv);
	sti_out_lit(f, " (");
	sti_out_str(f, kind);
	sti_out_lit(f, ")\n");
}

static void write_evidence(struct sti_out *f, const struct sti_verdict *v)
{
	unsigned ne = v->nevidence < STI_VERDICT_MAX_EVIDENCE
		? v->nevidence : STI_VERDICT_MAX_EVIDENCE;
	if (!ne)
		return;
	if (ne == 1)
		sti_out_lit(f, "  evidence: frame ");
	else
		sti_out_lit(f, "  evidence: frames ");
	for (unsigned i = 0; i < ne; i++) {
		if (i)
			sti_out_lit(f, ", ");
		sti_out_u64(f, v->evidence[i]);
	}
	sti_out_byte(f, '\n');
}

static void write_block_to(struct sti_out *f, const struct sti_report_opts *opts,
			   struct sti_time_cache *times, const struct sti_record *rec,
			   const struct sti_verdict *v, uint64_t same_fix_as)
{
	char buf[STI_VERDICT_TEXT_MAX];

	write_title(f, opts, times, rec);
	put_outcome_to(f, opts->color, v->outcome, true);
	sti_out_lit(f, "  cause: ");
	sti_out_str(f, sti_cause_name(v->cause));
	sti_out_lit(f, "  reason: ");
	sti_out_str(f, sti_reason_name(v->reason));
	sti_out_lit(f, "  (");
	sti_out_str(f, sti_confidence_name(v->confidence));
	sti_out_lit(f, ")\n");

	clean(buf, sizeof(buf), v->explanation, sizeof(v->explanation));
	if (buf[0])
		wrap(f, "  ", "  ", buf);
	char cite[300];
	if (rec->mta && sti_mtalog_citation(rec->mta, cite, sizeof(cite))) {
		clean(buf, sizeof(buf), cite, sizeof(cite));
		wrap(f, "  ", "  ", buf);
	}
	if (same_fix_as) {
		sti_out_lit(f, "  fix: the same as for #");
		sti_out_u64(f, same_fix_as);
		sti_out_lit(f, " above\n");
	} else {
		write_fix(f, v->remediation, sizeof(v->remediation));
	}
	write_evidence(f, v);
	write_negotiated(f, rec);
	if (rec->fallback_after) {
		sti_out_lit(f, "  fallback: possibly a plaintext retry after the failed TLS "
			    "of session #");
		sti_out_u64(f, rec->fallback_after);
		sti_out_byte(f, '\n');
	}
	write_decryption(f, rec);
	if (rec->mta)
		write_mta_lines(f, rec->mta);
	write_ladder_to(f, rec);
}

/* A session's block assembled in the writer and handed to f whole. */
static void write_block(FILE *f, struct text_reporter *t, const struct sti_record *rec,
			const struct sti_verdict *v, uint64_t same_fix_as)
{
	struct sti_out o;
	sti_out_init(&o, f, false);
	write_block_to(&o, &t->base.opts, &t->times, rec, v, same_fix_as);
	sti_out_drain(&o);
}

/* ---- parking ---- */

static void file_header(struct text_reporter *t, const char *file)
{
	if (t->header_done)
		return;
	t->header_done = true;
	fprintf(t->base.out, "%s== %s ==\n", t->wrote ? "\n" : "",
		!file ? "(unnamed input)" : strcmp(file, "-") == 0 ? "standard input" : file);
}

/*
 * The temporary file for a category, created on first use. Without one
 * (no writable temporary directory) the block goes straight to the output:
 * the categories then come in arrival order, which is said once on stderr.
 */
/* A parked category is written and read back once, whole: a 64 KB
 * stdio buffer makes that 16 times fewer system calls than the 4 KB
 * stdio picks for a file. Without memory, stdio's own. */
#define PARK_BUF (1 << 16)

static void park_close(struct text_reporter *t, enum sti_outcome k)
{
	fclose(t->park[k]);
	t->park[k] = NULL;
	free(t->park_buf[k]);
	t->park_buf[k] = NULL;
}

static FILE *park_for(struct text_reporter *t, enum sti_outcome k, const char *file)
{
	if (!t->park[k]) {
		t->park[k] = tmpfile();
		if (t->park[k] && (t->park_buf[k] = malloc(PARK_BUF)) != NULL &&
		    setvbuf(t->park[k], t->park_buf[k], _IOFBF, PARK_BUF) != 0) {
			free(t->park_buf[k]);
			t->park_buf[k] = NULL;
		}
		if (!t->park[k]) {
			if (!t->tmp_warned) {
				t->tmp_warned = true;
				fprintf(stderr, "starttls-inspect: cannot create a "
					"temporary file; sessions are printed in "
					"arrival order\n");
			}
			file_header(t, file);
			return t->base.out;
		}
	}
	return t->park[k];
}

/* Copy a category's parked blocks to the output and drop the file. */
static void unpark(struct text_reporter *t, enum sti_outcome k)
{
	FILE *p = t->park[k];
	char buf[8192];
	size_t n;
	if (!p)
		return;
	if (fflush(p) != 0 || ferror(p))
		t->park_failed[k] = true;
	rewind(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, t->base.out);
	if (ferror(p))
		t->park_failed[k] = true;
	park_close(t, k);
	if (t->park_failed[k])
		fprintf(t->base.out, "\n(some %s sessions were lost: the temporary "
			"file could not be written or read)\n", sti_outcome_name(k));
	t->park_failed[k] = false;
}

/*
 * Live capture: each verdict as it comes, nothing parked. A session that
 * went well is one line; the others get the whole block.
 */
static void live_session(struct text_reporter *t, const char *file,
			 const struct sti_record *rec, const struct sti_verdict *v)
{
	FILE *out = t->base.out;
	file_header(t, file);
	if (v->outcome == STI_OUTCOME_OK) {
		char cli[80], srv[80], kind[32];
		endpoint_str(&rec->cli, cli, sizeof(cli));
		endpoint_str(&rec->srv, srv, sizeof(srv));
		kind_str(rec, kind, sizeof(kind));
		fprintf(out, "#%" PRIu64 " %s -> %s (%s): ", rec->id, cli, srv, kind);
		put_outcome(out, t->base.opts.color, v->outcome, true);
		fprintf(out, "  %s\n", sti_reason_name(v->reason));
	} else {
		write_block(out, t, rec, v, 0);
	}
	fflush(out);
}

/* ---- the reporter ops ---- */

/* The category a verdict is counted and parked in. */
static enum sti_outcome category(const struct sti_verdict *v)
{
	return (unsigned)v->outcome < STI_OUTCOME_COUNT ? v->outcome : STI_OUTCOME_INCOMPLETE;
}

/* Whether the session gets its whole block (with the ladder): live, all
 * but the ok ones; else, without a selection (or --find), ok, incomplete
 * and not_smtp (SPEC 9.1) are only counted. */
static bool prints_block(const struct sti_reporter *r, const struct sti_verdict *v)
{
	enum sti_outcome o = category(v);
	if (r->opts.live)
		return v->outcome != STI_OUTCOME_OK;
	return r->opts.full || r->opts.mta_find ||
	       !(o == STI_OUTCOME_OK || o == STI_OUTCOME_INCOMPLETE || o == STI_OUTCOME_NOT_SMTP);
}

static bool text_ladder_wanted(struct sti_reporter *r, const struct sti_record *rec,
			       const struct sti_verdict *v)
{
	(void)rec;
	return prints_block(r, v);
}

static void text_session(struct sti_reporter *r, const char *file,
			 const struct sti_record *rec, const struct sti_verdict *v)
{
	struct text_reporter *t = text_of(r);
	enum sti_outcome o = category(v);

	if (!t->file && file)
		t->file = strdup(file);
	sti_tally_add(&t->run, v);
	t->count[o]++;
	if (o == STI_OUTCOME_INCOMPLETE && (unsigned)v->reason < STI_REASON_COUNT)
		t->incomplete[v->reason]++;
	if (o == STI_OUTCOME_NOT_SMTP && (unsigned)v->reason < STI_REASON_COUNT)
		t->not_smtp[v->reason]++;
	if (r->opts.live) {
		live_session(t, file, rec, v);
		return;
	}
	if (!prints_block(r, v))
		return;
	FILE *f = park_for(t, o, file);
	write_block(f, t, rec, v, fix_printed(t, o, rec, v));
	if (f != r->out && ferror(f))
		t->park_failed[o] = true;
}

/* Failed, deprecated, no_tls, then the outcomes the table adds, ok last. */
static void print_order(enum sti_outcome order[STI_OUTCOME_COUNT])
{
	static const enum sti_outcome head[] = {
		STI_OUTCOME_FAILED, STI_OUTCOME_DEPRECATED, STI_OUTCOME_NO_TLS,
	};
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		order[n++] = head[i];
	for (int o = 0; o < STI_OUTCOME_COUNT; o++) {
		bool listed = o == STI_OUTCOME_OK;
		for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
			listed = listed || head[i] == (enum sti_outcome)o;
		if (!listed)
			order[n++] = (enum sti_outcome)o;
	}
	order[n] = STI_OUTCOME_OK;
}

/* ", not_smtp: 2 (tcp_refused 1, not_smtp 1)": connections that were no
 * SMTP conversation, only counted (SPEC 9.1). */
static void not_smtp_count(struct text_reporter *t)
{
	FILE *out = t->base.out;
	uint64_t n = t->count[STI_OUTCOME_NOT_SMTP];
	if (!n)
		return;
	fputs(", ", out);
	put_outcome(out, t->base.opts.color, STI_OUTCOME_NOT_SMTP, false);
	fprintf(out, ": %" PRIu64, n);
	const char *sep = " (";
	for (unsigned i = 0; i < STI_REASON_COUNT; i++) {
		if (!t->not_smtp[i])
			continue;
		fprintf(out, "%s%s %" PRIu64, sep, sti_reason_name((enum sti_reason)i),
			t->not_smtp[i]);
		sep = ", ";
	}
	fputs(")", out);
}

/* "ok: 12 sessions, incomplete: 3 (capture_gap 2, capture_ended_mid_handshake 1)" */
static void count_line(struct text_reporter *t)
{
	FILE *out = t->base.out;
	bool color = t->base.opts.color;
	uint64_t ok = t->count[STI_OUTCOME_OK], inc = t->count[STI_OUTCOME_INCOMPLETE];

	fputc('\n', out);
	put_outcome(out, color && ok, STI_OUTCOME_OK, false);
	fprintf(out, ": %" PRIu64 " session%s, ", ok, ok == 1 ? "" : "s");
	put_outcome(out, color && inc, STI_OUTCOME_INCOMPLETE, false);
	fprintf(out, ": %" PRIu64, inc);
	bool first = true;
	for (unsigned i = 0; i < STI_REASON_COUNT; i++) {
		if (!t->incomplete[i])
			continue;
		fprintf(out, "%s%s %" PRIu64, first ? " (" : ", ",
			sti_reason_name((enum sti_reason)i), t->incomplete[i]);
		first = false;
	}
	fputs(first ? "" : ")", out);
	not_smtp_count(t);
	fputc('\n', out);
}

/* Frames the decoder could not use, when there were any. */
static void ingest_note(FILE *out, const struct sti_ingest_stats *st)
{
	static const struct {
		enum sti_decode_status status;
		const char *what;
	} notes[] = {
		{ STI_DEC_FRAGMENT, "IP fragment(s) not reassembled" },
		{ STI_DEC_TRUNCATED, "frame(s) cut short by the snap length" },
		{ STI_DEC_MALFORMED, "malformed frame(s)" },
	};
	bool first = true;
	if (!st)
		return;
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		uint64_t n = st->by_status[notes[i].status];
		if (!n)
			continue;
		fprintf(out, "%s%" PRIu64 " %s", first ? "note: " : ", ", n, notes[i].what);
		first = false;
	}
	if (!first)
		fputs("; sessions in them may be missing or incomplete\n", out);
}

/* What a live capture saw and what the kernel lost. */
static void capture_note(FILE *out, const struct sti_ingest_stats *st)
{
	if (!st || !st->live)
		return;
	fprintf(out, "capture: %" PRIu64 " packets, %" PRIu64 " bytes",
		st->frames, st->bytes);
	if (st->kernel_valid)
		fprintf(out, "; kernel: %" PRIu64 " received, %" PRIu64 " dropped, %"
			PRIu64 " dropped by the interface", st->kernel_received,
			st->kernel_dropped, st->kernel_if_dropped);
	fprintf(out, "; sessions: %" PRIu64 " open at the stop, %" PRIu64
		" expired idle, %" PRIu64 " evicted\n", st->sessions_open,
		st->table.expired, st->table.evicted);
}

static void text_file_done(struct sti_reporter *r, const char *file,
			   const struct sti_ingest_stats *st,
			   const struct sti_tally *tally, const char *error)
{
	struct text_reporter *t = text_of(r);
	uint64_t seen = 0;
	(void)tally;   /* the counts come from the sessions this reporter saw */

	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		seen += t->count[i];
	if (!file)
		file = t->file;
	/* A file that could not be read at all gets its error line alone. */
	if (!error || seen) {
		enum sti_outcome order[STI_OUTCOME_COUNT];
		print_order(order);
		file_header(t, file);
		for (int k = 0; k < STI_OUTCOME_COUNT; k++)
			unpark(t, order[k]);
		count_line(t);
		ingest_note(r->out, st);
		capture_note(r->out, st);
	}
	/* An error goes to standard error only, once (the caller's line). */
	fflush(r->out);

	t->wrote = true;
	memset(t->count, 0, sizeof(t->count));
	memset(t->incomplete, 0, sizeof(t->incomplete));
	memset(t->nfixes, 0, sizeof(t->nfixes));
	memset(t->not_smtp, 0, sizeof(t->not_smtp));
	t->header_done = false;
	free(t->file);
	t->file = NULL;
}

static void text_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct text_reporter *t = text_of(r);
	static const enum sti_outcome order[] = {
		STI_OUTCOME_FAILED, STI_OUTCOME_DEPRECATED, STI_OUTCOME_NO_TLS,
		STI_OUTCOME_OK, STI_OUTCOME_INCOMPLETE, STI_OUTCOME_NOT_SMTP,
	};
	bool pending = t->header_done;

	/* Sessions reported without their file_done are not lost. */
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		pending = pending || t->count[i];
	if (pending)
		text_file_done(r, t->file, NULL, NULL, NULL);
	if (!tally)
		tally = &t->run;
	fprintf(r->out, "\nsessions: %" PRIu64, tally->sessions);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint64_t n = tally->by_outcome[order[i]];
		if (order[i] == STI_OUTCOME_NOT_SMTP && !n)
			continue;   /* only on captures that had some */
		fputs("  ", r->out);
		put_outcome(r->out, r->opts.color && n, order[i], false);
		fprintf(r->out, ": %" PRIu64, n);
	}
	fputc('\n', r->out);
	if (tally->keylog)
		fprintf(r->out, "key log: %" PRIu64 " sessions decrypted, %" PRIu64
			" lines unused, %" PRIu64 " malformed\n", tally->decrypted,
			tally->keylog_unused, tally->keylog_malformed);
	fflush(r->out);
}

static void text_destroy(struct sti_reporter *r)
{
	if (!r)
		return;
	struct text_reporter *t = text_of(r);
	for (int k = 0; k < STI_OUTCOME_COUNT; k++)
		if (t->park[k])
			park_close(t, (enum sti_outcome)k);
	free(t->file);
	free(t);
}

static const struct sti_reporter_ops text_ops = {
	.session = text_session,
	.file_done = text_file_done,
	.mta_done = text_mta_done,
	.finish = text_finish,
	.destroy = text_destroy,
	.ladder_wanted = text_ladder_wanted,
};

struct sti_reporter *sti_report_text_new(FILE *out, const struct sti_report_opts *o)
{
	struct text_reporter *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->base.ops = &text_ops;
	t->base.prints_ladder = true;
	t->base.out = out;
	if (o)
		t->base.opts = *o;
	sti_out_widen_stdout(out, sti_out_wants_line_flush(out, t->base.opts.flush_lines));
	return &t->base;
}
