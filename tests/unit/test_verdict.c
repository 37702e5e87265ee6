/*
 * test_verdict.c - the verdict as a pure function of records built in code,
 * one test per rule of SPEC section 6 and the wire behaviours of 6.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sti/session_record.h"
#include "sti/verdict.h"

struct fx {
	struct sti_record rec;
	struct sti_smtp_facts smtp;
	struct sti_tls_facts tls;
	struct sti_tls_facts_room room;   /* what tls points to */
	struct sti_tls_cert scert, ccert;   /* what tls points to, when it does */
	struct sti_smtp_anomalies anomalies;   /* what smtp points to, when it does */
	struct sti_policy pol;
	struct sti_verdict v;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	sti_tls_facts_init(&f->tls, &f->room);
	sti_smtp_facts_blank(&f->smtp);
	sti_policy_defaults(&f->pol);
	f->rec.id = 1;
	f->rec.syn_seen = true;
	f->rec.end_side = STI_DIR_NONE;
	f->rec.first_frame = 1;
	f->rec.first_ts = INT64_C(1800000000) * 1000000;   /* 2027-01-15 */
	f->rec.srv.port = 25;
	f->rec.cli.port = 40000;
	f->rec.tcp[STI_C2S].packets = f->rec.tcp[STI_S2C].packets = 5;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* An SMTP session that reached "220 ready to start TLS". */
static void starttls_accepted(struct fx *f, const char *banner)
{
	f->rec.proto = STI_PROTO_SMTP;
	f->rec.mode = STI_MODE_STARTTLS;
	f->rec.smtp = &f->smtp;
	f->rec.tls = &f->tls;
	f->rec.tls_start_frame = 11;
	f->smtp.greeting_seen = true;
	f->smtp.greeting.code = 220;
	f->smtp.greeting.text = banner;
	f->smtp.hello_cmd = STI_SMTP_CMD_EHLO;
	f->smtp.hello_frame = 6;
	f->smtp.starttls_offered = STI_SMTP_OFFER_YES;
	f->smtp.starttls_count = 1;
	f->smtp.starttls_frame = 8;
	f->smtp.starttls_accepted = true;
	f->smtp.starttls_reply.code = 220;
	f->smtp.starttls_reply.frame = 9;
}

static void client_hello(struct fx *f, uint16_t max, uint64_t frame)
{
	f->tls.have_ch = true;
	f->tls.ch_frame = frame;
	f->tls.ch.max_version = max;
	f->tls.ch.legacy_version = max > 0x0303 ? 0x0303 : max;
	f->tls.ch.ciphers[0] = 0x1301;    /* TLS_AES_128_GCM_SHA256 */
	f->tls.ch.ciphers[1] = 0xc02f;    /* ECDHE-RSA-AES128-GCM-SHA256 */
	f->tls.ch.nciphers = 2;
	f->tls.ch.ciphers_total = 30;
	f->tls.ch.offers_aead = true;
	f->tls.dir[STI_C2S].bytes = 300;
}

static void server_hello(struct fx *f, uint16_t v, uint64_t frame)
{
	f->tls.have_sh = true;
	f->tls.sh_frame = frame;
	f->tls.sh.version = v;
	f->tls.version = v;
	f->tls.dir[STI_S2C].bytes = 1500;
}

static void alert(struct fx *f, enum sti_dir from, uint8_t level, uint8_t desc, uint64_t frame)
{
	struct sti_tls_alert *a = &f->tls.alerts[f->tls.nalerts++];
	a->from = from;
	a->level = level;
	a->desc = desc;
	a->frame = frame;
	a->length = 2;
	f->tls.dir[from].bytes += 7;
}

static void encrypted_alert(struct fx *f, enum sti_dir from, uint64_t frame)
{
	struct sti_tls_alert *a = &f->tls.alerts[f->tls.nalerts++];
	a->from = from;
	a->encrypted = true;
	a->frame = frame;
	a->length = 19;
}

static void closes(struct fx *f, enum sti_dir dir, bool rst, uint64_t frame)
{
	if (rst)
		f->rec.tcp[dir].rst_frame = frame;
	else
		f->rec.tcp[dir].fin_frame = frame;
	if (f->rec.end_side == STI_DIR_NONE) {
		f->rec.end_side = dir;
		f->rec.end_frame = frame;
		f->rec.end = rst ? STI_END_RST : STI_END_FIN;
	}
}

static void decide(struct fx *f)
{
	sti_verdict_decide(&f->rec, &f->pol, &f->v);
}

static void assert_verdict(struct fx *f, enum sti_outcome o, enum sti_cause c,
			   enum sti_reason r, enum sti_confidence conf)
{
	assert_string_equal(sti_outcome_name(f->v.outcome), sti_outcome_name(o));
	assert_string_equal(sti_cause_name(f->v.cause), sti_cause_name(c));
	assert_string_equal(sti_reason_name(f->v.reason), sti_reason_name(r));
	assert_string_equal(sti_confidence_name(f->v.confidence), sti_confidence_name(conf));
	assert_true(f->v.explanation[0] != '\0');
	assert_true(f->v.remediation[0] != '\0');
}

static void assert_evidence(struct fx *f, unsigned n, const uint64_t *frames)
{
	assert_int_equal(f->v.nevidence, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->v.evidence[i], frames[i]);
}

