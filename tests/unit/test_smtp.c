/*
 * test_smtp.c - the SMTP layer on real conversations and on hand-built
 * corners.
 *
 * Every case runs through three feeders: each segment whole, one byte at a
 * time, and in seeded random pieces. The facts and the event log must come
 * out identical, and so must the bytes each feeder handed on to TLS. The
 * specific values are then checked on the whole-segment run.
 *
 * The captured conversations are the reassembled TCP payload of public
 * captures in ../shared/pcaps/public (see PROVENANCE.md there), kept in
 * tests/data/smtp/: one line per segment, "DIR FRAME TIME HEX" (time in
 * microseconds); bytes after the switch to TLS are cut to their first 40
 * bytes, which is all this layer sees.
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

#include "sti/smtp.h"
#include "data.h"
#include "feed.h"

/* One segment of one direction; p == NULL means a gap of n bytes. */
struct seg {
	enum sti_dir dir;
	uint64_t frame;
	int64_t ts;
	const char *p;
	size_t n;
};

/* A hand-built segment: its time is derived from its frame. */
#define SEG(dir, frame, lit) { dir, frame, (int64_t)(frame) * 1000, lit, sizeof(lit) - 1 }
#define GAP(dir, frame, len) { dir, frame, (int64_t)(frame) * 1000, NULL, len }
#define NSEGS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- captured conversations (generated from the pcaps with tshark) ---- */

TEST_SEG_LIST(struct seg)

/* Line k of a transcript, "DIR FRAME TIME HEX", into the list's segment k
 * (the hex decoded in place). */
static bool seg_from_line(char *line, size_t k, void *ctx)
{
	struct seg_list *l = ctx;
	long long v[3];
	char *hex;
	long n;
	if (k >= l->n || !test_line_fields(line, v, 3, &hex) || (v[0] != STI_C2S && v[0] != STI_S2C) ||
	    (n = test_hex_decode(hex)) < 0) {
		fprintf(stderr, "test data %s: line %zu is not the segment "
			"\"DIR FRAME TIME HEX\" the test expects\n", l->name, k + 1);
		return false;
	}
	l->s[k] = (struct seg){ v[0] == STI_S2C ? STI_S2C : STI_C2S, (uint64_t)v[1], (int64_t)v[2], hex, (size_t)n };
	return true;
}

/* arkime/smtp-starttls.pcap, tcp.stream 0: 22 segments */
static struct seg_list cap_arkime = { "smtp/cap_arkime.segs", 7, NULL, NULL };
/* ndpi/smtp-starttls.pcap, tcp.stream 1: 23 segments */
static struct seg_list cap_ndpi = { "smtp/cap_ndpi.segs", 7, NULL, NULL };
/* suricata-verify/smtp-pipelining/input.pcap, tcp.stream 0: 5 segments */
static struct seg_list cap_pipelining = { "smtp/cap_pipelining.segs", 5, NULL, NULL };
/* suricata-verify/smtp-rset-starttls/input.pcap, tcp.stream 0: 5 segments */
static struct seg_list cap_rset = { "smtp/cap_rset.segs", 5, NULL, NULL };
/* chrissanders/mail_receiver_server_3.pcapng, tcp.stream 0: 7 segments */
static struct seg_list cap_sanders = { "smtp/cap_sanders.segs", 7, NULL, NULL };
/* suricata-verify/smtp-errors/smtperr.pcap, tcp.stream 0: 3 segments */
static struct seg_list cap_err_binary = { "smtp/cap_err_binary.segs", 3, NULL, NULL };
/* suricata-verify/smtp-errors/smtperr.pcap, tcp.stream 1: 55 segments */
static struct seg_list cap_err_nocode = { "smtp/cap_err_nocode.segs", 55, NULL, NULL };
/* suricata-verify/smtp-errors/smtperr.pcap, tcp.stream 2: 7 segments */
static struct seg_list cap_err_pipe = { "smtp/cap_err_pipe.segs", 7, NULL, NULL };
/* suricata-verify/smtp-errors/smtperr.pcap, tcp.stream 3: 3 segments */
static struct seg_list cap_err_tls = { "smtp/cap_err_tls.segs", 3, NULL, NULL };
/* zeek/smtp.pcap, tcp.stream 0: 29 segments */
static struct seg_list cap_zeek = { "smtp/cap_zeek.segs", 29, NULL, NULL };

/* ---- the harness ---- */

#define LOG_MAX (256 * 1024)
#define FACTS_MAX (64 * 1024)

struct run {
	struct sti_smtp *m;
	char *log;
	size_t loglen;
	bool log_full;
	uint64_t tls_bytes[2];       /* handed on to TLS, per direction */
	uint64_t tls_frame[2];       /* frame of the first such byte */
	unsigned events;
};

static void log_event(void *ctx, const struct sti_smtp_event *ev)
{
	struct run *r = ctx;
	int k;

	r->events++;
	if (r->log_full)
		return;
	k = snprintf(r->log + r->loglen, LOG_MAX - r->loglen,
		     "%s d%d f%" PRIu64 " t%" PRId64 " o%" PRIu64 " l%" PRIu64
		     " %s %u [%s] '%s'%s%s\n",
		     sti_smtp_ev_name(ev->kind), ev->dir, ev->frame, ev->ts_us,
		     ev->offset, ev->len, sti_smtp_cmd_name(ev->cmd), ev->code,
		     ev->enhanced, ev->text,
		     ev->kind == STI_SMTP_EV_ANOMALY ? " " : "",
		     ev->kind == STI_SMTP_EV_ANOMALY ?
		     sti_smtp_anomaly_name(ev->anomaly) : "");
	if (k < 0 || (size_t)k >= LOG_MAX - r->loglen)
		r->log_full = true;
	else
		r->loglen += (size_t)k;
}

/* Appends to a fixed buffer; the caller checks it did not fill up. */
static void put(char *buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *len, FACTS_MAX - *len, fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < FACTS_MAX - *len);
	*len += (size_t)k;
}

static void put_reply(char *b, size_t *n, const char *name,
		      const struct sti_smtp_reply *r)
{
	put(b, n, "%s: %u [%s] '%s' cmd=%s f%" PRIu64 " t%" PRId64 "\n",
	    name, r->code, r->enhanced, r->text, sti_smtp_cmd_name(r->cmd),
	    r->frame, r->ts_us);
}

/* Every field of the facts, as text, so two runs compare with strcmp. */
static char *render_facts(const struct sti_smtp_facts *f)
{
	char *b = malloc(FACTS_MAX);
	size_t n = 0;

	assert_non_null(b);
	b[0] = '\0';
	put(b, &n, "greeting_seen=%d\n", f->greeting_seen);
	put_reply(b, &n, "greeting", &f->greeting);
	put(b, &n, "hello=%s '%s' f%" PRIu64 " code=%u offered=%s\n",
	    sti_smtp_cmd_name(f->hello_cmd), f->hello_name, f->hello_frame,
	    f->hello_code, sti_smtp_offer_name(f->starttls_offered));
	for (unsigned i = 0; i < f->ncaps; i++)
		put(b, &n, "cap '%s'\n", f->caps[i]);
	put(b, &n, "caps_truncated=%d masked_cap='%s'\n", f->caps_truncated,
	    f->masked_cap);
	put(b, &n, "starttls count=%u f%" PRIu64 " t%" PRId64
	    " accepted=%d refused=%d switch f%" PRIu64 " o%" PRIu64
	    "/%" PRIu64 " early=%d\n",
	    f->starttls_count, f->starttls_frame, f->starttls_ts,
	    f->starttls_accepted, f->starttls_refused, f->switch_frame,
	    f->switch_offset[STI_C2S], f->switch_offset[STI_S2C],
	    f->client_tls_before_reply);
	put_reply(b, &n, "starttls_reply", &f->starttls_reply);
	put(b, &n, "injected %" PRIu64 " f%" PRIu64 " '%s'\n",
	    f->injected_bytes, f->injected_frame, f->injected_line);
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++)
		put(b, &n, "tls_in_plain[%d] %u f%" PRIu64 " type=%u\n", d,
		    f->tls_records_in_plaintext[d],
		    f->tls_in_plaintext_frame[d],
		    f->tls_in_plaintext_type[d]);
	put(b, &n, "masked_commands=%u f%" PRIu64 "\n", f->masked_commands,
	    f->masked_command_frame);
	put_reply(b, &n, "masked_reply", &f->masked_command_reply);
	put(b, &n, "required=%d f%" PRIu64 "\n", f->starttls_required,
	    f->starttls_required_frame);
	for (unsigned i = 0; i < f->nnotable; i++)
		put_reply(b, &n, "notable", &f->notable[i]);
	put(b, &n, "notable_truncated=%d\n", f->notable_truncated);
	put(b, &n, "mail=%u rcpt=%u data=%u bdat=%u auth=%u bytes=%" PRIu64
	    " accepted=%u clear=%d f%" PRIu64 "\n",
	    f->mail_cmds, f->rcpt_cmds, f->data_cmds, f->bdat_cmds,
	    f->auth_cmds, f->message_bytes, f->messages_accepted,
	    f->mail_in_clear, f->mail_in_clear_frame);
	put(b, &n, "quit f%" PRIu64 "\n", f->quit_frame);
	put_reply(b, &n, "quit_reply", &f->quit_reply);
	put(b, &n, "auth '%s' f%" PRIu64 " credentials=%d f%" PRIu64 "\n", f->auth_mech,
	    f->auth_frame, f->auth_credentials, f->auth_credentials_frame);
	put_reply(b, &n, "auth_reply", &f->auth_reply);
	put(b, &n, "hello_reply f%" PRIu64 " went_on f%" PRIu64 "\n", f->hello_reply_frame,
	    f->went_on_frame);
	put(b, &n, "commands=%u replies=%u gap_bytes=%" PRIu64 "\n",
	    f->commands, f->replies, f->gap_bytes);
	for (int a = 0; a < STI_SMTP_AN__COUNT; a++)
		if (sti_smtp_anomaly_count(f, (enum sti_smtp_anomaly)a))
			put(b, &n, "anomaly %s=%u f%" PRIu64 "\n",
			    sti_smtp_anomaly_name((enum sti_smtp_anomaly)a),
			    sti_smtp_anomaly_count(f, (enum sti_smtp_anomaly)a),
			    sti_smtp_anomaly_frame(f, (enum sti_smtp_anomaly)a));
	for (unsigned i = 0; i < f->nspans; i++)
		put(b, &n, "span d%u k%u o%" PRIu64 " l%" PRIu64 "\n",
		    f->spans[i].dir, f->spans[i].kind, f->spans[i].offset,
		    f->spans[i].len);
	put(b, &n, "spans_truncated=%d\n", f->spans_truncated);
	return b;
}

static void feed_piece(struct run *r, const struct seg *s, const uint8_t *p,
		       size_t n)
{
	size_t used = 0;

	if (!sti_smtp_switched(r->m, s->dir)) {
		used = sti_smtp_feed(r->m, s->dir, p, n, s->frame, s->ts);
		assert_true(used <= n);
		if (used < n)
			assert_true(sti_smtp_switched(r->m, s->dir));
	}
	if (used < n) {
		if (r->tls_bytes[s->dir] == 0)
			r->tls_frame[s->dir] = s->frame;
		r->tls_bytes[s->dir] += n - used;
		/* Once switched, the layer takes nothing more. */
		assert_int_equal(sti_smtp_feed(r->m, s->dir, p + used,
					       n - used, s->frame, s->ts), 0);
	}
}

