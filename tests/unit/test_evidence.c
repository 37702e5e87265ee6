/*
 * test_evidence.c - redaction ranges, checksum updates, the selection, and
 * the evidence writer end to end on frames built in memory.
 */
#define _GNU_SOURCE   /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sti/anon.h"
#include "sti/evidence.h"
#include "sti/evidence_redact.h"
#include "sti/evidence_select.h"
#include "sti/report_fields.h"
#include "sti/report.h"

/* ---- a raw IPv4/TCP frame with a correct checksum ---- */

struct frame {
	uint8_t b[256];
	size_t n;
};

static const uint8_t cli_ip[4] = { 192, 0, 2, 10 };
static const uint8_t srv_ip[4] = { 198, 51, 100, 25 };

static uint16_t tcp_checksum(const uint8_t *ip, size_t tcp_len)
{
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	pseudo[10] = (uint8_t)(tcp_len >> 8);
	pseudo[11] = (uint8_t)tcp_len;
	uint16_t p = sti_csum(pseudo, sizeof(pseudo), 0);
	return sti_csum(ip + 20, tcp_len, (uint16_t)~p);
}

static void build(struct frame *f, bool from_client, uint32_t seq,
		  const char *payload)
{
	size_t plen = strlen(payload);
	memset(f, 0, sizeof(*f));
	uint8_t *ip = f->b;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((40 + plen) >> 8);
	ip[3] = (uint8_t)(40 + plen);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from_client ? cli_ip : srv_ip, 4);
	memcpy(ip + 16, from_client ? srv_ip : cli_ip, 4);
	uint16_t ipsum = sti_csum(ip, 20, 0);
	ip[10] = (uint8_t)(ipsum >> 8);
	ip[11] = (uint8_t)ipsum;
	uint8_t *tcp = ip + 20;
	uint16_t sp = from_client ? 40000 : 25, dp = from_client ? 25 : 40000;
	tcp[0] = (uint8_t)(sp >> 8); tcp[1] = (uint8_t)sp;
	tcp[2] = (uint8_t)(dp >> 8); tcp[3] = (uint8_t)dp;
	tcp[4] = (uint8_t)(seq >> 24); tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8); tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;
	tcp[13] = STI_TCP_ACK | STI_TCP_PSH;
	tcp[14] = 0xff;
	memcpy(tcp + 20, payload, plen);
	f->n = 40 + plen;
	uint16_t sum = tcp_checksum(ip, 20 + plen);
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
}

static bool checksum_ok(const uint8_t *ip, size_t n)
{
	return tcp_checksum(ip, n - 20) == 0;   /* sums to zero with its field */
}

/* ---- redaction ranges ---- */

static void test_redact_bytes_keeps_crlf(void **state)
{
	(void)state;
	char buf[] = "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d>\r\n";
	struct sti_redact_range r[2] = { { 110 + 10, 13 }, { 110 + 33, 5 } };
	/* the buffer sits at stream offset 110 */
	size_t n = sti_redact_bytes((uint8_t *)buf, strlen(buf), 110, r, 2);
	assert_string_equal(buf, "MAIL FROM:*************\r\nRCPT TO:*****\r\n");
	assert_int_equal(n, 18);
}

static void test_redact_bytes_partial_overlap(void **state)
{
	(void)state;
	/* A range that started in the previous segment and ends inside
	 * this one, and one that runs to the end of the stream. */
	char a[] = "tail of body\r\n.\r\nQUIT\r\n";
	struct sti_redact_range r1 = { 900, 114 };   /* ends at 1014 */
	assert_int_equal(sti_redact_bytes((uint8_t *)a, strlen(a), 1000, &r1, 1), 12);
	assert_string_equal(a, "************\r\n.\r\nQUIT\r\n");
	char b[] = "AUTH data\r\nmore";
	struct sti_redact_range r2 = { 2005, STI_REDACT_TO_END };
	assert_int_equal(sti_redact_bytes((uint8_t *)b, strlen(b), 2000, &r2, 1), 8);
	assert_string_equal(b, "AUTH ****\r\n****");
	/* No overlap: untouched. */
	char c[] = "EHLO x\r\n";
	struct sti_redact_range r3 = { 0, 100 };
	assert_int_equal(sti_redact_bytes((uint8_t *)c, strlen(c), 100, &r3, 1), 0);
	assert_string_equal(c, "EHLO x\r\n");
}

static void test_plan_from_smtp(void **state)
{
	(void)state;
	struct sti_smtp_facts f;
	const struct sti_smtp_span spans[] = {
		{ STI_C2S, STI_SMTP_SPAN_ENVELOPE, 30, 10 },
		{ STI_C2S, STI_SMTP_SPAN_CONTENT, 80, 200 },
	};
	memset(&f, 0, sizeof(f));
	f.spans = spans;
	f.nspans = 2;
	struct sti_redact_plan p;
	sti_redact_plan_from_smtp(&p, &f);
	assert_int_equal(p.n[STI_C2S], 2);
	assert_int_equal(p.n[STI_S2C], 0);
	assert_int_equal(p.r[STI_C2S][1].off, 80);
	assert_int_equal(p.r[STI_C2S][1].len, 200);
	/* Truncated list: the rest of the client's plaintext, up to TLS. */
	f.spans_truncated = true;
	f.starttls_accepted = true;
	f.switch_offset[STI_C2S] = 500;
	sti_redact_plan_from_smtp(&p, &f);
	assert_int_equal(p.n[STI_C2S], 3);
	assert_int_equal(p.r[STI_C2S][2].off, 280);
	assert_int_equal(p.r[STI_C2S][2].len, 220);
	f.starttls_accepted = false;
	sti_redact_plan_from_smtp(&p, &f);
	assert_int_equal(p.r[STI_C2S][2].len, STI_REDACT_TO_END);
}

