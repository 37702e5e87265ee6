/*
 * tls_trust.c - the server's chain, decoded and verified (SPEC 9.2).
 *
 * The Certificate message is framed through sti_rd; each entry's DER goes
 * to d2i_X509 with its exact length. The chain is verified with
 * X509_verify_cert at the capture time of the message
 * (X509_VERIFY_PARAM_set_time), for the TLS server purpose, against the
 * trust store; what OpenSSL says becomes public, private or incomplete.
 * Names are not checked here: the verdict checks the SNI (or the name in
 * the greeting) against the leaf and says which it used.
 */
#include "sti/tls_trust.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "sti/civil_time.h"
#include "sti/digest.h"
#include "sti/rd.h"
#include "sti/tls_hello.h"

#define SYSTEM_CA_PATH "/etc/ssl/certs"
#define CHAIN_DECODE_MAX 10   /* entries handed to the verifier */

static X509_STORE *trust_store;
static void cache_clear(void);

const char *sti_trust_name(enum sti_trust t)
{
	switch (t) {
	case STI_TRUST_PUBLIC: return "public";
	case STI_TRUST_PRIVATE: return "private";
	case STI_TRUST_INCOMPLETE: return "incomplete";
	case STI_TRUST_UNKNOWN: break;
	}
	return "unknown";
}

bool sti_trust_configure(const char *ca_file, const char *ca_path,
			 char *err, size_t errlen)
{
	X509_STORE *s = X509_STORE_new();
	if (!s) {
		snprintf(err, errlen, "out of memory for the trust store");
		return false;
	}
	if (!X509_STORE_load_locations(s, ca_file, ca_path)) {
		snprintf(err, errlen, "%s: cannot load CA certificates from it",
			 ca_file ? ca_file : ca_path);
		X509_STORE_free(s);
		ERR_clear_error();
		return false;
	}
	X509_STORE_free(trust_store);
	trust_store = s;
	cache_clear();   /* results against the old store */
	return true;
}

void sti_trust_cleanup(void)
{
	X509_STORE_free(trust_store);
	trust_store = NULL;
	cache_clear();
}

/* The system store, looked up by subject hash: loaded lazily, once. */
static X509_STORE *store(void)
{
	if (!trust_store && (trust_store = X509_STORE_new()) != NULL &&
	    !X509_STORE_load_locations(trust_store, NULL, SYSTEM_CA_PATH))
		ERR_clear_error();   /* an empty store: everything is private */
	return trust_store;
}

/* ---- one certificate -------------------------------------------------- */

static void cn_of(const X509_NAME *name, char *dst, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const X509_NAME_ENTRY *e = i >= 0 ? X509_NAME_get_entry(name, i) : NULL;
	const ASN1_STRING *data = e ? X509_NAME_ENTRY_get_data(e) : NULL;
	unsigned char *utf8 = NULL;
	int n = data ? ASN1_STRING_to_UTF8(&utf8, data) : -1;
	if (n >= 0 && utf8)
		(void)sti_tls_copy_printable(dst, cap, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

static int64_t epoch_of(const ASN1_TIME *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return sti_epoch_from_tm(&tm);
}

static void first_dns_name(const X509 *x, char *dst, size_t cap)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g && g->type == GEN_DNS) {
			(void)sti_tls_copy_printable(dst, cap, ASN1_STRING_get0_data(g->d.dNSName),
						     (size_t)ASN1_STRING_length(g->d.dNSName));
			break;
		}
	}
	GENERAL_NAMES_free(gens);
}

static void sha256_hex(const uint8_t *der, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!sti_digest(STI_MD_SHA256, der, len, md, &mdlen) || mdlen != 32)
		return;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[64] = '\0';
}

static const char *key_name(EVP_PKEY *pk)
{
	switch (pk ? EVP_PKEY_base_id(pk) : EVP_PKEY_NONE) {
	case EVP_PKEY_RSA: return "RSA";
	case EVP_PKEY_RSA_PSS: return "RSA-PSS";
	case EVP_PKEY_EC: return "EC";
	case EVP_PKEY_DSA: return "DSA";
	case EVP_PKEY_ED25519: return "Ed25519";
	case EVP_PKEY_ED448: return "Ed448";
	default: return "unknown";
	}
}