static struct run *run_segs(const struct seg *segs, size_t nsegs, bool end,
			    enum feed_mode how, uint64_t seed)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->log = malloc(LOG_MAX);
	assert_non_null(r->log);
	r->log[0] = '\0';
	r->m = sti_smtp_new();
	assert_non_null(r->m);
	sti_smtp_set_sink(r->m, log_event, r);
	for (size_t i = 0; i < nsegs; i++) {
		const struct seg *s = &segs[i];
		const uint8_t *p = (const uint8_t *)s->p;
		size_t off = 0;

		if (!p) {
			sti_smtp_gap(r->m, s->dir, s->n, s->frame);
			continue;
		}
		while (off < s->n) {
			size_t k = feed_next(how, s->n - off, 64, &seed);
			feed_piece(r, s, p + off, k);
			off += k;
		}
	}
	if (end) {
		sti_smtp_end(r->m, STI_C2S);
		sti_smtp_end(r->m, STI_S2C);
	}
	assert_false(r->log_full);
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	free(r->log);
	sti_smtp_free(r->m);
	free(r);
}

static void same_run(const struct run *a, const struct run *b)
{
	char *fa = render_facts(sti_smtp_facts(a->m));
	char *fb = render_facts(sti_smtp_facts(b->m));

	if (getenv("STI_TEST_DIFF") &&
	    (strcmp(fa, fb) != 0 || strcmp(a->log, b->log) != 0)) {
		FILE *o = fopen("/tmp/sti_smtp_a.txt", "w");
		FILE *p = fopen("/tmp/sti_smtp_b.txt", "w");
		if (o && p) {
			fprintf(o, "%s%s", fa, a->log);
			fprintf(p, "%s%s", fb, b->log);
		}
		if (o)
			fclose(o);
		if (p)
			fclose(p);
	}
	assert_string_equal(fa, fb);
	assert_string_equal(a->log, b->log);
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		assert_int_equal(a->tls_bytes[d], b->tls_bytes[d]);
		assert_int_equal(a->tls_frame[d], b->tls_frame[d]);
	}
	free(fa);
	free(fb);
}

/*
 * Run a case through every feeder, check they agree, and return the
 * whole-segment run for the specific checks.
 */
static struct run *check_case(const struct seg *segs, size_t nsegs, bool end)
{
	struct run *whole = run_segs(segs, nsegs, end, FEED_WHOLE, 0);
	struct run *other = run_segs(segs, nsegs, end, FEED_BYTES, 0);

	same_run(whole, other);
	run_free(other);
	for (uint64_t seed = 1; seed <= 6; seed++) {
		other = run_segs(segs, nsegs, end, FEED_RANDOM, seed * 7919);
		same_run(whole, other);
		run_free(other);
	}
	if (getenv("STI_TEST_VERBOSE")) {
		char *f = render_facts(sti_smtp_facts(whole->m));
		printf("%s%s", f, whole->log);
		free(f);
	}
	return whole;
}

static const struct sti_smtp_facts *F(const struct run *r)
{
	return sti_smtp_facts(r->m);
}

static unsigned total_anomalies(const struct sti_smtp_facts *f)
{
	unsigned n = 0;

	for (int a = 0; a < STI_SMTP_AN__COUNT; a++)
		n += sti_smtp_anomaly_count(f, (enum sti_smtp_anomaly)a);
	return n;
}

/* Count the events of one kind in the log (for cheap shape checks). */
static unsigned log_count(const struct run *r, const char *prefix)
{
	unsigned n = 0;
	size_t k = strlen(prefix);

	for (const char *l = r->log; *l; ) {
		const char *e = strchr(l, '\n');
		if (strncmp(l, prefix, k) == 0)
			n++;
		l = e ? e + 1 : l + strlen(l);
	}
	return n;
}

/* ---- captured conversations ---- */

static void test_arkime_starttls(void **state)
{
	struct run *r = check_case(cap_arkime.s, cap_arkime.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->greeting_seen);
	assert_int_equal(f->greeting.code, 220);
	assert_string_equal(f->greeting.text,
			    "mx.google.com ESMTP s4si9696358qcc.63 - gsmtp");
	assert_int_equal(f->greeting.frame, 4);
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_EHLO);
	assert_string_equal(f->hello_name, "xxxxxxxxxxxxx.xxx.com");
	assert_int_equal(f->hello_code, 250);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->ncaps, 6);
	assert_string_equal(f->caps[0], "SIZE 35882577");
	assert_string_equal(f->caps[2], "STARTTLS");
	assert_string_equal(f->caps[5], "CHUNKING");
	assert_int_equal(f->starttls_count, 1);
	assert_int_equal(f->starttls_frame, 9);
	assert_int_equal(f->starttls_reply.code, 220);
	assert_string_equal(f->starttls_reply.enhanced, "2.0.0");
	assert_string_equal(f->starttls_reply.text, "2.0.0 Ready to start TLS");
	assert_int_equal(f->starttls_reply.frame, 10);
	assert_true(f->starttls_accepted);
	assert_false(f->starttls_refused);
	assert_int_equal(f->switch_frame, 10);
	/* 51 + 154 + 30 server bytes, 28 + 10 client bytes. */
	assert_int_equal(f->switch_offset[STI_S2C], 235);
	assert_int_equal(f->switch_offset[STI_C2S], 38);
	assert_int_equal(f->injected_bytes, 0);
	assert_int_equal(r->tls_bytes[STI_C2S], 40);
	assert_int_equal(r->tls_frame[STI_C2S], 11);
	assert_int_equal(r->tls_bytes[STI_S2C], 40);
	assert_int_equal(r->tls_frame[STI_S2C], 12);
	assert_int_equal(f->commands, 2);
	assert_int_equal(f->replies, 3);
	assert_int_equal(f->nnotable, 0);
	assert_false(f->mail_in_clear);
	assert_int_equal(total_anomalies(f), 0);
	assert_int_equal(log_count(r, "switch"), 2);
	run_free(r);
}

/*
 * The server's 220 and its first TLS bytes in one chunk: the layer must
 * take exactly the 220 line and leave the rest.
 */
static void test_arkime_boundary_in_chunk(void **state)
{
	static const char tls[] = "\026\003\001\0005\002\000\0001\003\001";
	uint8_t buf[64];
	size_t n220 = cap_arkime.s[4].n;
	struct sti_smtp *m = sti_smtp_new();

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(sti_smtp_feed(m, cap_arkime.s[i].dir,
					       (const uint8_t *)cap_arkime.s[i].p,
					       cap_arkime.s[i].n,
					       cap_arkime.s[i].frame,
					       cap_arkime.s[i].ts),
				 cap_arkime.s[i].n);
	assert_int_equal(n220, 30);
	memcpy(buf, cap_arkime.s[4].p, n220);
	memcpy(buf + n220, tls, sizeof(tls) - 1);
	assert_int_equal(sti_smtp_feed(m, STI_S2C, buf, n220 + sizeof(tls) - 1,
				       10, 0), 30);
	assert_true(sti_smtp_switched(m, STI_S2C));
	assert_true(sti_smtp_switched(m, STI_C2S));
	/* The ClientHello that follows is not SMTP's. */
	assert_int_equal(sti_smtp_feed(m, STI_C2S, (const uint8_t *)cap_arkime.s[5].p,
				       cap_arkime.s[5].n, 11, 0), 0);
	assert_int_equal(sti_smtp_facts(m)->injected_bytes, 0);
	sti_smtp_free(m);
}

static void test_ndpi_starttls(void **state)
{
	struct run *r = check_case(cap_ndpi.s, cap_ndpi.n, false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_string_equal(f->greeting.text,
			    "jw-vm08-int-dns.webernetz.net ESMTP Postfix (Ubuntu)");
	assert_string_equal(f->hello_name,
			    "[IPv6:2003:de:2016:125:fc36:8317:4e86:cb72]");
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->ncaps, 8);
	assert_string_equal(f->caps[7], "DSN");
	assert_true(f->starttls_accepted);
	assert_int_equal(f->starttls_frame, 44);
	assert_int_equal(f->switch_frame, 45);
	assert_int_equal(f->switch_offset[STI_C2S], 60);
	assert_int_equal(f->switch_offset[STI_S2C], 240);
	assert_int_equal(r->tls_frame[STI_C2S], 46);
	assert_int_equal(r->tls_frame[STI_S2C], 47);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* MAIL, RCPT, DATA and the message pushed in one segment (RFC 2920). */
static void test_pipelining(void **state)
{
	struct run *r = check_case(cap_pipelining.s, cap_pipelining.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_NO);
	assert_int_equal(f->ncaps, 8);
	assert_int_equal(f->mail_cmds, 1);
	assert_int_equal(f->rcpt_cmds, 1);
	assert_int_equal(f->data_cmds, 1);
	assert_int_equal(f->message_bytes, 16);  /* "This is a test\r\n" */
	assert_int_equal(f->messages_accepted, 1);
	assert_true(f->mail_in_clear);   /* from the end of the content */
	assert_int_equal(f->mail_in_clear_frame, 11);
	assert_int_equal(f->starttls_count, 0);
	/* Redaction: both envelope arguments and the content. */
	assert_int_equal(f->nspans, 3);
	assert_int_equal(f->spans[0].kind, STI_SMTP_SPAN_ENVELOPE);
	assert_int_equal(f->spans[0].offset, 14 + 5 + 5);
	assert_int_equal(f->spans[0].len, strlen("<username@domain.com>"));
	assert_int_equal(f->spans[1].offset, 14 + 33 + 5 + 3);
	assert_int_equal(f->spans[1].len, strlen("<john.doe@example.com>"));
	assert_int_equal(f->spans[2].kind, STI_SMTP_SPAN_CONTENT);
	assert_int_equal(f->spans[2].offset, 14 + 33 + 32 + 6);
	assert_int_equal(f->spans[2].len, 16);
	/* Each reply went to its own command. */
	assert_non_null(strstr(r->log, "reply d1 f13 t1544773457774819 o193 l0 mail 250 [2.1.0]"));
	assert_int_equal(log_count(r, "reply d1 f13"), 4);
	assert_non_null(strstr(r->log, "end_of_data 250 [2.0.0]"));
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* "rset\nstaRttLs\n": bare LF, mixed case, pipelined; 250 then 220. */
static void test_rset_starttls(void **state)
{
	struct run *r = check_case(cap_rset.s, cap_rset.n, false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_false(f->greeting_seen);
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_EHLO);
	assert_string_equal(f->hello_name, "");
	/* "250" alone: a reply without text, and no capability in it. */
	assert_int_equal(f->hello_code, 250);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_NO);
	assert_int_equal(f->starttls_count, 1);
	assert_int_equal(f->starttls_frame, 6);
	assert_int_equal(f->starttls_reply.code, 220);
	assert_string_equal(f->starttls_reply.text, "");
	assert_int_equal(f->starttls_reply.frame, 9);
	assert_true(f->starttls_accepted);
	assert_int_equal(f->switch_offset[STI_C2S], 19);
	assert_int_equal(f->switch_offset[STI_S2C], 12);
	assert_int_equal(f->injected_bytes, 0);
	/* The client spoke first and the first reply answered EHLO. */
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 1);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_NO_GREETING), 1);
	assert_int_equal(total_anomalies(f), 2);
	assert_non_null(strstr(r->log, "reply d1 f7 t1612510490000006 o4 l0 rset 250"));
	run_free(r);
}

