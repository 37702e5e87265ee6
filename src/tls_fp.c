/*
 * tls_fp.c - JA3 / JA3S (Salesforce) and JA4 (FoxIO, the BSD-licensed
 * client fingerprint only) from parsed hellos. Nothing here reads wire
 * bytes: the inputs are the fixed lists tls_hello.c filled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/digest.h"
#include "sti/thread_slot.h"
#include "sti/tls_hello.h"

/* ---- a bounded string builder ---------------------------------------- */

struct sbuf {
	char *p;
	size_t cap, n; /* n < cap always; p[n] == '\0' */
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->n = 0;
	if (cap)
		p[0] = '\0';
}

/* Appends what fits; the string stays terminated either way. */
static void sb_str(struct sbuf *b, const char *s)
{
	while (*s && b->n + 1 < b->cap)
		b->p[b->n++] = *s++;
	if (b->cap)
		b->p[b->n] = '\0';
}

/* Digits by hand: fingerprints of every session are made of hundreds of
 * these, and snprintf was a tenth of the program's instructions. */
static void sb_dec(struct sbuf *b, unsigned v)
{
	char tmp[12];
	size_t i = sizeof(tmp) - 1;
	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_str(b, tmp + i);
}

static void sb_hex4(struct sbuf *b, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[5] = { digits[(v >> 12) & 15], digits[(v >> 8) & 15],
			digits[(v >> 4) & 15], digits[v & 15], '\0' };
	sb_str(b, tmp);
}

static void hex_encode(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* out gets 2 * digest-size hex digits; all-zero on a libcrypto failure. */
static void digest_hex(enum sti_md md, const char *s, char *out, size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if (!sti_digest(md, s, strlen(s), d, &dlen) || 2u * dlen + 1 > outlen) {
		memset(out, '0', outlen - 1);
		out[outlen - 1] = '\0';
		return;
	}
	hex_encode(d, dlen, out);
}

/* ---- JA3 / JA3S ------------------------------------------------------- */

/* Decimal values joined by '-', GREASE (RFC 8701) left out. */
static void ja3_list16(struct sbuf *b, const uint16_t *v, unsigned n)
{
	unsigned i;
	bool first = true;

	for (i = 0; i < n; i++) {
		if (sti_tls_is_grease(v[i]))
			continue;
		if (!first)
			sb_str(b, "-");
		sb_dec(b, v[i]);
		first = false;
	}
}

/* SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats */
void sti_ja3_string(const struct sti_client_hello *ch, char *out, size_t len)
{
	struct sbuf b;
	unsigned i;

	sb_init(&b, out, len);
	sb_dec(&b, ch->legacy_version);
	sb_str(&b, ",");
	ja3_list16(&b, ch->ciphers, ch->nciphers);
	sb_str(&b, ",");
	ja3_list16(&b, ch->exts, ch->nexts);
	sb_str(&b, ",");
	ja3_list16(&b, ch->groups, ch->ngroups);
	sb_str(&b, ",");
	for (i = 0; i < ch->npoint_formats; i++) {
		if (i)
			sb_str(&b, "-");
		sb_dec(&b, ch->ec_point_formats[i]);
	}
}

void sti_ja3_hash(const struct sti_client_hello *ch, char out[33])
{
	char s[STI_JA3_STR_MAX];

	sti_ja3_string(ch, s, sizeof(s));
	digest_hex(STI_MD_MD5, s, out, 33);
}

/* SSLVersion,Cipher,Extensions */
void sti_ja3s_hash(const struct sti_server_hello *sh, char out[33])
{
	char s[STI_JA3_STR_MAX];
	struct sbuf b;

	sb_init(&b, s, sizeof(s));
	sb_dec(&b, sh->legacy_version);
	sb_str(&b, ",");
	sb_dec(&b, sh->cipher);
	sb_str(&b, ",");
	ja3_list16(&b, sh->exts, sh->nexts);
	digest_hex(STI_MD_MD5, s, out, 33);
}

/* ---- JA4 -------------------------------------------------------------- */

/* "If extension 0x002b exists, then the version is the highest value in it." */
static const char *ja4_version(const struct sti_client_hello *ch)
{
	uint16_t v = ch->legacy_version;
	unsigned i;

	if (ch->has_supported_versions && ch->nversions > 0) {
		v = 0;
		for (i = 0; i < ch->nversions; i++) /* GREASE already left out */
			if (ch->versions[i] > v)
				v = ch->versions[i];
	}
	switch (v) {
	case STI_TLS13: return "13";
	case STI_TLS12: return "12";
	case STI_TLS11: return "11";
	case STI_TLS10: return "10";
	case STI_SSL3: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool is_alnum_ascii(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/*
 * First and last character of the first ALPN name; when either end is not
 * alphanumeric, the first and last hex digit of the name instead; "00"
 * when there is no name.
 */
static void ja4_alpn(const struct sti_client_hello *ch, char out[3])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t a = ch->alpn0_ends[0], z = ch->alpn0_ends[1];

	if (ch->nalpn == 0 || ch->alpn0_len == 0) {
		out[0] = out[1] = '0';
	} else if (is_alnum_ascii(a) && is_alnum_ascii(z)) {
		out[0] = (char)a;
		out[1] = (char)z;
	} else {
		out[0] = digits[a >> 4];
		out[1] = digits[z & 0xf];
	}
	out[2] = '\0';
}

static bool has_ext(const struct sti_client_hello *ch, uint16_t type)
{
	unsigned i;

	for (i = 0; i < ch->nexts; i++)
		if (ch->exts[i] == type)
			return true;
	return false;
}

/* Copy the non-GREASE values, minus up to two excluded ones, then sort. */
static unsigned sorted_copy(const uint16_t *src, unsigned n, uint16_t *dst,
			    bool drop_sni_alpn)
{
	unsigned i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (sti_tls_is_grease(src[i]))
			continue;
		if (drop_sni_alpn && (src[i] == STI_EXT_SERVER_NAME || src[i] == STI_EXT_ALPN))
			continue;
		dst[k++] = src[i];
	}
	for (i = 1; i < k; i++) { /* insertion sort: at most 128 entries */
		uint16_t x = dst[i];
		for (j = i; j > 0 && dst[j - 1] > x; j--)
			dst[j] = dst[j - 1];
		dst[j] = x;
	}
	return k;
}

static void hex_list(struct sbuf *b, const uint16_t *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i)
			sb_str(b, ",");
		sb_hex4(b, v[i]);
	}
}

