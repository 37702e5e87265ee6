/*
 * test_session.c - the session table: orientation by each method, port
 * reuse, closing, idle expiry, eviction at the cap, stop of payload, and
 * the order of release and eviction against a plain LRU list, and the
 * slots entries live in: aligned, zeroed, reused, their pages given back.
 * Packets are built as decoded structs; no pcap is involved.
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

#include "sti/session.h"

#define SEC INT64_C(1000000)

/* What the consumer saw. */
struct seen {
	int opened, closed, released;
	uint64_t last_closed_id;
	enum sti_end last_end;
	char c2s[256], s2c[256];
	size_t nc2s, ns2c;
	int fins, rsts, gaps, skips;
	bool stop_c2s_after_data;
	bool stop_at_open;
	struct sti_session *last;
	struct sti_endpoint last_cli;
	enum sti_orient last_orient;
};

static void on_open(void *ctx, struct sti_session *s)
{
	struct seen *w = ctx;
	w->opened++;
	w->last = s;
	if (w->stop_at_open) {
		sti_session_stop_payload(s, STI_C2S);
		sti_session_stop_payload(s, STI_S2C);
	}
}

static void on_stream(void *ctx, struct sti_session *s, const struct sti_stream_ev *ev)
{
	struct seen *w = ctx;
	char *buf = ev->dir == STI_C2S ? w->c2s : w->s2c;
	size_t *n = ev->dir == STI_C2S ? &w->nc2s : &w->ns2c;
	switch (ev->kind) {
	case STI_EV_DATA:
		if (*n + ev->len < sizeof(w->c2s)) {
			memcpy(buf + *n, ev->data, ev->len);
			*n += ev->len;
			buf[*n] = '\0';
		}
		if (w->stop_c2s_after_data && ev->dir == STI_C2S)
			sti_session_stop_payload(s, STI_C2S);
		break;
	case STI_EV_FIN: w->fins++; break;
	case STI_EV_RST: w->rsts++; break;
	case STI_EV_GAP: w->gaps++; break;
	case STI_EV_SKIP: w->skips++; break;
	}
}

static void on_close(void *ctx, struct sti_session *s)
{
	struct seen *w = ctx;
	w->closed++;
	w->last_closed_id = s->id;
	w->last_end = s->end;
	w->last_cli = s->cli;
	w->last_orient = s->orient;
}

static void on_release(void *ctx, struct sti_session *s)
{
	struct seen *w = ctx;
	(void)s;
	w->released++;
}

static const struct sti_session_ops ops = {
	.open = on_open, .stream = on_stream, .close = on_close,
	.release = on_release,
};

/* 192.0.2.A:PA -> 192.0.2.B:PB */
static struct sti_pkt pkt(uint8_t a, uint16_t pa, uint8_t b, uint16_t pb,
			  uint8_t flags, uint32_t seq, const char *payload,
			  uint64_t frame, int64_t ts)
{
	struct sti_pkt p;
	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 192;
	p.src.a[2] = p.dst.a[2] = 2;
	p.src.a[3] = a;
	p.dst.a[3] = b;
	p.sport = pa;
	p.dport = pb;
	p.flags = flags;
	p.seq = seq;
	p.payload = (const uint8_t *)payload;
	p.payload_len = p.payload_caplen = payload ? (uint32_t)strlen(payload) : 0;
	p.frame = frame;
	p.ts_us = ts;
	return p;
}

struct fx {
	struct sti_session_cfg cfg;
	struct sti_table *t;
	struct seen w;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	sti_session_cfg_defaults(&f->cfg);
	f->t = sti_table_new(&f->cfg, &ops, &f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sti_table_free(f->t);
	free(f);
	return 0;
}

static void feed(struct fx *f, struct sti_pkt p)
{
	sti_table_packet(f->t, &p);
}

enum { SYN = STI_TCP_SYN, ACK = STI_TCP_ACK, FIN = STI_TCP_FIN,
       RST = STI_TCP_RST, PSH = STI_TCP_PSH };

/* A whole SMTP-ish connection on 10 -> 20:25 with client port cp. */
static struct sti_pkt acking(struct sti_pkt p, uint32_t ack)
{
	p.ack = ack;
	return p;
}

static void handshake(struct fx *f, uint16_t cp, uint64_t frame, int64_t ts)
{
	feed(f, pkt(10, cp, 20, 25, SYN, 1000, NULL, frame, ts));
	feed(f, acking(pkt(20, 25, 10, cp, SYN | ACK, 5000, NULL, frame + 1, ts), 1001));
	feed(f, acking(pkt(10, cp, 20, 25, ACK, 1001, NULL, frame + 2, ts), 5001));
}

static void test_orientation_syn_and_streams(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(20, 25, 10, 40000, ACK | PSH, 5001, "220 mx ESMTP\r\n", 4, 0));
	feed(f, pkt(10, 40000, 20, 25, ACK | PSH, 1001, "EHLO c\r\n", 5, 0));
	struct sti_session *s = f->w.last;
	assert_int_equal(s->id, 1);
	assert_int_equal(s->orient, STI_ORIENT_SYN);
	assert_int_equal(s->cli.port, 40000);
	assert_int_equal(s->srv.port, 25);
	assert_int_equal(s->dir[STI_C2S].packets, 3);
	assert_int_equal(s->dir[STI_S2C].packets, 2);
	assert_int_equal(s->dir[STI_C2S].payload_bytes, 8);
	assert_string_equal(f->w.s2c, "220 mx ESMTP\r\n");
	assert_string_equal(f->w.c2s, "EHLO c\r\n");
	assert_int_equal(sti_table_count(f->t), 1);
}

static void test_orientation_synack(void **state)
{
	struct fx *f = *state;
	/* The SYN was not captured: the SYN+ACK's receiver is the client. */
	feed(f, pkt(20, 2525, 10, 51000, SYN | ACK, 7, NULL, 1, 0));
	assert_int_equal(f->w.last->orient, STI_ORIENT_SYNACK);
	assert_int_equal(f->w.last->cli.port, 51000);
}

