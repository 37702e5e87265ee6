/*
 * tls_record.c - the incremental TLS layer's framing: records and the
 * handshake messages inside them (with tls_state.c, which infers from
 * them what was encrypted and whether the handshake was established).
 *
 * Each direction is a small state machine: read a record header, then its
 * body. Cleartext handshake bodies go through a second framer that cuts
 * them into messages across records and feeds; a message whole in the
 * current chunk is parsed in place, otherwise it is copied into the
 * direction's bounded buffer. Alert and ChangeCipherSpec bodies are at most
 * two bytes kept in the state; everything else is skipped. Record-level
 * bookkeeping (counts, tail, encryption state, establishment: tls_state.c)
 * happens when a record's last byte arrives, so the facts do not depend on
 * how the bytes were split.
 */
#include "sti/tls.h"

#include "sti/rd.h"
#include "sti/tls_decrypt.h"
#include "sti/tls_keylog.h"
#include "tls_impl.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum dir_state {
	ST_HDR,     /* reading a 5-byte record header (or SSLv2's first 3) */
	ST_BODY,    /* reading a TLS record body */
	ST_V2BODY,  /* reading an SSLv2 hello into the handshake buffer */
	ST_SAMPLE,  /* not TLS: taking a printable sample */
	ST_DEAD     /* parsing stopped */
};

/* How the body of the current record is handled, fixed at its header. */
enum body_mode {
	MODE_SKIP,   /* ciphertext, application data, heartbeat */
	MODE_HS,     /* cleartext handshake: to the message framer */
	MODE_SMALL,  /* cleartext alert or CCS: keep up to two bytes */
	MODE_DECRYPT /* protected, with keys: kept whole, opened at the end */
};

/* TLS 1.2 encrypt_then_mac (RFC 7366) in the ServerHello. */
#define EXT_ENCRYPT_THEN_MAC 0x0016

/* SSLv2 message types (draft-hickman-netscape-ssl-00). */
#define SSL2_MT_CLIENT_HELLO 1
#define SSL2_MT_SERVER_HELLO 4
#define SSL2_VERSION 0x0002

/* ---- names ---- */

const char *sti_tls_alert_name(uint8_t desc)
{
	switch (desc) {
#define X_CASE(name, val, str) case val: return str;
	STI_TLS_ALERTS(X_CASE)
#undef X_CASE
	default:
		return NULL;
	}
}

const char *sti_tls_alert_level_name(uint8_t level)
{
	switch (level) {
	case STI_TLS_ALERT_WARNING: return "warning";
	case STI_TLS_ALERT_FATAL: return "fatal";
	default: return NULL;
	}
}

const char *sti_tls_handshake_name(uint8_t type)
{
	switch (type) {
#define X_CASE(name, val, str) case val: return str;
	STI_TLS_HS_TYPES(X_CASE)
#undef X_CASE
	default:
		return NULL;
	}
}

int sti_tls_hs_index(uint8_t type)
{
	switch (type) {
#define X_CASE(name, val, str) case val: return STI_TLS_HSI_##name;
	STI_TLS_HS_TYPES(X_CASE)
#undef X_CASE
	default:
		return -1;
	}
}

/* A direction sees a handful of the listed types: a scan is enough. */
static struct sti_tls_hs_seen *hs_find(const struct sti_tls_dir_facts *df,
				       enum sti_tls_hs_index i)
{
	for (unsigned k = 0; k < df->nhs; k++)
		if (df->hs[k].index == i)
			return &df->hs[k];
	return NULL;
}

struct sti_tls_hs_seen sti_tls_hs_get(const struct sti_tls_dir_facts *df,
				      enum sti_tls_hs_index i)
{
	const struct sti_tls_hs_seen *e = hs_find(df, i);
	if (e)
		return *e;
	return (struct sti_tls_hs_seen){ .index = (uint8_t)i };
}

void sti_tls_hs_note(struct sti_tls_dir_facts *df, enum sti_tls_hs_index i, uint64_t frame)
{
	struct sti_tls_hs_seen *e = hs_find(df, i);
	if (!e) {
		/* at most one entry per type: the room has STI_TLS_HSI_COUNT */
		e = &df->hs[df->nhs++];
		*e = (struct sti_tls_hs_seen){ .index = (uint8_t)i, .first_frame = frame };
	}
	e->count++;
}

const char *sti_tls_content_type_name(uint8_t type)
{
	switch (type) {
	case STI_TLS_CT_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
	case STI_TLS_CT_ALERT: return "alert";
	case STI_TLS_CT_HANDSHAKE: return "handshake";
	case STI_TLS_CT_APPLICATION_DATA: return "application_data";
	case STI_TLS_CT_HEARTBEAT: return "heartbeat";
	default: return NULL;
	}
}

const char *sti_tls_decrypt_state_name(enum sti_tls_decrypt_state st)
{
	switch (st) {
	case STI_TLS_DEC_NO_KEYS: return "no_keys";
	case STI_TLS_DEC_MATCHED: return "matched";
	case STI_TLS_DEC_PARTIAL: return "partial";
	case STI_TLS_DEC_FAILED: return "failed";
	case STI_TLS_DEC_OK: return "ok";
	case STI_TLS_DEC_NONE: break;
	}
	return "none";
}

