/*
 * test_tls_decrypt.c - the key log parser and the record decryption, on
 * the RFC 8448 section 3 handshake (whose secrets, keys and records are
 * published) and on hand-built corners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rfc8448.h"
#include "sti/tls.h"
#include "sti/tls_decrypt.h"
#include "sti/tls_keylog.h"
#include "tls_same.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[64];
	size_t n = unhex(want, w, sizeof(w));
	assert_int_equal(len, n);
	assert_memory_equal(got, w, n);
}

/* ---- key schedule ---- */

static void keys_of(const char *secret_hex, struct sti_tls_keys *k)
{
	uint8_t s[48];
	size_t n = unhex(secret_hex, s, sizeof(s));
	assert_true(sti_tls13_keys(0x1301, s, n, k));
}

static void test_rfc8448_traffic_keys(void **state)
{
	(void)state;
	struct sti_tls_keys k;
	keys_of(RFC8448_S_HS_SECRET, &k);
	assert_int_equal(k.cipher, STI_CIPHER_AES128_GCM);
	assert_hex(k.key, k.key_len, RFC8448_S_HS_KEY);
	assert_hex(k.iv, k.iv_len, RFC8448_S_HS_IV);
	keys_of(RFC8448_C_HS_SECRET, &k);
	assert_hex(k.key, k.key_len, RFC8448_C_HS_KEY);
	assert_hex(k.iv, k.iv_len, RFC8448_C_HS_IV);
	keys_of(RFC8448_C_AP_SECRET, &k);
	assert_hex(k.key, k.key_len, RFC8448_C_AP_KEY);
	assert_hex(k.iv, k.iv_len, RFC8448_C_AP_IV);
	keys_of(RFC8448_S_AP_SECRET, &k);
	assert_hex(k.key, k.key_len, RFC8448_S_AP_KEY);
	assert_hex(k.iv, k.iv_len, RFC8448_S_AP_IV);
}

static void test_hkdf_finished_key(void **state)
{
	(void)state;
	/* RFC 8448 3: {server} finished key = HKDF-Expand-Label(s hs
	 * traffic, "finished", "", 32). */
	uint8_t s[32], out[32];
	unhex(RFC8448_S_HS_SECRET, s, sizeof(s));
	assert_true(sti_hkdf_expand_label(32, s, 32, "finished", NULL, 0, out, 32));
	assert_hex(out, 32, "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8");
	assert_false(sti_hkdf_expand_label(20, s, 32, "key", NULL, 0, out, 16));
}

static void test_unknown_suite_or_length(void **state)
{
	(void)state;
	struct sti_tls_keys k;
	uint8_t s[48] = { 0 };
	assert_false(sti_tls13_keys(0x1306, s, 32, &k));
	assert_false(sti_tls13_keys(0x1302, s, 32, &k));   /* SHA-384 wants 48 */
	assert_true(sti_tls13_keys(0x1302, s, 48, &k));
	assert_int_equal(k.key_len, 32);
	assert_int_equal(sti_tls13_hash_len(0x1303), 32);
	assert_int_equal(sti_tls13_hash_len(0x0035), 0);
}

/* ---- records ---- */

static uint8_t rec[1024], plain[1024];

static bool open_record(struct sti_tls_keys *k, const char *hex, size_t *len, uint8_t *type)
{
	size_t n = unhex(hex, rec, sizeof(rec));
	return sti_tls_decrypt(k, rec, rec + 5, n - 5, plain, len, type);
}

/* The first record under a secret's keys: its inner type, its length. */
static size_t open_first(struct sti_tls_keys *k, const char *secret, const char *record,
			 uint8_t want_type)
{
	size_t len;
	uint8_t type;
	keys_of(secret, k);
	assert_true(open_record(k, record, &len, &type));
	assert_int_equal(type, want_type);
	return len;
}