static void test_orientation_port(void **state)
{
	struct fx *f = *state;
	/* Mid-stream, a packet from the server port first. */
	feed(f, pkt(20, 587, 10, 33000, ACK, 9, "250 OK\r\n", 1, 0));
	assert_int_equal(f->w.last->orient, STI_ORIENT_PORT);
	assert_int_equal(f->w.last->cli.port, 33000);
	assert_string_equal(f->w.s2c, "250 OK\r\n");
}

static void test_orientation_greeting_swaps(void **state)
{
	struct fx *f = *state;
	/* Unlisted ports, no SYN: the guess (lower port is the server) is
	 * wrong here and the greeting corrects it before any delivery. */
	feed(f, pkt(20, 40001, 10, 2000, ACK, 77, NULL, 1, 0));
	struct sti_session *s = f->w.last;
	assert_int_equal(s->orient, STI_ORIENT_PORT_ORDER);
	assert_int_equal(s->srv.port, 2000);
	feed(f, pkt(20, 40001, 10, 2000, ACK | PSH, 77, "220 smtp.example\r\n", 2, 0));
	assert_int_equal(s->orient, STI_ORIENT_GREETING);
	assert_int_equal(s->srv.port, 40001);
	assert_int_equal(s->cli.port, 2000);
	assert_int_equal(s->dir[STI_S2C].packets, 2);
	assert_string_equal(f->w.s2c, "220 smtp.example\r\n");
	assert_int_equal(f->w.nc2s, 0);
}

static void test_orientation_client_hello(void **state)
{
	struct fx *f = *state;
	static const char hello[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00";
	struct sti_pkt p = pkt(10, 3000, 20, 4000, ACK | PSH, 1, NULL, 1, 0);
	p.payload = (const uint8_t *)hello;
	p.payload_len = p.payload_caplen = sizeof(hello) - 1;
	feed(f, p);
	assert_int_equal(f->w.last->orient, STI_ORIENT_CLIENT_HELLO);
	assert_int_equal(f->w.last->cli.port, 3000);
}

static void test_fin_close_and_linger(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(10, 40000, 20, 25, FIN | ACK, 1001, NULL, 4, 0));
	assert_int_equal(f->w.closed, 0);
	feed(f, pkt(20, 25, 10, 40000, FIN | ACK, 5001, NULL, 5, 0));
	assert_int_equal(f->w.closed, 1);
	assert_int_equal(f->w.last_end, STI_END_FIN);
	assert_int_equal(f->w.fins, 2);
	struct sti_session *s = f->w.last;
	assert_int_equal(s->end_side, STI_C2S);
	assert_int_equal(s->end_frame, 4);
	/* The last ACK is absorbed by the closed session, not a new one. */
	feed(f, pkt(10, 40000, 20, 25, ACK, 1002, NULL, 6, 0));
	assert_int_equal(f->w.opened, 1);
	assert_int_equal(s->dir[STI_C2S].packets, 4);
	/* Lingering ends after its time. */
	assert_int_equal(f->w.released, 0);
	sti_table_expire(f->t, f->cfg.linger_us + 1);
	assert_int_equal(f->w.released, 1);
	assert_int_equal(sti_table_count(f->t), 0);
}

static void test_rst_closes(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(20, 25, 10, 40000, RST | ACK, 5001, NULL, 4, 0));
	assert_int_equal(f->w.closed, 1);
	assert_int_equal(f->w.last_end, STI_END_RST);
	assert_int_equal(f->w.rsts, 1);
	assert_int_equal(f->w.last->dir[STI_S2C].rst_frame, 4);
	assert_int_equal(f->w.last->end_side, STI_S2C);
}

static void test_port_reuse_after_close(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(10, 40000, 20, 25, RST, 1001, NULL, 4, 0));
	/* A new SYN on the same 5-tuple is a new session. */
	feed(f, pkt(10, 40000, 20, 25, SYN, 9000, NULL, 5, 1));
	assert_int_equal(f->w.opened, 2);
	assert_int_equal(f->w.last->id, 2);
	assert_int_equal(f->w.released, 1);
	assert_int_equal(sti_table_count(f->t), 1);
}

static void test_port_reuse_without_close(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	/* A retransmitted SYN is the same connection... */
	feed(f, pkt(10, 40000, 20, 25, SYN, 1000, NULL, 4, 0));
	assert_int_equal(f->w.opened, 1);
	/* ...a SYN with another ISN is a new one. */
	feed(f, pkt(10, 40000, 20, 25, SYN, 77777, NULL, 5, 0));
	assert_int_equal(f->w.opened, 2);
	assert_int_equal(f->w.last_end, STI_END_REUSED);
	assert_int_equal(f->w.last_closed_id, 1);
}

static void test_idle_expiry(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	handshake(f, 40001, 4, 100 * SEC);
	/* A packet at t=301 s expires the first (idle since 0), not the
	 * second (idle since 100 s, and touched by this very packet). */
	feed(f, pkt(10, 40001, 20, 25, ACK, 1001, NULL, 7, 301 * SEC));
	assert_int_equal(f->w.closed, 1);
	assert_int_equal(f->w.last_end, STI_END_IDLE);
	assert_int_equal(f->w.last_closed_id, 1);
	assert_int_equal(sti_table_count(f->t), 1);
	/* With no packets at all, the clock of a live capture expires. */
	sti_table_expire(f->t, 601 * SEC);
	assert_int_equal(f->w.closed, 2);
	assert_int_equal(sti_table_count(f->t), 0);
	assert_int_equal(sti_table_stats(f->t)->expired, 2);
}

static void test_clock_going_back_does_not_expire(void **state)
{
	struct fx *f = *state;
	/* Alternating timestamps 48 years apart, as in a real capture. */
	feed(f, pkt(10, 40000, 20, 25, SYN, 1000, NULL, 1, 1000));
	feed(f, pkt(20, 25, 10, 40000, SYN | ACK, 5000, NULL, 2, INT64_C(1522669095) * SEC));
	feed(f, acking(pkt(10, 40000, 20, 25, ACK, 1001, NULL, 3, 2000), 5001));
	feed(f, pkt(20, 25, 10, 40000, ACK | PSH, 5001, "220 x\r\n", 4, 3000));
	assert_int_equal(f->w.opened, 1);
	assert_int_equal(f->w.closed, 0);
	assert_int_equal(f->w.last->dir[STI_S2C].packets, 2);
	assert_string_equal(f->w.s2c, "220 x\r\n");
}