static bool is_content_type(uint8_t b)
{
	return b >= STI_TLS_CT_CHANGE_CIPHER_SPEC && b <= STI_TLS_CT_HEARTBEAT;
}

/* TLS 1.3 and its drafts (0x7fXX) share the encrypted-handshake shape. */
bool tls_is_13(uint16_t v)
{
	return v == STI_TLS13 || (v >> 8) == 0x7f;
}

/* ---- life cycle ---- */

/* Zeroed facts point into a room whose alerts, texts and note are zero (the
 * hellos' lists, the handshake entries and the HelloRetryRequest need not
 * be: read only up to their counts, or once have_hrr). */
static void point_into(struct sti_tls_facts *f, struct sti_tls_facts_room *room)
{
	sti_client_hello_init(&f->ch, &room->ch[0]);
	f->ch2 = &room->ch2;
	sti_client_hello_init(f->ch2, &room->ch[1]);
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		f->dir[d].hs = room->hs[d];
		f->dir[d].reason = room->reason[d];
		f->dir[d].sample = room->sample[d];
	}
	f->hrr = &room->hrr;
	f->sh.exts = room->sh_exts;
	f->hrr->exts = room->hrr_exts;
	f->alerts = room->alerts;
	f->decrypt_note = room->decrypt_note;
}

void sti_tls_facts_init(struct sti_tls_facts *f, struct sti_tls_facts_room *room)
{
	memset(f, 0, sizeof(*f));
	memset(room, 0, sizeof(*room));
	point_into(f, room);
}

struct sti_tls *sti_tls_new(void)
{
	/* All zero but the hellos' rooms: 2 KB a session need not clear. */
	struct sti_tls *t = malloc(sizeof(struct sti_tls));
	if (!t)
		return NULL;
	memset(t, 0, offsetof(struct sti_tls, room));
	memset(t->room.alerts, 0, sizeof(t->room.alerts));
	memset(t->room.decrypt_note, 0, sizeof(t->room.decrypt_note));
	memset(t->room.reason, 0, sizeof(t->room.reason));
	memset(t->room.sample, 0, sizeof(t->room.sample));
	point_into(&t->f, &t->room);
	return t;
}

static void release_buf(struct sti_tls_dir *d)
{
	free(d->hs_buf);
	d->hs_buf = NULL;
	d->hs_cap = 0;
}

void sti_tls_free(struct sti_tls *t)
{
	if (!t)
		return;
	release_buf(&t->d[STI_C2S]);
	release_buf(&t->d[STI_S2C]);
	if (t->dec) {
		sti_tls_decryptor_free(t->dec->dx);
		free(t->dec);
	}
	sti_tls_cert_release(t->f.server_cert);
	sti_tls_cert_release(t->f.client_cert);
	free(t);
}

void sti_tls_set_keylog(struct sti_tls *t, struct sti_keylog *kl)
{
	t->keylog = kl;
}

void sti_tls_set_certcache(struct sti_tls *t, struct sti_certcache *cc)
{
	t->certs = cc;
}

void sti_tls_set_sink(struct sti_tls *t, sti_tls_sink sink, void *ctx)
{
	t->sink = sink;
	t->sink_ctx = ctx;
}

const struct sti_tls_facts *sti_tls_facts(const struct sti_tls *t)
{
	return &t->f;
}

void tls_emit(const struct feed_ctx *c, enum sti_tls_ev_kind kind,
		 uint8_t type, uint32_t length, const char *text)
{
	struct sti_tls_ev ev = {
		.kind = kind, .dir = c->dir, .frame = c->frame, .ts_us = c->ts,
		.type = type, .length = length, .text = text,
		.decrypted = c->decrypted,
	};
	if (c->t->sink)
		c->t->sink(c->t->sink_ctx, &ev);
}

void tls_emit_alert(const struct feed_ctx *c, const struct sti_tls_alert *a)
{
	struct sti_tls_ev ev = {
		.kind = STI_TLS_EV_ALERT, .dir = c->dir, .frame = c->frame,
		.ts_us = c->ts, .type = STI_TLS_CT_ALERT, .length = a->length,
		.encrypted = a->encrypted, .decrypted = a->decrypted,
		.level = a->level, .desc = a->desc,
	};
	if (c->t->sink)
		c->t->sink(c->t->sink_ctx, &ev);
}

/* Parsing of this direction stops; `reason` says why (already in facts). */
static void stop(const struct feed_ctx *c, const char *reason)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	d->state = ST_DEAD;
	release_buf(d);
	tls_emit(c, STI_TLS_EV_STOPPED, 0, 0, reason);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void malformed(const struct feed_ctx *c, const char *fmt, ...)
{
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];
	va_list ap;

	df->malformed = true;
	df->malformed_frame = c->frame;
	va_start(ap, fmt);
	vsnprintf(df->reason, STI_TLS_REASON_MAX, fmt, ap);
	va_end(ap);
	stop(c, df->reason);
}

/* ---- handshake buffer ---- */

