/*
 * tls_decrypt.c - reading TLS record protection with libcrypto.
 *
 * Key derivation goes through EVP_PKEY's HKDF and TLS1-PRF; records
 * through EVP_CIPHER's AEAD interface (GCM, CCM, ChaCha20-Poly1305) or
 * CBC with an HMAC check. Every length is checked before a byte is
 * touched; a record that fails to authenticate leaves the state as it was.
 */
#include "sti/tls_decrypt.h"

#include "sti/rd.h"
#include "sti/tls_hello.h"
#include "sti/tls_keylog.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#define AEAD_TAG 16
#define CCM8_TAG 8
#define AEAD_NONCE 12
#define GCM12_EXPLICIT 8   /* TLS 1.2 GCM: the record carries 8 nonce bytes */
#define CBC_BLOCK 16
#define TLS12_VERSION 0x0303

static const EVP_MD *md_for(unsigned hash_len)
{
	switch (hash_len) {
	case 20: return EVP_sha1();
	case 32: return EVP_sha256();
	case 48: return EVP_sha384();
	default: return NULL;
	}
}

/* ---- key derivation ---- */

bool sti_hkdf_expand_label(unsigned hash_len, const uint8_t *secret,
			   size_t secret_len, const char *label,
			   const uint8_t *context, size_t context_len,
			   uint8_t *out, size_t out_len)
{
	/* struct HkdfLabel: uint16 length, opaque label<7..255> = "tls13 "
	 * + label, opaque context<0..255>. */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t lab_len = strlen(label), i = 0;
	const EVP_MD *md = md_for(hash_len);

	if (!md || hash_len == 20 || 6 + lab_len > 255 || context_len > 255 ||
	    out_len > 255 * hash_len)
		return false;
	info[i++] = (uint8_t)(out_len >> 8);
	info[i++] = (uint8_t)out_len;
	info[i++] = (uint8_t)(6 + lab_len);
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, lab_len);
	i += lab_len;
	info[i++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + i, context, context_len);
	i += context_len;

	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t got = out_len;
	bool ok = pc && EVP_PKEY_derive_init(pc) > 0 &&
		  EVP_PKEY_CTX_set_hkdf_mode(pc, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) > 0 &&
		  EVP_PKEY_CTX_set_hkdf_md(pc, md) > 0 &&
		  EVP_PKEY_CTX_set1_hkdf_key(pc, secret, (int)secret_len) > 0 &&
		  EVP_PKEY_CTX_add1_hkdf_info(pc, info, (int)i) > 0 &&
		  EVP_PKEY_derive(pc, out, &got) > 0 && got == out_len;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

struct suite13 {
	uint16_t suite;
	enum sti_cipher cipher;
	uint8_t key_len;
	uint8_t hash_len;
};

static const struct suite13 suites13[] = {
	{ 0x1301, STI_CIPHER_AES128_GCM, 16, 32 },
	{ 0x1302, STI_CIPHER_AES256_GCM, 32, 48 },
	{ 0x1303, STI_CIPHER_CHACHA20_POLY1305, 32, 32 },
	{ 0x1304, STI_CIPHER_AES128_CCM, 16, 32 },
	{ 0x1305, STI_CIPHER_AES128_CCM8, 16, 32 },
};

static const struct suite13 *find13(uint16_t suite)
{
	for (size_t i = 0; i < sizeof(suites13) / sizeof(suites13[0]); i++)
		if (suites13[i].suite == suite)
			return &suites13[i];
	return NULL;
}

unsigned sti_tls13_hash_len(uint16_t suite)
{
	const struct suite13 *s = find13(suite);
	return s ? s->hash_len : 0;
}