/* STARTTLS offered, not used; the message goes in clear (SPEC 6). */
static void test_offered_not_used(void **state)
{
	struct run *r = check_case(cap_sanders.s, cap_sanders.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_string_equal(f->greeting.text, "mail02 ESMTP Postfix (Ubuntu)");
	assert_string_equal(f->hello_name, "mail01");
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->starttls_count, 0);
	assert_true(f->mail_in_clear);
	assert_int_equal(f->mail_in_clear_frame, 11);
	assert_int_equal(f->messages_accepted, 1);
	assert_int_equal(f->message_bytes, 732);
	assert_int_equal(f->quit_frame, 11);
	assert_int_equal(f->quit_reply.code, 221);
	assert_string_equal(f->quit_reply.enhanced, "2.0.0");
	assert_int_equal(f->quit_reply.frame, 12);
	assert_int_equal(f->nspans, 3);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* 1 KiB of binary before the banner; Sendmail answers each "line". */
static void test_errors_binary(void **state)
{
	struct run *r = check_case(cap_err_binary.s, cap_err_binary.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->greeting_seen);
	assert_int_equal(f->greeting.frame, 6);
	assert_string_equal(f->greeting.text,
			    "www1377.sakura.ne.jp ESMTP Sendmail 8.14.3/8.14.3; "
			    "Thu, 20 Feb 2014 04:02:39 +0900 (JST)");
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 4);
	assert_true(sti_smtp_anomaly_count(f, STI_SMTP_AN_BINARY_LINE) > 0);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_NO_GREETING), 0);
	assert_int_equal(f->tls_records_in_plaintext[STI_C2S], 0);
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_NONE);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_UNKNOWN);
	run_free(r);
}

/* A Yahoo deferral sent without its reply code; QUIT without CRLF. */
static void test_errors_reply_without_code(void **state)
{
	struct run *r = check_case(cap_err_nocode.s, cap_err_nocode.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_HELO);
	assert_string_equal(f->hello_name, "[0.0.0.0]");
	assert_int_equal(f->hello_code, 250);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_UNKNOWN);
	assert_int_equal(f->message_bytes, 36380);
	assert_int_equal(f->messages_accepted, 0);
	assert_true(f->mail_in_clear);   /* refused, but it crossed (9.1) */
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_REPLY_WITHOUT_CODE), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_REPLY_WITHOUT_CODE), 122);
	/* The last line, "QUIT" with no CRLF, is parsed at the end. */
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_TRUNCATED_AT_END), 1);
	assert_int_equal(f->quit_frame, 124);
	assert_int_equal(total_anomalies(f), 2);
	run_free(r);
}

/* Pipelined MAIL/RCPT/DATA all refused: DATA is not followed by content. */
static void test_errors_pipelined_refusals(void **state)
{
	struct run *r = check_case(cap_err_pipe.s, cap_err_pipe.n, false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->starttls_count, 0);
	assert_int_equal(f->nnotable, 3);
	assert_int_equal(f->notable[0].code, 472);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_MAIL);
	assert_int_equal(f->notable[1].code, 501);
	assert_int_equal(f->notable[1].cmd, STI_SMTP_CMD_RCPT);
	assert_int_equal(f->notable[2].code, 501);
	assert_int_equal(f->notable[2].cmd, STI_SMTP_CMD_DATA);
	assert_int_equal(f->notable[2].frame, 141);
	assert_int_equal(f->message_bytes, 0);
	assert_false(f->mail_in_clear);
	assert_int_equal(log_count(r, "content"), 0);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* A TLS ClientHello sent to a plaintext server on 465. */
static void test_errors_tls_to_plaintext(void **state)
{
	struct run *r = check_case(cap_err_tls.s, cap_err_tls.n, false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_string_equal(f->greeting.text, "v02.kerne.org ESMTP Postfix");
	assert_int_equal(f->tls_records_in_plaintext[STI_C2S], 1);
	assert_int_equal(f->tls_in_plaintext_frame[STI_C2S], 151);
	assert_int_equal(f->tls_in_plaintext_type[STI_C2S], 0x16);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_BINARY_LINE), 0);
	/* One reply answers the record; Postfix's other four have no
	 * command we saw, since it split the record at its LF bytes. */
	assert_int_equal(f->nnotable, 1);
	assert_int_equal(f->notable[0].code, 402);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_TLS);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_UNPAIRED_REPLY), 4);
	assert_int_equal(f->commands, 1);
	assert_int_equal(f->replies, 6);
	run_free(r);
}

/* Exim: multi-line banner, AUTH LOGIN, 14 KB of DATA, QUIT; no STARTTLS. */
static void test_zeek_data_transfer(void **state)
{
	struct run *r = check_case(cap_zeek.s, cap_zeek.n, true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->greeting.code, 220);
	assert_string_equal(f->greeting.text,
			    "xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, "
			    "05 Oct 2009 01:05:54 -0500 ");
	assert_int_equal(f->greeting.frame, 6);
	assert_string_equal(f->hello_name, "GP");
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->starttls_count, 0);
	assert_int_equal(f->auth_cmds, 1);
	assert_int_equal(f->message_bytes, 14546);
	assert_int_equal(f->messages_accepted, 1);
	assert_int_equal(f->mail_in_clear_frame, 12);   /* AUTH credentials come first */
	assert_int_equal(f->quit_frame, 54);
	assert_int_equal(f->quit_reply.code, 221);
	/* Two SASL responses, MAIL and RCPT arguments, the message. */
	assert_int_equal(f->nspans, 5);
	assert_int_equal(f->spans[0].kind, STI_SMTP_SPAN_AUTH);
	assert_int_equal(f->spans[0].offset, 9 + 12);
	assert_int_equal(f->spans[0].len, 28);
	assert_int_equal(f->spans[1].kind, STI_SMTP_SPAN_AUTH);
	assert_int_equal(f->spans[1].offset, 9 + 12 + 30);
	assert_int_equal(f->spans[1].len, 16);
	assert_int_equal(f->spans[4].kind, STI_SMTP_SPAN_CONTENT);
	assert_int_equal(f->spans[4].len, 14546);
	/* The credentials never reach the event log. */
	assert_null(strstr(r->log, "Z3VycGFydGFwQHBhdHJpb3RzLmlu"));
	assert_null(strstr(r->log, "cHVuamFiQDEyMw=="));
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* ---- hand-built corners ---- */

/* Cisco ASA ESMTP inspection: masked banner, capability and command. */
static const struct seg hb_asa[] = {
	SEG(STI_S2C, 1, "220 ****************************0*0*2******0*****2*0**0*0*2**\r\n"),
	SEG(STI_C2S, 2, "EHLO client.example\r\n"),
	SEG(STI_S2C, 3, "250-mx.example\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n"
		    "250 8BITMIME\r\n"),
	SEG(STI_C2S, 4, "XXXXXXXX\r\n"),
	SEG(STI_S2C, 5, "500 5.5.2 Error: command not recognized\r\n"),
	SEG(STI_C2S, 6, "QUIT\r\n"),
	SEG(STI_S2C, 7, "221 2.0.0 Bye\r\n"),
};

static void test_asa_stripping(void **state)
{
	struct run *r = check_case(hb_asa, NSEGS(hb_asa), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_STRIPPED);
	assert_string_equal(f->masked_cap, "XXXXXXXA");
	assert_int_equal(f->ncaps, 3);
	assert_string_equal(f->caps[1], "XXXXXXXA");
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_MASKED_BANNER), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_MASKED_BANNER), 1);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_MASKED_CAPABILITY), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_MASKED_CAPABILITY), 3);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_MASKED_COMMAND), 1);
	assert_int_equal(f->masked_commands, 1);
	assert_int_equal(f->masked_command_frame, 4);
	assert_int_equal(f->masked_command_reply.code, 500);
	assert_string_equal(f->masked_command_reply.enhanced, "5.5.2");
	assert_int_equal(f->masked_command_reply.frame, 5);
	assert_int_equal(f->starttls_count, 0);
	assert_int_equal(f->nnotable, 1);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_MASKED);
	assert_int_equal(f->quit_reply.code, 221);
	assert_int_equal(total_anomalies(f), 3);
	run_free(r);
}

/* A lowercase mask of the same length still counts as stripped. */
static const struct seg hb_asa_lower[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250 xxxxxxxx\r\n"),
};

static void test_asa_lowercase(void **state)
{
	struct run *r = check_case(hb_asa_lower, NSEGS(hb_asa_lower), true);

	(void)state;
	assert_int_equal(F(r)->starttls_offered, STI_SMTP_OFFER_STRIPPED);
	assert_int_equal(sti_smtp_anomaly_count(F(r), STI_SMTP_AN_MASKED_BANNER), 0);
	run_free(r);
}

/* RFC 3207 4: a server that requires STARTTLS refuses mail without it. */
static const struct seg hb_required[] = {
	SEG(STI_S2C, 1, "220 mx.example ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c.example\r\n"),
	SEG(STI_S2C, 3, "250-mx.example\r\n250-STARTTLS\r\n250 SIZE 1000\r\n"),
	SEG(STI_C2S, 4, "MAIL FROM:<a@c.example>\r\n"),
	SEG(STI_S2C, 5, "530 5.7.0 Must issue a STARTTLS command first\r\n"),
	SEG(STI_C2S, 6, "RCPT TO:<b@mx.example>\r\n"),
	SEG(STI_S2C, 7, "451 5.7.3 Must issue a STARTTLS command first\r\n"),
	SEG(STI_C2S, 8, "QUIT\r\n"),
	SEG(STI_S2C, 9, "221 2.0.0 Bye\r\n"),
};