/* Room for `need` bytes (capped); false when memory is short. */
static bool reserve(struct sti_tls_dir *d, uint32_t need)
{
	uint8_t *p;
	uint32_t cap;

	if (need > STI_TLS_HS_CAP)
		need = STI_TLS_HS_CAP;
	if (d->hs_cap >= need)
		return true;
	/* Round up so a run of growing messages does not realloc each time. */
	cap = (need + 4095u) & ~4095u;
	if (cap > STI_TLS_HS_CAP)
		cap = STI_TLS_HS_CAP;
	p = realloc(d->hs_buf, cap);
	if (!p)
		return false;
	d->hs_buf = p;
	d->hs_cap = cap;
	return true;
}

/* ---- decryption with a key log (SPEC 9.3) ---- */

static void hs_feed(const struct feed_ctx *c, struct sti_rd *rb);

static void update_decrypt_state(struct sti_tls_facts *f)
{
	uint32_t ok = f->decrypted_records[STI_C2S] + f->decrypted_records[STI_S2C];
	bool trouble = f->decrypt_failures[STI_C2S] || f->decrypt_failures[STI_S2C] ||
		       f->decrypt_note[0];
	if (ok)
		f->decrypt = trouble ? STI_TLS_DEC_PARTIAL : STI_TLS_DEC_OK;
	else
		f->decrypt = trouble ? STI_TLS_DEC_FAILED : STI_TLS_DEC_MATCHED;
}

/* The first reason decryption stopped is the one worth telling. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void dec_note(struct sti_tls_facts *f, const char *fmt, ...)
{
	va_list ap;
	if (f->decrypt_note[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->decrypt_note, STI_TLS_NOTE_MAX, fmt, ap);
	va_end(ap);
}

/* The first ClientHello: does the key log know its random? */
static void match_keylog(const struct feed_ctx *c, const uint8_t *b, size_t n)
{
	struct sti_tls *t = c->t;
	struct sti_tls_facts *f = &t->f;
	struct sti_rd r = sti_rd_init(b, n);
	uint8_t random[32];

	if (!t->keylog || t->dec || !sti_rd_skip(&r, 2) ||
	    !sti_rd_copy(&r, random, sizeof(random)))
		return;
	memcpy(f->client_random, random, sizeof(random));
	const struct sti_keylog_entry *e = sti_keylog_find(t->keylog, random);
	if (!e) {
		f->decrypt = STI_TLS_DEC_NO_KEYS;
		dec_note(f, "the key log has no line for this session's client random");
		return;
	}
	t->dec = calloc(1, sizeof(*t->dec));
	if (t->dec && !(t->dec->dx = sti_tls_decryptor_new(e))) {
		free(t->dec);
		t->dec = NULL;
	}
	if (!t->dec) {
		dec_note(f, "no memory to decrypt this session");
		update_decrypt_state(f);
		return;
	}
	memcpy(t->dec->client_random, random, sizeof(random));
	update_decrypt_state(f);
}

/* The real ServerHello: version, suite and random decide the keys. */
static void dec_hello(const struct feed_ctx *c, const uint8_t *b, size_t n,
		      const struct sti_server_hello *sh)
{
	struct sti_tls *t = c->t;
	struct sti_rd r = sti_rd_init(b, n);
	uint8_t random[32];
	bool etm = false;
	const char *note = "the ServerHello is too short to read its random";

	if (!t->dec)
		return;
	for (unsigned i = 0; i < sh->nexts; i++)
		etm = etm || sh->exts[i] == EXT_ENCRYPT_THEN_MAC;
	if (sti_rd_skip(&r, 2) && sti_rd_copy(&r, random, sizeof(random)))
		note = sti_tls_decryptor_hello(t->dec->dx, sh->version, sh->cipher,
					       t->dec->client_random, random, etm);
	if (note)
		dec_note(&t->f, "%s", note);
	update_decrypt_state(&t->f);
}

/* A decrypted Finished or KeyUpdate changes the keys of what follows. */
static void dec_after_message(const struct feed_ctx *c, uint8_t type)
{
	const char *note = NULL;
	if (!c->decrypted || !c->t->dec)
		return;
	if (type == STI_TLS_HS_FINISHED)
		note = sti_tls_decryptor_finished(c->t->dec->dx, c->dir);
	else if (type == STI_TLS_HS_KEY_UPDATE)
		note = sti_tls_decryptor_key_update(c->t->dec->dx, c->dir);
	if (note) {
		dec_note(&c->t->f, "%s", note);
		update_decrypt_state(&c->t->f);
	}
}

static void decrypted_alert(const struct feed_ctx *c, const uint8_t *p, size_t n)
{
	struct sti_tls_alert spare, *a = tls_new_alert(c, c->t->d[c->dir].rlen, &spare);
	struct sti_rd r = sti_rd_init(p, n);

	a->encrypted = true;
	a->decrypted = sti_rd_u8(&r, &a->level) && sti_rd_u8(&r, &a->desc);
	tls_emit_alert(c, a);
}

enum opened { OPEN_NONE, OPEN_ALERT, OPEN_OTHER };

/*
 * Open the protected record just completed and hand its content to the
 * parsers: handshake messages to the framer, an alert to the alert list.
 * Application data is only counted; its plaintext is wiped at once.
 */
