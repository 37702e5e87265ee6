/*
 * smtp.c - the incremental SMTP layer: lines in, facts and events out.
 *
 * The framer (smtp_frame.c) hands complete lines to the parsers here:
 * replies, commands, and the facts they establish (STARTTLS offered,
 * accepted or refused, mail in clear, anomalies).
 *
 * Replies are paired with commands through a queue, because a pipelining
 * client (RFC 2920) sends several commands before the first reply.
 */
#include "sti/smtp.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sti/rd.h"
#include "sti/thread_slot.h"
#include "smtp_impl.h"

/* Whom the reply being assembled answers. */
enum { T_NONE, T_GREETING, T_HEAD };

static const char *const cmd_verbs[] = {
#define CMD_VERB(id, verb, name) verb,
	STI_SMTP_CMDS(CMD_VERB)
#undef CMD_VERB
};

static const char *const cmd_names[] = {
#define CMD_NAME(id, verb, name) name,
	STI_SMTP_CMDS(CMD_NAME)
#undef CMD_NAME
};

static const char *const an_names[] = {
#define AN_NAME(id, name, desc) name,
	STI_SMTP_ANOMALIES(AN_NAME)
#undef AN_NAME
};

static const char *const an_descs[] = {
#define AN_DESC(id, name, desc) desc,
	STI_SMTP_ANOMALIES(AN_DESC)
#undef AN_DESC
};

const char *sti_smtp_cmd_name(enum sti_smtp_cmd c)
{
	return (unsigned)c < STI_SMTP_CMD__COUNT ? cmd_names[c] : "unknown";
}

const char *sti_smtp_anomaly_name(enum sti_smtp_anomaly a)
{
	return (unsigned)a < STI_SMTP_AN__COUNT ? an_names[a] : "unknown";
}

unsigned sti_smtp_anomaly_count(const struct sti_smtp_facts *f, enum sti_smtp_anomaly a)
{
	return f->anomalies ? f->anomalies->count[a] : 0;
}

uint64_t sti_smtp_anomaly_frame(const struct sti_smtp_facts *f, enum sti_smtp_anomaly a)
{
	return f->anomalies ? f->anomalies->frame[a] : 0;
}

const char *sti_smtp_anomaly_desc(enum sti_smtp_anomaly a)
{
	return (unsigned)a < STI_SMTP_AN__COUNT ? an_descs[a] : "unknown";
}

const char *sti_smtp_offer_name(enum sti_smtp_offer o)
{
	switch (o) {
	case STI_SMTP_OFFER_UNKNOWN: return "unknown";
	case STI_SMTP_OFFER_YES: return "yes";
	case STI_SMTP_OFFER_NO: return "no";
	case STI_SMTP_OFFER_STRIPPED: return "stripped";
	}
	return "unknown";
}

const char *sti_smtp_ev_name(enum sti_smtp_ev_kind k)
{
	switch (k) {
	case STI_SMTP_EV_GREETING: return "greeting";
	case STI_SMTP_EV_COMMAND: return "command";
	case STI_SMTP_EV_REPLY: return "reply";
	case STI_SMTP_EV_CONTENT: return "content";
	case STI_SMTP_EV_SWITCH: return "switch";
	case STI_SMTP_EV_GAP: return "gap";
	case STI_SMTP_EV_ANOMALY: return "anomaly";
	case STI_SMTP_EV_END: return "end";
	}
	return "unknown";
}

static void point_reply(struct sti_smtp_reply *r, const struct sti_smtp_reply_text *t)
{
	r->enhanced = t->enhanced;
	r->text = t->text;
}

void sti_smtp_facts_blank(struct sti_smtp_facts *f)
{
	static const struct sti_smtp_reply none = { .enhanced = "", .text = "" };
	memset(f, 0, sizeof(*f));
#define BLANK_REPLY(name) f->name = none;
	STI_SMTP_REPLY_FIELDS(BLANK_REPLY)
#undef BLANK_REPLY
#define BLANK_TEXT(name, cap) f->name = "";
	STI_SMTP_TEXT_FIELDS(BLANK_TEXT)
#undef BLANK_TEXT
}

