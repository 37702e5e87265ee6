/*
 * tls_pack.c - the compact form of a settled session's TLS facts (tls.h,
 * sti_tls_facts_pack): what an open session keeps for as long as it stays
 * open after its handshake, written once when it settles and read once
 * when it is reported (sti_tls_packed_facts rebuilds the readers' struct).
 *
 * Field by field: frames and counters in 32 bits, list counts in 8, the
 * wire totals in 16, the flags in bits; each direction's ten-odd frames,
 * its tail and handshake entries in 8-byte rows. What most sessions never
 * have is a group kept only when present (the alerts, the HelloRetryRequest,
 * the second ClientHello, the key log's results, a direction's stop, a
 * hello that did not parse). The lists follow at their counts and the
 * strings in one pool, each as long as it is. Facts with a value beyond
 * a narrow field are not packed (sti_tls_facts_settle keeps them whole),
 * so the readers see every value exactly.
 */
#include "sti/tls.h"

#include <stdlib.h>
#include <string.h>

#include "tls_impl.h"

/* One record of a direction's tail. */
struct packed_rec {
	uint32_t frame;
	uint16_t length;
	uint8_t type;
};

/* A handshake type a direction saw (struct sti_tls_hs_seen). */
struct packed_hs {
	uint32_t first_frame;
	uint16_t count;
	uint8_t index;
};

/* A direction, but for why its parse stopped (struct packed_stop). */
struct packed_dir {
	uint32_t bytes, records, by_type[STI_TLS_CT_COUNT];
	uint32_t first_frame, last_frame, ccs_frame, encrypted_frame, finished_frame;
	uint32_t appdata_first_frame, appdata_after_est, data_frame, hs_other;
	int64_t first_ts, last_ts;
	struct packed_rec tail[STI_TLS_TAIL];
	uint8_t nhs, ntail;
	bool encrypted : 1, hs_cut : 1, mid_record : 1, malformed : 1;
	bool not_tls : 1, gap : 1, sslv2 : 1;
};

/* Why a direction stopped: only when it did (its reason and sample are in
 * the pool). */
struct packed_stop {
	uint64_t malformed_frame, gap_frame, gap_len, sslv2_frame;
	uint16_t sslv2_version;
};

/* A ClientHello's counts and flags (its lists follow the groups). */
struct packed_hello {
	uint16_t legacy_version, max_version, ciphers_total, exts_total, sslv2_specs;
	uint8_t nversions, nciphers, nexts, ngroups, nsigalgs, nkey_shares;
	uint8_t npoint_formats, nalpn, alpn0_len;
	uint8_t alpn0_ends[2];
	bool has_supported_versions : 1, sslv2_format : 1, offers_tls13_suites : 1;
	bool offers_aead : 1, only_legacy_ciphers : 1, truncated : 1;
};

struct packed_server_hello {
	uint16_t legacy_version, version, cipher, exts_total, selected_group;
	uint8_t compression, nexts;
	bool hello_retry_request : 1, downgrade_sentinel : 1, truncated : 1;
};

struct packed_alerts {
	uint32_t alerts_total;
	uint8_t nalerts;
};

struct packed_decrypt {
	_Alignas(8) uint8_t client_random[32];   /* (8: the groups after it) */
	uint32_t decrypted_records[2], decrypt_failures[2];
	uint8_t decrypt;   /* enum sti_tls_decrypt_state */
};

/* The hellos' parse errors (static strings), when there was one. */
struct packed_malformed {
	const char *ch, *sh;
};

/* Groups, in the order they follow the core. */
enum {
	G_ALERTS = 1 << 0,
	G_HRR = 1 << 1,
	G_CH2 = 1 << 2,
	G_DECRYPT = 1 << 3,
	G_STOP_C2S = 1 << 4,
	G_STOP_S2C = 1 << 5,
	G_MALFORMED = 1 << 6,
};

struct sti_tls_packed {
	const struct sti_tls_cert *server_cert, *client_cert;
	int64_t established_ts;
	uint32_t ch_frame, ch2_frame, hrr_frame, sh_frame;
	uint32_t server_cert_frame, client_cert_frame, established_frame;
	uint32_t size;   /* of the whole allocation */
	uint16_t version;
	uint8_t groups;
	bool have_ch : 1, have_ch2 : 1, have_hrr : 1, have_sh : 1, established : 1;
	struct packed_hello ch;
	struct packed_server_hello sh;
	struct packed_dir dir[2];
};

