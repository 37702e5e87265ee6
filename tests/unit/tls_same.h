/*
 * tls_same.h - two sets of TLS facts are the same: every byte of the
 * facts but the certificate and list pointers, the certificates they point
 * to (the pointers differ between parsers that decoded alone), and the
 * hellos' lists, the handshake entries, the alerts and the note as long as
 * their counts, the HelloRetryRequest when there was one (a
 * settled copy keeps no more). Include after
 * cmocka.h.
 */
#ifndef STI_TEST_TLS_SAME_H
#define STI_TEST_TLS_SAME_H

#include <string.h>

#include "sti/tls.h"

static inline void assert_same_cert(const struct sti_tls_cert *a, const struct sti_tls_cert *b)
{
	assert_true((a == NULL) == (b == NULL));
	if (a)
		assert_memory_equal(a, b, sizeof(*a));
}

/* Two hellos' lists, each as long as its count (the same). */
static inline void assert_same_hello_lists(const struct sti_client_hello *a,
					   const struct sti_client_hello *b)
{
#define SAME_LIST(l, n) \
	if (a->n) \
		assert_memory_equal(a->l, b->l, a->n * sizeof(a->l[0]))
	SAME_LIST(versions, nversions);
	SAME_LIST(ciphers, nciphers);
	SAME_LIST(exts, nexts);
	SAME_LIST(groups, ngroups);
	SAME_LIST(sigalgs, nsigalgs);
	SAME_LIST(key_share_groups, nkey_shares);
	SAME_LIST(ec_point_formats, npoint_formats);
	SAME_LIST(alpn, nalpn);
#undef SAME_LIST
	assert_string_equal(a->sni, b->sni);
}

/* A hello with where its lists are left out: its counts and flags. */
static inline void hello_without_lists(struct sti_client_hello *ch)
{
	ch->versions = ch->ciphers = ch->exts = ch->groups = ch->sigalgs = NULL;
	ch->key_share_groups = NULL;
	ch->ec_point_formats = NULL;
	ch->sni = NULL;
	ch->alpn = NULL;
}

/* Two hellos: the same counts and flags, the same lists. */
static inline void assert_same_hello(const struct sti_client_hello *a,
				     const struct sti_client_hello *b)
{
	struct sti_client_hello x = *a, y = *b;
	hello_without_lists(&x);
	hello_without_lists(&y);
	assert_memory_equal(&x, &y, sizeof(x));
	assert_same_hello_lists(a, b);
}

/* The facts with where their lists and text are left out. */
static inline void facts_without_pointers(struct sti_tls_facts *f)
{
	f->server_cert = f->client_cert = NULL;
	hello_without_lists(&f->ch);
	f->ch2 = NULL;
	f->alerts = NULL;
	f->decrypt_note = NULL;
	f->hrr = NULL;
	f->sh.exts = NULL;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		f->dir[d].hs = NULL;
		f->dir[d].reason = f->dir[d].sample = NULL;
	}
}

/* Two server hellos: the same fields, the same extension list. */
static inline void assert_same_server_hello(const struct sti_server_hello *a,
					    const struct sti_server_hello *b)
{
	struct sti_server_hello x = *a, y = *b;
	x.exts = y.exts = NULL;
	assert_memory_equal(&x, &y, sizeof(x));
	if (a->nexts)
		assert_memory_equal(a->exts, b->exts, a->nexts * sizeof(a->exts[0]));
}

/* The handshake entries, reasons and samples of two directions, and the two
 * HelloRetryRequests when there was one. */
static inline void assert_same_handshakes(const struct sti_tls_facts *a,
					  const struct sti_tls_facts *b)
{
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		/* field by field: an entry's padding is whatever its room held */
		for (unsigned i = 0; i < a->dir[d].nhs; i++) {
			assert_int_equal(a->dir[d].hs[i].index, b->dir[d].hs[i].index);
			assert_int_equal(a->dir[d].hs[i].count, b->dir[d].hs[i].count);
			assert_int_equal(a->dir[d].hs[i].first_frame, b->dir[d].hs[i].first_frame);
		}
		assert_string_equal(a->dir[d].reason, b->dir[d].reason);
		assert_string_equal(a->dir[d].sample, b->dir[d].sample);
	}
	if (a->have_hrr)
		assert_same_server_hello(a->hrr, b->hrr);
	assert_same_server_hello(&a->sh, &b->sh);
}

/* The same, but for ch2's lists when b is a settled copy (which keeps
 * none: tls.h, have_ch2). */
static inline void assert_same_facts_but_ch2(const struct sti_tls_facts *a,
					     const struct sti_tls_facts *b, bool settled)
{
	static struct sti_tls_facts x, y;   /* not on the stack */
	x = *a;
	y = *b;
	struct sti_client_hello x2 = *a->ch2;
	if (settled) {
		x2.nversions = x2.nciphers = x2.nexts = x2.ngroups = 0;
		x2.nsigalgs = x2.nkey_shares = x2.npoint_formats = x2.nalpn = 0;
	}
	hello_without_lists(&x2);
	struct sti_client_hello y2 = *b->ch2;
	hello_without_lists(&y2);
	assert_memory_equal(&x2, &y2, sizeof(x2));
	facts_without_pointers(&x);
	facts_without_pointers(&y);
	assert_memory_equal(&x, &y, sizeof(x));
	assert_same_handshakes(a, b);
	assert_same_hello_lists(&a->ch, &b->ch);
	if (!settled)
		assert_same_hello_lists(a->ch2, b->ch2);
	assert_string_equal(a->ch2->sni, b->ch2->sni);
	if (a->nalerts)
		assert_memory_equal(a->alerts, b->alerts,
				    (a->nalerts < STI_TLS_MAX_ALERTS ? a->nalerts : STI_TLS_MAX_ALERTS) *
				    sizeof(a->alerts[0]));
	assert_string_equal(a->decrypt_note, b->decrypt_note);
	assert_same_cert(a->server_cert, b->server_cert);
	assert_same_cert(a->client_cert, b->client_cert);
}

static inline void assert_same_tls_facts(const struct sti_tls_facts *a,
					 const struct sti_tls_facts *b)
{
	assert_same_facts_but_ch2(a, b, false);
}

/* b is a settled copy of a. */
static inline void assert_settled_copy_of(const struct sti_tls_facts *a,
					  const struct sti_tls_facts *b)
{
	assert_same_facts_but_ch2(a, b, true);
}

#endif /* STI_TEST_TLS_SAME_H */