/* The parser's buffers hold what the facts' caps promise. */
#define CHECK_TEXT_CAP(name, cap)                                      \
	_Static_assert(sizeof(((struct sti_smtp *)0)->name) == (cap), \
		       #name "'s buffer is its cap");
STI_SMTP_TEXT_FIELDS(CHECK_TEXT_CAP)
#undef CHECK_TEXT_CAP

/*
 * Parsers let go of lately, kept for the next sessions to take: a parser
 * is 10.9 KB, past malloc's per-thread cache, so each cost a search of
 * the heap's bins at a session's start and a merge of free chunks at its
 * end, and came back cold. The last one let go of is taken first, its
 * lines still in the CPU's cache. Per thread (a reporter may run beside
 * a capture thread), at most SPARES_MAX (174 KB); the key frees a thread's
 * spares when it ends, the main thread's live until exit. Without the
 * sanitizers only: ASan must see each parser freed to catch a use after.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SMTP_SPARES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMTP_SPARES 0
#endif
#endif
#ifndef SMTP_SPARES
#define SMTP_SPARES 1
#endif

#define SPARES_MAX 16

struct smtp_spares {
	unsigned n;
	struct sti_smtp *p[SPARES_MAX];
};

static _Thread_local struct smtp_spares *my_spares;

static void spares_free(void *p)
{
	struct smtp_spares *s = p;
	for (unsigned i = 0; i < s->n; i++)
		free(s->p[i]);
	free(s);
}

static struct sti_thread_slot spares_slot =
	STI_THREAD_SLOT(sizeof(struct smtp_spares), spares_free);

/* This thread's spares, or NULL when they cannot be had (then parsers
 * come from malloc and go back to it). */
static struct smtp_spares *spares(void)
{
	if (SMTP_SPARES && !my_spares)
		my_spares = sti_thread_slot_make(&spares_slot);
	return my_spares;
}

struct sti_smtp *sti_smtp_new(void)
{
	struct smtp_spares *s = spares();
	struct sti_smtp *m = s && s->n ? s->p[--s->n] : malloc(sizeof(*m));
	if (!m)
		return NULL;
	memset(m, 0, offsetof(struct sti_smtp, notable));
	m->acc.active = false;
	m->d[STI_C2S].line = m->lines[STI_C2S];
	m->d[STI_S2C].line = m->lines[STI_S2C];
	m->f.notable = m->notable;
	m->f.caps = m->cap_lines;
	m->f.spans = m->spans;
#define POINT_REPLY(name) point_reply(&m->f.name, &m->name);
	STI_SMTP_REPLY_FIELDS(POINT_REPLY)
#undef POINT_REPLY
#define POINT_TEXT(name, cap) m->f.name = m->name;
	STI_SMTP_TEXT_FIELDS(POINT_TEXT)
#undef POINT_TEXT
	return m;
}

void sti_smtp_free(struct sti_smtp *m)
{
	if (!m)
		return;
	struct smtp_spares *s = spares();
	if (s && s->n < SPARES_MAX)
		s->p[s->n++] = m;
	else
		free(m);
}

void sti_smtp_set_sink(struct sti_smtp *m, sti_smtp_sink sink, void *ctx)
{
	m->sink = sink;
	m->ctx = ctx;
}

const struct sti_smtp_facts *sti_smtp_facts(const struct sti_smtp *m)
{
	return &m->f;
}

/* n bytes of src at *at, which moves past them; the copy, or NULL when
 * there are none (src may then be NULL). */
_Static_assert(sizeof(struct sti_smtp_anomalies) % 8 == 0,
	       "the anomalies keep the lists after them 8-byte aligned");

static void *settle_list(char **at, const void *src, size_t n)
{
	if (n == 0)
		return NULL;
	void *dst = memcpy(*at, src, n);
	*at += n;
	return dst;
}

static unsigned capped(unsigned n, unsigned max)
{
	return n < max ? n : max;
}

/* Strings a settled copy can hold: two per reply, the other string
 * fields, two per notable reply, one per capability. */
#define COUNT_FIELD(...) +1
#define SETTLED_STRINGS                                                  \
	(2 * (0 STI_SMTP_REPLY_FIELDS(COUNT_FIELD)) +                    \
	 (0 STI_SMTP_TEXT_FIELDS(COUNT_FIELD)) + 2 * STI_SMTP_MAX_NOTABLE + \
	 STI_SMTP_MAX_CAPS)

static void reply_values(const struct sti_smtp_reply *r, const char **val, uint8_t *cap,
			 size_t *n)
{
	val[*n] = r->enhanced;
	cap[(*n)++] = STI_SMTP_ESC_MAX;
	val[*n] = r->text;
	cap[(*n)++] = STI_SMTP_TEXT_MAX;
}

/*
 * Each string of f and of the lists it points to, with its cap: the
 * reply fields' two, the other string fields, the notable replies' two,
 * the capabilities. string_slots walks the same order.
 */
static size_t string_values(const struct sti_smtp_facts *f, const char **val, uint8_t *cap)
{
	size_t n = 0;
#define REPLY_VALUES(name) reply_values(&f->name, val, cap, &n);
	STI_SMTP_REPLY_FIELDS(REPLY_VALUES)
#undef REPLY_VALUES
#define TEXT_VALUE(name, c) val[n] = f->name, cap[n++] = (c);
	STI_SMTP_TEXT_FIELDS(TEXT_VALUE)
#undef TEXT_VALUE
	for (unsigned i = 0; i < capped(f->nnotable, STI_SMTP_MAX_NOTABLE); i++)
		reply_values(&f->notable[i], val, cap, &n);
	for (unsigned i = 0; i < capped(f->ncaps, STI_SMTP_MAX_CAPS); i++)
		val[n] = f->caps[i], cap[n++] = STI_SMTP_CAP_MAX;
	return n;
}

/* Where string_values' strings are pointed to in c, whose notable
 * replies and capability lines are the lists given. */
static void string_slots(struct sti_smtp_facts *c, struct sti_smtp_reply *notable,
			 const char **caps, const char ***slot)
{
	size_t n = 0;
#define REPLY_SLOTS(name) slot[n++] = &c->name.enhanced, slot[n++] = &c->name.text;
	STI_SMTP_REPLY_FIELDS(REPLY_SLOTS)
#undef REPLY_SLOTS
#define TEXT_SLOT(name, cap) slot[n++] = &c->name;
	STI_SMTP_TEXT_FIELDS(TEXT_SLOT)
#undef TEXT_SLOT
	for (unsigned i = 0; i < capped(c->nnotable, STI_SMTP_MAX_NOTABLE); i++) {
		slot[n++] = &notable[i].enhanced;
		slot[n++] = &notable[i].text;
	}
	for (unsigned i = 0; i < capped(c->ncaps, STI_SMTP_MAX_CAPS); i++)
		slot[n++] = &caps[i];
}

/* The lists' bytes: 8-byte entries first (the anomalies, when there was
 * one), then the capability pointers, each list aligned for its type. */
struct settled_lists {
	size_t anomalies, notable, spans, caps;
};

static struct settled_lists lists_size(const struct sti_smtp_facts *f)
{
	return (struct settled_lists){
		.anomalies = f->anomalies ? sizeof(*f->anomalies) : 0,
		.notable = capped(f->nnotable, STI_SMTP_MAX_NOTABLE) * sizeof(f->notable[0]),
		.spans = capped(f->nspans, STI_SMTP_MAX_SPANS) * sizeof(f->spans[0]),
		.caps = capped(f->ncaps, STI_SMTP_MAX_CAPS) * sizeof(f->caps[0]),
	};
}

/* The pool: each string of f as long as its text (NUL-ended within its
 * cap, as every string of the facts is), lengths with the NUL in len. */
struct pool_plan {
	const char *src[SETTLED_STRINGS];
	uint8_t cap[SETTLED_STRINGS];
	uint8_t len[SETTLED_STRINGS];
	size_t n, bytes;
};

static void plan_pool(const struct sti_smtp_facts *f, struct pool_plan *p)
{
	p->n = string_values(f, p->src, p->cap);
	p->bytes = 0;
	for (size_t i = 0; i < p->n; i++) {
		p->len[i] = (uint8_t)(strnlen(p->src[i], p->cap[i] - 1u) + 1);
		p->bytes += p->len[i];
	}
}

static size_t settled_size(const struct sti_smtp_facts *f, const struct pool_plan *p)
{
	struct settled_lists l = lists_size(f);
	return sizeof(*f) + l.anomalies + l.notable + l.spans + l.caps + p->bytes;
}

size_t sti_smtp_facts_settled_size(const struct sti_smtp_facts *f)
{
	struct pool_plan p;
	plan_pool(f, &p);
	return settled_size(f, &p);
}

struct sti_smtp_facts *sti_smtp_facts_settle(const struct sti_smtp_facts *f)
{
	struct pool_plan p;
	plan_pool(f, &p);
	struct settled_lists l = lists_size(f);
	struct sti_smtp_facts *done = malloc(settled_size(f, &p));
	if (!done)
		return NULL;
	*done = *f;
	char *at = (char *)(done + 1);
	done->anomalies = settle_list(&at, f->anomalies, l.anomalies);
	struct sti_smtp_reply *notable = settle_list(&at, f->notable, l.notable);
	done->spans = settle_list(&at, f->spans, l.spans);
	const char **caps = settle_list(&at, f->caps, l.caps);
	done->notable = notable;
	done->caps = caps;
	const char **dst[SETTLED_STRINGS];
	string_slots(done, notable, caps, dst);
	for (size_t i = 0; i < p.n; i++) {
		memcpy(at, p.src[i], p.len[i] - 1u);
		at[p.len[i] - 1u] = '\0';
		*dst[i] = at;
		at += p.len[i];
	}
	return done;
}

bool sti_smtp_switched(const struct sti_smtp *m, enum sti_dir dir)
{
	return m->d[dir].switched;
}

/* ---- small text helpers (own buffers or views from sti_rd) ---- */

static uint8_t ascii_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

static char printable_or_dot(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) ? (char)c : '.';
}

