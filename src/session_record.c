/*
 * session_record.c - the record stage: from stream events to a session record.
 *
 * Routing per direction: bytes go to the SMTP layer until it reports the
 * STARTTLS switch (the rest of that chunk, and everything after, goes to
 * TLS), or straight to TLS on an implicit-TLS port or after a sniffed
 * ClientHello. Sessions that are neither SMTP nor TLS have their payload
 * stopped at once and are not reported.
 */
#include "sti/fmt.h"
#include "sti/grow.h"
#include "sti/session_record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/tls_hello.h"

/*
 * How a row's text is kept. Only the text of what the wire said (SMTP
 * lines, a reason) is copied into the flow's pool; a text made of fixed
 * words, or of facts the session keeps anyway (the first ClientHello, the
 * ServerHello, a side's certificate), is written only when the record is
 * built, from the same pieces and with the same cut, and the EHLO reply's
 * row is written there in any case (complete_ehlo_row).
 */
enum row_text {
	ROW_POOLED,        /* the string at text_at in the pool */
	ROW_FIXED,         /* fixed_row_text[text_at] */
	ROW_HANDSHAKE,     /* ["decrypted "] handshake type text_at's name */
	ROW_ANOMALY,       /* "! " and anomaly text_at's description */
	ROW_CLIENT_HELLO,  /* the facts' first ClientHello */
	ROW_SERVER_HELLO,  /* the facts' ServerHello */
	ROW_CERTIFICATE,   /* ["decrypted "] the row's side's certificate */
	ROW_EHLO,          /* written by complete_ehlo_row */
};

/* A ladder row as a flow keeps it (when a reporter prints ladders), in 16
 * bytes (up to 48 rows a session): the frame's low 32 bits (the high ones,
 * in any capture of fewer than 2^32 frames zero, are in the flow's rare
 * part from the first row that needs them: frame_hi). */
struct flow_row {
	int64_t ts_us;
	uint32_t frame_lo;
	uint16_t text_at;
	uint8_t kind;             /* enum row_text */
	unsigned s2c : 1;         /* its side: STI_S2C, else STI_C2S */
	unsigned decrypted : 1;   /* read with --keylog (ROW_HANDSHAKE, ROW_CERTIFICATE) */
};
_Static_assert(sizeof(struct flow_row) == 16, "a ladder row is 16 bytes");

/* Room a session's rows start with: 16 rows (a session has 12 to 14 on
 * the benchmark corpora) and 384 bytes of their texts (~14 rows of ~25
 * bytes). Past that, rows double up to STI_LADDER_MAX and the text grows
 * in steps of 128 bytes: little slack. */
#define ROWS_FIRST 16u
#define TEXT_POOL_FIRST 384u
#define TEXT_POOL_STEP 128u

/*
 * Where a flow's rows and their texts are (enum rows_in). Every session
 * with ladder text makes rows while its handshake runs and keeps only
 * the ones it has once TLS is settled: a heap array for the rows and one
 * for the text, grown and then copied to size, cost four or five
 * allocator calls a session. A session in its handshake borrows a block
 * from its recorder instead (blocks come back warm, from a short list);
 * at the settle its rows, with room for the close's FIN and RST rows,
 * and their text move into one allocation of their exact size, and the
 * block goes back.
 */
enum rows_in {
	ROWS_HEAP,     /* arrays of their own, grown by realloc (or none yet) */
	ROWS_BLOCK,    /* a block of the recorder's (struct rows_block) */
	ROWS_FITTED,   /* one allocation: rows_cap rows, then text_cap bytes */
};

/* The room a session in its handshake borrows. */
struct rows_block {
	union {
		struct flow_row rows[ROWS_FIRST];
		struct rows_block *next;   /* while on the recorder's list */
	};
	char text[TEXT_POOL_FIRST];
};

/* Blocks a recorder keeps for later sessions (160 KiB at most); the rest
 * go back to malloc. Sessions in their handshake at one time are far
 * fewer on the corpora; a burst past this costs only the allocations. */
#define SPARE_BLOCKS_MAX 256u

/* The rows of a settled session get room for this many more: the FIN and
 * RST rows of its close, without growing them. */
#define CLOSE_ROWS 2u

/* ROW_FIXED texts. */
enum fixed_row {
	FIXED_ENCRYPTED, FIXED_ESTABLISHED, FIXED_FIN, FIXED_RST,
	FIXED_CH_UNPARSED, FIXED_SH_UNPARSED, FIXED_SSLV2_CH, FIXED_SSLV2_SH,
};
static const char *const fixed_row_text[] = {
	[FIXED_ENCRYPTED] = "encrypted from here",
	[FIXED_ESTABLISHED] = "TLS established",
	[FIXED_FIN] = "FIN",
	[FIXED_RST] = "RST",
	[FIXED_CH_UNPARSED] = "ClientHello (unparsed)",
	[FIXED_SH_UNPARSED] = "ServerHello (unparsed)",
	[FIXED_SSLV2_CH] = "SSLv2 CLIENT-HELLO",
	[FIXED_SSLV2_SH] = "SSLv2 SERVER-HELLO",
};
/* The pool holds at most STI_LADDER_MAX texts of STI_LADDER_TEXT bytes. */
_Static_assert(STI_LADDER_MAX * STI_LADDER_TEXT <= UINT16_MAX, "text_at fits");
_Static_assert(STI_LADDER_MAX * STI_LADDER_TEXT < 1u << 14, "a pool's size fits text_cap");

/*
 * What the recorder keeps for a session that has had a stream event: what
 * the record takes from the stream, and the ladder rows, grown as they
 * come. The record itself (with room for STI_LADDER_MAX rows) is built
 * only to be reported. The parsers' state comes when their first byte
 * does: a session that never speaks SMTP has no SMTP parser, one that
 * never reaches TLS no TLS parser. Once both directions of the SMTP
 * conversation have switched to TLS its parser is released and only its
 * facts are kept; the same for the TLS parser once TLS is settled both ways.
 */
/* What few sessions have, allocated on first need: capture gaps, and
 * (with ladder text) which anomalies already have their row. */
struct flow_rare {
	uint64_t gaps[2], gap_bytes[2], first_gap_frame[2];
	uint32_t laddered_anomalies[2];  /* one row per anomaly and side */
	uint32_t *frame_hi;              /* STI_LADDER_MAX rows' frames' high
					    32 bits, once one is not zero */
};

/* How a parser's facts are kept once it is gone (the *_kept unions). */
enum kept_as {
	KEPT_NONE,     /* the parser is still there, or never was */
	KEPT_PACKED,   /* the compact form */
	KEPT_COPY      /* the settled copy (a value too wide to pack) */
};

/* (A settled open session holds this for as long as it stays open: the
 * pointers first, the small fields packed after them.) */
