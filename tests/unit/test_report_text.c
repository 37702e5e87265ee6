/*
 * test_report_text.c - the default text output (SPEC section 7).
 *
 * Records, ladders and verdicts are built in code (no pcap), written through
 * the text reporter into a memory stream, and the output is compared line
 * by line: the order of the categories, the session block, the ladder's
 * columns and truncation, colour and its absence, the per-file count line,
 * the closing summary, IPv6 endpoints, errors, and that 10,000 ok sessions
 * leave only a count behind; which sessions the reporter asks the ladder
 * of (exactly those it prints). STI_TEST_DUMP=1 in the environment copies
 * each run's output to stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/report.h"

#define T0 INT64_C(1700000000000000)   /* the first packet, in us */

/* ---- building inputs ---- */

static void ep4(struct sti_endpoint *e, uint8_t a, uint8_t b, uint8_t c,
		uint8_t d, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = 4;
	e->addr.a[0] = a;
	e->addr.a[1] = b;
	e->addr.a[2] = c;
	e->addr.a[3] = d;
	e->port = port;
}

static void ep6(struct sti_endpoint *e, const uint8_t a[16], uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = 6;
	memcpy(e->addr.a, a, 16);
	e->port = port;
}

/* Records live until the test's teardown, so a failed assert leaks none. */
static struct sti_record *pool[16];
static size_t npool;

/* A STARTTLS session 192.0.2.10:40101 -> 198.51.100.25:25. */
static struct sti_record *mk_rec(uint64_t id)
{
	assert_true(npool < sizeof(pool) / sizeof(pool[0]));
	struct sti_record *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	pool[npool++] = r;
	r->id = id;
	ep4(&r->cli, 192, 0, 2, 10, 40101);
	ep4(&r->srv, 198, 51, 100, 25, 25);
	r->first_frame = 1;
	r->first_ts = T0;
	r->last_ts = T0;
	r->syn_seen = true;
	r->end_side = STI_DIR_NONE;
	r->proto = STI_PROTO_SMTP;
	r->mode = STI_MODE_STARTTLS;
	return r;
}

static void row(struct sti_record *r, enum sti_dir dir, uint64_t frame,
		int64_t dt_us, const char *text)
{
	if (r->nladder == STI_LADDER_MAX) {
		r->ladder_dropped++;
		return;
	}
	struct sti_ladder_row *w = &r->ladder[r->nladder++];
	w->dir = dir;
	w->frame = frame;
	w->ts_us = T0 + dt_us;
	snprintf(w->text, sizeof(w->text), "%s", text);
}

static void mk_verdict(struct sti_verdict *v, enum sti_outcome o,
		       enum sti_cause c, enum sti_reason why,
		       const char *explanation, const char *remediation)
{
	memset(v, 0, sizeof(*v));
	v->outcome = o;
	v->cause = c;
	v->reason = why;
	v->confidence = STI_CERTAIN;
	snprintf(v->explanation, sizeof(v->explanation), "%s", explanation);
	snprintf(v->remediation, sizeof(v->remediation), "%s", remediation);
}

static void evidence(struct sti_verdict *v, uint64_t a, uint64_t b)
{
	v->nevidence = 0;
	if (a)
		v->evidence[v->nevidence++] = a;
	if (b)
		v->evidence[v->nevidence++] = b;
}

/* ---- the reporter on a memory stream ---- */

struct run {
	FILE *f;
	char *buf;
	size_t len;
	struct sti_reporter *r;
	struct sti_tally file_tally, run_tally;
};

/* One run at a time, static so that the teardown can close what a failed
 * assert left open. */
static struct run the_run;

static struct run *run_open_opts(const struct sti_report_opts *o)
{
	struct run *w = &the_run;
	memset(w, 0, sizeof(*w));
	w->f = open_memstream(&w->buf, &w->len);
	assert_non_null(w->f);
	w->r = sti_report_text_new(w->f, o);
	assert_non_null(w->r);
	return w;
}

static struct run *run_open(bool color)
{
	struct sti_report_opts o = { .color = color, .min_version = 0x0303 };
	return run_open_opts(&o);
}

static void run_session(struct run *w, const char *file,
			const struct sti_record *rec, const struct sti_verdict *v)
{
	sti_tally_add(&w->file_tally, v);
	sti_tally_add(&w->run_tally, v);
	w->r->ops->session(w->r, file, rec, v);
}

static void run_file_done(struct run *w, const char *file, const char *error)
{
	struct sti_ingest_stats st;
	memset(&st, 0, sizeof(st));
	w->r->ops->file_done(w->r, file, &st, &w->file_tally, error);
	memset(&w->file_tally, 0, sizeof(w->file_tally));
}

/* Finish the run and return the whole output (owned by w). */
static const char *run_close(struct run *w)
{
	w->r->ops->finish(w->r, &w->run_tally);
	w->r->ops->destroy(w->r);
	w->r = NULL;
	int rc = fclose(w->f);
	w->f = NULL;
	assert_int_equal(rc, 0);
	if (getenv("STI_TEST_DUMP"))   /* to see what a test wrote */
		fputs(w->buf, stderr);
	return w->buf;
}

static void run_free(struct run *w)
{
	if (w->r)
		w->r->ops->destroy(w->r);
	if (w->f)
		fclose(w->f);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* After each test, pass or fail: the records and the run. */
static int teardown(void **state)
{
	(void)state;
	while (npool)
		free(pool[--npool]);
	run_free(&the_run);
	return 0;
}

/* The output must be exactly these lines. */
static void assert_lines(const char *out, const char *const *lines, size_t n)
{
	const char *p = out;
	for (size_t i = 0; i < n; i++) {
		const char *nl = strchr(p, '\n');
		if (!nl)
			fail_msg("output ended before line %zu \"%s\"", i + 1, lines[i]);
		size_t len = (size_t)(nl - p);
		if (len != strlen(lines[i]) || memcmp(p, lines[i], len) != 0)
			fail_msg("line %zu:\n  got  \"%.*s\"\n  want \"%s\"", i + 1,
				 (int)len, p, lines[i]);
		p = nl + 1;
	}
	if (*p)
		fail_msg("extra output after line %zu: \"%s\"", n, p);
}

#define ASSERT_LINES(out, ...)                                               \
	do {                                                                 \
		static const char *const want_[] = { __VA_ARGS__ };          \
		assert_lines((out), want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)

/* The line of out that starts with prefix, copied into buf, or NULL. */
static const char *find_line(const char *out, const char *prefix, char *buf,
			     size_t len)
{
	size_t pl = strlen(prefix);
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l >= pl && memcmp(p, prefix, pl) == 0) {
			snprintf(buf, len, "%.*s", (int)l, p);
			return buf;
		}
		p += l + (nl ? 1 : 0);
	}
	return NULL;
}

/* ---- the sessions used by several tests ---- */