/*
 * Printable ASCII kept, anything else shown as '.', capped, NUL-ended.
 * Every reply line and capability goes through here: the bytes are taken
 * from the reader once and mapped 16 at a time where SSE2 is there.
 */
static void text_put(char *dst, size_t cap, struct sti_rd src)
{
	size_t n = sti_rd_left(&src), i = 0;
	const uint8_t *p;

	if (n > cap - 1)
		n = cap - 1;
	if (!sti_rd_take(&src, n, &p))
		n = 0;
#ifdef __SSE2__
	/* Signed bytes: 0x20..0x7e are the only ones above 0x1f and below
	 * 0x7f (0x80 and up are negative). */
	const __m128i low = _mm_set1_epi8(0x1f), high = _mm_set1_epi8(0x7f);
	const __m128i dot = _mm_set1_epi8('.');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, low), _mm_cmplt_epi8(v, high));
		__m128i out = _mm_or_si128(_mm_and_si128(ok, v), _mm_andnot_si128(ok, dot));
		_mm_storeu_si128((__m128i *)(void *)(dst + i), out);
	}
#endif
	for (; i < n; i++)
		dst[i] = printable_or_dot(p[i]);
	dst[n] = '\0';
}

/* src, NUL-ended within cap, into dst of cap bytes. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The view up to the first space, and the rest after the spaces. */
static struct sti_rd split_word(struct sti_rd *r)
{
	const uint8_t *sp = memchr(r->p, ' ', r->n);
	size_t k = sp ? (size_t)(sp - r->p) : r->n;
	struct sti_rd w = sti_rd_init(r->p, 0);
	uint8_t c;

	if (!sti_rd_sub(r, k, &w))
		return w;
	while (sti_rd_peek(r, 0, &c) && c == ' ')
		if (!sti_rd_skip(r, 1))
			break;
	return w;
}

static bool word_ieq(struct sti_rd w, const char *s)
{
	uint8_t c;

	/* The first letter first: a verb is looked up among a dozen. */
	if (!sti_rd_peek(&w, 0, &c) || ascii_upper(c) != (uint8_t)s[0])
		return w.n == 0 && s[0] == '\0';
	if (w.n != strlen(s))
		return false;
	while (sti_rd_u8(&w, &c))
		if (ascii_upper(c) != (uint8_t)*s++)
			return false;
	return true;
}

/* All 'X' (any case) except possibly the last byte: a middlebox mask. */
static bool masked_word(struct sti_rd w, bool last_free)
{
	size_t n = w.n;
	uint8_t c;

	if (n < 4)
		return false;
	for (size_t i = 0; sti_rd_u8(&w, &c); i++)
		if (ascii_upper(c) != 'X' && !(last_free && i + 1 == n))
			return false;
	return true;
}

/* Control bytes other than TAB (and a CR left in the line) mean junk. */
static bool binary_line(struct sti_rd r)
{
	uint8_t c;

	while (sti_rd_u8(&r, &c))
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return true;
	return false;
}