static enum opened open_record(const struct feed_ctx *c)
{
	struct sti_tls *t = c->t;
	struct sti_tls_dec *x = t->dec;
	struct sti_tls_facts *f = &t->f;
	struct feed_ctx dc = *c;
	size_t len = 0;
	uint8_t type = 0;
	enum opened res = OPEN_OTHER;

	if (!sti_tls_decryptor_open(x->dx, c->dir, t->d[c->dir].hdr, x->body[c->dir],
				    x->have[c->dir], x->plain, &len, &type)) {
		f->decrypt_failures[c->dir]++;
		dec_note(f, "the %s's record in frame %llu did not decrypt: wrong, "
			 "truncated or mismatched keys, or a lost segment",
			 c->dir == STI_S2C ? "server" : "client", (unsigned long long)c->frame);
		update_decrypt_state(f);
		return OPEN_NONE;
	}
	f->decrypted_records[c->dir]++;
	update_decrypt_state(f);
	dc.decrypted = true;
	if (type == STI_TLS_CT_ALERT) {
		decrypted_alert(&dc, x->plain, len);
		res = OPEN_ALERT;
	} else if (type == STI_TLS_CT_HANDSHAKE) {
		struct sti_rd rb = sti_rd_init(x->plain, len);
		hs_feed(&dc, &rb);
	}
	memset(x->plain, 0, len);
	return res;
}

/* A protected record not opened because the key log lacks its secret. */
static void note_unread(const struct feed_ctx *c)
{
	const struct sti_tls_dir *d = &c->t->d[c->dir];
	const struct sti_tls_facts *f = &c->t->f;
	bool is13 = tls_13_mode(f) && f->have_sh;
	bool protected = is13 ? d->rtype == STI_TLS_CT_APPLICATION_DATA : d->renc;
	const char *why = sti_tls_decryptor_unread(c->t->dec->dx, c->dir);
	if (!protected || !why)
		return;
	dec_note(&c->t->f, "%s", why);
	update_decrypt_state(&c->t->f);
}

/* Whether this direction's records are still being opened: then its
 * handshake buffer must survive the switch to ciphertext. */
static bool decrypting(const struct sti_tls *t, enum sti_dir dir)
{
	return t->dec && sti_tls_decryptor_wants(t->dec->dx, dir,
						 STI_TLS_CT_APPLICATION_DATA);
}

/* The last byte of a record arrived (or its header, for length 0). */
static void record_done(const struct feed_ctx *c)
{
	struct sti_tls *t = c->t;
	struct sti_tls_dir *d = &t->d[c->dir];
	struct sti_tls_dir_facts *df = &t->f.dir[c->dir];
	uint8_t type = d->rtype;
	uint16_t len = d->rlen;
	enum opened op = d->rmode == MODE_DECRYPT ? open_record(c) : OPEN_NONE;

	if (d->rmode != MODE_DECRYPT && t->dec)
		note_unread(c);

	df->records++;
	df->by_type[type - STI_TLS_CT_CHANGE_CIPHER_SPEC]++;
	if (!df->first_frame) {
		df->first_frame = c->frame;
		df->first_ts = c->ts;
	}
	df->last_frame = c->frame;
	df->last_ts = c->ts;
	tls_push_tail(df, type, len, c->frame);
	tls_emit(c, STI_TLS_EV_RECORD, type, len, NULL);

	switch (type) {
	case STI_TLS_CT_CHANGE_CIPHER_SPEC:
		tls_on_ccs(c);
		break;
	case STI_TLS_CT_ALERT:
		if (op != OPEN_ALERT)
			tls_record_alert(c, len);
		break;
	case STI_TLS_CT_HANDSHAKE:
		if (d->renc)
			tls_on_encrypted_handshake(c);
		break;
	case STI_TLS_CT_APPLICATION_DATA:
		/* A TLS 1.3 alert read with the key log is not data. */
		if (op != OPEN_ALERT)
			tls_on_appdata(c, len);
		else if (c->dir == STI_C2S)
			tls_set_encrypted(c);
		break;
	default:
		break;
	}
	d->state = ST_HDR;
	d->hdr_have = 0;
	if (df->encrypted && !decrypting(t, c->dir))
		release_buf(d);
}

/* ---- handshake messages ---- */

static void note_hs(const struct feed_ctx *c, uint8_t type)
{
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];
	int i = sti_tls_hs_index(type);
	if (i < 0) {
		df->hs_other++;
		return;
	}
	sti_tls_hs_note(df, (enum sti_tls_hs_index)i, c->frame);
}

static void on_client_hello(const struct feed_ctx *c, const uint8_t *b,
			    size_t n)
{
	struct sti_tls_facts *f = &c->t->f;
	if (!f->have_ch) {
		f->have_ch = true;
		f->ch_frame = c->frame;
		(void)sti_tls_parse_client_hello(b, n, &f->ch);
		match_keylog(c, b, n);
	} else if (f->have_hrr && !f->have_ch2) {
		f->have_ch2 = true;
		f->ch2_frame = c->frame;
		(void)sti_tls_parse_client_hello(b, n, f->ch2);
	}
}

/* sh into the facts' hello dst, its extensions into the room dst's point to. */
static void keep_server_hello(struct sti_server_hello *dst, const struct sti_server_hello *sh)
{
	uint16_t *room = dst->exts;
	*dst = *sh;
	dst->exts = room;
	if (sh->nexts)
		memcpy(room, sh->exts, sh->nexts * sizeof(sh->exts[0]));
}