/* ---- checksums ---- */

static void test_checksum_update_matches_full(void **state)
{
	(void)state;
	struct frame f;
	build(&f, true, 1000, "MAIL FROM:<someone@example.org> SIZE=5\r\n");
	assert_true(checksum_ok(f.b, f.n));
	struct sti_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(sti_decode_frame(DLT_RAW, f.b, f.n, f.n, &pkt), STI_DEC_TCP);
	struct sti_redact_plan plan;
	memset(&plan, 0, sizeof(plan));
	plan.r[STI_C2S][0] = (struct sti_redact_range){ 10, 31 };  /* odd length */
	plan.n[STI_C2S] = 1;
	assert_int_equal(sti_redact_frame(f.b, &pkt, 0, 0, &plan), 28);
	assert_memory_equal(f.b + 40, "MAIL FROM:****************************\r\n", 40);
	assert_true(checksum_ok(f.b, f.n));
	/* A wrong (offloaded) checksum moves by the same amount as a right
	 * one: ~HC' - ~HC depends only on the bytes changed. */
	struct frame g;
	build(&f, true, 1000, "RCPT TO:<x@y>\r\n");
	g = f;
	g.b[36] ^= 0x12;
	g.b[37] ^= 0x5a;
	uint32_t before = (uint32_t)(f.b[36] << 8 | f.b[37]) + 0xffffu -
			  (uint32_t)(g.b[36] << 8 | g.b[37]);
	plan.r[STI_C2S][0] = (struct sti_redact_range){ 8, 5 };
	assert_int_equal(sti_decode_frame(DLT_RAW, g.b, g.n, g.n, &pkt), STI_DEC_TCP);
	assert_int_equal(sti_redact_frame(g.b, &pkt, 0, 0, &plan), 5);
	assert_int_equal(sti_decode_frame(DLT_RAW, f.b, f.n, f.n, &pkt), STI_DEC_TCP);
	assert_int_equal(sti_redact_frame(f.b, &pkt, 0, 0, &plan), 5);
	assert_true(checksum_ok(f.b, f.n));
	assert_false(checksum_ok(g.b, g.n));
	uint32_t after = (uint32_t)(f.b[36] << 8 | f.b[37]) + 0xffffu -
			 (uint32_t)(g.b[36] << 8 | g.b[37]);
	assert_int_equal(before % 0xffff, after % 0xffff);
	/* Another direction, or an unknown offset: nothing blanked. */
	assert_int_equal(sti_redact_frame(f.b, &pkt, 0, 1, &plan), 0);
	assert_int_equal(sti_redact_frame(f.b, &pkt, -1, 0, &plan), 0);
}

/* ---- selection ---- */

