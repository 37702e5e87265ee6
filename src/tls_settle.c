/*
 * tls_settle.c - a session's TLS facts once nothing can change them any
 * more (tls.h, sti_tls_facts_settle): one allocation holding the facts and
 * their lists and text, each exactly as long as what arrived, so that the
 * parser (its handshake buffers, decryptor and the room its facts were
 * gathered in) can go.
 */
#include "sti/tls.h"

#include <stdlib.h>
#include <string.h>

#include "tls_impl.h"

/* What lay_out puts first, before the 16-bit lists: whole 8-byte words. */
_Static_assert(sizeof(struct sti_tls_alert) % 8 == 0, "alerts keep 8-byte alignment");
_Static_assert(sizeof(struct sti_server_hello) % 8 == 0, "the HRR keeps 8-byte alignment");
_Static_assert(sizeof(struct sti_tls_hs_seen) % 8 == 0, "entries keep 8-byte alignment");
_Static_assert(sizeof(struct sti_client_hello) % 8 == 0, "ch2 keeps 8-byte alignment");

bool sti_tls_settled_both(const struct sti_tls *t)
{
	return sti_tls_settled(t, STI_C2S) && sti_tls_settled(t, STI_S2C) &&
	       !t->d[STI_C2S].pend_len && !t->d[STI_S2C].pend_len;
}

/*
 * Where the copy's lists go: `base` NULL only measures. Lists of 16-bit
 * values come first, right after the facts, then the bytes, so nothing
 * needs padding.
 */
struct layout {
	char *base;
	size_t used;
};

static void *take(struct layout *l, const void *src, size_t n)
{
	if (n == 0)
		return NULL;
	void *at = l->base ? l->base + l->used : NULL;
	if (at)
		memcpy(at, src, n);
	l->used += n;
	return at;
}

static void take_words(struct layout *l, struct sti_client_hello *dst,
		       const struct sti_client_hello *src)
{
	dst->versions = take(l, src->versions, src->nversions * sizeof(src->versions[0]));
	dst->ciphers = take(l, src->ciphers, src->nciphers * sizeof(src->ciphers[0]));
	dst->exts = take(l, src->exts, src->nexts * sizeof(src->exts[0]));
	dst->groups = take(l, src->groups, src->ngroups * sizeof(src->groups[0]));
	dst->sigalgs = take(l, src->sigalgs, src->nsigalgs * sizeof(src->sigalgs[0]));
	dst->key_share_groups = take(l, src->key_share_groups,
				     src->nkey_shares * sizeof(src->key_share_groups[0]));
}

/* A server hello's extension list (a 16-bit list); dst NULL only measures. */
static void take_server_exts(struct layout *l, struct sti_server_hello *dst,
			     const struct sti_server_hello *src)
{
	uint16_t *exts = take(l, src->exts, src->nexts * sizeof(src->exts[0]));
	if (dst)
		dst->exts = exts;
}

static void take_bytes(struct layout *l, struct sti_client_hello *dst,
		       const struct sti_client_hello *src)
{
	dst->ec_point_formats = take(l, src->ec_point_formats, src->npoint_formats);
	/* The name with its NUL, so it is a string even when empty. */
	dst->sni = take(l, src->sni, strnlen(src->sni, STI_HELLO_NAME_MAX - 1) + 1);
	dst->alpn = take(l, src->alpn, src->nalpn * sizeof(src->alpn[0]));
}

/* What is read of the second ClientHello once the handshake is over: all
 * but its lists (tls.h, have_ch2); dst NULL only measures. */
static void take_name_only(struct layout *l, struct sti_client_hello *dst,
			   const struct sti_client_hello *src)
{
	char *sni = take(l, src->sni, strnlen(src->sni, STI_HELLO_NAME_MAX - 1) + 1);
	if (!dst)
		return;
	dst->versions = dst->ciphers = dst->exts = dst->groups = dst->sigalgs = NULL;
	dst->key_share_groups = NULL;
	dst->nversions = dst->nciphers = dst->nexts = dst->ngroups = dst->nsigalgs = 0;
	dst->nkey_shares = dst->npoint_formats = dst->nalpn = 0;
	dst->ec_point_formats = NULL;
	dst->alpn = NULL;
	dst->sni = sni;
}