bool sti_tls13_keys(uint16_t suite, const uint8_t *secret, size_t secret_len,
		    struct sti_tls_keys *out)
{
	const struct suite13 *s = find13(suite);
	memset(out, 0, sizeof(*out));
	if (!s || secret_len != s->hash_len)
		return false;
	out->cipher = s->cipher;
	out->tls13 = true;
	out->key_len = s->key_len;
	out->iv_len = AEAD_NONCE;
	return sti_hkdf_expand_label(s->hash_len, secret, secret_len, "key", NULL, 0,
				     out->key, s->key_len) &&
	       sti_hkdf_expand_label(s->hash_len, secret, secret_len, "iv", NULL, 0,
				     out->iv, AEAD_NONCE);
}

/* What a TLS 1.2 suite needs, read from its IANA name. */
struct suite12 {
	enum sti_cipher cipher;
	uint8_t key_len, iv_len, mac_len;
	uint8_t prf_hash;
};

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

static bool describe12(uint16_t suite, struct suite12 *d)
{
	const char *name = sti_tls_cipher_name(suite);
	memset(d, 0, sizeof(*d));
	if (!name || !strstr(name, "_WITH_") || (suite >> 8) == 0x13)
		return false;
	d->prf_hash = ends_with(name, "_SHA384") ? 48 : 32;
	if (strstr(name, "_WITH_AES_128_GCM_")) {
		*d = (struct suite12){ STI_CIPHER_AES128_GCM, 16, 4, 0, d->prf_hash };
	} else if (strstr(name, "_WITH_AES_256_GCM_")) {
		*d = (struct suite12){ STI_CIPHER_AES256_GCM, 32, 4, 0, d->prf_hash };
	} else if (strstr(name, "_WITH_CHACHA20_POLY1305_")) {
		*d = (struct suite12){ STI_CIPHER_CHACHA20_POLY1305, 32, 12, 0, d->prf_hash };
	} else if (strstr(name, "_WITH_AES_128_CBC_") || strstr(name, "_WITH_AES_256_CBC_")) {
		bool big = strstr(name, "_AES_256_") != NULL;
		d->cipher = big ? STI_CIPHER_AES256_CBC : STI_CIPHER_AES128_CBC;
		d->key_len = big ? 32 : 16;
		d->mac_len = ends_with(name, "_SHA384") ? 48 : ends_with(name, "_SHA256") ? 32 : 20;
	} else {
		return false;
	}
	return true;
}

bool sti_tls12_supported(uint16_t suite)
{
	struct suite12 d;
	return describe12(suite, &d);
}

bool sti_tls12_keys(uint16_t suite, const uint8_t master[48],
		    const uint8_t client_random[32],
		    const uint8_t server_random[32], bool encrypt_then_mac,
		    struct sti_tls_keys *client, struct sti_tls_keys *server)
{
	struct suite12 d;
	uint8_t kb[2 * (48 + 32 + 12)];
	memset(client, 0, sizeof(*client));
	memset(server, 0, sizeof(*server));
	if (!describe12(suite, &d))
		return false;
	size_t need = 2u * (d.mac_len + d.key_len + d.iv_len), got = need;
	/* RFC 5246 6.3: key_block = PRF(master, "key expansion",
	 * server_random + client_random). */
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);
	bool ok = pc && EVP_PKEY_derive_init(pc) > 0 &&
		  EVP_PKEY_CTX_set_tls1_prf_md(pc, md_for(d.prf_hash)) > 0 &&
		  EVP_PKEY_CTX_set1_tls1_prf_secret(pc, master, 48) > 0 &&
		  EVP_PKEY_CTX_add1_tls1_prf_seed(pc, (const unsigned char *)"key expansion", 13) > 0 &&
		  EVP_PKEY_CTX_add1_tls1_prf_seed(pc, server_random, 32) > 0 &&
		  EVP_PKEY_CTX_add1_tls1_prf_seed(pc, client_random, 32) > 0 &&
		  EVP_PKEY_derive(pc, kb, &got) > 0 && got == need;
	EVP_PKEY_CTX_free(pc);
	if (!ok)
		return false;
	struct sti_rd r = sti_rd_init(kb, need);
	struct sti_tls_keys *k[2] = { client, server };
	for (int i = 0; i < 2; i++) {
		k[i]->cipher = d.cipher;
		k[i]->key_len = d.key_len;
		k[i]->iv_len = d.iv_len;
		k[i]->mac_len = d.mac_len;
		k[i]->encrypt_then_mac = encrypt_then_mac && d.mac_len;
	}
	ok = sti_rd_copy(&r, client->mac_key, d.mac_len) &&
	     sti_rd_copy(&r, server->mac_key, d.mac_len) &&
	     sti_rd_copy(&r, client->key, d.key_len) &&
	     sti_rd_copy(&r, server->key, d.key_len) &&
	     sti_rd_copy(&r, client->iv, d.iv_len) &&
	     sti_rd_copy(&r, server->iv, d.iv_len);
	OPENSSL_cleanse(kb, sizeof(kb));
	return ok;
}