static void test_selection(void **state)
{
	(void)state;
	struct sti_selection sel;
	char bad[80];
	struct sti_record rec;
	struct sti_verdict v;
	memset(&rec, 0, sizeof(rec));
	memset(&v, 0, sizeof(v));
	rec.id = 7;
	rec.cli.addr.family = 4;
	memcpy(rec.cli.addr.a, cli_ip, 4);
	rec.srv.addr.family = 4;
	memcpy(rec.srv.addr.a, srv_ip, 4);

	/* No option: every session whose cause is not none, whatever its
	 * outcome (a stripped STARTTLS is no_tls, cause middlebox). */
	sti_selection_defaults(&sel);
	assert_false(sti_selection_given(&sel));
	v.outcome = STI_OUTCOME_OK;
	v.cause = STI_CAUSE_NONE;
	assert_false(sti_selection_match(&sel, &rec, &v));
	v.outcome = STI_OUTCOME_DEPRECATED;
	assert_false(sti_selection_match(&sel, &rec, &v));
	v.cause = STI_CAUSE_CLIENT;
	assert_true(sti_selection_match(&sel, &rec, &v));
	v.outcome = STI_OUTCOME_NO_TLS;
	v.cause = STI_CAUSE_MIDDLEBOX;
	assert_true(sti_selection_match(&sel, &rec, &v));
	v.outcome = STI_OUTCOME_INCOMPLETE;
	v.cause = STI_CAUSE_UNKNOWN;
	assert_true(sti_selection_match(&sel, &rec, &v));
	char what[128];
	sti_selection_describe(&sel, what, sizeof(what));
	assert_string_equal(what, "the default selection (cause not none)");

	assert_false(sti_selection_parse_only(&sel, "failed,nope", bad, sizeof(bad)));
	assert_string_equal(bad, "nope");
	assert_false(sti_selection_parse_only(&sel, "failed,", bad, sizeof(bad)));
	assert_true(sti_selection_parse_only(&sel, "no_tls,ok", bad, sizeof(bad)));
	assert_true(sti_selection_given(&sel));
	sti_selection_describe(&sel, what, sizeof(what));
	assert_string_equal(what, "--only ok,no_tls");
	v.outcome = STI_OUTCOME_OK;
	assert_true(sti_selection_match(&sel, &rec, &v));
	v.outcome = STI_OUTCOME_FAILED;
	assert_false(sti_selection_match(&sel, &rec, &v));

	/* Naming a session without --only takes it whatever its outcome. */
	sti_selection_defaults(&sel);
	assert_true(sti_selection_add_id(&sel, 8));
	v.outcome = STI_OUTCOME_OK;
	assert_false(sti_selection_match(&sel, &rec, &v));
	assert_true(sti_selection_add_id(&sel, 7));
	assert_true(sti_selection_match(&sel, &rec, &v));

	sti_selection_defaults(&sel);
	assert_false(sti_selection_add_host(&sel, "198.51.100"));
	assert_true(sti_selection_add_host(&sel, "2001:db8::1"));
	assert_false(sti_selection_match(&sel, &rec, &v));
	assert_true(sti_selection_add_host(&sel, "198.51.100.25"));
	assert_true(sti_selection_match(&sel, &rec, &v));
	assert_true(sti_selection_parse_only(&sel, "all", bad, sizeof(bad)));
	v.outcome = STI_OUTCOME_INCOMPLETE;
	assert_true(sti_selection_match(&sel, &rec, &v));
	sti_selection_describe(&sel, what, sizeof(what));
	assert_memory_equal(what, "--only ok,deprecated,failed,no_tls,incomplete", 45);
	assert_non_null(strstr(what, " --host 2001:db8::1 --host 198.51.100.25"));

	/* --only takes every name of the outcome table, and "all". */
	char names[256];
	sti_selection_only_names(names, sizeof(names));
	/* (the table may grow: not_smtp comes before "all") */
	assert_memory_equal(names, "ok, deprecated, failed, no_tls, incomplete, ", 43);
	assert_string_equal(names + strlen(names) - 5, ", all");
	for (int o = 0; o < STI_OUTCOME_COUNT; o++) {
		assert_true(sti_selection_parse_only(&sel, sti_outcome_name((enum sti_outcome)o),
						     bad, sizeof(bad)));
		assert_int_equal(sel.outcomes, 1u << o);
	}
}

/* ---- the writer ---- */

struct fake {
	struct sti_session s;
	struct sti_reasm rs[2];   /* s.rs points here */
	struct sti_record rec;
	struct sti_smtp_facts smtp;
	struct sti_smtp_span spans[2];   /* smtp.spans points here */
	struct sti_verdict v;
};

static void fake_init(struct fake *fk, uint64_t id, enum sti_outcome o)
{
	memset(fk, 0, sizeof(*fk));
	sti_smtp_facts_blank(&fk->smtp);
	fk->s.rs = fk->rs;
	fk->s.id = fk->rec.id = id;
	fk->s.cli.addr.family = fk->s.srv.addr.family = 4;
	memcpy(fk->s.cli.addr.a, cli_ip, 4);
	memcpy(fk->s.srv.addr.a, srv_ip, 4);
	fk->s.cli.port = 40000;
	fk->s.srv.port = 25;
	fk->rec.cli = fk->s.cli;
	fk->rec.srv = fk->s.srv;
	fk->rec.smtp = &fk->smtp;
	fk->v.outcome = o;
	fk->v.cause = o == STI_OUTCOME_OK ? STI_CAUSE_NONE : STI_CAUSE_CLIENT;
}

static void tap(struct sti_evidence *e, struct fake *fk, bool from_client,
		uint32_t seq, const char *payload)
{
	struct frame f;
	struct sti_pkt pkt;
	build(&f, from_client, seq, payload);
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(sti_decode_frame(DLT_RAW, f.b, f.n, f.n, &pkt), STI_DEC_TCP);
	pkt.ts_us = 1700000000000000 + seq;
	sti_evidence_tap(e, &fk->s, &pkt);
	/* What the reassembler would have done: the stream starts at seq 1. */
	struct sti_reasm *rs = &fk->s.rs[from_client ? STI_C2S : STI_S2C];
	rs->started = true;
	rs->next_seq = seq + (uint32_t)strlen(payload);
	rs->next_off = rs->next_seq - 1;
}

/* A fresh temporary file name (the file exists, empty). */
static void temp_file(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static int read_back(const char *path, char out[][128], int max)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;
	while (pcap_next_ex(p, &h, &d) == 1 && n < max) {
		assert_true(checksum_ok(d, h->caplen));
		snprintf(out[n++], 128, "%.*s", (int)h->caplen - 40, (const char *)d + 40);
	}
	pcap_close(p);
	return n;
}

