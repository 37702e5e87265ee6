/*
 * tls_state.c - what the TLS layer infers from the records it frames
 * (tls_record.c): when each direction started encrypting, whether the
 * handshake was established (TLS 1.2: both Finished; TLS 1.3: judged by
 * record sizes after the server's encrypted flight), and the alerts and
 * last records of each direction.
 */
#include "sti/tls.h"

#include "sti/rd.h"
#include "sti/tls_decrypt.h"
#include "tls_impl.h"

#include <string.h>

/* ---- encryption state and establishment ---- */

/* After an HRR and before the real ServerHello, CCS records are TLS 1.3
 * middlebox-compatibility noise, not a key change. */
bool tls_13_mode(const struct sti_tls_facts *f)
{
	if (f->have_sh)
		return tls_is_13(f->sh.version);
	return f->have_hrr && tls_is_13(f->hrr->version);
}

void tls_set_encrypted(const struct feed_ctx *c)
{
	struct sti_tls_dir_facts *df = &c->t->f.dir[c->dir];
	if (df->encrypted)
		return;
	df->encrypted = true;
	df->encrypted_frame = c->frame;
	tls_emit(c, STI_TLS_EV_ENCRYPTED, 0, 0, NULL);
}

void tls_set_established(const struct feed_ctx *c)
{
	struct sti_tls_facts *f = &c->t->f;
	if (f->established)
		return;
	f->established = true;
	c->t->d[STI_C2S].pend_len = c->t->d[STI_S2C].pend_len = 0;
	f->established_frame = c->frame;
	f->established_ts = c->ts;
	tls_emit(c, STI_TLS_EV_ESTABLISHED, 0, 0, NULL);
}

/*
 * TLS <= 1.2 (or unknown): both sides' Finished, or application data both
 * ways (a capture that started after the handshake).
 */
static void check_established_12(const struct feed_ctx *c)
{
	const struct sti_tls_facts *f = &c->t->f;
	if ((f->dir[STI_C2S].finished_frame && f->dir[STI_S2C].finished_frame) ||
	    (f->dir[STI_C2S].appdata_first_frame && f->dir[STI_S2C].appdata_first_frame))
		tls_set_established(c);
}

void tls_on_ccs(const struct feed_ctx *c)
{
	struct sti_tls *t = c->t;
	struct sti_tls_dir *d = &t->d[c->dir];
	struct sti_tls_dir_facts *df = &t->f.dir[c->dir];

	if (!df->ccs_frame)
		df->ccs_frame = c->frame;
	if (t->dec)
		sti_tls_decryptor_ccs(t->dec->dx, c->dir);
	if (tls_13_mode(&t->f)) {
		/* RFC 8446 D.4: only the client's CCS after the real
		 * ServerHello precedes its encrypted records. */
		if (c->dir == STI_C2S && t->f.have_sh)
			tls_set_encrypted(c);
		return;
	}
	if (d->hs_hdr_have) {
		df->hs_cut = true;
		d->hs_hdr_have = 0;
	}
	tls_set_encrypted(c);
}

void tls_on_encrypted_handshake(const struct feed_ctx *c)
{
	struct sti_tls_facts *f = &c->t->f;
	struct sti_tls_dir_facts *df = &f->dir[c->dir];

	if (df->finished_frame)
		return;
	if (tls_13_mode(f) && f->have_sh) {
		/* A server flight sent as type 22 instead of 23. */
		if (c->dir == STI_S2C)
			df->finished_frame = c->frame;
		return;
	}
	df->finished_frame = c->frame;
	check_established_12(c);
}

/*
 * The smallest record a TLS 1.3 Finished can be (RFC 8446 4.4.4, 5.2): the
 * 4-byte handshake header, verify_data as long as the suite's hash, the
 * inner content type and the AEAD tag. Stacks may pad (JSSE pads its
 * encrypted alerts to 35 bytes), so sizes only ever rule a Finished out:
 * a shorter client record is not one. Unknown suites get the smallest.
 */
static uint16_t min_finished_13(uint16_t suite)
{
	switch (suite) {
	case 0x1301: /* TLS_AES_128_GCM_SHA256 */
	case 0x1303: /* TLS_CHACHA20_POLY1305_SHA256 */
	case 0x1304: /* TLS_AES_128_CCM_SHA256 */
		return 4 + 32 + 1 + 16;
	case 0x1302: /* TLS_AES_256_GCM_SHA384 */
		return 4 + 48 + 1 + 16;
	default:     /* TLS_AES_128_CCM_8_SHA256 (8-byte tag), or unknown */
		return 4 + 32 + 1 + 8;
	}
}