/* Returns true when this was the real TLS 1.3 ServerHello: RFC 8446 2,
 * everything the server sends after it is encrypted. */
static bool on_server_hello(const struct feed_ctx *c, const uint8_t *b,
			    size_t n)
{
	struct sti_tls_facts *f = &c->t->f;
	struct sti_server_hello sh;
	uint16_t exts[STI_HELLO_MAX_EXTS];

	if (f->have_sh)
		return false; /* renegotiation: the first one decided */
	sti_server_hello_init(&sh, exts);
	(void)sti_tls_parse_server_hello(b, n, &sh);
	if (sh.hello_retry_request && !f->have_hrr) {
		f->have_hrr = true;
		f->hrr_frame = c->frame;
		keep_server_hello(f->hrr, &sh);
		return false;
	}
	f->have_sh = true;
	f->sh_frame = c->frame;
	keep_server_hello(&f->sh, &sh);
	f->version = sh.version;
	dec_hello(c, b, n, &sh);
	return tls_is_13(sh.version);
}

static uint16_t cert_version(const struct sti_tls_facts *f)
{
	if (f->have_sh)
		return f->sh.version;
	return STI_TLS12;
}

static void on_certificate(const struct feed_ctx *c, const uint8_t *b,
			   size_t n, bool truncated)
{
	struct sti_tls *t = c->t;
	struct sti_tls_facts *f = &t->f;
	const struct sti_tls_cert *cert;

	if (t->cert_seen[c->dir])
		return;   /* only the first of each side is kept */
	t->cert_seen[c->dir] = true;
	cert = sti_certcache_get(t->certs, b, n, cert_version(f), truncated, c->dir == STI_S2C,
				 c->ts);
	if (!cert)
		return;   /* no memory: as if none was sent */
	if (c->dir == STI_S2C) {
		f->server_cert_frame = c->frame;
		f->server_cert = cert;
	} else {
		f->client_cert_frame = c->frame;
		f->client_cert = cert;
	}
}

/*
 * A complete cleartext handshake message. `n` bytes of the body are at
 * `b`; `truncated` says the body was longer than STI_TLS_HS_CAP and only
 * its start is here. The parsed result is in the facts before the event
 * goes out, so a ladder can print it; a key change comes after.
 */
static void on_message(const struct feed_ctx *c, uint8_t type,
		       const uint8_t *b, size_t n, uint32_t full_len,
		       bool truncated)
{
	bool to_cipher = false;

	if (truncated)
		c->t->f.dir[c->dir].hs_cut = true;
	note_hs(c, type);
	switch (type) {
	case STI_TLS_HS_CLIENT_HELLO:
		if (c->dir == STI_C2S && !truncated)
			on_client_hello(c, b, n);
		break;
	case STI_TLS_HS_SERVER_HELLO:
		if (c->dir == STI_S2C && !truncated)
			to_cipher = on_server_hello(c, b, n);
		break;
	case STI_TLS_HS_CERTIFICATE:
		on_certificate(c, b, n, truncated);
		break;
	default:
		break;
	}
	tls_emit(c, STI_TLS_EV_HANDSHAKE, type, full_len, NULL);
	dec_after_message(c, type);
	if (to_cipher)
		tls_set_encrypted(c);
}

/* Read the 4-byte handshake header (RFC 8446 4) as it trickles in. */
static void hs_header(const struct feed_ctx *c, struct sti_rd *rb)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	uint8_t b;
	struct sti_rd h;

	/* The whole header in this chunk (nearly always): in one copy. */
	if (d->hs_hdr_have == 0 && sti_rd_copy(rb, d->hs_hdr, sizeof(d->hs_hdr)))
		d->hs_hdr_have = sizeof(d->hs_hdr);
	while (d->hs_hdr_have < 4 && sti_rd_u8(rb, &b))
		d->hs_hdr[d->hs_hdr_have++] = b;
	if (d->hs_hdr_have < 4)
		return;
	h = sti_rd_init(d->hs_hdr, sizeof(d->hs_hdr));
	if (!sti_rd_u8(&h, &d->hs_type) || !sti_rd_u24(&h, &d->hs_len))
		return; /* cannot happen: four bytes are there */
	d->hs_have = 0;
	d->hs_kept = 0;
	if (d->hs_len == 0) {
		on_message(c, d->hs_type, NULL, 0, 0, false);
		d->hs_hdr_have = 0;
	}
}

/* Body bytes of the current message; the message may end here. */
static void hs_body(const struct feed_ctx *c, struct sti_rd *rb)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	uint32_t want = d->hs_len - d->hs_have;
	size_t k = sti_rd_left(rb) < want ? sti_rd_left(rb) : want;
	const uint8_t *p;

	if (!sti_rd_take(rb, k, &p))
		return;
	/* Whole in this chunk and not copied yet: parse in place. */
	if (d->hs_have == 0 && k == want && d->hs_len <= STI_TLS_HS_CAP) {
		d->hs_hdr_have = 0;
		on_message(c, d->hs_type, p, k, d->hs_len, false);
		return;
	}
	/* Keep what fits; past the cap (or without memory) only count. */
	if (d->hs_kept == d->hs_have && reserve(d, d->hs_len)) {
		uint32_t room = d->hs_cap - d->hs_kept;
		uint32_t put = k < room ? (uint32_t)k : room;
		memcpy(d->hs_buf + d->hs_kept, p, put);
		d->hs_kept += put;
	}
	d->hs_have += (uint32_t)k;
	if (d->hs_have < d->hs_len)
		return;
	d->hs_hdr_have = 0;
	on_message(c, d->hs_type, d->hs_buf, d->hs_kept, d->hs_len,
		   d->hs_kept < d->hs_len);
}

