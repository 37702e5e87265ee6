/*
 * fuzz_tls.c - the TLS record and handshake layer, both directions, in
 * pieces of any size (chunks.h), then the fingerprints of what it parsed.
 * It runs with a key log (keylog_seed.h), so inputs that carry a known
 * ClientHello random go through the decryption paths too, and with a
 * certificate cache of two entries kept across inputs (tls_certcache.h),
 * so certificates are shared, evicted and decoded alone as in a run.
 * Its facts are then settled into a copy read after the parser is freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chunks.h"
#include "keylog_seed.h"
#include "sti/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touched;

static void touch_event(void *ctx, const struct sti_tls_ev *ev)
{
	(void)ctx;
	if (ev->text)
		touched += strlen(ev->text);
}

static void feed(void *ctx, enum sti_dir dir, const uint8_t *p, size_t n, uint64_t frame)
{
	sti_tls_feed(ctx, dir, p, n, frame, (int64_t)frame);
	touched += sti_tls_settled(ctx, dir);
}

static void gap(void *ctx, enum sti_dir dir, uint64_t len, uint64_t frame)
{
	sti_tls_gap(ctx, dir, len, frame);
}

static void end(void *ctx, enum sti_dir dir)
{
	sti_tls_end(ctx, dir);
}

static const struct chunk_calls calls = { feed, gap, end };

static void fingerprints(const struct sti_tls_facts *f)
{
	char ja3[33], ja4[40], str[STI_JA3_STR_MAX];
	if (f->have_ch) {
		sti_ja3_string(&f->ch, str, sizeof(str));
		sti_ja3_hash(&f->ch, ja3);
		sti_ja4(&f->ch, ja4);
		touched += strlen(str) + strlen(ja3) + strlen(ja4) + strlen(f->ch.sni);
	}
	if (f->have_sh) {
		sti_ja3s_hash(&f->sh, ja3);
		touched += strlen(ja3);
	}
	if (f->server_cert)
		touched += strlen(f->server_cert->leaf.subject) +
			   strlen(f->server_cert->leaf.issuer) + strlen(f->server_cert->chain.anchor);
	if (f->client_cert)
		touched += strlen(f->client_cert->leaf.subject);
	if (f->nalerts > STI_TLS_MAX_ALERTS)
		__builtin_trap();
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++)
		touched += strlen(f->dir[d].reason) + strlen(f->dir[d].sample);
	touched += strlen(f->decrypt_note);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sti_tls *t = sti_tls_new();
	if (!t)
		return 0;
	sti_tls_set_sink(t, touch_event, NULL);
	sti_tls_set_keylog(t, fuzz_keylog());
	static struct sti_certcache *certs;
	if (!certs)
		certs = sti_certcache_new(2);
	sti_tls_set_certcache(t, certs);
	chunk_play(data, size, &calls, t);
	sti_tls_end(t, 0);
	sti_tls_end(t, 1);
	fingerprints(sti_tls_facts(t));
	/* The settled copy (made here whether or not the session settled) is
	 * read again after the parser is gone: it must be whole on its own. */
	touched += sti_tls_settled_both(t);
	struct sti_tls_facts *copy = sti_tls_facts_settle(sti_tls_facts(t));
	/* So is the compact form, read back as the copy is. */
	struct sti_tls_packed *packed = sti_tls_facts_pack(sti_tls_facts(t));
	sti_tls_free(t);
	if (packed) {
		static struct sti_tls_view view;
		const struct sti_tls_facts *u = sti_tls_packed_facts(packed, &view);
		fingerprints(u);
		for (unsigned i = 0; i < u->ch.nalpn; i++)
			touched += strlen(u->ch.alpn[i]);
		touched += strlen(u->ch2->sni) + strlen(u->decrypt_note);
		if (copy && (u->nalerts != copy->nalerts || u->dir[1].nhs != copy->dir[1].nhs ||
			     strcmp(u->ch.sni, copy->ch.sni) != 0 ||
			     strcmp(u->dir[0].sample, copy->dir[0].sample) != 0 ||
			     u->dir[1].gap_len != copy->dir[1].gap_len))
			__builtin_trap();
		sti_tls_packed_free(packed);
	}
	if (copy) {
		if (sti_tls_facts_settled_size(copy) < sizeof(*copy))
			__builtin_trap();
		fingerprints(copy);
		for (unsigned i = 0; i < copy->ch.nalpn; i++)
			touched += strlen(copy->ch.alpn[i]);
		touched += strlen(copy->ch2->sni);
		if (copy->ch2->nciphers || copy->ch2->ciphers)
			__builtin_trap();
		sti_tls_facts_free(copy);
	}
	return 0;
}