/* Two SYN+ACKs with different ISNs: the client's ACK says which counts. */
static void test_server_isn_from_client_ack(void **state)
{
	struct fx *f = *state;
	feed(f, pkt(10, 40000, 20, 25, SYN, 1000, NULL, 1, 0));
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 7000, NULL, 2, 0), 1001));
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 5000, NULL, 3, 0), 1001));
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 7000, NULL, 4, 0), 1001));
	feed(f, acking(pkt(10, 40000, 20, 25, ACK, 1001, NULL, 5, 0), 5001));
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 7000, NULL, 6, 0), 1001));
	feed(f, pkt(20, 25, 10, 40000, ACK | PSH, 5001, "220 ok\r\n", 7, 0));
	assert_string_equal(f->w.s2c, "220 ok\r\n");
	assert_int_equal(f->w.gaps, 0);
}

/* A second copy of the server's side with other sequence numbers (another
 * capture path behind NAT) acknowledges nothing the client sent: ignored. */
static void test_foreign_segments_ignored(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, acking(pkt(20, 25, 10, 40000, ACK | PSH, 90000000, "junk", 4, 0), 0x70000000));
	feed(f, acking(pkt(20, 25, 10, 40000, ACK | PSH, 5001, "220 ok\r\n", 5, 0), 1001));
	feed(f, acking(pkt(20, 25, 10, 40000, ACK | FIN, 90000004, NULL, 6, 0), 0x70000000));
	assert_string_equal(f->w.s2c, "220 ok\r\n");
	assert_int_equal(f->w.gaps, 0);
	assert_int_equal(f->w.fins, 0);
	assert_int_equal(f->w.last->dir[STI_S2C].foreign, 2);
	/* Counted as packets of the session all the same. */
	assert_int_equal(f->w.last->dir[STI_S2C].packets, 4);
}

/* TCP Fast Open: SYN data the server did not acknowledge is resent and
 * only the resent copy counts; acknowledged SYN data is delivered. */
static void test_syn_data(void **state)
{
	struct fx *f = *state;
	feed(f, pkt(10, 40000, 20, 25, SYN, 1000, "first", 1, 0));
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 5000, NULL, 2, 0), 1001));
	feed(f, acking(pkt(10, 40000, 20, 25, ACK | PSH, 1001, "again", 3, 0), 5001));
	assert_string_equal(f->w.c2s, "again");

	feed(f, pkt(10, 40001, 20, 25, SYN, 3000, "taken", 4, 0));
	assert_int_equal(f->w.nc2s, 5);   /* held until the SYN+ACK */
	feed(f, acking(pkt(20, 25, 10, 40001, SYN | ACK, 6000, NULL, 5, 0), 3006));
	feed(f, acking(pkt(10, 40001, 20, 25, ACK | PSH, 3006, "!", 6, 0), 6001));
	assert_string_equal(f->w.c2s, "againtaken!");
}

static void test_eviction_at_cap(void **state)
{
	struct fx *f = *state;
	sti_table_free(f->t);
	memset(&f->w, 0, sizeof(f->w));
	f->cfg.max_sessions = 3;
	f->t = sti_table_new(&f->cfg, &ops, &f->w);
	for (uint16_t i = 0; i < 3; i++)
		handshake(f, (uint16_t)(40000 + i), 1 + 3 * i, i * SEC);
	/* Touch the first so the second is the longest idle. */
	feed(f, pkt(10, 40000, 20, 25, ACK, 1001, NULL, 10, 5 * SEC));
	handshake(f, 40009, 11, 6 * SEC);
	assert_int_equal(sti_table_count(f->t), 3);
	assert_int_equal(f->w.closed, 1);
	assert_int_equal(f->w.last_end, STI_END_EVICTED);
	assert_int_equal(f->w.last_closed_id, 2);
	assert_int_equal(sti_table_stats(f->t)->evicted, 1);
	assert_int_equal(sti_table_stats(f->t)->high_water, 3);
}

static void test_flush_closes_in_id_order(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	handshake(f, 40001, 4, 0);
	feed(f, pkt(10, 40000, 20, 25, ACK, 1001, NULL, 7, 0)); /* 1 is newest */
	sti_table_flush(f->t);
	assert_int_equal(f->w.closed, 2);
	assert_int_equal(f->w.last_closed_id, 2);
	assert_int_equal(f->w.last_end, STI_END_CAPTURE);
	assert_int_equal(f->w.released, 2);
}

static void test_stop_payload_keeps_fin(void **state)
{
	struct fx *f = *state;
	f->w.stop_c2s_after_data = true;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(10, 40000, 20, 25, ACK, 1001, "abc", 4, 0));
	feed(f, pkt(10, 40000, 20, 25, ACK, 1004, "def", 5, 0));
	feed(f, pkt(10, 40000, 20, 25, FIN | ACK, 1007, NULL, 6, 0));
	assert_string_equal(f->w.c2s, "abc");
	assert_int_equal(f->w.fins, 1);
	assert_int_equal(f->w.last->dir[STI_C2S].payload_bytes, 6);
}

/*
 * A stop asked for while the session is a bare SYN, before it has
 * streams, is taken up when they come: no payload is handed up after it.
 */
