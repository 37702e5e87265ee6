/*
 * smtp_pack.c - the compact form of a session's SMTP facts once both
 * directions switched to TLS (smtp.h, sti_smtp_facts_pack): what an open
 * session keeps of its plaintext conversation, written once and rebuilt
 * into the readers' struct once, when the session is reported.
 *
 * Field by field: frames, counters and stream offsets in 32 bits, a reply
 * in 16 bytes (its strings pooled), enums in 8 bits, flags in bits. The
 * greeting and the STARTTLS reply are always kept; what a STARTTLS session
 * rarely has before its switch is a group kept only when present: the
 * injected plaintext, TLS records in plaintext, middlebox masking, mail
 * transfer, QUIT, AUTH, the anomalies, a gap, redaction spans. The notable
 * replies and capabilities follow at their counts; each string is in one
 * pool, led by its length, as long as it is. Facts with a value beyond a
 * narrowed field are not packed (sti_smtp_facts_settle keeps them whole).
 */
#include "sti/smtp.h"

#include <stdlib.h>
#include <string.h>

/* A reply; its enhanced code and text are pooled. */
struct packed_reply {
	int64_t ts_us;
	uint32_t frame;
	uint16_t code;
	uint8_t cmd;      /* enum sti_smtp_cmd */
};

struct packed_injected {
	uint64_t bytes, frame;
};

struct packed_tls_plain {
	uint64_t frame[2];
	unsigned records[2];
	uint8_t type[2];
};

struct packed_masked {
	struct packed_reply reply;
	uint64_t frame;
	unsigned commands;
};

struct packed_mail {
	uint64_t message_bytes, in_clear_frame;
	unsigned mail, rcpt, data, bdat, auth, accepted;
	bool in_clear;
};

struct packed_quit {
	struct packed_reply reply;
	uint64_t frame;
};

struct packed_auth {
	struct packed_reply reply;
	uint64_t frame, credentials_frame;
	bool credentials;
};

struct packed_spans {
	unsigned n;
};

/* Groups, in the order they follow the core. */
enum {
	G_INJECTED = 1 << 0,
	G_TLS_PLAIN = 1 << 1,
	G_MASKED = 1 << 2,
	G_MAIL = 1 << 3,
	G_QUIT = 1 << 4,
	G_AUTH = 1 << 5,
	G_ANOMALIES = 1 << 6,
	G_GAP = 1 << 7,
	G_SPANS = 1 << 8,
};

struct sti_smtp_packed {
	struct packed_reply greeting, starttls_reply;
	int64_t starttls_ts;
	uint32_t hello_frame, starttls_count, starttls_frame, switch_frame;
	uint32_t switch_offset[2];
	uint32_t starttls_required_frame, hello_reply_frame, went_on_frame;
	uint32_t commands, replies;
	uint32_t size;    /* of the whole allocation */
	uint16_t hello_code;
	uint16_t groups;
	uint8_t hello_cmd, starttls_offered, ncaps, nnotable;
	bool greeting_seen : 1, caps_truncated : 1, starttls_accepted : 1;
	bool starttls_refused : 1, client_tls_before_reply : 1, starttls_required : 1;
	bool notable_truncated : 1, spans_truncated : 1;
};

/* Every group and the core keep 8-byte alignment; the notable replies
 * (16 bytes each) follow the groups, then the pool. */
_Static_assert(sizeof(struct sti_smtp_packed) % 8 == 0, "core keeps alignment");
_Static_assert(sizeof(struct packed_reply) == 16, "a reply is 16 bytes");
_Static_assert(sizeof(struct packed_injected) % 8 == 0 && sizeof(struct packed_tls_plain) % 8 == 0 &&
	       sizeof(struct packed_masked) % 8 == 0 && sizeof(struct packed_mail) % 8 == 0 &&
	       sizeof(struct packed_quit) % 8 == 0 && sizeof(struct packed_auth) % 8 == 0 &&
	       sizeof(struct sti_smtp_anomalies) % 8 == 0 && sizeof(struct sti_smtp_span) % 8 == 0,
	       "groups keep alignment");