/* The groups that hold 8-byte values come first, each a multiple of 8
 * bytes, then the 4-byte handshake rows, the 16-bit lists and the bytes:
 * nothing needs padding. */
_Static_assert(sizeof(struct sti_tls_packed) % 8 == 0, "core keeps 8-byte alignment");
_Static_assert(sizeof(struct packed_alerts) % 8 == 0, "alerts' head keeps alignment");
_Static_assert(sizeof(struct sti_tls_alert) % 8 == 0, "alerts keep alignment");
_Static_assert(sizeof(struct sti_server_hello) % 8 == 0, "the HRR keeps alignment");
_Static_assert(sizeof(struct sti_client_hello) % 8 == 0, "ch2 keeps alignment");
_Static_assert(sizeof(struct packed_decrypt) % 8 == 0, "decryption keeps alignment");
_Static_assert(sizeof(struct packed_stop) % 8 == 0, "stops keep alignment");
_Static_assert(sizeof(struct packed_malformed) % 8 == 0, "malformed keeps alignment");
_Static_assert(sizeof(struct packed_hs) % 4 == 0, "handshake rows keep 4-byte alignment");
/* Caps that fit the 8-bit counts. */
_Static_assert(STI_HELLO_MAX_CIPHERS <= UINT8_MAX && STI_HELLO_MAX_EXTS <= UINT8_MAX &&
	       STI_HELLO_MAX_VERSIONS <= UINT8_MAX && STI_HELLO_MAX_GROUPS <= UINT8_MAX &&
	       STI_HELLO_MAX_SIGALGS <= UINT8_MAX && STI_HELLO_MAX_ALPN <= UINT8_MAX &&
	       STI_HELLO_MAX_POINT_FORMATS <= UINT8_MAX &&
	       STI_HELLO_MAX_KEY_SHARES <= UINT8_MAX && STI_TLS_MAX_ALERTS <= UINT8_MAX &&
	       STI_TLS_HSI_COUNT <= UINT8_MAX, "caps fit 8 bits");

/* The pooled strings, in pool order. */
enum { S_SNI, S_SH_ALPN, S_CH2_SNI, S_REASON0, S_SAMPLE0, S_REASON1, S_SAMPLE1, S_NOTE, S_COUNT };

/* What an empty string or an absent second ClientHello reads as. Never
 * written (--anonymize rewrites copies). */
static char empty[1];
static struct sti_client_hello no_second_hello = { .sni = empty };

/* ---- fitting ---- */

/* Whether every value the core narrows fits its field: ORed together, a
 * bit above the field's width shows. */
static bool dir_fits(const struct sti_tls_dir_facts *d)
{
	uint64_t w32 = d->bytes | d->records | d->first_frame | d->last_frame | d->ccs_frame |
		       d->encrypted_frame | d->finished_frame | d->appdata_first_frame |
		       d->appdata_after_est | d->data_frame;
	uint64_t w16 = 0;
	for (unsigned i = 0; i < STI_TLS_CT_COUNT; i++)
		w32 |= d->by_type[i];
	for (unsigned i = 0; i < STI_TLS_TAIL; i++)
		w32 |= d->tail[i].frame;
	for (unsigned i = 0; i < d->nhs; i++) {
		w32 |= d->hs[i].first_frame;
		w16 |= d->hs[i].count;
	}
	return !(w32 >> 32) && !(w16 >> 16) && d->ntail <= UINT8_MAX;
}

static bool hellos_fit(const struct sti_tls_facts *f)
{
	const struct sti_client_hello *c = &f->ch;
	uint64_t w16 = (uint64_t)c->ciphers_total | c->exts_total | c->sslv2_specs |
		       f->sh.exts_total;
	uint64_t w8 = (uint64_t)c->nversions | c->nciphers | c->nexts | c->ngroups | c->nsigalgs |
		      c->nkey_shares | c->npoint_formats | c->nalpn | c->alpn0_len | f->sh.nexts |
		      f->nalerts;
	if (f->have_hrr)
		w8 |= f->hrr->nexts;
	return !(w16 >> 16) && !(w8 >> 8);
}

static bool fits(const struct sti_tls_facts *f)
{
	uint64_t w32 = f->ch_frame | f->ch2_frame | f->hrr_frame | f->sh_frame |
		       f->server_cert_frame | f->client_cert_frame | f->established_frame;
	return !(w32 >> 32) && dir_fits(&f->dir[STI_C2S]) && dir_fits(&f->dir[STI_S2C]) &&
	       hellos_fit(f);
}