struct flow {
	struct sti_session *s;
	struct flow_row *rows;
	char *text;                      /* the rows' texts, each as long as
					    it is; NULL without ladder text */
	struct sti_smtp *smtp;           /* NULL until the first SMTP byte */
	struct sti_tls *tls;             /* NULL until the first TLS byte */
	union {                          /* its facts once both sides switched */
		struct sti_smtp_packed *packed;
		struct sti_smtp_facts *copy;
	} smtp_kept;
	union {                          /* its facts once it is settled */
		struct sti_tls_packed *packed;
		struct sti_tls_facts *copy;
	} tls_kept;
	struct flow_rare *rare;          /* NULL until needed */
	uint64_t tls_start_frame;
	uint64_t looks_frame[2];
	unsigned rows_dropped;
	uint16_t text_used;
	unsigned text_cap : 14;          /* <= STI_LADDER_MAX * STI_LADDER_TEXT */
	unsigned rows_in : 2;            /* enum rows_in */
	uint8_t nrows, rows_cap;         /* <= STI_LADDER_MAX */
	int8_t ehlo_row;                 /* ladder row of the EHLO reply, -1 */
	uint8_t looks[2];                /* enum sti_looks */
	enum sti_proto proto : 8;
	enum sti_mode mode : 8;
	unsigned smtp_kept_as : 2, tls_kept_as : 2; /* enum kept_as */
	bool proto_sniffed : 1;
	bool no_memory : 1;              /* a parser could not be allocated */
	bool reported : 1;               /* the record went to the sink early */
	bool ladder_text : 1;            /* a reporter prints the ladder */
};
/* 104 bytes: malloc's 112-byte class. */
_Static_assert(sizeof(struct flow) <= 104, "a flow is at most 104 bytes");
_Static_assert(STI_LADDER_MAX <= INT8_MAX, "a row index fits ehlo_row");
_Static_assert(STI_LOOKS_COUNT <= UINT8_MAX, "what a side looks like fits 8 bits");

/* What writing a record's pending ladder reads: the flow's rows and the
 * facts some rows are written from (the record's sink call holds them). */
struct sti_ladder_source {
	const struct flow *fl;
	const struct sti_tls_facts *tf;
	const struct sti_smtp_facts *sf;
};

struct sti_recorder {
	struct sti_session_cfg cfg;
	sti_record_sink sink;
	void *sink_ctx;
	bool early;   /* report once the outcome is final, before the close */
	struct sti_keylog *keylog;          /* --keylog, or NULL */
	struct sti_certcache *certs;        /* shared certificates, or NULL */
	bool ladder_untexted;               /* no reporter prints the ladder */
	struct sti_record *scratch;         /* the record being reported */
	struct sti_tls_view tls_view;       /* its settled TLS facts, unpacked */
	struct sti_smtp_view smtp_view;     /* and its settled SMTP facts */
	struct sti_ladder_source ladder;    /* its ladder, until written */
	struct rows_block *spare;           /* blocks to lend (a list) */
	unsigned nspare;                    /* <= SPARE_BLOCKS_MAX */
};

const char *sti_mode_name(enum sti_mode m)
{
	switch (m) {
	case STI_MODE_STARTTLS: return "starttls";
	case STI_MODE_IMPLICIT: return "implicit";
	case STI_MODE_PLAINTEXT: return "plaintext";
	case STI_MODE_UNKNOWN: break;
	}
	return "unknown";
}

struct sti_recorder *sti_recorder_new(const struct sti_session_cfg *cfg,
				      sti_record_sink sink, void *sink_ctx)
{
	struct sti_recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (!(r->scratch = malloc(sizeof(*r->scratch)))) {
		free(r);
		return NULL;
	}
	r->cfg = *cfg;
	r->sink = sink;
	r->sink_ctx = sink_ctx;
	return r;
}

void sti_recorder_report_early(struct sti_recorder *r, bool early)
{
	r->early = early;
}

void sti_recorder_set_keylog(struct sti_recorder *r, struct sti_keylog *kl)
{
	r->keylog = kl;
}

void sti_recorder_set_certcache(struct sti_recorder *r, struct sti_certcache *cc)
{
	r->certs = cc;
}

void sti_recorder_ladder_text(struct sti_recorder *r, bool wanted)
{
	r->ladder_untexted = !wanted;
}

void sti_recorder_free(struct sti_recorder *r)
{
	if (!r)
		return;
	while (r->spare) {
		struct rows_block *b = r->spare;
		r->spare = b->next;
		free(b);
	}
	free(r->scratch);
	free(r);
}

unsigned sti_recorder_spare_blocks(const struct sti_recorder *r)
{
	return r->nspare;
}

/* The SMTP facts, from the parser or kept after it (rebuilt in the
 * recorder's view from their compact form: once per report); NULL before
 * SMTP. */
static const struct sti_smtp_facts *smtp_facts(struct sti_recorder *r, const struct flow *fl)
{
	if (fl->smtp_kept_as == KEPT_PACKED)
		return sti_smtp_packed_facts(fl->smtp_kept.packed, &r->smtp_view);
	if (fl->smtp_kept_as == KEPT_COPY)
		return fl->smtp_kept.copy;
	return fl->smtp ? sti_smtp_facts(fl->smtp) : NULL;
}

/* The flow's rarely needed part, allocated (zeroed) now if it was not;
 * NULL without memory. */
static struct flow_rare *flow_rare(struct flow *fl)
{
	if (!fl->rare)
		fl->rare = calloc(1, sizeof(*fl->rare));
	return fl->rare;
}

/* The next row with its side, frame and time, or NULL past the cap. */
static struct sti_ladder_row *ladder_row(struct sti_record *rec, enum sti_dir dir,
					 uint64_t frame, int64_t ts_us)
{
	if (rec->nladder == STI_LADDER_MAX) {
		rec->ladder_dropped++;
		return NULL;
	}
	struct sti_ladder_row *row = &rec->ladder[rec->nladder++];
	row->dir = dir;
	row->frame = frame;
	row->ts_us = ts_us;
	row->text[0] = '\0';
	return row;
}

void sti_record_ladder_add(struct sti_record *rec, enum sti_dir dir, uint64_t frame,
			   int64_t ts_us, const char *fmt, ...)
{
	struct sti_ladder_row *row = ladder_row(rec, dir, frame, ts_us);
	if (!row)
		return;
	va_list ap;
	va_start(ap, fmt);
	sti_vfmt(row->text, sizeof(row->text), fmt, ap);
	va_end(ap);
}

/*
 * A row of the flow's ladder. Rows are kept only when a reporter prints
 * ladders: for --json they would be thrown away (nothing else reads
 * them), and making them was a tenth of the recorder's work per session.
 * Then the parsers get no event sink at all (new_smtp, new_tls).
 */
/* A block for a session about to make rows (with its first parser): off the
 * list, or new. Without memory the rows go to heap arrays as they come. */
static void lend_block(struct sti_recorder *r, struct flow *fl)
{
	struct rows_block *b = r->spare;
	if (b) {
		r->spare = b->next;
		r->nspare--;
	} else if (!(b = malloc(sizeof(*b)))) {
		return;
	}
	fl->rows = b->rows;
	fl->text = b->text;
	fl->rows_cap = ROWS_FIRST;
	fl->text_cap = TEXT_POOL_FIRST;
	fl->rows_in = ROWS_BLOCK;
}

static void give_back_block(struct sti_recorder *r, struct rows_block *b)
{
	if (r->nspare == SPARE_BLOCKS_MAX) {
		free(b);
		return;
	}
	b->next = r->spare;
	r->spare = b;
	r->nspare++;
}

/* The rows' storage freed (a block back to the list); the flow then has
 * none. */
static void release_rows(struct sti_recorder *r, struct flow *fl)
{
	switch ((enum rows_in)fl->rows_in) {
	case ROWS_BLOCK:
		/* (the rows are the block's first member) */
		give_back_block(r, (struct rows_block *)(void *)fl->rows);
		break;
	case ROWS_FITTED:
		free(fl->rows);   /* the text is in the same allocation */
		break;
	case ROWS_HEAP:
		free(fl->rows);
		free(fl->text);
		break;
	}
	fl->rows = NULL;
	fl->text = NULL;
	fl->rows_cap = 0;
	fl->text_cap = 0;
	fl->rows_in = ROWS_HEAP;
}