static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       ascii_upper((uint8_t)hay[i]) == (uint8_t)needle[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* ---- events and facts ---- */

struct sti_smtp_event smtp_ev_new(const struct sti_smtp *m,
				    enum sti_smtp_ev_kind kind, enum sti_dir dir)
{
	struct sti_smtp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.dir = dir;
	ev.frame = m->frame;
	ev.ts_us = m->ts;
	ev.offset = m->d[dir].off;
	ev.enhanced = "";
	ev.text = "";
	return ev;
}

void smtp_ev_send(struct sti_smtp *m, const struct sti_smtp_event *ev)
{
	if (m->sink)
		m->sink(m->ctx, ev);
}

/* An anomaly at stream offset `off` of dir, carried by `frame`. */
void smtp_note_at(struct sti_smtp *m, enum sti_dir dir, enum sti_smtp_anomaly a,
		    uint64_t frame, uint64_t off)
{
	struct sti_smtp_event ev = smtp_ev_new(m, STI_SMTP_EV_ANOMALY, dir);

	if (m->anomalies.count[a]++ == 0)
		m->anomalies.frame[a] = frame;
	m->f.anomalies = &m->anomalies;
	ev.frame = frame;
	ev.offset = off;
	ev.anomaly = a;
	ev.text = an_names[a];
	smtp_ev_send(m, &ev);
}

/* An anomaly in the line that starts at line_off. */
void smtp_note(struct sti_smtp *m, enum sti_dir dir, enum sti_smtp_anomaly a,
		 uint64_t frame)
{
	smtp_note_at(m, dir, a, frame, m->d[dir].line_off);
}

void smtp_add_span(struct sti_smtp *m, enum sti_dir dir,
		     enum sti_smtp_span_kind kind, uint64_t off, uint64_t len)
{
	struct sti_smtp_span *s;

	if (len == 0)
		return;
	if (m->f.nspans == STI_SMTP_MAX_SPANS) {
		m->f.spans_truncated = true;
		return;
	}
	s = &m->spans[m->f.nspans++];
	memset(s, 0, sizeof(*s));   /* padding too: the entry is copied whole */
	s->dir = dir;
	s->kind = (uint8_t)kind;
	s->offset = off;
	s->len = len;
}

/* ---- the command queue ---- */

void smtp_queue_push(struct sti_smtp *m, enum sti_smtp_cmd cmd, bool last)
{
	struct sti_smtp_pending *e;

	if (m->qlen == STI_SMTP_PIPE_MAX) {
		smtp_note(m, STI_C2S, STI_SMTP_AN_PIPELINE_OVERFLOW, m->frame);
		return;
	}
	e = &m->q[(m->qhead + m->qlen) % STI_SMTP_PIPE_MAX];
	e->cmd = cmd;
	e->last = last;
	e->frame = m->frame;
	m->qlen++;
}

static const struct sti_smtp_pending *queue_head(const struct sti_smtp *m)
{
	return m->qlen ? &m->q[m->qhead] : NULL;
}

static void queue_pop(struct sti_smtp *m)
{
	if (m->qlen == 0)
		return;
	m->qhead = (m->qhead + 1) % STI_SMTP_PIPE_MAX;
	m->qlen--;
}

/* ---- switching to TLS ---- */

void smtp_dir_reset_line(struct sti_smtp_dir *d)
{
	d->len = 0;
	d->line_total = 0;
	d->overlong = false;
	d->discard = false;
}

void smtp_switch_dir(struct sti_smtp *m, enum sti_dir dir)
{
	struct sti_smtp_dir *d = &m->d[dir];
	struct sti_smtp_event ev;

	if (d->switched)
		return;
	d->switched = true;
	d->mode = M_LINES;
	m->f.switch_offset[dir] = d->off;
	ev = smtp_ev_new(m, STI_SMTP_EV_SWITCH, dir);
	smtp_ev_send(m, &ev);
}

/*
 * The server's 220 to STARTTLS: the server is TLS from the next byte, and
 * so is every client byte fed from now on. Client bytes that came after
 * the STARTTLS line and before this moment were plaintext the server may
 * have read as part of the TLS session: the injection class.
 */
static void starttls_accepted(struct sti_smtp *m)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	uint64_t sent = c->off - m->inj_off;
	uint64_t injected = sent > m->inj_gap ? sent - m->inj_gap : 0;

	m->f.starttls_accepted = true;
	m->f.switch_frame = m->frame;
	if (injected > 0) {
		m->f.injected_bytes = injected;
		m->f.injected_frame = m->inj_frame;
		if (m->inj_line[0])
			memcpy(m->injected_line, m->inj_line,
			       sizeof(m->inj_line));
		else
			text_put(m->injected_line,
				 sizeof(m->injected_line),
				 sti_rd_init(c->line, c->len));
		smtp_note_at(m, STI_C2S, STI_SMTP_AN_PLAINTEXT_AFTER_STARTTLS,
			m->inj_frame, m->inj_off);
	}
	smtp_switch_dir(m, STI_S2C);
	smtp_switch_dir(m, STI_C2S);
	/* Commands after STARTTLS are answered inside TLS, if at all. */
	m->qlen = 0;
	m->auth_next = false;
}

/* ---- replies ---- */

/* RFC 3463 2: class "." subject "." detail, at the start of the text. */
static bool parse_enhanced(struct sti_rd r, char *out, unsigned *subject)
{
	unsigned part[3] = { 0, 0, 0 };
	size_t i = 0;
	uint8_t c;

	out[0] = '\0';
	for (unsigned k = 0; k < 3; k++) {
		unsigned digits = 0;
		while (sti_rd_peek(&r, 0, &c) && c >= '0' && c <= '9' &&
		       digits < 3) {
			part[k] = part[k] * 10 + (unsigned)(c - '0');
			out[i++] = (char)c;
			digits++;
			if (!sti_rd_skip(&r, 1))
				return false;
		}
		if (digits == 0 || (k == 0 && digits != 1))
			goto fail;
		if (k < 2) {
			if (!sti_rd_u8(&r, &c) || c != '.')
				goto fail;
			out[i++] = '.';
		}
	}
	if (sti_rd_peek(&r, 0, &c) && c != ' ')
		goto fail;
	if (part[0] != 2 && part[0] != 4 && part[0] != 5)
		goto fail;
	out[i] = '\0';
	*subject = part[1];
	return true;
fail:
	out[0] = '\0';
	return false;
}

