/*
 * test_mtalog.c - the MTA log parser (formats, grouping, caps, any split
 * of the input) and the join (ports, time, order, skew, what it cites).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/mtalog.h"

/* 2026-12-05T14:36:38Z */
#define T0 INT64_C(1796481398)
#define US INT64_C(1000000)

/* Real lines of the lab's Postfix (pcaps/mtalog-postfix-concurrent-python.maillog). */
static const char postfix[] =
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: connect from unknown[192.0.2.10]\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: SSL_accept error from unknown[192.0.2.10]: -1\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: warning: TLS library problem: error:0A000102:"
	"SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: lost connection after STARTTLS from unknown[192.0.2.10]\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: disconnect from unknown[192.0.2.10] ehlo=1 starttls=0/1 commands=1/2\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: connect from unknown[192.0.2.10]\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: 48382A72AF9: client=unknown[192.0.2.10]\n"
	"Dec 05 14:36:38 mx3 postfix/cleanup[31302]: 48382A72AF9: message-id=<m1@client.example.test>\n"
	"Dec 05 14:36:38 mx3 postfix/smtpd[31287]: disconnect from unknown[192.0.2.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7\n"
	"Dec 05 14:36:38 mx3 postfix/qmgr[31146]: 48382A72AF9: removed\n";

static const char exim[] =
	"2026-12-05 14:38:10 [3045] TLS error on connection from (client.example.test) [192.0.2.10]:40421"
	" (gnutls_handshake): A packet with illegal or unsupported version was received.\n"
	"2026-12-05 14:38:09 [3079] 1xZqtt-0000nf-2u <= a@client.example.test H=(client.example.test)"
	" [192.0.2.10]:40422 P=esmtps S=294 id=abc@client.example.test\n"
	"2026-12-05 14:38:09 [3088] 1xZqtt-0000nf-2u Completed\r\n";

static const char exchange[] =
	"#Log-type: SMTP Send Protocol Log\n"
	"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n"
	"2026-11-27T19:56:56.425Z,Out,08DE01,0,192.0.2.10:40223,198.51.100.45:25,+,,\n"
	"2026-11-27T19:56:56.481Z,Out,08DE01,6,192.0.2.10:40223,198.51.100.45:25,*,,TLS negotiation failed with error SocketError\n"
	"2026-11-27T19:56:56.482Z,Out,08DE01,7,,,-,,\"Local, \"\"quoted\"\"\"\n";

static struct sti_mtalog *parse(const char *text, size_t piece)
{
	struct sti_mtalog *log = sti_mtalog_new();
	assert_non_null(log);
	struct sti_mtalog_reader *r = sti_mtalog_reader_new(log, "test.log", T0);
	assert_non_null(r);
	size_t n = strlen(text), step = piece ? piece : n;
	for (size_t off = 0; off < n; off += step)
		sti_mtalog_feed(r, (const uint8_t *)text + off, n - off < step ? n - off : step);
	sti_mtalog_reader_end(r);
	return log;
}

static char *dump(const struct sti_mtalog *log)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	sti_mtalog_dump(log, f);
	fclose(f);
	return buf;
}

/* One byte at a time (and in pieces of 7) gives what one call gives. */
static void test_any_split_same_sessions(void **state)
{
	(void)state;
	const char *inputs[] = { postfix, exim, exchange };
	for (size_t i = 0; i < 3; i++) {
		struct sti_mtalog *whole = parse(inputs[i], 0), *bytes = parse(inputs[i], 1);
		struct sti_mtalog *sevens = parse(inputs[i], 7);
		char *a = dump(whole), *b = dump(bytes), *c = dump(sevens);
		assert_string_equal(a, b);
		assert_string_equal(a, c);
		assert_true(sti_mtalog_nsessions(whole) > 0);
		free(a);
		free(b);
		free(c);
		sti_mtalog_free(whole);
		sti_mtalog_free(bytes);
		sti_mtalog_free(sevens);
	}
}