/* The second ClientHello of facts without one: no lists, no name. Never
 * written (--anonymize rewrites a copy of it). */
static char no_name[1];
static struct sti_client_hello no_second_hello = { .sni = no_name };

/* The handshake entries each direction saw, and the HelloRetryRequest
 * and second ClientHello only when there was one (NULL and an empty hello
 * in the copy otherwise). */
static void take_handshakes(struct layout *l, struct sti_tls_facts *dst,
			    const struct sti_tls_facts *f)
{
	dst->hrr = f->have_hrr ? take(l, f->hrr, sizeof(*f->hrr)) : NULL;
	dst->ch2 = f->have_ch2 ? take(l, f->ch2, sizeof(*f->ch2)) : &no_second_hello;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++)
		dst->dir[d].hs = take(l, f->dir[d].hs, f->dir[d].nhs * sizeof(f->dir[d].hs[0]));
}

/* The bytes the copy of f takes; with a base, the copy made there. The
 * alerts, the HelloRetryRequest and the handshake entries first (each a
 * multiple of 8 bytes, as the facts' size is), then 16-bit lists (the
 * hellos' extensions among them), then
 * bytes, so nothing needs padding. */
static size_t lay_out(char *base, const struct sti_tls_facts *f)
{
	struct sti_tls_facts scratch;   /* measuring: only its pointers are set */
	struct layout l = { base, sizeof(*f) };
	struct sti_tls_facts *dst = base ? (struct sti_tls_facts *)(void *)base : &scratch;
	unsigned nalerts = f->nalerts < STI_TLS_MAX_ALERTS ? f->nalerts : STI_TLS_MAX_ALERTS;

	if (base)
		*dst = *f;
	dst->alerts = take(&l, f->alerts, nalerts * sizeof(f->alerts[0]));
	take_handshakes(&l, dst, f);
	take_words(&l, &dst->ch, &f->ch);
	take_server_exts(&l, &dst->sh, &f->sh);
	if (f->have_hrr)
		take_server_exts(&l, dst->hrr, f->hrr);
	take_bytes(&l, &dst->ch, &f->ch);
	if (f->have_ch2)
		take_name_only(&l, base ? dst->ch2 : NULL, f->ch2);
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		dst->dir[d].reason = take(&l, f->dir[d].reason,
					  strnlen(f->dir[d].reason, STI_TLS_REASON_MAX - 1) + 1);
		dst->dir[d].sample = take(&l, f->dir[d].sample,
					  strnlen(f->dir[d].sample, STI_TLS_SAMPLE_MAX) + 1);
	}
	dst->decrypt_note = take(&l, f->decrypt_note,
				 strnlen(f->decrypt_note, STI_TLS_NOTE_MAX - 1) + 1);
	return l.used;
}

size_t sti_tls_facts_settled_size(const struct sti_tls_facts *f)
{
	return lay_out(NULL, f);
}

struct sti_tls_facts *sti_tls_facts_settle(const struct sti_tls_facts *f)
{
	char *p = malloc(sti_tls_facts_settled_size(f));
	if (!p)
		return NULL;
	lay_out(p, f);
	struct sti_tls_facts *done = (struct sti_tls_facts *)(void *)p;
	sti_tls_cert_retain(done->server_cert);
	sti_tls_cert_retain(done->client_cert);
	return done;
}

void sti_tls_facts_free(struct sti_tls_facts *f)
{
	if (!f)
		return;
	sti_tls_cert_release(f->server_cert);
	sti_tls_cert_release(f->client_cert);
	free(f);
}