/* First 12 hex digits of SHA-256, or twelve zeros for an empty list. */
static void hash12(const char *s, bool empty, char out[13])
{
	char full[65];

	if (empty) {
		memcpy(out, "000000000000", 13);
		return;
	}
	digest_hex(STI_MD_SHA256, s, full, sizeof(full));
	memcpy(out, full, 12);
	out[12] = '\0';
}

static unsigned count_non_grease(const uint16_t *v, unsigned n)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++)
		if (!sti_tls_is_grease(v[i]))
			k++;
	return k > 99 ? 99 : k;
}

/* JA4_b: sorted cipher list. */
static void ja4_b(const struct sti_client_hello *ch, char out[13])
{
	uint16_t v[STI_HELLO_MAX_CIPHERS];
	char s[STI_HELLO_MAX_CIPHERS * 5 + 1];
	struct sbuf b;
	unsigned n = sorted_copy(ch->ciphers, ch->nciphers, v, false);

	sb_init(&b, s, sizeof(s));
	hex_list(&b, v, n);
	hash12(s, n == 0, out);
}

/* JA4_c: sorted extensions without SNI and ALPN, '_', sigalgs in order. */
static void ja4_c(const struct sti_client_hello *ch, char out[13])
{
	uint16_t v[STI_HELLO_MAX_EXTS], sig[STI_HELLO_MAX_SIGALGS];
	char s[(STI_HELLO_MAX_EXTS + STI_HELLO_MAX_SIGALGS) * 5 + 2];
	struct sbuf b;
	unsigned i, nsig = 0, n = sorted_copy(ch->exts, ch->nexts, v, true);

	for (i = 0; i < ch->nsigalgs; i++)
		if (!sti_tls_is_grease(ch->sigalgs[i]))
			sig[nsig++] = ch->sigalgs[i];
	sb_init(&b, s, sizeof(s));
	hex_list(&b, v, n);
	if (nsig > 0) {
		sb_str(&b, "_");
		hex_list(&b, sig, nsig);
	}
	hash12(s, n == 0, out);
}

void sti_ja4(const struct sti_client_hello *ch, char out[40])
{
	char alpn[3], b[13], c[13];

	ja4_alpn(ch, alpn);
	ja4_b(ch, b);
	ja4_c(ch, c);
	snprintf(out, 40, "t%s%c%02u%02u%s_%s_%s", ja4_version(ch),
		 has_ext(ch, STI_EXT_SERVER_NAME) ? 'd' : 'i',
		 count_non_grease(ch->ciphers, ch->nciphers),
		 count_non_grease(ch->exts, ch->nexts), alpn, b, c);
}

/* ---- once per distinct hello ------------------------------------------ */

/*
 * A capture holds thousands of sessions from a handful of client and
 * server builds, so the same hello comes again and again. Everything the
 * fingerprints read goes into a key, and the key picks a slot of a small
 * direct-mapped cache; a hit needs an equal key, so a cached fingerprint is
 * always the one that would have been computed.
 */
#define FP_KEY_MAX (16 + STI_HELLO_MAX_VERSIONS + STI_HELLO_MAX_CIPHERS + \
		    STI_HELLO_MAX_EXTS + STI_HELLO_MAX_GROUPS + 8 + \
		    STI_HELLO_MAX_SIGALGS)
#define FP_SLOTS 1024

struct fp_key {
	unsigned n;
	uint16_t v[FP_KEY_MAX];
};

struct fp_slot {
	bool used;
	struct fp_key key;
	char ja3[33], ja4[40];    /* ja3 holds JA3S in the server cache */
};