/* ---- planning: which groups, how long each string ---- */

struct plan {
	unsigned groups;
	unsigned nalerts;          /* alerts stored */
	size_t len[S_COUNT];       /* each pooled string with its NUL, 0 absent */
	size_t size;
};

static bool stopped(const struct sti_tls_dir_facts *d)
{
	return d->reason[0] || d->sample[0] || d->malformed_frame || d->gap_frame ||
	       d->gap_len || d->sslv2_frame || d->sslv2_version;
}

static bool decrypted(const struct sti_tls_facts *f)
{
	static const uint8_t zero[32];
	return f->decrypt != STI_TLS_DEC_NONE || f->decrypt_note[0] ||
	       f->decrypted_records[0] | f->decrypted_records[1] | f->decrypt_failures[0] |
	       f->decrypt_failures[1] ||
	       memcmp(f->client_random, zero, sizeof(zero)) != 0;
}

static unsigned groups_of(const struct sti_tls_facts *f)
{
	unsigned g = 0;
	if (f->nalerts || f->alerts_total)
		g |= G_ALERTS;
	if (f->have_hrr)
		g |= G_HRR;
	if (f->have_ch2)
		g |= G_CH2;
	if (decrypted(f))
		g |= G_DECRYPT;
	if (stopped(&f->dir[STI_C2S]))
		g |= G_STOP_C2S;
	if (stopped(&f->dir[STI_S2C]))
		g |= G_STOP_S2C;
	if (f->ch.malformed || f->sh.malformed)
		g |= G_MALFORMED;
	return g;
}

static size_t hello_words(const struct sti_client_hello *c)
{
	return (size_t)c->nversions + c->nciphers + c->nexts + c->ngroups + c->nsigalgs +
	       c->nkey_shares;
}

static void plan_strings(struct plan *p, const struct sti_tls_facts *f)
{
	memset(p->len, 0, sizeof(p->len));
	p->len[S_SNI] = strnlen(f->ch.sni, STI_HELLO_NAME_MAX - 1) + 1;
	p->len[S_SH_ALPN] = strnlen(f->sh.alpn, STI_HELLO_ALPN_MAX - 1) + 1;
	if (p->groups & G_CH2)
		p->len[S_CH2_SNI] = strnlen(f->ch2->sni, STI_HELLO_NAME_MAX - 1) + 1;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (!(p->groups & (G_STOP_C2S << d)))
			continue;
		p->len[S_REASON0 + 2 * d] = strnlen(f->dir[d].reason, STI_TLS_REASON_MAX - 1) + 1;
		p->len[S_SAMPLE0 + 2 * d] = strnlen(f->dir[d].sample, STI_TLS_SAMPLE_MAX) + 1;
	}
	if (p->groups & G_DECRYPT)
		p->len[S_NOTE] = strnlen(f->decrypt_note, STI_TLS_NOTE_MAX - 1) + 1;
}

static size_t groups_size(const struct plan *pl);

static void plan_of(struct plan *p, const struct sti_tls_facts *f)
{
	unsigned g = p->groups = groups_of(f);
	p->nalerts = f->nalerts < STI_TLS_MAX_ALERTS ? f->nalerts : STI_TLS_MAX_ALERTS;
	size_t n = sizeof(struct sti_tls_packed) + groups_size(p);
	if (g & G_HRR)
		n += 2u * f->hrr->nexts;
	n += ((size_t)f->dir[STI_C2S].nhs + f->dir[STI_S2C].nhs) * sizeof(struct packed_hs);
	n += 2 * (hello_words(&f->ch) + f->sh.nexts);
	n += f->ch.npoint_formats + (size_t)f->ch.nalpn * STI_HELLO_ALPN_MAX;
	plan_strings(p, f);
	for (unsigned i = 0; i < S_COUNT; i++)
		n += p->len[i];
	p->size = n;
}

/* ---- writing ---- */

/* The cursor over the parts after the core. */
struct cursor {
	char *at;
};

static void put(struct cursor *c, const void *src, size_t n)
{
	if (n)
		memcpy(c->at, src, n);
	c->at += n;
}

