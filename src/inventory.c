/*
 * inventory.c - per-peer TLS readiness over a run, and its reporter.
 */
#include "sti/grow.h"
#include "sti/inventory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/tls_hello.h"

struct sti_inventory {
	uint16_t min_version;
	struct sti_inv_peer *peers;
	size_t npeers, cap;
	uint32_t *slots;             /* index + 1 into peers; 0 empty */
	size_t nslots;               /* a power of two, at least 2 * npeers */
	uint64_t dropped;            /* sessions of peers past the cap */
	const struct sti_inv_peer **rows;
};

struct sti_inventory *sti_inventory_new(uint16_t min_version)
{
	struct sti_inventory *inv = calloc(1, sizeof(*inv));
	if (!inv)
		return NULL;
	inv->min_version = min_version;
	return inv;
}

void sti_inventory_free(struct sti_inventory *inv)
{
	if (!inv)
		return;
	free(inv->peers);
	free(inv->slots);
	free(inv->rows);
	free(inv);
}

const char *sti_inv_risk_name(enum sti_inv_risk r)
{
	switch (r) {
	case STI_INV_BREAKS: return "yes";
	case STI_INV_SAFE: return "no";
	case STI_INV_UNKNOWN: break;
	}
	return "unknown";
}

/* ---- the peer table ---- */