/* 6.1 item 1: TLS 1.0 client, server requiring 1.2 sends protocol_version. */
static void test_client_too_old_alert(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx.example.test ESMTP Postfix");
	client_hello(f, 0x0301, 11);
	alert(f, STI_S2C, 2, 70, 12);
	closes(f, STI_S2C, false, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_CERTAIN);
	assert_string_equal(f->v.explanation,
			    "client offered at most TLS 1.0; server requires TLS 1.2 and "
			    "sent a fatal protocol_version(70) alert (frame 12)");
	assert_non_null(strstr(f->v.remediation, "SCHANNEL\\Protocols\\TLS 1.2"));
	assert_evidence(f, 2, (const uint64_t[]){ 11, 12 });
	/* Complete reg add lines, each on a line of its own (two leading
	 * spaces), for SChannel and the .NET values. */
	static const char *const lines[] = {
		"\n  reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
		"\\SCHANNEL\\Protocols\\TLS 1.2\\Client\" /v Enabled /t REG_DWORD /d 1 /f\n",
		"\n  reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
		"\\SCHANNEL\\Protocols\\TLS 1.2\\Server\" /v DisabledByDefault /t REG_DWORD /d 0 /f\n",
		"\n  reg add \"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319\" "
		"/v SystemDefaultTlsVersions /t REG_DWORD /d 1 /f\n",
		"\n  reg add \"HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319\" "
		"/v SchUseStrongCrypto /t REG_DWORD /d 1 /f\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_non_null(strstr(f->v.remediation, lines[i]));
	/* Postfix: remove the cap, never require a version. */
	assert_non_null(strstr(f->v.remediation, "\"!TLSv1.2\" out of smtp_tls_protocols"));
	assert_null(strstr(f->v.remediation, ">=TLSv1.2"));
}

/* The version to enable follows --min-version. */
static void test_remediation_follows_min_version(void **state)
{
	struct fx *f = *state;
	f->pol.min_version = STI_TLS13;
	starttls_accepted(f, "mx.example.test ESMTP Postfix");
	client_hello(f, 0x0303, 11);
	alert(f, STI_S2C, 2, 70, 12);
	closes(f, STI_S2C, false, 13);
	decide(f);
	assert_non_null(strstr(f->v.remediation, "Enable TLS 1.3 on the sending server"));
	assert_non_null(strstr(f->v.remediation, "SCHANNEL\\Protocols\\TLS 1.3\\Client\" /v Enabled"));
	assert_null(strstr(f->v.remediation, "TLS 1.2"));
}

/* SChannel style: no alert, a reset right after an old ClientHello. */
static void test_client_too_old_reset(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "outlook.example Microsoft ESMTP MAIL Service ready");
	client_hello(f, 0x0302, 11);
	closes(f, STI_S2C, true, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "reset the connection (frame 12)"));
	assert_non_null(strstr(f->v.explanation, "at most TLS 1.1"));
}

/* 6.1 item 2: old server picks TLS 1.0, OpenSSL client aborts with 80. */
static void test_server_too_old_internal_error(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0301, 12);
	alert(f, STI_C2S, 2, 80, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_VERSION_TOO_LOW, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "the server chose TLS 1.0"));
	assert_non_null(strstr(f->v.remediation, "smtpd_tls_protocols"));
}

/* A client that listed TLS 1.0 but refuses it at its security level (OpenSSL
 * 3 and 1.0's MD5+SHA1 signature): the server chose below the policy; the
 * explanation must not claim it was below the client's own offer. */
static void test_server_too_old_client_listed_it(void **state)
{
	struct fx *f = *state;
	static const uint16_t listed[] = { 0x0304, 0x0303, 0x0302, 0x0301 };
	starttls_accepted(f, "mx4.example.test ESMTP Sendmail 8.17.1.9/8.17.1.9");
	client_hello(f, 0x0304, 11);
	memcpy(f->tls.ch.versions, listed, sizeof(listed));
	f->tls.ch.nversions = 4;
	f->tls.ch.has_supported_versions = true;
	server_hello(f, 0x0301, 12);
	alert(f, STI_C2S, 2, 80, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_VERSION_TOO_LOW, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "below the policy minimum although the client listed it"));
	assert_null(strstr(f->v.explanation, "client's minimum"));
	/* the greeting names Sendmail: its option, not Postfix's */
	assert_non_null(strstr(f->v.remediation, "receiving Sendmail server"));
	assert_non_null(strstr(f->v.remediation, "+SSL_OP_NO_TLSv1_2 from ServerSSLOptions"));
	assert_null(strstr(f->v.remediation, "smtpd_tls_protocols"));
}

/* 6.1 item 3: a 1.2-only client, server max 1.0: the server sends 70. */
static void test_server_too_old_protocol_version_from_server(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Exim 4.96");
	client_hello(f, 0x0303, 11);
	alert(f, STI_S2C, 2, 70, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_VERSION_TOO_LOW, STI_CERTAIN);
	assert_non_null(strstr(f->v.remediation, "Exim"));
}

/* 6.1 item 4: the client offers 1.0, the server accepts, the client balks. */
static void test_client_contradicts_itself(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0301, 11);
	server_hello(f, 0x0301, 12);
	alert(f, STI_C2S, 2, 80, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_CERTAIN);
}

/* 6.1 item 6: handshake_failure to a modern offer: the server's problem. */
static void test_no_shared_cipher_server(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0304, 11);
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	assert_non_null(strstr(f->v.remediation, "smtpd_tls_cert_file"));
}

static void test_no_shared_cipher_client_legacy(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0303, 11);
	f->tls.ch.only_legacy_ciphers = true;
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "only legacy ciphers"));
}

/* Only static-RSA suites: modern servers refuse them, the client changes. */
static void test_no_shared_cipher_client_without_forward_secrecy(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0303, 11);
	f->tls.ch.ciphers[0] = 0x003c;   /* TLS_RSA_WITH_AES_128_CBC_SHA256 */
	f->tls.ch.ciphers[1] = 0x00ff;   /* renegotiation SCSV */
	f->tls.ch.nciphers = 2;
	f->tls.ch.ciphers_total = 2;
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "no suite with an ephemeral key exchange"));
	/* One ECDHE suite makes it the server's problem. */
	f->tls.ch.ciphers[1] = 0xc02f;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
}