/*
 * The rows and texts of a block or a fitted allocation moved into heap
 * arrays of rows_cap rows and text_cap bytes (at least what they hold),
 * to grow there; false, nothing changed, without memory. The row being
 * written (begun, not yet counted) moves too. A block that overflows
 * goes back to malloc, not to the list: the row paths have no recorder,
 * and a session with this many rows is rare.
 */
static bool rows_apart(struct flow *fl, unsigned rows_cap, size_t text_cap)
{
	struct flow_row *rows = malloc(rows_cap * sizeof(*rows));
	char *text = text_cap ? malloc(text_cap) : NULL;
	if (!rows || (text_cap && !text)) {
		free(rows);
		free(text);
		return false;
	}
	unsigned moving = fl->nrows < fl->rows_cap ? fl->nrows + 1u : fl->nrows;
	memcpy(rows, fl->rows, moving * sizeof(*rows));
	if (fl->text_used)
		memcpy(text, fl->text, fl->text_used);
	free(fl->rows);   /* the block or the allocation: the rows start it */
	fl->rows = rows;
	fl->text = text;
	fl->rows_cap = (uint8_t)rows_cap;
	fl->text_cap = (unsigned)text_cap;
	fl->rows_in = ROWS_HEAP;
	return true;
}

/* Room for one more row (STI_LADDER_MAX at most); false without memory. */
static bool grow_rows(struct flow *fl)
{
	unsigned cap = (unsigned)sti_grow_capacity(fl->rows_cap, ROWS_FIRST, fl->rows_cap + 1u,
						   STI_LADDER_MAX);
	if (fl->rows_in != ROWS_HEAP)
		return rows_apart(fl, cap, fl->text_cap);
	struct flow_row *rows = realloc(fl->rows, cap * sizeof(*rows));
	if (!rows)
		return false;
	fl->rows = rows;
	fl->rows_cap = (uint8_t)cap;
	return true;
}

/*
 * Room in the pool for row i's text, len bytes with its NUL, taken: where
 * to write them, or NULL without memory. Only a text's own bytes are kept
 * (a fixed slot per row was 112 bytes, most of them unused, for as long
 * as the session stays open).
 */
static char *take_row_text(struct flow *fl, unsigned i, size_t len)
{
	if (fl->text_used + len > fl->text_cap) {
		size_t cap = (fl->text_used + len + TEXT_POOL_STEP - 1) / TEXT_POOL_STEP *
			     TEXT_POOL_STEP;
		if (cap < TEXT_POOL_FIRST)
			cap = TEXT_POOL_FIRST;
		if (fl->rows_in != ROWS_HEAP) {
			if (!rows_apart(fl, fl->rows_cap, cap))
				return NULL;
		} else {
			char *text = realloc(fl->text, cap);
			if (!text)
				return NULL;
			fl->text = text;
			fl->text_cap = (unsigned)cap;
		}
	}
	char *at = fl->text + fl->text_used;
	fl->rows[i].text_at = fl->text_used;
	fl->text_used = (uint16_t)(fl->text_used + len);
	return at;
}

/* Row i's text (len bytes with its NUL) into the pool; false without
 * memory. */
static bool keep_row_text(struct flow *fl, unsigned i, const char *buf, size_t len)
{
	char *at = take_row_text(fl, i, len);
	if (at)
		memcpy(at, buf, len);
	return at != NULL;
}

/* Row i's frame's high bits, in an array allocated (zeroed) with the first
 * frame that has some; false without memory. */
static bool keep_frame_hi(struct flow *fl, unsigned i, uint64_t frame)
{
	struct flow_rare *rare = flow_rare(fl);
	if (!rare)
		return false;
	if (!rare->frame_hi && !(rare->frame_hi = calloc(STI_LADDER_MAX, sizeof(uint32_t))))
		return false;
	rare->frame_hi[i] = (uint32_t)(frame >> 32);
	return true;
}

/* Row i's whole frame. */
static uint64_t row_frame(const struct flow *fl, unsigned i)
{
	uint64_t hi = fl->rare && fl->rare->frame_hi ? fl->rare->frame_hi[i] : 0;
	return hi << 32 | fl->rows[i].frame_lo;
}

static void put_row(struct flow *fl, unsigned i, enum sti_dir dir, uint64_t frame,
		    int64_t ts_us)
{
	fl->rows[i] = (struct flow_row){ .ts_us = ts_us, .frame_lo = (uint32_t)frame,
					 .kind = ROW_POOLED, .s2c = dir == STI_S2C };
}

/* row_begin when the rows are full or the frame needs its high bits:
 * apart, so that the common case saves no registers for it. */
__attribute__((noinline, cold))
static int row_begin_slow(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us)
{
	if (fl->nrows == STI_LADDER_MAX ||
	    (fl->nrows == fl->rows_cap && !grow_rows(fl))) {
		fl->rows_dropped++;
		return -1;
	}
	unsigned i = fl->nrows;
	if ((frame >> 32) && !keep_frame_hi(fl, i, frame)) {
		fl->rows_dropped++;
		return -1;
	}
	put_row(fl, i, dir, frame, ts_us);
	return (int)i;
}

/* The next row with its side, frame and time, or -1 past the cap or
 * without memory (the row is counted as dropped). */
static int row_begin(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us)
{
	unsigned i = fl->nrows;
	if (i == fl->rows_cap || (frame >> 32))   /* (rows_cap <= STI_LADDER_MAX) */
		return row_begin_slow(fl, dir, frame, ts_us);
	put_row(fl, i, dir, frame, ts_us);
	return (int)i;
}

/*
 * Once TLS settled, only a gap, a FIN or an RST still adds a row: the
 * rows (with room for the close's two) and their text move into one
 * allocation of that size (a session that stays open holds it for as
 * long), and a block goes back to the list. Without memory they stay as
 * they are.
 */
static void ladder_fit(struct sti_recorder *r, struct flow *fl)
{
	if (fl->rows_in == ROWS_FITTED || !fl->rows)
		return;
	if (!fl->nrows && !fl->text_used) {
		release_rows(r, fl);   /* nothing to keep */
		return;
	}
	unsigned cap = fl->nrows + CLOSE_ROWS;
	if (cap > STI_LADDER_MAX)
		cap = STI_LADDER_MAX;
	struct flow_row *rows = malloc(cap * sizeof(*rows) + fl->text_used);
	if (!rows)
		return;
	char *text = (char *)(rows + cap);
	memcpy(rows, fl->rows, fl->nrows * sizeof(*rows));
	if (fl->text_used)
		memcpy(text, fl->text, fl->text_used);
	release_rows(r, fl);
	fl->rows = rows;
	fl->text = text;
	fl->rows_cap = (uint8_t)cap;
	fl->text_cap = fl->text_used;
	fl->rows_in = ROWS_FITTED;
}

/* The row is in once its text (if any is wanted) was kept. */
static void row_end(struct flow *fl, bool kept)
{
	if (kept)
		fl->nrows++;
	else
		fl->rows_dropped++;
}

/* A row whose text is written when the record is built: kind, its
 * argument, and whether it was read with a key log. */