/* ---- records ---- */

static const EVP_CIPHER *evp_cipher(enum sti_cipher c)
{
	switch (c) {
	case STI_CIPHER_AES128_GCM: return EVP_aes_128_gcm();
	case STI_CIPHER_AES256_GCM: return EVP_aes_256_gcm();
	case STI_CIPHER_CHACHA20_POLY1305: return EVP_chacha20_poly1305();
	case STI_CIPHER_AES128_CCM:
	case STI_CIPHER_AES128_CCM8: return EVP_aes_128_ccm();
	case STI_CIPHER_AES128_CBC: return EVP_aes_128_cbc();
	case STI_CIPHER_AES256_CBC: return EVP_aes_256_cbc();
	case STI_CIPHER_NONE: break;
	}
	return NULL;
}

static bool is_ccm(enum sti_cipher c)
{
	return c == STI_CIPHER_AES128_CCM || c == STI_CIPHER_AES128_CCM8;
}

/* One AEAD open: nonce, AAD, ciphertext then tag. */
static bool aead_open(const struct sti_tls_keys *k, const uint8_t nonce[AEAD_NONCE],
		      const uint8_t *aad, size_t aad_len, const uint8_t *ct,
		      size_t ct_len, const uint8_t *tag, size_t tag_len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ccm = is_ccm(k->cipher);
	bool ok = c && EVP_DecryptInit_ex(c, evp_cipher(k->cipher), NULL, NULL, NULL) &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, AEAD_NONCE, NULL) &&
		  /* CCM takes the tag before the key; the others after the data */
		  (!ccm || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
					       (void *)(uintptr_t)tag)) &&
		  EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) &&
		  (!ccm || EVP_DecryptUpdate(c, NULL, &len, NULL, (int)ct_len)) &&
		  EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len);
	if (ok && ccm) {
		/* CCM authenticates inside this call: no final step. */
		ok = EVP_DecryptUpdate(c, out, &len, ct, (int)ct_len) > 0;
	} else if (ok) {
		ok = EVP_DecryptUpdate(c, out, &len, ct, (int)ct_len) &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
					 (void *)(uintptr_t)tag) &&
		     EVP_DecryptFinal_ex(c, out + len, &fin) > 0;
	}
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* RFC 8446 5.3 (and RFC 7905 for TLS 1.2 ChaCha20): iv XOR the padded
 * sequence number. */