static void hs_feed(const struct feed_ctx *c, struct sti_rd *rb)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	while (!sti_rd_empty(rb) && d->state == ST_BODY) {
		if (d->hs_hdr_have < 4)
			hs_header(c, rb);
		else
			hs_body(c, rb);
	}
}

/* ---- records ---- */

static enum body_mode body_mode(const struct feed_ctx *c)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];

	if (c->t->dec && d->rlen &&
	    sti_tls_decryptor_wants(c->t->dec->dx, c->dir, d->rtype)) {
		c->t->dec->have[c->dir] = 0;
		return MODE_DECRYPT;
	}
	if (df->encrypted) {
		if (d->rtype == STI_TLS_CT_HANDSHAKE && d->hs_hdr_have) {
			df->hs_cut = true; /* keys changed mid-message */
			d->hs_hdr_have = 0;
		}
		return d->rtype == STI_TLS_CT_ALERT ? MODE_SMALL : MODE_SKIP;
	}
	switch (d->rtype) {
	case STI_TLS_CT_HANDSHAKE:
		return MODE_HS;
	case STI_TLS_CT_ALERT:
	case STI_TLS_CT_CHANGE_CIPHER_SPEC:
		return MODE_SMALL;
	default:
		return MODE_SKIP;
	}
}

static void record_body(const struct feed_ctx *c, struct sti_rd *r)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	size_t k = sti_rd_left(r) < d->rleft ? sti_rd_left(r) : d->rleft;
	struct sti_rd rb;
	uint8_t b;

	if (!sti_rd_sub(r, k, &rb))
		return;
	d->rleft -= (uint32_t)k;
	switch (d->rmode) {
	case MODE_HS:
		hs_feed(c, &rb);
		break;
	case MODE_SMALL:
		while (d->small_have < sizeof(d->small) && sti_rd_u8(&rb, &b))
			d->small[d->small_have++] = b;
		break;
	case MODE_DECRYPT: {
		struct sti_tls_dec *x = c->t->dec;
		uint32_t at = x->have[c->dir];
		/* rlen <= STI_TLS_MAX_RECORD, the size of body[] */
		if (sti_rd_copy(&rb, x->body[c->dir] + at, sti_rd_left(&rb)))
			x->have[c->dir] = at + (uint32_t)k;
		break;
	}
	case MODE_SKIP:
		break;
	}
	if (d->rleft == 0 && d->state == ST_BODY)
		record_done(c);
}

/* The first bytes of a direction are not TLS: keep a printable sample. */
static void start_sample(const struct feed_ctx *c)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];

	df->not_tls = true;
	df->malformed_frame = c->frame;   /* where the non-TLS bytes are */
	d->state = ST_SAMPLE;
	d->sample_len = 0;
	tls_emit(c, STI_TLS_EV_STOPPED, 0, 0, "not TLS");
}

static void sample(const struct feed_ctx *c, struct sti_rd *r, bool from_hdr)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];
	struct sti_rd h = sti_rd_init(d->hdr, d->hdr_have);
	struct sti_rd *src = from_hdr ? &h : r;
	uint8_t b;

	while (!d->sample_done && sti_rd_u8(src, &b)) {
		if (b == '\r' || b == '\n') {
			d->sample_done = true;
			break;
		}
		df->sample[d->sample_len++] = (b >= 0x20 && b < 0x7f) ?
			(char)b : '.';
		df->sample[d->sample_len] = '\0';
		if (d->sample_len == STI_TLS_SAMPLE_MAX)
			d->sample_done = true;
	}
	if (from_hdr)
		d->hdr_have = 0;
	if (d->sample_done) {
		d->state = ST_DEAD;
		release_buf(d);
	}
}

/* An SSLv2 2-byte header with its message type (RFC 5246 E.2). */
static void v2_header(const struct feed_ctx *c)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	uint8_t want = c->dir == STI_S2C ? SSL2_MT_SERVER_HELLO : SSL2_MT_CLIENT_HELLO;
	struct sti_rd h = sti_rd_init(d->hdr, d->hdr_have);
	uint16_t len = 0;
	uint8_t type = 0;

	if (!sti_rd_u16(&h, &len) || !sti_rd_u8(&h, &type))
		return; /* cannot happen: three bytes are there */
	len &= 0x7fff;
	d->v2_hdr = false;
	if (type != want || len == 0) {
		start_sample(c);
		sample(c, NULL, true);
		return;
	}
	d->first_is_v2 = true;
	d->state = ST_V2BODY;
	d->rlen = len;
	/* The message type byte is part of the message the parser sees. */
	d->hs_len = len;
	d->hs_have = 0;
	if (reserve(d, len))
		memcpy(d->hs_buf, &type, 1);
	d->hs_have = 1;
	d->rleft = len - 1u;
}