static void test_writer(void **state)
{
	(void)state;
	char path[] = "/tmp/sti-test-evidence-XXXXXX";
	temp_file(path);
	chmod(path, 0644);
	struct sti_evidence_cfg cfg = { .path = path, .redact = true };
	sti_selection_defaults(&cfg.sel);
	struct sti_evidence *e = sti_evidence_new(&cfg);
	char err[256];
	assert_true(sti_evidence_begin(e, err, sizeof(err)));

	struct fake a, b, c;
	fake_init(&a, 1, STI_OUTCOME_FAILED);     /* selected */
	fake_init(&b, 2, STI_OUTCOME_OK);         /* not selected */
	fake_init(&c, 3, STI_OUTCOME_FAILED);     /* never decided */
	b.s.cli.port = c.s.cli.port = 40000;      /* same tuple: ids tell */
	tap(e, &a, false, 1, "220 mx ESMTP\r\n");
	tap(e, &b, true, 1, "EHLO other\r\n");
	tap(e, &a, true, 1, "MAIL FROM:<who@where>\r\n");
	tap(e, &c, true, 1, "EHLO third\r\n");
	tap(e, &a, true, 24, "DATA\r\n");
	tap(e, &a, true, 30, "secret body\r\n.\r\n");
	a.spans[0] = (struct sti_smtp_span){ STI_C2S, STI_SMTP_SPAN_ENVELOPE, 10, 11 };
	a.spans[1] = (struct sti_smtp_span){ STI_C2S, STI_SMTP_SPAN_CONTENT, 29, 13 };
	a.smtp.spans = a.spans;
	a.smtp.nspans = 2;
	sti_evidence_session(e, &a.rec, &a.v);
	sti_evidence_session(e, &b.rec, &b.v);
	/* A live flush writes the decided sessions and keeps c parked, until
	 * c leaves the table without a verdict. */
	assert_true(sti_evidence_flush(e, DLT_RAW, false, err, sizeof(err)));
	assert_int_equal(sti_evidence_frames(e), 4);
	assert_int_equal(sti_evidence_parked(e), 1);
	tap(e, &a, false, 15, "354 go ahead\r\n");   /* a late frame of a */
	assert_true(sti_evidence_flush(e, DLT_RAW, false, err, sizeof(err)));
	assert_int_equal(sti_evidence_frames(e), 5);
	assert_int_equal(sti_evidence_parked(e), 1);
	sti_evidence_gone(e, &c.s);
	assert_true(sti_evidence_flush(e, DLT_RAW, false, err, sizeof(err)));
	assert_int_equal(sti_evidence_parked(e), 0);
	assert_int_equal(sti_evidence_frames(e), 5);
	sti_evidence_free(e);

	char got[8][128];
	assert_int_equal(read_back(path, got, 8), 5);
	assert_string_equal(got[0], "220 mx ESMTP\r\n");
	assert_string_equal(got[1], "MAIL FROM:***********\r\n");
	assert_string_equal(got[2], "DATA\r\n");
	assert_string_equal(got[3], "***********\r\n.\r\n");
	assert_string_equal(got[4], "354 go ahead\r\n");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	unlink(path);
}

static void test_rotation(void **state)
{
	(void)state;
	char path[] = "/tmp/sti-test-rotate-XXXXXX";
	temp_file(path);
	/* Room for the file header and two 56-byte frames (16 + 40 + 16). */
	struct sti_evidence_cfg cfg = { .path = path, .redact = false,
					.rotate_bytes = 24 + 2 * (16 + 56) };
	sti_selection_defaults(&cfg.sel);
	assert_true(sti_selection_parse_only(&cfg.sel, "all", (char[8]){ 0 }, 8));
	struct sti_evidence *e = sti_evidence_new(&cfg);
	char err[256];
	assert_true(sti_evidence_begin(e, err, sizeof(err)));
	struct fake a;
	fake_init(&a, 1, STI_OUTCOME_OK);
	for (uint32_t i = 0; i < 5; i++)
		tap(e, &a, true, 1 + 16 * i, "NOOP 0123456\r\n");  /* 16 bytes */
	sti_evidence_session(e, &a.rec, &a.v);
	/* Decided sessions are written at a flush that is not the end. */
	assert_true(sti_evidence_flush(e, DLT_RAW, false, err, sizeof(err)));
	assert_int_equal(sti_evidence_frames(e), 5);
	assert_int_equal(sti_evidence_files(e), 3);
	sti_evidence_free(e);
	char name[64], got[8][128];
	int counts[3] = { 2, 2, 1 };
	for (unsigned i = 0; i < 3; i++) {
		sti_evidence_file_name(path, i, name, sizeof(name));
		assert_int_equal(read_back(name, got, 8), counts[i]);
		assert_string_equal(got[0], "NOOP 0123456\r\n");
		unlink(name);
	}
}

static void test_link_type_change(void **state)
{
	(void)state;
	char path[] = "/tmp/sti-test-dlt-XXXXXX";
	temp_file(path);
	struct sti_evidence_cfg cfg = { .path = path, .redact = true };
	sti_selection_defaults(&cfg.sel);
	struct sti_evidence *e = sti_evidence_new(&cfg);
	char err[256];
	assert_true(sti_evidence_begin(e, err, sizeof(err)));
	assert_true(sti_evidence_flush(e, DLT_RAW, true, err, sizeof(err)));
	assert_true(sti_evidence_begin(e, err, sizeof(err)));
	assert_false(sti_evidence_flush(e, DLT_EN10MB, true, err, sizeof(err)));
	assert_non_null(strstr(err, "link type"));
	sti_evidence_free(e);
	unlink(path);
}