/* connect/disconnect bound a Postfix smtpd connection even with one pid. */
static void test_postfix_grouping(void **state)
{
	(void)state;
	struct sti_mtalog *log = parse(postfix, 0);
	assert_int_equal(sti_mtalog_nsessions(log), 2);
	struct sti_mtalog_session *s0 = sti_mtalog_session(log, 0), *s1 = sti_mtalog_session(log, 1);
	assert_int_equal(s0->mta, STI_MTA_POSTFIX);
	assert_int_equal(s0->role, STI_MTA_SERVER);
	assert_int_equal(s0->pid, 31287);
	assert_int_equal(s0->nlines, 5);
	assert_true(s0->failure);
	assert_false(s1->failure);
	assert_int_equal(s0->first_ts, T0 * US);
	assert_int_equal(s0->peer.addr.family, 4);
	assert_int_equal(s0->peer.port, 0);
	/* the cleanup and qmgr lines join by queue id */
	assert_int_equal(s1->nlines, 5);
	assert_string_equal(s1->first->next->queue_id, "48382A72AF9");
	assert_string_equal(s1->first->next->next->message_id, "<m1@client.example.test>");
	assert_int_equal(sti_mtalog_file_format(log, 0), STI_MTALOG_RFC3164);
	sti_mtalog_free(log);
}

static void test_exim_and_exchange(void **state)
{
	(void)state;
	struct sti_mtalog *log = parse(exim, 0);
	assert_int_equal(sti_mtalog_nsessions(log), 2);
	struct sti_mtalog_session *s = sti_mtalog_session(log, 1);
	assert_int_equal(s->mta, STI_MTA_EXIM);
	assert_int_equal(s->peer.port, 40422);
	assert_int_equal(s->nlines, 2);   /* "Completed" by queue id */
	assert_string_equal(s->first->queue_id, "1xZqtt-0000nf-2u");
	assert_string_equal(s->first->message_id, "abc@client.example.test");
	assert_int_equal(sti_mtalog_file_format(log, 0), STI_MTALOG_EXIM);
	sti_mtalog_free(log);

	log = parse(exchange, 0);
	assert_int_equal(sti_mtalog_nsessions(log), 1);
	s = sti_mtalog_session(log, 0);
	assert_int_equal(s->mta, STI_MTA_EXCHANGE);
	assert_int_equal(s->role, STI_MTA_CLIENT);
	assert_int_equal(s->local.port, 40223);
	assert_int_equal(s->peer.port, 25);
	assert_int_equal(s->nlines, 3);   /* the last line names no endpoints */
	assert_int_equal(s->first_ts, INT64_C(1795809416425000));
	assert_true(s->failure);
	assert_string_equal(s->first->next->text + s->first->next->msg_off,
			    "TLS negotiation failed with error SocketError");
	assert_int_equal(sti_mtalog_file_format(log, 0), STI_MTALOG_EXCHANGE);
	sti_mtalog_free(log);
}

/* The same line in every syslog form gives the same time, pid and peer. */
static void test_syslog_forms(void **state)
{
	(void)state;
	static const char *const forms[] = {
		"Dec  5 14:36:38 mx3 postfix/smtpd[31287]: connect from unknown[192.0.2.10]:40414\n",
		"2026-12-05T14:36:38+0000 mx3 postfix/smtpd[31287]: connect from unknown[192.0.2.10]:40414\n",
		"2026-12-05T15:36:38.000000+01:00 mx3 postfix/smtpd[31287]: connect from unknown[192.0.2.10]:40414\n",
		"<22>1 2026-12-05T14:36:38Z mx3 postfix/smtpd 31287 - - connect from unknown[192.0.2.10]:40414\n",
		"<22>1 2026-12-05T14:36:38Z mx3 postfix/smtpd 31287 - [meta x=\"1\"] connect from unknown[192.0.2.10]:40414\n",
	};
	static const enum sti_mtalog_format fmt[] = {
		STI_MTALOG_RFC3164, STI_MTALOG_SHORT_ISO, STI_MTALOG_SHORT_ISO,
		STI_MTALOG_RFC5424, STI_MTALOG_RFC5424,
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct sti_mtalog *log = parse(forms[i], 0);
		assert_int_equal(sti_mtalog_nsessions(log), 1);
		struct sti_mtalog_session *s = sti_mtalog_session(log, 0);
		assert_int_equal(s->first_ts, T0 * US);
		assert_int_equal(s->pid, 31287);
		assert_int_equal(s->peer.port, 40414);
		assert_int_equal(sti_mtalog_file_format(log, 0), fmt[i]);
		sti_mtalog_free(log);
	}
}