static void describe(X509 *x, const uint8_t *der, size_t len, struct sti_chain_cert *c)
{
	cn_of(X509_get_subject_name(x), c->subject_cn, sizeof(c->subject_cn));
	cn_of(X509_get_issuer_name(x), c->issuer_cn, sizeof(c->issuer_cn));
	c->not_before = epoch_of(X509_get0_notBefore(x));
	c->not_after = epoch_of(X509_get0_notAfter(x));
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *type = key_name(pk);
	(void)sti_tls_copy_printable(c->key_type, sizeof(c->key_type),
				     (const uint8_t *)type, strlen(type));
	c->key_bits = pk && EVP_PKEY_bits(pk) > 0 ? EVP_PKEY_bits(pk) : 0;
	first_dns_name(x, c->first_san, sizeof(c->first_san));
	sha256_hex(der, len, c->sha256);
}

/* ---- the verdict of OpenSSL ------------------------------------------- */

static void classify(X509_STORE_CTX *ctx, int ok, X509 *top, struct sti_trust_info *out)
{
	int e = X509_STORE_CTX_get_error(ctx);
	STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
	X509 *last = built && sk_X509_num(built) ? sk_X509_value(built, sk_X509_num(built) - 1) : top;
	out->error = ok == 1 ? 0 : e;
	const char *text = ok == 1 ? "ok" : X509_verify_cert_error_string(e);
	(void)sti_tls_copy_printable(out->error_text, sizeof(out->error_text),
				     (const uint8_t *)text, strlen(text));
	if (ok == 1) {
		out->trust = STI_TRUST_PUBLIC;
		cn_of(X509_get_subject_name(last), out->anchor, sizeof(out->anchor));
		return;
	}
	switch (e) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		out->trust = STI_TRUST_PRIVATE;
		cn_of(X509_get_subject_name(last), out->anchor, sizeof(out->anchor));
		return;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		/* The top of what was sent names an issuer nobody has. Servers
		 * send intermediates, never the root: when the top is a CA
		 * certificate what is missing is its root, which no store
		 * holds (private); when it is the leaf, the intermediate was
		 * not sent (incomplete). */
		out->trust = X509_check_ca(last) > 0 ? STI_TRUST_PRIVATE : STI_TRUST_INCOMPLETE;
		cn_of(X509_get_issuer_name(last), out->anchor, sizeof(out->anchor));
		return;
	default:
		/* a bad signature, a CA without basicConstraints...: no store
		 * makes this chain good */
		out->trust = STI_TRUST_PRIVATE;
		cn_of(X509_get_subject_name(last), out->anchor, sizeof(out->anchor));
		return;
	}
}

/*
 * The seconds [lo, hi] around the verification time in which OpenSSL's
 * answer cannot change. The time is read only through each certificate's
 * notBefore and notAfter: to reject one out of its dates, and to prefer,
 * among issuers of the same name (sent or in the store), one within them.
 * So the answer is the same as long as no certificate that was or could
 * have been in the chain crosses one of its dates. Every date d closes the
 * window at d and at d + 1, which absorbs fractions of a second and
 * "valid from the second it starts" alike. ok is false when a date could
 * not be read: such an answer holds for its own second only.
 */
struct window {
	bool ok;
	int64_t lo, hi;
};

static void window_cut(struct window *w, const ASN1_TIME *at, int64_t t)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!at || ASN1_TIME_to_tm(at, &tm) != 1) {
		w->ok = false;
		return;
	}
	int64_t d = sti_epoch_from_tm(&tm);
	for (int64_t e = d; e <= d + 1; e++) {
		if (e <= t && e > w->lo)
			w->lo = e;
		if (e > t && e - 1 < w->hi)
			w->hi = e - 1;
	}
}

