/*
 * tls_cert.c - the Certificate handshake message (RFC 5246 7.4.2 and RFC
 * 8446 4.4.2) and what a mail admin needs from its leaf: names, validity,
 * self-signature, key, fingerprint.
 *
 * The TLS framing is read through sti_rd. The leaf's DER is handed to
 * libcrypto's d2i_X509 with its exact length, so libcrypto never sees a
 * byte beyond the entry; everything that comes back is copied into the
 * fixed arrays, cut to fit and reduced to printable ASCII.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sti/civil_time.h"
#include "sti/digest.h"
#include "sti/rd.h"
#include "sti/tls_hello.h"

static bool cert_fail(struct sti_cert_info *out, const char *part)
{
	if (!out->malformed)
		out->malformed = part;
	return false;
}

static void put_str(struct sti_cert_info *out, char *dst, size_t cap,
		    const unsigned char *s, size_t n)
{
	if (!sti_tls_copy_printable(dst, cap, s, n))
		out->truncated = true;
}

/* ---- names ------------------------------------------------------------ */

static void name_cn(struct sti_cert_info *out, const X509_NAME *name,
		    char *dst, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const X509_NAME_ENTRY *e;
	const ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	int n;

	if (i < 0)
		return;
	e = X509_NAME_get_entry(name, i);
	data = e ? X509_NAME_ENTRY_get_data(e) : NULL;
	if (!data)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, data);
	if (n >= 0 && utf8)
		put_str(out, dst, cap, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* RFC 2253 one-line form, bytes above 0x7f escaped by libcrypto. */
static void name_line(struct sti_cert_info *out, const X509_NAME *name,
		      char *dst, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	const char *mem = NULL;
	long n;

	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &mem);
		if (n > 0 && mem)
			put_str(out, dst, cap, (const unsigned char *)mem, (size_t)n);
	}
	BIO_free(bio);
}

static void leaf_sans(struct sti_cert_info *out, const X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, n;

	if (!gens)
		return;
	n = sk_GENERAL_NAME_num(gens);
	for (i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *dns;

		if (!g || g->type != GEN_DNS)
			continue;
		if (out->nsans == STI_CERT_MAX_SANS) {
			out->truncated = true;
			break;
		}
		dns = g->d.dNSName;
		put_str(out, out->sans[out->nsans++], STI_CERT_NAME_MAX,
			ASN1_STRING_get0_data(dns), (size_t)ASN1_STRING_length(dns));
	}
	GENERAL_NAMES_free(gens);
}

/* ---- validity, key, signature ---------------------------------------- */

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return sti_epoch_from_tm(&tm);
}

static void leaf_key(struct sti_cert_info *out, const X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *type;

	if (!pk) { /* an algorithm this libcrypto does not know */
		memcpy(out->key_type, "unknown", sizeof("unknown"));
		return;
	}
	/* EVP_PKEY_base_id/_bits: the 1.1 spellings of 3.0's get_base_id/get_bits. */
	switch (EVP_PKEY_base_id(pk)) {
	case EVP_PKEY_RSA: type = "RSA"; break;
	case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
	case EVP_PKEY_EC: type = "EC"; break;
	case EVP_PKEY_DSA: type = "DSA"; break;
	case EVP_PKEY_ED25519: type = "Ed25519"; break;
	case EVP_PKEY_ED448: type = "Ed448"; break;
	default: type = "unknown"; break;
	}
	put_str(out, out->key_type, sizeof(out->key_type),
		(const unsigned char *)type, strlen(type));
	out->key_bits = EVP_PKEY_bits(pk) > 0 ? EVP_PKEY_bits(pk) : 0;
}

/* Self-signed: it names itself as issuer and its own key verifies it. */
static bool leaf_self_signed(X509 *x)
{
	EVP_PKEY *pk;

	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0)
		return false;
	pk = X509_get0_pubkey(x);
	return pk && X509_verify(x, pk) == 1;
}

static void leaf_sha256(struct sti_cert_info *out, const uint8_t *der, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!sti_digest(STI_MD_SHA256, der, len, md, &mdlen) || mdlen != 32)
		return;
	for (i = 0; i < mdlen; i++) {
		out->sha256[2 * i] = digits[md[i] >> 4];
		out->sha256[2 * i + 1] = digits[md[i] & 0xf];
	}
	out->sha256[64] = '\0';
}