static const char REMEDY_CLIENT[] =
	"Enable TLS 1.2 or later on the sending server (the client): on "
	"Windows/Exchange enable TLS 1.2 in SChannel: set "
	"\"Enabled\"=dword:00000001 under HKLM\\SYSTEM\\CurrentControlSet\\"
	"Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client, and "
	"restart.";

/* The failure of SPEC 6.1 case 1: a TLS 1.0 client, a TLS 1.2 server. */
static struct sti_record *failed_session(uint64_t id, struct sti_verdict *v)
{
	struct sti_record *r = mk_rec(id);
	row(r, STI_S2C, 4, 0, "220 mx.example.test ESMTP Postfix");
	row(r, STI_C2S, 5, 1000, "EHLO client.example");
	row(r, STI_S2C, 6, 1500, "250 EHLO reply: STARTTLS offered");
	row(r, STI_C2S, 7, 2100, "STARTTLS");
	row(r, STI_S2C, 8, 2600, "220 2.0.0 Ready to start TLS");
	row(r, STI_C2S, 10, 3000, "ClientHello max 1.0 [1.0] 12 ciphers");
	row(r, STI_S2C, 12, 4000, "Alert fatal protocol_version(70)");
	row(r, STI_S2C, 13, 4200, "FIN");
	mk_verdict(v, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		   STI_REASON_CLIENT_VERSION_TOO_LOW,
		   "client offered at most TLS 1.0; server requires TLS 1.2 and "
		   "sent protocol_version(70) right after the ClientHello (frame 12)",
		   REMEDY_CLIENT);
	evidence(v, 10, 12);
	return r;
}

static struct sti_record *simple_session(uint64_t id, enum sti_outcome o,
					 enum sti_reason why, struct sti_verdict *v)
{
	struct sti_record *r = mk_rec(id);
	row(r, STI_S2C, 100 + id, 0, "220 mx.example.test ESMTP");
	mk_verdict(v, o, o == STI_OUTCOME_OK ? STI_CAUSE_NONE : STI_CAUSE_UNKNOWN,
		   why, "explained", "remedied");
	evidence(v, 100 + id, 0);
	return r;
}

/* ---- tests ---- */

/* One failed session: the whole block, the count line and the summary. */
static void test_failed_block(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = failed_session(7, &v);

	w = run_open(false);
	run_session(w, "capture.pcap", r, &v);
	run_file_done(w, "capture.pcap", NULL);
	ASSERT_LINES(run_close(w),
		"== capture.pcap ==",
		"",
		"#7 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: client  reason: client_version_too_low  (certain)",
		"  client offered at most TLS 1.0; server requires TLS 1.2 and sent",
		"  protocol_version(70) right after the ClientHello (frame 12)",
		"  fix: Enable TLS 1.2 or later on the sending server (the client): on",
		"       Windows/Exchange enable TLS 1.2 in SChannel: set",
		"       \"Enabled\"=dword:00000001 under",
		"       HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS",
		"       1.2\\Client, and restart.",
		"  evidence: frames 10, 12",
		"      time  frame  client                                   server",
		"   +0.000s      4                                       <-- 220 mx.example.test ESMTP Postfix",
		"   +0.001s      5  EHLO client.example                  -->",
		"   +0.001s      6                                       <-- 250 EHLO reply: STARTTLS offered",
		"   +0.002s      7  STARTTLS                             -->",
		"   +0.002s      8                                       <-- 220 2.0.0 Ready to start TLS",
		"   +0.003s     10  ClientHello max 1.0 [1.0] 12 ciphers -->",
		"   +0.004s     12                                       <-- Alert fatal protocol_version(70)",
		"   +0.004s     13                                       <-- FIN",
		"",
		"ok: 0 sessions, incomplete: 0",
		"",
		"sessions: 1  failed: 1  deprecated: 0  no_tls: 0  ok: 0  incomplete: 0");
	run_free(w);
}

/*
 * Sessions arrive mixed; the file prints failed, then deprecated, then
 * no_tls in detail, each in arrival order, then the ok and incomplete
 * counts with the incomplete reasons in table order. A fix already printed
 * in the category is referred back to.
 */
static void test_order(void **state)
{
	(void)state;
	static const struct {
		enum sti_outcome o;
		enum sti_reason why;
	} in[] = {
		{ STI_OUTCOME_OK, STI_REASON_TLS_OK },                            /* 1 */
		{ STI_OUTCOME_NO_TLS, STI_REASON_CLIENT_SKIPPED_STARTTLS },       /* 2 */
		{ STI_OUTCOME_DEPRECATED, STI_REASON_VERSION_BELOW_POLICY },      /* 3 */
		{ STI_OUTCOME_FAILED, STI_REASON_NO_SHARED_CIPHER },              /* 4 */
		{ STI_OUTCOME_INCOMPLETE, STI_REASON_CAPTURE_GAP },               /* 5 */
		{ STI_OUTCOME_FAILED, STI_REASON_STARTTLS_REFUSED },              /* 6 */
		{ STI_OUTCOME_INCOMPLETE, STI_REASON_CAPTURE_STARTED_MID_SESSION }, /* 7 */
		{ STI_OUTCOME_OK, STI_REASON_TLS_OK },                            /* 8 */
		{ STI_OUTCOME_INCOMPLETE, STI_REASON_CAPTURE_GAP },               /* 9 */
		{ STI_OUTCOME_NO_TLS, STI_REASON_STARTTLS_NOT_OFFERED },          /* 10 */
	};
	struct run *w;
	w = run_open(false);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct sti_verdict v;
		struct sti_record *r = simple_session(i + 1, in[i].o, in[i].why, &v);
		run_session(w, "mixed.pcap", r, &v);
	}
	run_file_done(w, "mixed.pcap", NULL);
	ASSERT_LINES(run_close(w),
		"== mixed.pcap ==",
		"",
		"#4 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: unknown  reason: no_shared_cipher  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 104",
		"      time  frame  client     server",
		"   +0.000s    104         <-- 220 mx.example.test ESMTP",
		"",
		"#6 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: unknown  reason: starttls_refused  (certain)",
		"  explained",
		"  fix: the same as for #4 above",
		"  evidence: frame 106",
		"      time  frame  client     server",
		"   +0.000s    106         <-- 220 mx.example.test ESMTP",
		"",
		"#3 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"DEPRECATED  cause: unknown  reason: version_below_policy  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 103",
		"      time  frame  client     server",
		"   +0.000s    103         <-- 220 mx.example.test ESMTP",
		"",
		"#2 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"NO_TLS  cause: unknown  reason: client_skipped_starttls  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 102",
		"      time  frame  client     server",
		"   +0.000s    102         <-- 220 mx.example.test ESMTP",
		"",
		"#10 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"NO_TLS  cause: unknown  reason: starttls_not_offered  (certain)",
		"  explained",
		"  fix: the same as for #2 above",
		"  evidence: frame 110",
		"      time  frame  client     server",
		"   +0.000s    110         <-- 220 mx.example.test ESMTP",
		"",
		"ok: 2 sessions, incomplete: 3 (capture_started_mid_session 1, capture_gap 2)",
		"",
		"sessions: 10  failed: 2  deprecated: 1  no_tls: 2  ok: 2  incomplete: 3");
	run_free(w);
}