static void test_rfc8448_server_flight(void **state)
{
	(void)state;
	struct sti_tls_keys k;
	assert_int_equal(open_first(&k, RFC8448_S_HS_SECRET, RFC8448_SERVER_FLIGHT, 22), 657);
	/* EncryptedExtensions first, then Certificate (type 11) at 40. */
	assert_int_equal(plain[0], 8);
	assert_int_equal(plain[40], 11);
	assert_int_equal(k.seq, 1);
}

static void test_rfc8448_client_records(void **state)
{
	(void)state;
	struct sti_tls_keys k;
	size_t len = open_first(&k, RFC8448_C_HS_SECRET, RFC8448_CLIENT_FINISHED, 22);
	uint8_t type;
	assert_hex(plain, len, RFC8448_CLIENT_FINISHED_PLAIN);

	assert_int_equal(open_first(&k, RFC8448_C_AP_SECRET, RFC8448_CLIENT_DATA, 23), 50);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(plain[i], i);
	/* The alert is the second record under these keys. */
	assert_true(open_record(&k, RFC8448_CLIENT_ALERT, &len, &type));
	assert_int_equal(type, 21);
	assert_int_equal(len, 2);
	assert_int_equal(plain[0], 1);
	assert_int_equal(plain[1], 0);
}

static void test_wrong_key_or_order_fails(void **state)
{
	(void)state;
	struct sti_tls_keys k;
	size_t len;
	uint8_t type;
	/* The alert opened as the first record: wrong nonce. */
	keys_of(RFC8448_S_AP_SECRET, &k);
	assert_false(open_record(&k, RFC8448_SERVER_ALERT, &len, &type));
	assert_int_equal(k.seq, 0);
	/* With the client's keys: wrong key. */
	keys_of(RFC8448_C_AP_SECRET, &k);
	assert_false(open_record(&k, RFC8448_SERVER_DATA, &len, &type));
	/* The right keys, then one flipped bit of the tag. */
	keys_of(RFC8448_S_AP_SECRET, &k);
	size_t n = unhex(RFC8448_SERVER_TICKET, rec, sizeof(rec));
	rec[n - 1] ^= 1;
	assert_false(sti_tls_decrypt(&k, rec, rec + 5, n - 5, plain, &len, &type));
	rec[n - 1] ^= 1;
	assert_true(sti_tls_decrypt(&k, rec, rec + 5, n - 5, plain, &len, &type));
	assert_int_equal(type, 22);
	assert_int_equal(plain[0], 4);   /* new_session_ticket */
	/* Truncated below a tag. */
	assert_false(sti_tls_decrypt(&k, rec, rec + 5, 10, plain, &len, &type));
	assert_false(sti_tls_decrypt(NULL, rec, rec + 5, 10, plain, &len, &type));
}

/* The other TLS 1.3 ciphers: seal a padded alert with libcrypto here,
 * open it with the module, and see a flipped bit rejected. */
static size_t seal13(const struct sti_tls_keys *k, const EVP_CIPHER *ciph, size_t tag,
		     uint8_t *out)
{
	static const uint8_t inner[] = { 2, 42, 21, 0, 0, 0 };   /* alert + padding */
	uint8_t nonce[12];
	int len = 0, fin = 0;
	size_t ct = sizeof(inner);
	bool ccm = tag == 8 || EVP_CIPHER_mode(ciph) == EVP_CIPH_CCM_MODE;
	memcpy(nonce, k->iv, 12);   /* sequence number 0 */
	out[0] = 23; out[1] = 3; out[2] = 3;
	out[3] = 0; out[4] = (uint8_t)(ct + tag);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	assert_true(EVP_EncryptInit_ex(c, ciph, NULL, NULL, NULL));
	assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL));
	if (ccm)
		assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag, NULL));
	assert_true(EVP_EncryptInit_ex(c, NULL, NULL, k->key, nonce));
	if (ccm)
		assert_true(EVP_EncryptUpdate(c, NULL, &len, NULL, (int)ct));
	assert_true(EVP_EncryptUpdate(c, NULL, &len, out, 5));
	assert_true(EVP_EncryptUpdate(c, out + 5, &len, inner, (int)ct));
	assert_true(EVP_EncryptFinal_ex(c, out + 5 + len, &fin));
	assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag, out + 5 + ct));
	EVP_CIPHER_CTX_free(c);
	return 5 + ct + tag;
}