static void pack_dir(struct packed_dir *p, const struct sti_tls_dir_facts *d)
{
	p->bytes = (uint32_t)d->bytes;
	p->records = (uint32_t)d->records;
	for (unsigned i = 0; i < STI_TLS_CT_COUNT; i++)
		p->by_type[i] = (uint32_t)d->by_type[i];
	p->first_frame = (uint32_t)d->first_frame;
	p->last_frame = (uint32_t)d->last_frame;
	p->ccs_frame = (uint32_t)d->ccs_frame;
	p->encrypted_frame = (uint32_t)d->encrypted_frame;
	p->finished_frame = (uint32_t)d->finished_frame;
	p->appdata_first_frame = (uint32_t)d->appdata_first_frame;
	p->appdata_after_est = (uint32_t)d->appdata_after_est;
	p->data_frame = (uint32_t)d->data_frame;
	p->hs_other = d->hs_other;
	p->first_ts = d->first_ts;
	p->last_ts = d->last_ts;
	for (unsigned i = 0; i < STI_TLS_TAIL; i++)
		p->tail[i] = (struct packed_rec){ (uint32_t)d->tail[i].frame, d->tail[i].length,
						  d->tail[i].type };
	p->nhs = d->nhs;
	p->ntail = (uint8_t)d->ntail;
	p->encrypted = d->encrypted;
	p->hs_cut = d->hs_cut;
	p->mid_record = d->mid_record;
	p->malformed = d->malformed;
	p->not_tls = d->not_tls;
	p->gap = d->gap;
	p->sslv2 = d->sslv2;
}

static void pack_hello(struct packed_hello *p, const struct sti_client_hello *c)
{
	p->legacy_version = c->legacy_version;
	p->max_version = c->max_version;
	p->ciphers_total = (uint16_t)c->ciphers_total;
	p->exts_total = (uint16_t)c->exts_total;
	p->sslv2_specs = (uint16_t)c->sslv2_specs;
	p->nversions = (uint8_t)c->nversions;
	p->nciphers = (uint8_t)c->nciphers;
	p->nexts = (uint8_t)c->nexts;
	p->ngroups = (uint8_t)c->ngroups;
	p->nsigalgs = (uint8_t)c->nsigalgs;
	p->nkey_shares = (uint8_t)c->nkey_shares;
	p->npoint_formats = (uint8_t)c->npoint_formats;
	p->nalpn = (uint8_t)c->nalpn;
	p->alpn0_len = (uint8_t)c->alpn0_len;
	p->alpn0_ends[0] = c->alpn0_ends[0];
	p->alpn0_ends[1] = c->alpn0_ends[1];
	p->has_supported_versions = c->has_supported_versions;
	p->sslv2_format = c->sslv2_format;
	p->offers_tls13_suites = c->offers_tls13_suites;
	p->offers_aead = c->offers_aead;
	p->only_legacy_ciphers = c->only_legacy_ciphers;
	p->truncated = c->truncated;
}

static void pack_server_hello(struct packed_server_hello *p, const struct sti_server_hello *s)
{
	p->legacy_version = s->legacy_version;
	p->version = s->version;
	p->cipher = s->cipher;
	p->exts_total = (uint16_t)s->exts_total;
	p->selected_group = s->selected_group;
	p->compression = s->compression;
	p->nexts = (uint8_t)s->nexts;
	p->hello_retry_request = s->hello_retry_request;
	p->downgrade_sentinel = s->downgrade_sentinel;
	p->truncated = s->truncated;
}

static void pack_core(struct sti_tls_packed *p, const struct sti_tls_facts *f,
		      const struct plan *pl)
{
	memset(p, 0, sizeof(*p));
	p->server_cert = f->server_cert;
	p->client_cert = f->client_cert;
	p->established_ts = f->established_ts;
	p->ch_frame = (uint32_t)f->ch_frame;
	p->ch2_frame = (uint32_t)f->ch2_frame;
	p->hrr_frame = (uint32_t)f->hrr_frame;
	p->sh_frame = (uint32_t)f->sh_frame;
	p->server_cert_frame = (uint32_t)f->server_cert_frame;
	p->client_cert_frame = (uint32_t)f->client_cert_frame;
	p->established_frame = (uint32_t)f->established_frame;
	p->size = (uint32_t)pl->size;
	p->version = f->version;
	p->groups = (uint8_t)pl->groups;
	p->have_ch = f->have_ch;
	p->have_ch2 = f->have_ch2;
	p->have_hrr = f->have_hrr;
	p->have_sh = f->have_sh;
	p->established = f->established;
	pack_hello(&p->ch, &f->ch);
	pack_server_hello(&p->sh, &f->sh);
	pack_dir(&p->dir[STI_C2S], &f->dir[STI_C2S]);
	pack_dir(&p->dir[STI_S2C], &f->dir[STI_S2C]);
}