/*
 * The ladder rows of out: the column where every row's arrow starts (they
 * must agree), the longest row, and how many rows there are.
 */
static void ladder_columns(const char *out, size_t *arrow_col, size_t *max_len,
			   unsigned *rows)
{
	char line[512];
	bool in_ladder = false;
	*arrow_col = 0;
	*max_len = 0;
	*rows = 0;
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		p += l + (nl ? 1 : 0);
		if (strstr(line, "frame  client")) {
			in_ladder = true;
			continue;
		}
		if (!in_ladder || l == 0 || strncmp(line, "  (", 3) == 0) {
			in_ladder = false;
			continue;
		}
		const char *a = strstr(line, " <-- ");
		if (!a && l >= 4 && strcmp(line + l - 4, " -->") == 0)
			a = line + l - 4;
		if (!a)
			fail_msg("a ladder row without an arrow: \"%s\"", line);
		size_t col = (size_t)(a - line);
		if (*rows && col != *arrow_col)
			fail_msg("arrow at column %zu, not %zu: \"%s\"", col,
				 *arrow_col, line);
		*arrow_col = col;
		(*rows)++;
		if (l > *max_len)
			*max_len = l;
	}
}

/* Long texts on both sides are cut with "..." and the columns hold. */
static void test_ladder_truncation(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = mk_rec(3);
	char lc[STI_LADDER_TEXT], ls[STI_LADDER_TEXT];
	memset(lc, 'c', sizeof(lc) - 1);
	lc[sizeof(lc) - 1] = '\0';
	memcpy(lc, "ClientHello max 1.3 [1.3,1.2,1.1,1.0] ", 38);
	memset(ls, 's', sizeof(ls) - 1);
	ls[sizeof(ls) - 1] = '\0';
	memcpy(ls, "Certificate CN=", 15);
	row(r, STI_S2C, 4, 0, "220 mx.example.test ESMTP");
	row(r, STI_C2S, 10, 3000, lc);
	row(r, STI_S2C, 11, 4000, ls);
	row(r, STI_C2S, 12, 5000, "Alert fatal bad_certificate(42)");
	r->ladder_dropped = 3;
	mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		   STI_REASON_CLIENT_REJECTED_CERTIFICATE, "e", "f");
	w = run_open(false);
	run_session(w, "t.pcap", r, &v);
	run_file_done(w, "t.pcap", NULL);
	const char *out = run_close(w);

	/* 19 columns of time and frame, 75 of text split 37/38, 5 of arrows. */
	char buf[256];
	assert_non_null(find_line(out, "      time", buf, sizeof(buf)));
	assert_string_equal(buf, "      time  frame  client                                    server");
	assert_non_null(find_line(out, "   +0.003s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.003s     10  ClientHello max 1.3 [1.3,1.2,1.1,1... -->");
	assert_non_null(find_line(out, "   +0.004s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.004s     11                                        "
			    "<-- Certificate CN=ssssssssssssssssssss...");
	assert_non_null(find_line(out, "   +0.005s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.005s     12  Alert fatal bad_certificate(42)       -->");
	assert_non_null(find_line(out, "   +0.000s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.000s      4                                        "
			    "<-- 220 mx.example.test ESMTP");
	assert_non_null(find_line(out, "  (3 more", buf, sizeof(buf)));
	assert_string_equal(buf, "  (3 more rows not shown)");

	size_t col, max;
	unsigned rows;
	ladder_columns(out, &col, &max, &rows);
	assert_int_equal(rows, 4);
	assert_int_equal(col, 56);
	assert_int_equal(max, 99);
	run_free(w);
}

/* Client rows long and server rows short: the client gets the room. */
static void test_ladder_uneven(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = mk_rec(3);
	row(r, STI_C2S, 10, 3000, "ClientHello max 1.3 [1.3,1.2,1.1,1.0] 31 ciphers SNI mx.example.test");
	row(r, STI_S2C, 11, 4000, "RST");
	r->ladder_dropped = 1;
	mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		   STI_REASON_SERVER_ABORTED_HANDSHAKE, "e", "f");
	w = run_open(false);
	run_session(w, "t.pcap", r, &v);
	run_file_done(w, "t.pcap", NULL);
	const char *out = run_close(w);
	char buf[256];
	assert_non_null(find_line(out, "   +0.003s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.003s     10  ClientHello max 1.3 [1.3,1.2,1.1,1.0] "
			    "31 ciphers SNI mx.example.test -->");
	assert_non_null(find_line(out, "   +0.004s", buf, sizeof(buf)));
	char want[256];
	snprintf(want, sizeof(want), "   +0.004s     11  %*s <-- RST", 68, "");
	assert_string_equal(buf, want);
	assert_non_null(find_line(out, "  (1 more", buf, sizeof(buf)));
	assert_string_equal(buf, "  (1 more row not shown)");
	run_free(w);
}

/* What the text report shows for byte c of wire text. */
static char shown(unsigned char c)
{
	if (c == '\t' || c == '\n' || c == '\r')
		return ' ';
	return c < 0x20 || c > 0x7e ? '?' : (char)c;
}

/*
 * Wire bytes in a ladder row and in an explanation reach the terminal as
 * printable ASCII only (the copy maps 16 bytes at a time): every byte
 * value 1..255 at every offset modulo 16, each shown as itself, a space
 * (tab, line ends) or '?'.
 */
static void test_wire_bytes_cleaned(void **state)
{
	(void)state;
	for (unsigned shift = 0; shift < 16; shift += 5) {
		struct sti_verdict v;
		struct sti_record *r = mk_rec(4);
		char text[40], want[40], expl[300], expl_want[300];
		size_t k = 0;
		for (unsigned i = 0; i < 39; i++) {
			unsigned char c = (unsigned char)(1 + (i * 11 + shift * 3) % 255);
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				c = 'w';   /* the ladder's row and the wrap keep spaces */
			text[i] = (char)c;
			want[i] = shown(c);
		}
		text[39] = want[39] = '\0';
		for (unsigned c = 1; c < 256; c++) {
			unsigned char b = (unsigned char)c;
			if (b == ' ' || b == '\t' || b == '\n' || b == '\r')
				continue;
			expl[k] = (char)b;
			expl_want[k++] = shown(b);
		}
		expl[k] = expl_want[k] = '\0';
		memmove(expl, expl + shift, k - shift + 1);
		memmove(expl_want, expl_want + shift, k - shift + 1);
		row(r, STI_C2S, 7, 1000, text);
		mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
			   STI_REASON_SERVER_ABORTED_HANDSHAKE, expl, "f");
		struct run *w = run_open(false);
		run_session(w, "t.pcap", r, &v);
		run_file_done(w, "t.pcap", NULL);
		const char *out = run_close(w);
		char buf[512], line[512];
		snprintf(line, sizeof(line), "   +0.001s      7  %s -->", want);
		assert_non_null(find_line(out, "   +0.001s", buf, sizeof(buf)));
		assert_string_equal(buf, line);
		snprintf(line, sizeof(line), "  %s", expl_want);
		assert_non_null(strstr(out, line));
		run_free(w);
	}
}

/* Huge frame numbers and long times widen their fields; lines stay <= 99. */
static void test_ladder_wide_fields(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = mk_rec(3);
	char big[STI_LADDER_TEXT];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	row(r, STI_S2C, 9, -1500, "220 early (clock stepped back)");
	row(r, STI_C2S, 12345678901ULL, INT64_C(98765) * 1000000 + 432100, big);
	row(r, STI_S2C, 12345678902ULL, INT64_C(98765) * 1000000 + 999999, big);
	mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		   STI_REASON_SERVER_ABORTED_HANDSHAKE, "e", "f");
	w = run_open(false);
	run_session(w, "t.pcap", r, &v);
	run_file_done(w, "t.pcap", NULL);
	const char *out = run_close(w);
	char buf[256];
	assert_non_null(find_line(out, "       time", buf, sizeof(buf)));
	/* 26 columns of time and frame leave 68 of text: 34 each. */
	char want[256];
	snprintf(want, sizeof(want), "       time        frame  client%*sserver", 34 - 6 + 5, "");
	assert_string_equal(buf, want);
	assert_non_null(find_line(out, "    -0.001s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "    -0.001s            9  %*s <-- 220 early (clock "
		 "stepped back)", 34, "");
	assert_string_equal(buf, want);
	assert_non_null(find_line(out, "+98765.432s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "+98765.432s  12345678901  %.31s... -->", big);
	assert_string_equal(buf, want);
	assert_non_null(find_line(out, "+98765.999s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "+98765.999s  12345678902  %*s <-- %.31s...", 34, "", big);
	assert_string_equal(buf, want);
	size_t col, max;
	unsigned rows;
	ladder_columns(out, &col, &max, &rows);
	assert_int_equal(rows, 3);
	assert_int_equal(max, 99);
	run_free(w);
}

/* No escape byte anywhere without colour, whatever the outcomes. */
static void test_no_color(void **state)
{
	(void)state;
	struct run *w;
	w = run_open(false);
	for (unsigned o = 0; o < STI_OUTCOME_COUNT; o++) {
		struct sti_verdict v;
		struct sti_record *r = simple_session(o + 1, (enum sti_outcome)o,
						      STI_REASON_CAPTURE_GAP, &v);
		run_session(w, "c.pcap", r, &v);
	}
	run_file_done(w, "c.pcap", NULL);
	const char *out = run_close(w);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "\nFAILED  cause:"));
	assert_non_null(strstr(out, "\nDEPRECATED  cause:"));
	assert_non_null(strstr(out, "\nNO_TLS  cause:"));
	run_free(w);
}

/* With colour: the outcome words, and only them, in their colours. */
static void test_color(void **state)
{
	(void)state;
	struct run *w;
	w = run_open(true);
	for (unsigned o = 0; o < STI_OUTCOME_COUNT; o++) {
		struct sti_verdict v;
		struct sti_record *r = simple_session(o + 1, (enum sti_outcome)o,
						      STI_REASON_CAPTURE_GAP, &v);
		run_session(w, "c.pcap", r, &v);
	}
	run_file_done(w, "c.pcap", NULL);
	const char *out = run_close(w);
	char buf[256];
	assert_non_null(find_line(out, "\033[31mFAILED", buf, sizeof(buf)));
	assert_string_equal(buf, "\033[31mFAILED\033[0m  cause: unknown  reason: capture_gap  (certain)");
	assert_non_null(find_line(out, "\033[33mDEPRECATED", buf, sizeof(buf)));
	assert_string_equal(buf, "\033[33mDEPRECATED\033[0m  cause: unknown  reason: capture_gap  (certain)");
	assert_non_null(find_line(out, "\033[35mNO_TLS", buf, sizeof(buf)));
	assert_string_equal(buf, "\033[35mNO_TLS\033[0m  cause: unknown  reason: capture_gap  (certain)");
	assert_non_null(find_line(out, "\033[32mok", buf, sizeof(buf)));
	assert_string_equal(buf, "\033[32mok\033[0m: 1 session, \033[90mincomplete\033[0m: 1 "
			    "(capture_gap 1), \033[90mnot_smtp\033[0m: 1 (capture_gap 1)");
	assert_non_null(find_line(out, "sessions:", buf, sizeof(buf)));
	assert_string_equal(buf, "sessions: 6  \033[31mfailed\033[0m: 1  \033[33mdeprecated\033[0m: 1  "
			    "\033[35mno_tls\033[0m: 1  \033[32mok\033[0m: 1  \033[90mincomplete\033[0m: 1  "
			    "\033[90mnot_smtp\033[0m: 1");
	/* Nowhere else: 3 verdict lines, 2 words of the count line and 5 of
	 * the summary, each word with its colour and its reset. */
	unsigned n = 0;
	for (const char *p = out; (p = strstr(p, "\033[")) != NULL; p++)
		n++;
	assert_int_equal(n, 2 * (3 + 3 + 6));
	run_free(w);
}

/* A count of zero is not coloured: a green "ok: 0" would mislead. */
static void test_color_zero_counts(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = simple_session(1, STI_OUTCOME_FAILED,
					      STI_REASON_STARTTLS_REFUSED, &v);
	w = run_open(true);
	run_session(w, "z.pcap", r, &v);
	run_file_done(w, "z.pcap", NULL);
	const char *out = run_close(w);
	char buf[256];
	assert_non_null(find_line(out, "ok:", buf, sizeof(buf)));
	assert_string_equal(buf, "ok: 0 sessions, incomplete: 0");
	assert_non_null(find_line(out, "sessions:", buf, sizeof(buf)));
	assert_string_equal(buf, "sessions: 1  \033[31mfailed\033[0m: 1  deprecated: 0  "
			    "no_tls: 0  ok: 0  incomplete: 0");
	run_free(w);
}

/* The summary line counts the run's tally, all files together. */
static void test_summary_line(void **state)
{
	(void)state;
	struct run *w;
	struct sti_tally t;
	memset(&t, 0, sizeof(t));
	t.sessions = 14;
	t.by_outcome[STI_OUTCOME_FAILED] = 9;
	t.by_outcome[STI_OUTCOME_DEPRECATED] = 2;
	t.by_outcome[STI_OUTCOME_NO_TLS] = 1;
	t.by_outcome[STI_OUTCOME_OK] = 2;
	w = run_open(false);
	w->r->ops->finish(w->r, &t);
	w->r->ops->destroy(w->r);
	w->r = NULL;
	assert_int_equal(fclose(w->f), 0);
	w->f = NULL;
	ASSERT_LINES(w->buf,
		"",
		"sessions: 14  failed: 9  deprecated: 2  no_tls: 1  ok: 2  incomplete: 0");
	run_free(w);
}

/* Without a tally from the caller, the reporter counts what it saw. */
static void test_summary_own_tally(void **state)
{
	(void)state;
	struct run *w;
	w = run_open(false);
	for (unsigned i = 0; i < 3; i++) {
		struct sti_verdict v;
		struct sti_record *r = simple_session(i + 1, i ? STI_OUTCOME_OK
						      : STI_OUTCOME_INCOMPLETE,
						      STI_REASON_CAPTURE_GAP, &v);
		run_session(w, "a.pcap", r, &v);
	}
	run_file_done(w, "a.pcap", NULL);
	w->r->ops->finish(w->r, NULL);
	w->r->ops->destroy(w->r);
	w->r = NULL;
	assert_int_equal(fclose(w->f), 0);
	w->f = NULL;
	ASSERT_LINES(w->buf,
		"== a.pcap ==",
		"",
		"ok: 2 sessions, incomplete: 1 (capture_gap 1)",
		"",
		"sessions: 3  failed: 0  deprecated: 0  no_tls: 0  ok: 2  incomplete: 1");
	run_free(w);
}

/* IPv6 endpoints in brackets; implicit TLS and plaintext modes named. */
static void test_ipv6_and_modes(void **state)
{
	(void)state;
	static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0x01, 0x25 };
	struct run *w;
	struct sti_verdict v1, v2, v3;
	struct sti_record *r1 = simple_session(1, STI_OUTCOME_FAILED,
					       STI_REASON_PEER_ALERT, &v1);
	struct sti_record *r2 = simple_session(2, STI_OUTCOME_NO_TLS,
					       STI_REASON_STARTTLS_NOT_OFFERED, &v2);
	struct sti_record *r3 = simple_session(3, STI_OUTCOME_FAILED,
					       STI_REASON_CAPTURE_GAP, &v3);
	ep6(&r1->cli, c6, 40101);
	ep6(&r1->srv, s6, 465);
	r1->proto = STI_PROTO_TLS;
	r1->mode = STI_MODE_IMPLICIT;
	r2->mode = STI_MODE_PLAINTEXT;
	r3->mode = STI_MODE_UNKNOWN;
	w = run_open(false);
	run_session(w, "6.pcap", r1, &v1);
	run_session(w, "6.pcap", r2, &v2);
	run_session(w, "6.pcap", r3, &v3);
	run_file_done(w, "6.pcap", NULL);
	const char *out = run_close(w);
	char buf[256];
	assert_non_null(find_line(out, "#1 ", buf, sizeof(buf)));
	assert_string_equal(buf, "#1 2023-11-14 22:13:20 UTC [2001:db8::10]:40101 -> [2001:db8::125]:465 (tls implicit)");
	assert_non_null(find_line(out, "#2 ", buf, sizeof(buf)));
	assert_string_equal(buf, "#2 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp plaintext)");
	assert_non_null(find_line(out, "#3 ", buf, sizeof(buf)));
	assert_string_equal(buf, "#3 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp)");
	run_free(w);
}

/* Bounded output: 10,000 ok sessions leave nothing but their count. */
static void test_ten_thousand_ok(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = simple_session(1, STI_OUTCOME_OK, STI_REASON_TLS_OK, &v);
	w = run_open(false);
	for (uint64_t i = 1; i <= 10000; i++) {
		r->id = i;
		run_session(w, "big.pcap", r, &v);
	}
	run_file_done(w, "big.pcap", NULL);
	ASSERT_LINES(run_close(w),
		"== big.pcap ==",
		"",
		"ok: 10000 sessions, incomplete: 0",
		"",
		"sessions: 10000  failed: 0  deprecated: 0  no_tls: 0  ok: 10000  incomplete: 0");
	run_free(w);
}

/*
 * A file that fails midway still shows what it had; a file that could not
 * be read at all shows nothing. The error line itself goes to standard
 * error only (the caller prints it), never twice. Each file has its own
 * header and counts; standard input is named so.
 */
static void test_errors_and_files(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v1, v2, v3;
	struct sti_record *r1 = simple_session(1, STI_OUTCOME_FAILED,
					       STI_REASON_STARTTLS_REFUSED, &v1);
	struct sti_record *r2 = simple_session(2, STI_OUTCOME_OK, STI_REASON_TLS_OK, &v2);
	struct sti_record *r3 = simple_session(1, STI_OUTCOME_INCOMPLETE,
					       STI_REASON_CAPTURE_GAP, &v3);
	w = run_open(false);
	run_session(w, "a.pcap", r1, &v1);
	run_session(w, "a.pcap", r2, &v2);
	run_file_done(w, "a.pcap", "frame 9: truncated record");
	run_file_done(w, "missing.pcap", "missing.pcap: No such file or directory");
	run_file_done(w, "x.pcap", "x.pcapng: named otherwise");
	run_session(w, "-", r3, &v3);
	run_file_done(w, "-", NULL);
	ASSERT_LINES(run_close(w),
		"== a.pcap ==",
		"",
		"#1 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: unknown  reason: starttls_refused  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 101",
		"      time  frame  client     server",
		"   +0.000s    101         <-- 220 mx.example.test ESMTP",
		"",
		"ok: 1 session, incomplete: 0",
		"",
		"== standard input ==",
		"",
		"ok: 0 sessions, incomplete: 1 (capture_gap 1)",
		"",
		"sessions: 3  failed: 1  deprecated: 0  no_tls: 0  ok: 1  incomplete: 1");
	run_free(w);
}

/* Frames the decoder could not use are noted under the counts. */
static void test_ingest_note(void **state)
{
	(void)state;
	struct run *w = run_open(false);
	struct sti_ingest_stats st;
	memset(&st, 0, sizeof(st));
	st.frames = 100;
	st.by_status[STI_DEC_TCP] = 90;
	st.by_status[STI_DEC_FRAGMENT] = 7;
	st.by_status[STI_DEC_MALFORMED] = 1;
	w->r->ops->file_done(w->r, "frag.pcap", &st, &w->file_tally, NULL);
	st.by_status[STI_DEC_FRAGMENT] = 0;
	st.by_status[STI_DEC_MALFORMED] = 0;
	w->r->ops->file_done(w->r, "clean.pcap", &st, &w->file_tally, NULL);
	ASSERT_LINES(run_close(w),
		"== frag.pcap ==",
		"",
		"ok: 0 sessions, incomplete: 0",
		"note: 7 IP fragment(s) not reassembled, 1 malformed frame(s); "
		"sessions in them may be missing or incomplete",
		"",
		"== clean.pcap ==",
		"",
		"ok: 0 sessions, incomplete: 0",
		"",
		"sessions: 0  failed: 0  deprecated: 0  no_tls: 0  ok: 0  incomplete: 0");
}

/* The fallback line, a single evidence frame, no evidence, no ladder. */
static void test_fallback_and_evidence(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v1, v2;
	struct sti_record *r1 = mk_rec(8);
	struct sti_record *r2 = mk_rec(9);
	r1->mode = STI_MODE_PLAINTEXT;
	r1->fallback_after = 7;
	row(r1, STI_S2C, 40, 0, "220 mx.example.test ESMTP");
	row(r1, STI_C2S, 41, 250000, "EHLO client.example");
	mk_verdict(&v1, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		   STI_REASON_CLIENT_SKIPPED_STARTTLS,
		   "STARTTLS was offered and the client sent mail in clear", "x");
	evidence(&v1, 41, 0);
	mk_verdict(&v2, STI_OUTCOME_FAILED, STI_CAUSE_UNKNOWN,
		   STI_REASON_PEER_ALERT, "", "");
	v2.confidence = STI_INFERRED;
	w = run_open(false);
	run_session(w, "f.pcap", r1, &v1);
	run_session(w, "f.pcap", r2, &v2);
	run_file_done(w, "f.pcap", NULL);
	ASSERT_LINES(run_close(w),
		"== f.pcap ==",
		"",
		"#9 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: unknown  reason: peer_alert  (inferred)",
		"",
		"#8 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp plaintext)",
		"NO_TLS  cause: client  reason: client_skipped_starttls  (certain)",
		"  STARTTLS was offered and the client sent mail in clear",
		"  fix: x",
		"  evidence: frame 41",
		"  fallback: possibly a plaintext retry after the failed TLS of session #7",
		"      time  frame  client                  server",
		"   +0.000s     40                      <-- 220 mx.example.test ESMTP",
		"   +0.250s     41  EHLO client.example -->",
		"",
		"ok: 0 sessions, incomplete: 0",
		"",
		"sessions: 2  failed: 1  deprecated: 0  no_tls: 1  ok: 0  incomplete: 0");
	run_free(w);
}

/*
 * Prose wraps before column 76 with its indent kept; only a word longer
 * than a line (the registry path) runs past, alone on its line.
 */
static void test_wrap(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = failed_session(1, &v);
	size_t n = 0, words = 0;
	while (n + 8 < sizeof(v.explanation)) {
		memcpy(v.explanation + n, "word123 ", 8);
		n += 8;
		words++;
	}
	v.explanation[n] = '\0';
	w = run_open(false);
	run_session(w, "w->pcap", r, &v);
	run_file_done(w, "w->pcap", NULL);
	const char *out = run_close(w);

	char line[512];
	size_t expl_lines = 0, fix_lines = 0, long_words = 0;
	bool in_ladder = false;
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = (size_t)(nl - p);
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		p = nl + 1;
		if (strstr(line, "frame  client"))
			in_ladder = true;
		if (in_ladder || strncmp(line, "  ", 2) != 0)
			continue;
		if (strncmp(line, "  word123", 9) == 0) {
			expl_lines++;
			/* 2 + 9 words of 7 + 8 spaces = 73; a tenth would reach 81. */
			if (expl_lines < (words + 8) / 9)
				assert_int_equal(l, 73);
		}
		if (strncmp(line, "  fix: ", 7) == 0 || strncmp(line, "       ", 7) == 0)
			fix_lines++;
		if (l > 76) {
			/* Past the column: one word only, after the indent. */
			const char *t = line + strspn(line, " ");
			assert_null(strchr(t, ' '));
			long_words++;
		}
	}
	assert_int_equal(expl_lines, (words + 8) / 9);
	assert_int_equal(fix_lines, 5);
	assert_int_equal(long_words, 1);
	run_free(w);
}

/*
 * The widest fields a ladder can have: frames up to 2^64 - 1, times as far
 * from the first packet as 64 bits allow either way, and texts that fill
 * the row's 112 bytes without a NUL, ending in bytes the copy replaces
 * (the last 16-byte step of the row): cut to 111 bytes as before, cleaned,
 * and the columns still right-aligned.
 */
static void test_ladder_extreme_fields(void **state)
{
	(void)state;
	struct sti_verdict v;
	struct sti_record *r = mk_rec(9);
	r->first_ts = INT64_MIN;
	row(r, STI_C2S, UINT64_MAX, 0, "x");
	row(r, STI_S2C, 1, 0, "y");
	r->ladder[0].ts_us = INT64_MAX;     /* 18446744073709.551615 s after */
	r->ladder[1].ts_us = INT64_MIN;     /* the first packet itself */
	for (unsigned i = 0; i < 2; i++) {
		char *t = r->ladder[i].text;
		memset(t, i ? 's' : 'c', STI_LADDER_TEXT);
		t[STI_LADDER_TEXT - 3] = '\t';
		t[STI_LADDER_TEXT - 2] = '\033';
		t[STI_LADDER_TEXT - 1] = '\001';   /* not shown: past the cut */
	}
	mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		   STI_REASON_SERVER_ABORTED_HANDSHAKE, "e", "f");
	struct run *w = run_open(false);
	run_session(w, "x.pcap", r, &v);
	run_file_done(w, "x.pcap", NULL);
	const char *out = run_close(w);
	/* 20 columns of time, 20 of frame: 50 of text, 25 each (both are
	 * longer than half). */
	char buf[256], want[256], cut[32];
	memset(cut, 'c', 22);
	memcpy(cut + 22, "...", 4);
	assert_non_null(find_line(out, "+18446744073709.551s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "+18446744073709.551s  18446744073709551615  %s -->", cut);
	assert_string_equal(buf, want);
	memset(cut, 's', 22);
	assert_non_null(find_line(out, "             +0.000s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "             +0.000s                     1  %25s <-- %s",
		 "", cut);
	assert_string_equal(buf, want);
	run_free(w);

	/* The client's side alone: all of the room (75 columns), and what is
	 * past it cut. */
	r = mk_rec(10);
	row(r, STI_C2S, 5, 0, "z");
	memset(r->ladder[0].text, 'c', STI_LADDER_TEXT);
	r->ladder[0].text[10] = '\n';
	r->ladder[0].text[71] = '\177';
	r->ladder[0].text[STI_LADDER_TEXT - 3] = '\t';
	r->ladder[0].text[STI_LADDER_TEXT - 2] = '\033';
	r->ladder[0].text[STI_LADDER_TEXT - 1] = '\001';
	r->ladder[0].ts_us = T0 - 2500;
	w = run_open(false);
	run_session(w, "x.pcap", r, &v);
	run_file_done(w, "x.pcap", NULL);
	out = run_close(w);
	char text[STI_LADDER_TEXT];
	memset(text, 'c', sizeof(text));
	text[10] = ' ';
	text[71] = '?';
	text[STI_LADDER_TEXT - 1] = '\0';
	assert_non_null(find_line(out, "   -0.002s", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "   -0.002s      5  %.72s... -->", text);
	assert_string_equal(buf, want);
	run_free(w);
}

/* The old word-by-word wrap, to hold the new one to: the same lines for
 * any spacing. */
static void reference_wrap(char *out, size_t cap, const char *first, const char *cont,
			   const char *text)
{
	size_t n = 0, col = strlen(first);
	bool line_empty = true;
	n += (size_t)snprintf(out + n, cap - n, "%s", first);
	for (const char *p = text;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t w = strcspn(p, " ");
		if (!line_empty && col + 1 + w > 76) {
			n += (size_t)snprintf(out + n, cap - n, "\n%s", cont);
			col = strlen(cont);
			line_empty = true;
		}
		if (!line_empty) {
			out[n++] = ' ';
			col++;
		}
		n += (size_t)snprintf(out + n, cap - n, "%.*s", (int)w, p);
		col += w;
		line_empty = false;
		p += w;
	}
	snprintf(out + n, cap - n, "\n");
}

/*
 * Words one space apart go out as one run: texts with runs of spaces
 * between words, at the start and the end, words of every length up to
 * one longer than a line, wrap exactly as word by word.
 */
static void test_wrap_spacing(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	for (unsigned round = 0; round < 200; round++) {
		struct sti_verdict v;
		struct sti_record *r = failed_session(1, &v);
		size_t n = 0;
		while (n < 400) {
			seed = seed * 1103515245u + 12345u;
			unsigned spaces = (seed >> 16) % 7 == 0 ? 1 + (seed >> 20) % 4 : 1;
			unsigned word = 1 + (seed >> 8) % ((seed >> 24) % 9 == 0 ? 90 : 12);
			for (unsigned i = 0; i < spaces; i++)
				v.explanation[n++] = ' ';
			for (unsigned i = 0; i < word; i++)
				v.explanation[n++] = (char)('a' + (i + round) % 26);
		}
		if (round % 2)
			v.explanation[n++] = ' ';
		v.explanation[n] = '\0';
		struct run *w = run_open(false);
		run_session(w, "w.pcap", r, &v);
		run_file_done(w, "w.pcap", NULL);
		const char *out = run_close(w);
		char want[2048];
		reference_wrap(want, sizeof(want), "  ", "  ", v.explanation);
		if (!strstr(out, want))
			fail_msg("round %u: the wrapped text is not\n%s\nin\n%s", round, want, out);
		run_free(w);
		teardown(NULL);
	}
}

/* The title's time: from the day cache in UTC (years 1000 to 9999),
 * sti_report_time's otherwise (other years, before 1970, --localtime);
 * the same text either way. */
static void test_title_times(void **state)
{
	(void)state;
	static const int64_t secs[] = {
		0, 1700000000, -1, -86401, -30610224000 /* 1000-01-01 */,
		-30610224001 /* 999-12-31 */, 253402300799 /* 9999-12-31 23:59:59 */,
		253402300800 /* year 10000 */, 951782400 /* 2000-02-29 */,
	};
	for (int local = 0; local < 2; local++) {
		for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
			struct sti_verdict v;
			struct sti_record *r = failed_session(1, &v);
			r->first_ts = secs[i] * 1000000 + 123456;
			struct sti_report_opts o = { .localtime = local, .min_version = 0x0303 };
			struct run *w = run_open_opts(&o);
			run_session(w, "t.pcap", r, &v);
			run_session(w, "t.pcap", r, &v);   /* the cached day */
			run_file_done(w, "t.pcap", NULL);
			const char *out = run_close(w);
			char when[64], want[128];
			sti_report_time(when, sizeof(when), r->first_ts, local);
			snprintf(want, sizeof(want), "\n#1 %s 192.0.2.10:40101 -> ", when);
			const char *at = strstr(out, want);
			assert_non_null(at);
			assert_non_null(strstr(at + 1, want));
			run_free(w);
			teardown(NULL);
		}
	}
}

/* The reporter asks for a session's ladder exactly when it prints the
 * session: failed, deprecated and no_tls by default; every session with
 * a selection or --find; live, all but the ok ones. */
static void test_ladder_wanted(void **state)
{
	(void)state;
	static const enum sti_outcome outcomes[] = {
		STI_OUTCOME_FAILED, STI_OUTCOME_DEPRECATED, STI_OUTCOME_NO_TLS,
		STI_OUTCOME_OK, STI_OUTCOME_INCOMPLETE, STI_OUTCOME_NOT_SMTP,
		(enum sti_outcome)99,
	};
	for (int mode = 0; mode < 4; mode++) {
		struct sti_report_opts o = { .min_version = 0x0303, .full = mode == 1,
					     .mta_find = mode == 2, .live = mode == 3 };
		for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
			enum sti_outcome oc = outcomes[i];
			struct sti_verdict v;
			struct sti_record *r = simple_session(7, STI_OUTCOME_FAILED,
								 STI_REASON_SERVER_ABORTED_HANDSHAKE, &v);
			v.outcome = oc;
			struct run *w = run_open_opts(&o);
			bool wanted = sti_reporter_ladder_wanted(w->r, r, &v);
			bool by_default = oc == STI_OUTCOME_FAILED || oc == STI_OUTCOME_DEPRECATED ||
					  oc == STI_OUTCOME_NO_TLS;
			bool want = mode == 3 ? oc != STI_OUTCOME_OK : mode ? true : by_default;
			if (wanted != want)
				fail_msg("mode %d outcome %d: wanted %d", mode, (int)oc, wanted);
			run_session(w, "t.pcap", r, &v);
			run_file_done(w, "t.pcap", NULL);
			const char *out = run_close(w);
			/* printed in detail exactly when wanted: the block's
			 * title (a live ok session gets a one-line title) */
			bool block = strstr(out, "\n#7 2023-") != NULL;
			assert_int_equal(block, wanted);
			run_free(w);
			teardown(NULL);
		}
	}
}

/* Bytes from the wire cannot reach the terminal as control sequences. */
static void test_sanitize(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = mk_rec(5);
	row(r, STI_S2C, 4, 0, "220 evil\033[2J\033]0;pwned\007 ESMTP");
	mk_verdict(&v, STI_OUTCOME_FAILED, STI_CAUSE_SERVER, STI_REASON_STARTTLS_REFUSED,
		   "the server answered \"454 \033[31mno\ttls\r\n\"", "fix\177it\200");
	w = run_open(false);
	run_session(w, "s.pcap", r, &v);
	run_file_done(w, "s.pcap", NULL);
	const char *out = run_close(w);
	for (const char *p = out; *p; p++)
		assert_true(*p == '\n' || (*p >= 0x20 && *p <= 0x7e));
	char buf[256];
	assert_non_null(find_line(out, "  the server", buf, sizeof(buf)));
	assert_string_equal(buf, "  the server answered \"454 ?[31mno tls \"");
	assert_non_null(find_line(out, "  fix:", buf, sizeof(buf)));
	assert_string_equal(buf, "  fix: fix?it?");
	assert_non_null(find_line(out, "   +0.000s", buf, sizeof(buf)));
	assert_string_equal(buf, "   +0.000s      4         <-- 220 evil?[2J?]0;pwned? ESMTP");
	run_free(w);
}

/* Sessions reported without their file_done are still printed at finish. */
static void test_finish_flushes(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = simple_session(2, STI_OUTCOME_DEPRECATED,
					      STI_REASON_VERSION_BELOW_POLICY, &v);
	w = run_open(false);
	run_session(w, "late.pcap", r, &v);
	ASSERT_LINES(run_close(w),
		"== late.pcap ==",
		"",
		"#2 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"DEPRECATED  cause: unknown  reason: version_below_policy  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 102",
		"      time  frame  client     server",
		"   +0.000s    102         <-- 220 mx.example.test ESMTP",
		"",
		"ok: 0 sessions, incomplete: 0",
		"",
		"sessions: 1  failed: 0  deprecated: 1  no_tls: 0  ok: 0  incomplete: 0");
	run_free(w);
}

/* Many detailed sessions go through the temporary files intact. */
static void test_many_parked(void **state)
{
	(void)state;
	struct run *w;
	struct sti_verdict v;
	struct sti_record *r = failed_session(1, &v);
	w = run_open(false);
	for (uint64_t i = 1; i <= 2000; i++) {
		r->id = i;
		v.outcome = i % 2 ? STI_OUTCOME_FAILED : STI_OUTCOME_NO_TLS;
		run_session(w, "m.pcap", r, &v);
	}
	run_file_done(w, "m.pcap", NULL);
	const char *out = run_close(w);
	/* Failed ones (odd ids) first in order, then the no_tls ones. */
	const char *p = out;
	for (uint64_t k = 0; k < 2000; k++) {
		uint64_t id = k < 1000 ? 2 * k + 1 : 2 * (k - 1000) + 2;
		char want[64];
		snprintf(want, sizeof(want), "\n#%" PRIu64 " ", id);
		const char *q = strstr(p, want);
		if (!q)
			fail_msg("session #%" PRIu64 " missing or out of order", id);
		p = q + 1;
	}
	assert_non_null(strstr(p, "\nsessions: 2000  failed: 1000  deprecated: 0  "
			       "no_tls: 1000  ok: 0  incomplete: 0\n"));
	run_free(w);
}

/*
 * With an explicit selection (opts.full) ok and incomplete sessions are
 * printed in full too, after no_tls, ok last. A remediation line that
 * starts with two spaces (a command) is printed whole, never wrapped, on a
 * line of its own however long it is.
 */
static void test_full_and_verbatim_fix(void **state)
{
	(void)state;
	struct sti_report_opts o = { .min_version = 0x0303, .full = true };
	struct run *w = run_open_opts(&o);
	struct sti_verdict v1, v2, v3;
	struct sti_record *r1 = simple_session(1, STI_OUTCOME_OK, STI_REASON_TLS_OK, &v1);
	struct sti_record *r2 = simple_session(2, STI_OUTCOME_INCOMPLETE,
					       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, &v2);
	struct sti_record *r3 = simple_session(3, STI_OUTCOME_FAILED,
					       STI_REASON_CLIENT_VERSION_TOO_LOW, &v3);
	snprintf(v3.remediation, sizeof(v3.remediation), "%s",
		 "Enable TLS 1.2 on the sending Windows server, in SChannel and .NET:\n"
		 "  reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\"
		 "SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client\" /v Enabled "
		 "/t REG_DWORD /d 1 /f\n"
		 "then restart.");
	run_session(w, "f.pcap", r1, &v1);
	run_session(w, "f.pcap", r2, &v2);
	run_session(w, "f.pcap", r3, &v3);
	run_file_done(w, "f.pcap", NULL);
	ASSERT_LINES(run_close(w),
		"== f.pcap ==",
		"",
		"#3 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"FAILED  cause: unknown  reason: client_version_too_low  (certain)",
		"  explained",
		"  fix: Enable TLS 1.2 on the sending Windows server, in SChannel and .NET:",
		"       reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
		"\\SCHANNEL\\Protocols\\TLS 1.2\\Client\" /v Enabled /t REG_DWORD /d 1 /f",
		"       then restart.",
		"  evidence: frame 103",
		"      time  frame  client     server",
		"   +0.000s    103         <-- 220 mx.example.test ESMTP",
		"",
		"#2 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"INCOMPLETE  cause: unknown  reason: capture_ended_mid_handshake  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 102",
		"      time  frame  client     server",
		"   +0.000s    102         <-- 220 mx.example.test ESMTP",
		"",
		"#1 2023-11-14 22:13:20 UTC 192.0.2.10:40101 -> 198.51.100.25:25 (smtp starttls)",
		"OK  cause: none  reason: tls_ok  (certain)",
		"  explained",
		"  fix: remedied",
		"  evidence: frame 101",
		"      time  frame  client     server",
		"   +0.000s    101         <-- 220 mx.example.test ESMTP",
		"",
		"ok: 1 session, incomplete: 1 (capture_ended_mid_handshake 1)",
		"",
		"sessions: 3  failed: 1  deprecated: 0  no_tls: 0  ok: 1  incomplete: 1");
	run_free(w);
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
	const struct CMUnitTest tests[] = {
		T(test_failed_block),
		T(test_order),
		T(test_ladder_truncation),
		T(test_ladder_uneven),
		T(test_ladder_wide_fields),
		T(test_wire_bytes_cleaned),
		T(test_no_color),
		T(test_color),
		T(test_color_zero_counts),
		T(test_summary_line),
		T(test_summary_own_tally),
		T(test_ipv6_and_modes),
		T(test_ten_thousand_ok),
		T(test_errors_and_files),
		T(test_ingest_note),
		T(test_fallback_and_evidence),
		T(test_wrap),
		T(test_wrap_spacing),
		T(test_title_times),
		T(test_ladder_extreme_fields),
		T(test_ladder_wanted),
		T(test_sanitize),
		T(test_finish_flushes),
		T(test_many_parked),
		T(test_full_and_verbatim_fix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
