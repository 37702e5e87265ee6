/*
 * test_report_json.c - the NDJSON reporter and Community ID.
 *
 * Records, facts and verdicts are built in code (no pcap), written through
 * the reporter into a memory stream, and the lines compared field by field:
 * names and values, fields left out, escaping of hostile wire strings (the
 * output must be valid UTF-8 JSON whatever the bytes), the closing summary,
 * one flush per line, and the published Community ID vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/session_record.h"
#include "sti/report.h"
#include "sti/smtp.h"
#include "sti/tls.h"
#include "sti/tls_hello.h"
#include "sti/verdict.h"

/* 2026-11-27T18:36:19Z */
#define T0 INT64_C(1795804579)
#define SEC INT64_C(1000000)

/* ---- helpers ------------------------------------------------------------ */

static struct sti_endpoint ep(const char *ip, uint16_t port)
{
	struct sti_endpoint e;

	memset(&e, 0, sizeof(e));
	if (strchr(ip, ':')) {
		e.addr.family = 6;
		assert_int_equal(inet_pton(AF_INET6, ip, e.addr.a), 1);
	} else {
		e.addr.family = 4;
		assert_int_equal(inet_pton(AF_INET, ip, e.addr.a), 1);
	}
	e.port = port;
	return e;
}

static void base_record(struct sti_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->id = 7;
	rec->cli = ep("192.0.2.10", 40101);
	rec->srv = ep("198.51.100.25", 25);
	rec->first_frame = 1;
	rec->last_frame = 30;
	rec->first_ts = T0 * SEC + 123;
	rec->last_ts = (T0 + 2) * SEC + 500000;
	rec->syn_seen = true;
	rec->end = STI_END_FIN;
	rec->end_side = STI_C2S;
	rec->mode = STI_MODE_UNKNOWN;
}

static void base_verdict(struct sti_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->outcome = STI_OUTCOME_INCOMPLETE;
	v->cause = STI_CAUSE_UNKNOWN;
	v->reason = STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE;
	v->confidence = STI_INFERRED;
}

/*
 * With STI_TEST_JSON_DUMP=FILE in the environment, every line written is
 * appended to FILE too, for checking against the JSON Schema by hand:
 *   python3 -c 'import json,jsonschema,sys; ...' (see tests/e2e/json-schema.sh)
 */
static void dump(const char *lines)
{
	const char *path = getenv("STI_TEST_JSON_DUMP");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fputs(lines, f);
	fclose(f);
}

/* Everything the reporter wrote for one session, NUL-terminated. */
static char *render(const char *file, const struct sti_record *rec,
		    const struct sti_verdict *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct sti_report_opts o = { .color = false, .min_version = STI_TLS12 };
	struct sti_reporter *r = sti_report_json_new(f, &o);
	assert_non_null(r);
	r->ops->session(r, file, rec, v);
	r->ops->destroy(r);
	assert_int_equal(fclose(f), 0);
	dump(buf);
	return buf;
}

#define assert_has(hay, needle)                                             \
	do {                                                                \
		if (!strstr((hay), (needle)))                               \
			fail_msg("missing %s\n in %s", (needle), (hay));    \
	} while (0)

#define assert_lacks(hay, needle)                                           \
	do {                                                                \
		if (strstr((hay), (needle)))                                \
			fail_msg("unexpected %s\n in %s", (needle), (hay)); \
	} while (0)

/* Strict UTF-8 (RFC 3629) with no raw control bytes: what a line must be. */
static bool valid_line_bytes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, len, cp;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += len;
	}
	return true;
}

/* Exactly one line: one '\n', at the end, and valid bytes before it. */
static void assert_one_line(char *out)
{
	size_t n = strlen(out);

	assert_true(n >= 3);
	assert_int_equal(out[0], '{');
	assert_int_equal(out[n - 1], '\n');
	assert_int_equal(out[n - 2], '}');
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	out[n - 1] = '\0';
	assert_true(valid_line_bytes(out));
	out[n - 1] = '\n';
}

/* ---- Community ID --------------------------------------------------------- */

struct cid_vec {
	const char *saddr, *daddr;
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t seed;
	const char *id;
};

/* corelight/community-id-spec baseline/baseline_deflt.json and _seed1.json */
static const struct cid_vec cid_vecs[] = {
	{ "128.232.110.120", "66.35.250.204", 34855, 80, 6, 0,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
	  63943, 25, 6, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ "192.168.1.52", "8.8.8.8", 54585, 53, 17, 0,
	  "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ "192.168.170.8", "192.168.170.56", 7, 7, 132, 0,
	  "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ "128.232.110.120", "66.35.250.204", 34855, 80, 6, 1,
	  "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
	  63943, 25, 6, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
};

static void test_community_id_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cid_vecs) / sizeof(cid_vecs[0]); i++) {
		const struct cid_vec *t = &cid_vecs[i];
		struct sti_endpoint a = ep(t->saddr, t->sport);
		struct sti_endpoint b = ep(t->daddr, t->dport);
		char out[32];

		memset(out, 'x', sizeof(out));
		sti_community_id(&a, &b, t->proto, t->seed, out);
		assert_string_equal(out, t->id);
		/* The other direction gives the same value. */
		memset(out, 'x', sizeof(out));
		sti_community_id(&b, &a, t->proto, t->seed, out);
		assert_string_equal(out, t->id);
	}
}

