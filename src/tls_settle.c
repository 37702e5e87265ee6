/*
 * tls_settle.c - a session's TLS facts once nothing can change them any
 * more (tls.h, sti_tls_facts_settle): one allocation holding the facts and
 * their lists, each exactly as long as what arrived, so that the parser
 * (its handshake buffers, decryptor and the rooms its hellos were parsed
 * into) can go.
 */
#include "sti/tls.h"

#include <stdlib.h>
#include <string.h>

#include "tls_impl.h"

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

static void take_bytes(struct layout *l, struct sti_client_hello *dst,
		       const struct sti_client_hello *src)
{
	dst->ec_point_formats = take(l, src->ec_point_formats, src->npoint_formats);
	/* The name with its NUL, so it is a string even when empty. */
	dst->sni = take(l, src->sni, strnlen(src->sni, STI_HELLO_NAME_MAX - 1) + 1);
	dst->alpn = take(l, src->alpn, src->nalpn * sizeof(src->alpn[0]));
}

/* The bytes the copy of f takes; with a base, the copy made there. */
static size_t lay_out(char *base, const struct sti_tls_facts *f)
{
	struct sti_tls_facts scratch;
	struct layout l = { base, sizeof(*f) };
	struct sti_tls_facts *dst = base ? (struct sti_tls_facts *)(void *)base : &scratch;

	*dst = *f;
	take_words(&l, &dst->ch, &f->ch);
	take_words(&l, &dst->ch2, &f->ch2);
	take_bytes(&l, &dst->ch, &f->ch);
	take_bytes(&l, &dst->ch2, &f->ch2);
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