static void window_cert(struct window *w, const X509 *x, int64_t t)
{
	window_cut(w, X509_get0_notBefore(x), t);
	window_cut(w, X509_get0_notAfter(x), t);
}

/* The store's certificates named name: candidates the time chooses among. */
static void window_named(struct window *w, X509_STORE_CTX *ctx,
			 const X509_NAME *name, int64_t t)
{
	STACK_OF(X509) *found = X509_STORE_CTX_get1_certs(ctx, name);
	for (int i = 0; i < sk_X509_num(found); i++)
		window_cert(w, sk_X509_value(found, i), t);
	sk_X509_pop_free(found, X509_free);
}

static void window_chain(struct window *w, X509_STORE_CTX *ctx,
			 const STACK_OF(X509) *chain, int64_t t)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		const X509 *x = sk_X509_value(chain, i);
		window_cert(w, x, t);
		window_named(w, ctx, X509_get_subject_name(x), t);
		window_named(w, ctx, X509_get_issuer_name(x), t);
	}
}

static void verify(X509 *leaf, STACK_OF(X509) *rest, int64_t at_us,
		   struct sti_trust_info *out, struct window *w)
{
	X509_STORE *s = store();
	X509_STORE_CTX *ctx = s ? X509_STORE_CTX_new() : NULL;
	if (!ctx || !X509_STORE_CTX_init(ctx, s, leaf, rest)) {
		X509_STORE_CTX_free(ctx);
		w->ok = false;   /* out of memory: not an answer to keep */
		return;
	}
	X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(p, (time_t)(at_us / 1000000));
	X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_SSL_SERVER);
	/* dates are judged by the verdict against the capture time; here the
	 * question is only who vouches for the chain */
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_NO_CHECK_TIME);
	int ok = X509_verify_cert(ctx);
	out->checked = true;
	classify(ctx, ok, sk_X509_num(rest) ? sk_X509_value(rest, sk_X509_num(rest) - 1) : leaf,
		 out);
	int64_t t = (int64_t)(time_t)(at_us / 1000000);
	window_cert(w, leaf, t);
	window_named(w, ctx, X509_get_subject_name(leaf), t);
	window_named(w, ctx, X509_get_issuer_name(leaf), t);
	window_chain(w, ctx, rest, t);
	window_chain(w, ctx, X509_STORE_CTX_get0_chain(ctx), t);
	X509_STORE_CTX_free(ctx);
}

/* ---- the message ------------------------------------------------------ */

static void note_dates(struct sti_trust_info *out, const struct sti_chain_cert *c)
{
	if (c->not_after && (!out->earliest_not_after || c->not_after < out->earliest_not_after))
		out->earliest_not_after = c->not_after;
	if (c->not_before > out->latest_not_before)
		out->latest_not_before = c->not_before;
}

static void check_chain(const uint8_t *body, size_t len, bool tls13,
			int64_t at_us, struct sti_trust_info *out, struct window *w)
{
	struct sti_rd r = sti_rd_init(body, len), ctx, list, der, exts;
	X509 *leaf = NULL;
	STACK_OF(X509) *rest = sk_X509_new_null();

	memset(out, 0, sizeof(*out));
	if (!rest) {
		w->ok = false;
		goto done;
	}
	if ((tls13 && !sti_rd_vec8(&r, &ctx)) || !sti_rd_vec24(&r, &list))
		goto done;
	while (sti_rd_vec24(&list, &der) && !sti_rd_empty(&der)) {
		if (tls13 && !sti_rd_vec16(&list, &exts))
			break;
		const uint8_t *p;
		size_t n = sti_rd_left(&der);
		out->chain_len++;
		if (out->chain_len > CHAIN_DECODE_MAX || n > LONG_MAX ||
		    !sti_rd_take(&der, n, &p))
			continue;
		const unsigned char *q = p;
		X509 *x = d2i_X509(NULL, &q, (long)n);
		if (!x)
			break;   /* an undecodable entry ends what can be verified */
		if (out->ndecoded < STI_CHAIN_MAX) {
			describe(x, p, n, &out->chain[out->ndecoded]);
			note_dates(out, &out->chain[out->ndecoded++]);
		}
		if (!leaf)
			leaf = x;
		else if (!sk_X509_push(rest, x))
			X509_free(x);
	}
	if (leaf)
		verify(leaf, rest, at_us, out, w);
done:
	X509_free(leaf);
	sk_X509_pop_free(rest, X509_free);
	ERR_clear_error();
}