struct fp_caches {
	struct fp_slot client[FP_SLOTS], server[FP_SLOTS];
};

/*
 * Per thread, as reporters may run beside a capture thread, and made on
 * a thread's first fingerprint: 1.4 MB a thread, which a run that never
 * prints one (or a serve worker that never reports) does not pay. Its
 * pages are touched only as slots fill. The key frees it when its thread
 * ends.
 */
static struct sti_thread_slot caches_slot =
	STI_THREAD_SLOT(sizeof(struct fp_caches), free);
static _Thread_local struct fp_caches *my_caches;

/* This thread's caches, or NULL when they cannot be had: then every
 * fingerprint is computed afresh. */
static struct fp_caches *caches(void)
{
	if (!my_caches)
		my_caches = sti_thread_slot_make(&caches_slot);
	return my_caches;
}

static void key_put(struct fp_key *k, uint16_t v)
{
	if (k->n < FP_KEY_MAX)
		k->v[k->n++] = v;
}

/*
 * The count first, so that two lists cannot run into each other. Every
 * fingerprint leaves GREASE out, and clients pick new GREASE values per
 * connection: they all go in as one value, so such hellos share a slot.
 */
static void key_list16(struct fp_key *k, const uint16_t *v, unsigned n, unsigned cap)
{
	unsigned m = n < cap ? n : cap;

	key_put(k, (uint16_t)m);
	for (unsigned i = 0; i < m; i++)
		key_put(k, sti_tls_is_grease(v[i]) ? 0x0a0a : v[i]);
}

static void client_key(const struct sti_client_hello *ch, struct fp_key *k)
{
	unsigned npf = ch->npoint_formats < 8 ? ch->npoint_formats : 8;

	k->n = 0;
	key_put(k, ch->legacy_version);
	key_put(k, ch->has_supported_versions);
	key_list16(k, ch->versions, ch->nversions, STI_HELLO_MAX_VERSIONS);
	key_list16(k, ch->ciphers, ch->nciphers, STI_HELLO_MAX_CIPHERS);
	key_list16(k, ch->exts, ch->nexts, STI_HELLO_MAX_EXTS);
	key_list16(k, ch->groups, ch->ngroups, STI_HELLO_MAX_GROUPS);
	key_put(k, (uint16_t)npf);
	for (unsigned i = 0; i < npf; i++)
		key_put(k, ch->ec_point_formats[i]);
	key_list16(k, ch->sigalgs, ch->nsigalgs, STI_HELLO_MAX_SIGALGS);
	key_put(k, ch->nalpn != 0 && ch->alpn0_len != 0);
	key_put(k, ch->alpn0_ends[0]);
	key_put(k, ch->alpn0_ends[1]);
}

static void server_key(const struct sti_server_hello *sh, struct fp_key *k)
{
	k->n = 0;
	key_put(k, sh->legacy_version);
	key_put(k, sh->cipher);
	key_list16(k, sh->exts, sh->nexts, STI_HELLO_MAX_EXTS);
}

/* FNV-1a over the 16-bit values: the keys are a few hundred values. */
static unsigned key_slot(const struct fp_key *k)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < k->n; i++)
		h = (h ^ k->v[i]) * 16777619u;
	return (h ^ (h >> 16)) % FP_SLOTS;
}

static bool key_equal(const struct fp_key *a, const struct fp_key *b)
{
	return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof(a->v[0])) == 0;
}

/* The slot of key; *hit tells whether it already holds key's results.
 * Without a cache, spare (the caller's) serves as an empty slot. */
static struct fp_slot *lookup(struct fp_slot *cache, struct fp_slot *spare,
			      const struct fp_key *k, bool *hit)
{
	struct fp_slot *s = cache ? &cache[key_slot(k)] : spare;

	*hit = cache && s->used && key_equal(&s->key, k);
	if (!*hit) {
		s->used = true;
		s->key.n = k->n;
		memcpy(s->key.v, k->v, k->n * sizeof(k->v[0]));
	}
	return s;
}

void sti_tls_client_fp(const struct sti_client_hello *ch, char ja3[33], char ja4[40])
{
	struct fp_key k;
	struct fp_slot spare;
	struct fp_caches *c = caches();
	bool hit;

	client_key(ch, &k);
	struct fp_slot *s = lookup(c ? c->client : NULL, &spare, &k, &hit);
	if (!hit) {
		sti_ja3_hash(ch, s->ja3);
		sti_ja4(ch, s->ja4);
	}
	memcpy(ja3, s->ja3, 33);
	memcpy(ja4, s->ja4, 40);
}

void sti_tls_server_fp(const struct sti_server_hello *sh, char ja3s[33])
{
	struct fp_key k;
	struct fp_slot spare;
	struct fp_caches *c = caches();
	bool hit;

	server_key(sh, &k);
	struct fp_slot *s = lookup(c ? c->server : NULL, &spare, &k, &hit);
	if (!hit)
		sti_ja3s_hash(sh, s->ja3);
	memcpy(ja3s, s->ja3, 33);
}