static void test_starttls_required(void **state)
{
	struct run *r = check_case(hb_required, NSEGS(hb_required), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_true(f->starttls_required);
	assert_int_equal(f->starttls_required_frame, 5);
	assert_int_equal(f->nnotable, 2);
	assert_int_equal(f->notable[0].code, 530);
	assert_string_equal(f->notable[0].enhanced, "5.7.0");
	assert_string_equal(f->notable[0].text,
			    "5.7.0 Must issue a STARTTLS command first");
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_MAIL);
	assert_int_equal(f->notable[0].frame, 5);
	assert_int_equal(f->notable[1].code, 451);
	assert_string_equal(f->notable[1].enhanced, "5.7.3");
	assert_int_equal(f->notable[1].cmd, STI_SMTP_CMD_RCPT);
	assert_false(f->mail_in_clear);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* Postfix without a certificate, then OpenSSL s_client's ClientHello. */
static const struct seg hb_refused_hello[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP Postfix\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250 STARTTLS\r\n"),
	SEG(STI_C2S, 4, "STARTTLS\r\n"),
	SEG(STI_S2C, 5, "454 4.7.0 TLS not available due to local problem\r\n"),
	/* A record of 10 bytes holding a LF: not to be read as lines. */
	SEG(STI_C2S, 6, "\026\003\001\000\012\001\000\000\006\003\003\n\r\n\000"),
	SEG(STI_S2C, 7, "500 5.5.2 Error: bad UTF-8 syntax\r\n"),
	SEG(STI_C2S, 8, "\025\003\003\000\002\002\120"),
	SEG(STI_S2C, 9, "500 5.5.2 Error: bad syntax\r\n"),
	SEG(STI_C2S, 10, "QUIT\r\n"),
	SEG(STI_S2C, 11, "221 2.0.0 Bye\r\n"),
};

static void test_refused_then_client_hello(void **state)
{
	struct run *r = check_case(hb_refused_hello, NSEGS(hb_refused_hello),
				   true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->starttls_count, 1);
	assert_true(f->starttls_refused);
	assert_false(f->starttls_accepted);
	assert_int_equal(f->starttls_reply.code, 454);
	assert_string_equal(f->starttls_reply.enhanced, "4.7.0");
	assert_string_equal(f->starttls_reply.text,
			    "4.7.0 TLS not available due to local problem");
	assert_int_equal(f->starttls_reply.frame, 5);
	assert_false(sti_smtp_switched(r->m, STI_C2S));
	assert_false(sti_smtp_switched(r->m, STI_S2C));
	assert_int_equal(r->tls_bytes[STI_C2S], 0);
	assert_int_equal(f->tls_records_in_plaintext[STI_C2S], 2);
	assert_int_equal(f->tls_in_plaintext_frame[STI_C2S], 6);
	assert_int_equal(f->tls_in_plaintext_type[STI_C2S], 0x16);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_BINARY_LINE), 0);
	assert_int_equal(f->injected_bytes, 0);
	/* 454 to STARTTLS, 500 to each record; QUIT got its 221. */
	assert_int_equal(f->nnotable, 3);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_STARTTLS);
	assert_int_equal(f->notable[1].cmd, STI_SMTP_CMD_TLS);
	assert_int_equal(f->notable[1].frame, 7);
	assert_int_equal(f->notable[2].cmd, STI_SMTP_CMD_TLS);
	assert_int_equal(f->quit_reply.code, 221);
	assert_int_equal(f->quit_reply.frame, 11);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_TLS_IN_PLAINTEXT), 2);
	assert_int_equal(total_anomalies(f), 2);
	run_free(r);
}

/* CVE-2011-0411: a command pipelined behind STARTTLS, then 220. */
static const struct seg hb_injection[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
	SEG(STI_C2S, 4, "STARTTLS\r\nMAIL FROM:<evil@x>\r\n"),
	SEG(STI_C2S, 5, "RCPT TO:<v"),
	SEG(STI_S2C, 6, "220 2.0.0 Ready to start TLS\r\n"),
	SEG(STI_C2S, 7, "\026\003\001\000\005\001\000\000\001\000"),
	SEG(STI_S2C, 8, "\026\003\003\000\005\002\000\000\001\000"),
};

static void test_injection_after_starttls(void **state)
{
	struct run *r = check_case(hb_injection, NSEGS(hb_injection), false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->starttls_accepted);
	assert_int_equal(f->starttls_frame, 4);
	/* "MAIL FROM:<evil@x>\r\n" (20) and the partial "RCPT TO:<v" (10). */
	assert_int_equal(f->injected_bytes, 30);
	assert_int_equal(f->injected_frame, 4);
	assert_string_equal(f->injected_line, "MAIL FROM:<evil@x>");
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_PLAINTEXT_AFTER_STARTTLS), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_PLAINTEXT_AFTER_STARTTLS), 4);
	assert_int_equal(f->switch_offset[STI_C2S], 8 + 10 + 30);
	assert_int_equal(f->switch_offset[STI_S2C], 14 + 38 + 30);
	assert_int_equal(r->tls_bytes[STI_C2S], 10);
	assert_int_equal(r->tls_frame[STI_C2S], 7);
	assert_int_equal(r->tls_bytes[STI_S2C], 10);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_UNPAIRED_REPLY), 0);
	run_free(r);
}

/* The same bytes, refused: the pipelined MAIL is just the next command. */
static const struct seg hb_injection_refused[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250 STARTTLS\r\n"),
	SEG(STI_C2S, 4, "STARTTLS\r\nMAIL FROM:<evil@x>\r\n"),
	SEG(STI_S2C, 5, "454 4.7.0 TLS currently unavailable\r\n250 2.1.0 Ok\r\n"),
};

static void test_pipelined_after_refusal(void **state)
{
	struct run *r = check_case(hb_injection_refused,
				   NSEGS(hb_injection_refused), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->starttls_refused);
	assert_int_equal(f->starttls_reply.code, 454);
	assert_int_equal(f->injected_bytes, 0);
	assert_string_equal(f->injected_line, "");
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_PLAINTEXT_AFTER_STARTTLS), 0);
	assert_non_null(strstr(r->log, "reply d1 f5 t5000 o73 l0 mail 250 [2.1.0]"));
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* A client that sends its ClientHello before the 220 arrives. */
static const struct seg hb_early_hello[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250 STARTTLS\r\n"),
	SEG(STI_C2S, 4, "STARTTLS\r\n"),
	SEG(STI_C2S, 5, "\026\003\001\000\005\001\000\000\001\000"),
	SEG(STI_S2C, 6, "220 Go ahead\r\n"),
	SEG(STI_S2C, 7, "\026\003\003\000\005\002\000\000\001\000"),
};

static void test_early_client_hello(void **state)
{
	struct run *r = check_case(hb_early_hello, NSEGS(hb_early_hello), false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->client_tls_before_reply);
	assert_true(f->starttls_accepted);
	assert_int_equal(f->injected_bytes, 0);
	assert_int_equal(f->switch_offset[STI_C2S], 18);
	assert_int_equal(r->tls_bytes[STI_C2S], 10);
	assert_int_equal(r->tls_frame[STI_C2S], 5);
	assert_int_equal(r->tls_bytes[STI_S2C], 10);
	assert_int_equal(f->tls_records_in_plaintext[STI_C2S], 0);
	run_free(r);
}

/* A 1 MB command line: counted, its start parsed, its reply paired. */
static void test_megabyte_line(void **state)
{
	size_t big = 1024 * 1024;
	char *line = malloc(big + 32);
	struct seg segs[6] = {
		SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
		SEG(STI_C2S, 2, "EHLO c\r\n"),
		SEG(STI_S2C, 3, "250 mx\r\n"),
		{ STI_C2S, 4, 4000, NULL, 0 },
		SEG(STI_S2C, 5, "500 5.5.2 Error: line too long\r\n"),
		SEG(STI_C2S, 6, "QUIT\r\n"),
	};
	struct run *r;
	const struct sti_smtp_facts *f;

	(void)state;
	assert_non_null(line);
	memcpy(line, "MAIL FROM:<", 11);
	memset(line + 11, 'a', big);
	memcpy(line + 11 + big, ">\r\n", 3);
	segs[3].p = line;
	segs[3].n = big + 14;
	r = check_case(segs, NSEGS(segs), true);
	f = F(r);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_LINE_TOO_LONG), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_LINE_TOO_LONG), 4);
	assert_int_equal(f->mail_cmds, 1);
	assert_int_equal(f->nnotable, 1);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_MAIL);
	assert_int_equal(f->notable[0].code, 500);
	/* The whole argument is redacted, not just what was kept. */
	assert_int_equal(f->nspans, 1);
	assert_int_equal(f->spans[0].offset, 8 + 5 + 5);
	assert_int_equal(f->spans[0].len, 11 + big + 1 - 5 - 5);
	assert_int_equal(f->quit_frame, 6);
	assert_int_equal(total_anomalies(f), 1);
	run_free(r);
	free(line);
}

/* Bare LF everywhere, and a CRLF split between two segments. */
static const struct seg hb_line_ends[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\n"),
	SEG(STI_C2S, 2, "EHLO c\r"),
	SEG(STI_C2S, 3, "\n"),
	SEG(STI_S2C, 4, "250-mx\n250-SIZE 100\r"),
	SEG(STI_S2C, 5, "\n250 STARTTLS\n"),
	SEG(STI_C2S, 6, "QUIT\n"),
	SEG(STI_S2C, 7, "221 Bye\r"),
	SEG(STI_S2C, 8, "\n"),
};

static void test_line_ends(void **state)
{
	struct run *r = check_case(hb_line_ends, NSEGS(hb_line_ends), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_string_equal(f->greeting.text, "mx ESMTP");
	assert_string_equal(f->hello_name, "c");
	/* A line is dated by the segment that ended it. */
	assert_int_equal(f->hello_frame, 3);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(f->ncaps, 2);
	assert_string_equal(f->caps[0], "SIZE 100");
	assert_int_equal(f->quit_reply.code, 221);
	assert_string_equal(f->quit_reply.text, "Bye");
	assert_int_equal(f->quit_reply.frame, 8);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* A server line without a code, and a 421 nobody asked for. */
static const struct seg hb_nocode[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "HELO c\r\n"),
	SEG(STI_S2C, 3, "hello there\r\n250 mx\r\n"),
	SEG(STI_S2C, 4, "421 4.4.2 mx Error: timeout exceeded\r\n"),
};

static void test_reply_without_code(void **state)
{
	struct run *r = check_case(hb_nocode, NSEGS(hb_nocode), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_REPLY_WITHOUT_CODE), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_REPLY_WITHOUT_CODE), 3);
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_HELO);
	assert_int_equal(f->hello_code, 250);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_UNKNOWN);
	assert_int_equal(f->nnotable, 1);
	assert_int_equal(f->notable[0].code, 421);
	assert_string_equal(f->notable[0].enhanced, "4.4.2");
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_NONE);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_UNPAIRED_REPLY), 0);
	assert_int_equal(total_anomalies(f), 1);
	run_free(r);
}

/* A gap in the middle of a command and in the middle of a reply. */
static const struct seg hb_gap[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO fo"),
	GAP(STI_C2S, 3, 3),
	SEG(STI_C2S, 4, "ar\r\nMAIL FROM:<a@b>\r\n"),
	SEG(STI_S2C, 5, "250-mx\r\n250-SI"),
	GAP(STI_S2C, 6, 5),
	SEG(STI_S2C, 7, "0\r\n250 2.1.0 Ok\r\n"),
};

/* sendmail echoes the envelope in its replies: those words are spans too. */
static const struct seg echo[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "MAIL FROM:<a@b.example>\r\n"),
	SEG(STI_S2C, 3, "250 2.1.0 <a@b.example>... Sender ok\r\n"),
	SEG(STI_C2S, 4, "RCPT TO:<c@d>\r\n"),
	SEG(STI_S2C, 5, "550 5.1.1 c@d... User unknown\r\n"),
	SEG(STI_C2S, 6, "NOOP\r\n"),
	SEG(STI_S2C, 7, "250 2.0.0 me@here OK\r\n"),
};