_Static_assert(STI_SMTP_CMD__COUNT <= UINT8_MAX, "a command fits 8 bits");
_Static_assert(STI_SMTP_TEXT_MAX <= UINT8_MAX && STI_SMTP_NAME_MAX <= UINT8_MAX &&
	       STI_SMTP_CAP_MAX <= UINT8_MAX && STI_SMTP_ESC_MAX <= UINT8_MAX &&
	       STI_SMTP_MECH_MAX <= UINT8_MAX, "a string's length with its NUL fits 8 bits");

static bool reply_empty(const struct sti_smtp_reply *r)
{
	return !r->code && !r->cmd && !r->frame && !r->ts_us && !r->enhanced[0] && !r->text[0];
}

static unsigned groups_of(const struct sti_smtp_facts *f)
{
	unsigned g = 0;
	if (f->injected_bytes || f->injected_frame || f->injected_line[0])
		g |= G_INJECTED;
	if (f->tls_records_in_plaintext[0] | f->tls_records_in_plaintext[1] ||
	    f->tls_in_plaintext_frame[0] | f->tls_in_plaintext_frame[1] ||
	    f->tls_in_plaintext_type[0] | f->tls_in_plaintext_type[1])
		g |= G_TLS_PLAIN;
	if (f->masked_commands || f->masked_command_frame || f->masked_cap[0] ||
	    !reply_empty(&f->masked_command_reply))
		g |= G_MASKED;
	if (f->mail_cmds | f->rcpt_cmds | f->data_cmds | f->bdat_cmds | f->auth_cmds |
	    f->messages_accepted || f->message_bytes || f->mail_in_clear || f->mail_in_clear_frame)
		g |= G_MAIL;
	if (f->quit_frame || !reply_empty(&f->quit_reply))
		g |= G_QUIT;
	if (f->auth_frame || f->auth_credentials || f->auth_credentials_frame ||
	    f->auth_mech[0] || !reply_empty(&f->auth_reply))
		g |= G_AUTH;
	if (f->anomalies)
		g |= G_ANOMALIES;
	if (f->gap_bytes)
		g |= G_GAP;
	if (f->nspans)
		g |= G_SPANS;
	return g;
}

static unsigned capped(unsigned n, unsigned max)
{
	return n < max ? n : max;
}

/* Whether every narrowed value fits: ORed, a bit above the width shows. */
static bool fits(const struct sti_smtp_facts *f)
{
	uint64_t w32 = f->greeting.frame | f->starttls_reply.frame | f->hello_frame |
		       f->starttls_frame | f->switch_frame | f->switch_offset[0] |
		       f->switch_offset[1] | f->starttls_required_frame | f->hello_reply_frame |
		       f->went_on_frame | f->masked_command_reply.frame | f->quit_reply.frame |
		       f->auth_reply.frame;
	for (unsigned i = 0; i < capped(f->nnotable, STI_SMTP_MAX_NOTABLE); i++)
		w32 |= f->notable[i].frame;
	uint64_t w8 = (uint64_t)f->hello_cmd | f->starttls_offered | f->ncaps | f->nnotable;
	return !(w32 >> 32) && !(w8 >> 8);
}

/* ---- the plan: groups, and each pooled string's length ---- */

/* Strings the pool can hold: two per reply field, the other string
 * fields, two per notable reply, one per capability. */
#define POOL_MAX (5 * 2 + 4 + 2 * STI_SMTP_MAX_NOTABLE + STI_SMTP_MAX_CAPS)

struct plan {
	unsigned groups;
	const char *src[POOL_MAX];
	uint8_t len[POOL_MAX];   /* with the NUL */
	size_t nstr, size;
};

static void plan_string(struct plan *p, const char *s, size_t cap)
{
	p->src[p->nstr] = s;
	p->len[p->nstr++] = (uint8_t)(strnlen(s, cap - 1) + 1);
}