static void test_stop_before_streams(void **state)
{
	struct fx *f = *state;
	f->w.stop_at_open = true;
	feed(f, pkt(10, 40000, 20, 25, SYN, 1000, NULL, 1, 0));
	assert_false(sti_session_stream(f->w.last, STI_C2S)->stopped);
	feed(f, acking(pkt(20, 25, 10, 40000, SYN | ACK, 5000, NULL, 2, 0), 1001));
	assert_true(sti_session_stream(f->w.last, STI_C2S)->stopped);
	assert_true(sti_session_stream(f->w.last, STI_S2C)->stopped);
	feed(f, acking(pkt(10, 40000, 20, 25, ACK | PSH, 1001, "abc", 3, 0), 5001));
	feed(f, acking(pkt(20, 25, 10, 40000, ACK | PSH, 5001, "220 x\r\n", 4, 0), 1004));
	assert_string_equal(f->w.c2s, "");
	assert_string_equal(f->w.s2c, "");
	assert_int_equal(f->w.last->dir[STI_C2S].payload_bytes, 3);
	assert_int_equal(sti_session_stream(f->w.last, STI_C2S)->next_off, 3);
}

/*
 * Settled both ways: segments are only counted, retransmissions too, and
 * handed up as nothing but the FINs that close the session.
 */
static void test_settled_session_bypass(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	feed(f, pkt(20, 25, 10, 40000, ACK, 5001, "220 x\r\n", 4, 0));
	struct sti_session *s = f->w.last;
	sti_session_stop_payload(s, STI_C2S);
	sti_session_stop_payload(s, STI_S2C);
	feed(f, pkt(10, 40000, 20, 25, ACK, 1001, "abc", 5, 0));
	feed(f, pkt(10, 40000, 20, 25, ACK, 1001, "abc", 6, 0));   /* again */
	feed(f, pkt(20, 25, 10, 40000, ACK, 5008, "defg", 7, 0));
	assert_int_equal(f->w.skips, 0);
	assert_string_equal(f->w.c2s, "");
	assert_string_equal(f->w.s2c, "220 x\r\n");
	feed(f, pkt(10, 40000, 20, 25, FIN | ACK, 1004, NULL, 8, 0));
	feed(f, pkt(20, 25, 10, 40000, FIN | ACK, 5012, NULL, 9, 0));
	assert_int_equal(f->w.fins, 2);
	assert_int_equal(f->w.closed, 1);
	assert_int_equal(f->w.last_end, STI_END_FIN);
	assert_int_equal(s->end_side, STI_C2S);
	assert_int_equal(s->end_frame, 8);
	assert_int_equal(s->dir[STI_C2S].packets, 5);
	assert_int_equal(s->dir[STI_C2S].payload_bytes, 6);
	assert_int_equal(s->dir[STI_S2C].payload_bytes, 11);
	const struct sti_reasm *c = sti_session_stream(s, STI_C2S);
	assert_int_equal(c->st.retransmitted, 1);
	assert_int_equal(c->st.skipped, 3);
	assert_int_equal(c->next_off, 3);
	assert_int_equal(sti_session_stream(s, STI_S2C)->next_off, 11);
}

/* A lookup reads the entry's first 56 bytes: hash, chain, endpoints. */
static void test_entry_key_leads(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct sti_session, hash), 0);
	assert_int_equal(offsetof(struct sti_session, hnext), 8);
	assert_int_equal(offsetof(struct sti_session, cli), 16);
	assert_int_equal(offsetof(struct sti_session, srv) + sizeof(struct sti_endpoint), 56);
}

static void test_ipv6_and_ipv4_do_not_collide(void **state)
{
	struct fx *f = *state;
	handshake(f, 40000, 1, 0);
	struct sti_pkt p = pkt(10, 40000, 20, 25, SYN, 1000, NULL, 4, 0);
	p.src.family = p.dst.family = 6;
	feed(f, p);
	assert_int_equal(f->w.opened, 2);
}

/*
 * A table fed several packets at a time ends where one fed packet by packet
 * ends: opens, streams, closes (room made and ports reused among them) in
 * the same order with the same ids.
 */
static void test_packets_together_match_one_at_a_time(void **state)
{
	struct fx *f = *state;
	struct sti_pkt v[64];
	int n = 0;
	for (uint16_t i = 0; i < 6; i++) {
		uint16_t cp = (uint16_t)(40000 + i % 4);   /* 4 and 5 reuse ports */
		uint64_t fr = 1 + 7 * (uint64_t)i;
		int64_t ts = i * SEC;
		v[n++] = pkt(10, cp, 20, 25, SYN, 1000 + i, NULL, fr, ts);
		v[n++] = acking(pkt(20, 25, 10, cp, SYN | ACK, 5000, NULL, fr + 1, ts), 1001 + i);
		v[n++] = acking(pkt(20, 25, 10, cp, PSH | ACK, 5001, "220 hi\r\n", fr + 2, ts), 1001 + i);
		v[n++] = acking(pkt(10, cp, 20, 25, PSH | ACK, 1001 + i, "EHLO x\r\n", fr + 3, ts), 5009);
		v[n++] = acking(pkt(10, cp, 20, 25, FIN | ACK, 1009 + i, NULL, fr + 4, ts), 5009);
		if (i % 2)
			v[n++] = acking(pkt(20, 25, 10, cp, FIN | ACK, 5009, NULL, fr + 5, ts), 1010 + i);
	}
	/* One table a packet at a time with a cap of 3 (room made), the
	 * fixture's in batches of 1 to 20 with the same cap. */
	struct seen one = { 0 };
	struct sti_session_cfg cfg = f->cfg;
	cfg.max_sessions = 3;
	struct sti_table *t1 = sti_table_new(&cfg, &ops, &one);
	for (int i = 0; i < n; i++)
		sti_table_packet(t1, &v[i]);
	sti_table_free(f->t);
	memset(&f->w, 0, sizeof(f->w));
	f->t = sti_table_new(&cfg, &ops, &f->w);
	for (int i = 0, k = 1; i < n; i += k, k = k % 20 + 1)
		sti_table_packets(f->t, v + i, (size_t)(n - i < k ? n - i : k));
	assert_int_equal(sti_table_count(f->t), sti_table_count(t1));
	const struct sti_table_stats *a = sti_table_stats(t1), *b = sti_table_stats(f->t);
	assert_memory_equal(a, b, sizeof(*a));
	assert_int_equal(a->closed_fin, 3);
	assert_int_equal(a->reused, 1);
	assert_int_equal(sti_table_count(t1), 3);
	/* three made room for later ones (closed ones go first, uncounted) */
	assert_int_equal(one.released, 3);
	assert_int_equal(f->w.released, 3);
	sti_table_free(t1);
	sti_table_flush(f->t);
	assert_int_equal(one.opened, 6);
	assert_int_equal(f->w.opened, one.opened);
	assert_int_equal(f->w.closed, one.closed);
	assert_int_equal(f->w.released, one.released);
	assert_int_equal(f->w.last_closed_id, one.last_closed_id);
	assert_int_equal(f->w.fins, one.fins);
	assert_string_equal(f->w.c2s, one.c2s);
	assert_string_equal(f->w.s2c, one.s2c);
}