static void ladder_later(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us,
			 enum row_text kind, unsigned arg, bool decrypted)
{
	if (!fl->ladder_text)
		return;
	int i = row_begin(fl, dir, frame, ts_us);
	if (i < 0)
		return;
	fl->rows[i].kind = (uint8_t)kind;
	fl->rows[i].text_at = (uint16_t)arg;
	fl->rows[i].decrypted = decrypted;
	row_end(fl, true);
}

static void ladder_fixed(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us,
			 enum fixed_row which)
{
	ladder_later(fl, dir, frame, ts_us, ROW_FIXED, which, false);
}

__attribute__((format(printf, 5, 6)))
static void ladder_add(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us,
		       const char *fmt, ...)
{
	if (!fl->ladder_text)
		return;
	int i = row_begin(fl, dir, frame, ts_us);
	if (i < 0)
		return;
	char buf[STI_LADDER_TEXT];
	va_list ap;
	va_start(ap, fmt);
	int n = sti_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 1 : (size_t)n >= sizeof(buf) ? sizeof(buf) : (size_t)n + 1;
	if (n < 0)
		buf[0] = '\0';
	row_end(fl, keep_row_text(fl, (unsigned)i, buf, len));
}

/* "%u" of v into buf: where its digits start. */
static const char *unsigned_text(char buf[12], unsigned v)
{
	buf[11] = '\0';
	return sti_digits_before(buf + 11, v);
}

/* A row whose text (n bytes, NUL-ended) is ready. */
static void ladder_put(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us,
		       const char *text, size_t n)
{
	int i = row_begin(fl, dir, frame, ts_us);
	if (i >= 0)
		row_end(fl, keep_row_text(fl, (unsigned)i, text, n + 1));
}

/*
 * A row whose text is two strings one after the other (a name, a prefix
 * and a name, a reply code and its text): the same bytes as "%s%s", cut
 * to a row's room, without a format to read. Most rows are these.
 */
static void ladder_add2(struct flow *fl, enum sti_dir dir, uint64_t frame, int64_t ts_us,
			const char *a, const char *b)
{
	if (!fl->ladder_text)
		return;
	size_t na = strnlen(a, STI_LADDER_TEXT - 1);
	size_t nb = strnlen(b, STI_LADDER_TEXT - 1 - na);
	int i = row_begin(fl, dir, frame, ts_us);
	if (i < 0)
		return;
	/* straight into the pool */
	char *at = take_row_text(fl, (unsigned)i, na + nb + 1);
	if (at) {
		memcpy(at, a, na);
		memcpy(at + na, b, nb);
		at[na + nb] = '\0';
	}
	row_end(fl, at != NULL);
}

/* A reply's row: "%u %s" of its code and text. */
static void ladder_reply_row(struct flow *fl, uint64_t frame, int64_t ts_us, unsigned code,
			     const char *text)
{
	char c[16];
	c[15] = '\0';
	c[14] = ' ';
	ladder_add2(fl, 1, frame, ts_us, sti_digits_before(c + 14, code), text ? text : "");
}

/* ---- ladder rows from the layers' events ---- */

/* "1.3,1.2" (or the legacy version alone), cut at len - 1 bytes. */
static void versions_text(const struct sti_client_hello *ch, char *buf,
			  size_t len)
{
	char v[16];
	size_t used = 0;
	buf[0] = '\0';
	if (!ch->nversions) {
		sti_put_capped(buf, len, &used, sti_tls_version_name(ch->legacy_version, v, sizeof(v)));
		return;
	}
	for (unsigned i = 0; i < ch->nversions && used + 1 < len; i++) {
		if (i)
			sti_put_capped(buf, len, &used, ",");
		sti_put_capped(buf, len, &used, sti_tls_version_name(ch->versions[i], v, sizeof(v)));
	}
}

/* "ClientHello max 1.3 [1.3,1.2], 31 ciphers, SNI mx.example.test" into
 * row (STI_LADDER_TEXT bytes); its length. */
static size_t client_hello_text(const struct sti_client_hello *ch, char *row)
{
	char vers[64], max[24], num[12];
	size_t n = 0;
	versions_text(ch, vers, sizeof(vers));
	sti_put_capped(row, STI_LADDER_TEXT, &n, "ClientHello max ");
	sti_put_capped(row, STI_LADDER_TEXT, &n, sti_tls_version_text(ch->max_version, max, sizeof(max)));
	sti_put_capped(row, STI_LADDER_TEXT, &n, " [");
	sti_put_capped(row, STI_LADDER_TEXT, &n, vers);
	sti_put_capped(row, STI_LADDER_TEXT, &n, "], ");
	sti_put_capped(row, STI_LADDER_TEXT, &n, unsigned_text(num, ch->ciphers_total));
	sti_put_capped(row, STI_LADDER_TEXT, &n, " ciphers");
	if (ch->sni[0]) {
		sti_put_capped(row, STI_LADDER_TEXT, &n, ", SNI ");
		sti_put_capped(row, STI_LADDER_TEXT, &n, ch->sni);
	}
	return n;
}

/* The first ClientHello's row is written from the facts when the record
 * is built (they keep it whole); the second one's (after an HRR) now: a
 * settled session keeps none of its lists. */
static void ladder_client_hello(struct flow *fl, const struct sti_tls_ev *ev)
{
	const struct sti_tls_facts *f = sti_tls_facts(fl->tls);
	if (!f->have_ch) {
		ladder_fixed(fl, 0, ev->frame, ev->ts_us, FIXED_CH_UNPARSED);
		return;
	}
	if (!(f->have_ch2 && ev->frame == f->ch2_frame)) {
		ladder_later(fl, 0, ev->frame, ev->ts_us, ROW_CLIENT_HELLO, 0, false);
		return;
	}
	char row[STI_LADDER_TEXT];
	size_t n = client_hello_text(f->ch2, row);
	ladder_put(fl, 0, ev->frame, ev->ts_us, row, n);
}

static void ladder_server_hello(struct flow *fl, const struct sti_tls_ev *ev)
{
	const struct sti_tls_facts *f = sti_tls_facts(fl->tls);
	if (f->have_hrr && ev->frame == f->hrr_frame && !(f->have_sh && f->sh_frame == ev->frame)) {
		ladder_add(fl, 1, ev->frame, ev->ts_us,
				      "HelloRetryRequest group 0x%04x",
				      f->hrr->selected_group);
		return;
	}
	if (!f->have_sh) {
		ladder_fixed(fl, 1, ev->frame, ev->ts_us, FIXED_SH_UNPARSED);
		return;
	}
	/* The first ServerHello decided and stays in the facts: its row is
	 * written when the record is built (server_hello_text). */
	ladder_later(fl, 1, ev->frame, ev->ts_us, ROW_SERVER_HELLO, 0, false);
}

/* The cipher and group by name go on the session's "negotiated" line: a
 * ladder column is too narrow for them. */
static size_t server_hello_text(const struct sti_server_hello *sh, char *row)
{
	char v[24];
	size_t n = 0;
	sti_put_capped(row, STI_LADDER_TEXT, &n, "ServerHello ");
	sti_put_capped(row, STI_LADDER_TEXT, &n, sti_tls_version_text(sh->version, v, sizeof(v)));
	return n;
}