static void test_reply_echo_spans(void **state)
{
	struct run *r = check_case(echo, NSEGS(echo), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->nspans, 4);
	assert_int_equal(f->spans[1].dir, STI_S2C);
	assert_int_equal(f->spans[1].kind, STI_SMTP_SPAN_ENVELOPE);
	assert_int_equal(f->spans[1].offset, 14 + 10);
	assert_int_equal(f->spans[1].len, strlen("<a@b.example>..."));
	assert_int_equal(f->spans[3].dir, STI_S2C);
	assert_int_equal(f->spans[3].offset, 14 + 38 + 10);
	assert_int_equal(f->spans[3].len, strlen("c@d..."));
	run_free(r);   /* the NOOP reply's word is no envelope: not a span */
}

static void test_gap_mid_line(void **state)
{
	struct run *r = check_case(hb_gap, NSEGS(hb_gap), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_GAP), 2);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_GAP), 3);
	assert_int_equal(f->gap_bytes, 8);
	/* The EHLO was cut: only MAIL reached the queue, at offset 14. */
	assert_int_equal(f->hello_cmd, STI_SMTP_CMD_NONE);
	assert_int_equal(f->mail_cmds, 1);
	assert_int_equal(f->spans[0].offset, 14 + 5 + 5);   /* after FROM: */
	assert_int_equal(f->commands, 1);
	/* The reply that lost its middle still ended at its last line. */
	assert_non_null(strstr(r->log,
			       "reply d1 f7 t7000 o14 l0 mail 250 [2.1.0] '2.1.0 Ok'"));
	assert_int_equal(f->replies, 2);
	assert_int_equal(total_anomalies(f), 2);
	assert_non_null(strstr(r->log, "gap d0 f3 t2000 o7 l3"));
	run_free(r);
}

/* Capture started mid-session: the first server bytes answer MAIL. */
static const struct seg hb_mid_session[] = {
	SEG(STI_C2S, 10, "MAIL FROM:<x@y>\r\n"),
	SEG(STI_S2C, 11, "250 2.1.0 Ok\r\n"),
	SEG(STI_C2S, 12, "STARTTLS\r\n"),
	SEG(STI_S2C, 13, "220 2.0.0 Ready to start TLS\r\n"),
};

static void test_no_greeting(void **state)
{
	struct run *r = check_case(hb_mid_session, NSEGS(hb_mid_session), false);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_false(f->greeting_seen);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_NO_GREETING), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_NO_GREETING), 11);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 1);
	assert_true(f->starttls_accepted);
	assert_int_equal(f->starttls_offered, STI_SMTP_OFFER_UNKNOWN);
	assert_non_null(strstr(r->log, "reply d1 f11 t11000 o0 l0 mail 250 [2.1.0]"));
	run_free(r);
}

/* A 220 first, with STARTTLS waiting: the reply, not a greeting. */
static const struct seg hb_mid_starttls[] = {
	SEG(STI_C2S, 10, "STARTTLS\r\n"),
	SEG(STI_S2C, 11, "220 2.0.0 Ready to start TLS\r\n"),
};

static void test_mid_session_starttls(void **state)
{
	struct run *r = check_case(hb_mid_starttls, NSEGS(hb_mid_starttls), false);

	(void)state;
	assert_false(F(r)->greeting_seen);
	assert_true(F(r)->starttls_accepted);
	assert_int_equal(sti_smtp_anomaly_count(F(r), STI_SMTP_AN_NO_GREETING), 1);
	run_free(r);
}

/* BDAT chunks (RFC 3030) and a bare-LF DATA terminator. */
static const struct seg hb_bdat[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250 CHUNKING\r\n"),
	SEG(STI_C2S, 4, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 14\r\nQUIT\r\n.\r\nxyz\r\n"),
	SEG(STI_C2S, 5, "bdat 5 last\r\nab\ncd"),
	SEG(STI_S2C, 6, "250 Ok\r\n250 Ok\r\n250 14 octets\r\n250 Queued\r\n"),
	SEG(STI_C2S, 7, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
	SEG(STI_S2C, 8, "250 Ok\r\n250 Ok\r\n354 Go\r\n"),
	SEG(STI_C2S, 9, "Subject: x\n\n..dot\n.\nQUIT\n"),
	SEG(STI_S2C, 10, "250 Queued\r\n221 Bye\r\n"),
};

static void test_bdat_and_bare_lf_data(void **state)
{
	struct run *r = check_case(hb_bdat, NSEGS(hb_bdat), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->bdat_cmds, 2);
	assert_int_equal(f->data_cmds, 1);
	/* 14 + 5 BDAT bytes that look like commands, 18 DATA bytes. */
	assert_int_equal(f->message_bytes, 14 + 5 + 18);
	assert_int_equal(f->messages_accepted, 2);
	assert_true(f->mail_in_clear);
	assert_int_equal(f->mail_in_clear_frame, 4);   /* the first BDAT chunk crossed */
	assert_int_equal(f->quit_frame, 9);
	assert_int_equal(f->quit_reply.code, 221);
	assert_int_equal(f->commands, 9);
	assert_int_equal(log_count(r, "content"), 3);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* DATA refused before any content: the next line is a command again. */
static const struct seg hb_data_refused[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "DATA\r\n"),
	SEG(STI_S2C, 3, "503 5.5.1 Error: need RCPT command\r\n"),
	SEG(STI_C2S, 4, "QUIT\r\n"),
	SEG(STI_S2C, 5, "221 Bye\r\n"),
};

static void test_data_refused(void **state)
{
	struct run *r = check_case(hb_data_refused, NSEGS(hb_data_refused), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->message_bytes, 0);
	assert_int_equal(f->quit_reply.code, 221);
	assert_int_equal(f->nnotable, 1);
	assert_int_equal(f->notable[0].cmd, STI_SMTP_CMD_DATA);
	assert_int_equal(total_anomalies(f), 0);
	run_free(r);
}

/* Content pushed behind a DATA the server then refuses. */
static const struct seg hb_data_pushed_refused[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "DATA\r\nhello\r\n.\r\n"),
	SEG(STI_S2C, 3, "554 5.5.1 Error: no valid recipients\r\n"),
};

static void test_data_pushed_then_refused(void **state)
{
	struct run *r = check_case(hb_data_pushed_refused,
				   NSEGS(hb_data_pushed_refused), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_CONTENT_AFTER_REJECTED_DATA), 1);
	assert_int_equal(sti_smtp_anomaly_frame(f, STI_SMTP_AN_CONTENT_AFTER_REJECTED_DATA), 3);
	assert_int_equal(f->message_bytes, 7);
	assert_true(f->mail_in_clear);   /* refused, but it crossed */
	assert_int_equal(f->messages_accepted, 0);
	run_free(r);
}

/* Gaps inside message content and inside a BDAT chunk keep the framing. */
static const struct seg hb_content_gaps[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "DATA\r\n"),
	SEG(STI_S2C, 3, "354 Go\r\n"),
	SEG(STI_C2S, 4, "Subject: a\r\n"),
	GAP(STI_C2S, 5, 100),
	SEG(STI_C2S, 6, "tail\r\n.\r\nBDAT 10 LAST\r\nab"),
	GAP(STI_C2S, 7, 4),
	SEG(STI_C2S, 8, "cdefQUIT\r\n"),
	SEG(STI_S2C, 9, "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"),
};

static void test_gaps_in_content(void **state)
{
	struct run *r = check_case(hb_content_gaps, NSEGS(hb_content_gaps), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->gap_bytes, 104);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_GAP), 2);
	assert_int_equal(f->message_bytes, 12 + 100 + 6 + 10);
	assert_int_equal(f->messages_accepted, 2);
	assert_int_equal(f->quit_frame, 8);
	assert_int_equal(f->quit_reply.code, 221);
	assert_int_equal(f->spans[0].offset, 6);
	assert_int_equal(f->spans[0].len, 118);
	assert_int_equal(total_anomalies(f), 2);
	run_free(r);
}

/* The capture ends inside a message: what was seen still counts. */
static const struct seg hb_end_in_content[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "DATA\r\n"),
	SEG(STI_S2C, 3, "354 Go\r\n"),
	SEG(STI_C2S, 4, "Subject: a\r\n\r\nbody"),
};

static void test_end_in_content(void **state)
{
	struct run *r = check_case(hb_end_in_content, NSEGS(hb_end_in_content),
				   true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->message_bytes, 18);
	assert_true(f->mail_in_clear);   /* cut short, but it crossed */
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_TRUNCATED_AT_END), 1);
	assert_int_equal(log_count(r, "content"), 1);
	run_free(r);
}

/* AUTH PLAIN with an initial response; codes that differ across lines. */
static const struct seg hb_auth_plain[] = {
	SEG(STI_S2C, 1, "220-mx ESMTP\r\n221-oops\r\n220 ready\r\n"),
	SEG(STI_C2S, 2, "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"),
	SEG(STI_S2C, 3, "535 5.7.8 Error: authentication failed\r\n"),
	SEG(STI_C2S, 4, "AUTH LOGIN\r\n"),
	SEG(STI_S2C, 5, "334 VXNlcm5hbWU6\r\n"),
	SEG(STI_C2S, 6, "dXNlcg==\r\n"),
	SEG(STI_S2C, 7, "334 UGFzc3dvcmQ6\r\n"),
	SEG(STI_C2S, 8, "c2VjcmV0\r\n"),
	SEG(STI_S2C, 9, "235 2.7.0 Authentication successful\r\n"),
	SEG(STI_C2S, 10, "NOOP\r\n"),
	SEG(STI_S2C, 11, "250 2.0.0 Ok\r\n"),
};

static void test_auth(void **state)
{
	struct run *r = check_case(hb_auth_plain, NSEGS(hb_auth_plain), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_int_equal(f->greeting.code, 220);
	assert_string_equal(f->greeting.text, "mx ESMTP");
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_REPLY_CODE_MISMATCH), 1);
	assert_int_equal(f->auth_cmds, 2);
	assert_int_equal(f->nspans, 3);
	assert_int_equal(f->spans[0].kind, STI_SMTP_SPAN_AUTH);
	assert_int_equal(f->spans[0].offset, 11);
	assert_int_equal(f->spans[0].len, 16);
	assert_int_equal(f->spans[1].offset, 29 + 12);
	assert_int_equal(f->spans[1].len, 8);
	assert_int_equal(f->spans[2].offset, 29 + 12 + 10);
	assert_int_equal(f->spans[2].len, 8);
	/* 535 5.7.8 and 235 2.7.0 are both x.7.x: worth reporting. */
	assert_int_equal(f->nnotable, 2);
	assert_int_equal(f->notable[0].code, 535);
	assert_int_equal(f->notable[1].code, 235);
	assert_non_null(strstr(r->log, "command d0 f2 t2000 o0 l0 auth 0 [] 'AUTH PLAIN'"));
	assert_non_null(strstr(r->log, "command d0 f6 t6000 o41 l0 auth_data 0 [] ''"));
	assert_non_null(strstr(r->log, "reply d1 f11 t11000 o148 l0 noop 250"));
	assert_null(strstr(r->log, "AHVzZXIAc2VjcmV0"));
	assert_null(strstr(r->log, "c2VjcmV0"));
	run_free(r);
}