/* ---- once per distinct chain ------------------------------------------ */

/*
 * Decoding and verifying a chain costs about a million instructions (most
 * of it OpenSSL decoding public keys), and a server sends the same chain
 * to every client: the answer is kept per distinct message, with the
 * window of verification times it holds for (see struct window). A hit
 * needs the same bytes, not just the same hash, and a time inside the
 * window. Changing the store empties the cache.
 */
#define CACHE_SLOTS 64
#define CACHE_BODY_MAX (32u * 1024)   /* larger messages are not kept */

struct cached_chain {
	uint8_t *body;      /* a copy, or NULL for an empty slot */
	size_t len;
	bool tls13;
	int64_t lo, hi;     /* verification times (seconds) it holds for */
	struct sti_trust_info info;
};

static struct cached_chain cache[CACHE_SLOTS];

static void cache_clear(void)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].body);
		cache[i].body = NULL;
	}
}

/* FNV-1a, eight bytes at a time: a chain is a few kilobytes. */
static unsigned cache_slot(const uint8_t *p, size_t len, bool tls13)
{
	uint64_t h = UINT64_C(1469598103934665603) ^ len ^ (uint64_t)tls13 << 63;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t word;
		memcpy(&word, p + i, 8);
		h = (h ^ word) * UINT64_C(1099511628211);
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return (unsigned)((h ^ (h >> 32)) % CACHE_SLOTS);
}

static bool cache_holds(const struct cached_chain *c, const uint8_t *body,
			size_t len, bool tls13, int64_t t)
{
	/* an empty Certificate message has no bytes (body may be NULL) */
	return c->body && c->len == len && c->tls13 == tls13 && c->lo <= t &&
	       t <= c->hi && (len == 0 || memcmp(c->body, body, len) == 0);
}

static void cache_keep(struct cached_chain *c, const uint8_t *body, size_t len,
		       bool tls13, const struct window *w,
		       const struct sti_trust_info *info)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;   /* not kept: the next one is computed again */
	if (len)
		memcpy(copy, body, len);
	free(c->body);
	c->body = copy;
	c->len = len;
	c->tls13 = tls13;
	c->lo = w->lo;
	c->hi = w->hi;
	c->info = *info;
}

void sti_trust_check_chain_span(const uint8_t *body, size_t len, uint16_t tls_version,
				int64_t at_us, struct sti_trust_info *out,
				int64_t *from, int64_t *to)
{
	bool tls13 = sti_tls_version_rank(tls_version) >= sti_tls_version_rank(STI_TLS13) - 1;
	int64_t t = (int64_t)(time_t)(at_us / 1000000);
	struct cached_chain *c = &cache[cache_slot(body, len, tls13)];
	struct window w = { true, INT64_MIN, INT64_MAX };

	if (cache_holds(c, body, len, tls13, t)) {
		*out = c->info;
		*from = c->lo;
		*to = c->hi;
		return;
	}
	check_chain(body, len, tls13, at_us, out, &w);
	if (!w.ok)
		w.lo = w.hi = t;
	*from = w.lo;
	*to = w.hi;
	if (len <= CACHE_BODY_MAX)
		cache_keep(c, body, len, tls13, &w, out);
}

void sti_trust_check_chain(const uint8_t *body, size_t len, uint16_t tls_version,
			   int64_t at_us, struct sti_trust_info *out)
{
	int64_t from, to;
	sti_trust_check_chain_span(body, len, tls_version, at_us, out, &from, &to);
}
