/*
 * tls_certcache.c - decoded Certificate messages shared by sessions
 * (tls_certcache.h).
 *
 * At most `cap` entries are kept, each found by a linear walk: a Certificate
 * message is a few per session, and the cache is small. A kept entry holds
 * a copy of its message, and a match is decided by comparing the bytes;
 * the length and a cheap hash of the message's start (where the leaf's
 * serial number and names are) only skip the entries that cannot match.
 * (A SHA-256 of every message cost about 55,000 instructions.) An entry is
 * freed when its count of holders (sessions, and the cache while it keeps
 * it) reaches zero, so the cache can drop an entry a session still reads.
 */
#include "sti/tls_certcache.h"

#include <stdlib.h>
#include <string.h>

#include "sti/rd.h"

struct cert_entry {
	unsigned holders;         /* sessions holding it, + 1 while kept */
	uint8_t *body;            /* the message, while the cache keeps it */
	size_t len;
	uint64_t hash;            /* start_hash(body, len) */
	bool tls13, server, truncated;
	/* The capture seconds for which the chain's trust is the one stored
	 * (the whole line for a client's message, which is not verified). */
	int64_t from, to;
	uint64_t last_use;        /* the cache's clock when last served */
	struct sti_tls_cert cert; /* what the sessions read */
};

struct sti_certcache {
	unsigned cap;
	uint64_t clock;
	struct sti_certcache_stats stats;
	struct cert_entry *kept[]; /* cap slots, NULL when empty */
};

/* What an entry is found by: the message itself and what changes its
 * decoding. */
struct cert_key {
	const uint8_t *body;
	size_t len;
	uint64_t hash;
	bool tls13, server, truncated;
};

/* Bytes of a message's start the hash reads: the leaf's version, serial
 * number, signature algorithm, issuer and dates, and usually its subject. */
#define HASHED_START 256u

struct sti_certcache *sti_certcache_new(unsigned cap)
{
	struct sti_certcache *c = calloc(1, sizeof(*c) + (size_t)cap * sizeof(c->kept[0]));
	if (c)
		c->cap = cap;
	return c;
}

static struct cert_entry *entry_of(const struct sti_tls_cert *cert)
{
	/* An entry is only ever handed out as its `cert` member; the entry
	 * itself was allocated writable. */
	return (struct cert_entry *)((char *)(uintptr_t)cert - offsetof(struct cert_entry, cert));
}

static void entry_drop(struct cert_entry *e)
{
	if (--e->holders == 0) {
		free(e->body);
		free(e);
	}
}

void sti_tls_cert_release(const struct sti_tls_cert *cert)
{
	if (cert)
		entry_drop(entry_of(cert));
}

/* The cache lets go of a kept entry; its copy of the message served only
 * to find it. */
static void unkeep(struct cert_entry *e)
{
	free(e->body);
	e->body = NULL;
	entry_drop(e);
}

void sti_certcache_free(struct sti_certcache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->cap; i++)
		if (c->kept[i])
			unkeep(c->kept[i]);
	free(c);
}

const struct sti_certcache_stats *sti_certcache_stats(const struct sti_certcache *c)
{
	return &c->stats;
}

/* 1.3 and its drafts use the 1.3 form (as tls_cert.c and tls_trust.c). */
static bool layout_13(uint16_t tls_version)
{
	return sti_tls_version_rank(tls_version) >= sti_tls_version_rank(STI_TLS13) - 1;
}

/* A hash of the length and the first HASHED_START bytes: cheap, and
 * different for different certificates almost always (equal hashes are
 * confirmed by comparing the bytes). */
static uint64_t start_hash(const uint8_t *body, size_t len)
{
	const uint64_t mul = 0x9e3779b97f4a7c15u;
	struct sti_rd r = sti_rd_init(body, len < HASHED_START ? len : HASHED_START);
	uint64_t h = (uint64_t)len * mul, w;
	uint8_t b;

	while (sti_rd_copy(&r, &w, sizeof(w))) {
		h = (h ^ w) * mul;
		h ^= h >> 29;
	}
	while (sti_rd_u8(&r, &b))
		h = (h ^ b) * mul;
	return h ^ (h >> 32);
}

static void key_make(const uint8_t *body, size_t len, uint16_t tls_version, bool truncated,
		     bool server, struct cert_key *k)
{
	k->body = body;
	k->len = len;
	k->hash = start_hash(body, len);
	k->tls13 = layout_13(tls_version);
	k->server = server;
	k->truncated = truncated;
}

static bool key_matches(const struct cert_entry *e, const struct cert_key *k)
{
	return e->hash == k->hash && e->len == k->len && e->tls13 == k->tls13 &&
	       e->server == k->server && e->truncated == k->truncated && e->body &&
	       (k->len == 0 || memcmp(e->body, k->body, k->len) == 0);
}