/* Lines past the line cap and the per-session cap are counted, not kept. */
static void test_caps(void **state)
{
	(void)state;
	size_t n = STI_MTALOG_LINE_MAX * 3;
	char *big = malloc(n + 200);
	assert_non_null(big);
	int k = snprintf(big, 200, "Dec  5 14:36:38 mx3 postfix/smtpd[7]: connect from x[192.0.2.1] ");
	memset(big + k, 'A', n);
	strcpy(big + k + n, "\nDec  5 14:36:39 mx3 postfix/smtpd[7]: disconnect from x[192.0.2.1]\n");
	struct sti_mtalog *log = parse(big, 0);
	assert_int_equal(sti_mtalog_stats(log)->lines_truncated, 1);
	assert_int_equal(sti_mtalog_nsessions(log), 1);
	assert_int_equal(sti_mtalog_session(log, 0)->nlines, 2);
	assert_int_equal(strlen(sti_mtalog_session(log, 0)->first->text), STI_MTALOG_TEXT_MAX);
	sti_mtalog_free(log);
	free(big);

	char *many = malloc(100 * 100);
	assert_non_null(many);
	size_t len = 0;
	for (int i = 0; i < 70; i++)
		len += (size_t)sprintf(many + len, "Dec  5 14:36:38 mx3 postfix/smtpd[7]: line %d from x[192.0.2.1]\n", i);
	log = parse(many, 0);
	assert_int_equal(sti_mtalog_session(log, 0)->nlines, STI_MTALOG_SESSION_LINES);
	assert_int_equal(sti_mtalog_session(log, 0)->lines_dropped, 70 - STI_MTALOG_SESSION_LINES);
	sti_mtalog_free(log);
	free(many);
}

static struct sti_mtajoin_cap cap(uint64_t id, const char *cli, uint16_t cport,
				  double start, double end, bool failed)
{
	struct sti_mtajoin_cap c;
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.cli.addr.family = 4;
	inet_pton(AF_INET, cli, c.cli.addr.a);
	c.cli.port = cport;
	c.srv.addr.family = 4;
	inet_pton(AF_INET, "198.51.100.47", c.srv.addr.a);
	c.srv.port = 25;
	c.first_ts = T0 * US + (int64_t)(start * 1e6);
	c.last_ts = T0 * US + (int64_t)(end * 1e6);
	c.failed = failed;
	return c;
}

/* Concurrent connections from one address: the failure goes to the failed
 * session, the rest in the order they opened; all are ambiguous. */
static void test_join_order_and_failure(void **state)
{
	(void)state;
	struct sti_mtalog *log = parse(postfix, 0);
	struct sti_mtajoin_cap caps[] = {
		cap(7, "192.0.2.10", 40401, 0.01, 0.30, false),
		cap(8, "192.0.2.10", 40404, 0.02, 0.10, true),
		cap(9, "192.0.2.99", 40405, 0.03, 0.30, true),   /* another client */
	};
	struct sti_mtajoin_result res;
	sti_mtalog_join(log, 0, caps, 3, NULL, &res);
	struct sti_mtalog_session *s0 = sti_mtalog_session(log, 0), *s1 = sti_mtalog_session(log, 1);
	assert_int_equal(s0->session_id, 8);
	assert_int_equal(s0->match, STI_MTA_AMBIGUOUS);
	assert_int_equal(s0->ncandidates, 2);
	assert_int_equal(s0->candidates[0], 7);
	assert_int_equal(s0->candidates[1], 8);
	assert_int_equal(s1->session_id, 7);
	assert_int_equal(res.matched[STI_MTA_AMBIGUOUS], 2);
	assert_false(res.skew_known);

	struct sti_mtalog_joined j;
	char buf[300];
	assert_true(sti_mtalog_joined_for(log, 0, 8, &j));
	assert_int_equal(j.n, 1);
	assert_true(sti_mtalog_citation(&j, buf, sizeof(buf)));
	assert_string_equal(buf, "Postfix logged \"unsupported protocol\" (TLS library problem).");
	assert_false(sti_mtalog_joined_for(log, 0, 9, &j));
	assert_true(sti_mtalog_joined_for(log, 0, 7, &j));
	assert_true(sti_mtalog_joined_matches(&j, "48382A72AF9"));
	assert_true(sti_mtalog_joined_matches(&j, "m1@client.example.test"));
	assert_true(sti_mtalog_joined_matches(&j, "<m1@client.example.test>"));
	assert_true(sti_mtalog_joined_matches(&j, "commands=7"));
	assert_false(sti_mtalog_joined_matches(&j, "SSL_accept"));
	sti_mtalog_match_str(s0, buf, sizeof(buf));
	assert_string_equal(buf, "ambiguous among #7, #8");
	sti_mtalog_free(log);
}