/* ---- release order against a plain LRU list ---- */

/*
 * The table must release sessions (idle expiry, then the end of
 * lingering) and choose whom to evict in exactly the order of a list
 * that moves a session to its end at each of its packets and to the end
 * of the closed list when it closes. The model below is that list, kept
 * naively; sessions are 10:40000+port -> 20:25, and each packet is one
 * of a few kinds.
 */
enum pk { PK_SYN_A, PK_SYN_B, PK_CLI_ACK, PK_SRV_ACK, PK_CLI_FIN, PK_SRV_FIN, PK_RST };

#define MODEL_PORTS 64
#define MODEL_LOG 20000

struct event {
	char what;          /* 'c' closed, 'r' released */
	uint64_t id;
	enum sti_end end;
};

struct order_log {
	struct event ev[MODEL_LOG];
	size_t n;
};

static void log_event(struct order_log *l, char what, uint64_t id, enum sti_end end)
{
	assert_true(l->n < MODEL_LOG);
	l->ev[l->n++] = (struct event){ what, id, end };
}

static void log_close(void *ctx, struct sti_session *s)
{
	log_event(ctx, 'c', s->id, s->end);
}

static void log_release(void *ctx, struct sti_session *s)
{
	log_event(ctx, 'r', s->id, s->end);
}

static const struct sti_session_ops log_ops = {
	.close = log_close, .release = log_release,
};

struct msess {
	bool live, closed, syn, fin[2];
	uint32_t isn;
	uint64_t id;
	int64_t touched;
	enum sti_end end;
};

struct model {
	struct sti_session_cfg cfg;
	struct msess s[MODEL_PORTS];      /* the live session on each port */
	int open[MODEL_PORTS], closed[MODEL_PORTS];   /* ports, oldest first */
	int nopen, nclosed;
	size_t count;
	uint64_t next_id;
	int64_t now;
	struct order_log log;
};

static void list_drop(int *v, int *n, int port)
{
	for (int i = 0; i < *n; i++)
		if (v[i] == port) {
			memmove(v + i, v + i + 1, (size_t)(*n - i - 1) * sizeof(*v));
			(*n)--;
			return;
		}
}

static void list_to_end(int *v, int *n, int port)
{
	list_drop(v, n, port);
	v[(*n)++] = port;
}

static void m_close(struct model *m, int port, enum sti_end why)
{
	struct msess *s = &m->s[port];
	s->closed = true;
	s->end = why;
	list_drop(m->open, &m->nopen, port);
	list_to_end(m->closed, &m->nclosed, port);
	log_event(&m->log, 'c', s->id, why);
}

static void m_release(struct model *m, int port, enum sti_end why_if_open)
{
	struct msess *s = &m->s[port];
	if (!s->closed)
		m_close(m, port, why_if_open);
	log_event(&m->log, 'r', s->id, s->end);
	list_drop(m->closed, &m->nclosed, port);
	s->live = false;
	m->count--;
}

static void m_expire(struct model *m, int64_t now)
{
	while (m->nopen && now - m->s[m->open[0]].touched >= m->cfg.idle_timeout_us)
		m_release(m, m->open[0], STI_END_IDLE);
	while (m->nclosed && now - m->s[m->closed[0]].touched >= m->cfg.linger_us)
		m_release(m, m->closed[0], STI_END_NONE);
}

static void m_create(struct model *m, int port)
{
	if (m->cfg.max_sessions && m->count >= m->cfg.max_sessions)
		m_release(m, m->nclosed ? m->closed[0] : m->open[0], STI_END_EVICTED);
	m->s[port] = (struct msess){ .live = true, .id = ++m->next_id, .end = STI_END_NONE };
	m->open[m->nopen++] = port;
	m->count++;
}

static void m_packet(struct model *m, int port, enum pk k, int64_t ts)
{
	if (ts > m->now)
		m->now = ts;
	struct msess *s = &m->s[port];
	uint32_t isn = k == PK_SYN_A ? 1000 : 2000;
	bool syn = k == PK_SYN_A || k == PK_SYN_B;
	if (s->live && syn && (s->closed || (s->syn && s->isn != isn)))
		m_release(m, port, STI_END_REUSED);
	if (!s->live)
		m_create(m, port);
	s->touched = m->now;
	if (s->closed) {
		list_to_end(m->closed, &m->nclosed, port);
	} else {
		list_to_end(m->open, &m->nopen, port);
		if (syn) {
			s->syn = true;
			s->isn = isn;
		}
		if (k == PK_CLI_FIN || k == PK_SRV_FIN)
			s->fin[k == PK_SRV_FIN] = true;
		if (k == PK_RST)
			m_close(m, port, STI_END_RST);
		else if (s->fin[0] && s->fin[1])
			m_close(m, port, STI_END_FIN);
	}
	m_expire(m, m->now);
}