/*
 * When a kept verification may be reused. The leaf's decoding does not
 * depend on time, the chain's trust does: OpenSSL reads the verification
 * time only through the notBefore and notAfter of the certificates that
 * are, or could have been, in the chain (tls_trust.c, struct window). The
 * verification reports the seconds [from, to] around its time between two
 * such dates; it lies within [latest_not_before, earliest_not_after] of the
 * chain sent, and a store certificate's dates can narrow it further. A
 * session whose Certificate was captured in that span gets the same answer
 * and reuses the entry; any other session (before a chain's notBefore,
 * after its notAfter, across a store certificate's date) gets the chain
 * verified again at its own time, in an entry of its own.
 */
static bool trust_holds(const struct cert_entry *e, int64_t t)
{
	return e->from <= t && t <= e->to;
}

/* A new entry held once (by the caller), decoded; the key gives its
 * flags (the message is copied only when the cache keeps the entry).
 * leaf_from, if not NULL, already holds the same message's leaf. */
static struct cert_entry *entry_build(const uint8_t *body, size_t len, uint16_t tls_version,
				      const struct cert_key *k, int64_t at_us,
				      const struct cert_entry *leaf_from)
{
	struct cert_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->holders = 1;
	e->len = k->len;
	e->hash = k->hash;
	e->tls13 = k->tls13;
	e->server = k->server;
	e->truncated = k->truncated;
	if (leaf_from) {
		e->cert.leaf = leaf_from->cert.leaf;
	} else {
		/* A cut-short message still yields the leaf, which comes first. */
		(void)sti_tls_parse_certificate(body, len, tls_version, &e->cert.leaf);
		if (k->truncated)
			e->cert.leaf.truncated = true;
	}
	e->from = INT64_MIN;
	e->to = INT64_MAX;
	if (k->server)
		sti_trust_check_chain_span(body, len, tls_version, at_us, &e->cert.chain,
					   &e->from, &e->to);
	return e;
}

/* A slot for a new entry: an empty one, else the one least recently
 * served that no session holds; NULL when every entry is in use. */
static struct cert_entry **slot_to_fill(struct sti_certcache *c)
{
	struct cert_entry **idle = NULL;
	for (unsigned i = 0; i < c->cap; i++) {
		struct cert_entry *e = c->kept[i];
		if (!e)
			return &c->kept[i];
		if (e->holders == 1 && (!idle || e->last_use < (*idle)->last_use))
			idle = &c->kept[i];
	}
	return idle;
}

/* Kept entries of this key: the one whose trust holds at t, else any
 * (whose leaf can be reused), else NULL. */
static struct cert_entry *find(const struct sti_certcache *c, const struct cert_key *k,
			       int64_t t, bool *holds)
{
	struct cert_entry *same = NULL;
	*holds = false;
	for (unsigned i = 0; i < c->cap; i++) {
		struct cert_entry *e = c->kept[i];
		if (!e || !key_matches(e, k))
			continue;
		if (trust_holds(e, t)) {
			*holds = true;
			return e;
		}
		same = e;
	}
	return same;
}

/* Keep a fresh entry, with a copy of its message k->body, if there is
 * room (and memory); otherwise it is the caller's alone. */
static void keep(struct sti_certcache *c, struct cert_entry *e, const struct cert_key *k)
{
	struct cert_entry **slot = slot_to_fill(c);
	if (slot)
		e->body = malloc(k->len ? k->len : 1);
	if (!slot || !e->body) {
		c->stats.uncached++;
		return;
	}
	if (k->len)
		memcpy(e->body, k->body, k->len);
	if (*slot)
		unkeep(*slot);
	else
		c->stats.entries++;
	*slot = e;
	e->holders++;
	e->last_use = ++c->clock;
}

const struct sti_tls_cert *sti_certcache_get(struct sti_certcache *c, const uint8_t *body,
					     size_t len, uint16_t tls_version, bool truncated,
					     bool server, int64_t at_us)
{
	struct cert_key k;
	int64_t t = at_us / 1000000;   /* the second tls_trust.c verifies at */
	bool holds = false;
	struct cert_entry *e, *same = NULL;

	key_make(body, len, tls_version, truncated, server, &k);
	if (c && (same = find(c, &k, t, &holds)) != NULL && holds) {
		same->holders++;
		same->last_use = ++c->clock;
		c->stats.hits++;
		return &same->cert;
	}
	e = entry_build(body, len, tls_version, &k, at_us, same);
	if (!e)
		return NULL;
	if (!c)
		return &e->cert;
	if (same)
		c->stats.rechecked++;
	else
		c->stats.decoded++;
	keep(c, e, &k);
	return &e->cert;
}