/* The SSLv2 SERVER-HELLO's server_version follows type, session-id-hit
 * and certificate type. */
static void on_v2_server_hello(const struct feed_ctx *c, struct sti_rd m)
{
	struct sti_tls_facts *f = &c->t->f;
	uint16_t v = 0;

	if (!sti_rd_skip(&m, 3) || !sti_rd_u16(&m, &v)) {
		malformed(c, "sslv2 server-hello length %u",
			  (unsigned)sti_rd_left(&m));
		return;
	}
	f->dir[STI_S2C].sslv2 = true;
	f->dir[STI_S2C].sslv2_version = v;
	f->dir[STI_S2C].sslv2_frame = c->frame;
	if (!f->have_sh)
		f->version = v;
	tls_emit(c, STI_TLS_EV_SSLV2_HELLO, SSL2_MT_SERVER_HELLO, c->t->d[STI_S2C].rlen,
	     NULL);
	stop(c, "sslv2");
}

static void v2_done(const struct feed_ctx *c)
{
	struct sti_tls *t = c->t;
	struct sti_tls_dir *d = &t->d[c->dir];
	struct sti_tls_facts *f = &t->f;
	struct sti_rd m;

	if (!d->hs_buf) {
		malformed(c, "sslv2 hello length %u (no memory)", d->rlen);
		return;
	}
	m = sti_rd_init(d->hs_buf, d->rlen);
	if (c->dir == STI_S2C) {
		on_v2_server_hello(c, m);
		return;
	}
	note_hs(c, STI_TLS_HS_CLIENT_HELLO);
	if (!f->have_ch) {
		f->have_ch = true;
		f->ch_frame = c->frame;
		(void)sti_tls_parse_client_hello_v2(m.p, m.n, &f->ch);
	}
	tls_emit(c, STI_TLS_EV_SSLV2_HELLO, SSL2_MT_CLIENT_HELLO, d->rlen, NULL);
	d->state = ST_HDR;
	d->hdr_have = 0;
	d->hs_have = 0;
	d->hs_len = 0;
}

static void v2_body(const struct feed_ctx *c, struct sti_rd *r)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	size_t k = sti_rd_left(r) < d->rleft ? sti_rd_left(r) : d->rleft;
	const uint8_t *p;

	if (!sti_rd_take(r, k, &p))
		return;
	if (d->hs_buf && d->hs_have + k <= d->hs_cap)
		memcpy(d->hs_buf + d->hs_have, p, k);
	d->hs_have += (uint32_t)k;
	d->rleft -= (uint32_t)k;
	if (d->rleft == 0)
		v2_done(c);
}

/* A high-bit first byte after the hellos: the session is speaking SSLv2. */
static bool v2_later(const struct feed_ctx *c)
{
	struct sti_tls_facts *f = &c->t->f;
	if (!c->t->d[STI_C2S].first_is_v2 && !f->dir[STI_S2C].sslv2)
		return false;
	f->dir[c->dir].sslv2 = true;
	stop(c, "sslv2");
	return true;
}

/*
 * RFC 5246 6.2.1 and RFC 8446 5.1: no zero-length handshake, alert or CCS
 * fragment, and no other record type between the pieces of a handshake
 * message (a CCS there is handled as a key change, see on_ccs). Applies in
 * clear only: ciphertext lengths and types say nothing about the content.
 */
static bool cleartext_record_ok(const struct feed_ctx *c, uint8_t type,
				uint16_t len)
{
	const char *name = sti_tls_content_type_name(type);
	if (c->t->f.dir[c->dir].encrypted)
		return true;
	if (len == 0 && (type == STI_TLS_CT_HANDSHAKE || type == STI_TLS_CT_ALERT ||
			 type == STI_TLS_CT_CHANGE_CIPHER_SPEC)) {
		malformed(c, "zero-length %s record", name);
		return false;
	}
	if (c->t->d[c->dir].hs_hdr_have && type != STI_TLS_CT_HANDSHAKE &&
	    type != STI_TLS_CT_CHANGE_CIPHER_SPEC && name) {
		malformed(c, "%s record in a handshake message", name);
		return false;
	}
	return true;
}

/* The complete 5-byte header: check it and set up the body. */
static void record_header(const struct feed_ctx *c)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_rd h = sti_rd_init(d->hdr, 5);
	uint8_t type;
	uint16_t version, len;

	if (!sti_rd_u8(&h, &type) || !sti_rd_u16(&h, &version) ||
	    !sti_rd_u16(&h, &len))
		return; /* cannot happen: five bytes are there */
	if ((version >> 8) != 3) {
		malformed(c, "record version 0x%04x", version);
		return;
	}
	if (len > STI_TLS_MAX_RECORD) {
		malformed(c, "record length %u", len);
		return;
	}
	if (!cleartext_record_ok(c, type, len))
		return;
	d->rtype = type;
	d->rlen = len;
	d->rleft = len;
	d->small_have = 0;
	d->state = ST_BODY;
	d->rmode = body_mode(c);
	d->renc = c->t->f.dir[c->dir].encrypted;
	if (len == 0)
		record_done(c);
}

