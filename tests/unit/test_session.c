/*
 * test_session.c - the session table: orientation by each method, port
 * reuse, closing, idle expiry, eviction at the cap, stop of payload.
 * Packets are built as decoded structs; no pcap is involved.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
