/*
 * tls_same.h - two sets of TLS facts are the same: every byte of the
 * facts but the certificate and list pointers, the certificates they point
 * to (the pointers differ between parsers that decoded alone), and the
 * hellos' lists as long as their counts (a settled copy keeps no more). Include after
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

static inline void assert_same_tls_facts(const struct sti_tls_facts *a,
					 const struct sti_tls_facts *b)
{
	static struct sti_tls_facts x, y;   /* not on the stack */
	x = *a;
	y = *b;
	x.server_cert = y.server_cert = x.client_cert = y.client_cert = NULL;
	hello_without_lists(&x.ch);
	hello_without_lists(&y.ch);
	hello_without_lists(&x.ch2);
	hello_without_lists(&y.ch2);
	assert_memory_equal(&x, &y, sizeof(x));
	assert_same_hello_lists(&a->ch, &b->ch);
	assert_same_hello_lists(&a->ch2, &b->ch2);
	assert_same_cert(a->server_cert, b->server_cert);
	assert_same_cert(a->client_cert, b->client_cert);
}

#endif /* STI_TEST_TLS_SAME_H */