static bool decode_leaf(const uint8_t *der, size_t len, struct sti_cert_info *out)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX)
		return cert_fail(out, "certificate DER");
	x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		ERR_clear_error();
		return cert_fail(out, "certificate DER");
	}
	out->parsed = true;
	name_cn(out, X509_get_subject_name(x), out->subject_cn, sizeof(out->subject_cn));
	name_cn(out, X509_get_issuer_name(x), out->issuer_cn, sizeof(out->issuer_cn));
	name_line(out, X509_get_subject_name(x), out->subject, sizeof(out->subject));
	name_line(out, X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	leaf_sans(out, x);
	out->not_before = asn1_epoch(X509_get0_notBefore(x));
	out->not_after = asn1_epoch(X509_get0_notAfter(x));
	leaf_key(out, x);
	out->self_signed = leaf_self_signed(x);
	leaf_sha256(out, der, len);
	X509_free(x);
	/* Failed lookups (no SAN, unknown key) leave entries we do not want. */
	ERR_clear_error();
	return true;
}

/*
 * A gateway sees the same few server certificates in session after session,
 * and decoding one with libcrypto costs about half a million instructions.
 * Decoded leaves are kept in a small direct-mapped cache keyed by their DER
 * bytes, compared in full, so a hit gives exactly what decoding would. The
 * program reads captures on one thread; the cache is not locked.
 */
#define LEAF_CACHE_SLOTS 16
#define LEAF_CACHE_MAX_DER 4096

struct leaf_cache_slot {
	size_t len;                     /* 0: empty */
	uint8_t der[LEAF_CACHE_MAX_DER];
	struct sti_cert_info info;
};

static struct leaf_cache_slot leaf_cache[LEAF_CACHE_SLOTS];

static struct leaf_cache_slot *leaf_slot(const uint8_t *der, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ der[i]) * UINT64_C(1099511628211);
	return &leaf_cache[h % LEAF_CACHE_SLOTS];
}

/* decode_leaf, remembered; out->chain_len is the message's own. */
static bool decode_leaf_cached(const uint8_t *der, size_t len,
			       struct sti_cert_info *out)
{
	if (len > LEAF_CACHE_MAX_DER)
		return decode_leaf(der, len, out);
	struct leaf_cache_slot *slot = leaf_slot(der, len);
	unsigned chain_len = out->chain_len;
	if (slot->len == len && memcmp(slot->der, der, len) == 0) {
		*out = slot->info;
		out->chain_len = chain_len;
		return true;
	}
	if (!decode_leaf(der, len, out))
		return false;   /* failures are rare: not kept */
	slot->len = len;
	memcpy(slot->der, der, len);
	slot->info = *out;
	return true;
}

/* ---- the message ------------------------------------------------------ */

/*
 * Walks the whole list so chain_len and any framing fault are known before
 * the leaf is decoded. RFC 5246 7.4.2: ASN.1Cert certificate_list<0..2^24-1>,
 * each opaque<1..2^24-1>; RFC 8446 4.4.2 adds a request context before the
 * list and Extension extensions<0..2^16-1> after each entry.
 */
static bool walk_list(struct sti_rd *list, bool tls13, struct sti_cert_info *out,
		      struct sti_rd *leaf)
{
	struct sti_rd der, exts;

	while (!sti_rd_empty(list)) {
		if (!sti_rd_vec24(list, &der) || sti_rd_empty(&der))
			return cert_fail(out, "certificate entry length");
		if (tls13 && !sti_rd_vec16(list, &exts))
			return cert_fail(out, "certificate entry extensions");
		if (out->chain_len == 0)
			*leaf = der;
		out->chain_len++;
	}
	return true;
}

bool sti_tls_parse_certificate(const uint8_t *body, size_t len,
			       uint16_t tls_version, struct sti_cert_info *out)
{
	struct sti_rd r = sti_rd_init(body, len), ctx, list;
	/* 1.3 and its drafts use the 1.3 form. */
	bool tls13 = sti_tls_version_rank(tls_version) >= sti_tls_version_rank(STI_TLS13) - 1;
	struct sti_rd leaf = sti_rd_init(NULL, 0);
	const uint8_t *der;
	size_t der_len;

	memset(out, 0, sizeof(*out));
	if (tls13 && !sti_rd_vec8(&r, &ctx))
		return cert_fail(out, "certificate_request_context");
	if (!sti_rd_vec24(&r, &list))
		return cert_fail(out, "certificate_list length");
	if (!sti_rd_empty(&r))
		return cert_fail(out, "certificate trailing bytes");
	if (!walk_list(&list, tls13, out, &leaf))
		return false;
	if (out->chain_len == 0)
		return true; /* an empty list is legal: no certificate to offer */
	der_len = sti_rd_left(&leaf);
	if (!sti_rd_take(&leaf, der_len, &der))
		return cert_fail(out, "certificate entry length");
	return decode_leaf_cached(der, der_len, out);
}