static void ladder_handshake(struct flow *fl, const struct sti_tls_ev *ev)
{
	const struct sti_tls_facts *f = sti_tls_facts(fl->tls);
	/* Read with --keylog: say so, the wire showed only ciphertext. */
	const char *pre = ev->decrypted ? "decrypted " : "";
	switch (ev->type) {
	case STI_TLS_HS_CLIENT_HELLO:
		ladder_client_hello(fl, ev);
		return;
	case STI_TLS_HS_SERVER_HELLO:
		ladder_server_hello(fl, ev);
		return;
	case STI_TLS_HS_CERTIFICATE: {
		/* The side's first certificate stays in the facts: written
		 * when the record is built (certificate_text). */
		const struct sti_tls_cert *cert = ev->dir == STI_S2C ? f->server_cert : f->client_cert;
		if (cert && cert->leaf.parsed) {
			ladder_later(fl, ev->dir, ev->frame, ev->ts_us, ROW_CERTIFICATE, 0,
				     ev->decrypted);
			return;
		}
		break;
	}
	default:
		break;
	}
	if (sti_tls_handshake_name(ev->type))
		ladder_later(fl, ev->dir, ev->frame, ev->ts_us, ROW_HANDSHAKE, ev->type,
			     ev->decrypted);
	else
		ladder_add(fl, ev->dir, ev->frame, ev->ts_us,
				      "%shandshake type %u", pre, ev->type);
}

/* Most events are whole records, which make no row: on_tls_event returns
 * for them before this function's set-up. */
__attribute__((noinline))
static void ladder_tls_event(struct flow *fl, const struct sti_tls_ev *ev)
{
	switch (ev->kind) {
	case STI_TLS_EV_HANDSHAKE:
		ladder_handshake(fl, ev);
		break;
	case STI_TLS_EV_SSLV2_HELLO:
		ladder_fixed(fl, ev->dir, ev->frame, ev->ts_us,
			     ev->type == 1 ? FIXED_SSLV2_CH : FIXED_SSLV2_SH);
		break;
	case STI_TLS_EV_ALERT:
		if (ev->encrypted && !ev->decrypted) {
			ladder_add(fl, ev->dir, ev->frame, ev->ts_us,
					      "Alert (encrypted, %u bytes)", ev->length);
		} else {
			const char *n = sti_tls_alert_name(ev->desc);
			const char *l = sti_tls_alert_level_name(ev->level);
			ladder_add(fl, ev->dir, ev->frame, ev->ts_us,
					      "%sAlert %s %s(%u)",
					      ev->decrypted ? "decrypted " : "", l ? l : "level?",
					      n ? n : "unknown", ev->desc);
		}
		break;
	case STI_TLS_EV_ENCRYPTED:
		ladder_fixed(fl, ev->dir, ev->frame, ev->ts_us, FIXED_ENCRYPTED);
		break;
	case STI_TLS_EV_ESTABLISHED:
		ladder_fixed(fl, ev->dir, ev->frame, ev->ts_us, FIXED_ESTABLISHED);
		break;
	case STI_TLS_EV_STOPPED:
		ladder_add2(fl, ev->dir, ev->frame, ev->ts_us,
			    "TLS parsing stopped: ", ev->text ? ev->text : "?");
		break;
	case STI_TLS_EV_RECORD:
		break;
	}
}

static void on_tls_event(void *ctx, const struct sti_tls_ev *ev)
{
	if (ev->kind != STI_TLS_EV_RECORD)
		ladder_tls_event(ctx, ev);
}

static const char *offer_text(enum sti_smtp_offer o)
{
	switch (o) {
	case STI_SMTP_OFFER_YES: return "STARTTLS offered";
	case STI_SMTP_OFFER_NO: return "no STARTTLS";
	case STI_SMTP_OFFER_STRIPPED: return "STARTTLS masked by a middlebox";
	case STI_SMTP_OFFER_UNKNOWN: break;
	}
	return "capabilities unknown";
}

static void ladder_reply(struct flow *fl, const struct sti_smtp_event *ev)
{
	bool ehlo = ev->cmd == STI_SMTP_CMD_EHLO && ev->code == 250 && fl->ehlo_row < 0;
	/* What the EHLO reply offered is known once the reply is digested:
	 * its row is written when the record is built. (Past the cap the
	 * last row kept is the one rewritten, as it always was.) */
	if (ehlo && fl->ladder_text && fl->nrows < STI_LADDER_MAX) {
		ladder_later(fl, 1, ev->frame, ev->ts_us, ROW_EHLO, 0, false);
	} else {
		/* The reply text already starts with its enhanced status code. */
		ladder_reply_row(fl, ev->frame, ev->ts_us, ev->code, ev->text);
	}
	if (ehlo && fl->nrows)
		fl->ehlo_row = (int8_t)(fl->nrows - 1);
}

/* Written into the record's row, the only place it is read. */
static void complete_ehlo_row(const struct flow *fl, const struct sti_smtp_facts *sf,
			      struct sti_record *rec)
{
	if (fl->ehlo_row < 0 || !sf)
		return;
	struct sti_ladder_row *row = &rec->ladder[fl->ehlo_row];
	sti_fmt(row->text, sizeof(row->text), "250 EHLO reply: %s",
		 offer_text(sf->starttls_offered));
}

static void on_smtp_event(void *ctx, const struct sti_smtp_event *ev)
{
	struct flow *fl = ctx;
	enum sti_dir dir = ev->dir;
	switch (ev->kind) {
	case STI_SMTP_EV_GREETING:
		ladder_reply_row(fl, ev->frame, ev->ts_us, ev->code, ev->text);
		break;
	case STI_SMTP_EV_COMMAND:
		/* Records or junk in the plaintext session show up once, as
		 * the anomaly they raise. */
		if (ev->cmd == STI_SMTP_CMD_TLS || ev->cmd == STI_SMTP_CMD_BINARY)
			break;
		ladder_add2(fl, 0, ev->frame, ev->ts_us,
			    ev->text && ev->text[0] ? ev->text : sti_smtp_cmd_name(ev->cmd), "");
		break;
	case STI_SMTP_EV_REPLY:
		ladder_reply(fl, ev);
		break;
	case STI_SMTP_EV_CONTENT:
		ladder_add(fl, dir, ev->frame, ev->ts_us,
				      "message content, %llu bytes", (unsigned long long)ev->len);
		break;
	case STI_SMTP_EV_ANOMALY: {
		uint32_t bit = (uint32_t)1 << ((unsigned)ev->anomaly & 31);
		struct flow_rare *rare = flow_rare(fl);
		if (!rare) {
			fl->rows_dropped++;   /* no memory to remember it */
			break;
		}
		if (rare->laddered_anomalies[dir] & bit)
			break;
		rare->laddered_anomalies[dir] |= bit;
		ladder_later(fl, dir, ev->frame, ev->ts_us, ROW_ANOMALY, ev->anomaly, false);
		break;
	}
	case STI_SMTP_EV_SWITCH:
	case STI_SMTP_EV_GAP:
	case STI_SMTP_EV_END:
		break;
	}
}

/* ---- the parsers' state, allocated with their first byte ---- */

/* The SMTP parser while direction dir still speaks SMTP, else NULL. */
static struct sti_smtp *smtp_speaking(const struct flow *fl, enum sti_dir dir)
{
	return fl->smtp && !sti_smtp_switched(fl->smtp, dir) ? fl->smtp : NULL;
}

static struct sti_smtp *new_smtp(struct sti_recorder *r, struct flow *fl)
{
	struct sti_smtp *m = sti_smtp_new();
	if (!m)
		return NULL;
	if (fl->ladder_text) {   /* its events only make ladder rows */
		sti_smtp_set_sink(m, on_smtp_event, fl);
		if (!fl->rows)   /* room for them while the handshake runs */
			lend_block(r, fl);
	}
	return m;
}