static uint64_t peer_hash(enum sti_inv_role role, const struct sti_addr *a)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)role ^ ((uint64_t)a->family << 8);
	for (int i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static bool same_peer(const struct sti_inv_peer *p, enum sti_inv_role role,
		      const struct sti_addr *a)
{
	return p->role == role && p->addr.family == a->family &&
	       memcmp(p->addr.a, a->a, 16) == 0;
}

static bool rehash(struct sti_inventory *inv, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < inv->npeers; i++) {
		size_t s = peer_hash(inv->peers[i].role, &inv->peers[i].addr) & (nslots - 1);
		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(inv->slots);
	inv->slots = slots;
	inv->nslots = nslots;
	return true;
}

static struct sti_inv_peer *new_peer(struct sti_inventory *inv, size_t slot,
				     enum sti_inv_role role, const struct sti_addr *a)
{
	struct sti_inv_peer *np = sti_grow_array(inv->peers, &inv->cap, sizeof(*np),
						 inv->npeers + 1, 64, SIZE_MAX);
	if (!np)
		return NULL;
	inv->peers = np;
	struct sti_inv_peer *p = &inv->peers[inv->npeers];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->addr = *a;
	inv->slots[slot] = (uint32_t)++inv->npeers;
	return p;
}

static struct sti_inv_peer *find_peer(struct sti_inventory *inv, enum sti_inv_role role,
				      const struct sti_addr *a)
{
	if (inv->nslots < 2 * (inv->npeers + 1) && !rehash(inv, inv->nslots ? inv->nslots * 2 : 128))
		return NULL;
	size_t s = peer_hash(role, a) & (inv->nslots - 1);
	for (; inv->slots[s]; s = (s + 1) & (inv->nslots - 1)) {
		struct sti_inv_peer *p = &inv->peers[inv->slots[s] - 1];
		if (same_peer(p, role, a))
			return p;
	}
	if (inv->npeers >= STI_INV_MAX_PEERS)
		return NULL;
	return new_peer(inv, s, role, a);
}

/* ---- what one session says about its two peers ---- */

static unsigned rank(uint16_t v)
{
	return sti_tls_version_rank(v);
}

static const uint16_t bit_versions[STI_INV_NVERSIONS] = {
	0x0300, 0x0301, 0x0302, 0x0303, 0x0304
};

uint16_t sti_inv_version_of_bit(unsigned i)
{
	return i < STI_INV_NVERSIONS ? bit_versions[i] : 0;
}

static uint8_t version_bit(uint16_t v)
{
	switch (v) {
	case 0x0300: return 1;
	case 0x0301: return 2;
	case 0x0302: return 4;
	case 0x0303: return 8;
	case 0x0304: return 16;
	default: return 0;
	}
}

static void add_cipher(struct sti_inv_peer *p, uint16_t c)
{
	for (unsigned i = 0; i < p->nciphers; i++)
		if (p->ciphers[i] == c)
			return;
	if (p->nciphers == STI_INV_CIPHERS)
		p->ciphers_more = true;
	else
		p->ciphers[p->nciphers++] = c;
}

static void set_name(struct sti_inv_peer *p, const char *name, size_t max)
{
	if (p->name[0] || !name[0])
		return;
	size_t n = strnlen(name, max);
	/* a banner's first word: "mx.example.test ESMTP Postfix" */
	n = strcspn(name, " ") < n ? strcspn(name, " ") : n;
	if (n >= sizeof(p->name))
		n = sizeof(p->name) - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		p->name[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	p->name[n] = '\0';
}

static void note_common(struct sti_inv_peer *p, const struct sti_record *rec,
			const struct sti_verdict *v)
{
	const struct sti_tls_facts *t = rec->tls;
	if (!p->sessions || rec->first_ts < p->first_seen)
		p->first_seen = rec->first_ts;
	if (rec->last_ts > p->last_seen)
		p->last_seen = rec->last_ts;
	p->sessions++;
	if ((unsigned)v->outcome < STI_OUTCOME_COUNT)
		p->outcomes[v->outcome]++;
	p->tcp_refused += v->reason == STI_REASON_TCP_REFUSED;
	p->tcp_no_answer += v->reason == STI_REASON_TCP_NO_ANSWER;
	if (t && t->have_ch) {
		uint16_t m = t->ch.max_version;
		if (!p->offered_low || rank(m) < rank(p->offered_low))
			p->offered_low = m;
		if (rank(m) > rank(p->offered_high))
			p->offered_high = m;
	}
	if (t && t->established && t->have_sh) {
		p->negotiated |= version_bit(t->sh.version);
		add_cipher(p, t->sh.cipher);
	}
}

/* A ClientHello the server answered without a ServerHello, judged a
 * version refusal: too old for it, or too new. */
static void note_refusal(struct sti_inv_peer *p, const struct sti_client_hello *ch,
			 enum sti_reason reason)
{
	if (reason == STI_REASON_CLIENT_VERSION_TOO_LOW) {
		if (rank(ch->max_version) > rank(p->refused_old))
			p->refused_old = ch->max_version;
	} else if (reason == STI_REASON_SERVER_VERSION_TOO_LOW) {
		/* Only the maximum: a database keeps no more of the offer, and
		 * its inventory must read as the capture's. */
		if (!p->refused_new || rank(ch->max_version) < rank(p->refused_new))
			p->refused_new = ch->max_version;
	}
}

static void note_server(struct sti_inventory *inv, struct sti_inv_peer *p,
			const struct sti_record *rec, const struct sti_verdict *v)
{
	const struct sti_tls_facts *t = rec->tls;
	if (t && t->have_ch && t->ch.sni[0])
		set_name(p, t->ch.sni, STI_HELLO_NAME_MAX);
	if (rec->smtp && rec->smtp->greeting_seen)
		set_name(p, rec->smtp->greeting.text, STI_SMTP_TEXT_MAX);
	bool modern_offer = t && t->have_ch && rank(t->ch.max_version) >= rank(inv->min_version);
	if (t && t->have_sh && !t->sh.hello_retry_request) {
		if (rank(t->sh.version) > rank(p->chosen_high))
			p->chosen_high = t->sh.version;
		if (modern_offer && rank(t->sh.version) < rank(inv->min_version))
			p->below_with_modern_offer = true;
	}
	if (v->reason == STI_REASON_SERVER_VERSION_TOO_LOW && modern_offer)
		p->below_with_modern_offer = true;
	if (t && t->have_sh && !t->sh.hello_retry_request)
		p->chose |= version_bit(t->sh.version);
	else if (t && t->have_ch)
		note_refusal(p, &t->ch, v->reason);
}

void sti_inventory_add(struct sti_inventory *inv, const struct sti_record *rec,
		       const struct sti_verdict *v)
{
	struct sti_inv_peer *c = find_peer(inv, STI_INV_CLIENT, &rec->cli.addr);
	if (c) {
		note_common(c, rec, v);
		if (rec->smtp)
			set_name(c, rec->smtp->hello_name, STI_SMTP_NAME_MAX);
	} else {
		inv->dropped++;
	}
	struct sti_inv_peer *s = find_peer(inv, STI_INV_SERVER, &rec->srv.addr);
	if (s) {
		note_common(s, rec, v);
		note_server(inv, s, rec, v);
	} else {
		inv->dropped++;
	}
}

enum sti_inv_risk sti_inventory_risk(const struct sti_inventory *inv,
				     const struct sti_inv_peer *p)
{
	unsigned min = rank(inv->min_version);
	if (p->role == STI_INV_CLIENT) {
		if (!p->offered_low)
			return STI_INV_UNKNOWN;
		return rank(p->offered_low) < min ? STI_INV_BREAKS : STI_INV_SAFE;
	}
	if (p->below_with_modern_offer)
		return STI_INV_BREAKS;
	if (p->chosen_high && rank(p->chosen_high) >= min)
		return STI_INV_SAFE;
	/* It refused an older client for being too old and never chose an old
	 * version: it is configured for newer clients. */
	return p->refused_old && !p->chosen_high ? STI_INV_SAFE : STI_INV_UNKNOWN;
}

static const struct sti_inventory *sort_inv;

static int row_order(const void *a, const void *b)
{
	const struct sti_inv_peer *x = *(const struct sti_inv_peer *const *)a;
	const struct sti_inv_peer *y = *(const struct sti_inv_peer *const *)b;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	enum sti_inv_risk rx = sti_inventory_risk(sort_inv, x), ry = sti_inventory_risk(sort_inv, y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.a, y->addr.a, 16);
}

const struct sti_inv_peer *const *sti_inventory_rows(struct sti_inventory *inv,
						     size_t *n, uint64_t *dropped)
{
	*dropped = inv->dropped;
	*n = 0;
	free(inv->rows);
	inv->rows = inv->npeers ? malloc(inv->npeers * sizeof(*inv->rows)) : NULL;
	if (!inv->rows)
		return NULL;
	for (size_t i = 0; i < inv->npeers; i++)
		inv->rows[i] = &inv->peers[i];
	sort_inv = inv;
	qsort(inv->rows, inv->npeers, sizeof(*inv->rows), row_order);
	sort_inv = NULL;
	*n = inv->npeers;
	return inv->rows;
}