/* ---- pseudonyms ---- */

static void test_anon_addresses(void **state)
{
	(void)state;
	struct sti_anon *k1 = sti_anon_new("key one"), *k2 = sti_anon_new("key two");
	assert_null(sti_anon_new(""));
	struct sti_addr a = { .family = 4, .a = { 192, 0, 2, 10 } }, b = a, c = a;
	sti_anon_addr(k1, &a);
	sti_anon_addr(k1, &b);
	sti_anon_addr(k2, &c);
	assert_memory_equal(a.a, b.a, 4);            /* same key, same pseudonym */
	assert_memory_not_equal(a.a, c.a, 4);        /* another key, another */
	assert_memory_not_equal(a.a, ((uint8_t[]){ 192, 0, 2, 10 }), 4);
	/* Into 198.18.0.0/15, never a real network. */
	assert_int_equal(a.a[0], 198);
	assert_true(a.a[1] == 18 || a.a[1] == 19);
	/* Prefix-preserving: the same /24 stays one /24, another host in it
	 * gets another pseudonym; a host of another /24 leaves it. */
	struct sti_addr same24 = { .family = 4, .a = { 192, 0, 2, 99 } };
	struct sti_addr other24 = { .family = 4, .a = { 192, 0, 3, 10 } };
	sti_anon_addr(k1, &same24);
	sti_anon_addr(k1, &other24);
	assert_memory_equal(a.a, same24.a, 3);
	assert_int_not_equal(a.a[3], same24.a[3]);
	assert_memory_not_equal(a.a, other24.a, 3);
	assert_memory_equal(a.a, other24.a, 2);   /* 192.0.2 and 192.0.3 share 23 bits */
	/* IPv6 into fd00::/8, prefix-preserving too. */
	struct sti_addr v6 = { .family = 6, .a = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 } };
	struct sti_addr v6b = v6;
	v6b.a[15] = 0x11;
	sti_anon_addr(k1, &v6);
	sti_anon_addr(k1, &v6b);
	assert_int_equal(v6.a[0], 0xfd);
	assert_memory_equal(v6.a, v6b.a, 15);
	assert_int_not_equal(v6.a[15], v6b.a[15]);
	sti_anon_free(k1);
	sti_anon_free(k2);
}

static void test_anon_text(void **state)
{
	(void)state;
	struct sti_anon *k = sti_anon_new("key one");
	char t[128] = "220 mx.example.test ESMTP Postfix 3.7.11; 2.0.0 e.g. TLSv1.2";
	size_t n = strlen(t);
	sti_anon_text(k, t, sizeof(t));
	assert_int_equal(strlen(t), n);
	assert_null(strstr(t, "example"));
	assert_null(strstr(t, "mx."));
	/* Not names: kept. */
	assert_non_null(strstr(t, " ESMTP Postfix 3.7.11; 2.0.0 e.g. TLSv1.2"));
	assert_memory_equal(t, "220 ", 4);
	assert_int_equal(t[6], '.');
	/* Labels map the same wherever they appear: a wildcard still fits. */
	char w[64] = "*.example.test", h[64] = "www.example.test";
	sti_anon_text(k, w, sizeof(w));
	sti_anon_text(k, h, sizeof(h));
	assert_string_equal(w + 1, h + 3);
	assert_int_equal(w[0], '*');
	/* Case does not matter; mail addresses lose both parts. */
	char u[64] = "WWW.Example.TEST", m[64] = "mail FROM:<bob@example.test>";
	sti_anon_text(k, u, sizeof(u));
	assert_string_equal(u, h);
	sti_anon_text(k, m, sizeof(m));
	assert_null(strstr(m, "bob"));
	assert_non_null(strstr(m, w + 2));   /* after the '@' */
	assert_memory_equal(m, "mail FROM:<", 11);
	/* Address literals. */
	char l[64] = "EHLO [192.0.2.10] [IPv6:2001:db8::10]";
	sti_anon_text(k, l, sizeof(l));
	assert_null(strstr(l, "192.0.2.10"));
	assert_null(strstr(l, "2001:db8"));
	assert_non_null(strstr(l, "[IPv6:fd"));
	sti_anon_free(k);
}