static void test_other_ciphers_round_trip(void **state)
{
	(void)state;
	const struct { uint16_t suite; const EVP_CIPHER *c; size_t tag; } t[] = {
		{ 0x1302, EVP_aes_256_gcm(), 16 },
		{ 0x1303, EVP_chacha20_poly1305(), 16 },
		{ 0x1304, EVP_aes_128_ccm(), 16 },
		{ 0x1305, EVP_aes_128_ccm(), 8 },
	};
	uint8_t s[48];
	for (size_t i = 0; i < sizeof(s); i++)
		s[i] = (uint8_t)i;
	for (size_t i = 0; i < 4; i++) {
		struct sti_tls_keys k;
		size_t len;
		uint8_t type;
		assert_true(sti_tls13_keys(t[i].suite, s, sti_tls13_hash_len(t[i].suite), &k));
		size_t n = seal13(&k, t[i].c, t[i].tag, rec);
		rec[6] ^= 0x10;
		assert_false(sti_tls_decrypt(&k, rec, rec + 5, n - 5, plain, &len, &type));
		rec[6] ^= 0x10;
		assert_true(sti_tls_decrypt(&k, rec, rec + 5, n - 5, plain, &len, &type));
		assert_int_equal(type, 21);
		assert_int_equal(len, 2);
		assert_int_equal(plain[1], 42);
	}
}

static void test_tls12_suites(void **state)
{
	(void)state;
	assert_true(sti_tls12_supported(0xc02f));   /* ECDHE_RSA_AES_128_GCM_SHA256 */
	assert_true(sti_tls12_supported(0xc030));   /* ..._AES_256_GCM_SHA384 */
	assert_true(sti_tls12_supported(0xcca8));   /* ..._CHACHA20_POLY1305 */
	assert_true(sti_tls12_supported(0xc013));   /* ..._AES_128_CBC_SHA */
	assert_false(sti_tls12_supported(0x000a));  /* 3DES */
	assert_false(sti_tls12_supported(0x1301));  /* TLS 1.3 suite */
	uint8_t ms[48] = { 7 }, cr[32] = { 1 }, sr[32] = { 2 };
	struct sti_tls_keys c, s;
	assert_true(sti_tls12_keys(0xc013, ms, cr, sr, false, &c, &s));
	assert_int_equal(c.mac_len, 20);
	assert_int_equal(c.key_len, 16);
	assert_memory_not_equal(c.key, s.key, 16);
	assert_true(sti_tls12_keys(0xc030, ms, cr, sr, false, &c, &s));
	assert_int_equal(c.iv_len, 4);
	assert_int_equal(c.mac_len, 0);
}

/* ---- key log ---- */

static const char log_text[] =
	"# SSL/TLS secrets log file, generated by OpenSSL\n"
	"SERVER_HANDSHAKE_TRAFFIC_SECRET " RFC8448_CLIENT_RANDOM " " RFC8448_S_HS_SECRET "\n"
	"EXPORTER_SECRET " RFC8448_CLIENT_RANDOM " " RFC8448_S_AP_SECRET "\n"
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET " RFC8448_CLIENT_RANDOM " " RFC8448_C_HS_SECRET "\r\n"
	"\n"
	"CLIENT_TRAFFIC_SECRET_0 zz34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 " RFC8448_C_AP_SECRET "\n"
	"SERVER_TRAFFIC_SECRET_0 " RFC8448_CLIENT_RANDOM " a11af9\n"
	"CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000001 "
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n"
	"CLIENT_RANDOM 00 11 22\n"
	"garbage line with lower case\n"
	"SERVER_TRAFFIC_SECRET_0 " RFC8448_CLIENT_RANDOM " " RFC8448_S_AP_SECRET;