static bool is_envelope_or_tls(enum sti_smtp_cmd c)
{
	switch (c) {
	case STI_SMTP_CMD_HELO: case STI_SMTP_CMD_EHLO: case STI_SMTP_CMD_LHLO:
	case STI_SMTP_CMD_MAIL: case STI_SMTP_CMD_RCPT:
	case STI_SMTP_CMD_DATA: case STI_SMTP_CMD_DATA_END:
	case STI_SMTP_CMD_BDAT: case STI_SMTP_CMD_STARTTLS:
	case STI_SMTP_CMD_AUTH: case STI_SMTP_CMD_AUTH_DATA:
	case STI_SMTP_CMD_MASKED: case STI_SMTP_CMD_TLS:
		return true;
	default:
		return false;
	}
}

/* 530 (RFC 3207 4) or a failure that names STARTTLS, to anything else. */
static bool says_starttls_required(const struct sti_smtp_reply *r)
{
	if (r->cmd == STI_SMTP_CMD_STARTTLS || r->code < 400)
		return false;
	return r->code == 530 || ci_contains(r->text, "STARTTLS");
}

/* r into a kept reply: its numbers, and its strings into the slot t the
 * kept reply points to. */
static void keep_reply(struct sti_smtp_reply *dst, struct sti_smtp_reply_text *t,
		       const struct sti_smtp_reply *r)
{
	if (dst->text != r->text) {   /* not itself */
		copy_str(t->enhanced, sizeof(t->enhanced), r->enhanced);
		copy_str(t->text, sizeof(t->text), r->text);
	}
	*dst = *r;
	point_reply(dst, t);
}

static void keep_notable(struct sti_smtp *m, const struct sti_smtp_reply *r,
			 unsigned subject, bool greeting)
{
	bool failure = r->code >= 400;
	bool keep = r->code == 421 || r->code == 454 || r->code == 530 ||
		    (r->enhanced[0] && subject == 7) ||
		    says_starttls_required(r) ||
		    (failure && (greeting || is_envelope_or_tls(r->cmd)));

	if (says_starttls_required(r) && !m->f.starttls_required) {
		m->f.starttls_required = true;
		m->f.starttls_required_frame = r->frame;
	}
	if (!keep)
		return;
	if (m->f.nnotable == STI_SMTP_MAX_NOTABLE) {
		m->f.notable_truncated = true;
		return;
	}
	unsigned i = m->f.nnotable++;
	point_reply(&m->notable[i], &m->notable_text[i]);   /* a fresh slot */
	keep_reply(&m->notable[i], &m->notable_text[i], r);
}

/* One EHLO reply line after the first: a capability. */
static void cap_add(struct sti_smtp *m, struct sti_rd text)
{
	struct sti_smtp_acc *a = &m->acc;
	struct sti_rd rest = text;
	struct sti_rd kw = split_word(&rest);

	if (word_ieq(kw, "STARTTLS"))
		a->has_starttls = true;
	if (masked_word(kw, true)) {
		if (kw.n == 8)  /* strlen("STARTTLS") */
			a->stripped = true;
		if (!a->masked_cap[0] || kw.n == 8)
			text_put(a->masked_cap, sizeof(a->masked_cap), kw);
		smtp_note(m, STI_S2C, STI_SMTP_AN_MASKED_CAPABILITY, m->frame);
	}
	if (a->ncaps == STI_SMTP_MAX_CAPS) {
		a->caps_truncated = true;
		return;
	}
	text_put(a->caps[a->ncaps++], STI_SMTP_CAP_MAX, text);
}

static void ehlo_done(struct sti_smtp *m, uint16_t code)
{
	struct sti_smtp_acc *a = &m->acc;
	struct sti_smtp_facts *f = &m->f;

	f->hello_code = code;
	f->hello_reply_frame = m->frame;
	if (code / 100 != 2)
		return;
	memcpy(m->caps, a->caps, sizeof(m->caps));
	for (unsigned i = 0; i < STI_SMTP_MAX_CAPS; i++)
		m->cap_lines[i] = m->caps[i];
	f->ncaps = a->ncaps;
	f->caps_truncated = a->caps_truncated;
	memcpy(m->masked_cap, a->masked_cap, sizeof(m->masked_cap));
	f->starttls_offered = a->has_starttls ? STI_SMTP_OFFER_YES :
			      a->stripped ? STI_SMTP_OFFER_STRIPPED :
			      STI_SMTP_OFFER_NO;
}

/* DATA refused: content that was pushed before the reply is not content. */
static void data_refused(struct sti_smtp *m)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	const struct sti_smtp_pending *h = queue_head(m);

	if (c->mode == M_CONTENT && c->content_len == 0) {
		c->mode = M_LINES;
		return;
	}
	if (c->mode == M_CONTENT ||
	    (h && h->cmd == STI_SMTP_CMD_DATA_END)) {
		smtp_note(m, STI_C2S, STI_SMTP_AN_CONTENT_AFTER_REJECTED_DATA, m->frame);
		if (h && h->cmd == STI_SMTP_CMD_DATA_END)
			queue_pop(m);
	}
}

/* Message content or credentials crossed without TLS (SPEC 9.1). */
void smtp_crossed_in_clear(struct sti_smtp *m)
{
	if (!m->f.mail_in_clear) {
		m->f.mail_in_clear = true;
		m->f.mail_in_clear_frame = m->frame;
	}
}