static void put_stop(struct cursor *c, const struct sti_tls_dir_facts *d)
{
	struct packed_stop s = { d->malformed_frame, d->gap_frame, d->gap_len, d->sslv2_frame,
				 d->sslv2_version };
	put(c, &s, sizeof(s));
}

/* Where the parts after the core begin. */
struct places {
	char *groups, *handshakes, *words, *hrr_exts, *pool;
};

static size_t groups_size(const struct plan *pl)
{
	size_t n = 0;
	if (pl->groups & G_ALERTS)
		n += sizeof(struct packed_alerts) + pl->nalerts * sizeof(struct sti_tls_alert);
	if (pl->groups & G_HRR)
		n += sizeof(struct sti_server_hello);
	if (pl->groups & G_CH2)
		n += sizeof(struct sti_client_hello);
	if (pl->groups & G_DECRYPT)
		n += sizeof(struct packed_decrypt);
	n += (size_t)!!(pl->groups & G_STOP_C2S) * sizeof(struct packed_stop);
	n += (size_t)!!(pl->groups & G_STOP_S2C) * sizeof(struct packed_stop);
	if (pl->groups & G_MALFORMED)
		n += sizeof(struct packed_malformed);
	return n;
}

static void place(struct places *w, struct sti_tls_packed *p, const struct sti_tls_facts *f,
		  const struct plan *pl)
{
	w->groups = (char *)(p + 1);
	w->handshakes = w->groups + groups_size(pl);
	w->words = w->handshakes +
		   ((size_t)f->dir[STI_C2S].nhs + f->dir[STI_S2C].nhs) * sizeof(struct packed_hs);
	w->hrr_exts = w->words + 2 * (hello_words(&f->ch) + f->sh.nexts);
	w->pool = (char *)p + pl->size;
	for (unsigned i = 0; i < S_COUNT; i++)
		w->pool -= pl->len[i];
}

/* The groups holding 8-byte values, in enum order. The HelloRetryRequest's
 * extension list and the second hello's name are pointed at where they
 * will be; of the second hello nothing else is kept but its counts and
 * flags, without its lists (tls.h, have_ch2). */
static void put_groups(struct cursor *c, const struct sti_tls_facts *f, const struct plan *pl,
		       const struct places *w)
{
	unsigned g = pl->groups;
	if (g & G_ALERTS) {
		struct packed_alerts a = { (uint32_t)f->alerts_total, (uint8_t)f->nalerts };
		put(c, &a, sizeof(a));
		put(c, f->alerts, pl->nalerts * sizeof(f->alerts[0]));
	}
	if (g & G_HRR) {
		struct sti_server_hello h = *f->hrr;
		h.exts = h.nexts ? (uint16_t *)(void *)w->hrr_exts : NULL;
		put(c, &h, sizeof(h));
	}
	if (g & G_CH2) {
		struct sti_client_hello h = *f->ch2;
		h.versions = h.ciphers = h.exts = h.groups = h.sigalgs = NULL;
		h.key_share_groups = NULL;
		h.nversions = h.nciphers = h.nexts = h.ngroups = h.nsigalgs = 0;
		h.nkey_shares = h.npoint_formats = h.nalpn = 0;
		h.ec_point_formats = NULL;
		h.alpn = NULL;
		h.sni = w->pool + pl->len[S_SNI] + pl->len[S_SH_ALPN];
		put(c, &h, sizeof(h));
	}
	if (g & G_DECRYPT) {
		struct packed_decrypt d = { .decrypt = (uint8_t)f->decrypt };
		memcpy(d.client_random, f->client_random, sizeof(d.client_random));
		memcpy(d.decrypted_records, f->decrypted_records, sizeof(d.decrypted_records));
		memcpy(d.decrypt_failures, f->decrypt_failures, sizeof(d.decrypt_failures));
		put(c, &d, sizeof(d));
	}
	if (g & G_STOP_C2S)
		put_stop(c, &f->dir[STI_C2S]);
	if (g & G_STOP_S2C)
		put_stop(c, &f->dir[STI_S2C]);
	if (g & G_MALFORMED) {
		struct packed_malformed m = { f->ch.malformed, f->sh.malformed };
		put(c, &m, sizeof(m));
	}
}