/*
 * Both directions are TLS now: nothing more reaches the SMTP parser (its
 * line buffers, command queue and reply being assembled), so only the
 * facts it gathered are kept. On allocation failure the parser stays.
 */
static void settle_smtp(struct flow *fl)
{
	if (!fl->smtp || !sti_smtp_switched(fl->smtp, STI_C2S) ||
	    !sti_smtp_switched(fl->smtp, STI_S2C))
		return;
	const struct sti_smtp_facts *f = sti_smtp_facts(fl->smtp);
	if ((fl->smtp_kept.packed = sti_smtp_facts_pack(f)))
		fl->smtp_kept_as = KEPT_PACKED;
	else if ((fl->smtp_kept.copy = sti_smtp_facts_settle(f)))
		fl->smtp_kept_as = KEPT_COPY;
	else
		return;
	sti_smtp_free(fl->smtp);
	fl->smtp = NULL;
}

static struct sti_tls *new_tls(struct sti_recorder *r, struct flow *fl)
{
	struct sti_tls *t = sti_tls_new();
	if (!t)
		return NULL;
	if (fl->ladder_text) {   /* its events only make ladder rows */
		sti_tls_set_sink(t, on_tls_event, fl);
		if (!fl->rows)   /* room for them while the handshake runs */
			lend_block(r, fl);
	}
	sti_tls_set_keylog(t, r->keylog);
	sti_tls_set_certcache(t, r->certs);
	return t;
}

/* Without memory for a parser the session goes unreported, as one
 * without memory for its flow: stop reading its payload. */
static void out_of_memory(struct flow *fl)
{
	fl->no_memory = true;
	sti_session_stop_payload(fl->s, STI_C2S);
	sti_session_stop_payload(fl->s, STI_S2C);
}

static void drop_flow(struct sti_recorder *r, struct sti_session *s)
{
	struct flow *fl = s->app;
	if (!fl)
		return;
	sti_tls_free(fl->tls);
	if (fl->tls_kept_as == KEPT_PACKED)
		sti_tls_packed_free(fl->tls_kept.packed);
	else if (fl->tls_kept_as == KEPT_COPY)
		sti_tls_facts_free(fl->tls_kept.copy);
	sti_smtp_free(fl->smtp);
	if (fl->smtp_kept_as == KEPT_PACKED)
		sti_smtp_packed_free(fl->smtp_kept.packed);
	else if (fl->smtp_kept_as == KEPT_COPY)
		free(fl->smtp_kept.copy);
	if (fl->rare)
		free(fl->rare->frame_hi);
	free(fl->rare);
	if (fl->rows)   /* (no text without rows) */
		release_rows(r, fl);
	free(fl);
	s->app = NULL;
}

/* ---- routing ---- */

/*
 * The first payload byte of a session decides what it is. A ClientHello
 * first is implicit TLS on any port (a mail client set to "SSL/TLS" on
 * 25 or 587, SPEC 9.1), whatever the port list says.
 */
static void decide_proto(struct sti_recorder *r, struct flow *fl,
			 const struct sti_stream_ev *ev)
{
	uint16_t sp = fl->s->srv.port;
	enum sti_looks first = (enum sti_looks)fl->looks[ev->dir];
	if (ev->dir == STI_C2S && first == STI_LOOKS_TLS) {
		fl->proto = STI_PROTO_TLS;
		fl->proto_sniffed = !sti_portset_has(&r->cfg.tls_ports, sp);
	} else if (sti_portset_has(&r->cfg.tls_ports, sp)) {
		fl->proto = STI_PROTO_TLS;
	} else if (sti_portset_has(&r->cfg.smtp_ports, sp)) {
		fl->proto = STI_PROTO_SMTP;
	} else if (ev->dir == STI_S2C && (first == STI_LOOKS_SMTP_GREETING ||
					  first == STI_LOOKS_FTP)) {
		/* FTP greets with 220 too: reported, as not_smtp */
		fl->proto = STI_PROTO_SMTP;
		fl->proto_sniffed = true;
	} else {
		fl->proto = STI_PROTO_OTHER;
	}
	if (fl->proto == STI_PROTO_TLS)
		fl->mode = STI_MODE_IMPLICIT;
}

/*
 * TLS is settled both ways and neither direction is read any more (their
 * payload stopped: only FIN, RST and skipped bytes still come, and ending
 * the directions concludes nothing): the facts are final, so only their
 * compact form is kept (or, when a value is too wide for it, a copy sized
 * by what arrived). On allocation failure the parser stays.
 */
static void settle_tls(struct sti_recorder *r, struct flow *fl)
{
	if (!fl->tls || !sti_session_stream(fl->s, STI_C2S)->stopped ||
	    !sti_session_stream(fl->s, STI_S2C)->stopped || !sti_tls_settled_both(fl->tls))
		return;
	const struct sti_tls_facts *f = sti_tls_facts(fl->tls);
	if ((fl->tls_kept.packed = sti_tls_facts_pack(f)))
		fl->tls_kept_as = KEPT_PACKED;
	else if ((fl->tls_kept.copy = sti_tls_facts_settle(f)))
		fl->tls_kept_as = KEPT_COPY;
	else
		return;
	sti_tls_free(fl->tls);
	fl->tls = NULL;
	ladder_fit(r, fl);
}

/* The TLS facts: the parser's, or the settled ones (rebuilt in the
 * recorder's view from their compact form, once per report). */
static const struct sti_tls_facts *tls_facts(struct sti_recorder *r, const struct flow *fl)
{
	if (fl->tls_kept_as == KEPT_PACKED)
		return sti_tls_packed_facts(fl->tls_kept.packed, &r->tls_view);
	if (fl->tls_kept_as == KEPT_COPY)
		return fl->tls_kept.copy;
	return fl->tls ? sti_tls_facts(fl->tls) : NULL;
}

static bool tls_settled(const struct flow *fl)
{
	return fl->tls_kept_as != KEPT_NONE;
}

static void feed_tls(struct sti_recorder *r, struct flow *fl,
		     const struct sti_stream_ev *ev, const uint8_t *p, size_t n)
{
	if (tls_settled(fl))
		return;   /* cannot happen: both directions were stopped */
	if (!fl->tls) {
		if (!(fl->tls = new_tls(r, fl))) {
			out_of_memory(fl);
			return;
		}
		fl->tls_start_frame = ev->frame;
	}
	sti_tls_feed(fl->tls, ev->dir, p, n, ev->frame, ev->ts_us);
	if (sti_tls_settled(fl->tls, ev->dir)) {
		sti_session_stop_payload(fl->s, ev->dir);
		settle_tls(r, fl);
	}
}

/* SMTP until the direction switches, the rest of the chunk and all after
 * it to TLS. */
static void feed_smtp(struct sti_recorder *r, struct flow *fl,
		      const struct sti_stream_ev *ev)
{
	if (!fl->smtp && fl->smtp_kept_as == KEPT_NONE && !(fl->smtp = new_smtp(r, fl))) {
		out_of_memory(fl);
		return;
	}
	size_t used = 0;
	struct sti_smtp *m = smtp_speaking(fl, ev->dir);
	if (m)
		used = sti_smtp_feed(m, ev->dir, ev->data, ev->len, ev->frame, ev->ts_us);
	if (!smtp_speaking(fl, ev->dir)) {
		fl->mode = STI_MODE_STARTTLS;
		if (used < ev->len)
			feed_tls(r, fl, ev, ev->data + used, ev->len - used);
	}
	settle_smtp(fl);
}