static void plan_reply(struct plan *p, const struct sti_smtp_reply *r)
{
	plan_string(p, r->enhanced, STI_SMTP_ESC_MAX);
	plan_string(p, r->text, STI_SMTP_TEXT_MAX);
}

/* The pool's order; unpack_strings reads the same. */
static void plan_strings(struct plan *p, const struct sti_smtp_facts *f)
{
	unsigned g = p->groups;
	p->nstr = 0;
	plan_reply(p, &f->greeting);
	plan_reply(p, &f->starttls_reply);
	plan_string(p, f->hello_name, STI_SMTP_NAME_MAX);
	if (g & G_INJECTED)
		plan_string(p, f->injected_line, STI_SMTP_TEXT_MAX);
	if (g & G_MASKED) {
		plan_string(p, f->masked_cap, STI_SMTP_CAP_MAX);
		plan_reply(p, &f->masked_command_reply);
	}
	if (g & G_QUIT)
		plan_reply(p, &f->quit_reply);
	if (g & G_AUTH) {
		plan_string(p, f->auth_mech, STI_SMTP_MECH_MAX);
		plan_reply(p, &f->auth_reply);
	}
	for (unsigned i = 0; i < capped(f->nnotable, STI_SMTP_MAX_NOTABLE); i++)
		plan_reply(p, &f->notable[i]);
	for (unsigned i = 0; i < capped(f->ncaps, STI_SMTP_MAX_CAPS); i++)
		plan_string(p, f->caps[i], STI_SMTP_CAP_MAX);
}

static size_t groups_size(const struct sti_smtp_facts *f, unsigned g)
{
	size_t n = 0;
	n += (size_t)!!(g & G_INJECTED) * sizeof(struct packed_injected);
	n += (size_t)!!(g & G_TLS_PLAIN) * sizeof(struct packed_tls_plain);
	n += (size_t)!!(g & G_MASKED) * sizeof(struct packed_masked);
	n += (size_t)!!(g & G_MAIL) * sizeof(struct packed_mail);
	n += (size_t)!!(g & G_QUIT) * sizeof(struct packed_quit);
	n += (size_t)!!(g & G_AUTH) * sizeof(struct packed_auth);
	n += (size_t)!!(g & G_ANOMALIES) * sizeof(struct sti_smtp_anomalies);
	n += (size_t)!!(g & G_GAP) * sizeof(uint64_t);
	if (g & G_SPANS)
		n += 8 + capped(f->nspans, STI_SMTP_MAX_SPANS) * sizeof(struct sti_smtp_span);
	return n;
}

static void plan_of(struct plan *p, const struct sti_smtp_facts *f)
{
	p->groups = groups_of(f);
	plan_strings(p, f);
	size_t n = sizeof(struct sti_smtp_packed) + groups_size(f, p->groups) +
		   capped(f->nnotable, STI_SMTP_MAX_NOTABLE) * sizeof(struct packed_reply);
	for (size_t i = 0; i < p->nstr; i++)
		n += 1u + p->len[i];
	p->size = n;
}

/* ---- writing ---- */

static void put(char **at, const void *src, size_t n)
{
	memcpy(*at, src, n);
	*at += n;
}

static struct packed_reply pack_reply(const struct sti_smtp_reply *r)
{
	return (struct packed_reply){ .ts_us = r->ts_us, .frame = (uint32_t)r->frame,
				      .code = r->code, .cmd = (uint8_t)r->cmd };
}