/*
 * TLS 1.3 after the ServerHello: every record is type 23. The server's
 * first is its encrypted flight; the client's first one after that flight
 * that is long enough to be a Finished is its Finished. The handshake is established once both
 * sides have sent a full-sized record after the client's Finished
 * (RFC 8446 2: application data both ways), so a server that rejects a
 * client certificate right after the Finished is not taken for success.
 * Before that, an alert-sized record that nothing follows is an encrypted
 * alert (see sti_tls_end).
 */
static void on_appdata_13(const struct feed_ctx *c, uint16_t len)
{
	struct sti_tls_facts *f = &c->t->f;
	struct sti_tls_dir_facts *df = &f->dir[c->dir];
	bool full = len > ALERT_SIZED_MAX;

	if (c->dir == STI_C2S)
		tls_set_encrypted(c);
	if (c->dir == STI_S2C && !df->finished_frame) {
		df->finished_frame = c->frame;  /* EE, Certificate, ... */
		return;
	}
	struct sti_tls_dir *d = &c->t->d[c->dir];
	if (c->dir == STI_C2S && !df->finished_frame) {
		if (!f->dir[STI_S2C].finished_frame)
			return;                 /* early data: nothing to judge */
		if (len >= min_finished_13(f->sh.cipher)) {
			df->finished_frame = c->frame;
			d->pend_len = 0;
			return;
		}
		full = false;   /* too short for a Finished: maybe an alert */
	}
	if (f->established)
		return;
	if (!full) {
		d->pend_len = len;
		d->pend_frame = c->frame;
		d->pend_ts = c->ts;
		return;
	}
	d->pend_len = 0;
	if (f->dir[STI_C2S].finished_frame && df->finished_frame != c->frame) {
		d->data_after_finished = true;
		if (!df->data_frame)
			df->data_frame = c->frame;
	}
	if (c->t->d[STI_C2S].data_after_finished && c->t->d[STI_S2C].data_after_finished)
		tls_set_established(c);
}

void tls_on_appdata(const struct feed_ctx *c, uint16_t len)
{
	struct sti_tls_facts *f = &c->t->f;
	struct sti_tls_dir_facts *df = &f->dir[c->dir];
	bool was_established = f->established;

	if (!df->appdata_first_frame)
		df->appdata_first_frame = c->frame;
	if (tls_13_mode(f) && f->have_sh) {
		on_appdata_13(c, len);
	} else {
		if (!df->data_frame)
			df->data_frame = c->frame;
		check_established_12(c);
	}
	if (was_established)
		df->appdata_after_est++;
}

/* The next alert slot, filled with who, size and when; `spare` when the
 * list is full (the alert is still counted and reported as an event). */
struct sti_tls_alert *tls_new_alert(const struct feed_ctx *c, uint16_t len,
				       struct sti_tls_alert *spare)
{
	struct sti_tls_facts *f = &c->t->f;
	struct sti_tls_alert *a = spare;

	/* Filled field by field into zeroed storage, so that padding stays
	 * zero and facts compare byte for byte. */
	memset(spare, 0, sizeof(*spare));
	f->alerts_total++;
	if (f->nalerts < STI_TLS_MAX_ALERTS)
		a = &f->alerts[f->nalerts++];
	a->from = c->dir;
	a->length = len;
	a->frame = c->frame;
	a->ts_us = c->ts;
	return a;
}

void tls_record_alert(const struct feed_ctx *c, uint16_t len)
{
	struct sti_tls_facts *f = &c->t->f;
	const struct sti_tls_dir *d = &c->t->d[c->dir];
	struct sti_tls_alert spare, *a = tls_new_alert(c, len, &spare);

	/* Ciphertext is never 2 bytes (a MAC or AEAD tag is longer), and
	 * TLS 1.3 ciphertext is always type 23: so a 2-byte alert record
	 * from a side in clear, or under TLS 1.3, is a cleartext alert. */
	a->encrypted = !(len == 2 && (!d->renc || tls_13_mode(f)));
	if (!a->encrypted) {
		struct sti_rd r = sti_rd_init(d->small, d->small_have);
		if (!sti_rd_u8(&r, &a->level) || !sti_rd_u8(&r, &a->desc))
			a->encrypted = true; /* cannot happen: len is 2 */
	}
	tls_emit_alert(c, a);
}

void tls_push_tail(struct sti_tls_dir_facts *df, uint8_t type,
		      uint16_t len, uint64_t frame)
{
	struct sti_tls_rec *r;
	if (df->ntail == STI_TLS_TAIL) {
		memmove(&df->tail[0], &df->tail[1],
			sizeof(df->tail[0]) * (STI_TLS_TAIL - 1));
		df->ntail--;
	}
	r = &df->tail[df->ntail++];
	r->type = type;
	r->length = len;
	r->frame = frame;
}