static bool count_line(void *ctx, const struct sti_mtalog_session *s,
		       const struct sti_mtalog_line *l)
{
	(void)s;
	(void)l;
	(*(int *)ctx)++;
	return true;
}

/* Ports name the connection; the skew comes from such matches; a log 97 s
 * ahead still joins, and with --log-skew 0 it does not. */
static void test_join_exact_and_skew(void **state)
{
	(void)state;
	const char *text =
		"Dec  5 14:38:15 mx3 postfix/smtpd[1]: connect from x[192.0.2.10]:40411\n"
		"Dec  5 14:38:15 mx3 postfix/smtpd[1]: SSL_accept error from x[192.0.2.10]:40411: -1\n"
		"Dec  5 14:38:16 mx3 postfix/smtpd[2]: connect from x[192.0.2.10]:40412\n";
	struct sti_mtajoin_cap caps[] = {
		cap(1, "192.0.2.10", 40411, 0.2, 0.5, true),
		cap(2, "192.0.2.10", 40412, 0.9, 1.5, false),
		cap(3, "192.0.2.10", 40413, 0.5, 1.5, false),
	};
	struct sti_mtalog *log = parse(text, 0);
	struct sti_mtajoin_result res;
	sti_mtalog_join(log, 0, caps, 3, NULL, &res);
	assert_true(res.skew_known);
	assert_int_equal(res.skew_samples, 2);
	assert_true(res.skew_us > 96 * US && res.skew_us < 98 * US);
	assert_int_equal(sti_mtalog_session(log, 0)->session_id, 1);
	assert_int_equal(sti_mtalog_session(log, 0)->match, STI_MTA_EXACT);
	assert_int_equal(sti_mtalog_session(log, 1)->session_id, 2);
	assert_int_equal(res.matched[STI_MTA_EXACT], 2);
	sti_mtalog_free(log);

	log = parse(text, 0);
	struct sti_mtajoin_opts o = { .skew_given = true, .skew_us = 0 };
	sti_mtalog_join(log, 0, caps, 3, &o, &res);
	assert_true(res.skew_given);
	assert_int_equal(sti_mtalog_session(log, 0)->session_id, 0);
	int unmatched = 0;
	sti_mtalog_unmatched_failures(log, count_line, &unmatched);
	assert_int_equal(unmatched, 1);
	sti_mtalog_free(log);
}

/* Short and cut lines of every form: nothing is read past a line's end
 * (AddressSanitizer watches the Exchange field copy), nothing is kept. */
static void test_cut_lines(void **state)
{
	(void)state;
	static const char *const cut[] = {
		"Dec", "Dec  5", "Dec  5 14:3", "2026", "2026-12-05T1", "2026-12-05 14:38",
		"<22>1 2026", "<22>1 2026-12-05T14:36:38Z", "2026-12-05T14:36:38+0",
		"#Fields: date-time,session-id\n2026-12,1\n2026-12-05T14:36:38.1",
	};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		struct sti_mtalog *log = parse(cut[i], 0);
		assert_int_equal(sti_mtalog_nsessions(log), 0);
		sti_mtalog_free(log);
	}
	/* an Exchange time field at the very end of a line of the longest length */
	char *line = malloc(STI_MTALOG_LINE_MAX + 64);
	assert_non_null(line);
	int k = snprintf(line, 64, "#Fields: x,date-time\n");
	memset(line + k, 'x', STI_MTALOG_LINE_MAX - 5);
	strcpy(line + k + STI_MTALOG_LINE_MAX - 5, ",2026\n");
	struct sti_mtalog *log = parse(line, 0);
	assert_int_equal(sti_mtalog_nsessions(log), 0);
	sti_mtalog_free(log);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_split_same_sessions),
		cmocka_unit_test(test_postfix_grouping),
		cmocka_unit_test(test_exim_and_exchange),
		cmocka_unit_test(test_syslog_forms),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_join_order_and_failure),
		cmocka_unit_test(test_join_exact_and_skew),
		cmocka_unit_test(test_cut_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