static int by_model_id(const void *a, const void *b)
{
	const struct msess *const *x = a, *const *y = b;
	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

static void m_flush(struct model *m)
{
	struct msess *v[MODEL_PORTS];
	int n = m->nopen;
	for (int i = 0; i < n; i++)
		v[i] = &m->s[m->open[i]];
	qsort(v, (size_t)n, sizeof(*v), by_model_id);
	for (int i = 0; i < n; i++)
		m_close(m, (int)(v[i] - m->s), STI_END_CAPTURE);
	while (m->nclosed)
		m_release(m, m->closed[0], STI_END_NONE);
}

static struct sti_pkt model_pkt(int port, enum pk k, uint64_t frame, int64_t ts)
{
	uint16_t cp = (uint16_t)(40000 + port);
	switch (k) {
	case PK_SYN_A: return pkt(10, cp, 20, 25, SYN, 1000, NULL, frame, ts);
	case PK_SYN_B: return pkt(10, cp, 20, 25, SYN, 2000, NULL, frame, ts);
	case PK_CLI_ACK: return pkt(10, cp, 20, 25, ACK, 1001, NULL, frame, ts);
	case PK_SRV_ACK: return pkt(20, 25, 10, cp, ACK, 5001, NULL, frame, ts);
	case PK_CLI_FIN: return pkt(10, cp, 20, 25, FIN, 1001, NULL, frame, ts);
	case PK_SRV_FIN: return pkt(20, 25, 10, cp, FIN, 5001, NULL, frame, ts);
	case PK_RST: break;
	}
	return pkt(10, cp, 20, 25, RST, 1001, NULL, frame, ts);
}

/* A table and its model side by side. */
struct pair {
	struct model m;
	struct order_log got;
	struct sti_table *t;
	uint64_t frame;
};

static struct pair *pair_new(size_t max_sessions, int64_t idle, int64_t linger)
{
	struct pair *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	sti_session_cfg_defaults(&p->m.cfg);
	p->m.cfg.max_sessions = max_sessions;
	p->m.cfg.idle_timeout_us = idle;
	p->m.cfg.linger_us = linger;
	p->m.now = INT64_MIN;
	p->t = sti_table_new(&p->m.cfg, &log_ops, &p->got);
	assert_non_null(p->t);
	return p;
}

static void pair_same(const struct pair *p)
{
	assert_int_equal(p->got.n, p->m.log.n);
	for (size_t i = 0; i < p->got.n; i++) {
		if (p->got.ev[i].what != p->m.log.ev[i].what ||
		    p->got.ev[i].id != p->m.log.ev[i].id ||
		    p->got.ev[i].end != p->m.log.ev[i].end)
			fail_msg("event %zu: table %c %" PRIu64 " %d, list %c %" PRIu64 " %d", i,
				 p->got.ev[i].what, p->got.ev[i].id, (int)p->got.ev[i].end,
				 p->m.log.ev[i].what, p->m.log.ev[i].id, (int)p->m.log.ev[i].end);
	}
	assert_int_equal(sti_table_count(p->t), p->m.count);
}

static void pair_packet(struct pair *p, int port, enum pk k, int64_t ts)
{
	struct sti_pkt pk = model_pkt(port, k, ++p->frame, ts);
	sti_table_packet(p->t, &pk);
	m_packet(&p->m, port, k, ts);
	pair_same(p);
}

static void pair_expire(struct pair *p, int64_t now)
{
	sti_table_expire(p->t, now);
	m_expire(&p->m, now);
	pair_same(p);
}

static void pair_end(struct pair *p)
{
	sti_table_flush(p->t);
	m_flush(&p->m);
	pair_same(p);
	sti_table_free(p->t);
	free(p);
}

static void assert_last_id(const struct pair *p, uint64_t id)
{
	assert_true(p->got.n > 0);
	assert_int_equal(p->got.ev[p->got.n - 1].id, id);
}

/* Expiry falls exactly at idle (or linger) microseconds, not one before. */
static void test_order_expiry_boundaries(void **state)
{
	(void)state;
	struct pair *p = pair_new(0, 100, 10);
	pair_packet(p, 0, PK_SYN_A, 1000);
	pair_packet(p, 1, PK_SYN_A, 1000);
	pair_packet(p, 2, PK_SYN_A, 1050);
	pair_packet(p, 2, PK_CLI_ACK, 1099);
	assert_int_equal(p->got.n, 0);
	pair_packet(p, 2, PK_CLI_ACK, 1100);   /* 0 and 1, in that order */
	assert_int_equal(p->got.n, 4);
	assert_int_equal(p->got.ev[1].id, 1);
	assert_int_equal(p->got.ev[1].what, 'r');
	assert_int_equal(p->got.ev[3].id, 2);
	pair_packet(p, 2, PK_RST, 1100);
	pair_expire(p, 1109);
	assert_int_equal(p->got.n, 5);
	pair_expire(p, 1110);
	assert_int_equal(p->got.n, 6);
	assert_int_equal(p->got.ev[5].id, 3);
	pair_end(p);
}

/* Equal timestamps: the order of the packets decides. */
static void test_order_equal_times(void **state)
{
	(void)state;
	struct pair *p = pair_new(0, 100, 10);
	for (int port = 0; port < 4; port++)
		pair_packet(p, port, PK_SYN_A, 500);
	pair_packet(p, 1, PK_CLI_ACK, 500);
	pair_packet(p, 0, PK_SRV_ACK, 500);
	pair_packet(p, 3, PK_CLI_ACK, 500);
	pair_expire(p, 600);
	/* ids 1-4 by port: 3 was not touched again, then 2, 1 and 4 in the
	 * order of their last packets */
	uint64_t want[] = { 3, 2, 1, 4 };
	assert_int_equal(p->got.n, 8);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(p->got.ev[2 * i + 1].id, want[i]);
	pair_end(p);
}

/* At the cap, closed sessions go first, then the least recently touched
 * open one, however often the ones before it were touched since. */
static void test_order_eviction_retouched(void **state)
{
	(void)state;
	struct pair *p = pair_new(4, 1000, 1000);
	for (int port = 0; port < 4; port++)
		pair_packet(p, port, PK_SYN_A, 10);
	for (int round = 0; round < 3; round++)
		for (int port = 0; port < 3; port++)
			pair_packet(p, port, PK_CLI_ACK, 11 + round);
	pair_packet(p, 4, PK_SYN_A, 20);   /* evicts port 3 (id 4) */
	assert_int_equal(p->got.n, 2);
	assert_int_equal(p->got.ev[0].id, 4);
	assert_int_equal(p->got.ev[0].end, STI_END_EVICTED);
	pair_packet(p, 1, PK_RST, 21);
	pair_packet(p, 0, PK_RST, 21);
	pair_packet(p, 1, PK_CLI_ACK, 22);   /* the closed 1 absorbs a packet */
	pair_packet(p, 5, PK_SYN_A, 23);     /* evicts closed 0 (id 1) */
	assert_last_id(p, 1);
	pair_packet(p, 6, PK_SYN_A, 23);     /* then closed 1 (id 2) */
	assert_last_id(p, 2);
	pair_packet(p, 7, PK_SYN_A, 23);     /* then open 2 (id 3) */
	assert_last_id(p, 3);
	assert_int_equal(p->got.ev[p->got.n - 1].end, STI_END_EVICTED);
	pair_end(p);
}

/* Closed sessions that absorb late packets linger from their last one. */
static void test_order_closed_absorb_late(void **state)
{
	(void)state;
	struct pair *p = pair_new(0, 1000, 30);
	for (int port = 0; port < 3; port++)
		pair_packet(p, port, PK_SYN_A, 0);
	pair_packet(p, 0, PK_CLI_FIN, 1);
	pair_packet(p, 0, PK_SRV_FIN, 2);
	pair_packet(p, 1, PK_RST, 3);
	pair_packet(p, 2, PK_RST, 4);
	pair_packet(p, 0, PK_CLI_ACK, 5);
	pair_packet(p, 1, PK_SRV_ACK, 5);
	pair_expire(p, 34);   /* 2 (closed at 4) only */
	assert_last_id(p, 3);
	pair_expire(p, 35);   /* then 0 and 1, in the order of their last packets */
	assert_int_equal(p->got.ev[p->got.n - 2].id, 1);
	assert_last_id(p, 2);
	pair_end(p);
}

/* A clock that jumps back: the session clock stays put, the packet order
 * still counts. */
static void test_order_clock_back(void **state)
{
	(void)state;
	struct pair *p = pair_new(0, 100, 10);
	pair_packet(p, 0, PK_SYN_A, 1000);
	pair_packet(p, 1, PK_SYN_A, 500);
	pair_packet(p, 2, PK_SYN_A, 10);
	pair_packet(p, 0, PK_CLI_ACK, 20);
	pair_packet(p, 3, PK_SYN_A, 1099);
	assert_int_equal(p->got.n, 0);
	pair_packet(p, 3, PK_CLI_ACK, 1100);   /* 1, 2, 0 */
	assert_int_equal(p->got.n, 6);
	assert_int_equal(p->got.ev[1].id, 2);
	assert_int_equal(p->got.ev[3].id, 3);
	assert_int_equal(p->got.ev[5].id, 1);
	pair_end(p);
}

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Thousands of random packets and expiry calls over a few ports: times
 * that stand still, step, jump ahead past the timeouts and jump back;
 * reuse, close, late packets and eviction in every mix. */
static void random_run(uint64_t seed, size_t max_sessions, int ports, int steps_n)
{
	static const int64_t steps[] = { 0, 0, 0, 1, 1, 2, 3, 5, 8, 13, 25, 40, -7, -60 };
	struct pair *p = pair_new(max_sessions, 40, 15);
	int64_t ts = 1000;
	for (int i = 0; i < steps_n; i++) {
		uint64_t r = rng_next(&seed);
		ts += steps[r % (sizeof(steps) / sizeof(steps[0]))];
		r >>= 8;
		if (r % 23 == 0) {
			pair_expire(p, ts + (int64_t)((r >> 8) % 50));
			continue;
		}
		r >>= 5;
		/* a skewed choice of port, so that some stay busy */
		int port = (int)(r % (uint64_t)ports);
		if ((r >> 8) % 2)
			port = port * port / ports;
		pair_packet(p, port, (enum pk)((r >> 12) % 7 == 6 ? (r >> 16) % 7 : (r >> 16) % 4), ts);
	}
	pair_end(p);
}

static void test_order_random_against_list(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 12; seed++) {
		random_run(seed * UINT64_C(0x9e3779b97f4a7c15), 0, 16, 3000);
		random_run(seed * UINT64_C(0x2545f4914f6cdd1d), 5, 16, 3000);
		random_run(seed * UINT64_C(0xd1b54a32d192ed03), 1, 4, 1000);
		random_run(seed * UINT64_C(0xbf58476d1ce4e5b9), 0, MODEL_PORTS, 5000);
		random_run(seed * UINT64_C(0x94d049bb133111eb), 40, MODEL_PORTS, 5000);
	}
}