/* Modern suites that all need an ECDSA certificate (JSSE limited to one):
 * a server with an RSA certificate cannot use any; the client's offer is
 * too narrow, inferred because the server's certificate was never sent. */
static void test_no_shared_cipher_client_ecdsa_only(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0303, 11);
	f->tls.ch.ciphers[0] = 0xc02b;   /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
	f->tls.ch.nciphers = 1;
	f->tls.ch.ciphers_total = 1;
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "needing an ECDSA certificate"));
	assert_non_null(strstr(f->v.remediation, "RSA-authenticated suites"));
	/* an ECDHE-RSA suite beside it: the server should have matched */
	f->tls.ch.ciphers[1] = 0xc02f;
	f->tls.ch.nciphers = 2;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	/* a TLS 1.3 suite needs no certificate type in particular */
	f->tls.ch.ciphers[1] = 0x1301;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
}

/* Only CAMELLIA, with forward secrecy and good groups: the ciphers are the
 * story, named by family (SPEC 9.1), not the groups. */
static void test_no_shared_cipher_client_camellia_only(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	client_hello(f, 0x0303, 11);
	f->tls.ch.ciphers[0] = 0xc076;   /* TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 */
	f->tls.ch.ciphers[1] = 0x0041;   /* TLS_RSA_WITH_CAMELLIA_128_CBC_SHA */
	f->tls.ch.nciphers = 2;
	f->tls.ch.ciphers_total = 2;
	f->tls.ch.groups[0] = 0x001d;
	f->tls.ch.ngroups = 1;
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "key exchange ECDHE/RSA, ciphers CAMELLIA"));
	assert_null(strstr(f->v.explanation, "group"));
	/* with an AES-GCM suite beside them, the server is the one short */
	f->tls.ch.ciphers[2] = 0xc02f;
	f->tls.ch.nciphers = 3;
	decide(f);
	assert_int_equal(f->v.cause, STI_CAUSE_SERVER);
	assert_non_null(strstr(f->v.explanation, "ciphers AES-GCM/CAMELLIA"));
}

static void test_no_shared_group_client(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	f->tls.ch.groups[0] = 0x0100;    /* ffdhe2048 only */
	f->tls.ch.ngroups = 1;
	alert(f, STI_S2C, 2, 40, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "no common key-exchange group"));
}

/* 6.1 item 8: a bare alert instead of a ClientHello. */
static void test_client_alert_instead_of_hello(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	alert(f, STI_C2S, 2, 80, 11);
	alert(f, STI_S2C, 2, 10, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NO_SHARED_CIPHER, STI_INFERRED);
}

/* 6.1 item 5: certificate alerts, and what is wrong with the certificate. */
/* A TLS 1.2 ClientHello and ServerHello, and a certificate that expired
 * before the session. */
static void tls12_expired_certificate(struct fx *f)
{
	client_hello(f, 0x0303, 11);
	server_hello(f, 0x0303, 12);
	f->tls.server_cert = &f->scert;
	f->tls.server_cert_frame = 12;
	f->scert.leaf.parsed = true;
	strcpy(f->scert.leaf.subject_cn, "mx.example.test");
	f->scert.leaf.not_before = 1600000000;
	f->scert.leaf.not_after = 1700000000;   /* before first_ts */
}

static void test_client_rejects_expired_certificate(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	tls12_expired_certificate(f);
	alert(f, STI_C2S, 2, 45, 14);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_CERTAIN);
	/* The not-after date and how long before the session. */
	assert_non_null(strstr(f->v.explanation, "CN=mx.example.test, it expired on "
			       "2023-11-14 22:13:20 UTC, 1157 days before this session"));
	assert_non_null(strstr(f->v.remediation, "certificate (it expired on 2023-11-14"));
	assert_string_equal(f->v.tlsrpt, "certificate-expired");
}

static void test_client_rejects_name_mismatch(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0303, 11);
	strcpy(f->tls.ch.sni, "mail.example.test");
	server_hello(f, 0x0303, 12);
	f->tls.server_cert = &f->scert;
	f->scert.leaf.parsed = true;
	f->scert.leaf.not_after = INT64_C(4000000000);
	strcpy(f->scert.leaf.sans[0], "*.other.test");
	f->scert.leaf.nsans = 1;
	alert(f, STI_C2S, 2, 42, 14);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_CERTAIN);
	/* The names it has against the name asked for. */
	assert_non_null(strstr(f->v.explanation, "it names *.other.test, not "
			       "mail.example.test, the name the client asked for"));
	assert_null(strstr(f->v.remediation, "it is name mismatch"));
	assert_string_equal(f->v.tlsrpt, "certificate-host-mismatch");
	/* A wildcard for the right domain matches one label only. */
	strcpy(f->scert.leaf.sans[0], "*.example.test");
	decide(f);
	assert_null(strstr(f->v.explanation, "name mismatch"));
}

/* A certificate with nothing wrong on the wire, rejected: the client's
 * trust store is the likely culprit (GnuTLS sends 42 for an unknown CA). */
/* Exim's chain, valid and naming the SNI; the client alerts 42. */
static void test_client_does_not_trust_issuer_setup(struct fx *f)
{
	starttls_accepted(f, "mx ESMTP Exim 4.96");
	client_hello(f, 0x0303, 10);
	strcpy(f->tls.ch.sni, "mx2.example.test");
	server_hello(f, 0x0303, 11);
	f->tls.server_cert = &f->scert;
	f->tls.server_cert_frame = 12;
	f->scert.leaf.parsed = true;
	strcpy(f->scert.leaf.subject_cn, "mx2.example.test");
	strcpy(f->scert.leaf.issuer_cn, "Example Test Issuing CA");
	strcpy(f->scert.leaf.sans[0], "mx2.example.test");
	f->scert.leaf.nsans = 1;
	f->scert.leaf.not_before = 1600000000;
	f->scert.leaf.not_after = INT64_C(4000000000);
	alert(f, STI_C2S, 2, 42, 14);
}