static void on_data(struct sti_recorder *r, struct flow *fl,
		    const struct sti_stream_ev *ev)
{
	if (!fl->looks_frame[ev->dir]) {
		fl->looks[ev->dir] = (uint8_t)sti_sniff(ev->dir, ev->data, ev->len);
		fl->looks_frame[ev->dir] = ev->frame;
	}
	if (fl->proto == STI_PROTO_NONE)
		decide_proto(r, fl, ev);
	switch (fl->proto) {
	case STI_PROTO_SMTP:
		feed_smtp(r, fl, ev);
		break;
	case STI_PROTO_TLS:
		feed_tls(r, fl, ev, ev->data, ev->len);
		break;
	case STI_PROTO_OTHER:
	case STI_PROTO_NONE:
		sti_session_stop_payload(fl->s, STI_C2S);
		sti_session_stop_payload(fl->s, STI_S2C);
		break;
	}
}

static void on_gap(struct flow *fl, const struct sti_stream_ev *ev)
{
	struct flow_rare *rare = flow_rare(fl);
	if (!rare) {
		out_of_memory(fl);   /* the record would miss the gap */
		return;
	}
	if (!rare->gaps[ev->dir]++)
		rare->first_gap_frame[ev->dir] = ev->frame;
	rare->gap_bytes[ev->dir] += ev->len;
	struct sti_smtp *m = fl->proto == STI_PROTO_SMTP ? smtp_speaking(fl, ev->dir) : NULL;
	if (m)
		sti_smtp_gap(m, ev->dir, ev->len, ev->frame);
	else if (fl->tls)
		sti_tls_gap(fl->tls, ev->dir, ev->len, ev->frame);
	ladder_add(fl, ev->dir, ev->frame, ev->ts_us,
			      "capture gap: %zu bytes missing", ev->len);
}

static void on_end(struct flow *fl, const struct sti_stream_ev *ev)
{
	struct sti_smtp *m = fl->proto == STI_PROTO_SMTP ? smtp_speaking(fl, ev->dir) : NULL;
	if (m)
		sti_smtp_end(m, ev->dir);
	if (fl->tls)
		sti_tls_end(fl->tls, ev->dir);
	ladder_fixed(fl, ev->dir, ev->frame, ev->ts_us,
		     ev->kind == STI_EV_FIN ? FIXED_FIN : FIXED_RST);
}

static void maybe_report_early(struct sti_recorder *r, struct flow *fl);

/*
 * A session gets its flow (the record and the routing, without any
 * parser) with its first stream event, not at its SYN: half-open
 * sessions, a SYN flood or a port scan, never have one. NULL without
 * memory.
 */
static struct flow *new_flow(struct sti_recorder *r, struct sti_session *s)
{
	struct flow *fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;   /* the session goes unreported */
	fl->s = s;
	fl->ehlo_row = -1;
	fl->ladder_text = !r->ladder_untexted;
	s->app = fl;
	return fl;
}

static void rec_stream(void *ctx, struct sti_session *s, const struct sti_stream_ev *ev)
{
	struct sti_recorder *r = ctx;
	if (ev->kind == STI_EV_SKIP)
		return;   /* bulk data after the stop: nothing to read in it */
	struct flow *fl = s->app ? s->app : new_flow(r, s);
	if (!fl)
		return;
	switch (ev->kind) {
	case STI_EV_DATA:
		on_data(r, fl, ev);
		break;
	case STI_EV_GAP:
		on_gap(fl, ev);
		break;
	case STI_EV_FIN:
	case STI_EV_RST:
		on_end(fl, ev);
		break;
	case STI_EV_SKIP:
		break;
	}
	maybe_report_early(r, fl);
}

/* A session without payload is reported only on a mail port. */
static bool listed_server(const struct sti_recorder *r, uint16_t port)
{
	return sti_portset_has(&r->cfg.smtp_ports, port) ||
	       sti_portset_has(&r->cfg.tls_ports, port);
}

/* Copy what the session table knows into the record. */
static void fill_tcp(struct sti_record *rec, const struct sti_session *s)
{
	rec->id = s->id;
	rec->cli = s->cli;
	rec->srv = s->srv;
	rec->orient = s->orient;
	rec->first_frame = s->first_frame;
	rec->last_frame = s->last_frame;
	rec->first_ts = s->first_ts;
	rec->last_ts = s->last_ts;
	rec->syn_seen = s->dir[STI_C2S].syn || s->dir[STI_S2C].syn;
	rec->tcp[STI_C2S] = s->dir[STI_C2S];
	rec->tcp[STI_S2C] = s->dir[STI_S2C];
	rec->end = s->end;
	rec->end_side = s->end_side;
	rec->end_frame = s->end_frame;
	rec->retransmitted[STI_C2S] = sti_session_stream(s, STI_C2S)->st.retransmitted;
	rec->retransmitted[STI_S2C] = sti_session_stream(s, STI_S2C)->st.retransmitted;
}

/*
 * Fill the record from everything seen and hand it to the sink. At the
 * close (`closing`) the TLS streams are ended first: an unfinished record
 * is then known to be cut short.
 */
/* "[decrypted ]Certificate CN=%s issuer CN=%s (%u in chain)" into row
 * (STI_LADDER_TEXT bytes). */
static void certificate_text(const struct sti_cert_info *ci, const char *pre, char *row)
{
	char num[12];
	size_t n = 0;
	sti_put_capped(row, STI_LADDER_TEXT, &n, pre);
	sti_put_capped(row, STI_LADDER_TEXT, &n, "Certificate CN=");
	sti_put_capped(row, STI_LADDER_TEXT, &n, ci->subject_cn);
	sti_put_capped(row, STI_LADDER_TEXT, &n, " issuer CN=");
	sti_put_capped(row, STI_LADDER_TEXT, &n, ci->issuer_cn);
	sti_put_capped(row, STI_LADDER_TEXT, &n, " (");
	sti_put_capped(row, STI_LADDER_TEXT, &n, unsigned_text(num, ci->chain_len));
	sti_put_capped(row, STI_LADDER_TEXT, &n, " in chain)");
}

/* Row i's text into out (STI_LADDER_TEXT bytes), as it was made when the
 * row came: from the pool, or from fixed words and the facts (tf, which
 * a row that reads them implies). */
static void row_text(char *out, const struct flow *fl, const struct flow_row *row,
		     const struct sti_tls_facts *tf)
{
	size_t n = 0;
	const char *pre = row->decrypted ? "decrypted " : "";
	out[0] = '\0';
	switch ((enum row_text)row->kind) {
	case ROW_POOLED:
		if (fl->text)
			strcpy(out, fl->text + row->text_at);
		break;
	case ROW_FIXED:
		sti_put_capped(out, STI_LADDER_TEXT, &n, fixed_row_text[row->text_at]);
		break;
	case ROW_HANDSHAKE:
		sti_put_capped(out, STI_LADDER_TEXT, &n, pre);
		sti_put_capped(out, STI_LADDER_TEXT, &n, sti_tls_handshake_name((uint8_t)row->text_at));
		break;
	case ROW_ANOMALY:
		sti_put_capped(out, STI_LADDER_TEXT, &n, "! ");
		sti_put_capped(out, STI_LADDER_TEXT, &n,
			   sti_smtp_anomaly_desc((enum sti_smtp_anomaly)row->text_at));
		break;
	case ROW_CLIENT_HELLO:
		client_hello_text(&tf->ch, out);
		break;
	case ROW_SERVER_HELLO:
		server_hello_text(&tf->sh, out);
		break;
	case ROW_CERTIFICATE:
		certificate_text(row->s2c ? &tf->server_cert->leaf : &tf->client_cert->leaf, pre,
				 out);
		break;
	case ROW_EHLO:
		break;
	}
}