/* ---- entries: 64-byte-aligned slots in pages (src/session.c) ---- */

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Slots a page holds: 64 KiB, less a header line, in 256-byte slots. */
#define SLOTS_PER_PAGE 255

/* What the table handed out and took back. */
struct slots_seen {
	size_t opened, released, misaligned, not_zeroed;
	struct sti_session *last_opened, *last_released;
};

static void slots_open(void *ctx, struct sti_session *s)
{
	struct slots_seen *w = ctx;
	w->opened++;
	w->last_opened = s;
	if ((uintptr_t)s % 64)
		w->misaligned++;
	/* What create leaves alone must read as zero, in a reused slot too. */
	if (s->rs || s->app || s->end_frame || s->dir[STI_C2S].packets ||
	    s->dir[STI_S2C].packets || s->closed || s->end != STI_END_NONE)
		w->not_zeroed++;
}

static void slots_release(void *ctx, struct sti_session *s)
{
	struct slots_seen *w = ctx;
	w->released++;
	w->last_released = s;
}

static const struct sti_session_ops slots_ops = {
	.open = slots_open, .release = slots_release,
};

static struct sti_table *slots_table(struct slots_seen *w, size_t max_sessions)
{
	struct sti_session_cfg cfg;
	sti_session_cfg_defaults(&cfg);
	cfg.max_sessions = max_sessions;
	memset(w, 0, sizeof(*w));
	return sti_table_new(&cfg, &slots_ops, w);
}