static void test_anon_frame(void **state)
{
	(void)state;
	struct sti_anon *k = sti_anon_new("key one");
	struct frame f;
	struct sti_pkt pkt;
	build(&f, false, 1, "250-mx2.example.test Hello c.example.test [192.0.2.10]\r\n");
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(sti_decode_frame(DLT_RAW, f.b, f.n, f.n, &pkt), STI_DEC_TCP);
	sti_anon_frame(k, f.b, &pkt, NULL, pkt.payload_caplen);
	assert_true(checksum_ok(f.b, f.n));
	assert_int_equal(sti_csum(f.b, 20, 0), 0);   /* the IPv4 header too */
	struct sti_addr src = { .family = 4, .a = { 198, 51, 100, 25 } };
	sti_anon_addr(k, &src);
	assert_memory_equal(f.b + 12, src.a, 4);
	assert_null(memmem(f.b, f.n, "example", 7));
	assert_null(memmem(f.b, f.n, "192.0.2.10", 10));
	assert_memory_equal(f.b + 40, "250-", 4);
	assert_int_equal(f.n, 40 + strlen("250-mx2.example.test Hello c.example.test [192.0.2.10]\r\n"));

	/* Inside TLS only the listed names change, byte for byte. */
	struct sti_anon_names names;
	struct fake fk;
	fake_init(&fk, 1, STI_OUTCOME_OK);
	fk.smtp.hello_name = "c.example.test";
	sti_anon_collect(k, &fk.rec, &names);
	assert_true(names.n >= 3);    /* both addresses and the EHLO name */
	build(&f, true, 1, "\x16\x03\x01\x01\x0e.c.example.test\x05x.y.zz");
	assert_int_equal(sti_decode_frame(DLT_RAW, f.b, f.n, f.n, &pkt), STI_DEC_TCP);
	sti_anon_frame(k, f.b, &pkt, &names, 0);
	assert_true(checksum_ok(f.b, f.n));
	assert_null(memmem(f.b, f.n, "c.example.test", 14));
	assert_memory_equal(f.b + 40, "\x16\x03\x01\x01\x0e.", 6);
	assert_non_null(memmem(f.b, f.n, "\x05x.y.zz", 7));   /* not listed, not plaintext */
	sti_anon_free(k);
}

/* Certificate organisation and unit names are pseudonymised, same length,
 * in the reporters' record and in the names replaced on the wire. */
static void test_anon_cert_orgs(void **state)
{
	(void)state;
	struct sti_anon *k = sti_anon_new("key one");
	struct fake fk;
	static struct sti_tls_facts tls;
	static struct sti_tls_cert sc;   /* shared with other sessions */
	static struct sti_anon_record out;
	struct sti_anon_names names;
	const char *orig = "CN=mx.example.test,OU=Mail Team,O=Acme Widgets Ltd,C=GB";
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(&tls, &room);
	memset(&sc, 0, sizeof(sc));
	fake_init(&fk, 1, STI_OUTCOME_OK);
	tls.server_cert = &sc;
	strcpy(sc.leaf.subject, orig);
	strcpy(sc.leaf.issuer, "CN=Acme CA,O=Acme Widgets Ltd,C=GB");
	fk.rec.tls = &tls;
	sti_anon_record(k, &fk.rec, &out);
	/* The copy is rewritten, the shared certificate is not. */
	assert_ptr_not_equal(out.tls.server_cert, &sc);
	assert_string_equal(sc.leaf.subject, orig);
	const char *subj = out.tls.server_cert->leaf.subject;
	assert_int_equal(strlen(subj), strlen(orig));
	assert_null(strstr(subj, "Acme"));
	assert_null(strstr(subj, "Mail Team"));
	assert_null(strstr(out.tls.server_cert->leaf.issuer, "Acme Widgets"));
	assert_non_null(strstr(subj, ",OU="));
	assert_non_null(strstr(subj, ",O="));
	assert_non_null(strstr(subj, ",C=GB"));
	sti_anon_collect(k, &fk.rec, &names);
	assert_string_equal(sc.leaf.subject, orig);
	bool listed = false;
	for (unsigned i = 0; i < names.n; i++)
		listed = listed || strcmp(names.orig[i], "Acme Widgets Ltd") == 0;
	assert_true(listed);
	sti_anon_free(k);
}

/* ---- --anonymize driven by the output field table ---- */

static const char *const leak_markers[] = {
	"leak", "Leakcorp", "Mailops", "192.0.2.77", "feedface",
};

/* A value that identifies, of the kind's shape. */
static void fill_marker(const struct sti_field *f, void *v)
{
	switch (f->kind) {
	case STI_KIND_ADDRESS: {
		struct sti_addr *a = v;
		memset(a, 0, sizeof(*a));
		a->family = 4;
		memcpy(a->a, (uint8_t[]){ 192, 0, 2, 77 }, 4);
		break;
	}
	case STI_KIND_HOST:
		snprintf(v, f->size, "leak.example.test");
		break;
	case STI_KIND_DN:
		snprintf(v, f->size, "CN=leak.example.test,O=Leakcorp Holdings,OU=Mailops");
		break;
	case STI_KIND_DIGEST:
		snprintf(v, f->size, "%s", "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface");
		break;
	default:
		snprintf(v, f->size, "250 leak.example.test greets 192.0.2.77");
		break;
	}
}

/* Where a session's parts are: every one present. */
static struct sti_field_parts all_parts(struct sti_record *rec, struct sti_tls_facts *tls,
					struct sti_verdict *v)
{
	/* the certificates are read-only to the facts, not to this test */
	struct sti_tls_cert *sc = (struct sti_tls_cert *)(uintptr_t)tls->server_cert;
	struct sti_tls_cert *cc = (struct sti_tls_cert *)(uintptr_t)tls->client_cert;
	struct sti_field_parts p = {
		.record = rec, .smtp = (void *)(uintptr_t)rec->smtp, .tls = tls, .verdict = v,
		.cert = { &sc->leaf, &cc->leaf }, .chain = &sc->chain,
	};
	return p;
}

