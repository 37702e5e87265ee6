/*
 * tls_same.h - two parsers' TLS facts are the same: every byte of the
 * facts but the certificate pointers, and the certificates they point to
 * (the pointers differ between parsers that decoded alone). Include after
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

static inline void assert_same_tls_facts(const struct sti_tls_facts *a,
					 const struct sti_tls_facts *b)
{
	static struct sti_tls_facts x, y;   /* 16 KB: not on the stack */
	x = *a;
	y = *b;
	x.server_cert = y.server_cert = x.client_cert = y.client_cert = NULL;
	assert_memory_equal(&x, &y, sizeof(x));
	assert_same_cert(a->server_cert, b->server_cert);
	assert_same_cert(a->client_cert, b->client_cert);
}

#endif /* STI_TEST_TLS_SAME_H */