/* The i-th of many distinct bare SYNs, at time ts. */
static void slots_syn(struct sti_table *t, size_t i, int64_t ts)
{
	struct sti_pkt p = pkt((uint8_t)(1 + i / 60000), (uint16_t)(1024 + i % 60000),
			       250, 25, SYN, (uint32_t)i, NULL, i + 1, ts);
	sti_table_packet(t, &p);
}

static void test_entries_aligned_and_zeroed(void **state)
{
	(void)state;
	struct slots_seen w;
	struct sti_table *t = slots_table(&w, 100);
	/* 1,000 sessions through a table of 100: most slots are reused. */
	for (size_t i = 0; i < 1000; i++)
		slots_syn(t, i, 0);
	assert_int_equal(w.opened, 1000);
	assert_int_equal(w.released, 900);
	assert_int_equal(w.misaligned, 0);
	assert_int_equal(w.not_zeroed, 0);
	sti_table_free(t);
	assert_int_equal(w.released, 1000);
}

static void test_entries_reuse_last_given_back(void **state)
{
	(void)state;
	struct slots_seen w;
	struct sti_table *t = slots_table(&w, 3);
	for (size_t i = 0; i < 3; i++)
		slots_syn(t, i, 0);
	/* A full table: the eviction's slot is the new session's. */
	for (size_t i = 3; i < 50; i++) {
		slots_syn(t, i, 0);
		assert_ptr_equal(w.last_opened, w.last_released);
	}
	assert_int_equal(sti_table_entry_pages(t), 1);
	sti_table_free(t);
}

#ifdef TEST_ASAN
/* A released entry is poisoned: a use after its release is reported. */
static void test_entries_poisoned_when_free(void **state)
{
	(void)state;
	struct slots_seen w;
	struct sti_table *t = slots_table(&w, 1);
	slots_syn(t, 0, 0);
	struct sti_session *first = w.last_opened;
	assert_false(__asan_address_is_poisoned(first));
	slots_syn(t, 1, 0);   /* evicts the first, takes its slot back */
	assert_ptr_equal(w.last_opened, first);
	sti_table_flush(t);
	assert_true(__asan_address_is_poisoned(first));
	assert_true(__asan_address_is_poisoned((char *)first + 255));
	sti_table_free(t);
}
#endif

static void test_entry_pages_given_back(void **state)
{
	(void)state;
	struct slots_seen w;
	struct sti_table *t = slots_table(&w, 0);
	assert_int_equal(sti_table_entry_pages(t), 0);
	/* Three pages full and 235 slots of a fourth. */
	size_t n = 3 * SLOTS_PER_PAGE + 235;
	for (size_t i = 0; i < n; i++)
		slots_syn(t, i, 0);
	assert_int_equal(sti_table_entry_pages(t), 4);
	/* A SYN after the idle timeout: it takes a slot of the fourth page,
	 * then the others expire; three pages empty, one kept back. */
	slots_syn(t, n, 301 * SEC);
	assert_int_equal(w.released, n);
	assert_int_equal(sti_table_count(t), 1);
	assert_int_equal(sti_table_entry_pages(t), 2);
	/* The fourth page fills up again, then the spare, before a page is
	 * mapped. */
	size_t more = 2 * SLOTS_PER_PAGE - 1;
	for (size_t i = 1; i <= more; i++)
		slots_syn(t, n + i, 301 * SEC);
	assert_int_equal(sti_table_entry_pages(t), 2);
	slots_syn(t, n + more + 1, 301 * SEC);
	assert_int_equal(sti_table_entry_pages(t), 3);
	sti_table_flush(t);
	assert_int_equal(sti_table_count(t), 0);
	assert_int_equal(sti_table_entry_pages(t), 1);
	sti_table_free(t);
}

static void test_entries_many(void **state)
{
	(void)state;
	struct slots_seen w;
	struct sti_table *t = slots_table(&w, 0);
	const size_t n = 100000;
	for (size_t i = 0; i < n; i++)
		slots_syn(t, i, (int64_t)i);
	assert_int_equal(sti_table_count(t), n);
	assert_int_equal(w.misaligned, 0);
	assert_int_equal(sti_table_entry_pages(t), (n + SLOTS_PER_PAGE - 1) / SLOTS_PER_PAGE);
	/* Every one is still found: a second SYN of each (same ISN) is the
	 * same session's, not a new one. */
	for (size_t i = 0; i < n; i++)
		slots_syn(t, i, (int64_t)(n + i));
	assert_int_equal(w.opened, n);
	sti_table_flush(t);
	assert_int_equal(w.released, n);
	assert_int_equal(sti_table_entry_pages(t), 1);
	sti_table_free(t);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_orientation_syn_and_streams),
		T(test_orientation_synack),
		T(test_orientation_port),
		T(test_orientation_greeting_swaps),
		T(test_orientation_client_hello),
		T(test_fin_close_and_linger),
		T(test_rst_closes),
		T(test_port_reuse_after_close),
		T(test_port_reuse_without_close),
		T(test_idle_expiry),
		T(test_clock_going_back_does_not_expire),
		T(test_server_isn_from_client_ack),
		T(test_syn_data),
		T(test_foreign_segments_ignored),
		T(test_eviction_at_cap),
		T(test_flush_closes_in_id_order),
		T(test_stop_payload_keeps_fin),
		T(test_stop_before_streams),
		T(test_settled_session_bypass),
		T(test_entry_key_leads),
		T(test_ipv6_and_ipv4_do_not_collide),
		T(test_packets_together_match_one_at_a_time),
		T(test_order_expiry_boundaries),
		T(test_order_equal_times),
		T(test_order_eviction_retouched),
		T(test_order_closed_absorb_late),
		T(test_order_clock_back),
		T(test_order_random_against_list),
		T(test_entries_aligned_and_zeroed),
		T(test_entries_reuse_last_given_back),
#ifdef TEST_ASAN
		T(test_entries_poisoned_when_free),
#endif
		T(test_entry_pages_given_back),
		T(test_entries_many),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