/* No chain verified (as before SPEC 9.2): the issuer is what is left. */
static void test_client_does_not_trust_issuer(void **state)
{
	struct fx *f = *state;
	test_client_does_not_trust_issuer_setup(f);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
	assert_string_equal(f->v.tlsrpt, "certificate-not-trusted");
	assert_non_null(strstr(f->v.remediation, "Example Test Issuing CA"));
	assert_evidence(f, 3, (const uint64_t[]){ 11, 12, 14 });
	/* The same leaf sent alone (Sendmail's ServerCertFile): no client
	 * can reach its issuer, the server must send the intermediate. */
	f->scert.leaf.chain_len = 1;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "sent without its intermediate"));
	assert_string_equal(f->v.tlsrpt, "certificate-not-trusted");
}

static void test_unknown_ca_tls13_cleartext(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0304, 12);
	alert(f, STI_C2S, 2, 48, 14);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_CERTAIN);
	assert_string_equal(f->v.tlsrpt, "certificate-not-trusted");
}

/* TLS 1.3 with an encrypted alert from the client: inferred, server. */
/* zeek certificate-request-failed: CertificateRequest, an empty client
 * Certificate, then handshake_failure from the server. */
static void test_server_rejects_missing_client_certificate(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0303, 4);
	server_hello(f, 0x0303, 6);
	sti_tls_hs_note(&f->tls.dir[STI_S2C], STI_TLS_HSI_CERTIFICATE_REQUEST, 6);
	sti_tls_hs_note(&f->tls.dir[STI_C2S], STI_TLS_HSI_CERTIFICATE, 8);
	f->tls.client_cert = &f->ccert;
	f->tls.client_cert_frame = 8;
	alert(f, STI_S2C, 2, 40, 9);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_SERVER_REJECTED_CLIENT_CERTIFICATE, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "the client sent none"));
	assert_evidence(f, 3, (const uint64_t[]){ 6, 8, 9 });
	/* Without the request, handshake_failure is just a named alert. */
	f->tls.dir[STI_S2C].nhs = 0;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_UNKNOWN,
		       STI_REASON_PEER_ALERT, STI_CERTAIN);
}

static void test_tls13_encrypted_client_abort(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0304, 12);
	encrypted_alert(f, STI_C2S, 14);
	closes(f, STI_C2S, false, 15);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO, STI_INFERRED);
	assert_evidence(f, 3, (const uint64_t[]){ 12, 14, 15 });
}

static void test_tls13_server_rejects_after_client_finished(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0304, 12);
	f->tls.dir[STI_C2S].finished_frame = 14;
	encrypted_alert(f, STI_S2C, 15);
	closes(f, STI_S2C, false, 16);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO, STI_INFERRED);
}

/* Each fatal alert from `from` in turn, alone, gives the same verdict. */
static void each_alert_decides(struct fx *f, enum sti_dir from, const uint8_t *alerts, size_t n,
			       enum sti_cause cause, enum sti_reason reason, const char *text)
{
	for (size_t i = 0; i < n; i++) {
		f->tls.nalerts = 0;
		alert(f, from, 2, alerts[i], 13);
		decide(f);
		assert_verdict(f, STI_OUTCOME_FAILED, cause, reason, STI_CERTAIN);
		assert_non_null(strstr(f->v.explanation, text));
	}
}

/* The offer decides: an old ClientHello is the client's problem whatever
 * alert the server sends (GnuTLS, Go and SChannel differ). */
static void test_offer_decides_client_too_old(void **state)
{
	struct fx *f = *state;
	static const uint8_t alerts[] = { 70, 40, 80, 47, 112 };
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0302, 11);
	each_alert_decides(f, STI_S2C, alerts, sizeof(alerts), STI_CAUSE_CLIENT,
			   STI_REASON_CLIENT_VERSION_TOO_LOW, "client offered at most TLS 1.1");
}

/* The offer decides: a ServerHello below every version the client listed
 * is the server's problem whatever the client answers, even an alert
 * that reads like a certificate problem. */
static void test_offer_decides_server_too_old(void **state)
{
	struct fx *f = *state;
	static const uint8_t alerts[] = { 70, 80, 42, 47, 10 };
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	f->tls.ch.has_supported_versions = true;
	f->tls.ch.versions[0] = 0x0304;
	f->tls.ch.versions[1] = 0x0303;
	f->tls.ch.nversions = 2;
	server_hello(f, 0x0301, 12);
	each_alert_decides(f, STI_C2S, alerts, sizeof(alerts), STI_CAUSE_SERVER,
			   STI_REASON_SERVER_VERSION_TOO_LOW, "the server chose TLS 1.0");
	/* A client that listed TLS 1.0 and then sent a certificate alert
	 * rejected the certificate, not the version. */
	f->tls.ch.versions[2] = 0x0301;
	f->tls.ch.nversions = 3;
	f->tls.nalerts = 0;
	alert(f, STI_C2S, 2, 42, 13);
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_CLIENT_REJECTED_CERTIFICATE);
}

/* TLS 1.2 completed, then the client closed without a command: msmtp and
 * curl check the certificate after the handshake. */