static void pack_core(struct sti_smtp_packed *p, const struct sti_smtp_facts *f,
		      const struct plan *pl)
{
	memset(p, 0, sizeof(*p));
	p->greeting = pack_reply(&f->greeting);
	p->starttls_reply = pack_reply(&f->starttls_reply);
	p->starttls_ts = f->starttls_ts;
	p->hello_frame = (uint32_t)f->hello_frame;
	p->starttls_count = f->starttls_count;
	p->starttls_frame = (uint32_t)f->starttls_frame;
	p->switch_frame = (uint32_t)f->switch_frame;
	p->switch_offset[0] = (uint32_t)f->switch_offset[0];
	p->switch_offset[1] = (uint32_t)f->switch_offset[1];
	p->starttls_required_frame = (uint32_t)f->starttls_required_frame;
	p->hello_reply_frame = (uint32_t)f->hello_reply_frame;
	p->went_on_frame = (uint32_t)f->went_on_frame;
	p->commands = f->commands;
	p->replies = f->replies;
	p->size = (uint32_t)pl->size;
	p->hello_code = f->hello_code;
	p->groups = (uint16_t)pl->groups;
	p->hello_cmd = (uint8_t)f->hello_cmd;
	p->starttls_offered = (uint8_t)f->starttls_offered;
	p->ncaps = (uint8_t)f->ncaps;
	p->nnotable = (uint8_t)f->nnotable;
	p->greeting_seen = f->greeting_seen;
	p->caps_truncated = f->caps_truncated;
	p->starttls_accepted = f->starttls_accepted;
	p->starttls_refused = f->starttls_refused;
	p->client_tls_before_reply = f->client_tls_before_reply;
	p->starttls_required = f->starttls_required;
	p->notable_truncated = f->notable_truncated;
	p->spans_truncated = f->spans_truncated;
}

static void put_groups(char **at, const struct sti_smtp_facts *f, unsigned g)
{
	if (g & G_INJECTED) {
		struct packed_injected x = { f->injected_bytes, f->injected_frame };
		put(at, &x, sizeof(x));
	}
	if (g & G_TLS_PLAIN) {
		struct packed_tls_plain x = {
			{ f->tls_in_plaintext_frame[0], f->tls_in_plaintext_frame[1] },
			{ f->tls_records_in_plaintext[0], f->tls_records_in_plaintext[1] },
			{ f->tls_in_plaintext_type[0], f->tls_in_plaintext_type[1] } };
		put(at, &x, sizeof(x));
	}
	if (g & G_MASKED) {
		struct packed_masked x = { pack_reply(&f->masked_command_reply),
					   f->masked_command_frame, f->masked_commands };
		put(at, &x, sizeof(x));
	}
	if (g & G_MAIL) {
		struct packed_mail x = { f->message_bytes, f->mail_in_clear_frame, f->mail_cmds,
					 f->rcpt_cmds, f->data_cmds, f->bdat_cmds, f->auth_cmds,
					 f->messages_accepted, f->mail_in_clear };
		put(at, &x, sizeof(x));
	}
	if (g & G_QUIT) {
		struct packed_quit x = { pack_reply(&f->quit_reply), f->quit_frame };
		put(at, &x, sizeof(x));
	}
	if (g & G_AUTH) {
		struct packed_auth x = { pack_reply(&f->auth_reply), f->auth_frame,
					 f->auth_credentials_frame, f->auth_credentials };
		put(at, &x, sizeof(x));
	}
	if (g & G_ANOMALIES)
		put(at, f->anomalies, sizeof(*f->anomalies));
	if (g & G_GAP)
		put(at, &f->gap_bytes, sizeof(f->gap_bytes));
	if (g & G_SPANS) {
		uint64_t n = f->nspans;
		put(at, &n, sizeof(n));
		put(at, f->spans, capped(f->nspans, STI_SMTP_MAX_SPANS) * sizeof(f->spans[0]));
	}
}