static void credentials_in_clear(struct sti_smtp *m)
{
	if (!m->f.auth_credentials) {
		m->f.auth_credentials = true;
		m->f.auth_credentials_frame = m->frame;
	}
	smtp_crossed_in_clear(m);
}

static void mail_accepted(struct sti_smtp *m, bool whole_message)
{
	if (whole_message)
		m->f.messages_accepted++;
	smtp_crossed_in_clear(m);
}

/* What a reply means for the command it answered. */
static void reply_effects(struct sti_smtp *m, const struct sti_smtp_reply *r,
			  bool bdat_last)
{
	bool ok = r->code / 100 == 2;

	switch (r->cmd) {
	case STI_SMTP_CMD_EHLO:
	case STI_SMTP_CMD_LHLO:
		ehlo_done(m, r->code);
		break;
	case STI_SMTP_CMD_HELO:
		m->f.hello_code = r->code;
		m->f.hello_reply_frame = m->frame;
		break;
	case STI_SMTP_CMD_STARTTLS:
		keep_reply(&m->f.starttls_reply, &m->starttls_reply, r);
		m->await_starttls = false;
		if (r->code == 220) {
			starttls_accepted(m);
		} else {
			m->f.starttls_refused = true;
			m->f.starttls_accepted = false;
		}
		break;
	case STI_SMTP_CMD_DATA:
		if (r->code != 354)
			data_refused(m);
		break;
	case STI_SMTP_CMD_DATA_END:
		if (ok)
			mail_accepted(m, true);
		break;
	case STI_SMTP_CMD_BDAT:
		if (ok)
			mail_accepted(m, bdat_last);
		break;
	case STI_SMTP_CMD_AUTH:
	case STI_SMTP_CMD_AUTH_DATA:
		m->auth_next = r->code == 334;  /* RFC 4954 4 */
		if (r->code != 334 && !m->f.auth_reply.code)
			keep_reply(&m->f.auth_reply, &m->auth_reply, r);
		break;
	case STI_SMTP_CMD_QUIT:
		keep_reply(&m->f.quit_reply, &m->quit_reply, r);
		break;
	case STI_SMTP_CMD_MASKED:
		keep_reply(&m->f.masked_command_reply, &m->masked_command_reply, r);
		break;
	default:
		break;
	}
}

/* Mostly asterisks: "220 ****************0*0*2******0****". */
static bool masked_banner(const char *t)
{
	size_t stars = 0, n = strlen(t);

	for (const char *s = t; *s; s++)
		stars += *s == '*';
	return stars >= 4 && stars * 2 >= n;
}

static void greeting_done(struct sti_smtp *m, struct sti_smtp_reply *r,
			  struct sti_smtp_reply_text *rt, unsigned subject)
{
	struct sti_smtp_event ev = smtp_ev_new(m, STI_SMTP_EV_GREETING, STI_S2C);

	memcpy(rt->text, m->acc.first, sizeof(rt->text));
	m->f.greeting_seen = true;
	keep_reply(&m->f.greeting, &m->greeting, r);
	if (masked_banner(r->text))
		smtp_note(m, STI_S2C, STI_SMTP_AN_MASKED_BANNER, r->frame);
	ev.offset = m->acc.off;
	ev.code = r->code;
	ev.enhanced = r->enhanced;
	ev.text = r->text;
	smtp_ev_send(m, &ev);
	keep_notable(m, r, subject, true);
}

void smtp_reply_finish(struct sti_smtp *m)
{
	struct sti_smtp_acc *a = &m->acc;
	struct sti_smtp_reply r;
	struct sti_smtp_reply_text rt;
	struct sti_smtp_event ev;
	unsigned subject = 0;
	bool last = false;

	memset(&r, 0, sizeof(r));
	memset(&rt, 0, sizeof(rt));
	r.code = a->code;
	r.cmd = a->cmd;
	r.frame = m->frame;
	r.ts_us = m->ts;
	point_reply(&r, &rt);
	memcpy(rt.text, a->text, sizeof(rt.text));
	parse_enhanced(sti_rd_init((const uint8_t *)a->text, strlen(a->text)),
		       rt.enhanced, &subject);
	if (a->target == T_HEAD) {
		const struct sti_smtp_pending *h = queue_head(m);
		last = h && h->last;
		queue_pop(m);
	}
	a->active = false;
	m->f.replies++;
	if (a->target == T_GREETING) {
		greeting_done(m, &r, &rt, subject);
		return;
	}
	if (a->target == T_NONE && r.code != 421)  /* 421 may come any time */
		smtp_note(m, STI_S2C, STI_SMTP_AN_UNPAIRED_REPLY, m->frame);
	ev = smtp_ev_new(m, STI_SMTP_EV_REPLY, STI_S2C);
	ev.offset = a->off;
	ev.cmd = r.cmd;
	ev.code = r.code;
	ev.enhanced = r.enhanced;
	ev.text = r.text;
	smtp_ev_send(m, &ev);
	keep_notable(m, &r, subject, false);
	reply_effects(m, &r, last);
}

/*
 * The first reply is the greeting (RFC 5321 3.1) unless it cannot be: a
 * capture that starts mid-session shows a reply to a command instead. A
 * 220 is the greeting unless the command waiting for it is STARTTLS.
 */
static void reply_start(struct sti_smtp *m, uint16_t code, uint64_t off)
{
	struct sti_smtp_acc *a = &m->acc;
	const struct sti_smtp_pending *h = queue_head(m);
	enum sti_smtp_cmd head = h ? h->cmd : STI_SMTP_CMD_NONE;

	memset(a, 0, sizeof(*a));
	a->active = true;
	a->code = code;
	a->off = off;
	a->target = h ? T_HEAD : T_NONE;
	if (!m->replied) {
		m->replied = true;
		if ((code == 220 && head != STI_SMTP_CMD_STARTTLS) ||
		    code == 421 || code == 554)
			a->target = T_GREETING;
		else
			smtp_note(m, STI_S2C, STI_SMTP_AN_NO_GREETING, m->frame);
	}
	a->cmd = a->target == T_HEAD ? head : STI_SMTP_CMD_NONE;
}