/* Capabilities, a refusal, an envelope span, then TLS both ways. */
static const struct seg hb_settle[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "EHLO c.example\r\n"),
	SEG(STI_S2C, 3, "250-mx\r\n250-SIZE 100\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
	SEG(STI_C2S, 4, "MAIL FROM:<a@b.example>\r\n"),
	SEG(STI_S2C, 5, "530 5.7.0 Must issue a STARTTLS command first\r\n"),
	SEG(STI_C2S, 6, "AUTH LOGIN\r\n"),
	SEG(STI_S2C, 7, "503 5.5.1 Error: authentication not enabled\r\n"),
	SEG(STI_C2S, 8, "STARTTLS\r\n"),
	SEG(STI_S2C, 9, "220 2.0.0 Ready\r\n"),
};

/* A greeting and a HELO only: no capabilities, notable replies or spans. */
static const struct seg hb_plain[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "HELO c.example\r\n"),
	SEG(STI_S2C, 3, "250 mx\r\n"),
};

/*
 * A parser let go of is kept for the next session (smtp.c's spares):
 * what a session with capabilities, notable replies, spans and anomalies
 * left in it must not show in the next one's facts.
 */
static void test_parser_reused_clean(void **state)
{
	struct run *first = run_segs(hb_plain, NSEGS(hb_plain), true, FEED_WHOLE, 0);
	char *want = render_facts(F(first));
	(void)state;

	for (int i = 0; i < 3; i++) {
		struct run *busy = run_segs(hb_settle, NSEGS(hb_settle), true, FEED_WHOLE, 0);
		assert_int_equal(F(busy)->ncaps, 3);
		assert_int_equal(F(busy)->nnotable, 2);
		assert_int_equal(F(busy)->nspans, 1);
		run_free(busy);
		struct run *again = run_segs(hb_plain, NSEGS(hb_plain), true, FEED_WHOLE, 0);
		const struct sti_smtp_facts *f = F(again);
		char *got = render_facts(f);
		assert_string_equal(got, want);
		assert_int_equal(f->ncaps, 0);
		assert_int_equal(f->nnotable, 0);
		assert_int_equal(f->nspans, 0);
		assert_null(f->anomalies);
		assert_string_equal(f->auth_mech, "");
		assert_int_equal(f->hello_code, 250);
		free(got);
		run_free(again);
	}
	free(want);
	run_free(first);
}

/* The single replies of facts f. */
#define FACT_REPLIES(f) \
	{ &(f)->greeting, &(f)->starttls_reply, &(f)->masked_command_reply, \
	  &(f)->quit_reply, &(f)->auth_reply }
#define FACT_NREPLIES 5

/* Every string of the facts, in one order, the lists' ones included. */
#define FACT_STRINGS_MAX (14 + 2 * STI_SMTP_MAX_NOTABLE + STI_SMTP_MAX_CAPS)
static size_t fact_strings(const struct sti_smtp_facts *f, const char **out)
{
	const struct sti_smtp_reply *replies[FACT_NREPLIES] = FACT_REPLIES(f);
	size_t n = 0;
	for (size_t i = 0; i < FACT_NREPLIES; i++) {
		out[n++] = replies[i]->enhanced;
		out[n++] = replies[i]->text;
	}
	out[n++] = f->hello_name;
	out[n++] = f->masked_cap;
	out[n++] = f->injected_line;
	out[n++] = f->auth_mech;
	for (unsigned i = 0; i < f->nnotable; i++) {
		out[n++] = f->notable[i].enhanced;
		out[n++] = f->notable[i].text;
	}
	for (unsigned i = 0; i < f->ncaps; i++)
		out[n++] = f->caps[i];
	return n;
}

/* to with from's lists and strings: what is left to compare is numbers. */
static void take_pointers(struct sti_smtp_facts *to, const struct sti_smtp_facts *from)
{
	struct sti_smtp_reply *t[FACT_NREPLIES] = FACT_REPLIES(to);
	const struct sti_smtp_reply *f[FACT_NREPLIES] = FACT_REPLIES(from);
	for (size_t i = 0; i < FACT_NREPLIES; i++) {
		t[i]->enhanced = f[i]->enhanced;
		t[i]->text = f[i]->text;
	}
	to->anomalies = from->anomalies;
	to->notable = from->notable;
	to->caps = from->caps;
	to->spans = from->spans;
	to->hello_name = from->hello_name;
	to->masked_cap = from->masked_cap;
	to->injected_line = from->injected_line;
	to->auth_mech = from->auth_mech;
}

/* Where a list of n entries of size bytes ends, from the facts' start. */
static size_t list_end(const struct sti_smtp_facts *f, const void *list, size_t n,
		       size_t size)
{
	return (size_t)((const char *)list + n * size - (const char *)f);
}

/* The copy's own lists, right after the facts and sized by their counts,
 * then each string once, as long as its text, ending the allocation. */
static void assert_exactly_sized(const struct sti_smtp_facts *done,
				 const struct sti_smtp_facts *live)
{
	size_t lists = sizeof(*done) + done->nnotable * sizeof(done->notable[0]) +
		       done->nspans * sizeof(done->spans[0]) +
		       done->ncaps * sizeof(done->caps[0]);
	if (done->anomalies) {   /* the first list */
		lists += sizeof(*done->anomalies);
		assert_ptr_equal(done->anomalies, done + 1);
	}
	if (done->ncaps)   /* the last list */
		assert_int_equal(list_end(done, done->caps, done->ncaps,
					  sizeof(done->caps[0])), lists);
	if (done->nnotable)
		assert_true(list_end(done, done->notable, done->nnotable,
				     sizeof(done->notable[0])) <= lists);
	if (done->nspans)
		assert_true(list_end(done, done->spans, done->nspans,
				     sizeof(done->spans[0])) <= lists);
	const char *strs[FACT_STRINGS_MAX];
	size_t n = fact_strings(done, strs), pool = 0, end = lists;
	for (size_t i = 0; i < n; i++) {
		size_t at = (size_t)(strs[i] - (const char *)done), len = strlen(strs[i]) + 1;
		assert_true(at >= lists);   /* in the pool, not in the parser */
		pool += len;
		if (at + len > end)
			end = at + len;
	}
	assert_int_equal(end, lists + pool);   /* nothing shared, nothing spare */
	assert_int_equal(sti_smtp_facts_settled_size(live), lists + pool);
	assert_int_equal(sti_smtp_facts_settled_size(done), lists + pool);
}

/*
 * What a settled session keeps: the same facts, field by field and entry
 * by entry, in one allocation holding only the entries that arrived and
 * each string only as long as its text, and outliving the parser.
 */
static void test_settled_copy(void **state)
{
	struct run *r = check_case(hb_settle, NSEGS(hb_settle), false);
	const struct sti_smtp_facts *live = F(r);

	(void)state;
	assert_true(live->starttls_accepted);
	assert_int_equal(live->ncaps, 3);
	assert_int_equal(live->nnotable, 2);
	assert_int_equal(live->nspans, 1);
	assert_string_equal(live->auth_mech, "LOGIN");
	assert_int_equal(live->auth_reply.code, 503);
	struct sti_smtp_facts *done = sti_smtp_facts_settle(live);
	assert_non_null(done);
	char *want = render_facts(live), *got = render_facts(done);
	assert_string_equal(got, want);
	/* each string equal to the live one, and a copy of it */
	const char *ls[FACT_STRINGS_MAX], *ds[FACT_STRINGS_MAX];
	size_t n = fact_strings(live, ls);
	assert_int_equal(fact_strings(done, ds), n);
	assert_int_equal(n, 14 + 2 * 2 + 3);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ds[i], ls[i]);
		assert_ptr_not_equal(ds[i], ls[i]);
	}
	/* every other field too, bytes and all, once the pointers are set
	 * aside */
	struct sti_smtp_facts same = *done;
	take_pointers(&same, live);
	assert_memory_equal(&same, live, sizeof(same));
	struct sti_smtp_reply rs[2] = { done->notable[0], done->notable[1] };
	for (unsigned i = 0; i < 2; i++) {
		rs[i].enhanced = live->notable[i].enhanced;
		rs[i].text = live->notable[i].text;
	}
	assert_memory_equal(rs, live->notable, sizeof(rs));
	assert_memory_equal(done->spans, live->spans, sizeof(live->spans[0]));
	assert_string_equal(done->caps[2], "STARTTLS");
	assert_int_equal(done->notable[0].code, 530);
	assert_exactly_sized(done, live);
	size_t fixed = sizeof(*done) +
		       STI_SMTP_MAX_NOTABLE * sizeof(struct sti_smtp_reply) +
		       STI_SMTP_MAX_CAPS * STI_SMTP_CAP_MAX +
		       STI_SMTP_MAX_SPANS * sizeof(struct sti_smtp_span);
	assert_true(sti_smtp_facts_settled_size(live) < fixed / 2);
	/* the copy outlives the parser */
	run_free(r);
	assert_string_equal(done->caps[0], "SIZE 100");
	assert_string_equal(done->notable[0].enhanced, "5.7.0");
	assert_string_equal(done->greeting.text, "mx ESMTP");
	assert_string_equal(done->hello_name, "c.example");
	assert_string_equal(done->starttls_reply.text, "2.0.0 Ready");
	free(want);
	free(got);
	free(done);
}

/* No list at all: none is allocated and none is pointed to; every string
 * is one byte of the pool. */
static void test_settled_copy_empty(void **state)
{
	struct sti_smtp_facts f;

	(void)state;
	sti_smtp_facts_blank(&f);
	f.greeting_seen = true;
	f.commands = 3;
	struct sti_smtp_facts *done = sti_smtp_facts_settle(&f);
	assert_non_null(done);
	assert_true(done->greeting_seen);
	assert_int_equal(done->commands, 3);
	assert_null(done->notable);
	assert_null(done->caps);
	assert_null(done->spans);
	assert_null(done->anomalies);
	assert_string_equal(done->greeting.text, "");
	assert_string_equal(done->auth_mech, "");
	assert_exactly_sized(done, &f);
	assert_int_equal(sti_smtp_facts_settled_size(&f), sizeof(f) + 14);
	free(done);
}

/* The anomalies: none, and nothing is held for them; once there is one,
 * the parser's, and a settled copy keeps them in its own allocation. */