static void test_closed_without_command_tls12(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	tls12_expired_certificate(f);
	f->tls.dir[STI_C2S].finished_frame = 14;
	f->tls.dir[STI_S2C].finished_frame = 15;
	f->tls.established = true;
	f->tls.established_frame = 15;
	encrypted_alert(f, STI_C2S, 16);
	closes(f, STI_C2S, false, 17);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
	assert_string_equal(f->v.explanation,
			    "the client rejected the server's certificate (CN=mx.example.test, "
			    "it expired on 2023-11-14 22:13:20 UTC, 1157 days before this session) "
			    "after completing the handshake: it closed the connection "
			    "(frame 17) without sending one command inside TLS");
	assert_string_equal(f->v.tlsrpt, "certificate-expired");
	assert_evidence(f, 4, (const uint64_t[]){ 12, 14, 16, 17 });
	/* One command inside TLS and it is an ordinary session. */
	f->tls.dir[STI_C2S].data_frame = 16;
	decide(f);
	assert_verdict(f, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, STI_CERTAIN);
}

/* The same under TLS 1.3: the client's Finished and a close, nothing else. */
static void test_closed_without_command_tls13(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0304, 12);
	f->tls.dir[STI_S2C].finished_frame = 12;
	f->tls.dir[STI_C2S].finished_frame = 14;
	closes(f, STI_C2S, false, 14);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "without sending one command inside TLS"));
	assert_non_null(strstr(f->v.explanation, "encrypted under TLS 1.3"));
	/* The server closing first after the client's Finished is the
	 * server refusing something of the client's, not this. */
	memset(&f->rec.tcp, 0, sizeof(f->rec.tcp));
	f->rec.end_side = STI_DIR_NONE;
	encrypted_alert(f, STI_S2C, 15);
	closes(f, STI_S2C, false, 16);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO, STI_INFERRED);
}

static void test_ok_and_deprecated(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	server_hello(f, 0x0304, 12);
	f->tls.established = true;
	f->tls.established_frame = 14;
	decide(f);
	assert_verdict(f, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, STI_CERTAIN);
	assert_string_equal(f->v.explanation, "TLS 1.3 established (client offered up to TLS 1.3)");
	/* The same 1.1 session is deprecated; whose side depends on the offer. */
	server_hello(f, 0x0302, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_DEPRECATED, STI_CAUSE_SERVER,
		       STI_REASON_VERSION_BELOW_POLICY, STI_CERTAIN);
	f->tls.ch.max_version = 0x0302;
	decide(f);
	assert_verdict(f, STI_OUTCOME_DEPRECATED, STI_CAUSE_CLIENT,
		       STI_REASON_VERSION_BELOW_POLICY, STI_CERTAIN);
	/* --min-version 1.1 makes it acceptable. */
	f->pol.min_version = 0x0302;
	decide(f);
	assert_verdict(f, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, STI_CERTAIN);
}

static void test_starttls_not_offered_and_skipped(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	f->rec.mode = STI_MODE_PLAINTEXT;
	f->rec.tls = NULL;
	f->smtp.starttls_count = 0;
	f->smtp.starttls_accepted = false;
	f->smtp.starttls_offered = STI_SMTP_OFFER_NO;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_SERVER,
		       STI_REASON_STARTTLS_NOT_OFFERED, STI_CERTAIN);
	assert_string_equal(f->v.tlsrpt, "starttls-not-supported");
	f->smtp.starttls_offered = STI_SMTP_OFFER_YES;
	f->smtp.mail_in_clear = true;
	f->smtp.mail_cmds = 1;   /* it went on: MAIL FROM */
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_SKIPPED_STARTTLS, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "mail was sent in clear"));
	f->smtp.starttls_required = true;
	f->smtp.starttls_required_frame = 9;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_STARTTLS_REQUIRED_NOT_USED, STI_CERTAIN);
}

static void test_stripped_by_middlebox(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	f->rec.mode = STI_MODE_PLAINTEXT;
	f->rec.tls = NULL;
	f->smtp.starttls_count = 0;
	f->smtp.starttls_accepted = false;
	f->smtp.starttls_offered = STI_SMTP_OFFER_STRIPPED;
	f->smtp.masked_cap = "XXXXXXXA";
	f->anomalies.count[STI_SMTP_AN_MASKED_CAPABILITY] = 1;
	f->anomalies.frame[STI_SMTP_AN_MASKED_CAPABILITY] = 6;
	f->smtp.anomalies = &f->anomalies;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_MIDDLEBOX,
		       STI_REASON_STARTTLS_STRIPPED, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "\"XXXXXXXA\""));
	assert_non_null(strstr(f->v.remediation, "inspect"));
	/* A masked command that the server refuses: TLS was attempted. */
	f->smtp.masked_commands = 1;
	f->smtp.masked_command_frame = 8;
	f->smtp.masked_command_reply.code = 500;
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_MIDDLEBOX,
		       STI_REASON_STARTTLS_STRIPPED, STI_CERTAIN);
}

static void test_starttls_refused(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP Postfix");
	f->rec.mode = STI_MODE_PLAINTEXT;
	f->rec.tls = NULL;
	f->smtp.starttls_accepted = false;
	f->smtp.starttls_refused = true;
	f->smtp.starttls_reply.code = 454;
	f->smtp.starttls_reply.enhanced = "4.7.0";
	f->smtp.starttls_reply.text = "TLS not available due to local problem";
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_STARTTLS_REFUSED, STI_CERTAIN);
	assert_string_equal(f->v.explanation,
			    "the server answered STARTTLS with \"454 4.7.0 TLS not "
			    "available due to local problem\" (frame 9)");
	/* A reply text that repeats the enhanced code says it once. */
	f->smtp.starttls_reply.text = "4.7.0 TLS not available due to local problem";
	decide(f);
	assert_string_equal(f->v.explanation,
			    "the server answered STARTTLS with \"454 4.7.0 TLS not "
			    "available due to local problem\" (frame 9)");
}

static void test_injection(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	f->smtp.injected_bytes = 24;
	f->smtp.injected_frame = 8;
	f->smtp.injected_line = "MAIL FROM:<x@example.test>";
	client_hello(f, 0x0304, 11);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_PLAINTEXT_INJECTION_AFTER_STARTTLS, STI_CERTAIN);
}