static void check_log(struct sti_keylog *kl)
{
	const struct sti_keylog_stats *st = sti_keylog_stats(kl);
	sti_keylog_seal(kl);
	assert_int_equal(st->lines, 11);
	assert_int_equal(st->secrets, 4);
	assert_int_equal(st->ignored, 3);    /* comment, EXPORTER_SECRET, blank */
	assert_int_equal(st->malformed, 4);  /* bad hex, short secret, 3 fields, lower case */
	assert_int_equal(sti_keylog_entries(kl), 2);
	assert_int_equal(sti_keylog_lines_unused(kl), 4);

	uint8_t cr[32];
	unhex(RFC8448_CLIENT_RANDOM, cr, sizeof(cr));
	const struct sti_keylog_entry *e = sti_keylog_find(kl, cr);
	assert_non_null(e);
	assert_int_equal(e->lines, 3);
	assert_int_equal(e->s[STI_KL_CLIENT_HANDSHAKE].len, 32);
	assert_hex(e->s[STI_KL_SERVER_HANDSHAKE].b, 32, RFC8448_S_HS_SECRET);
	assert_hex(e->s[STI_KL_SERVER_TRAFFIC_0].b, 32, RFC8448_S_AP_SECRET);
	assert_int_equal(e->s[STI_KL_CLIENT_TRAFFIC_0].len, 0);
	assert_int_equal(sti_keylog_lines_unused(kl), 1);
	cr[0] ^= 1;
	assert_null(sti_keylog_find(kl, cr));
}

static void test_keylog_whole_and_bytewise(void **state)
{
	(void)state;
	struct sti_keylog *kl = sti_keylog_new();
	sti_keylog_feed(kl, (const uint8_t *)log_text, strlen(log_text));
	sti_keylog_end(kl);
	check_log(kl);
	sti_keylog_free(kl);

	kl = sti_keylog_new();
	for (size_t i = 0; i < strlen(log_text); i++)
		sti_keylog_feed(kl, (const uint8_t *)log_text + i, 1);
	sti_keylog_end(kl);
	check_log(kl);
	sti_keylog_free(kl);
}

static void test_keylog_overlong_line(void **state)
{
	(void)state;
	struct sti_keylog *kl = sti_keylog_new();
	char big[STI_KEYLOG_LINE_MAX + 100];
	memset(big, 'A', sizeof(big));
	sti_keylog_feed(kl, (const uint8_t *)big, sizeof(big));
	sti_keylog_feed(kl, (const uint8_t *)"\n", 1);
	sti_keylog_feed(kl, (const uint8_t *)big, 10);
	sti_keylog_end(kl);
	assert_int_equal(sti_keylog_stats(kl)->lines, 2);
	assert_int_equal(sti_keylog_stats(kl)->malformed, 1);
	assert_int_equal(sti_keylog_stats(kl)->ignored, 1);   /* "AAAAAAAAAA": unknown label */
	sti_keylog_free(kl);
}

static void test_keylog_load_missing_file(void **state)
{
	(void)state;
	struct sti_keylog *kl = sti_keylog_new();
	char err[256];
	assert_false(sti_keylog_load(kl, "/nonexistent/keys.log", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/keys.log: "));
	sti_keylog_free(kl);
}

/* ---- the TLS layer with a key log: the whole RFC 8448 session ---- */

static const struct { enum sti_dir dir; const char *hex; } session[] = {
	{ STI_C2S, RFC8448_CH_RECORD },     { STI_S2C, RFC8448_SH_RECORD },
	{ STI_S2C, RFC8448_SERVER_FLIGHT }, { STI_C2S, RFC8448_CLIENT_FINISHED },
	{ STI_S2C, RFC8448_SERVER_TICKET }, { STI_C2S, RFC8448_CLIENT_DATA },
	{ STI_S2C, RFC8448_SERVER_DATA },   { STI_C2S, RFC8448_CLIENT_ALERT },
	{ STI_S2C, RFC8448_SERVER_ALERT },
};

static struct sti_keylog *rfc_log(const char *s_hs_secret, bool with_c_ap)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s\n"
		 "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s\n"
		 "SERVER_TRAFFIC_SECRET_0 %s %s\n"
		 "%s %s %s\n",
		 RFC8448_CLIENT_RANDOM, RFC8448_C_HS_SECRET,
		 RFC8448_CLIENT_RANDOM, s_hs_secret,
		 RFC8448_CLIENT_RANDOM, RFC8448_S_AP_SECRET,
		 with_c_ap ? "CLIENT_TRAFFIC_SECRET_0" : "# no", RFC8448_CLIENT_RANDOM,
		 RFC8448_C_AP_SECRET);
	struct sti_keylog *kl = sti_keylog_new();
	sti_keylog_feed(kl, (const uint8_t *)text, strlen(text));
	sti_keylog_end(kl);
	sti_keylog_seal(kl);
	return kl;
}