static void test_community_id_same_address(void **state)
{
	/* Equal addresses: the ports decide the order. */
	struct sti_endpoint a = ep("10.0.0.1", 2000), b = ep("10.0.0.1", 25);
	char x[32], y[32];

	(void)state;
	sti_community_id(&a, &b, 6, 0, x);
	sti_community_id(&b, &a, 6, 0, y);
	assert_string_equal(x, y);
	assert_int_equal(strlen(x), 30);
	assert_memory_equal(x, "1:", 2);
}

/* ---- sessions ------------------------------------------------------------- */

/* The notable replies of fill_smtp's facts. */
static struct sti_smtp_reply fill_notable[3];

static void fill_smtp(struct sti_smtp_facts *s)
{
	struct sti_smtp_reply *notable = fill_notable;
	sti_smtp_facts_blank(s);
	memset(fill_notable, 0, sizeof(fill_notable));
	for (int i = 0; i < 3; i++)
		notable[i].enhanced = notable[i].text = "";
	s->greeting_seen = true;
	s->greeting.code = 220;
	s->greeting.text = "mx.example.test ESMTP Postfix";
	s->greeting.frame = 4;
	s->hello_cmd = STI_SMTP_CMD_EHLO;
	s->hello_name = "client.example.test";
	s->starttls_offered = STI_SMTP_OFFER_YES;
	s->starttls_count = 1;
	s->starttls_frame = 9;
	s->starttls_reply.code = 220;
	s->starttls_reply.enhanced = "2.0.0";
	/* The SMTP layer keeps the enhanced code in the text; the JSON has
	 * it in a field of its own. */
	s->starttls_reply.text = "2.0.0 Ready to start TLS";
	s->starttls_reply.cmd = STI_SMTP_CMD_STARTTLS;
	s->starttls_reply.frame = 10;
	s->starttls_accepted = true;
	notable[0].code = 454;
	notable[0].enhanced = "4.7.0";
	notable[0].text = "4.7.0 TLS not available due to local problem";
	notable[0].cmd = STI_SMTP_CMD_STARTTLS;
	notable[0].frame = 12;
	notable[1].code = 421;
	notable[1].frame = 14;
	notable[2].code = 530;
	notable[2].enhanced = "5.7.0";
	notable[2].text = "5.7.0Must issue a STARTTLS command first";
	notable[2].cmd = STI_SMTP_CMD_MAIL;
	notable[2].frame = 16;
	s->notable = notable;
	s->nnotable = 3;
}