/* The flow's part of the record: what the stream showed (the ladder is
 * written later, if at all: ladder_pending). */
static void fill_from_flow(struct sti_record *rec, const struct flow *fl)
{
	rec->proto = fl->proto;
	rec->proto_sniffed = fl->proto_sniffed;
	rec->mode = fl->mode;
	rec->tls_start_frame = fl->tls_start_frame;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (fl->rare) {
			rec->gaps[d] = fl->rare->gaps[d];
			rec->gap_bytes[d] = fl->rare->gap_bytes[d];
			rec->first_gap_frame[d] = fl->rare->first_gap_frame[d];
		}
		rec->looks[d] = (enum sti_looks)fl->looks[d];
		rec->looks_frame[d] = fl->looks_frame[d];
	}
}

/*
 * Most records are not printed (a text report shows the failures and the
 * deprecated; the rest are counted): their ladder is left pending, and
 * written only for those whose reporter asks (sti_record_ladder_fill).
 */
static void ladder_pending(struct sti_recorder *r, struct sti_record *rec, const struct flow *fl,
			   const struct sti_tls_facts *tf, const struct sti_smtp_facts *sf)
{
	if (!fl->ladder_text || (!fl->nrows && !fl->rows_dropped))
		return;
	r->ladder = (struct sti_ladder_source){ .fl = fl, .tf = tf, .sf = sf };
	rec->ladder_pending = &r->ladder;
}

void sti_record_ladder_fill(struct sti_record *rec)
{
	const struct sti_ladder_source *src = rec->ladder_pending;
	if (!src)
		return;
	rec->ladder_pending = NULL;
	const struct flow *fl = src->fl;
	for (unsigned i = 0; i < fl->nrows; i++) {
		struct sti_ladder_row *row = &rec->ladder[i];
		row->frame = row_frame(fl, i);
		row->ts_us = fl->rows[i].ts_us;
		row->dir = fl->rows[i].s2c ? STI_S2C : STI_C2S;
		row_text(row->text, fl, &fl->rows[i], src->tf);
	}
	rec->nladder = fl->nrows;
	rec->ladder_dropped = fl->rows_dropped;
	complete_ehlo_row(fl, src->sf, rec);
}

static void report(struct sti_recorder *r, struct flow *fl, struct sti_session *s,
		   bool closing)
{
	struct sti_record *rec = r->scratch;
	if (fl->no_memory)
		return;   /* a parser's facts are missing: unreported */
	/* Ended first: what that concludes (an encrypted alert nothing
	 * followed) has its ladder row before the record is built. */
	if (fl->tls && closing) {
		sti_tls_end(fl->tls, STI_C2S);   /* the capture ended, if not */
		sti_tls_end(fl->tls, STI_S2C);   /* the connection */
	}
	memset(rec, 0, sizeof(*rec));
	fill_tcp(rec, s);
	rec->tls = tls_facts(r, fl);
	fill_from_flow(rec, fl);
	const struct sti_smtp_facts *sf = smtp_facts(r, fl);
	ladder_pending(r, rec, fl, rec->tls, sf);
	if (rec->proto == STI_PROTO_SMTP && sf) {
		rec->smtp = sf;
		/* Plaintext only when SMTP was actually spoken: a capture that
		 * starts inside the TLS stream shows no mode at all. */
		/* A STARTTLS command makes the mode starttls even when it was
		 * refused or masked: that is the upgrade the client tried. */
		if (rec->smtp->starttls_count)
			rec->mode = STI_MODE_STARTTLS;
		else if (rec->mode == STI_MODE_UNKNOWN &&
			 (rec->smtp->greeting_seen || rec->smtp->hello_cmd != STI_SMTP_CMD_NONE ||
			  rec->smtp->mail_cmds))
			rec->mode = STI_MODE_PLAINTEXT;
	}
	if (rec->proto == STI_PROTO_SMTP || rec->proto == STI_PROTO_TLS ||
	    (rec->proto == STI_PROTO_NONE && listed_server(r, rec->srv.port)))
		r->sink(r->sink_ctx, rec);
}

/*
 * A session without a single stream event (SYNs only, or nothing but
 * empty segments) has no flow: its record is what the table knows, built
 * here without the parse state a flow would zero.
 */
static void report_bare(struct sti_recorder *r, const struct sti_session *s)
{
	struct sti_record *rec = r->scratch;
	memset(rec, 0, sizeof(*rec));
	fill_tcp(rec, s);
	r->sink(r->sink_ctx, rec);
}

static bool fatal_alert_seen(const struct sti_tls_facts *tf)
{
	for (unsigned i = 0; i < tf->nalerts && i < STI_TLS_MAX_ALERTS; i++)
		if ((!tf->alerts[i].encrypted || tf->alerts[i].decrypted) &&
		    tf->alerts[i].level == STI_TLS_ALERT_FATAL)
			return true;
	return false;
}

/*
 * Whether the verdict can no longer change before the close: TLS settled
 * both ways (established and talking, or beyond parsing), a fatal alert,
 * or a refused STARTTLS. Used for live capture, where an admin watches.
 */
static bool outcome_final(const struct flow *fl)
{
	if (tls_settled(fl))
		return true;   /* settled both ways */
	if (fl->tls) {
		if (sti_tls_settled(fl->tls, STI_C2S) && sti_tls_settled(fl->tls, STI_S2C))
			return true;
		if (fatal_alert_seen(sti_tls_facts(fl->tls)))
			return true;
	}
	if (fl->proto != STI_PROTO_SMTP)
		return false;
	if (fl->smtp_kept_as == KEPT_PACKED)
		return sti_smtp_packed_refused(fl->smtp_kept.packed);
	const struct sti_smtp_facts *sf = fl->smtp_kept_as == KEPT_COPY ? fl->smtp_kept.copy :
					  fl->smtp ? sti_smtp_facts(fl->smtp) : NULL;
	return sf && sf->starttls_refused;
}

static void maybe_report_early(struct sti_recorder *r, struct flow *fl)
{
	if (!r->early || fl->reported || !outcome_final(fl))
		return;
	fl->reported = true;
	report(r, fl, fl->s, false);
	/* Nothing later can change what was said: stop reading payload. */
	sti_session_stop_payload(fl->s, STI_C2S);
	sti_session_stop_payload(fl->s, STI_S2C);
	settle_tls(r, fl);
}

static void rec_close(void *ctx, struct sti_session *s)
{
	struct sti_recorder *r = ctx;
	if (!s->app) {
		/* no stream event: reported on a mail port, like any other
		 * session whose protocol is unknown */
		if (listed_server(r, s->srv.port))
			report_bare(r, s);
		return;
	}
	struct flow *fl = s->app;
	if (!fl->reported)
		report(r, fl, s, true);
	/* The record is out: a closed session lingers in the table only to
	 * absorb late packets, and needs none of this any more. */
	drop_flow(r, s);
}

static void rec_release(void *ctx, struct sti_session *s)
{
	drop_flow(ctx, s);
}

const struct sti_session_ops sti_recorder_ops = {
	.open = NULL,   /* state comes with the first stream event */
	.stream = rec_stream,
	.close = rec_close,
	.release = rec_release,
};