static void test_not_tls_after_starttls(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	f->tls.dir[STI_C2S].bytes = 10;
	f->tls.dir[STI_C2S].not_tls = true;
	strcpy(f->tls.dir[STI_C2S].sample, "EHLO again");
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_NOT_TLS_AFTER_STARTTLS, STI_CERTAIN);
}

static void test_silent_server_and_capture_end(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	/* 6.1 item 11: retransmitted ClientHello, no answer at all, and the
	 * capture ends first: still undecided, but the silence is named. */
	f->rec.retransmitted[STI_C2S] = 4;
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "4 retransmission(s)"));
	/* The client giving up makes it a failure on the server's side. */
	closes(f, STI_C2S, false, 30);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
}

static void test_server_resets_modern_hello(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	closes(f, STI_S2C, true, 12);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
}

static void test_client_aborts_after_server_hello_tls12(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0303, 11);
	server_hello(f, 0x0303, 12);
	closes(f, STI_C2S, true, 13);
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_ABORTED_HANDSHAKE, STI_INFERRED);
}

static void test_mid_session_and_gap(void **state)
{
	struct fx *f = *state;
	f->rec.proto = STI_PROTO_SMTP;
	f->rec.mode = STI_MODE_PLAINTEXT;
	f->rec.smtp = &f->smtp;
	f->rec.syn_seen = false;
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_STARTED_MID_SESSION, STI_INFERRED);

	starttls_accepted(f, "mx ESMTP");
	client_hello(f, 0x0304, 11);
	f->tls.dir[STI_S2C].gap = true;
	f->tls.dir[STI_S2C].gap_frame = 12;
	f->tls.dir[STI_S2C].bytes = 100;
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_GAP, STI_INFERRED);
	/* The same gap after the ServerHello, with the client's Finished and
	 * data after it: the handshake completed as far as one can tell. */
	server_hello(f, 0x0304, 12);
	f->tls.dir[STI_C2S].finished_frame = 14;
	f->tls.dir[STI_C2S].last_frame = 15;
	decide(f);
	assert_verdict(f, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "as far as the capture shows"));
	/* ... unless someone sent an alert. */
	encrypted_alert(f, STI_S2C, 16);
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_GAP, STI_INFERRED);
}

static void test_implicit_tls_ok(void **state)
{
	struct fx *f = *state;
	f->rec.proto = STI_PROTO_TLS;
	f->rec.mode = STI_MODE_IMPLICIT;
	f->rec.srv.port = 465;
	f->rec.tls = &f->tls;
	client_hello(f, 0x0304, 4);
	server_hello(f, 0x0304, 5);
	f->tls.established = true;
	decide(f);
	assert_verdict(f, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, STI_CERTAIN);
}

static void test_tables(void **state)
{
	(void)state;
	assert_string_equal(sti_reason_name(STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO),
			    "tls13_failed_after_server_hello");
	assert_string_equal(sti_reason_tlsrpt(STI_REASON_STARTTLS_STRIPPED),
			    "starttls-not-supported");
	assert_null(sti_reason_tlsrpt(STI_REASON_TLS_OK));
	assert_string_equal(sti_outcome_name(STI_OUTCOME_NO_TLS), "no_tls");
	assert_string_equal(sti_cause_name(STI_CAUSE_MIDDLEBOX), "middlebox");
	for (int r = 0; r < STI_REASON_COUNT; r++)
		assert_true(sti_reason_description((enum sti_reason)r)[0] != '\0');
}

/* ---- SPEC 9.1: traffic that is not a mail-server conversation ---- */

/* A plaintext SMTP session: greeted, EHLO answered, no STARTTLS sent. */
static void plaintext_session(struct fx *f, const char *banner)
{
	starttls_accepted(f, banner);
	f->rec.tls = NULL;
	f->rec.mode = STI_MODE_PLAINTEXT;
	f->smtp.starttls_count = 0;
	f->smtp.starttls_accepted = false;
}

static void no_payload_session(struct fx *f)
{
	f->rec.proto = STI_PROTO_NONE;
	f->rec.tcp[STI_C2S].packets = 1;
	f->rec.tcp[STI_C2S].syn = true;
	f->rec.tcp[STI_S2C].packets = 0;
	f->rec.last_ts = f->rec.first_ts + 3000000;
}

static void test_tcp_no_answer(void **state)
{
	struct fx *f = *state;
	no_payload_session(f);
	f->rec.tcp[STI_C2S].packets = 3;   /* SYN and two retransmissions */
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_NETWORK,
		       STI_REASON_TCP_NO_ANSWER, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "3 SYN packet(s) to port 25 over 3.0 s"));
}

static void test_tcp_refused(void **state)
{
	struct fx *f = *state;
	no_payload_session(f);
	f->rec.tcp[STI_S2C].packets = 1;
	f->rec.tcp[STI_S2C].rst_frame = 2;
	closes(f, STI_S2C, true, 2);
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_SERVER,
		       STI_REASON_TCP_REFUSED, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "reset (frame 2)"));
	const uint64_t ev[] = { 2 };
	assert_evidence(f, 1, ev);
	/* a SYN-ACK first: it connected, then nothing was sent */
	f->rec.tcp[STI_S2C].syn = true;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_UNKNOWN,
		       STI_REASON_NO_PAYLOAD, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "the server reset the connection (frame 2)"));
}