/* Every value of a row of an identifying kind holds a marker, every count
 * at its maximum. */
static void fill_row(const struct sti_field *f, void *base, void *ctx)
{
	(void)ctx;
	if (!sti_field_kind_identifies(f->kind))
		return;
	if (f->count_offset != SIZE_MAX)
		memcpy((char *)base + f->count_offset, &f->max, sizeof(f->max));
	for (unsigned k = 0; k < sti_field_count(f, base); k++)
		fill_marker(f, sti_field_at(f, base, k));
}

static void assert_no_marker(const char *what, const char *text)
{
	for (size_t m = 0; m < sizeof(leak_markers) / sizeof(leak_markers[0]); m++)
		if (strstr(text, leak_markers[m]))
			fail_msg("%s still holds '%s': %.300s", what, leak_markers[m],
				 strstr(text, leak_markers[m]));
}

/* No value of a row of an identifying kind holds a marker (an address
 * is a pseudonym); ctx counts the rows checked. */
static void check_row(const struct sti_field *f, void *base, void *ctx)
{
	if (!sti_field_kind_identifies(f->kind))
		return;
	unsigned n = sti_field_count(f, base);
	assert_true(n >= 1);
	for (unsigned k = 0; k < n; k++) {
		void *val = sti_field_at(f, base, k);
		if (f->kind == STI_KIND_ADDRESS) {
			const struct sti_addr *a = val;
			assert_int_equal(a->a[0], 198);
			assert_true(a->a[1] == 18 || a->a[1] == 19);
		} else {
			assert_no_marker(f->key, val);
		}
	}
	(*(size_t *)ctx)++;
}