/* RFC 5321 4.2: three digits, then SP, "-" or the end of the line. */
static bool reply_code(struct sti_rd *r, uint16_t *code, bool *more)
{
	uint8_t c[3], sep = ' ';

	if (!sti_rd_copy(r, c, 3))
		return false;
	if (c[0] < '1' || c[0] > '5' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9')
		return false;
	if (sti_rd_u8(r, &sep) && sep != ' ' && sep != '-')
		return false;
	*code = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 +
			   (c[2] - '0'));
	*more = sep == '-';
	return true;
}

/*
 * A reply to MAIL, RCPT, VRFY or EXPN may echo the address (sendmail:
 * "250 2.1.0 <who@example.org>... Sender ok"): every word with an '@' in
 * it is a span to redact. `text` starts at stream offset text_off.
 */
static void echo_spans(struct sti_smtp *m, struct sti_rd text, uint64_t text_off)
{
	uint64_t pos = 0, start = 0;
	bool at = false;
	uint8_t c;

	for (;;) {
		bool got = sti_rd_u8(&text, &c);
		if (!got || c == ' ') {
			if (at)
				smtp_add_span(m, STI_S2C, STI_SMTP_SPAN_ENVELOPE, text_off + start, pos - start);
			if (!got)
				return;
			start = pos + 1;
			at = false;
		} else if (c == '@') {
			at = true;
		}
		pos++;
	}
}

void smtp_server_line(struct sti_smtp *m, struct sti_rd line, uint64_t off)
{
	struct sti_smtp_acc *a = &m->acc;
	struct sti_rd text = line;
	uint16_t code;
	bool more;

	if (!reply_code(&text, &code, &more)) {
		smtp_note(m, STI_S2C, binary_line(line) ? STI_SMTP_AN_BINARY_LINE :
			   STI_SMTP_AN_REPLY_WITHOUT_CODE, m->frame);
		if (!m->replied) {
			m->replied = true;
			smtp_note(m, STI_S2C, STI_SMTP_AN_NO_GREETING, m->frame);
		}
		return;
	}
	if (!a->active)
		reply_start(m, code, off);
	else if (code != a->code)
		smtp_note(m, STI_S2C, STI_SMTP_AN_REPLY_CODE_MISMATCH, m->frame);
	if (a->cmd == STI_SMTP_CMD_MAIL || a->cmd == STI_SMTP_CMD_RCPT ||
	    a->cmd == STI_SMTP_CMD_VRFY || a->cmd == STI_SMTP_CMD_EXPN)
		echo_spans(m, text, off + (line.n - text.n));
	if (++a->lines == 1)
		text_put(a->first, sizeof(a->first), text);
	else if (a->cmd == STI_SMTP_CMD_EHLO || a->cmd == STI_SMTP_CMD_LHLO)
		cap_add(m, text);
	if (more)
		return;
	text_put(a->text, sizeof(a->text), text);
	smtp_reply_finish(m);
}

/* ---- commands ---- */

static enum sti_smtp_cmd verb_lookup(struct sti_rd verb)
{
	for (unsigned i = 0; i < STI_SMTP_CMD__COUNT; i++)
		if (cmd_verbs[i] && word_ieq(verb, cmd_verbs[i]))
			return (enum sti_smtp_cmd)i;
	if (masked_word(verb, false))
		return STI_SMTP_CMD_MASKED;
	return STI_SMTP_CMD_OTHER;
}

/* RFC 3030 2: "BDAT" SP chunk-size [ SP "LAST" ]. */
static bool parse_bdat(struct sti_rd args, uint64_t *size, bool *last)
{
	struct sti_rd num = split_word(&args);
	uint8_t c;

	*size = 0;
	*last = false;
	if (num.n == 0 || num.n > 15)  /* beyond any real chunk */
		return false;
	while (sti_rd_u8(&num, &c)) {
		if (c < '0' || c > '9')
			return false;
		*size = *size * 10 + (uint64_t)(c - '0');
	}
	*last = word_ieq(split_word(&args), "LAST");
	return true;
}

static void start_content(struct sti_smtp_dir *c, int mode, uint64_t left)
{
	c->mode = mode;
	c->dot = DOT_BOL;
	c->content_off = c->off;
	c->content_len = 0;
	c->bdat_left = left;
}

static void cmd_bdat(struct sti_smtp *m, struct sti_rd args, bool *last)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	uint64_t size;

	m->f.bdat_cmds++;
	if (!parse_bdat(args, &size, last)) {
		smtp_note(m, STI_C2S, STI_SMTP_AN_BAD_BDAT, m->frame);
		return;
	}
	if (size > 0)
		start_content(c, M_BDAT, size);
}

static void cmd_starttls(struct sti_smtp *m)
{
	m->f.starttls_count++;
	m->f.starttls_frame = m->frame;
	m->f.starttls_ts = m->ts;
	keep_reply(&m->f.starttls_reply, &m->starttls_reply,
		   &(const struct sti_smtp_reply){ .enhanced = "", .text = "" });
	m->f.starttls_accepted = false;
	m->f.starttls_refused = false;
	m->await_starttls = true;
	m->inj_off = m->d[STI_C2S].off;
	m->inj_gap = 0;
	m->inj_frame = 0;
	m->inj_line[0] = '\0';
}

/* The length of keyword (upper case) at the start of args, or 0. */
static uint64_t path_keyword_len(struct sti_rd args, const char *keyword)
{
	size_t n = strlen(keyword);
	struct sti_rd head;
	if (!sti_rd_sub(&args, n, &head))
		return 0;
	return word_ieq(head, keyword) ? n : 0;
}