static void test_capture_one_direction(void **state)
{
	struct fx *f = *state;
	starttls_accepted(f, "mx ESMTP");
	f->rec.tls = NULL;
	f->rec.tcp[STI_C2S].payload_bytes = 700;
	f->rec.tcp[STI_S2C].packets = 0;
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ONE_DIRECTION, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "only the client's packets"));
	assert_non_null(strstr(f->v.explanation, "none from the server"));
	assert_non_null(strstr(f->v.explanation, "asymmetric routing"));
	/* the other way round: only the server was captured */
	f->rec.tcp[STI_C2S].packets = 0;
	f->rec.tcp[STI_S2C].packets = 4;
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_CAPTURE_ONE_DIRECTION);
	assert_non_null(strstr(f->v.explanation, "only the server's packets"));
	/* a one-sided capture with no payload at all is still one-sided */
	no_payload_session(f);
	f->rec.tcp[STI_C2S].syn = false;
	f->rec.tcp[STI_C2S].packets = 2;
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_CAPTURE_ONE_DIRECTION);
}

static void test_not_smtp(void **state)
{
	struct fx *f = *state;
	plaintext_session(f, "(vsFTPd 3.0.5)");
	f->smtp.hello_cmd = STI_SMTP_CMD_NONE;
	f->smtp.auth_cmds = 1;           /* FTP's "AUTH TLS" */
	f->smtp.auth_mech = "TLS";
	f->smtp.auth_frame = 6;
	f->rec.srv.port = 21;
	f->rec.looks[STI_S2C] = STI_LOOKS_FTP;
	f->rec.looks_frame[STI_S2C] = 4;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_NONE,
		       STI_REASON_NOT_SMTP, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "FTP server greeting"));
	const uint64_t ev[] = { 4 };
	assert_evidence(f, 1, ev);
	/* port 21 is never SMTP, even with a plain banner and a HELO */
	f->rec.looks[STI_S2C] = STI_LOOKS_SMTP_GREETING;
	f->smtp.hello_cmd = STI_SMTP_CMD_HELO;
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_NOT_SMTP);
	assert_non_null(strstr(f->v.explanation, "port 21"));
	/* SSH on the implicit-TLS port */
	f->rec.srv.port = 465;
	f->rec.proto = STI_PROTO_TLS;
	f->rec.smtp = NULL;
	f->rec.looks[STI_S2C] = STI_LOOKS_SSH;
	decide(f);
	assert_int_equal(f->v.outcome, STI_OUTCOME_NOT_SMTP);
	assert_non_null(strstr(f->v.explanation, "SSH"));
	/* an SMTP server whose client answered EHLO is SMTP */
	f->rec.srv.port = 25;
	f->rec.proto = STI_PROTO_SMTP;
	f->rec.smtp = &f->smtp;
	f->rec.looks[STI_S2C] = STI_LOOKS_SMTP_GREETING;
	f->smtp.hello_cmd = STI_SMTP_CMD_EHLO;
	f->smtp.auth_cmds = 0;
	f->smtp.auth_frame = 0;
	f->smtp.starttls_offered = STI_SMTP_OFFER_NO;
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_STARTTLS_NOT_OFFERED);
}

static void test_binary_client_not_smtp(void **state)
{
	struct fx *f = *state;
	plaintext_session(f, "mx ESMTP Sendmail");
	f->smtp.hello_cmd = STI_SMTP_CMD_NONE;
	f->rec.looks[STI_C2S] = STI_LOOKS_BINARY;
	f->rec.looks_frame[STI_C2S] = 4;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_NONE,
		       STI_REASON_NOT_SMTP, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "client's first bytes (frame 4) are binary"));
	/* without the connection's start, binary bytes may be TLS after a
	 * STARTTLS the capture missed: not decided here */
	f->rec.syn_seen = false;
	decide(f);
	assert_int_not_equal(f->v.outcome, STI_OUTCOME_NOT_SMTP);
}

static void test_banner_only(void **state)
{
	struct fx *f = *state;
	plaintext_session(f, "mx ESMTP");
	f->smtp.hello_cmd = STI_SMTP_CMD_NONE;
	f->smtp.starttls_offered = STI_SMTP_OFFER_UNKNOWN;
	f->smtp.greeting.frame = 4;
	closes(f, STI_C2S, false, 6);
	decide(f);
	assert_verdict(f, STI_OUTCOME_NOT_SMTP, STI_CAUSE_NONE,
		       STI_REASON_NOT_SMTP, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "banner check"));
	/* the capture ended instead: nothing is decided */
	f->rec.end_side = STI_DIR_NONE;
	f->rec.tcp[STI_C2S].fin_frame = 0;
	decide(f);
	assert_int_equal(f->v.outcome, STI_OUTCOME_INCOMPLETE);
}

static void test_auth_in_clear(void **state)
{
	struct fx *f = *state;
	plaintext_session(f, "mail ESMTP Postfix");
	f->rec.srv.port = 587;
	f->smtp.auth_cmds = 1;
	f->smtp.auth_mech = "LOGIN";
	f->smtp.auth_frame = 10;
	f->smtp.auth_credentials = true;
	f->smtp.auth_credentials_frame = 14;
	f->smtp.auth_reply.code = 235;
	f->smtp.auth_reply.frame = 16;
	f->smtp.mail_in_clear = true;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_AUTH_IN_CLEAR, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "AUTH LOGIN"));
	assert_non_null(strstr(f->v.explanation, "although STARTTLS was offered"));
	assert_non_null(strstr(f->v.remediation, "smtpd_tls_auth_only = yes"));
	assert_non_null(strstr(f->v.remediation, "RequireTLS"));
	assert_non_null(strstr(f->v.remediation, "465"));
	assert_null(strstr(f->v.remediation, "smtp_tls_security_level"));
	const uint64_t ev[] = { 14, 16 };
	assert_evidence(f, 2, ev);
	/* CRAM-MD5 sends no password: the session is judged as before, with
	 * a mail client's fix, not an MTA's */
	f->smtp.auth_mech = "CRAM-MD5";
	f->smtp.mail_cmds = 1;
	decide(f);
	assert_int_equal(f->v.reason, STI_REASON_CLIENT_SKIPPED_STARTTLS);
	assert_non_null(strstr(f->v.explanation, "mail client"));
	assert_null(strstr(f->v.remediation, "smtp_tls_security_level"));
	assert_non_null(strstr(f->v.remediation, "smtpd_tls_auth_only"));
}