static void put_handshakes(struct cursor *c, const struct sti_tls_dir_facts *d)
{
	for (unsigned i = 0; i < d->nhs; i++) {
		struct packed_hs h = { (uint32_t)d->hs[i].first_frame, (uint16_t)d->hs[i].count,
				       d->hs[i].index };
		put(c, &h, sizeof(h));
	}
}

static void put_lists(struct cursor *c, const struct sti_tls_facts *f)
{
	const struct sti_client_hello *h = &f->ch;
	put(c, h->versions, 2u * h->nversions);
	put(c, h->ciphers, 2u * h->nciphers);
	put(c, h->exts, 2u * h->nexts);
	put(c, h->groups, 2u * h->ngroups);
	put(c, h->sigalgs, 2u * h->nsigalgs);
	put(c, h->key_share_groups, 2u * h->nkey_shares);
	put(c, f->sh.exts, 2u * f->sh.nexts);
	if (f->have_hrr)
		put(c, f->hrr->exts, 2u * f->hrr->nexts);
	put(c, h->ec_point_formats, h->npoint_formats);
	put(c, h->alpn, (size_t)h->nalpn * STI_HELLO_ALPN_MAX);
}

/* Each present string with its NUL (a string cut at its cap ends there). */
static void put_strings(struct cursor *c, const struct sti_tls_facts *f, const struct plan *pl)
{
	const char *s[S_COUNT] = {
		[S_SNI] = f->ch.sni, [S_SH_ALPN] = f->sh.alpn, [S_CH2_SNI] = f->ch2->sni,
		[S_REASON0] = f->dir[0].reason, [S_SAMPLE0] = f->dir[0].sample,
		[S_REASON1] = f->dir[1].reason, [S_SAMPLE1] = f->dir[1].sample,
		[S_NOTE] = f->decrypt_note,
	};
	for (unsigned i = 0; i < S_COUNT; i++) {
		if (!pl->len[i])
			continue;
		memcpy(c->at, s[i], pl->len[i] - 1);
		c->at[pl->len[i] - 1] = '\0';
		c->at += pl->len[i];
	}
}

struct sti_tls_packed *sti_tls_facts_pack(const struct sti_tls_facts *f)
{
	if (!fits(f))
		return NULL;
	struct plan pl;
	plan_of(&pl, f);
	if (pl.size > UINT32_MAX)
		return NULL;
	struct sti_tls_packed *p = malloc(pl.size);
	if (!p)
		return NULL;
	struct places w;
	place(&w, p, f, &pl);
	pack_core(p, f, &pl);
	struct cursor c = { w.groups };
	put_groups(&c, f, &pl, &w);
	put_handshakes(&c, &f->dir[STI_C2S]);
	put_handshakes(&c, &f->dir[STI_S2C]);
	put_lists(&c, f);
	put_strings(&c, f, &pl);
	sti_tls_cert_retain(p->server_cert);
	sti_tls_cert_retain(p->client_cert);
	return p;
}

size_t sti_tls_packed_size(const struct sti_tls_packed *p)
{
	return p->size;
}

void sti_tls_packed_free(struct sti_tls_packed *p)
{
	if (!p)
		return;
	sti_tls_cert_release(p->server_cert);
	sti_tls_cert_release(p->client_cert);
	free(p);
}

/* ---- reading ---- */

static void unpack_dir(struct sti_tls_dir_facts *d, const struct packed_dir *p)
{
	d->bytes = p->bytes;
	d->records = p->records;
	for (unsigned i = 0; i < STI_TLS_CT_COUNT; i++)
		d->by_type[i] = p->by_type[i];
	d->first_frame = p->first_frame;
	d->last_frame = p->last_frame;
	d->first_ts = p->first_ts;
	d->last_ts = p->last_ts;
	d->hs_other = p->hs_other;
	d->nhs = p->nhs;
	d->encrypted = p->encrypted;
	d->ccs_frame = p->ccs_frame;
	d->encrypted_frame = p->encrypted_frame;
	d->finished_frame = p->finished_frame;
	d->appdata_first_frame = p->appdata_first_frame;
	d->appdata_after_est = p->appdata_after_est;
	d->data_frame = p->data_frame;
	for (unsigned i = 0; i < STI_TLS_TAIL; i++)
		d->tail[i] = (struct sti_tls_rec){ .type = p->tail[i].type,
						   .length = p->tail[i].length,
						   .frame = p->tail[i].frame };
	d->ntail = p->ntail;
	d->hs_cut = p->hs_cut;
	d->mid_record = p->mid_record;
	d->malformed = p->malformed;
	d->not_tls = p->not_tls;
	d->gap = p->gap;
	d->sslv2 = p->sslv2;
	d->reason = d->sample = empty;
}