struct sti_smtp_packed *sti_smtp_facts_pack(const struct sti_smtp_facts *f)
{
	if (!fits(f))
		return NULL;
	struct plan pl;
	plan_of(&pl, f);
	struct sti_smtp_packed *p = malloc(pl.size);
	if (!p)
		return NULL;
	pack_core(p, f, &pl);
	char *at = (char *)(p + 1);
	put_groups(&at, f, pl.groups);
	for (unsigned i = 0; i < capped(f->nnotable, STI_SMTP_MAX_NOTABLE); i++) {
		struct packed_reply r = pack_reply(&f->notable[i]);
		put(&at, &r, sizeof(r));
	}
	for (size_t i = 0; i < pl.nstr; i++) {
		*at++ = (char)pl.len[i];
		memcpy(at, pl.src[i], pl.len[i] - 1u);
		at[pl.len[i] - 1u] = '\0';
		at += pl.len[i];
	}
	return p;
}

size_t sti_smtp_packed_size(const struct sti_smtp_packed *p)
{
	return p->size;
}

bool sti_smtp_packed_refused(const struct sti_smtp_packed *p)
{
	return p->starttls_refused;
}

/* ---- reading ---- */

/* The next pooled string, and past it. */
static const char *take_string(const char **at)
{
	const char *s = *at + 1;
	*at = s + (uint8_t)**at;
	return s;
}

static void unpack_reply(struct sti_smtp_reply *r, const struct packed_reply *p, const char **at)
{
	r->code = p->code;
	r->cmd = (enum sti_smtp_cmd)p->cmd;
	r->frame = p->frame;
	r->ts_us = p->ts_us;
	r->enhanced = take_string(at);
	r->text = take_string(at);
}

static void unpack_core(struct sti_smtp_facts *f, const struct sti_smtp_packed *p)
{
	f->greeting_seen = p->greeting_seen;
	f->hello_cmd = (enum sti_smtp_cmd)p->hello_cmd;
	f->hello_frame = p->hello_frame;
	f->hello_code = p->hello_code;
	f->starttls_offered = (enum sti_smtp_offer)p->starttls_offered;
	f->ncaps = p->ncaps;
	f->caps_truncated = p->caps_truncated;
	f->starttls_count = p->starttls_count;
	f->starttls_frame = p->starttls_frame;
	f->starttls_ts = p->starttls_ts;
	f->starttls_accepted = p->starttls_accepted;
	f->starttls_refused = p->starttls_refused;
	f->switch_frame = p->switch_frame;
	f->switch_offset[0] = p->switch_offset[0];
	f->switch_offset[1] = p->switch_offset[1];
	f->client_tls_before_reply = p->client_tls_before_reply;
	f->starttls_required = p->starttls_required;
	f->starttls_required_frame = p->starttls_required_frame;
	f->nnotable = p->nnotable;
	f->notable_truncated = p->notable_truncated;
	f->commands = p->commands;
	f->replies = p->replies;
	f->hello_reply_frame = p->hello_reply_frame;
	f->went_on_frame = p->went_on_frame;
	f->spans_truncated = p->spans_truncated;
}

/* The groups' values; their strings come with the pool. */
/* put's reverse: copy the next n bytes of the form out and step past them. */
static void take(const char **at, void *dst, size_t n)
{
	memcpy(dst, *at, n);
	*at += n;
}