/* The first byte of a record: decide TLS, SSLv2 or not TLS. */
static bool first_byte(const struct feed_ctx *c)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_rd h = sti_rd_init(d->hdr, d->hdr_have);
	bool first = !d->started;
	uint8_t b;

	if (!sti_rd_u8(&h, &b))
		return false; /* cannot happen: called with one byte */
	d->started = true;
	if (is_content_type(b))
		return true;
	if (b & 0x80) {
		if (first) {
			d->v2_hdr = true; /* SSLv2 header: decided at byte 3 */
			return true;
		}
		if (v2_later(c))
			return false;
	}
	if (first) {
		start_sample(c);
		sample(c, NULL, true);
		return false;
	}
	malformed(c, "record type 0x%02x", b);
	return false;
}

static void header_bytes(const struct feed_ctx *c, struct sti_rd *r)
{
	struct sti_tls_dir *d = &c->t->d[c->dir];
	uint8_t b;

	/* A whole header of a TLS record in this chunk (nearly always): in
	 * one copy. The loop below would take the same five bytes, with
	 * first_byte only marking the direction started. */
	if (d->hdr_have == 0 && !d->v2_hdr && sti_rd_peek(r, 0, &b) &&
	    is_content_type(b) && sti_rd_copy(r, d->hdr, sizeof(d->hdr))) {
		d->hdr_have = sizeof(d->hdr);
		d->started = true;
		record_header(c);
		return;
	}
	while (d->state == ST_HDR && sti_rd_u8(r, &b)) {
		d->hdr[d->hdr_have++] = b;
		if (d->hdr_have == 1 && !first_byte(c))
			return;
		if (d->hdr_have == 3 && d->v2_hdr) {
			v2_header(c);
			return;
		}
		if (d->hdr_have == 5) {
			record_header(c);
			return;
		}
	}
}

static void update_mid(struct sti_tls *t, enum sti_dir dir)
{
	const struct sti_tls_dir *d = &t->d[dir];
	t->f.dir[dir].mid_record = (d->state == ST_HDR && d->hdr_have > 0) ||
				   d->state == ST_BODY || d->state == ST_V2BODY;
}

void sti_tls_feed(struct sti_tls *t, enum sti_dir dir, const uint8_t *p, size_t n,
		  uint64_t frame, int64_t ts_us)
{
	struct feed_ctx c = { t, dir, frame, ts_us, false };
	struct sti_tls_dir *d = &t->d[c.dir];
	struct sti_rd r = sti_rd_init(p, n);

	t->f.dir[c.dir].bytes += sti_rd_left(&r);
	if (d->state == ST_DEAD)
		return;
	while (!sti_rd_empty(&r) && d->state != ST_DEAD) {
		switch (d->state) {
		case ST_HDR:
			header_bytes(&c, &r);
			break;
		case ST_BODY:
			record_body(&c, &r);
			break;
		case ST_V2BODY:
			v2_body(&c, &r);
			break;
		case ST_SAMPLE:
			sample(&c, &r, false);
			break;
		default:
			break;
		}
	}
	update_mid(t, c.dir);
}

void sti_tls_end(struct sti_tls *t, enum sti_dir dir)
{
	struct sti_tls_dir *d = &t->d[dir];
	if (!d->pend_len)
		return;
	struct feed_ctx c = { t, dir, d->pend_frame, d->pend_ts, false };
	uint16_t len = d->pend_len;
	d->pend_len = 0;
	tls_record_alert(&c, len);
}

void sti_tls_gap(struct sti_tls *t, enum sti_dir dir, uint64_t len, uint64_t frame)
{
	struct feed_ctx c = { t, dir, frame, 0, false };
	struct sti_tls_dir_facts *df = &t->f.dir[c.dir];

	if (t->d[c.dir].state == ST_DEAD)
		return;
	/* TLS 1.3 after the client's Finished: bytes lost here were data
	 * (more than an alert's worth), which counts towards established. */
	if (tls_13_mode(&t->f) && t->f.dir[STI_C2S].finished_frame && !t->f.established &&
	    len > ALERT_SIZED_MAX) {
		t->d[c.dir].pend_len = 0;
		t->d[c.dir].data_after_finished = true;
		if (t->d[STI_C2S].data_after_finished && t->d[STI_S2C].data_after_finished)
			tls_set_established(&c);
	}
	df->gap = true;
	df->gap_frame = frame;
	df->gap_len = len;
	update_mid(t, c.dir); /* a record cut by the gap stays visible */
	stop(&c, "capture gap");
}

bool sti_tls_settled(const struct sti_tls *t, enum sti_dir dir)
{
	const struct sti_tls_facts *f = &t->f;
	uint64_t mine = f->dir[dir].appdata_after_est;
	uint64_t theirs = f->dir[sti_dir_other(dir)].appdata_after_est;

	if (t->d[dir].state == ST_DEAD)
		return true;
	if (!f->established)
		return false;
	return (mine >= STI_TLS_SETTLE_RECORDS &&
		theirs >= STI_TLS_SETTLE_RECORDS) ||
	       mine >= STI_TLS_SETTLE_ONE_SIDED;
}
