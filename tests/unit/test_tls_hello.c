/*
 * test_tls_hello.c - the hello, certificate and fingerprint parsers on real
 * handshake messages cut out of the public captures in
 * ../shared/pcaps/public (source and frame above each blob; the bytes are
 * in tests/data/tls_hello/, the 4-byte handshake header removed), then on
 * hand-built hostile bodies.
 *
 * Expected values come from outside this code: tshark 4.0 for decoded
 * fields and JA3/JA3S (tls.handshake.ja3, ja3s), the FoxIO ja4 repository's
 * published results for JA4 (rust/ja4/src/snapshots/, python/test/testdata/),
 * and `openssl x509` for the certificates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "sti/digest.h"
#include "sti/tls_certcache.h"
#include "sti/tls_hello.h"
#include "sti/tls_trust.h"
#include "data.h"

/* A ClientHello named name, its lists in a room of the test's own. */
#define HELLO(name)                               \
	struct sti_client_hello name;             \
	struct sti_client_hello_room name##_room; \
	sti_client_hello_init(&name, &name##_room)

/* ---- fixtures from public captures ---------------------------------- */
/* Each is a file of tests/data/tls_hello/, with its size in bytes. */

/* arkime/openssl-tls1.pcap frame 4: OpenSSL s_client -tls1 ClientHello */
static struct test_blob ch_openssl_tls10 = { "tls_hello/ch_openssl_tls10.bin", 160, NULL, 0 };

/* arkime/openssl-tls1.pcap frame 6: ServerHello */
static struct test_blob sh_openssl_tls10 = { "tls_hello/sh_openssl_tls10.bin", 57, NULL, 0 };

/* arkime/openssl-tls1_2.pcap frame 4: OpenSSL TLS 1.2 ClientHello */
static struct test_blob ch_openssl_tls12 = { "tls_hello/ch_openssl_tls12.bin", 254, NULL, 0 };

/* arkime/openssl-tls1_2.pcap frame 6: ServerHello */
static struct test_blob sh_openssl_tls12 = { "tls_hello/sh_openssl_tls12.bin", 57, NULL, 0 };

/* ssldump/tls1.3_keyupdates_aes256.pcap frame 4: OpenSSL TLS 1.3 ClientHello */
static struct test_blob ch_openssl_tls13 = { "tls_hello/ch_openssl_tls13.bin", 234, NULL, 0 };

/* ssldump/tls1.3_keyupdates_aes256.pcap frame 6: TLS 1.3 ServerHello */
static struct test_blob sh_openssl_tls13 = { "tls_hello/sh_openssl_tls13.bin", 118, NULL, 0 };

/* zeek/tls/chrome-1250-tls-x25519-kyber.pcap frame 4: Chrome 125 with GREASE and X25519Kyber768 */
static struct test_blob ch_chrome_grease = { "tls_hello/ch_chrome_grease.bin", 1747, NULL, 0 };

/* zeek/tls/hrr.pcap frame 4: ClientHello answered by a HelloRetryRequest */
static struct test_blob ch_hrr_first = { "tls_hello/ch_hrr_first.bin", 227, NULL, 0 };

/* zeek/tls/hrr.pcap frame 6: HelloRetryRequest */
static struct test_blob sh_hrr = { "tls_hello/sh_hrr.bin", 84, NULL, 0 };

/* wireshark-notes/tls/smtp-ssl.pcapng frame 12: ClientHello after STARTTLS */
static struct test_blob ch_smtp_starttls = { "tls_hello/ch_smtp_starttls.bin", 353, NULL, 0 };

/* ja4/badcurveball.pcap frame 4 (FoxIO ja4 repository test capture) */
static struct test_blob ch_ja4_badcurveball = { "tls_hello/ch_ja4_badcurveball.bin", 508, NULL, 0 };

/* ja4/tls-handshake.pcapng frame 1, TCP stream 0 */
static struct test_blob ch_ja4_google = { "tls_hello/ch_ja4_google.bin", 508, NULL, 0 };

/* ja4/tls-handshake.pcapng TCP stream 6 (mtalk.google.com:5228, no ALPN) */
static struct test_blob ch_ja4_mtalk = { "tls_hello/ch_ja4_mtalk.bin", 508, NULL, 0 };

/* ja4/tls-handshake.pcapng TCP stream 31 (edge-chat.facebook.com, 17 extensions) */
static struct test_blob ch_ja4_fb_edge = { "tls_hello/ch_ja4_fb_edge.bin", 508, NULL, 0 };

/* ja4/ipv6.pcapng frame 4: TLS 1.2 only, 46 suites */
static struct test_blob ch_ja4_ipv6 = { "tls_hello/ch_ja4_ipv6.bin", 228, NULL, 0 };

/* zeek/tls/ssl-v2.pcap frame 4: SSLv2 CLIENT-HELLO (record header removed) */
static struct test_blob sslv2_zeek = { "tls_hello/sslv2_zeek.bin", 46, NULL, 0 };

/* wireshark-notes/ssl3/sslv2.pcapng frame 4: SSLv2 CLIENT-HELLO (record header removed) */
static struct test_blob sslv2_lekensteyn = { "tls_hello/sslv2_lekensteyn.bin", 34, NULL, 0 };

/* suricata-verify sslv2-tls-upgrade-01 frame 4: SSLv2-compatible hello offering TLS 1.0 */
static struct test_blob sslv2_compat_tls10 = { "tls_hello/sslv2_compat_tls10.bin", 103, NULL, 0 };

/* zeek/tls/tls-expired-cert.pcap frame 7: Certificate (leaf www.spidh.org, expired 2014) */
static struct test_blob cert_expired = { "tls_hello/cert_expired.bin", 2524, NULL, 0 };

/* wireshark-notes/tls/smtp-ssl.pcapng frame 14: self-signed mail.example.com */
static struct test_blob cert_selfsigned_smtp = { "tls_hello/cert_selfsigned_smtp.bin", 726, NULL, 0 };

/* ssldump/tls1.2_aes256.pcap frame 6: self-signed P-521 localhost */
static struct test_blob cert_selfsigned_ec = { "tls_hello/cert_selfsigned_ec.bin", 665, NULL, 0 };

/* zeek/tls/ml-dsa-44-cert.pcap frame 5: ML-DSA-44 key libcrypto 3.0 cannot use */
static struct test_blob cert_mldsa = { "tls_hello/cert_mldsa.bin", 4069, NULL, 0 };

/* Everything above, loaded by the group setup. */
static struct test_blob *const captured[] = {
	&ch_openssl_tls10, &sh_openssl_tls10, &ch_openssl_tls12,
	&sh_openssl_tls12, &ch_openssl_tls13, &sh_openssl_tls13,
	&ch_chrome_grease, &ch_hrr_first, &sh_hrr,
	&ch_smtp_starttls, &ch_ja4_badcurveball, &ch_ja4_google,
	&ch_ja4_mtalk, &ch_ja4_fb_edge, &ch_ja4_ipv6,
	&sslv2_zeek, &sslv2_lekensteyn, &sslv2_compat_tls10,
	&cert_expired, &cert_selfsigned_smtp, &cert_selfsigned_ec,
	&cert_mldsa,
};

/* ---- helpers --------------------------------------------------------- */

/* Copy to an exact-size heap block so ASan sees any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static void parse_ch(const uint8_t *p, size_t n, struct sti_client_hello *ch, bool want)
{
	uint8_t *q = dup_exact(p, n);
	assert_int_equal(sti_tls_parse_client_hello(q, n, ch), want);
	free(q);
}

/* ---- digests (digest.c): one context per digest and thread, reused ---- */

static void assert_digest(enum sti_md md, const char *in, const char *want_hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	assert_true(sti_digest(md, in, strlen(in), d, &n));
	assert_int_equal(2 * n, strlen(want_hex));
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(hex, want_hex);
}

/* Each digest in turn, twice over, then the same on a second thread (its
 * own contexts, freed when it ends). */
static void *digests_interleaved(void *arg)
{
	(void)arg;
	for (int round = 0; round < 2; round++) {
		assert_digest(STI_MD_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
		assert_digest(STI_MD_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
		assert_digest(STI_MD_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		assert_digest(STI_MD_SHA256, "abc",
			      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		assert_digest(STI_MD_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
	}
	return NULL;
}

static void test_digests_reused(void **state)
{
	pthread_t t;
	(void)state;
	digests_interleaved(NULL);
	assert_int_equal(pthread_create(&t, NULL, digests_interleaved, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	digests_interleaved(NULL);
}

static void assert_ja3(const struct sti_client_hello *ch, const char *want)
{
	char h[33];
	sti_ja3_hash(ch, h);
	assert_string_equal(h, want);
}

static void assert_ja4(const struct sti_client_hello *ch, const char *want)
{
	char j[40];
	sti_ja4(ch, j);
	assert_string_equal(j, want);
}

/* A growable byte buffer for building hostile messages. */
struct wbuf {
	uint8_t p[70000];
	size_t n;
};

static void w8(struct wbuf *b, unsigned v) { assert_true(b->n < sizeof(b->p)); b->p[b->n++] = (uint8_t)v; }
static void w16(struct wbuf *b, unsigned v) { w8(b, v >> 8); w8(b, v & 0xff); }
static void w24(struct wbuf *b, unsigned v) { w8(b, v >> 16); w16(b, v & 0xffff); }
static void wn(struct wbuf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->p));
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}
/* Patch a 16-bit length at off to cover everything written after it. */
static void patch16(struct wbuf *b, size_t off)
{
	size_t len = b->n - off - 2;
	b->p[off] = (uint8_t)(len >> 8);
	b->p[off + 1] = (uint8_t)len;
}

/* ClientHello head: version, zero random, empty session id. */
static void ch_head(struct wbuf *b, unsigned version)
{
	static const uint8_t random[32];
	b->n = 0;
	w16(b, version);
	wn(b, random, sizeof(random));
	w8(b, 0);
}

/* cipher_suites, null compression, and opens the extensions vector. */
static size_t ch_ciphers_open_exts(struct wbuf *b, const uint16_t *cs, size_t n)
{
	size_t i, off;
	w16(b, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		w16(b, cs[i]);
	w8(b, 1);
	w8(b, 0);
	off = b->n;
	w16(b, 0);
	return off;
}

static void ext(struct wbuf *b, unsigned type, const uint8_t *data, size_t n)
{
	w16(b, type);
	w16(b, (unsigned)n);
	wn(b, data, n);
}

/* ---- ClientHello on real captures ----------------------------------- */

static void test_ch_openssl_tls10(void **state)
{
	HELLO(ch);
	char s[STI_JA3_STR_MAX];
	(void)state;

	parse_ch(ch_openssl_tls10.p, ch_openssl_tls10.n, &ch, true);
	assert_null(ch.malformed);
	assert_false(ch.sslv2_format);
	assert_int_equal(ch.legacy_version, STI_TLS10);
	assert_int_equal(ch.max_version, STI_TLS10);
	assert_false(ch.has_supported_versions);
	assert_int_equal(ch.ciphers_total, 46);
	assert_int_equal(ch.nciphers, 46);
	assert_int_equal(ch.ciphers[0], 0xc014);
	assert_int_equal(ch.ciphers[45], 0x00ff);
	assert_int_equal(ch.nexts, 4);
	assert_int_equal(ch.exts[3], 15);
	assert_int_equal(ch.ngroups, 2);
	assert_int_equal(ch.groups[0], 0x0018);
	assert_int_equal(ch.npoint_formats, 3);
	assert_string_equal(ch.sni, "");
	assert_false(ch.offers_tls13_suites);
	assert_false(ch.offers_aead);
	assert_false(ch.only_legacy_ciphers);
	assert_false(ch.truncated);
	sti_ja3_string(&ch, s, sizeof(s));
	assert_string_equal(s, "769,49172-49162-57-56-136-135-49167-49157-53-132-49170-49160-22-19-"
			       "49165-49155-10-49171-49161-51-50-154-153-69-68-49166-49156-47-150-"
			       "65-7-49169-49159-49164-49154-5-4-21-18-9-20-17-8-6-3-255,"
			       "11-10-35-15,24-23,0-1-2");
	assert_ja3(&ch, "503053a0c5b2bd9b9334bf7f3d3b8852");
}

static void test_ch_openssl_tls12(void **state)
{
	HELLO(ch);
	(void)state;

	parse_ch(ch_openssl_tls12.p, ch_openssl_tls12.n, &ch, true);
	assert_int_equal(ch.legacy_version, STI_TLS12);
	assert_int_equal(ch.max_version, STI_TLS12);
	assert_int_equal(ch.ciphers_total, 74);
	assert_int_equal(ch.nexts, 5);
	assert_int_equal(ch.exts[3], STI_EXT_SIGNATURE_ALGORITHMS);
	assert_int_equal(ch.nsigalgs, 16);
	assert_int_equal(ch.sigalgs[0], 0x0601);
	assert_int_equal(ch.sigalgs[15], 0x0101);
	assert_true(ch.offers_aead);
	assert_false(ch.offers_tls13_suites);
	assert_false(ch.only_legacy_ciphers);
	assert_ja3(&ch, "c1a36e1a870786cc75edddc0009eaf3a");
}

static void test_ch_openssl_tls13(void **state)
{
	HELLO(ch);
	char buf[16];
	(void)state;

	parse_ch(ch_openssl_tls13.p, ch_openssl_tls13.n, &ch, true);
	assert_int_equal(ch.legacy_version, STI_TLS12);
	assert_true(ch.has_supported_versions);
	assert_int_equal(ch.nversions, 1);
	assert_int_equal(ch.versions[0], STI_TLS13);
	assert_int_equal(ch.max_version, STI_TLS13);
	assert_string_equal(sti_tls_version_name(ch.max_version, buf, sizeof(buf)), "1.3");
	assert_int_equal(ch.ciphers_total, 4);
	assert_true(ch.offers_tls13_suites);
	assert_true(ch.offers_aead);
	assert_string_equal(ch.sni, "127.0.0.1");
	assert_int_equal(ch.ngroups, 10);
	assert_int_equal(ch.groups[0], 0x001d);
	assert_int_equal(ch.groups[9], 0x0104);
	assert_int_equal(ch.nsigalgs, 14);
	assert_int_equal(ch.nkey_shares, 1);
	assert_int_equal(ch.key_share_groups[0], 0x001d);
	assert_int_equal(ch.nexts, 10);
	assert_ja3(&ch, "f146948b4a599d4d7ddf071b74696983");
}

static void test_ch_chrome_grease(void **state)
{
	HELLO(ch);
	(void)state;

	parse_ch(ch_chrome_grease.p, ch_chrome_grease.n, &ch, true);
	assert_int_equal(ch_chrome_grease.n, 1747);
	assert_string_equal(ch.sni, "lh3.google.com");
	assert_int_equal(ch.ciphers_total, 16);
	assert_true(sti_tls_is_grease(ch.ciphers[0])); /* kept: JA3 wants wire order */
	assert_int_equal(ch.exts_total, 18);
	assert_int_equal(ch.exts[0], 27242);            /* GREASE 0x6a6a */
	assert_int_equal(ch.exts[17], 19018);           /* GREASE 0x4a4a */
	/* supported_versions 0x8a8a,0x0304,0x0303: GREASE left out. */
	assert_int_equal(ch.nversions, 2);
	assert_int_equal(ch.versions[0], STI_TLS13);
	assert_int_equal(ch.versions[1], STI_TLS12);
	assert_int_equal(ch.max_version, STI_TLS13);
	/* key_share 51914 (GREASE), 25497 (X25519Kyber768), 29 */
	assert_int_equal(ch.nkey_shares, 2);
	assert_int_equal(ch.key_share_groups[0], 25497);
	assert_int_equal(ch.key_share_groups[1], 29);
	assert_int_equal(ch.nalpn, 2);
	assert_string_equal(ch.alpn[0], "h2");
	assert_string_equal(ch.alpn[1], "http/1.1");
	assert_int_equal(ch.ngroups, 5);
	assert_int_equal(ch.groups[1], 0x6399);
	assert_int_equal(ch.nsigalgs, 8);
	assert_ja3(&ch, "9d33d8206d4fec4c8b1423c728f4cd3c");
}

static void test_ch_smtp_starttls(void **state)
{
	HELLO(ch);
	(void)state;

	parse_ch(ch_smtp_starttls.p, ch_smtp_starttls.n, &ch, true);
	assert_int_equal(ch.legacy_version, STI_TLS12);
	assert_int_equal(ch.ciphers_total, 98);
	assert_int_equal(ch.ngroups, 28);
	assert_int_equal(ch.nsigalgs, 15);
	assert_string_equal(ch.sni, "");
	assert_ja3(&ch, "b1fbf71983dc2a72277e70ec11e3a979");
}

/* JA4 against the values FoxIO publishes for its own test captures. */
static void test_ja4_published(void **state)
{
	HELLO(ch);
	(void)state;

	parse_ch(ch_ja4_badcurveball.p, ch_ja4_badcurveball.n, &ch, true);
	assert_string_equal(ch.sni, "bad.curveballtest.com");
	assert_ja4(&ch, "t13d1615h2_46e7e9700bed_45f260be83e2");
	assert_ja3(&ch, "66918128f1b9b03303d77c6f2eefd128");

	parse_ch(ch_ja4_google.p, ch_ja4_google.n, &ch, true);
	assert_string_equal(ch.sni, "clientservices.googleapis.com");
	assert_ja4(&ch, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_ja3(&ch, "1c258ebef8eee2dfa3df6d8d07285af9");

	parse_ch(ch_ja4_mtalk.p, ch_ja4_mtalk.n, &ch, true);
	assert_int_equal(ch.nalpn, 0);
	assert_ja4(&ch, "t13d151400_8daaf6152771_de4a06bb82e3");
	assert_ja3(&ch, "bfc66ad4d55e0c1a1847863d4d5c301a");

	parse_ch(ch_ja4_fb_edge.p, ch_ja4_fb_edge.n, &ch, true);
	assert_string_equal(ch.alpn[0], "http/1.1");
	assert_ja4(&ch, "t13d1517h1_8daaf6152771_6cdcb247c39b");
	assert_ja3(&ch, "e2ce5351e791ab3c3f63764919302aca");

	/* TLS 1.2 only; sigalgs 0xefef/0xeeee/0xeded are not GREASE. */
	parse_ch(ch_ja4_ipv6.p, ch_ja4_ipv6.n, &ch, true);
	assert_false(ch.has_supported_versions);
	assert_int_equal(ch.ciphers_total, 46);
	assert_ja4(&ch, "t12d4605h2_85626a9a5f7f_aaf95bb78ec9");
	assert_ja3(&ch, "3faa4ad39f690c4ef1c3160caa375465");
}

/* ---- SSLv2-compatible hellos ----------------------------------------- */

static void test_sslv2_hellos(void **state)
{
	HELLO(ch);
	char buf[16];
	(void)state;

	assert_true(sti_tls_parse_client_hello_v2(sslv2_zeek.p, sslv2_zeek.n, &ch));
	assert_null(ch.malformed);
	assert_true(ch.sslv2_format);
	assert_int_equal(ch.legacy_version, 0x0002);
	assert_int_equal(ch.max_version, 0x0002);
	assert_string_equal(sti_tls_version_name(ch.max_version, buf, sizeof(buf)), "ssl2");
	assert_int_equal(ch.sslv2_specs, 7);
	assert_int_equal(ch.nciphers, 0);
	assert_true(ch.only_legacy_ciphers);
	assert_false(ch.offers_aead);

	assert_true(sti_tls_parse_client_hello_v2(sslv2_lekensteyn.p, sslv2_lekensteyn.n, &ch));
	assert_int_equal(ch.sslv2_specs, 3);
	assert_true(ch.only_legacy_ciphers);

	/* 26 specs: 6 SSLv2-only, 20 TLS suites; the client can do TLS 1.0. */
	assert_true(sti_tls_parse_client_hello_v2(sslv2_compat_tls10.p, sslv2_compat_tls10.n, &ch));
	assert_int_equal(ch.legacy_version, STI_TLS10);
	assert_int_equal(ch.max_version, STI_TLS10);
	assert_int_equal(ch.sslv2_specs, 6);
	assert_int_equal(ch.nciphers, 20);
	assert_int_equal(ch.ciphers[0], 0x0039);
	assert_int_equal(ch.ciphers[19], 0x0006);
	assert_false(ch.only_legacy_ciphers); /* AES-CBC is there */
	assert_false(ch.offers_aead);
}

static void test_sslv2_malformed(void **state)
{
	HELLO(ch);
	uint8_t m[46];
	size_t i;
	(void)state;

	assert_int_equal(sslv2_zeek.n, sizeof(m));
	for (i = 0; i < sslv2_zeek.n; i++) {
		uint8_t *q = dup_exact(sslv2_zeek.p, i);
		assert_false(sti_tls_parse_client_hello_v2(q, i, &ch));
		assert_non_null(ch.malformed);
		free(q);
	}
	memcpy(m, sslv2_zeek.p, sizeof(m));
	m[0] = 4; /* not CLIENT-HELLO */
	assert_false(sti_tls_parse_client_hello_v2(m, sizeof(m), &ch));
	assert_string_equal(ch.malformed, "SSLv2 ClientHello msg_type");
	memcpy(m, sslv2_zeek.p, sizeof(m));
	m[4] = 20; /* cipher_spec_length not a multiple of 3 */
	assert_false(sti_tls_parse_client_hello_v2(m, sizeof(m), &ch));
	assert_string_equal(ch.malformed, "SSLv2 ClientHello cipher_specs");
	memcpy(m, sslv2_zeek.p, sizeof(m));
	m[8] = 8; /* challenge of 8 bytes */
	assert_false(sti_tls_parse_client_hello_v2(m, sizeof(m), &ch));
	assert_string_equal(ch.malformed, "SSLv2 ClientHello challenge");
}

/* ---- ServerHello ------------------------------------------------------ */

/* A server hello's extension list, for the hellos parsed one at a time. */
static uint16_t sh_exts[STI_HELLO_MAX_EXTS];

static void parse_sh(const uint8_t *p, size_t n, struct sti_server_hello *sh, bool want)
{
	uint8_t *q = dup_exact(p, n);
	sti_server_hello_init(sh, sh_exts);
	assert_int_equal(sti_tls_parse_server_hello(q, n, sh), want);
	free(q);
}

static void assert_ja3s(const struct sti_server_hello *sh, const char *want)
{
	char h[33];
	sti_ja3s_hash(sh, h);
	assert_string_equal(h, want);
}

static void test_sh_real(void **state)
{
	struct sti_server_hello sh;
	(void)state;

	parse_sh(sh_openssl_tls10.p, sh_openssl_tls10.n, &sh, true);
	assert_int_equal(sh.version, STI_TLS10);
	assert_int_equal(sh.cipher, 0xc011);
	assert_string_equal(sti_tls_cipher_name(sh.cipher), "TLS_ECDHE_RSA_WITH_RC4_128_SHA");
	assert_false(sh.hello_retry_request);
	assert_int_equal(sh.nexts, 3);
	/* the extensions went into the room the hello was given */
	assert_ptr_equal(sh.exts, sh_exts);
	assert_int_equal(sh_exts[0], 0xff01);   /* renegotiation_info */
	assert_ja3s(&sh, "bed95e1b525d2f41db3a6d68fac5b566");

	parse_sh(sh_openssl_tls12.p, sh_openssl_tls12.n, &sh, true);
	assert_int_equal(sh.version, STI_TLS12);
	assert_int_equal(sh.cipher, 0xc02f);
	assert_string_equal(sti_tls_cipher_name(sh.cipher), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_ja3s(&sh, "ccc514751b175866924439bdbb5bba34");

	parse_sh(sh_openssl_tls13.p, sh_openssl_tls13.n, &sh, true);
	assert_int_equal(sh.legacy_version, STI_TLS12);
	assert_int_equal(sh.version, STI_TLS13);
	assert_int_equal(sh.cipher, 0x1302);
	assert_int_equal(sh.selected_group, 29);
	assert_false(sh.hello_retry_request);
	assert_false(sh.downgrade_sentinel);
	assert_ja3s(&sh, "15af977ce25de452b96affa2addb1036");
}

static void test_hrr(void **state)
{
	struct sti_server_hello sh;
	HELLO(ch);
	static const char label[] = "HelloRetryRequest";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	(void)state;

	/* The client offered a key share only for group 21 ... */
	parse_ch(ch_hrr_first.p, ch_hrr_first.n, &ch, true);
	assert_int_equal(ch.nkey_shares, 1);
	assert_int_equal(ch.key_share_groups[0], 21);
	assert_ja3(&ch, "0f14b679807628ec7f9c02cada3ee941");
	/* ... and the server asks again for secp256r1. */
	parse_sh(sh_hrr.p, sh_hrr.n, &sh, true);
	assert_true(sh.hello_retry_request);
	assert_int_equal(sh.version, STI_TLS13);
	assert_int_equal(sh.cipher, 0x1302);
	assert_int_equal(sh.selected_group, 0x0017);
	assert_ja3s(&sh, "15af977ce25de452b96affa2addb1036");

	/* The special random is SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
	assert_int_equal(EVP_Digest(label, strlen(label), md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	assert_memory_equal(md, sh_hrr.p + 2, 32);
}

static size_t sh_build(struct wbuf *b, const uint8_t random[32])
{
	size_t off;
	b->n = 0;
	w16(b, STI_TLS12);
	wn(b, random, 32);
	w8(b, 0);
	w16(b, 0xc02f);
	w8(b, 0);
	off = b->n;
	w16(b, 0);
	return off;
}

static void test_sh_built(void **state)
{
	static struct wbuf b;
	struct sti_server_hello sh;
	uint8_t random[32] = { 0 };
	static const uint8_t two_alpn[] = { 0, 6, 2, 'h', '2', 2, 'h', '3' };
	static const uint8_t one_alpn[] = { 0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	size_t off;
	(void)state;

	memcpy(random + 24, "DOWNGRD\x01", 8);
	off = sh_build(&b, random);
	ext(&b, STI_EXT_ALPN, one_alpn, sizeof(one_alpn));
	patch16(&b, off);
	parse_sh(b.p, b.n, &sh, true);
	assert_true(sh.downgrade_sentinel);
	assert_string_equal(sh.alpn, "http/1.1");

	/* RFC 7301: a server names exactly one protocol. */
	memset(random, 0, sizeof(random));
	off = sh_build(&b, random);
	ext(&b, STI_EXT_ALPN, two_alpn, sizeof(two_alpn));
	patch16(&b, off);
	parse_sh(b.p, b.n, &sh, false);
	assert_string_equal(sh.malformed, "ServerHello alpn extension");
	assert_false(sh.downgrade_sentinel);

	/* supported_versions with a byte too many. */
	off = sh_build(&b, random);
	ext(&b, STI_EXT_SUPPORTED_VERSIONS, (const uint8_t *)"\x03\x04\x00", 3);
	patch16(&b, off);
	parse_sh(b.p, b.n, &sh, false);
	assert_string_equal(sh.malformed, "ServerHello supported_versions extension");

	/* 10,000 empty extensions: stored up to the cap, all counted. */
	off = sh_build(&b, random);
	for (unsigned i = 0; i < 10000; i++)
		ext(&b, 0xff00u + (i & 0xff), NULL, 0);
	patch16(&b, off);
	parse_sh(b.p, b.n, &sh, true);
	assert_true(sh.truncated);
	assert_int_equal(sh.nexts, STI_HELLO_MAX_EXTS);
	assert_int_equal(sh.exts_total, 10000);
}

/* Every strict prefix fails, except the one that ends where the optional
 * extensions begin: that is a complete hello without extensions. */
static void check_prefixes(const uint8_t *p, size_t n, bool server, size_t ext_start)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t *q = dup_exact(p, i);
		HELLO(ch);
		struct sti_server_hello sh;
		sti_server_hello_init(&sh, sh_exts);
		bool ok = server ? sti_tls_parse_server_hello(q, i, &sh)
				 : sti_tls_parse_client_hello(q, i, &ch);
		free(q);
		if (i == ext_start) {
			assert_true(ok);
			assert_int_equal(server ? sh.nexts : ch.nexts, 0);
		} else {
			assert_false(ok);
			assert_non_null(server ? sh.malformed : ch.malformed);
		}
	}
}

static void test_truncation_points(void **state)
{
	(void)state;
	/* ext_start: 2 + 32 + 1 + sid + 2 + ciphers + 1 + comp */
	check_prefixes(ch_openssl_tls12.p, ch_openssl_tls12.n, false, 2 + 32 + 1 + 0 + 2 + 148 + 1 + 1);
	check_prefixes(ch_chrome_grease.p, ch_chrome_grease.n, false, 2 + 32 + 1 + 32 + 2 + 32 + 1 + 1);
	check_prefixes(sh_openssl_tls13.p, sh_openssl_tls13.n, true, 2 + 32 + 1 + 32 + 2 + 1);
	check_prefixes(sh_hrr.p, sh_hrr.n, true, 2 + 32 + 1 + 32 + 2 + 1);
}

/* ---- hand-built ClientHellos ----------------------------------------- */

static void test_ch_ext_past_vector(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	static const uint16_t cs[] = { 0x1301 };
	size_t off;
	(void)state;

	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	w16(&b, STI_EXT_SERVER_NAME);
	w16(&b, 200); /* claims 200 bytes; 3 follow */
	w8(&b, 0); w8(&b, 1); w8(&b, 0);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello extension length");
	assert_int_equal(ch.ciphers_total, 1); /* what came before is kept */
	assert_true(ch.offers_tls13_suites);

	/* SNI list whose inner host_name length runs past the list. */
	{
		static const uint8_t sni[] = { 0, 6, 0, 0, 9, 'a', 'b', 'c' };
		ch_head(&b, STI_TLS12);
		off = ch_ciphers_open_exts(&b, cs, 1);
		ext(&b, STI_EXT_SERVER_NAME, sni, sizeof(sni));
		patch16(&b, off);
		parse_ch(b.p, b.n, &ch, false);
		assert_string_equal(ch.malformed, "ClientHello server_name extension");
	}
	/* Extensions vector claims more than the body has. */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	ext(&b, 0x0017, NULL, 0);
	patch16(&b, off);
	b.p[off + 1] += 1;
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello extensions length");
	/* Bytes after the extensions. */
	b.p[off + 1] -= 1;
	w8(&b, 0);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello trailing bytes");
	/* key_share with a share longer than its list. */
	{
		static const uint8_t ks[] = { 0, 6, 0, 0x1d, 0, 32, 1, 2 };
		ch_head(&b, STI_TLS12);
		off = ch_ciphers_open_exts(&b, cs, 1);
		ext(&b, STI_EXT_KEY_SHARE, ks, sizeof(ks));
		patch16(&b, off);
		parse_ch(b.p, b.n, &ch, false);
		assert_string_equal(ch.malformed, "ClientHello key_share extension");
	}
}

static void test_ch_caps(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	uint16_t cs[1000];
	size_t off, i;
	(void)state;

	for (i = 0; i < 1000; i++)
		cs[i] = (uint16_t)(0x0100 + i);
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1000);
	for (i = 0; i < 10000; i++)
		ext(&b, (unsigned)(0x1000 + i), NULL, 0);
	patch16(&b, off);
	assert_true(b.n > 40000);
	parse_ch(b.p, b.n, &ch, true);
	assert_true(ch.truncated);
	assert_int_equal(ch.nciphers, STI_HELLO_MAX_CIPHERS);
	assert_int_equal(ch.ciphers_total, 1000);
	assert_int_equal(ch.nexts, STI_HELLO_MAX_EXTS);
	assert_int_equal(ch.exts_total, 10000);
	assert_int_equal(ch.exts[63], 0x1000 + 63);

	/* 20 ALPN names: 8 kept; a 40-byte name is cut to fit. */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	{
		size_t lo;
		w16(&b, STI_EXT_ALPN);
		lo = b.n;
		w16(&b, 0);
		w16(&b, 0);
		w8(&b, 40);
		for (i = 0; i < 40; i++)
			w8(&b, 'a' + (unsigned)(i % 26));
		for (i = 0; i < 19; i++) {
			w8(&b, 2);
			w8(&b, 'h');
			w8(&b, '2');
		}
		patch16(&b, lo + 2);
		patch16(&b, lo);
	}
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_true(ch.truncated);
	assert_int_equal(ch.nalpn, STI_HELLO_MAX_ALPN);
	assert_int_equal(strlen(ch.alpn[0]), STI_HELLO_ALPN_MAX - 1);
	assert_int_equal(ch.alpn0_len, 40);
	assert_string_equal(ch.alpn[7], "h2");
}

static void test_ch_grease_everywhere(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	static const uint16_t cs[] = { 0x0a0a, 0x1301, 0xfafa, 0xc02f };
	static const uint8_t groups[] = { 0, 6, 0x2a, 0x2a, 0, 0x1d, 0, 0x17 };
	static const uint8_t versions[] = { 6, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03 };
	static const uint8_t shares[] = { 0, 10, 0x4a, 0x4a, 0, 1, 0, 0, 0x1d, 0, 1, 7 };
	static const uint8_t sigalgs[] = { 0, 6, 0x5a, 0x5a, 0x04, 0x03, 0x08, 0x04 };
	static const uint8_t pf[] = { 1, 0 };
	char s[STI_JA3_STR_MAX];
	size_t off;
	(void)state;

	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 4);
	ext(&b, 0x1a1a, NULL, 0);
	ext(&b, STI_EXT_SUPPORTED_GROUPS, groups, sizeof(groups));
	ext(&b, STI_EXT_EC_POINT_FORMATS, pf, sizeof(pf));
	ext(&b, STI_EXT_SUPPORTED_VERSIONS, versions, sizeof(versions));
	ext(&b, STI_EXT_KEY_SHARE, shares, sizeof(shares));
	ext(&b, STI_EXT_SIGNATURE_ALGORITHMS, sigalgs, sizeof(sigalgs));
	ext(&b, 0xeaea, (const uint8_t *)"\0", 1);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_int_equal(ch.nversions, 2);
	assert_int_equal(ch.versions[0], STI_TLS13);
	assert_int_equal(ch.max_version, STI_TLS13);
	assert_int_equal(ch.nkey_shares, 1);
	assert_int_equal(ch.key_share_groups[0], 0x001d);
	assert_int_equal(ch.nciphers, 4);
	assert_true(ch.offers_tls13_suites);
	sti_ja3_string(&ch, s, sizeof(s));
	assert_string_equal(s, "771,4865-49199,10-11-43-51-13,29-23,0");
	/* 2 ciphers, 5 extensions, no SNI, no ALPN; sigalgs without GREASE:
	 * sha256("1301,c02f") and sha256("000a,000b,000d,002b,0033_0403,0804"). */
	assert_ja3(&ch, "d8e2d6d89349dde7292c0cfb7eec1828");
	assert_ja4(&ch, "t13i020500_c1929292aa6b_078775ef5e04");
}

static void test_ja4_rules(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	static const uint16_t cs[] = { 0x1301 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char want_b[13], j[40];
	size_t off, i;
	static const char digits[] = "0123456789abcdef";
	(void)state;

	/* ALPN "0\xab": an end is not alphanumeric, so hex "30ab" -> "3b". */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	ext(&b, STI_EXT_ALPN, (const uint8_t *)"\x00\x03\x02" "0\xab", 5);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_string_equal(ch.alpn[0], "0?");
	sti_ja4(&ch, j);
	assert_memory_equal(j, "t12i01013b_", 11);
	/* b = first 12 hex of sha256("1301"); c = 12 zeros (only ALPN, removed) */
	assert_int_equal(EVP_Digest("1301", 4, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 6; i++) {
		want_b[2 * i] = digits[md[i] >> 4];
		want_b[2 * i + 1] = digits[md[i] & 0xf];
	}
	want_b[12] = '\0';
	assert_memory_equal(j + 11, want_b, 12);
	assert_string_equal(j + 23, "_000000000000");

	/* A single alphanumeric character is both ends. */
	ch_head(&b, STI_TLS11);
	off = ch_ciphers_open_exts(&b, cs, 1);
	ext(&b, STI_EXT_ALPN, (const uint8_t *)"\x00\x02\x01" "x", 4);
	ext(&b, STI_EXT_SERVER_NAME, (const uint8_t *)"\x00\x04\x00\x00\x01" "a", 6);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	sti_ja4(&ch, j);
	assert_memory_equal(j, "t11d0102xx_", 11);
	assert_string_equal(ch.sni, "a");
}

static void test_zero_length_vectors(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	static const uint16_t cs[] = { 0x002f };
	size_t off;
	char j[40];
	(void)state;

	/* cipher_suites<2..2^16-2>: empty is a decode error. */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, NULL, 0);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello cipher_suites");

	/* compression_methods<1..2^8-1>: empty is a decode error. */
	ch_head(&b, STI_TLS12);
	w16(&b, 2);
	w16(&b, 0x002f);
	w8(&b, 0);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello compression_methods");

	/* An odd cipher vector. */
	ch_head(&b, STI_TLS12);
	w16(&b, 3);
	w16(&b, 0x002f);
	w8(&b, 0);
	w8(&b, 1);
	w8(&b, 0);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello cipher_suites");

	/* No extensions at all (RFC 5246 7.4.1.2 allows it). */
	ch_head(&b, STI_TLS10);
	w16(&b, 2);
	w16(&b, 0x002f);
	w8(&b, 1);
	w8(&b, 0);
	parse_ch(b.p, b.n, &ch, true);
	assert_int_equal(ch.nexts, 0);
	assert_ja3(&ch, "b02be259814e870a469a20ce9b2a7900"); /* md5("769,47,,,") */
	assert_ja4(&ch, "t10i010000_ba72b8082249_000000000000");

	/* An empty extensions block, and empty bodies where they are legal. */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_int_equal(ch.nexts, 0);

	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	ext(&b, STI_EXT_SERVER_NAME, NULL, 0);
	ext(&b, STI_EXT_ALPN, (const uint8_t *)"\0\0", 2);
	ext(&b, STI_EXT_SUPPORTED_VERSIONS, (const uint8_t *)"\0", 1);
	ext(&b, STI_EXT_SUPPORTED_GROUPS, (const uint8_t *)"\0\0", 2);
	ext(&b, STI_EXT_KEY_SHARE, (const uint8_t *)"\0\0", 2);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_int_equal(ch.nexts, 5);
	assert_string_equal(ch.sni, "");
	assert_int_equal(ch.nalpn, 0);
	assert_true(ch.has_supported_versions);
	assert_int_equal(ch.nversions, 0);
	assert_int_equal(ch.max_version, STI_TLS12);
	assert_int_equal(ch.ngroups, 0);
	assert_int_equal(ch.nkey_shares, 0);
	sti_ja4(&ch, j);
	assert_memory_equal(j, "t12d010500_", 11); /* SNI present, ALPN empty */

	/* But an extension body with bytes its structure does not use is not. */
	ch_head(&b, STI_TLS12);
	off = ch_ciphers_open_exts(&b, cs, 1);
	ext(&b, STI_EXT_SUPPORTED_VERSIONS, (const uint8_t *)"\x02\x03\x04\x00", 4);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, false);
	assert_string_equal(ch.malformed, "ClientHello supported_versions extension");
}


/* ---- fingerprints once per distinct hello ---------------------------- */

/* The cache gives what computing gives (the byte flips below feed it
 * thousands of distinct hellos that share its slots). */
static void assert_cached_client_fp(const struct sti_client_hello *ch,
				    const char *ja3, const char *ja4)
{
	char h[33], j[40];
	sti_tls_client_fp(ch, h, j);
	assert_string_equal(h, ja3);
	assert_string_equal(j, ja4);
}

static void assert_cached_server_fp(const struct sti_server_hello *sh, const char *ja3s)
{
	char h[33];
	sti_tls_server_fp(sh, h);
	assert_string_equal(h, ja3s);
}

static void test_fp_cache(void **state)
{
	HELLO(a);
	HELLO(b);
	char ja3[33], ja4[40], ja3b[33], ja4b[40];
	(void)state;

	parse_ch(ch_openssl_tls12.p, ch_openssl_tls12.n, &a, true);
	sti_ja4(&a, ja4b);
	sti_tls_client_fp(&a, ja3, ja4);
	assert_string_equal(ja3, "c1a36e1a870786cc75edddc0009eaf3a");
	assert_string_equal(ja4, ja4b);
	/* a second time, from the cache */
	sti_tls_client_fp(&a, ja3, ja4);
	assert_string_equal(ja3, "c1a36e1a870786cc75edddc0009eaf3a");
	assert_string_equal(ja4, ja4b);

	/* another GREASE value is the same fingerprint... */
	parse_ch(ch_openssl_tls12.p, ch_openssl_tls12.n, &b, true);
	b.ciphers[b.nciphers++] = 0x1a1a;
	assert_cached_client_fp(&b, ja3, ja4);
	/* ...another cipher is not */
	b.ciphers[b.nciphers - 1] = 0x002f;
	sti_tls_client_fp(&b, ja3b, ja4b);
	assert_string_not_equal(ja3b, ja3);
	assert_string_not_equal(ja4b, ja4);
	assert_cached_client_fp(&b, ja3b, ja4b);
	assert_cached_client_fp(&a, ja3, ja4);
}

struct fp_in_thread {
	const struct sti_client_hello *ch;
	char ja3[33], ja4[40];
};

static void *client_fp_thread(void *arg)
{
	struct fp_in_thread *t = arg;
	sti_tls_client_fp(t->ch, t->ja3, t->ja4);
	return NULL;
}

/* Another thread makes its own cache on its first fingerprint and frees
 * it when it ends (the sanitizer build's leak check sees that), with the
 * same answers as this thread's. */
static void test_fp_cache_per_thread(void **state)
{
	HELLO(a);
	struct fp_in_thread t = { .ch = &a };
	pthread_t th;
	(void)state;

	parse_ch(ch_openssl_tls12.p, ch_openssl_tls12.n, &a, true);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(pthread_create(&th, NULL, client_fp_thread, &t), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_string_equal(t.ja3, "c1a36e1a870786cc75edddc0009eaf3a");
		assert_cached_client_fp(&a, t.ja3, t.ja4);
	}
}

/* ---- Certificate ------------------------------------------------------ */

static bool parse_cert(const uint8_t *p, size_t n, uint16_t v, struct sti_cert_info *ci)
{
	uint8_t *q = dup_exact(p, n);
	bool ok = sti_tls_parse_certificate(q, n, v, ci);
	free(q);
	return ok;
}

static void test_cert_expired(void **state)
{
	struct sti_cert_info ci;
	(void)state;

	assert_true(parse_cert(cert_expired.p, cert_expired.n, STI_TLS12, &ci));
	assert_null(ci.malformed);
	assert_int_equal(ci.chain_len, 2);
	assert_true(ci.parsed);
	assert_string_equal(ci.subject_cn, "www.spidh.org");
	assert_string_equal(ci.issuer_cn, "COMODO SSL CA");
	assert_string_equal(ci.subject, "CN=www.spidh.org,OU=COMODO SSL,OU=Domain Control Validated");
	assert_string_equal(ci.issuer, "CN=COMODO SSL CA,O=COMODO CA Limited,L=Salford,"
				       "ST=Greater Manchester,C=GB");
	assert_int_equal(ci.nsans, 2);
	assert_string_equal(ci.sans[0], "www.spidh.org");
	assert_string_equal(ci.sans[1], "spidh.org");
	assert_int_equal(ci.not_before, 1359936000); /* 2013-02-04 00:00:00Z */
	assert_int_equal(ci.not_after, 1393977599);  /* 2014-03-04 23:59:59Z */
	assert_false(ci.self_signed);
	assert_string_equal(ci.key_type, "RSA");
	assert_int_equal(ci.key_bits, 2048);
	assert_string_equal(ci.sha256, "7920ebd7acfb8c3c569b83db76e7e61b8a0a5bcdf55bdee5519f838f73732173");
	assert_false(ci.truncated);
}

/* A CA file holding the first certificate of a TLS 1.2 Certificate body. */
static void write_first_cert_pem(const uint8_t *body, char *path)
{
	size_t len = (size_t)body[3] << 16 | (size_t)body[4] << 8 | body[5];
	const unsigned char *p = body + 6;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(x);
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
	X509_free(x);
}

/* The facts of chain q at second t. */
static void trust_at(const uint8_t *q, size_t n, int64_t t, struct sti_trust_info *out)
{
	sti_trust_check_chain(q, n, STI_TLS12, t * 1000000, out);
}

/*
 * A chain is verified once per distinct message: the same bytes again get
 * the same facts; other bytes are verified anew; and around the dates of
 * its certificate, where OpenSSL's answer changes, the cache answers what
 * a fresh verification answers, whichever time filled it.
 */
static void test_trust_cache(void **state)
{
	/* cert_selfsigned_smtp.p: valid from 1422617228 to 1517225228 */
	const int64_t nb = 1422617228, na = 1517225228;
	const int64_t times[] = { nb - 2, nb - 1, nb, nb + 1, 1470000000,
				  na - 2, na - 1, na, na + 1, na + 2 };
	enum { NT = sizeof(times) / sizeof(times[0]) };
	struct sti_trust_info a, b, cached[NT], fresh[NT];
	char path[] = "/tmp/sti-test-trust-XXXXXX", err[256];
	size_t n = cert_selfsigned_smtp.n;
	uint8_t *q = dup_exact(cert_selfsigned_smtp.p, n);
	(void)state;

	trust_at(q, n, 1470000000, &a);
	assert_true(a.checked);
	assert_int_equal(a.trust, STI_TRUST_PRIVATE);
	assert_int_equal(a.ndecoded, 1);
	trust_at(q, n, 1470000100, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	q[n - 1] ^= 0x01;   /* other bytes: verified anew */
	trust_at(q, n, 1470000000, &b);
	assert_string_not_equal(b.chain[0].sha256, a.chain[0].sha256);
	q[n - 1] ^= 0x01;

	write_first_cert_pem(q, path);
	for (int order = 0; order < 2; order++) {
		assert_true(sti_trust_configure(path, NULL, err, sizeof(err)));
		for (int k = 0; k < NT; k++) {
			int i = order ? NT - 1 - k : k;
			trust_at(q, n, times[i], &cached[i]);
		}
		for (int i = 0; i < NT; i++) {
			assert_true(sti_trust_configure(path, NULL, err, sizeof(err)));
			trust_at(q, n, times[i], &fresh[i]);
			assert_memory_equal(&cached[i], &fresh[i], sizeof(fresh[i]));
		}
	}
	assert_int_equal(fresh[4].trust, STI_TRUST_PUBLIC);
	assert_string_equal(fresh[4].error_text, "ok");
	assert_string_equal(fresh[0].error_text, "certificate is not yet valid");
	assert_string_equal(fresh[NT - 1].error_text, "certificate has expired");
	sti_trust_cleanup();
	unlink(path);
	free(q);
}

/* ---- the certificate cache ------------------------------------------- */

static const struct sti_tls_cert *cc_get(struct sti_certcache *c, const uint8_t *q, size_t n,
					 uint16_t v, bool server, int64_t t)
{
	return sti_certcache_get(c, q, n, v, false, server, t * 1000000);
}

/* A kept entry is what decoding alone gives. */
static void assert_decoded_alone(const struct sti_tls_cert *e, const uint8_t *q, size_t n,
				 int64_t t)
{
	struct sti_cert_info ci;
	struct sti_trust_info tr;
	assert_non_null(e);
	(void)sti_tls_parse_certificate(q, n, STI_TLS12, &ci);
	assert_memory_equal(&e->leaf, &ci, sizeof(ci));
	sti_trust_check_chain(q, n, STI_TLS12, t * 1000000, &tr);
	assert_memory_equal(&e->chain, &tr, sizeof(tr));
}

/*
 * One entry per distinct message, layout and sender, shared while held;
 * when every entry is held a new message is decoded for its session
 * alone; an entry nobody holds makes room; an entry the cache dropped
 * stays readable until its last holder releases it (ASan and valgrind
 * see the frees).
 */
static void test_certcache_sharing(void **state)
{
	const int64_t t = 1380000000;   /* inside cert_expired's dates */
	size_t n = cert_expired.n;
	uint8_t *q = dup_exact(cert_expired.p, n);
	struct sti_certcache *c = sti_certcache_new(2);
	(void)state;

	assert_non_null(c);
	const struct sti_tls_cert *a = cc_get(c, q, n, STI_TLS12, true, t);
	const struct sti_tls_cert *b = cc_get(c, q, n, STI_TLS12, true, t + 60);
	assert_ptr_equal(a, b);
	assert_decoded_alone(a, q, n, t);
	assert_true(a->chain.checked);
	assert_string_equal(a->leaf.subject_cn, "www.spidh.org");
	assert_int_equal(sti_certcache_stats(c)->hits, 1);
	assert_int_equal(sti_certcache_stats(c)->decoded, 1);

	/* the client's copy of the same bytes: its chain is not verified */
	const struct sti_tls_cert *cl = cc_get(c, q, n, STI_TLS12, false, t);
	assert_ptr_not_equal(cl, a);
	assert_memory_equal(&cl->leaf, &a->leaf, sizeof(a->leaf));
	assert_false(cl->chain.checked);
	assert_int_equal(sti_certcache_stats(c)->entries, 2);

	/* full, every entry held: the TLS 1.3 layout is decoded alone */
	const struct sti_tls_cert *v13 = cc_get(c, q, n, STI_TLS13, true, t);
	assert_non_null(v13);
	assert_ptr_not_equal(v13, a);
	assert_non_null(v13->leaf.malformed);   /* not the 1.3 form */
	assert_int_equal(sti_certcache_stats(c)->uncached, 1);
	const struct sti_tls_cert *again = cc_get(c, q, n, STI_TLS13, true, t);
	assert_ptr_not_equal(again, v13);
	assert_int_equal(sti_certcache_stats(c)->uncached, 2);
	sti_tls_cert_release(again);
	sti_tls_cert_release(v13);

	/* the client's entry is idle now: the 1.3 one takes its place */
	sti_tls_cert_release(cl);
	v13 = cc_get(c, q, n, STI_TLS13, true, t);
	assert_ptr_equal(cc_get(c, q, n, STI_TLS13, true, t), v13);
	assert_int_equal(sti_certcache_stats(c)->entries, 2);
	sti_tls_cert_release(v13);
	sti_tls_cert_release(v13);

	/* a cut-short message is another entry (its leaf says so) */
	const struct sti_tls_cert *cut = sti_certcache_get(c, q, n, STI_TLS12, true, true,
							   t * 1000000);
	assert_true(cut->leaf.truncated);
	assert_false(a->leaf.truncated);

	/* the cache goes first; the entries its sessions hold stay */
	sti_certcache_free(c);
	assert_string_equal(b->leaf.subject_cn, "www.spidh.org");
	sti_tls_cert_release(a);
	assert_string_equal(b->leaf.subject_cn, "www.spidh.org");
	sti_tls_cert_release(b);
	sti_tls_cert_release(cut);
	/* no cache: decoded for the caller alone */
	a = cc_get(NULL, q, n, STI_TLS12, true, t);
	assert_decoded_alone(a, q, n, t);
	sti_tls_cert_release(a);
	sti_tls_cert_release(NULL);
	free(q);
}

/*
 * An entry is found by the message's bytes, not by a hash of them: two
 * messages of the same length that differ only after the start the cache
 * hashes (the last byte of the last certificate's signature) are two
 * entries, and the same bytes in another buffer find the kept one.
 */
static void test_certcache_compares_bytes(void **state)
{
	const int64_t t = 1380000000;
	size_t n = cert_expired.n;
	uint8_t *q = dup_exact(cert_expired.p, n), *same = dup_exact(cert_expired.p, n);
	uint8_t *late = dup_exact(cert_expired.p, n);
	struct sti_certcache *c = sti_certcache_new(4);
	(void)state;

	assert_true(n > 300);
	late[n - 1] ^= 0x01;
	const struct sti_tls_cert *a = cc_get(c, q, n, STI_TLS12, true, t);
	const struct sti_tls_cert *b = cc_get(c, late, n, STI_TLS12, true, t);
	const struct sti_tls_cert *a2 = cc_get(c, same, n, STI_TLS12, true, t);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(a, a2);
	assert_int_equal(sti_certcache_stats(c)->decoded, 2);
	assert_int_equal(sti_certcache_stats(c)->hits, 1);
	assert_int_equal(sti_certcache_stats(c)->entries, 2);
	assert_decoded_alone(b, late, n, t);
	/* the kept copy is the cache's own: the sender's buffer may change */
	memset(same, 0, n);
	assert_ptr_equal(cc_get(c, q, n, STI_TLS12, true, t), a);
	sti_tls_cert_release(a);
	sti_tls_cert_release(a);
	sti_tls_cert_release(a2);
	sti_tls_cert_release(b);
	sti_certcache_free(c);
	free(q);
	free(same);
	free(late);
}

/*
 * The chain's trust depends on the capture time: a kept verification is
 * reused only by a session captured while the answer holds (inside the
 * chain's dates, see trust_holds in tls_certcache.c). A session after the
 * certificate's notAfter, or before its notBefore, gets the chain verified
 * at its own time: what a fresh verification says, the leaf unchanged.
 */
static void test_certcache_trust_by_time(void **state)
{
	/* cert_selfsigned_smtp.p: valid from 1422617228 to 1517225228 */
	const int64_t nb = 1422617228, na = 1517225228, inside = 1470000000;
	char path[] = "/tmp/sti-test-certcache-XXXXXX", err[256];
	size_t n = cert_selfsigned_smtp.n;
	uint8_t *q = dup_exact(cert_selfsigned_smtp.p, n);
	struct sti_certcache *c = sti_certcache_new(8);
	(void)state;

	write_first_cert_pem(q, path);
	assert_true(sti_trust_configure(path, NULL, err, sizeof(err)));
	const struct sti_tls_cert *in = cc_get(c, q, n, STI_TLS12, true, inside);
	assert_int_equal(in->chain.trust, STI_TRUST_PUBLIC);
	assert_string_equal(in->chain.error_text, "ok");
	assert_int_equal(in->chain.latest_not_before, nb);
	assert_int_equal(in->chain.earliest_not_after, na);

	/* the second before its notAfter: the same answer, shared */
	const struct sti_tls_cert *last = cc_get(c, q, n, STI_TLS12, true, na - 1);
	assert_ptr_equal(last, in);

	/* after its notAfter: verified again, at that time */
	const struct sti_tls_cert *after = cc_get(c, q, n, STI_TLS12, true, na + 2);
	assert_ptr_not_equal(after, in);
	assert_string_equal(after->chain.error_text, "certificate has expired");
	assert_int_equal(sti_certcache_stats(c)->rechecked, 1);
	assert_memory_equal(&after->leaf, &in->leaf, sizeof(in->leaf));
	/* ... and that answer is shared by later sessions in turn */
	assert_ptr_equal(cc_get(c, q, n, STI_TLS12, true, na + 3600), after);

	/* before its notBefore */
	const struct sti_tls_cert *before = cc_get(c, q, n, STI_TLS12, true, nb - 2);
	assert_string_equal(before->chain.error_text, "certificate is not yet valid");

	/* each is what a verification without any cache gives at its time */
	const int64_t when[] = { inside, na + 2, nb - 2 };
	const struct sti_tls_cert *got[] = { in, after, before };
	for (int i = 0; i < 3; i++) {
		struct sti_trust_info fresh;
		assert_true(sti_trust_configure(path, NULL, err, sizeof(err)));
		sti_trust_check_chain(q, n, STI_TLS12, when[i] * 1000000, &fresh);
		assert_memory_equal(&got[i]->chain, &fresh, sizeof(fresh));
	}
	sti_tls_cert_release(in);
	sti_tls_cert_release(last);
	sti_tls_cert_release(after);
	sti_tls_cert_release(after);
	sti_tls_cert_release(before);
	sti_certcache_free(c);
	sti_trust_cleanup();
	unlink(path);
	free(q);
}

static void test_cert_self_signed(void **state)
{
	struct sti_cert_info ci;
	(void)state;

	assert_true(parse_cert(cert_selfsigned_smtp.p, cert_selfsigned_smtp.n, STI_TLS12, &ci));
	assert_int_equal(ci.chain_len, 1);
	assert_string_equal(ci.subject_cn, "mail.example.com");
	assert_string_equal(ci.subject, "CN=mail.example.com,C=NL");
	assert_true(ci.self_signed);
	assert_int_equal(ci.nsans, 0);
	assert_int_equal(ci.not_before, 1422617228);
	assert_int_equal(ci.not_after, 1517225228);
	assert_string_equal(ci.key_type, "RSA");
	assert_int_equal(ci.key_bits, 2048);
	assert_string_equal(ci.sha256, "2acc49c6edf8be8f4b2ac2383518654d26da26af04803e5b938469bf29ad029d");

	assert_true(parse_cert(cert_selfsigned_ec.p, cert_selfsigned_ec.n, STI_TLS12, &ci));
	assert_string_equal(ci.subject_cn, "localhost");
	assert_true(ci.self_signed);
	assert_string_equal(ci.key_type, "EC");
	assert_int_equal(ci.key_bits, 521);
	assert_int_equal(ci.not_after, 1685098988);
	assert_string_equal(ci.sha256, "8b47108a77a22d83b6cf3ac208ab9cd1e41c643d5c0cc80a5c3b9292f922f885");

	/* A key libcrypto 3.0 cannot load: names still decode; the
	 * signature cannot be checked, so it is not called self-signed. */
	assert_true(parse_cert(cert_mldsa.p, cert_mldsa.n, STI_TLS12, &ci));
	assert_true(ci.parsed);
	assert_string_equal(ci.subject_cn, "ml-dsa.example.com");
	assert_string_equal(ci.key_type, "unknown");
	assert_false(ci.self_signed);
	assert_int_equal(ci.not_after, 1806735968);
	assert_string_equal(ci.sha256, "fd95785a038018dccb84cd816602920a1e010d8acd9ce63407aa68440f595758");
}

/* The same chain in the TLS 1.3 form: context, then per-entry extensions. */
static void test_cert_tls13_form(void **state)
{
	static struct wbuf b;
	struct sti_cert_info ci;
	const size_t leaf_len = (size_t)cert_expired.p[3] << 16 | (size_t)cert_expired.p[4] << 8 | cert_expired.p[5];
	(void)state;

	b.n = 0;
	w8(&b, 0);                    /* empty certificate_request_context */
	w24(&b, (unsigned)(3 + leaf_len + 2 + 4));
	w24(&b, (unsigned)leaf_len);
	wn(&b, cert_expired.p + 6, leaf_len);
	w16(&b, 4);                   /* one empty extension */
	w16(&b, 0x0012);
	w16(&b, 0);
	assert_true(parse_cert(b.p, b.n, STI_TLS13, &ci));
	assert_int_equal(ci.chain_len, 1);
	assert_string_equal(ci.subject_cn, "www.spidh.org");
	/* Read as the 1.2 form it does not add up. */
	assert_false(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_non_null(ci.malformed);
	/* And a draft version selects the 1.3 form too. */
	assert_true(parse_cert(b.p, b.n, 0x7f1c, &ci));
}

static void test_cert_malformed(void **state)
{
	static struct wbuf b;
	struct sti_cert_info ci;
	size_t i;
	(void)state;

	/* Every strict prefix of a real Certificate message fails cleanly. */
	for (i = 0; i < cert_selfsigned_ec.n; i++) {
		assert_false(parse_cert(cert_selfsigned_ec.p, i, STI_TLS12, &ci));
		assert_non_null(ci.malformed);
		assert_false(ci.parsed);
	}

	/* Garbage DER in a well-framed message. */
	b.n = 0;
	w24(&b, 3 + 16);
	w24(&b, 16);
	for (i = 0; i < 16; i++)
		w8(&b, 0x30 + (unsigned)i);
	assert_false(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_int_equal(ci.chain_len, 1);
	assert_false(ci.parsed);
	assert_string_equal(ci.malformed, "certificate DER");

	/* A real leaf cut short inside its DER, framing adjusted to match. */
	b.n = 0;
	w24(&b, 3 + 300);
	w24(&b, 300);
	wn(&b, cert_expired.p + 6, 300);
	assert_false(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_string_equal(ci.malformed, "certificate DER");

	/* A zero-length entry (ASN.1Cert<1..2^24-1>). */
	b.n = 0;
	w24(&b, 3);
	w24(&b, 0);
	assert_false(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_string_equal(ci.malformed, "certificate entry length");

	/* Trailing bytes after the list. */
	b.n = 0;
	w24(&b, 0);
	w8(&b, 0);
	assert_false(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_string_equal(ci.malformed, "certificate trailing bytes");

	/* An empty list is legal: a client with no certificate. */
	b.n = 0;
	w24(&b, 0);
	assert_true(parse_cert(b.p, b.n, STI_TLS12, &ci));
	assert_int_equal(ci.chain_len, 0);
	assert_false(ci.parsed);
	assert_null(ci.malformed);
}

/*
 * Each byte of real messages set to 0x00 and to 0xff in turn: whatever the
 * outcome, it must not crash, and "false" must come with a named part and
 * "true" without one.
 */
static void test_byte_flips(void **state)
{
	const struct { const struct test_blob *b; int kind; } msgs[] = {
		{ &ch_openssl_tls12, 0 },
		{ &ch_ja4_badcurveball, 0 },
		{ &sslv2_compat_tls10, 1 },
		{ &sh_openssl_tls13, 2 },
		{ &cert_selfsigned_ec, 3 },
	};
	size_t m, i, v;
	(void)state;

	for (m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		for (i = 0; i < msgs[m].b->n; i++) {
			for (v = 0; v < 2; v++) {
				uint8_t *q = dup_exact(msgs[m].b->p, msgs[m].b->n);
				HELLO(ch);
				struct sti_server_hello sh;
				struct sti_cert_info ci;
				const char *mal;
				char j[40], h[33];
				bool ok;

				sti_server_hello_init(&sh, sh_exts);
				q[i] = v ? 0xff : 0x00;
				switch (msgs[m].kind) {
				case 0:
					ok = sti_tls_parse_client_hello(q, msgs[m].b->n, &ch);
					mal = ch.malformed;
					sti_ja4(&ch, j);
					sti_ja3_hash(&ch, h);
					assert_cached_client_fp(&ch, h, j);
					break;
				case 1:
					ok = sti_tls_parse_client_hello_v2(q, msgs[m].b->n, &ch);
					mal = ch.malformed;
					sti_ja4(&ch, j);
					break;
				case 2:
					ok = sti_tls_parse_server_hello(q, msgs[m].b->n, &sh);
					mal = sh.malformed;
					sti_ja3s_hash(&sh, h);
					assert_cached_server_fp(&sh, h);
					break;
				default:
					ok = sti_tls_parse_certificate(q, msgs[m].b->n, STI_TLS12, &ci);
					mal = ci.malformed;
					break;
				}
				free(q);
				if (ok)
					assert_null(mal);
				else
					assert_non_null(mal);
			}
		}
	}
}

/* ---- tables and strings ------------------------------------------------ */

/* What a hello offers, as every reporter shows it: GREASE and repeats out,
 * highest first (drafts rank between 1.2 and 1.3), the legacy version when
 * there is no supported_versions. */
static void test_offered_versions(void **state)
{
	HELLO(ch);
	uint16_t v[STI_HELLO_MAX_VERSIONS];
	static const uint16_t wire[] = { 0x0a0a, 0x0303, 0x7f1c, 0x0304, 0x0303, 0x0301 };
	(void)state;

	ch.legacy_version = 0x0303;
	memcpy(ch.versions, wire, sizeof(wire));
	ch.nversions = 6;
	ch.has_supported_versions = true;
	assert_int_equal(sti_tls_offered_versions(&ch, v), 4);
	assert_int_equal(v[0], 0x0304);
	assert_int_equal(v[1], 0x7f1c);
	assert_int_equal(v[2], 0x0303);
	assert_int_equal(v[3], 0x0301);

	ch.has_supported_versions = false;   /* the legacy version alone */
	assert_int_equal(sti_tls_offered_versions(&ch, v), 1);
	assert_int_equal(v[0], 0x0303);

	ch.nversions = 1;                    /* only GREASE: the legacy version */
	ch.has_supported_versions = true;
	assert_int_equal(sti_tls_offered_versions(&ch, v), 1);
	assert_int_equal(v[0], 0x0303);
}


static void test_versions_and_names(void **state)
{
	char buf[16];
	char small[4];
	char out[8];
	(void)state;

	assert_string_equal(sti_tls_version_name(STI_SSL3, buf, sizeof(buf)), "ssl3");
	assert_string_equal(sti_tls_version_name(STI_TLS10, buf, sizeof(buf)), "1.0");
	assert_string_equal(sti_tls_version_name(STI_TLS11, buf, sizeof(buf)), "1.1");
	assert_string_equal(sti_tls_version_name(STI_TLS12, buf, sizeof(buf)), "1.2");
	assert_string_equal(sti_tls_version_name(0x7f1c, buf, sizeof(buf)), "0x7f1c");
	assert_string_equal(sti_tls_version_name(0xfb1a, small, sizeof(small)), "0xf"); /* cut to fit */

	/* The words reports print. */
	char text[16];
	assert_string_equal(sti_tls_version_text(0, text, sizeof(text)), "none");
	assert_string_equal(sti_tls_version_text(STI_TLS12, text, sizeof(text)), "TLS 1.2");
	assert_string_equal(sti_tls_version_text(STI_TLS13, text, sizeof(text)), "TLS 1.3");
	assert_string_equal(sti_tls_version_text(STI_SSL3, text, sizeof(text)), "SSL 3.0");
	assert_string_equal(sti_tls_version_text(0x0002, text, sizeof(text)), "SSL 2.0");
	assert_string_equal(sti_tls_version_text(0x7f1c, text, sizeof(text)), "TLS 0x7f1c");
	assert_string_equal(sti_tls_version_text(STI_TLS12, small, sizeof(small)), "TLS"); /* cut */

	assert_true(sti_tls_version_rank(STI_TLS13) > sti_tls_version_rank(0x7f1c));
	assert_true(sti_tls_version_rank(0x7f1c) > sti_tls_version_rank(STI_TLS12));
	assert_true(sti_tls_version_rank(0xfb1a) > sti_tls_version_rank(STI_TLS12));
	assert_true(sti_tls_version_rank(STI_TLS10) > sti_tls_version_rank(STI_SSL3));
	assert_true(sti_tls_version_rank(STI_SSL3) > sti_tls_version_rank(0x0002));
	assert_int_equal(sti_tls_version_rank(0x0a0a), 0);
	assert_int_equal(sti_tls_version_rank(0x1234), 0);

	assert_true(sti_tls_is_grease(0x0a0a));
	assert_true(sti_tls_is_grease(0xfafa));
	assert_false(sti_tls_is_grease(0x0a1a));
	assert_false(sti_tls_is_grease(0xefef));

	/* First, middle and last rows: the bisection needs the table sorted. */
	assert_string_equal(sti_tls_cipher_name(0x0000), "TLS_NULL_WITH_NULL_NULL");
	assert_string_equal(sti_tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(sti_tls_cipher_name(0x00ff), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	assert_string_equal(sti_tls_cipher_name(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_string_equal(sti_tls_cipher_name(0xd005), "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256");
	assert_null(sti_tls_cipher_name(0x0a0a));
	assert_null(sti_tls_cipher_name(0xffff));

	assert_true(sti_tls_copy_printable(out, sizeof(out), (const uint8_t *)"a\x01\xff\"b", 5));
	assert_string_equal(out, "a??\"b");
	assert_false(sti_tls_copy_printable(out, sizeof(out), (const uint8_t *)"0123456789", 10));
	assert_string_equal(out, "0123456");
}

/* Offer-quality flags on hand-built offers. */
static void test_offer_flags(void **state)
{
	static struct wbuf b;
	HELLO(ch);
	static const uint16_t legacy[] = { 0x0a0a, 0x0005, 0x000a, 0x0003, 0x0000, 0x00ff, 0x5600 };
	static const uint16_t cbc[] = { 0x0005, 0x002f };
	static const uint16_t unknown[] = { 0x0005, 0x7777 };
	static const uint16_t scsv_only[] = { 0x00ff };
	size_t off;
	(void)state;

	ch_head(&b, STI_TLS10);
	off = ch_ciphers_open_exts(&b, legacy, 7);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_true(ch.only_legacy_ciphers);
	assert_false(ch.offers_aead);

	ch_head(&b, STI_TLS10);
	off = ch_ciphers_open_exts(&b, cbc, 2);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_false(ch.only_legacy_ciphers);

	/* A suite we cannot classify is not assumed to be legacy. */
	ch_head(&b, STI_TLS10);
	off = ch_ciphers_open_exts(&b, unknown, 2);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_false(ch.only_legacy_ciphers);

	ch_head(&b, STI_TLS10);
	off = ch_ciphers_open_exts(&b, scsv_only, 1);
	patch16(&b, off);
	parse_ch(b.p, b.n, &ch, true);
	assert_false(ch.only_legacy_ciphers);
	assert_false(ch.offers_aead);
}

TEST_DATA_GROUP(captured, test_blobs_load, test_blobs_free)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ch_openssl_tls10),
		cmocka_unit_test(test_ch_openssl_tls12),
		cmocka_unit_test(test_ch_openssl_tls13),
		cmocka_unit_test(test_ch_chrome_grease),
		cmocka_unit_test(test_ch_smtp_starttls),
		cmocka_unit_test(test_ja4_published),
		cmocka_unit_test(test_sslv2_hellos),
		cmocka_unit_test(test_sslv2_malformed),
		cmocka_unit_test(test_sh_real),
		cmocka_unit_test(test_hrr),
		cmocka_unit_test(test_sh_built),
		cmocka_unit_test(test_truncation_points),
		cmocka_unit_test(test_ch_ext_past_vector),
		cmocka_unit_test(test_ch_caps),
		cmocka_unit_test(test_ch_grease_everywhere),
		cmocka_unit_test(test_ja4_rules),
		cmocka_unit_test(test_zero_length_vectors),
		cmocka_unit_test(test_cert_expired),
		cmocka_unit_test(test_cert_self_signed),
		cmocka_unit_test(test_cert_tls13_form),
		cmocka_unit_test(test_cert_malformed),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_fp_cache),
		cmocka_unit_test(test_fp_cache_per_thread),
		cmocka_unit_test(test_trust_cache),
		cmocka_unit_test(test_certcache_sharing),
		cmocka_unit_test(test_certcache_compares_bytes),
		cmocka_unit_test(test_certcache_trust_by_time),
		cmocka_unit_test(test_versions_and_names),
		cmocka_unit_test(test_offered_versions),
		cmocka_unit_test(test_offer_flags),
		cmocka_unit_test(test_digests_reused),
	};
	return cmocka_run_group_tests(tests, data_setup, data_teardown);
}