static void take_groups(struct sti_smtp_facts *f, unsigned g, const char **at,
			struct packed_reply *masked, struct packed_reply *quit,
			struct packed_reply *auth)
{
	if (g & G_INJECTED) {
		struct packed_injected x;
		take(at, &x, sizeof(x));
		f->injected_bytes = x.bytes;
		f->injected_frame = x.frame;
	}
	if (g & G_TLS_PLAIN) {
		struct packed_tls_plain x;
		take(at, &x, sizeof(x));
		for (int d = 0; d < 2; d++) {
			f->tls_in_plaintext_frame[d] = x.frame[d];
			f->tls_records_in_plaintext[d] = x.records[d];
			f->tls_in_plaintext_type[d] = x.type[d];
		}
	}
	if (g & G_MASKED) {
		struct packed_masked x;
		take(at, &x, sizeof(x));
		*masked = x.reply;
		f->masked_command_frame = x.frame;
		f->masked_commands = x.commands;
	}
	if (g & G_MAIL) {
		struct packed_mail x;
		take(at, &x, sizeof(x));
		f->message_bytes = x.message_bytes;
		f->mail_in_clear_frame = x.in_clear_frame;
		f->mail_cmds = x.mail;
		f->rcpt_cmds = x.rcpt;
		f->data_cmds = x.data;
		f->bdat_cmds = x.bdat;
		f->auth_cmds = x.auth;
		f->messages_accepted = x.accepted;
		f->mail_in_clear = x.in_clear;
	}
	if (g & G_QUIT) {
		struct packed_quit x;
		take(at, &x, sizeof(x));
		*quit = x.reply;
		f->quit_frame = x.frame;
	}
	if (g & G_AUTH) {
		struct packed_auth x;
		take(at, &x, sizeof(x));
		*auth = x.reply;
		f->auth_frame = x.frame;
		f->auth_credentials_frame = x.credentials_frame;
		f->auth_credentials = x.credentials;
	}
	if (g & G_ANOMALIES) {
		f->anomalies = (const struct sti_smtp_anomalies *)(const void *)*at;
		*at += sizeof(struct sti_smtp_anomalies);
	}
	if (g & G_GAP) {
		take(at, &f->gap_bytes, sizeof(f->gap_bytes));
	}
	if (g & G_SPANS) {
		uint64_t n;
		take(at, &n, sizeof(n));
		f->nspans = (unsigned)n;
		f->spans = (const struct sti_smtp_span *)(const void *)*at;
		*at += capped(f->nspans, STI_SMTP_MAX_SPANS) * sizeof(struct sti_smtp_span);
	}
}

/* An absent reply group: no code, empty strings. */
static void no_reply(struct sti_smtp_reply *r)
{
	r->enhanced = r->text = "";
}

const struct sti_smtp_facts *sti_smtp_packed_facts(const struct sti_smtp_packed *p,
						   struct sti_smtp_view *view)
{
	struct sti_smtp_facts *f = &view->facts;
	unsigned g = p->groups;
	struct packed_reply masked = { 0 }, quit = { 0 }, auth = { 0 };
	memset(f, 0, sizeof(*f));
	unpack_core(f, p);
	const char *at = (const char *)(p + 1);
	take_groups(f, g, &at, &masked, &quit, &auth);
	const struct packed_reply *notable = (const struct packed_reply *)(const void *)at;
	unsigned nn = capped(f->nnotable, STI_SMTP_MAX_NOTABLE);
	at += nn * sizeof(struct packed_reply);
	/* the pool, in plan_strings' order */
	unpack_reply(&f->greeting, &p->greeting, &at);
	unpack_reply(&f->starttls_reply, &p->starttls_reply, &at);
	f->hello_name = take_string(&at);
	f->injected_line = g & G_INJECTED ? take_string(&at) : "";
	f->masked_cap = "";
	no_reply(&f->masked_command_reply);
	no_reply(&f->quit_reply);
	no_reply(&f->auth_reply);
	f->auth_mech = "";
	if (g & G_MASKED) {
		f->masked_cap = take_string(&at);
		unpack_reply(&f->masked_command_reply, &masked, &at);
	}
	if (g & G_QUIT)
		unpack_reply(&f->quit_reply, &quit, &at);
	if (g & G_AUTH) {
		f->auth_mech = take_string(&at);
		unpack_reply(&f->auth_reply, &auth, &at);
	}
	for (unsigned i = 0; i < nn; i++)
		unpack_reply(&view->notable[i], &notable[i], &at);
	f->notable = nn ? view->notable : NULL;
	unsigned nc = capped(f->ncaps, STI_SMTP_MAX_CAPS);
	for (unsigned i = 0; i < nc; i++)
		view->caps[i] = take_string(&at);
	f->caps = nc ? view->caps : NULL;
	return f;
}

void sti_smtp_packed_free(struct sti_smtp_packed *p)
{
	free(p);
}