/*
 * Per-verb facts. `args` is the line after the verb; `off`/`wire_len`
 * place the line in the stream for redaction. Returns the event text to
 * show, which leaves credentials out.
 */
/* A command after the greeting reply that goes on without STARTTLS. */
static void note_went_on(struct sti_smtp *m, enum sti_smtp_cmd cmd)
{
	bool greeting = cmd == STI_SMTP_CMD_HELO || cmd == STI_SMTP_CMD_EHLO ||
			cmd == STI_SMTP_CMD_LHLO;
	if (m->f.hello_reply_frame && !m->f.went_on_frame && !greeting &&
	    cmd != STI_SMTP_CMD_STARTTLS && cmd != STI_SMTP_CMD_TLS)
		m->f.went_on_frame = m->frame;
}

static void cmd_effects(struct sti_smtp *m, enum sti_smtp_cmd cmd,
			struct sti_rd line, struct sti_rd args, uint64_t off,
			uint64_t wire_len, bool *last)
{
	uint64_t arg_at = off + (line.n - args.n), k;
	uint64_t arg_len = wire_len > line.n - args.n ?
			   wire_len - (line.n - args.n) : 0;
	note_went_on(m, cmd);
	struct sti_rd rest = args;

	switch (cmd) {
	case STI_SMTP_CMD_HELO:
	case STI_SMTP_CMD_EHLO:
	case STI_SMTP_CMD_LHLO:
		m->f.hello_cmd = cmd;
		m->f.hello_frame = m->frame;
		m->f.hello_code = 0;
		text_put(m->hello_name, sizeof(m->hello_name), args);
		break;
	case STI_SMTP_CMD_MAIL:
	case STI_SMTP_CMD_RCPT:
		if (cmd == STI_SMTP_CMD_MAIL)
			m->f.mail_cmds++;
		else
			m->f.rcpt_cmds++;
		/* "FROM:"/"TO:" is the command, not the address: it stays
		 * readable in a redacted capture. */
		k = path_keyword_len(args, cmd == STI_SMTP_CMD_MAIL ? "FROM:" : "TO:");
		if (k <= arg_len)
			smtp_add_span(m, STI_C2S, STI_SMTP_SPAN_ENVELOPE, arg_at + k, arg_len - k);
		break;
	case STI_SMTP_CMD_DATA:
		/* Content from here unless the reply refuses it: some
		 * pipelining clients push the message without waiting. */
		m->f.data_cmds++;
		start_content(&m->d[STI_C2S], M_CONTENT, 0);
		break;
	case STI_SMTP_CMD_BDAT:
		cmd_bdat(m, args, last);
		break;
	case STI_SMTP_CMD_STARTTLS:
		cmd_starttls(m);
		break;
	case STI_SMTP_CMD_AUTH: {
		m->f.auth_cmds++;
		struct sti_rd mech = split_word(&rest);  /* not secret */
		if (!m->f.auth_frame) {
			m->f.auth_frame = m->frame;
			text_put(m->auth_mech, sizeof(m->auth_mech), mech);
		}
		if (rest.n)   /* an initial response: credentials */
			credentials_in_clear(m);
		smtp_add_span(m, STI_C2S, STI_SMTP_SPAN_AUTH, off + (line.n - rest.n),
			 rest.n ? wire_len - (line.n - rest.n) : 0);
		break;
	}
	case STI_SMTP_CMD_QUIT:
		m->f.quit_frame = m->frame;
		break;
	case STI_SMTP_CMD_MASKED:
		if (m->f.masked_commands++ == 0)
			m->f.masked_command_frame = m->frame;
		smtp_note(m, STI_C2S, STI_SMTP_AN_MASKED_COMMAND, m->frame);
		break;
	default:
		break;
	}
}

void smtp_client_line(struct sti_smtp *m, struct sti_rd line, uint64_t off,
			uint64_t wire_len)
{
	struct sti_smtp_event ev = smtp_ev_new(m, STI_SMTP_EV_COMMAND, STI_C2S);
	char text[STI_SMTP_TEXT_MAX];
	struct sti_rd args = line, verb, shown = line;
	enum sti_smtp_cmd cmd;
	bool last = false;

	if (m->await_starttls && !m->inj_line[0])
		text_put(m->inj_line, sizeof(m->inj_line), line);
	if (m->auth_next) {
		m->auth_next = false;
		cmd = STI_SMTP_CMD_AUTH_DATA;
		uint8_t c0;
		bool cancel = line.n == 1 && sti_rd_peek(&line, 0, &c0) && c0 == '*';
		if (line.n && !cancel)   /* RFC 4954 4: "*" cancels */
			credentials_in_clear(m);
		smtp_add_span(m, STI_C2S, STI_SMTP_SPAN_AUTH, off, wire_len);
		shown = sti_rd_init(line.p, 0);
	} else if (binary_line(line)) {
		cmd = STI_SMTP_CMD_BINARY;
		smtp_note(m, STI_C2S, STI_SMTP_AN_BINARY_LINE, m->frame);
	} else {
		verb = split_word(&args);
		cmd = verb_lookup(verb);
		if (cmd == STI_SMTP_CMD_AUTH) {  /* show the mechanism only */
			struct sti_rd rest = args;
			struct sti_rd mech = split_word(&rest);
			shown = sti_rd_init(line.p,
					    (size_t)(mech.p - line.p) + mech.n);
		}
		cmd_effects(m, cmd, line, args, off, wire_len, &last);
	}
	m->f.commands++;
	smtp_queue_push(m, cmd, last);
	text_put(text, sizeof(text), shown);
	ev.offset = off;
	ev.cmd = cmd;
	ev.text = text;
	smtp_ev_send(m, &ev);
}