static void unpack_hello(struct sti_client_hello *c, const struct packed_hello *p)
{
	c->legacy_version = p->legacy_version;
	c->max_version = p->max_version;
	c->ciphers_total = p->ciphers_total;
	c->exts_total = p->exts_total;
	c->sslv2_specs = p->sslv2_specs;
	c->nversions = p->nversions;
	c->nciphers = p->nciphers;
	c->nexts = p->nexts;
	c->ngroups = p->ngroups;
	c->nsigalgs = p->nsigalgs;
	c->nkey_shares = p->nkey_shares;
	c->npoint_formats = p->npoint_formats;
	c->nalpn = p->nalpn;
	c->alpn0_len = p->alpn0_len;
	c->alpn0_ends[0] = p->alpn0_ends[0];
	c->alpn0_ends[1] = p->alpn0_ends[1];
	c->has_supported_versions = p->has_supported_versions;
	c->sslv2_format = p->sslv2_format;
	c->offers_tls13_suites = p->offers_tls13_suites;
	c->offers_aead = p->offers_aead;
	c->only_legacy_ciphers = p->only_legacy_ciphers;
	c->truncated = p->truncated;
}

static void unpack_server_hello(struct sti_server_hello *s, const struct packed_server_hello *p)
{
	s->legacy_version = p->legacy_version;
	s->version = p->version;
	s->cipher = p->cipher;
	s->exts_total = p->exts_total;
	s->selected_group = p->selected_group;
	s->compression = p->compression;
	s->nexts = p->nexts;
	s->hello_retry_request = p->hello_retry_request;
	s->downgrade_sentinel = p->downgrade_sentinel;
	s->truncated = p->truncated;
}

static void unpack_core(struct sti_tls_facts *f, const struct sti_tls_packed *p)
{
	f->server_cert = p->server_cert;
	f->client_cert = p->client_cert;
	f->established_ts = p->established_ts;
	f->ch_frame = p->ch_frame;
	f->ch2_frame = p->ch2_frame;
	f->hrr_frame = p->hrr_frame;
	f->sh_frame = p->sh_frame;
	f->server_cert_frame = p->server_cert_frame;
	f->client_cert_frame = p->client_cert_frame;
	f->established_frame = p->established_frame;
	f->version = p->version;
	f->have_ch = p->have_ch;
	f->have_ch2 = p->have_ch2;
	f->have_hrr = p->have_hrr;
	f->have_sh = p->have_sh;
	f->established = p->established;
	unpack_hello(&f->ch, &p->ch);
	unpack_server_hello(&f->sh, &p->sh);
	unpack_dir(&f->dir[STI_C2S], &p->dir[STI_C2S]);
	unpack_dir(&f->dir[STI_S2C], &p->dir[STI_S2C]);
	f->ch2 = &no_second_hello;
	f->decrypt_note = empty;
}

/* The writer's put in reverse: copy the next n bytes of the form out
 * and step past them. */
static void take(char **at, void *dst, size_t n)
{
	memcpy(dst, *at, n);
	*at += n;
}

static void take_stop(struct sti_tls_dir_facts *d, char **at)
{
	struct packed_stop s;
	take(at, &s, sizeof(s));
	d->malformed_frame = s.malformed_frame;
	d->gap_frame = s.gap_frame;
	d->gap_len = s.gap_len;
	d->sslv2_frame = s.sslv2_frame;
	d->sslv2_version = s.sslv2_version;
}