static unsigned events_decrypted;

static void count_decrypted(void *ctx, const struct sti_tls_ev *ev)
{
	(void)ctx;
	events_decrypted += ev->decrypted;
}

/* Feed the session, piece bytes at a time (0: whole records). */
static struct sti_tls *play(struct sti_keylog *kl, size_t piece)
{
	struct sti_tls *t = sti_tls_new();
	assert_non_null(t);
	sti_tls_set_keylog(t, kl);
	sti_tls_set_sink(t, count_decrypted, NULL);
	for (size_t i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		size_t n = unhex(session[i].hex, rec, sizeof(rec));
		size_t step = piece ? piece : n;
		for (size_t at = 0; at < n; at += step)
			sti_tls_feed(t, session[i].dir, rec + at, n - at < step ? n - at : step,
				     i + 1, (int64_t)i);
	}
	sti_tls_end(t, STI_C2S);
	sti_tls_end(t, STI_S2C);
	return t;
}

static void test_layer_decrypts_rfc8448(void **state)
{
	(void)state;
	struct sti_keylog *kl = rfc_log(RFC8448_S_HS_SECRET, true);
	events_decrypted = 0;
	struct sti_tls *t = play(kl, 0);
	const struct sti_tls_facts *f = sti_tls_facts(t);
	assert_int_equal(f->decrypt, STI_TLS_DEC_OK);
	assert_string_equal(f->decrypt_note, "");
	assert_int_equal(f->decrypted_records[STI_C2S], 3);
	assert_int_equal(f->decrypted_records[STI_S2C], 4);
	assert_non_null(f->server_cert);
	assert_int_equal(f->server_cert_frame, 3);
	assert_int_equal(f->server_cert->leaf.chain_len, 1);
	assert_string_equal(f->server_cert->leaf.subject_cn, "rsa");
	assert_int_equal(sti_tls_hs_get(&f->dir[STI_S2C], STI_TLS_HSI_ENCRYPTED_EXTENSIONS).count, 1);
	assert_int_equal(sti_tls_hs_get(&f->dir[STI_S2C], STI_TLS_HSI_CERTIFICATE_VERIFY).count, 1);
	assert_int_equal(sti_tls_hs_get(&f->dir[STI_S2C], STI_TLS_HSI_FINISHED).count, 1);
	assert_int_equal(sti_tls_hs_get(&f->dir[STI_S2C], STI_TLS_HSI_NEW_SESSION_TICKET).count, 1);
	assert_int_equal(sti_tls_hs_get(&f->dir[STI_C2S], STI_TLS_HSI_FINISHED).count, 1);
	assert_int_equal(f->nalerts, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(f->alerts[i].encrypted);
		assert_true(f->alerts[i].decrypted);
		assert_int_equal(f->alerts[i].level, 1);
		assert_int_equal(f->alerts[i].desc, 0);
		assert_int_equal(f->alerts[i].from, i == 0 ? STI_C2S : STI_S2C);
	}
	assert_true(f->established);
	/* EE, Certificate, CV, Finished, NST, client Finished, two alerts */
	assert_int_equal(events_decrypted, 8);

	/* One byte at a time gives the same facts. */
	struct sti_tls *t1 = play(kl, 1);
	assert_same_tls_facts(sti_tls_facts(t1), f);
	assert_int_equal(sti_keylog_lines_unused(kl), 0);
	sti_tls_free(t);
	sti_tls_free(t1);
	sti_keylog_free(kl);
}