static void test_settled_anomalies(void **state)
{
	(void)state;
	struct seg clean[] = {
		SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
		SEG(STI_C2S, 2, "EHLO c\r\n"),
		SEG(STI_S2C, 3, "250 mx\r\n"),
	};
	struct run *r = check_case(clean, NSEGS(clean), false);
	assert_null(F(r)->anomalies);
	assert_int_equal(total_anomalies(F(r)), 0);
	assert_int_equal(sti_smtp_anomaly_frame(F(r), STI_SMTP_AN_NO_GREETING), 0);
	run_free(r);

	struct seg segs[] = {
		SEG(STI_C2S, 4, "EHLO c\r\n"),
		SEG(STI_S2C, 5, "250 mx\r\n"),
	};
	r = check_case(segs, NSEGS(segs), false);
	const struct sti_smtp_facts *live = F(r);
	assert_non_null(live->anomalies);
	assert_int_equal(sti_smtp_anomaly_count(live, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 1);
	assert_int_equal(sti_smtp_anomaly_frame(live, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 4);
	struct sti_smtp_facts *done = sti_smtp_facts_settle(live);
	assert_non_null(done);
	assert_ptr_not_equal(done->anomalies, live->anomalies);
	assert_memory_equal(done->anomalies, live->anomalies, sizeof(*live->anomalies));
	assert_exactly_sized(done, live);
	run_free(r);   /* the copy outlives the parser */
	assert_int_equal(sti_smtp_anomaly_count(done, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 1);
	assert_int_equal(sti_smtp_anomaly_frame(done, STI_SMTP_AN_CLIENT_SPOKE_FIRST), 4);
	assert_int_equal(sti_smtp_anomaly_count(done, STI_SMTP_AN_GAP), 0);
	free(done);
}

/* ---- the compact form (sti_smtp_facts_pack) ---- */

/* The packed form of live reads back as live: every string equal (and
 * its own), every other field the same bytes, the lists entry by entry. */
static void assert_packs_as(const struct sti_smtp_facts *live)
{
	static struct sti_smtp_view view;
	struct sti_smtp_packed *p = sti_smtp_facts_pack(live);
	assert_non_null(p);
	const struct sti_smtp_facts *u = sti_smtp_packed_facts(p, &view);
	char *want = render_facts(live), *got = render_facts(u);
	assert_string_equal(got, want);
	free(want);
	free(got);
	const char *ls[FACT_STRINGS_MAX], *us[FACT_STRINGS_MAX];
	size_t n = fact_strings(live, ls);
	assert_int_equal(fact_strings(u, us), n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(us[i], ls[i]);
		if (ls[i][0])
			assert_ptr_not_equal(us[i], ls[i]);
	}
	struct sti_smtp_facts same = *u;
	take_pointers(&same, live);
	assert_memory_equal(&same, live, sizeof(same));
	for (unsigned i = 0; i < live->nnotable && i < STI_SMTP_MAX_NOTABLE; i++) {
		struct sti_smtp_reply r = u->notable[i];
		r.enhanced = live->notable[i].enhanced;
		r.text = live->notable[i].text;
		assert_memory_equal(&r, &live->notable[i], sizeof(r));
	}
	assert_true((u->notable == NULL) == (live->nnotable == 0));
	assert_true((u->caps == NULL) == (live->ncaps == 0));
	assert_true((u->anomalies == NULL) == (live->anomalies == NULL));
	if (live->anomalies)
		assert_memory_equal(u->anomalies, live->anomalies, sizeof(*live->anomalies));
	assert_true((u->spans == NULL) == (live->nspans == 0));
	if (live->nspans)
		assert_memory_equal(u->spans, live->spans,
				    (live->nspans < STI_SMTP_MAX_SPANS ? live->nspans : STI_SMTP_MAX_SPANS) *
				    sizeof(live->spans[0]));
	sti_smtp_packed_free(p);
}

/* A real conversation (with a notable reply, capabilities, a span, AUTH)
 * packs into less than half the settled copy and reads back the same, also
 * once the parser is gone. */
static void test_packed_real(void **state)
{
	(void)state;
	struct run *r = check_case(hb_settle, NSEGS(hb_settle), false);
	const struct sti_smtp_facts *live = F(r);
	assert_packs_as(live);
	struct sti_smtp_packed *p = sti_smtp_facts_pack(live);
	struct sti_smtp_facts *copy = sti_smtp_facts_settle(live);
	/* the core (104), mail (48), AUTH (40) and span (8 + 24) groups, two
	 * 16-byte notable replies, 21 strings each led by its length but the
	 * six empty ones of absent groups (the injected line, masking's
	 * capability and reply, QUIT's reply) */
	size_t strings = 0;
	const char *ls[FACT_STRINGS_MAX];
	size_t n = fact_strings(live, ls);
	for (size_t i = 0; i < n; i++)
		strings += 1 + strlen(ls[i]) + 1;
	assert_int_equal(sti_smtp_packed_size(p), 104 + 48 + 40 + 32 + 2 * 16 + strings - 6 * 2);
	assert_true(sti_smtp_packed_size(p) < sti_smtp_facts_settled_size(live) * 2 / 3);
	assert_false(sti_smtp_packed_refused(p));
	run_free(r);
	static struct sti_smtp_view view;
	const struct sti_smtp_facts *u = sti_smtp_packed_facts(p, &view);
	char *want = render_facts(copy), *got = render_facts(u);
	assert_string_equal(got, want);
	assert_string_equal(u->caps[2], "STARTTLS");
	assert_string_equal(u->notable[0].enhanced, "5.7.0");
	assert_string_equal(u->auth_mech, "LOGIN");
	assert_int_equal(u->auth_reply.code, 503);
	free(want);
	free(got);
	free(copy);
	sti_smtp_packed_free(p);
}

/* s filled with n - 1 copies of c (a string at its cap). */
static char *full_text(char *s, size_t cap, char c)
{
	memset(s, c, cap - 1);
	s[cap - 1] = '\0';
	return s;
}

static struct sti_smtp_reply extreme_notable[STI_SMTP_MAX_NOTABLE];

/* Facts with every field at what the compact form holds (32-bit frames
 * and offsets, the counters and wide group fields at their top), every
 * list at its cap, every string at its cap, every group present. */
static void extreme_smtp(struct sti_smtp_facts *f)
{
	static char text[12][STI_SMTP_TEXT_MAX], esc[5][STI_SMTP_ESC_MAX];
	static char name[STI_SMTP_NAME_MAX], cap[STI_SMTP_CAP_MAX], mech[STI_SMTP_MECH_MAX];
	static char caps_text[STI_SMTP_MAX_CAPS][STI_SMTP_CAP_MAX];
	static const char *caps[STI_SMTP_MAX_CAPS];
	struct sti_smtp_reply *notable = extreme_notable;
	static struct sti_smtp_span spans[STI_SMTP_MAX_SPANS];
	static struct sti_smtp_anomalies an;
	struct sti_smtp_reply *replies[5] = { &f->greeting, &f->starttls_reply,
					      &f->masked_command_reply, &f->quit_reply,
					      &f->auth_reply };
	memset(f, 0, sizeof(*f));   /* padding too: compared bytewise */
	for (int i = 0; i < 5; i++)
		*replies[i] = (struct sti_smtp_reply){ .code = UINT16_MAX,
			.cmd = STI_SMTP_CMD_OTHER, .enhanced = full_text(esc[i], STI_SMTP_ESC_MAX, 'e'),
			.text = full_text(text[i], STI_SMTP_TEXT_MAX, (char)('a' + i)),
			.frame = UINT32_MAX - (unsigned)i, .ts_us = i ? INT64_MIN : INT64_MAX };
	f->greeting_seen = f->caps_truncated = f->starttls_accepted = f->starttls_refused = true;
	f->client_tls_before_reply = f->starttls_required = f->notable_truncated = true;
	f->mail_in_clear = f->auth_credentials = f->spans_truncated = true;
	f->hello_cmd = STI_SMTP_CMD_LHLO;
	f->hello_name = full_text(name, STI_SMTP_NAME_MAX, 'h');
	f->hello_frame = f->starttls_frame = f->switch_frame = UINT32_MAX;
	f->switch_offset[0] = f->switch_offset[1] = UINT32_MAX;
	f->starttls_required_frame = f->hello_reply_frame = f->went_on_frame = UINT32_MAX;
	f->hello_code = UINT16_MAX;
	f->starttls_offered = STI_SMTP_OFFER_STRIPPED;
	for (unsigned i = 0; i < STI_SMTP_MAX_CAPS; i++)
		caps[i] = full_text(caps_text[i], STI_SMTP_CAP_MAX, (char)('A' + i));
	f->caps = caps;
	f->ncaps = STI_SMTP_MAX_CAPS;
	f->masked_cap = full_text(cap, STI_SMTP_CAP_MAX, 'X');
	f->starttls_count = f->commands = f->replies = UINT32_MAX;
	f->starttls_ts = INT64_MIN;
	f->injected_bytes = f->injected_frame = UINT64_MAX;
	f->injected_line = full_text(text[5], STI_SMTP_TEXT_MAX, 'i');
	f->tls_records_in_plaintext[0] = f->tls_records_in_plaintext[1] = UINT32_MAX;
	f->tls_in_plaintext_frame[0] = f->tls_in_plaintext_frame[1] = UINT64_MAX;
	f->tls_in_plaintext_type[0] = f->tls_in_plaintext_type[1] = UINT8_MAX;
	f->masked_commands = UINT32_MAX;
	f->masked_command_frame = f->message_bytes = f->mail_in_clear_frame = UINT64_MAX;
	f->mail_cmds = f->rcpt_cmds = f->data_cmds = f->bdat_cmds = f->auth_cmds = UINT32_MAX;
	f->messages_accepted = UINT32_MAX;
	f->quit_frame = f->auth_frame = f->auth_credentials_frame = f->gap_bytes = UINT64_MAX;
	f->auth_mech = full_text(mech, STI_SMTP_MECH_MAX, 'm');
	for (unsigned i = 0; i < STI_SMTP_MAX_NOTABLE; i++)
		notable[i] = (struct sti_smtp_reply){ .code = (uint16_t)(400 + i),
			.cmd = STI_SMTP_CMD_RCPT, .enhanced = esc[i % 5], .text = text[6 + i % 6],
			.frame = UINT32_MAX - i, .ts_us = INT64_MAX - i };
	for (unsigned i = 6; i < 12; i++)
		full_text(text[i], STI_SMTP_TEXT_MAX, (char)('0' + i));
	f->notable = notable;
	f->nnotable = STI_SMTP_MAX_NOTABLE;
	for (unsigned i = 0; i < STI_SMTP_MAX_SPANS; i++)
		spans[i] = (struct sti_smtp_span){ .dir = STI_S2C, .kind = STI_SMTP_SPAN_CONTENT,
						   .offset = UINT64_MAX - i, .len = UINT64_MAX };
	f->spans = spans;
	f->nspans = STI_SMTP_MAX_SPANS;
	for (unsigned i = 0; i < STI_SMTP_AN__COUNT; i++) {
		an.count[i] = UINT32_MAX - i;
		an.frame[i] = UINT64_MAX - i;
	}
	f->anomalies = &an;
}

/* Every field at its extreme and every group present reads back exactly;
 * one value past a narrowed field is not packed. */
static void test_packed_extremes(void **state)
{
	(void)state;
	struct sti_smtp_facts f;
	extreme_smtp(&f);
	assert_packs_as(&f);
	struct sti_smtp_packed *p = sti_smtp_facts_pack(&f);
	assert_true(sti_smtp_packed_refused(p));
	sti_smtp_packed_free(p);
	for (int k = 0; k < 6; k++) {
		extreme_smtp(&f);
		switch (k) {
		case 0: f.greeting.frame = (uint64_t)UINT32_MAX + 1; break;
		case 1: f.switch_offset[1] = (uint64_t)UINT32_MAX + 1; break;
		case 2: f.auth_reply.frame = (uint64_t)UINT32_MAX + 1; break;
		case 3: f.went_on_frame = (uint64_t)UINT32_MAX + 1; break;
		case 4: f.nnotable = UINT8_MAX + 1u; break;
		case 5: extreme_notable[3].frame = (uint64_t)UINT32_MAX + 1; break;
		}
		assert_null(sti_smtp_facts_pack(&f));
	}
}

/* Blank facts: the core (104 bytes) and the five always-pooled strings;
 * each group costs its bytes only when present, and reads back. */
static void test_packed_groups(void **state)
{
	(void)state;
	struct sti_smtp_facts f;
	static struct sti_smtp_anomalies an = { .count[STI_SMTP_AN_GAP] = 1 };
	static const struct sti_smtp_span span = { .dir = STI_C2S, .offset = 9, .len = 4 };
	sti_smtp_facts_blank(&f);
	struct sti_smtp_packed *p = sti_smtp_facts_pack(&f);
	assert_int_equal(sti_smtp_packed_size(p), 104 + 5 * 2);
	sti_smtp_packed_free(p);
	assert_packs_as(&f);
	for (int k = 0; k < 9; k++) {
		size_t extra = 0;
		sti_smtp_facts_blank(&f);
		switch (k) {
		case 0: f.injected_line = "MAIL FROM:<a@b>"; extra = 16 + 1 + 16; break;
		case 1: f.tls_in_plaintext_type[1] = 22; extra = 32; break;
		case 2: f.masked_commands = 1; extra = 32 + 3 * 2; break;
		case 3: f.rcpt_cmds = 2; extra = 48; break;
		case 4: f.quit_reply.code = 221; extra = 24 + 2 * 2; break;
		case 5: f.auth_mech = "PLAIN"; extra = 40 + 1 + 6 + 2 * 2; break;
		case 6: f.anomalies = &an; extra = sizeof(an); break;
		case 7: f.gap_bytes = 5; extra = 8; break;
		case 8: f.spans = &span; f.nspans = 1; extra = 8 + sizeof(span); break;
		}
		p = sti_smtp_facts_pack(&f);
		assert_int_equal(sti_smtp_packed_size(p), 104 + 5 * 2 + extra);
		sti_smtp_packed_free(p);
		assert_packs_as(&f);
	}
}

/* Forty recipients: the span list is capped and says so. */
static void test_spans_capped(void **state)
{
	static char cmds[4096];
	size_t b = 0;
	struct run *r;
	struct seg segs[2] = {
		SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
		{ STI_C2S, 2, 2000, cmds, 0 },
	};

	(void)state;
	for (int i = 0; i < 40; i++)
		b += (size_t)snprintf(cmds + b, sizeof(cmds) - b,
				      "RCPT TO:<u%d@x>\r\n", i);
	segs[1].n = b;
	r = check_case(segs, NSEGS(segs), true);
	assert_int_equal(F(r)->rcpt_cmds, 40);
	assert_int_equal(F(r)->nspans, STI_SMTP_MAX_SPANS);
	assert_true(F(r)->spans_truncated);
	run_free(r);
}

/* A server that speaks TLS from its first byte has no greeting. */
static const struct seg hb_tls_server[] = {
	SEG(STI_C2S, 1, "EHLO c\r\n"),
	SEG(STI_S2C, 2, "\026\003\003\000\002\002\050"),
};

static void test_tls_server(void **state)
{
	struct run *r = check_case(hb_tls_server, NSEGS(hb_tls_server), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_false(f->greeting_seen);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_NO_GREETING), 1);
	assert_int_equal(f->tls_records_in_plaintext[STI_S2C], 1);
	assert_int_equal(f->tls_in_plaintext_frame[STI_S2C], 2);
	assert_int_equal(f->tls_in_plaintext_type[STI_S2C], 0x16);
	assert_int_equal(sti_smtp_anomaly_count(f, STI_SMTP_AN_TRUNCATED_AT_END), 0);
	run_free(r);
}

/* Bytes lost after STARTTLS are not counted as injected plaintext. */
static const struct seg hb_gap_after_starttls[] = {
	SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
	SEG(STI_C2S, 2, "STARTTLS\r\n"),
	GAP(STI_C2S, 3, 50),
	SEG(STI_S2C, 4, "220 2.0.0 Ready\r\n"),
};

static void test_gap_after_starttls(void **state)
{
	struct run *r = check_case(hb_gap_after_starttls,
				   NSEGS(hb_gap_after_starttls), true);
	const struct sti_smtp_facts *f = F(r);

	(void)state;
	assert_true(f->starttls_accepted);
	assert_int_equal(f->injected_bytes, 0);
	assert_int_equal(f->switch_offset[STI_C2S], 60);
	run_free(r);
}

/* Hostile odds and ends must not crash, hang or read out of bounds. */
static void test_hostile_bytes(void **state)
{
	uint8_t junk[4096];
	uint64_t s = 42;
	struct run *r;
	struct seg segs[4] = {
		SEG(STI_S2C, 1, "220-"),
		{ STI_C2S, 2, 2000, NULL, 0 },
		{ STI_S2C, 3, 3000, NULL, 0 },
		SEG(STI_C2S, 4, "\nBDAT 99999999999999999999\r\nBDAT x\r\n"),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)feed_random(&s);
	segs[1].p = (const char *)junk;
	segs[1].n = sizeof(junk);
	segs[2].p = (const char *)junk;
	segs[2].n = sizeof(junk);
	r = check_case(segs, NSEGS(segs), true);
	assert_int_equal(sti_smtp_anomaly_count(F(r), STI_SMTP_AN_BAD_BDAT), 2);
	run_free(r);
}

/*
 * Kept text shows printable ASCII and a '.' for anything else, whatever
 * 16-byte block of the line a byte falls in (the copy maps 16 at a
 * time): every byte value but the line ends, at every offset modulo 16,
 * over the 127 bytes a greeting's text keeps.
 */
static void test_text_every_byte(void **state)
{
	(void)state;
	for (unsigned shift = 0; shift < 16; shift++) {
		char line[4 + 140 + 2], want[STI_SMTP_TEXT_MAX];
		size_t n = 0, w = 0;
		memcpy(line, "220 ", 4);
		n = 4;
		for (unsigned i = 0; i < 140; i++) {
			uint8_t c = (uint8_t)(1 + (i * 7 + shift) % 255);
			if (c == '\r' || c == '\n' || (i == 0 && c == ' '))
				c = 'k';
			line[n++] = (char)c;
			if (w + 1 < sizeof(want))
				want[w++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
		}
		want[w] = '\0';
		line[n++] = '\r';
		line[n++] = '\n';
		struct seg segs[] = { { STI_S2C, 1, 1000, line, n } };
		struct run *r = check_case(segs, NSEGS(segs), true);
		assert_string_equal(F(r)->greeting.text, want);
		run_free(r);
	}
}

/* Caps: a 40-line EHLO reply and 40 pipelined commands. */
static void test_caps(void **state)
{
	static char ehlo[4096], cmds[4096];
	size_t a = 0, b = 0;
	struct run *r;
	struct seg segs[4] = {
		SEG(STI_S2C, 1, "220 mx ESMTP\r\n"),
		SEG(STI_C2S, 2, "EHLO c\r\n"),
		{ STI_S2C, 3, 3000, ehlo, 0 },
		{ STI_C2S, 4, 4000, cmds, 0 },
	};

	(void)state;
	a += (size_t)snprintf(ehlo + a, sizeof(ehlo) - a, "250-mx\r\n");
	for (int i = 0; i < 40; i++)
		a += (size_t)snprintf(ehlo + a, sizeof(ehlo) - a,
				      "250-X-CAPABILITY-NUMBER-%02d-WITH-A-LONG-NAME\r\n", i);
	a += (size_t)snprintf(ehlo + a, sizeof(ehlo) - a, "250 STARTTLS\r\n");
	for (int i = 0; i < 40; i++)
		b += (size_t)snprintf(cmds + b, sizeof(cmds) - b, "NOOP %d\r\n", i);
	segs[2].n = a;
	segs[3].n = b;
	r = check_case(segs, NSEGS(segs), true);
	assert_int_equal(F(r)->ncaps, STI_SMTP_MAX_CAPS);
	assert_true(F(r)->caps_truncated);
	assert_int_equal(strlen(F(r)->caps[0]), STI_SMTP_CAP_MAX - 1);
	/* STARTTLS came after the cap and is still seen. */
	assert_int_equal(F(r)->starttls_offered, STI_SMTP_OFFER_YES);
	assert_int_equal(sti_smtp_anomaly_count(F(r), STI_SMTP_AN_PIPELINE_OVERFLOW), 8);
	assert_int_equal(F(r)->commands, 41);
	run_free(r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sti_smtp_cmd_name(STI_SMTP_CMD_STARTTLS), "starttls");
	assert_string_equal(sti_smtp_cmd_name(STI_SMTP_CMD__COUNT), "unknown");
	assert_string_equal(sti_smtp_anomaly_name(STI_SMTP_AN_TLS_IN_PLAINTEXT),
			    "tls_in_plaintext");
	assert_non_null(strstr(sti_smtp_anomaly_desc(STI_SMTP_AN_NO_GREETING),
			       "mid-session"));
	assert_string_equal(sti_smtp_offer_name(STI_SMTP_OFFER_STRIPPED), "stripped");
	assert_string_equal(sti_smtp_ev_name(STI_SMTP_EV_SWITCH), "switch");
}

static struct seg_list *const conversations[] = {
	&cap_arkime, &cap_ndpi, &cap_pipelining, &cap_rset, &cap_sanders,
	&cap_err_binary, &cap_err_nocode, &cap_err_pipe, &cap_err_tls, &cap_zeek,
};

TEST_DATA_GROUP(conversations, seg_lists_load, seg_lists_free)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arkime_starttls),
		cmocka_unit_test(test_arkime_boundary_in_chunk),
		cmocka_unit_test(test_ndpi_starttls),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_rset_starttls),
		cmocka_unit_test(test_offered_not_used),
		cmocka_unit_test(test_errors_binary),
		cmocka_unit_test(test_errors_reply_without_code),
		cmocka_unit_test(test_errors_pipelined_refusals),
		cmocka_unit_test(test_errors_tls_to_plaintext),
		cmocka_unit_test(test_zeek_data_transfer),
		cmocka_unit_test(test_asa_stripping),
		cmocka_unit_test(test_asa_lowercase),
		cmocka_unit_test(test_starttls_required),
		cmocka_unit_test(test_refused_then_client_hello),
		cmocka_unit_test(test_injection_after_starttls),
		cmocka_unit_test(test_pipelined_after_refusal),
		cmocka_unit_test(test_early_client_hello),
		cmocka_unit_test(test_megabyte_line),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_reply_without_code),
		cmocka_unit_test(test_gap_mid_line),
		cmocka_unit_test(test_reply_echo_spans),
		cmocka_unit_test(test_no_greeting),
		cmocka_unit_test(test_mid_session_starttls),
		cmocka_unit_test(test_bdat_and_bare_lf_data),
		cmocka_unit_test(test_data_refused),
		cmocka_unit_test(test_data_pushed_then_refused),
		cmocka_unit_test(test_gaps_in_content),
		cmocka_unit_test(test_end_in_content),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_settled_copy),
		cmocka_unit_test(test_parser_reused_clean),
		cmocka_unit_test(test_settled_copy_empty),
		cmocka_unit_test(test_settled_anomalies),
		cmocka_unit_test(test_packed_real),
		cmocka_unit_test(test_packed_extremes),
		cmocka_unit_test(test_packed_groups),
		cmocka_unit_test(test_spans_capped),
		cmocka_unit_test(test_tls_server),
		cmocka_unit_test(test_gap_after_starttls),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_text_every_byte),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, data_setup, data_teardown);
}
