/*
 * tls_certcache.h - decoded Certificate messages, shared by the sessions of
 * a run.
 *
 * A gateway sees the same server certificate in session after session. A
 * session's TLS facts therefore do not hold their certificates: they point
 * to a `struct sti_tls_cert`, the decoded leaf and (for a server's message)
 * the verified chain, which is built once and then shared. Entries are
 * immutable once built and reference-counted: every session holding one
 * releases it (sti_tls_cert_release), and the last release frees it.
 *
 * An entry is found by the bytes of the Certificate message body together
 * with what else changes its decoding: the TLS 1.3 layout or the older one,
 * the sender (only a server's chain is verified) and whether the message was
 * cut short. Only the chain's trust depends on when the message was sent;
 * see sti_certcache_get for when a cached verification is reused.
 *
 * The cache holds at most `cap` entries. An entry no session holds any more
 * stays for the next session that sends the same message, and makes room
 * for a new one when the cache is full; when every entry is in use, a new
 * message is decoded into an entry of its session's own (still correct,
 * only not shared). The program reads captures on one thread; the cache is
 * not locked. The verification uses the trust store configured when the
 * entry is built (tls_trust.h): configure the store before the first
 * session.
 */
#ifndef STI_TLS_CERTCACHE_H
#define STI_TLS_CERTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/tls_hello.h"
#include "sti/tls_trust.h"

/* What a session's facts point to: read-only, shared. */
struct sti_tls_cert {
	struct sti_cert_info leaf;       /* sti_tls_parse_certificate */
	struct sti_trust_info chain;     /* server's: sti_trust_check_chain;
					    client's: all zero (not checked) */
};

/* Entries kept by default (--anonymize and the reporters do not care). */
#define STI_CERTCACHE_DEFAULT_CAP 64

struct sti_certcache;

struct sti_certcache_stats {
	uint64_t hits;        /* a kept entry served a session */
	uint64_t decoded;     /* messages decoded (cached or not) */
	uint64_t rechecked;   /* a kept leaf whose chain was verified again for
				 another capture time */
	uint64_t uncached;    /* decoded for one session: the cache was full */
	unsigned entries;     /* kept now */
};

/* An empty cache of at most cap entries (cap 0: nothing is shared); NULL
 * without memory. */
struct sti_certcache *sti_certcache_new(unsigned cap);
/* The cache's own hold on its entries; entries sessions still hold stay
 * valid until they release them. NULL is ignored. */
void sti_certcache_free(struct sti_certcache *c);

/*
 * The decoded Certificate message body[0..len) that `server` (else the
 * client) sent at capture time at_us, with tls_version selecting the
 * layout and `truncated` saying the body was cut short: a held entry the
 * caller must release. cache may be NULL (decoded for the caller alone).
 * NULL without memory.
 */
const struct sti_tls_cert *sti_certcache_get(struct sti_certcache *c, const uint8_t *body,
					     size_t len, uint16_t tls_version, bool truncated,
					     bool server, int64_t at_us);
/* The caller's hold ends; the entry is freed with the last one. NULL is
 * ignored. */
void sti_tls_cert_release(const struct sti_tls_cert *cert);

const struct sti_certcache_stats *sti_certcache_stats(const struct sti_certcache *c);

#endif /* STI_TLS_CERTCACHE_H */