/* What one reporter writes for the session. */
static char *render_with(struct sti_reporter *(*make)(FILE *, const struct sti_report_opts *),
			 const struct sti_record *rec, const struct sti_verdict *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct sti_report_opts o = { .min_version = 0x0303, .full = true };
	struct sti_reporter *r = make(f, &o);
	assert_non_null(r);
	r->ops->session(r, "capture-00000000.pcap", rec, v);
	r->ops->destroy(r);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Writable strings, each of its cap, for every string of SMTP facts. */
struct smtp_strings {
	struct sti_smtp_reply notable[STI_SMTP_MAX_NOTABLE];
	char notable_text[STI_SMTP_MAX_NOTABLE][2][STI_SMTP_TEXT_MAX];
	char caps[STI_SMTP_MAX_CAPS][STI_SMTP_CAP_MAX];
	const char *cap_lines[STI_SMTP_MAX_CAPS];
	char replies[5][2][STI_SMTP_TEXT_MAX];
	char hello[STI_SMTP_NAME_MAX], masked_cap[STI_SMTP_CAP_MAX];
	char injected[STI_SMTP_TEXT_MAX], mech[STI_SMTP_MECH_MAX];
};

/* f's strings and every notable reply and capability slot in s, for
 * fill_row to fill. */
static void point_smtp(struct sti_smtp_facts *f, struct smtp_strings *s)
{
	struct sti_smtp_reply *replies[] = {
		&f->greeting, &f->starttls_reply, &f->masked_command_reply,
		&f->quit_reply, &f->auth_reply,
	};
	for (int i = 0; i < 5; i++) {
		replies[i]->enhanced = s->replies[i][0];
		replies[i]->text = s->replies[i][1];
	}
	for (int i = 0; i < STI_SMTP_MAX_NOTABLE; i++) {
		s->notable[i].enhanced = s->notable_text[i][0];
		s->notable[i].text = s->notable_text[i][1];
	}
	for (int i = 0; i < STI_SMTP_MAX_CAPS; i++)
		s->cap_lines[i] = s->caps[i];
	f->notable = s->notable;
	f->caps = s->cap_lines;
	f->hello_name = s->hello;
	f->masked_cap = s->masked_cap;
	f->injected_line = s->injected;
	f->auth_mech = s->mech;
}

/*
 * Every field the table marks as identifying is rewritten by --anonymize,
 * whatever its kind, and the JSON and text reporters then print none of
 * the originals: a field added to the table is covered without touching
 * anon.c, and the json-schema test makes every identifying JSON field a
 * row of the table.
 */
static void test_anon_every_identifying_field(void **state)
{
	(void)state;
	struct sti_record *rec = calloc(1, sizeof(*rec));
	struct sti_smtp_facts *smtp = calloc(1, sizeof(*smtp));
	struct sti_tls_facts *tls = calloc(1, sizeof(*tls));
	struct sti_tls_facts_room *room = calloc(1, sizeof(*room));
	struct sti_verdict *v = calloc(1, sizeof(*v));
	struct sti_anon_record *ar = calloc(1, sizeof(*ar));
	struct sti_tls_cert *sc = calloc(1, sizeof(*sc)), *cc = calloc(1, sizeof(*cc));
	assert_true(rec && smtp && tls && room && v && ar && sc && cc);
	sti_tls_facts_init(tls, room);
	struct smtp_strings *strs = calloc(1, sizeof(*strs));
	assert_non_null(strs);
	point_smtp(smtp, strs);
	rec->smtp = smtp;
	rec->tls = tls;
	rec->mode = STI_MODE_STARTTLS;
	smtp->greeting_seen = true;
	smtp->greeting.code = 220;
	tls->have_ch = tls->have_ch2 = tls->have_sh = true;
	tls->server_cert = sc;
	tls->client_cert = cc;
	sc->leaf.parsed = cc->leaf.parsed = true;
	sc->chain.checked = true;
	sc->chain.chain_len = STI_CHAIN_MAX;
	struct sti_field_parts in = all_parts(rec, tls, v);
	sti_fields_walk(&in, fill_row, NULL);

	struct sti_anon *an = sti_anon_new("table key");
	assert_non_null(an);
	sti_anon_record(an, rec, ar);
	sti_anon_verdict(an, v);
	size_t rows = 0;
	assert_true(ar->tls.server_cert == &ar->server_cert);
	assert_true(ar->tls.client_cert == &ar->client_cert);
	struct sti_field_parts out = all_parts(&ar->rec, &ar->tls, v);
	sti_fields_walk(&out, check_row, &rows);
	/* a row for each certificate's leaf, each side */
	assert_true(rows >= 30);
	/* the shared certificates keep what they had */
	assert_string_equal(sc->leaf.subject_cn, "leak.example.test");
	assert_string_equal(cc->leaf.sans[0], "leak.example.test");
	/* and so do the session's notable replies, capabilities and other
	 * strings */
	assert_non_null(strstr(strs->notable[STI_SMTP_MAX_NOTABLE - 1].text, "leak"));
	assert_non_null(strstr(strs->caps[STI_SMTP_MAX_CAPS - 1], "leak"));
	assert_non_null(strstr(smtp->greeting.text, "leak"));
	assert_non_null(strstr(smtp->hello_name, "leak"));
	assert_non_null(strstr(smtp->injected_line, "leak"));
	assert_true(ar->smtp.caps != smtp->caps && ar->smtp.notable != smtp->notable);
	assert_true(ar->smtp.greeting.text != smtp->greeting.text);
	/* and the session's hello names */
	assert_non_null(strstr(tls->ch.sni, "leak"));
	assert_non_null(strstr(tls->ch2->sni, "leak"));
	assert_true(ar->tls.ch.sni != tls->ch.sni && ar->tls.ch2->sni != tls->ch2->sni);
	assert_true(ar->tls.ch2 != tls->ch2);
	assert_non_null(strstr(tls->decrypt_note, "leak"));
	assert_true(ar->tls.decrypt_note != tls->decrypt_note);
	/* and each direction's reason and sample */
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		assert_non_null(strstr(tls->dir[d].reason, "leak"));
		assert_non_null(strstr(tls->dir[d].sample, "leak"));
		assert_true(ar->tls.dir[d].reason != tls->dir[d].reason);
		assert_true(ar->tls.dir[d].sample != tls->dir[d].sample);
	}
	char *json = render_with(sti_report_json_new, &ar->rec, v);
	assert_no_marker("JSON output", json);
	assert_non_null(strstr(json, "\"source.ip\":\"198.1"));
	char *text = render_with(sti_report_text_new, &ar->rec, v);
	assert_no_marker("text output", text);
	free(json);
	free(text);
	sti_anon_free(an);
	free(ar);
	free(v);
	free(cc);
	free(sc);
	free(tls);
	free(room);
	free(strs);
	free(smtp);
	free(rec);
}

/* An input file's name: a keyed pseudonym with its extension. */
static void test_anon_path(void **state)
{
	(void)state;
	struct sti_anon *k1 = sti_anon_new("key one"), *k2 = sti_anon_new("key two");
	char a[64], b[64], c[64];
	sti_anon_path(k1, "/srv/acme-corp/mx1.acme.example/gw.pcapng", a, sizeof(a));
	sti_anon_path(k1, "/srv/acme-corp/mx1.acme.example/gw.pcapng", b, sizeof(b));
	sti_anon_path(k2, "/srv/acme-corp/mx1.acme.example/gw.pcapng", c, sizeof(c));
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), strlen("capture-01234567.pcapng"));
	assert_int_equal(strncmp(a, "capture-", 8), 0);
	assert_string_equal(a + 16, ".pcapng");
	assert_string_not_equal(a, c);
	sti_anon_path(k1, "-", a, sizeof(a));
	assert_string_equal(a, "-");
	sti_anon_path(k1, "dump", a, sizeof(a));
	assert_int_equal(strlen(a), 16);
	sti_anon_free(k1);
	sti_anon_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_bytes_keeps_crlf),
		cmocka_unit_test(test_redact_bytes_partial_overlap),
		cmocka_unit_test(test_plan_from_smtp),
		cmocka_unit_test(test_checksum_update_matches_full),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_link_type_change),
		cmocka_unit_test(test_anon_addresses),
		cmocka_unit_test(test_anon_text),
		cmocka_unit_test(test_anon_cert_orgs),
		cmocka_unit_test(test_anon_frame),
		cmocka_unit_test(test_anon_every_identifying_field),
		cmocka_unit_test(test_anon_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