static void take_groups(struct sti_tls_facts *f, unsigned g, char **at)
{
	if (g & G_ALERTS) {
		struct packed_alerts a;
		take(at, &a, sizeof(a));
		f->alerts_total = a.alerts_total;
		f->nalerts = a.nalerts;
		unsigned n = a.nalerts < STI_TLS_MAX_ALERTS ? a.nalerts : STI_TLS_MAX_ALERTS;
		f->alerts = n ? (struct sti_tls_alert *)(void *)*at : NULL;
		*at += n * sizeof(struct sti_tls_alert);
	}
	if (g & G_HRR) {
		f->hrr = (struct sti_server_hello *)(void *)*at;
		*at += sizeof(struct sti_server_hello);
	}
	if (g & G_CH2) {
		f->ch2 = (struct sti_client_hello *)(void *)*at;
		*at += sizeof(struct sti_client_hello);
	}
	if (g & G_DECRYPT) {
		struct packed_decrypt d;
		take(at, &d, sizeof(d));
		f->decrypt = (enum sti_tls_decrypt_state)d.decrypt;
		memcpy(f->client_random, d.client_random, sizeof(d.client_random));
		memcpy(f->decrypted_records, d.decrypted_records, sizeof(d.decrypted_records));
		memcpy(f->decrypt_failures, d.decrypt_failures, sizeof(d.decrypt_failures));
	}
	if (g & G_STOP_C2S)
		take_stop(&f->dir[STI_C2S], at);
	if (g & G_STOP_S2C)
		take_stop(&f->dir[STI_S2C], at);
	if (g & G_MALFORMED) {
		struct packed_malformed m;
		take(at, &m, sizeof(m));
		f->ch.malformed = m.ch;
		f->sh.malformed = m.sh;
	}
}

static void take_handshakes(struct sti_tls_dir_facts *d, struct sti_tls_hs_seen *room,
			    char **at)
{
	for (unsigned i = 0; i < d->nhs; i++) {
		struct packed_hs h;
		take(at, &h, sizeof(h));
		room[i] = (struct sti_tls_hs_seen){ .count = h.count, .index = h.index,
						    .first_frame = h.first_frame };
	}
	d->hs = d->nhs ? room : NULL;
}

/* A list of n 16-bit values at *at (NULL when empty), and past it. */
static uint16_t *take_words(char **at, unsigned n)
{
	uint16_t *l = n ? (uint16_t *)(void *)*at : NULL;
	*at += 2u * n;
	return l;
}

static void take_lists(struct sti_tls_facts *f, char **at)
{
	struct sti_client_hello *h = &f->ch;
	h->versions = take_words(at, h->nversions);
	h->ciphers = take_words(at, h->nciphers);
	h->exts = take_words(at, h->nexts);
	h->groups = take_words(at, h->ngroups);
	h->sigalgs = take_words(at, h->nsigalgs);
	h->key_share_groups = take_words(at, h->nkey_shares);
	f->sh.exts = take_words(at, f->sh.nexts);
	if (f->have_hrr)
		*at += 2u * f->hrr->nexts;   /* the HRR points there already */
	h->ec_point_formats = h->npoint_formats ? (uint8_t *)*at : NULL;
	*at += h->npoint_formats;
	h->alpn = h->nalpn ? (char (*)[STI_HELLO_ALPN_MAX])(void *)*at : NULL;
	*at += (size_t)h->nalpn * STI_HELLO_ALPN_MAX;
}

/* The next pooled string, and past it. */
static char *take_string(char **at)
{
	char *s = *at;
	*at += strlen(s) + 1;
	return s;
}

static void take_strings(struct sti_tls_facts *f, unsigned g, char *at)
{
	f->ch.sni = take_string(&at);
	const char *alpn = take_string(&at);
	memcpy(f->sh.alpn, alpn, strlen(alpn) + 1);
	if (g & G_CH2)
		take_string(&at);   /* the second hello points there */
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (!(g & (G_STOP_C2S << d)))
			continue;
		f->dir[d].reason = take_string(&at);
		f->dir[d].sample = take_string(&at);
	}
	if (g & G_DECRYPT)
		f->decrypt_note = take_string(&at);
}

const struct sti_tls_facts *sti_tls_packed_facts(struct sti_tls_packed *p,
						 struct sti_tls_view *view)
{
	struct sti_tls_facts *f = &view->facts;
	unsigned g = p->groups;
	memset(f, 0, sizeof(*f));
	unpack_core(f, p);
	char *at = (char *)(p + 1);
	take_groups(f, g, &at);
	take_handshakes(&f->dir[STI_C2S], view->hs[STI_C2S], &at);
	take_handshakes(&f->dir[STI_S2C], view->hs[STI_S2C], &at);
	take_lists(f, &at);
	take_strings(f, g, at);
	return f;
}