static void xor_nonce(const struct sti_tls_keys *k, uint8_t nonce[AEAD_NONCE])
{
	memcpy(nonce, k->iv, AEAD_NONCE);
	for (int i = 0; i < 8; i++)
		nonce[AEAD_NONCE - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

static size_t tag_len(const struct sti_tls_keys *k)
{
	return k->cipher == STI_CIPHER_AES128_CCM8 ? CCM8_TAG : AEAD_TAG;
}

/* RFC 8446 5.2: content, then the type, then zeros. */
static bool strip_inner(const uint8_t *p, size_t n, size_t *len, uint8_t *type)
{
	while (n > 0 && p[n - 1] == 0)
		n--;
	if (n == 0)
		return false;   /* all padding: RFC 8446 says unexpected_message */
	*type = p[n - 1];
	*len = n - 1;
	return true;
}

static bool open13(struct sti_tls_keys *k, const uint8_t hdr[5], const uint8_t *body,
		   size_t n, uint8_t *out, size_t *out_len, uint8_t *type)
{
	size_t t = tag_len(k);
	uint8_t nonce[AEAD_NONCE];
	if (n < t + 1)
		return false;
	xor_nonce(k, nonce);
	if (!aead_open(k, nonce, hdr, 5, body, n - t, body + n - t, t, out))
		return false;
	return strip_inner(out, n - t, out_len, type);
}

/* TLS 1.2 additional data: seq_num + type + version + length. */
static void aad12(const struct sti_tls_keys *k, const uint8_t hdr[5], size_t len,
		  uint8_t aad[13])
{
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(k->seq >> (56 - 8 * i));
	memcpy(aad + 8, hdr, 3);
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

static bool open12_aead(const struct sti_tls_keys *k, const uint8_t hdr[5],
			const uint8_t *body, size_t n, uint8_t *out, size_t *out_len)
{
	uint8_t nonce[AEAD_NONCE], aad[13];
	size_t skip = 0;
	if (k->cipher == STI_CIPHER_CHACHA20_POLY1305) {
		xor_nonce(k, nonce);
	} else {
		/* RFC 5288 3: salt from the key block + 8 explicit bytes. */
		if (n < GCM12_EXPLICIT)
			return false;
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, body, GCM12_EXPLICIT);
		skip = GCM12_EXPLICIT;
	}
	if (n < skip + AEAD_TAG)
		return false;
	size_t ct = n - skip - AEAD_TAG;
	aad12(k, hdr, ct, aad);
	if (!aead_open(k, nonce, aad, sizeof(aad), body + skip, ct, body + n - AEAD_TAG,
		       AEAD_TAG, out))
		return false;
	*out_len = ct;
	return true;
}

static bool hmac_check(const struct sti_tls_keys *k, const uint8_t aad[13],
		       const uint8_t *data, size_t len, const uint8_t *mac)
{
	uint8_t got[64];
	size_t got_len = sizeof(got);
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, k->mac_key,
						     k->mac_len);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = key && m &&
		  EVP_DigestSignInit(m, NULL, md_for(k->mac_len), NULL, key) > 0 &&
		  EVP_DigestSignUpdate(m, aad, 13) > 0 &&
		  EVP_DigestSignUpdate(m, data, len) > 0 &&
		  EVP_DigestSignFinal(m, got, &got_len) > 0 && got_len == k->mac_len &&
		  CRYPTO_memcmp(got, mac, k->mac_len) == 0;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(key);
	return ok;
}

static bool cbc_decrypt(const struct sti_tls_keys *k, const uint8_t *iv,
			const uint8_t *ct, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0;
	bool ok = c && EVP_DecryptInit_ex(c, evp_cipher(k->cipher), NULL, k->key, iv) &&
		  EVP_CIPHER_CTX_set_padding(c, 0) &&
		  EVP_DecryptUpdate(c, out, &len, ct, (int)n) && (size_t)len == n;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* RFC 5246 6.2.3.2 with an explicit IV; RFC 7366 when encrypt_then_mac. */
static bool open12_cbc(const struct sti_tls_keys *k, const uint8_t hdr[5],
		       const uint8_t *body, size_t n, uint8_t *out, size_t *out_len)
{
	uint8_t aad[13];
	size_t mac = k->mac_len, ct = n;
	if (k->encrypt_then_mac) {
		if (n < mac)
			return false;
		ct = n - mac;
		aad12(k, hdr, ct, aad);
		if (!hmac_check(k, aad, body, ct, body + ct))
			return false;
	}
	if (ct < 2 * CBC_BLOCK || ct % CBC_BLOCK)
		return false;
	if (!cbc_decrypt(k, body, body + CBC_BLOCK, ct - CBC_BLOCK, out))
		return false;
	size_t len = ct - CBC_BLOCK;
	uint8_t pad = out[len - 1];
	size_t trailer = (size_t)pad + 1 + (k->encrypt_then_mac ? 0 : mac);
	if (trailer > len)
		return false;
	for (size_t i = 0; i <= pad; i++)
		if (out[len - 1 - i] != pad)
			return false;
	size_t content = len - trailer;
	if (!k->encrypt_then_mac) {
		aad12(k, hdr, content, aad);
		if (!hmac_check(k, aad, out, content, out + content))
			return false;
	}
	*out_len = content;
	return true;
}

bool sti_tls_decrypt(struct sti_tls_keys *k, const uint8_t hdr[5],
		     const uint8_t *body, size_t n, uint8_t *out,
		     size_t *out_len, uint8_t *type)
{
	bool ok;
	if (!k || k->cipher == STI_CIPHER_NONE || n > 16384 + 2048)
		return false;
	if (k->tls13) {
		ok = open13(k, hdr, body, n, out, out_len, type);
	} else {
		*type = hdr[0];
		ok = k->mac_len ? open12_cbc(k, hdr, body, n, out, out_len)
				: open12_aead(k, hdr, body, n, out, out_len);
	}
	if (ok)
		k->seq++;
	return ok;
}

/* ---- a session's decryptor ---- */


enum epoch { EP_NONE, EP_ARMED, EP_STOPPED };

struct sti_tls_decryptor {
	struct sti_keylog_entry e;          /* a copy: the log may go first */
	bool tls13;
	uint16_t suite;
	unsigned hash_len;
	struct sti_tls_keys k[2];
	enum epoch ep[2];
	bool ccs_pending[2];                /* TLS 1.2 keys wait for the CCS */
	uint8_t secret[2][STI_KEYLOG_SECRET_MAX];   /* TLS 1.3 current secret */
	/* A secret the log lacks: only worth a note if a record needs it
	 * (a client that gives up in its first flight never logs its own). */
	const char *unread[2];
};

struct sti_tls_decryptor *sti_tls_decryptor_new(const struct sti_keylog_entry *e)
{
	struct sti_tls_decryptor *d = calloc(1, sizeof(*d));
	if (d)
		d->e = *e;
	return d;
}

void sti_tls_decryptor_free(struct sti_tls_decryptor *d)
{
	if (!d)
		return;
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

static const char *const missing13[2][2] = {
	{ "the key log has no CLIENT_HANDSHAKE_TRAFFIC_SECRET for this session",
	  "the key log has no SERVER_HANDSHAKE_TRAFFIC_SECRET for this session" },
	{ "the key log has no CLIENT_TRAFFIC_SECRET_0 for this session",
	  "the key log has no SERVER_TRAFFIC_SECRET_0 for this session" },
};

/* Arm dir with a TLS 1.3 secret of the key log (handshake or traffic). */
static const char *arm13(struct sti_tls_decryptor *d, enum sti_dir dir, bool app)
{
	static const int label[2][2] = {
		{ STI_KL_CLIENT_HANDSHAKE, STI_KL_SERVER_HANDSHAKE },
		{ STI_KL_CLIENT_TRAFFIC_0, STI_KL_SERVER_TRAFFIC_0 },
	};
	const struct sti_keylog_secret *s = &d->e.s[label[app][dir]];
	d->ep[dir] = EP_STOPPED;
	if (!s->len) {
		d->unread[dir] = missing13[app][dir];
		return NULL;
	}
	if (s->len != d->hash_len || !sti_tls13_keys(d->suite, s->b, s->len, &d->k[dir]))
		return "the key log's secret does not fit the negotiated cipher suite";
	memcpy(d->secret[dir], s->b, s->len);
	d->ep[dir] = EP_ARMED;
	return NULL;
}

const char *sti_tls_decryptor_hello(struct sti_tls_decryptor *d, uint16_t version,
				    uint16_t suite, const uint8_t client_random[32],
				    const uint8_t server_random[32], bool etm)
{
	d->suite = suite;
	d->ep[STI_C2S] = d->ep[STI_S2C] = EP_STOPPED;
	if (version == 0x0304) {
		d->tls13 = true;
		d->hash_len = sti_tls13_hash_len(suite);
		if (!d->hash_len)
			return "the negotiated cipher suite cannot be decrypted here";
		const char *c = arm13(d, 0, false), *s = arm13(d, 1, false);
		return s ? s : c;
	}
	if (version != TLS12_VERSION)
		return "only TLS 1.2 and 1.3 sessions are decrypted";
	if (!d->e.s[STI_KL_CLIENT_RANDOM].len)
		return "the key log has no CLIENT_RANDOM line (TLS 1.2 master secret) for this session";
	if (!sti_tls12_supported(suite))
		return "the negotiated cipher suite cannot be decrypted here";
	if (!sti_tls12_keys(suite, d->e.s[STI_KL_CLIENT_RANDOM].b, client_random,
			    server_random, etm, &d->k[STI_C2S], &d->k[STI_S2C]))
		return "the TLS 1.2 key block could not be derived";
	d->ccs_pending[STI_C2S] = d->ccs_pending[STI_S2C] = true;
	d->ep[STI_C2S] = d->ep[STI_S2C] = EP_NONE;
	return NULL;
}

void sti_tls_decryptor_ccs(struct sti_tls_decryptor *d, enum sti_dir dir)
{
	if (d->tls13 || !d->ccs_pending[dir])
		return;
	d->ccs_pending[dir] = false;
	d->ep[dir] = EP_ARMED;
	d->k[dir].seq = 0;
}

const char *sti_tls_decryptor_finished(struct sti_tls_decryptor *d, enum sti_dir dir)
{
	if (!d->tls13 || d->ep[dir] != EP_ARMED)
		return NULL;
	return arm13(d, dir, true);
}

const char *sti_tls_decryptor_key_update(struct sti_tls_decryptor *d, enum sti_dir dir)
{
	uint8_t next[STI_KEYLOG_SECRET_MAX];
	if (!d->tls13 || d->ep[dir] != EP_ARMED)
		return NULL;
	/* RFC 8446 7.2: application_traffic_secret_N+1 =
	 * HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
	d->ep[dir] = EP_STOPPED;
	if (!sti_hkdf_expand_label(d->hash_len, d->secret[dir], d->hash_len, "traffic upd",
				   NULL, 0, next, d->hash_len) ||
	    !sti_tls13_keys(d->suite, next, d->hash_len, &d->k[dir]))
		return "the key update could not be followed";
	memcpy(d->secret[dir], next, d->hash_len);
	d->ep[dir] = EP_ARMED;
	return NULL;
}

const char *sti_tls_decryptor_unread(const struct sti_tls_decryptor *d, enum sti_dir dir)
{
	return d && d->ep[dir] == EP_STOPPED ? d->unread[dir] : NULL;
}

bool sti_tls_decryptor_wants(const struct sti_tls_decryptor *d, enum sti_dir dir, uint8_t type)
{
	if (!d || d->ep[dir] != EP_ARMED)
		return false;
	if (d->tls13)
		return type == 23;
	return type >= 21 && type <= 23;
}

bool sti_tls_decryptor_open(struct sti_tls_decryptor *d, enum sti_dir dir, const uint8_t hdr[5],
			    const uint8_t *body, size_t n, uint8_t *out,
			    size_t *out_len, uint8_t *type)
{
	if (!sti_tls_decryptor_wants(d, dir, hdr[0]))
		return false;
	if (sti_tls_decrypt(&d->k[dir], hdr, body, n, out, out_len, type))
		return true;
	d->ep[dir] = EP_STOPPED;
	return false;
}