/* Without a key log, or with a wrong secret: today's facts, and a note. */
static void test_layer_wrong_or_missing_keys(void **state)
{
	(void)state;
	struct sti_tls *plain_t = play(NULL, 0);
	const struct sti_tls_facts *p = sti_tls_facts(plain_t);
	assert_int_equal(p->decrypt, STI_TLS_DEC_NONE);
	assert_null(p->server_cert);
	assert_int_equal(p->nalerts, 0);   /* alert-sized records after data */

	struct sti_keylog *kl = rfc_log(RFC8448_C_HS_SECRET, true);  /* wrong one */
	struct sti_tls *bad_t = play(kl, 0);
	const struct sti_tls_facts *b = sti_tls_facts(bad_t);
	assert_int_equal(b->decrypt, STI_TLS_DEC_PARTIAL);   /* the client side opened */
	assert_int_equal(b->decrypt_failures[STI_S2C], 1);
	assert_int_equal(b->decrypted_records[STI_S2C], 0);
	assert_non_null(strstr(b->decrypt_note, "server's record in frame 3 did not decrypt"));
	assert_null(b->server_cert);
	assert_int_equal(sti_tls_hs_get(&b->dir[STI_S2C], STI_TLS_HSI_CERTIFICATE).count, 0);
	assert_int_equal(b->established, p->established);
	sti_keylog_free(kl);

	kl = rfc_log(RFC8448_S_HS_SECRET, false);   /* no CLIENT_TRAFFIC_SECRET_0 */
	struct sti_tls *half_t = play(kl, 0);
	const struct sti_tls_facts *h = sti_tls_facts(half_t);
	assert_int_equal(h->decrypt, STI_TLS_DEC_PARTIAL);
	assert_non_null(h->server_cert);
	assert_string_equal(h->decrypt_note,
			    "the key log has no CLIENT_TRAFFIC_SECRET_0 for this session");
	assert_int_equal(h->decrypted_records[STI_C2S], 1);   /* its Finished */
	/* The server's close_notify is read; the client's is not even an
	 * alert-sized record worth noting after the data. */
	assert_int_equal(h->nalerts, 1);
	assert_int_equal(h->alerts[0].from, STI_S2C);
	assert_true(h->alerts[0].decrypted);
	sti_keylog_free(kl);

	sti_tls_free(half_t);

	/* A key log for another session. */
	kl = sti_keylog_new();
	struct sti_tls *other_t = play(kl, 0);
	assert_int_equal(sti_tls_facts(other_t)->decrypt, STI_TLS_DEC_NO_KEYS);
	sti_tls_free(plain_t);
	sti_tls_free(bad_t);
	sti_tls_free(other_t);
	sti_keylog_free(kl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8448_traffic_keys),
		cmocka_unit_test(test_hkdf_finished_key),
		cmocka_unit_test(test_unknown_suite_or_length),
		cmocka_unit_test(test_rfc8448_server_flight),
		cmocka_unit_test(test_rfc8448_client_records),
		cmocka_unit_test(test_wrong_key_or_order_fails),
		cmocka_unit_test(test_other_ciphers_round_trip),
		cmocka_unit_test(test_tls12_suites),
		cmocka_unit_test(test_keylog_whole_and_bytewise),
		cmocka_unit_test(test_keylog_overlong_line),
		cmocka_unit_test(test_keylog_load_missing_file),
		cmocka_unit_test(test_layer_decrypts_rfc8448),
		cmocka_unit_test(test_layer_wrong_or_missing_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