static void test_capture_ends_after_ehlo_reply(void **state)
{
	struct fx *f = *state;
	plaintext_session(f, "mx ESMTP");
	f->rec.last_frame = 7;
	decide(f);
	assert_verdict(f, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "capture ends before the client's next command"));
	/* the client's QUIT decides it */
	f->smtp.quit_frame = 8;
	decide(f);
	assert_verdict(f, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_SKIPPED_STARTTLS, STI_CERTAIN);
	assert_non_null(strstr(f->v.remediation, "smtp_tls_security_level"));
}

/* ---- SPEC 9.2: the cause follows the chain's trust ---- */

static void rejected_valid_chain(struct fx *f, enum sti_trust trust, const char *anchor)
{
	test_client_does_not_trust_issuer_setup(f);
	f->scert.chain.checked = true;
	f->scert.chain.trust = trust;
	f->scert.chain.chain_len = 2;
	strcpy(f->scert.chain.anchor, anchor);
}

static void test_trust_public_rejected(void **state)
{
	struct fx *f = *state;
	rejected_valid_chain(f, STI_TRUST_PUBLIC, "ISRG Root X1");
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
	assert_non_null(strstr(f->v.explanation, "public root CN=ISRG Root X1"));
	assert_non_null(strstr(f->v.explanation, "trust store is out of date"));
	assert_non_null(strstr(f->v.remediation, "root CN=ISRG Root X1"));
	/* an intermediate that expired before the capture makes it the server's */
	f->scert.chain.earliest_not_after = 1700000000;
	decide(f);
	assert_int_equal(f->v.cause, STI_CAUSE_SERVER);
	assert_non_null(strstr(f->v.explanation, "a CA certificate in its chain expired"));
	assert_string_equal(f->v.tlsrpt, "certificate-expired");
}

static void test_trust_private_and_incomplete(void **state)
{
	struct fx *f = *state;
	rejected_valid_chain(f, STI_TRUST_PRIVATE, "Example Test Root CA");
	decide(f);
	assert_verdict(f, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_CERTAIN);
	assert_non_null(strstr(f->v.explanation, "the root CN=Example Test Root CA is in no public store"));
	f->scert.chain.trust = STI_TRUST_INCOMPLETE;
	strcpy(f->scert.chain.anchor, "R11");
	decide(f);
	assert_int_equal(f->v.cause, STI_CAUSE_SERVER);
	assert_non_null(strstr(f->v.explanation, "its chain is incomplete: the issuer CN=R11 is not sent"));
}

static void test_name_checked_against_greeting(void **state)
{
	struct fx *f = *state;
	rejected_valid_chain(f, STI_TRUST_PUBLIC, "ISRG Root X1");
	f->tls.ch.sni[0] = '\0';
	f->smtp.greeting.text = "mx2.example.test ESMTP Exim 4.96";
	decide(f);
	assert_int_equal(f->v.cause, STI_CAUSE_CLIENT);   /* the greeting's name matches */
	f->smtp.greeting.text = "mail.other.test ESMTP Exim 4.96";
	decide(f);
	assert_int_equal(f->v.cause, STI_CAUSE_SERVER);
	assert_non_null(strstr(f->v.explanation,
			       "not mail.other.test, the name in the server's greeting"));
	/* with an SNI, the SNI is the name, and the explanation says so */
	strcpy(f->tls.ch.sni, "mx9.example.test");
	decide(f);
	assert_non_null(strstr(f->v.explanation, "not mx9.example.test, the name the client asked for"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_client_too_old_alert),
		T(test_remediation_follows_min_version),
		T(test_client_too_old_reset),
		T(test_server_too_old_internal_error),
		T(test_server_too_old_protocol_version_from_server),
		T(test_client_contradicts_itself),
		T(test_no_shared_cipher_server),
		T(test_no_shared_cipher_client_legacy),
		T(test_no_shared_cipher_client_without_forward_secrecy),
		T(test_no_shared_cipher_client_ecdsa_only),
		T(test_server_too_old_client_listed_it),
		T(test_no_shared_group_client),
		T(test_no_shared_cipher_client_camellia_only),
		T(test_client_alert_instead_of_hello),
		T(test_client_rejects_expired_certificate),
		T(test_client_rejects_name_mismatch),
		T(test_client_does_not_trust_issuer),
		T(test_trust_public_rejected),
		T(test_trust_private_and_incomplete),
		T(test_name_checked_against_greeting),
		T(test_unknown_ca_tls13_cleartext),
		T(test_server_rejects_missing_client_certificate),
		T(test_tls13_encrypted_client_abort),
		T(test_tls13_server_rejects_after_client_finished),
		T(test_offer_decides_client_too_old),
		T(test_offer_decides_server_too_old),
		T(test_closed_without_command_tls12),
		T(test_closed_without_command_tls13),
		T(test_ok_and_deprecated),
		T(test_starttls_not_offered_and_skipped),
		T(test_stripped_by_middlebox),
		T(test_starttls_refused),
		T(test_injection),
		T(test_not_tls_after_starttls),
		T(test_silent_server_and_capture_end),
		T(test_server_resets_modern_hello),
		T(test_client_aborts_after_server_hello_tls12),
		T(test_mid_session_and_gap),
		T(test_implicit_tls_ok),
		T(test_tables),
		T(test_tcp_no_answer),
		T(test_tcp_refused),
		T(test_capture_one_direction),
		T(test_not_smtp),
		T(test_banner_only),
		T(test_binary_client_not_smtp),
		T(test_auth_in_clear),
		T(test_capture_ends_after_ehlo_reply),
	};
	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