/* The server's certificate the facts of fill_tls point to. */
static const struct sti_tls_cert *fill_cert(void)
{
	static struct sti_tls_cert sc;
	memset(&sc, 0, sizeof(sc));
	sc.leaf.chain_len = 2;
	sc.leaf.parsed = true;
	strcpy(sc.leaf.subject_cn, "mx.example.test");
	strcpy(sc.leaf.issuer_cn, "Example CA");
	strcpy(sc.leaf.sans[0], "mx.example.test");
	strcpy(sc.leaf.sans[1], "mail.example.test");
	sc.leaf.nsans = 2;
	sc.leaf.not_before = INT64_C(1787788800);  /* 2026-08-27 */
	sc.leaf.not_after = INT64_C(1803556800);   /* 2027-02-25T12:00 */
	strcpy(sc.leaf.key_type, "RSA");
	sc.leaf.key_bits = 2048;
	strcpy(sc.leaf.sha256,
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	return &sc;
}

static void fill_tls(struct sti_tls_facts *t)
{
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(t, &room);
	t->have_ch = true;
	t->ch_frame = 11;
	t->ch.legacy_version = STI_TLS12;
	t->ch.max_version = STI_TLS13;
	t->ch.has_supported_versions = true;
	/* Wire order low to high: the output is highest first. */
	t->ch.versions[0] = STI_TLS12;
	t->ch.versions[1] = STI_TLS13;
	t->ch.nversions = 2;
	t->ch.ciphers[0] = 0x0a0a;   /* GREASE: left out */
	t->ch.ciphers[1] = 0x1302;
	t->ch.ciphers[2] = 0xc02f;
	t->ch.ciphers[3] = 0x1337;   /* not in the registry */
	t->ch.nciphers = 4;
	t->ch.ciphers_total = 4;
	strcpy(t->ch.sni, "mx.example.test");
	t->have_sh = true;
	t->sh_frame = 12;
	t->sh.legacy_version = STI_TLS12;
	t->sh.version = STI_TLS12;
	t->sh.cipher = 0xc02f;
	t->version = STI_TLS12;
	t->server_cert_frame = 12;
	t->server_cert = fill_cert();
	t->alerts[0].from = STI_S2C;
	t->alerts[0].level = STI_TLS_ALERT_FATAL;
	t->alerts[0].desc = STI_TLS_ALERT_PROTOCOL_VERSION;
	t->alerts[0].length = 2;
	t->alerts[0].frame = 13;
	t->alerts[1].from = STI_C2S;
	t->alerts[1].encrypted = true;
	t->alerts[1].length = 26;
	t->alerts[1].frame = 15;
	t->nalerts = 2;
	t->alerts_total = 2;
}

static void test_session_full(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_smtp_facts smtp;
	struct sti_tls_facts tls;
	char ja3[33], ja4[40], want[128], cid[32];

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	fill_smtp(&smtp);
	fill_tls(&tls);
	rec.mode = STI_MODE_STARTTLS;
	rec.proto = STI_PROTO_SMTP;
	rec.smtp = &smtp;
	rec.tls = &tls;
	rec.tcp[STI_C2S].fin_frame = 28;
	rec.tcp[STI_S2C].fin_frame = 29;
	rec.end_side = STI_C2S;             /* the session layer's first close */
	rec.end_frame = 28;
	rec.gaps[STI_S2C] = 1;
	v.outcome = STI_OUTCOME_FAILED;
	v.cause = STI_CAUSE_CLIENT;
	v.reason = STI_REASON_CLIENT_VERSION_TOO_LOW;
	v.confidence = STI_CERTAIN;
	strcpy(v.explanation, "client offered at most TLS 1.0; server requires TLS 1.2");
	strcpy(v.remediation, "enable TLS 1.2 on the client");
	v.evidence[0] = 11;
	v.evidence[1] = 13;
	v.nevidence = 2;

	char *out = render("x.pcap", &rec, &v);
	assert_one_line(out);

	/* The head of the line, in order. */
	assert_has(out,
		   "{\"event.kind\":\"session\","
		   "\"@timestamp\":\"2026-11-27T18:36:19.000123Z\","
		   "\"event.start\":\"2026-11-27T18:36:19.000123Z\","
		   "\"event.end\":\"2026-11-27T18:36:21.500000Z\","
		   "\"file\":\"x.pcap\","
		   "\"session.id\":7,"
		   "\"session.first_frame\":1,"
		   "\"session.last_frame\":30,"
		   "\"network.transport\":\"tcp\","
		   "\"network.community_id\":\"1:vvLjMtX+SebZdgwGfW6aNWbbFDU=\","
		   "\"source.ip\":\"192.0.2.10\",\"source.port\":40101,"
		   "\"destination.ip\":\"198.51.100.25\",\"destination.port\":25,");
	sti_community_id(&rec.cli, &rec.srv, 6, 0, cid);
	assert_string_equal(cid, "1:vvLjMtX+SebZdgwGfW6aNWbbFDU=");

	/* SMTP. */
	assert_has(out, "\"smtp.mode\":\"starttls\"");
	assert_has(out, "\"smtp.starttls_offered\":\"yes\"");
	assert_has(out, "\"smtp.greeting\":\"220 mx.example.test ESMTP Postfix\"");
	assert_has(out, "\"smtp.helo\":\"client.example.test\"");
	assert_has(out, "\"smtp.starttls.reply_code\":220,"
			"\"smtp.starttls.enhanced_status\":\"2.0.0\","
			"\"smtp.starttls.reply_text\":\"Ready to start TLS\"");
	assert_has(out, "\"smtp.notable_replies\":["
			"{\"code\":454,\"enhanced\":\"4.7.0\","
			"\"text\":\"TLS not available due to local problem\","
			"\"command\":\"starttls\",\"frame\":12},"
			"{\"code\":421,\"frame\":14},"
			"{\"code\":530,\"enhanced\":\"5.7.0\","
			"\"text\":\"5.7.0Must issue a STARTTLS command first\","
			"\"command\":\"mail\",\"frame\":16}]");
	assert_has(out, "\"smtp.injected_bytes\":0");
	assert_has(out, "\"smtp.mail_in_clear\":false");
	assert_lacks(out, "smtp.fallback_after");

	/* TLS. */
	assert_has(out, "\"tls.version\":\"1.2\",\"tls.version_protocol\":\"tls\"");
	assert_has(out, "\"tls.cipher\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"");
	assert_has(out, "\"tls.established\":false");
	assert_has(out, "\"tls.hello_retry_request\":false");
	assert_has(out, "\"tls.client.max_version\":\"1.3\"");
	assert_has(out, "\"tls.client.versions\":[\"1.3\",\"1.2\"]");
	assert_has(out, "\"tls.client.server_name\":\"mx.example.test\"");
	assert_has(out, "\"tls.client.supported_ciphers\":["
			"\"TLS_AES_256_GCM_SHA384\","
			"\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"0x1337\"]");
	assert_has(out, "\"tls.client.sslv2_hello\":false");
	sti_ja3_hash(&tls.ch, ja3);
	snprintf(want, sizeof(want), "\"tls.client.ja3\":\"%s\"", ja3);
	assert_has(out, want);
	sti_ja4(&tls.ch, ja4);
	snprintf(want, sizeof(want), "\"tls.client.ja4\":\"%s\"", ja4);
	assert_has(out, want);
	assert_has(out, "\"tls.server.ja3s\":\"");
	assert_has(out, "\"tls.server.x509.subject.common_name\":\"mx.example.test\"");
	assert_has(out, "\"tls.server.x509.issuer.common_name\":\"Example CA\"");
	assert_has(out, "\"tls.server.x509.alternative_names\":"
			"[\"mx.example.test\",\"mail.example.test\"]");
	assert_has(out, "\"tls.server.x509.not_before\":\"2026-08-27T00:00:00Z\"");
	assert_has(out, "\"tls.server.x509.not_after\":\"2027-02-25T12:00:00Z\"");
	assert_has(out, "\"tls.server.x509.public_key_algorithm\":\"RSA\"");
	assert_has(out, "\"tls.server.x509.public_key_size\":2048");
	assert_has(out, "\"tls.server.hash.sha256\":\"00112233445566778899aabbccddeeff"
			"00112233445566778899aabbccddeeff\"");
	assert_has(out, "\"tls.alerts\":["
			"{\"from\":\"server\",\"level\":\"fatal\",\"code\":70,"
			"\"description\":\"protocol_version\",\"encrypted\":false,"
			"\"frame\":13},"
			"{\"from\":\"client\",\"level\":null,\"code\":null,"
			"\"description\":null,\"encrypted\":true,\"frame\":15}]");

	/* TCP and the verdict, which ends the line. */
	assert_has(out, "\"tcp.end\":\"fin\"");
	assert_has(out, "\"tcp.first_close\":{\"by\":\"client\",\"kind\":\"fin\",\"frame\":28}");
	assert_has(out, "\"tcp.gaps\":1");
	assert_has(out,
		   "\"verdict.outcome\":\"failed\","
		   "\"verdict.cause\":\"client\","
		   "\"verdict.reason\":\"client_version_too_low\","
		   "\"verdict.confidence\":\"certain\","
		   "\"verdict.explanation\":\"client offered at most TLS 1.0; "
		   "server requires TLS 1.2\","
		   "\"verdict.remediation\":\"enable TLS 1.2 on the client\","
		   "\"verdict.evidence\":[11,13]}\n");
	assert_lacks(out, "verdict.tlsrpt");
	assert_lacks(out, "\"\"");
	free(out);
}

/* No SMTP, no TLS, nothing optional: only what is always there. */
static void test_session_minimal(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	rec.end = STI_END_NONE;
	char *out = render(NULL, &rec, &v);
	assert_one_line(out);
	assert_lacks(out, "\"file\"");
	assert_has(out, "\"smtp.mode\":\"unknown\",\"smtp.starttls_offered\":\"unknown\",");
	assert_lacks(out, "smtp.greeting");
	assert_lacks(out, "smtp.injected_bytes");
	assert_lacks(out, "\"tls.");
	assert_lacks(out, "tcp.end");
	assert_has(out, "\"tcp.first_close\":null,\"tcp.gaps\":0,");
	assert_has(out,
		   "\"verdict.outcome\":\"incomplete\","
		   "\"verdict.cause\":\"unknown\","
		   "\"verdict.reason\":\"capture_ended_mid_handshake\","
		   "\"verdict.confidence\":\"inferred\","
		   "\"verdict.explanation\":\"\","
		   "\"verdict.remediation\":\"\","
		   "\"verdict.evidence\":[]}\n");
	/* The only null is tcp.first_close's. */
	char *n = strstr(out, "null");
	assert_non_null(n);
	assert_null(strstr(n + 1, "null"));
	free(out);
}

static void test_session_ipv6_fallback_tlsrpt(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_smtp_facts smtp;

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	sti_smtp_facts_blank(&smtp);
	smtp.starttls_offered = STI_SMTP_OFFER_STRIPPED;
	smtp.mail_in_clear = true;
	smtp.injected_bytes = 42;
	rec.cli = ep("2001:db8::10", 40102);
	rec.srv = ep("2001:db8::25", 587);
	rec.mode = STI_MODE_PLAINTEXT;
	rec.smtp = &smtp;
	rec.fallback_after = 3;
	rec.end = STI_END_RST;
	rec.tcp[STI_S2C].rst_frame = 20;
	rec.tcp[STI_S2C].fin_frame = 20;    /* same segment: the RST counts */
	rec.tcp[STI_C2S].fin_frame = 21;
	rec.end_side = STI_S2C;
	rec.end_frame = 20;
	v.outcome = STI_OUTCOME_NO_TLS;
	v.cause = STI_CAUSE_MIDDLEBOX;
	v.reason = STI_REASON_STARTTLS_STRIPPED;
	v.tlsrpt = sti_reason_tlsrpt(STI_REASON_STARTTLS_STRIPPED);
	char *out = render("-", &rec, &v);
	assert_one_line(out);
	assert_has(out, "\"file\":\"-\"");
	assert_has(out, "\"network.community_id\":\"1:XXnRDkQ99FcgD9gvXqejRwVkTmE=\"");
	assert_has(out, "\"source.ip\":\"2001:db8::10\",\"source.port\":40102,"
			"\"destination.ip\":\"2001:db8::25\",\"destination.port\":587");
	assert_has(out, "\"smtp.mode\":\"plaintext\",\"smtp.starttls_offered\":\"stripped\"");
	assert_has(out, "\"smtp.injected_bytes\":42");
	assert_has(out, "\"smtp.mail_in_clear\":true");
	assert_has(out, "\"smtp.fallback_after\":3");
	assert_lacks(out, "smtp.helo");
	assert_lacks(out, "smtp.starttls.reply_code");
	assert_lacks(out, "smtp.notable_replies");
	assert_has(out, "\"tcp.end\":\"rst\"");
	assert_has(out, "\"tcp.first_close\":{\"by\":\"server\",\"kind\":\"rst\",\"frame\":20}");
	assert_has(out, "\"verdict.tlsrpt\":\"starttls-not-supported\"}\n");
	free(out);
}

/* Hostile bytes in every kind of wire string. */
static void test_escaping(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_smtp_facts smtp;
	struct sti_tls_facts tls;
	struct sti_tls_cert sc;

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	sti_smtp_facts_blank(&smtp);
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(&tls, &room);
	smtp.greeting_seen = true;
	smtp.greeting.code = 220;
	/* quote, backslash, controls, DEL, and valid 2-, 3- and 4-byte UTF-8 */
	smtp.greeting.text =
	       "a\"b\\c\x01\x1f\t\r\n\x7f" "d \xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7";
	/* invalid: lone 0xff, overlong "/", truncated euro, surrogate,
	 * above U+10FFFF, lone continuation, then a 2-byte start at the end */
	smtp.hello_name =
	       "\xff" "x\xc0\xaf" "y\xe2\x82" "z\xed\xa0\x80" "w\xf4\x90\x80\x80"
	       "v\x80" "u\xc3";
	/* A text that fills its cap with no terminator inside it. */
	static char unterminated[STI_SMTP_TEXT_MAX];
	memset(unterminated, 'A', sizeof(unterminated));
	smtp.starttls_reply.text = unterminated;
	smtp.starttls_count = 1;
	smtp.starttls_reply.code = 500;
	struct sti_smtp_reply notable = { .code = 500, .enhanced = "",
					  .text = "bad \"UTF-8\" \x16\x03\x01" };
	smtp.notable = &notable;
	smtp.nnotable = 1;
	tls.have_ch = true;
	tls.ch.legacy_version = STI_TLS10;
	strcpy(tls.ch.sni, "</script>\\u0000");
	memset(&sc, 0, sizeof(sc));
	tls.server_cert = &sc;
	sc.leaf.parsed = true;
	strcpy(sc.leaf.subject_cn, "evil\",\"verdict.outcome\":\"ok");
	strcpy(v.explanation, "line1\nline2");
	rec.smtp = &smtp;
	rec.tls = &tls;

	char *out = render("dir/\"odd\"\\name\x01.pcap", &rec, &v);
	assert_one_line(out);
	assert_has(out, "\"file\":\"dir/\\\"odd\\\"\\\\name\\u0001.pcap\"");
	assert_has(out, "\"smtp.greeting\":\"220 a\\\"b\\\\c\\u0001\\u001f\\u0009"
			"\\u000d\\u000a\\u007fd \xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\"");
	assert_has(out, "\"smtp.helo\":\"\\ufffdx\\ufffd\\ufffdy\\ufffd\\ufffdz"
			"\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\\ufffd\\ufffdv\\ufffdu"
			"\\ufffd\"");
	/* The unterminated array is cut at its size. */
	char want[STI_SMTP_TEXT_MAX + 64];
	int n = snprintf(want, sizeof(want), "\"smtp.starttls.reply_text\":\"%.*s\"",
			 (int)STI_SMTP_TEXT_MAX, unterminated);
	assert_true(n > 0);
	assert_has(out, want);
	assert_has(out, "\"text\":\"bad \\\"UTF-8\\\" \\u0016\\u0003\\u0001\"");
	assert_has(out, "\"tls.client.server_name\":\"</script>\\\\u0000\"");
	assert_has(out, "\"tls.client.versions\":[\"1.0\"]");
	assert_has(out, "\"tls.server.x509.subject.common_name\":"
			"\"evil\\\",\\\"verdict.outcome\\\":\\\"ok\"");
	assert_has(out, "\"verdict.explanation\":\"line1\\u000aline2\"");
	assert_has(out, "\"verdict.outcome\":\"incomplete\"");
	free(out);
}

static void test_alert_names_and_versions(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_tls_facts tls;
	struct sti_tls_cert sc;

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(&tls, &room);
	rec.mode = STI_MODE_IMPLICIT;
	rec.srv.port = 465;
	rec.tls = &tls;
	tls.have_ch = true;
	tls.ch.sslv2_format = true;
	tls.ch.legacy_version = STI_TLS10;
	tls.ch.max_version = STI_TLS10;
	tls.ch.has_supported_versions = true;   /* but only GREASE in it */
	tls.ch.nversions = 0;
	tls.have_sh = true;
	tls.have_hrr = true;
	tls.sh.version = STI_SSL3;
	tls.sh.cipher = 0xfefe;
	tls.version = STI_SSL3;
	tls.established = true;
	/* A level and a description no table knows. */
	tls.alerts[0].from = STI_C2S;
	tls.alerts[0].level = 7;
	tls.alerts[0].desc = 201;
	tls.alerts[0].frame = 9;
	tls.alerts[1].from = STI_S2C;
	tls.alerts[1].level = STI_TLS_ALERT_WARNING;
	tls.alerts[1].desc = STI_TLS_ALERT_CLOSE_NOTIFY;
	tls.alerts[1].frame = 10;
	tls.nalerts = 2;
	memset(&sc, 0, sizeof(sc));   /* not parsed: no x509 fields */
	tls.server_cert = &sc;
	sc.leaf.parsed = false;
	strcpy(sc.leaf.subject_cn, "ignored");

	char *out = render("y.pcap", &rec, &v);
	assert_one_line(out);
	assert_has(out, "\"smtp.mode\":\"implicit\",\"smtp.starttls_offered\":\"unknown\"");
	assert_has(out, "\"tls.version\":\"ssl3\",\"tls.version_protocol\":\"ssl\"");
	assert_has(out, "\"tls.cipher\":\"0xFEFE\"");
	assert_has(out, "\"tls.established\":true");
	assert_has(out, "\"tls.hello_retry_request\":true");
	assert_has(out, "\"tls.client.max_version\":\"1.0\"");
	assert_has(out, "\"tls.client.versions\":[\"1.0\"]");
	assert_has(out, "\"tls.client.sslv2_hello\":true");
	assert_lacks(out, "tls.client.supported_ciphers");
	assert_lacks(out, "tls.client.server_name");
	assert_lacks(out, "x509");
	assert_has(out, "\"tls.alerts\":["
			"{\"from\":\"client\",\"level\":null,\"code\":201,"
			"\"description\":null,\"encrypted\":false,\"frame\":9},"
			"{\"from\":\"server\",\"level\":\"warning\",\"code\":0,"
			"\"description\":\"close_notify\",\"encrypted\":false,"
			"\"frame\":10}]");
	free(out);
}

static void test_times(void **state)
{
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_tls_facts tls;
	struct sti_tls_cert sc;

	(void)state;
	base_record(&rec);
	base_verdict(&v);
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(&tls, &room);
	rec.first_ts = -1;     /* a microsecond before the epoch */
	rec.last_ts = 0;
	rec.tls = &tls;
	memset(&sc, 0, sizeof(sc));
	tls.server_cert = &sc;
	sc.leaf.parsed = true;
	sc.leaf.not_before = INT64_C(-62135596800);  /* 0001-01-01 */
	sc.leaf.not_after = INT64_C(253402300800);   /* year 10000 */
	char *out = render("z.pcap", &rec, &v);
	assert_one_line(out);
	assert_has(out, "\"@timestamp\":\"1969-12-31T23:59:59.999999Z\"");
	assert_has(out, "\"event.end\":\"1970-01-01T00:00:00.000000Z\"");
	assert_has(out, "\"tls.server.x509.not_before\":\"0001-01-01T00:00:00Z\"");
	/* RFC 3339 cannot write year 10000: left out. */
	assert_lacks(out, "not_after");
	free(out);
}

/* ---- the run: flushing and the summary ------------------------------------ */

static void test_flush_and_summary(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	/* live input: every line flushed as it is written */
	struct sti_report_opts o = { .color = false, .min_version = STI_TLS12,
				     .flush_lines = true };
	struct sti_reporter *r;
	struct sti_record rec;
	struct sti_verdict v[3];
	struct sti_tally tally;

	(void)state;
	assert_non_null(f);
	r = sti_report_json_new(f, &o);
	assert_non_null(r);
	memset(&tally, 0, sizeof(tally));
	base_record(&rec);
	for (int i = 0; i < 3; i++)
		base_verdict(&v[i]);
	v[0].outcome = STI_OUTCOME_OK;
	v[0].cause = STI_CAUSE_NONE;
	v[0].reason = STI_REASON_TLS_OK;
	v[1].outcome = STI_OUTCOME_FAILED;
	v[1].cause = STI_CAUSE_SERVER;
	v[1].reason = STI_REASON_NO_SHARED_CIPHER;
	v[2].outcome = STI_OUTCOME_FAILED;
	v[2].cause = STI_CAUSE_SERVER;
	v[2].reason = STI_REASON_NO_SHARED_CIPHER;

	/* Each line is in the stream as soon as the call returns: the
	 * memory stream's size only moves on a flush. */
	size_t before = len;
	r->ops->session(r, "a.pcap", &rec, &v[0]);
	sti_tally_add(&tally, &v[0]);
	assert_true(len > before);
	assert_int_equal(buf[len - 1], '\n');
	before = len;
	r->ops->session(r, "a.pcap", &rec, &v[1]);
	sti_tally_add(&tally, &v[1]);
	assert_true(len > before);
	r->ops->file_done(r, "a.pcap", NULL, &tally, NULL);
	r->ops->session(r, "b.pcap", &rec, &v[2]);
	sti_tally_add(&tally, &v[2]);
	r->ops->file_done(r, "b.pcap", NULL, &tally, "truncated capture");
	before = len;
	r->ops->finish(r, &tally);
	assert_true(len > before);
	r->ops->destroy(r);
	assert_int_equal(fclose(f), 0);
	dump(buf);

	/* Three session lines, then the summary. */
	char *line = buf, *nl;
	for (int i = 0; i < 3; i++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_memory_equal(line, "{\"event.kind\":\"session\",", 24);
		line = nl + 1;
	}
	nl = strchr(line, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	assert_has(line, "{\"event.kind\":\"summary\",\"files\":2,\"files_failed\":1,"
			 "\"sessions\":3,");
	assert_has(line, "\"outcome\":{\"ok\":1,\"deprecated\":0,\"failed\":2,"
			 "\"no_tls\":0,\"incomplete\":0,\"not_smtp\":0}");
	assert_has(line, "\"cause\":{\"none\":1,\"client\":0,\"server\":2,"
			 "\"middlebox\":0,\"network\":0,\"unknown\":0}");
	assert_has(line, "\"reason\":{\"tls_ok\":1,");
	assert_has(line, "\"no_shared_cipher\":2,");
	/* Every reason has a count, zero or not. */
	for (int i = 0; i < STI_REASON_COUNT; i++) {
		char want[80];
		snprintf(want, sizeof(want), "\"%s\":",
			 sti_reason_name((enum sti_reason)i));
		assert_has(line, want);
	}
	assert_has(line, "\"policy.min_version\":\"1.2\"}\n");
	*nl = '\0';
	assert_true(valid_line_bytes(line));
	free(buf);
}

/* A file read to a file or a pipe: lines go out in blocks, all of them
 * by the end of the run. */
static void test_lines_not_flushed_for_files(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sti_report_opts o = { .color = false, .min_version = STI_TLS12 };
	struct sti_record rec;
	struct sti_verdict v;
	struct sti_tally tally;

	(void)state;
	assert_non_null(f);
	struct sti_reporter *r = sti_report_json_new(f, &o);
	assert_non_null(r);
	memset(&tally, 0, sizeof(tally));
	base_record(&rec);
	base_verdict(&v);
	for (int i = 0; i < 3; i++) {
		r->ops->session(r, "a.pcap", &rec, &v);
		sti_tally_add(&tally, &v);
		assert_int_equal(len, 0);
	}
	r->ops->file_done(r, "a.pcap", NULL, &tally, NULL);
	r->ops->finish(r, &tally);
	/* the end of the run flushes */
	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	r->ops->destroy(r);
	assert_int_equal(fclose(f), 0);
	int lines = 0;
	for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 4);
	assert_memory_equal(buf, "{\"event.kind\":\"session\",", 24);
	free(buf);
}

/*
 * One reporter writing the cases of `order` in turn (set_case prepares
 * each) must write exactly what a fresh reporter writes for each: the
 * reporter's memos (report_json.c) change no byte. Returns what it wrote.
 */
typedef void (*set_case_fn)(unsigned k, struct sti_record *rec, struct sti_verdict *v);

static char *same_as_fresh(const unsigned *order, size_t n, struct sti_record *rec,
			   struct sti_verdict *v, set_case_fn set_case)
{
	char *want = NULL, *got = NULL;
	size_t want_len = 0, got_len = 0;
	FILE *fw = open_memstream(&want, &want_len), *fg = open_memstream(&got, &got_len);
	struct sti_report_opts o = { .color = false, .min_version = STI_TLS12 };

	assert_non_null(fw);
	assert_non_null(fg);
	struct sti_reporter *r = sti_report_json_new(fg, &o);
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		set_case(order[i], rec, v);
		char *alone = render("memo.pcap", rec, v);
		fputs(alone, fw);
		free(alone);
		r->ops->session(r, "memo.pcap", rec, v);
	}
	r->ops->destroy(r);
	assert_int_equal(fclose(fw), 0);
	assert_int_equal(fclose(fg), 0);
	assert_int_equal(got_len, want_len);
	assert_string_equal(got, want);
	free(want);
	return got;
}

/*
 * Remediation texts that share their length and the bytes the memo looks
 * at but differ elsewhere, more of them than a set holds, repeats, and
 * texts near the size limit that cross the output buffer's end.
 */
static void remediation_case(unsigned k, struct sti_record *rec, struct sti_verdict *v)
{
	char *out = v->remediation;
	size_t cap = sizeof(v->remediation);
	size_t n = k >= 12 ? cap - 1 : 300;
	(void)rec;
	memset(out, 'x', n);
	memcpy(out, "Fix \"this\"\n  then that: ", 24);
	out[7] = (char)('a' + k % 12);   /* not where the memo looks */
	out[n / 2 + 7] = '\n';
	if (k == 13)
		out[cap - 3] = 'y';
	out[n] = '\0';
}

static void test_remediation_memo(void **state)
{
	static const unsigned order[] = { 0, 1, 2, 3, 4, 5, 0, 5, 1, 6, 7, 8, 9, 10, 11, 0,
					  12, 12, 3, 12, 13, 12, 13, 2, 2, 11 };
	struct sti_record rec;
	struct sti_verdict v;
	(void)state;

	base_record(&rec);
	base_verdict(&v);
	char *got = same_as_fresh(order, sizeof(order) / sizeof(order[0]), &rec, &v,
				  remediation_case);
	assert_has(got, "\"verdict.remediation\":\"Fix \\\"thjs\\\"");
	free(got);
}

/*
 * Cipher suite lists that share their length and the bytes the memo
 * looks at, more of them than a set holds, GREASE only, empty, repeats.
 */
static struct sti_tls_facts cipher_tls;   /* the record's TLS facts */

static void cipher_case(unsigned k, struct sti_record *rec, struct sti_verdict *v)
{
	struct sti_client_hello *ch = &cipher_tls.ch;
	(void)rec;
	(void)v;
	if (k == 6) {   /* GREASE only */
		for (unsigned i = 0; i < 4; i++)
			ch->ciphers[i] = (uint16_t)(0x0a0a + 0x1010 * i);
		ch->nciphers = 4;
		return;
	}
	ch->nciphers = k == 7 ? 0 : 4;
	ch->ciphers[0] = (uint16_t)(0x1301 + k % 3);
	ch->ciphers[1] = (uint16_t)(k < 3 ? 0x009c : k < 6 ? 0x2a2a : 0xcca8);
	ch->ciphers[2] = 0xc02f;
	ch->ciphers[3] = 0x1302;
}

static void test_cipher_list_memo(void **state)
{
	static const unsigned order[] = { 0, 1, 2, 0, 3, 4, 5, 1, 6, 7, 6, 2, 5, 7, 0 };
	struct sti_record rec;
	struct sti_verdict v;
	(void)state;

	base_record(&rec);
	base_verdict(&v);
	fill_tls(&cipher_tls);
	rec.tls = &cipher_tls;
	char *got = same_as_fresh(order, sizeof(order) / sizeof(order[0]), &rec, &v, cipher_case);
	assert_has(got, "\"tls.client.supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\","
			"\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"TLS_AES_256_GCM_SHA384\"]");
	free(got);
}

/*
 * Server certificates that differ in one field each (the first, a name in
 * the middle, the chain's last entry, the trust), a leaf that did not
 * parse, a chain not sent, more distinct ones than the memo holds, and
 * repeats of each.
 */
static struct sti_tls_facts cert_tls;
static struct sti_tls_cert cert_case_cert;

static void cert_case(unsigned k, struct sti_record *rec, struct sti_verdict *v)
{
	struct sti_tls_cert *c = &cert_case_cert;
	(void)rec;
	(void)v;
	*c = *fill_cert();
	c->chain.chain_len = 2;
	c->chain.checked = true;
	c->chain.trust = STI_TRUST_PUBLIC;
	strcpy(c->chain.anchor, "Example Root");
	c->chain.ndecoded = 2;
	strcpy(c->chain.chain[0].subject_cn, "mx.example.test");
	strcpy(c->chain.chain[1].subject_cn, "Example CA");
	c->chain.chain[1].not_after = INT64_C(1893456000);
	switch (k % 10) {
	case 1: c->leaf.chain_len = 3; break;
	case 2: strcpy(c->leaf.sans[1], "mail2.example.test"); break;
	case 3: c->chain.chain[1].not_after++; break;
	case 4: c->chain.trust = STI_TRUST_PRIVATE; break;
	case 5: c->leaf.parsed = false; break;
	case 6: c->chain.chain_len = 0; break;
	case 7: c->leaf.sha256[63] = '0'; break;
	case 8: strcpy(c->leaf.sans[15], "z.example.test"); c->leaf.nsans = 16; break;
	case 9: c->leaf.key_bits = 4096; break;
	default: break;
	}
	cert_tls.server_cert = c;
}

static void test_cert_memo(void **state)
{
	static const unsigned order[] = { 0, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 0, 3, 9, 5, 5, 6,
					  1, 2, 8, 7, 4, 0 };
	struct sti_record rec;
	struct sti_verdict v;
	(void)state;

	base_record(&rec);
	base_verdict(&v);
	fill_tls(&cert_tls);
	rec.tls = &cert_tls;
	char *got = same_as_fresh(order, sizeof(order) / sizeof(order[0]), &rec, &v, cert_case);
	assert_has(got, "\"tls.server.x509.alternative_names\":[\"mx.example.test\","
			"\"mail2.example.test\"]");
	assert_has(got, "\"tls.server.x509.trust\":\"private\"");
	free(got);
}

/*
 * ClientHellos that differ in one thing each, GREASE values that differ
 * (the same hello for every field), server names that differ (never
 * remembered), and more hellos of one shape's counts than a set holds.
 */
static struct sti_tls_facts hello_tls;

static void hello_case(unsigned k, struct sti_record *rec, struct sti_verdict *v)
{
	struct sti_client_hello *ch = &hello_tls.ch;
	(void)rec;
	(void)v;
	fill_tls(&hello_tls);
	ch->exts[0] = 0x1a1a;   /* GREASE */
	ch->exts[1] = STI_EXT_SERVER_NAME;
	ch->exts[2] = 0x000d;
	ch->nexts = 3;
	ch->groups[0] = 0x001d;
	ch->ngroups = 1;
	ch->sigalgs[0] = 0x0403;
	ch->sigalgs[1] = 0x0804;
	ch->nsigalgs = 2;
	ch->ec_point_formats[0] = 0;
	ch->npoint_formats = 1;
	switch (k) {
	case 1: ch->ciphers[0] = 0x3a3a; ch->exts[0] = 0xfafa; break;   /* same as 0 */
	case 2: ch->sigalgs[1] = 0x0805; break;
	case 3: ch->sigalgs[1] = 0x0806; break;
	case 4: ch->sigalgs[1] = 0x0807; break;
	case 5: ch->sigalgs[1] = 0x0808; break;
	case 6: ch->sigalgs[1] = 0x0809; break;
	case 7: strcpy(ch->sni, "other.example.test"); break;
	case 8: ch->sni[0] = '\0'; break;
	case 9: ch->versions[1] = 0x7f1c; ch->max_version = 0x7f1c; break;
	case 10: ch->sslv2_format = true; break;
	case 11: ch->nalpn = 1; ch->alpn0_len = 2; ch->alpn0_ends[0] = 'h'; ch->alpn0_ends[1] = '2'; break;
	case 12: ch->nalpn = 1; ch->alpn0_len = 2; ch->alpn0_ends[0] = 'h'; ch->alpn0_ends[1] = '3'; break;
	case 13: ch->ec_point_formats[0] = 1; break;
	case 14: ch->has_supported_versions = false; break;
	case 15: ch->ciphers[3] = 0x1338; break;
	case 16: ch->ciphers[0] = 0x1301; break;   /* no GREASE: not as 0 */
	default: break;
	}
}

static void test_hello_memo(void **state)
{
	static const unsigned order[] = { 0, 1, 0, 7, 8, 2, 3, 4, 5, 6, 0, 2, 9, 10, 11, 12, 11,
					  13, 14, 15, 16, 1, 16, 0, 7, 6, 3 };
	struct sti_record rec;
	struct sti_verdict v;
	(void)state;

	base_record(&rec);
	base_verdict(&v);
	rec.tls = &hello_tls;
	char *got = same_as_fresh(order, sizeof(order) / sizeof(order[0]), &rec, &v, hello_case);
	assert_has(got, "\"tls.client.server_name\":\"other.example.test\"");
	assert_has(got, "\"tls.client.sslv2_hello\":true");
	free(got);
}

static void test_empty_run(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sti_tally tally;

	(void)state;
	assert_non_null(f);
	memset(&tally, 0, sizeof(tally));
	struct sti_reporter *r = sti_report_json_new(f, NULL);
	assert_non_null(r);
	r->ops->finish(r, &tally);
	r->ops->destroy(r);
	assert_int_equal(fclose(f), 0);
	assert_has(buf, "{\"event.kind\":\"summary\",\"files\":0,\"files_failed\":0,"
			"\"sessions\":0,");
	assert_lacks(buf, "policy.min_version");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_community_id_vectors),
		cmocka_unit_test(test_community_id_same_address),
		cmocka_unit_test(test_session_full),
		cmocka_unit_test(test_session_minimal),
		cmocka_unit_test(test_session_ipv6_fallback_tlsrpt),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_alert_names_and_versions),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_flush_and_summary),
		cmocka_unit_test(test_lines_not_flushed_for_files),
		cmocka_unit_test(test_empty_run),
		cmocka_unit_test(test_remediation_memo),
		cmocka_unit_test(test_cipher_list_memo),
		cmocka_unit_test(test_cert_memo),
		cmocka_unit_test(test_hello_memo),
	};
	return cmocka_run_group_tests_name("report_json", tests, NULL, NULL);
}
