/*
 * test_record.c - the record stage's ladder, driven through the session
 * table with packets built as decoded structs: each row with its side,
 * frame and text, whether the row's text was kept from the wire or is
 * written when the record is built (the EHLO reply, FIN), frames past
 * 2^32, the ladder written only when the sink asks for it, and no rows
 * at all when no reporter prints them. Then where the rows are kept:
 * a block the recorder lends while the handshake runs (rows and text past
 * it, growth after the settle's fit, blocks reused, the list's cap).
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
#include "sti/session_record.h"

enum {
	SYN = STI_TCP_SYN, ACK = STI_TCP_ACK, FIN = STI_TCP_FIN, PSH = STI_TCP_PSH,
	RST = STI_TCP_RST
};

/* What the sink saw of the one record reported. */
struct got {
	bool leave_pending;          /* the sink does not ask for the ladder */
	int records;
	bool pending;                /* the ladder came unwritten */
	unsigned unfilled_nladder;   /* nladder before it was written */
	bool refill_same;            /* asking again changed nothing */
	unsigned nladder, dropped;
	struct sti_ladder_row ladder[STI_LADDER_MAX];
	enum sti_mode mode;
	bool smtp;
	uint16_t greeting_code;
};

static void sink(void *ctx, struct sti_record *rec)
{
	struct got *g = ctx;
	g->records++;
	g->pending = rec->ladder_pending != NULL;
	g->unfilled_nladder = rec->nladder;
	if (!g->leave_pending) {
		sti_record_ladder_fill(rec);
		assert_null(rec->ladder_pending);
		static struct sti_ladder_row once[STI_LADDER_MAX];
		memcpy(once, rec->ladder, sizeof(once));
		unsigned n = rec->nladder;
		sti_record_ladder_fill(rec);
		g->refill_same = n == rec->nladder && memcmp(once, rec->ladder, sizeof(once)) == 0;
	}
	g->nladder = rec->nladder;
	g->dropped = rec->ladder_dropped;
	memcpy(g->ladder, rec->ladder, sizeof(g->ladder));
	g->mode = rec->mode;
	g->smtp = rec->smtp != NULL;
	g->greeting_code = rec->smtp ? rec->smtp->greeting.code : 0;
}

/* 192.0.2.1:cport -> 192.0.2.2:25 (c2s) or back. */
static struct sti_pkt pkt_on(uint16_t cport, bool c2s, uint8_t flags, uint32_t seq,
			     uint32_t ack, const char *payload, uint64_t frame)
{
	struct sti_pkt p;
	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 192;
	p.src.a[2] = p.dst.a[2] = 2;
	p.src.a[3] = c2s ? 1 : 2;
	p.dst.a[3] = c2s ? 2 : 1;
	p.sport = c2s ? cport : 25;
	p.dport = c2s ? 25 : cport;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.payload = (const uint8_t *)payload;
	p.payload_len = p.payload_caplen = payload ? (uint32_t)strlen(payload) : 0;
	p.frame = frame;
	p.ts_us = (int64_t)(frame % 1000) * 1000;
	return p;
}

static struct sti_pkt pkt(bool c2s, uint8_t flags, uint32_t seq, uint32_t ack,
			  const char *payload, uint64_t frame)
{
	return pkt_on(40000, c2s, flags, seq, ack, payload, frame);
}

/* An SMTP session up to the server's 220 to STARTTLS, then FIN both
 * ways, its frames from first on; the record it makes. */
static void run_session(struct got *g, uint64_t first, bool ladder_text)
{
	static const char *const lines[][2] = {
		{ NULL, "220 mx ESMTP\r\n" },
		{ "EHLO c\r\n", NULL },
		{ NULL, "250-mx\r\n250 STARTTLS\r\n" },
		{ "STARTTLS\r\n", NULL },
		{ NULL, "220 2.0.0 go ahead\r\n" },
	};
	struct sti_session_cfg cfg;
	sti_session_cfg_defaults(&cfg);
	struct sti_recorder *r = sti_recorder_new(&cfg, sink, g);
	assert_non_null(r);
	sti_recorder_ladder_text(r, ladder_text);
	struct sti_table *t = sti_table_new(&cfg, &sti_recorder_ops, r);
	assert_non_null(t);
	uint32_t cseq = 101, sseq = 501;
	uint64_t f = first;
	struct sti_pkt p = pkt(true, SYN, 100, 0, NULL, f++);
	sti_table_packet(t, &p);
	p = pkt(false, SYN | ACK, 500, 101, NULL, f++);
	sti_table_packet(t, &p);
	p = pkt(true, ACK, cseq, sseq, NULL, f++);
	sti_table_packet(t, &p);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		bool c2s = lines[i][0] != NULL;
		const char *text = c2s ? lines[i][0] : lines[i][1];
		uint32_t *seq = c2s ? &cseq : &sseq;
		p = pkt(c2s, ACK | PSH, *seq, c2s ? sseq : cseq, text, f++);
		sti_table_packet(t, &p);
		*seq += (uint32_t)strlen(text);
	}
	p = pkt(true, FIN | ACK, cseq, sseq, NULL, f++);
	sti_table_packet(t, &p);
	p = pkt(false, FIN | ACK, sseq, cseq + 1, NULL, f++);
	sti_table_packet(t, &p);
	sti_table_flush(t);
	sti_table_free(t);
	sti_recorder_free(r);
}

static void assert_row(const struct got *g, unsigned i, enum sti_dir dir, uint64_t frame,
		       const char *text)
{
	assert_true(i < g->nladder);
	assert_int_equal(g->ladder[i].dir, dir);
	assert_int_equal(g->ladder[i].frame, frame);
	assert_string_equal(g->ladder[i].text, text);
}

/* Every kind of row this session has, each with its frame and text:
 * SMTP lines (kept from the wire), the EHLO reply (written when the
 * record is built), FIN (fixed words). */
static void assert_ladder(const struct got *g, uint64_t first)
{
	assert_int_equal(g->records, 1);
	assert_true(g->pending);
	assert_int_equal(g->unfilled_nladder, 0);
	assert_true(g->refill_same);
	assert_int_equal(g->nladder, 7);
	assert_int_equal(g->dropped, 0);
	assert_row(g, 0, STI_S2C, first + 3, "220 mx ESMTP");
	assert_row(g, 1, STI_C2S, first + 4, "EHLO c");
	assert_row(g, 2, STI_S2C, first + 5, "250 EHLO reply: STARTTLS offered");
	assert_row(g, 3, STI_C2S, first + 6, "STARTTLS");
	assert_row(g, 4, STI_S2C, first + 7, "220 2.0.0 go ahead");
	assert_row(g, 5, STI_C2S, first + 8, "FIN");
	assert_row(g, 6, STI_S2C, first + 9, "FIN");
	assert_int_equal(g->ladder[0].ts_us, (int64_t)((first + 3) % 1000) * 1000);
	assert_int_equal(g->mode, STI_MODE_STARTTLS);
	assert_true(g->smtp);
	assert_int_equal(g->greeting_code, 220);
}

static void test_ladder_rows(void **state)
{
	(void)state;
	static struct got g;
	memset(&g, 0, sizeof(g));
	run_session(&g, 1, true);
	assert_ladder(&g, 1);
}

/* Frames past 2^32 (a row keeps 32 bits of its own and the rest on the
 * side once one needs them): the rows before and after the boundary keep
 * their frames exactly. */
static void test_ladder_frames_past_32_bits(void **state)
{
	(void)state;
	static struct got g;
	uint64_t first = UINT32_MAX - 5;   /* rows at 2^32 - 2 ... 2^32 + 4 */
	memset(&g, 0, sizeof(g));
	run_session(&g, first, true);
	assert_ladder(&g, first);
	assert_int_equal(g.ladder[2].frame, UINT32_MAX);
	assert_int_equal(g.ladder[3].frame, (uint64_t)UINT32_MAX + 1);
	memset(&g, 0, sizeof(g));
	first = UINT64_MAX - 20;
	run_session(&g, first, true);
	assert_ladder(&g, first);
}

/* A record whose ladder nobody asks for (a session the report does not
 * print) has none written: no rows, no text, the rest of the record as
 * with the ladder. */
static void test_ladder_left_pending(void **state)
{
	(void)state;
	static struct got g;
	memset(&g, 0, sizeof(g));
	g.leave_pending = true;
	run_session(&g, 1, true);
	assert_int_equal(g.records, 1);
	assert_true(g.pending);
	assert_int_equal(g.nladder, 0);
	assert_int_equal(g.dropped, 0);
	for (unsigned i = 0; i < STI_LADDER_MAX; i++) {
		assert_int_equal(g.ladder[i].frame, 0);
		assert_string_equal(g.ladder[i].text, "");
	}
	assert_int_equal(g.mode, STI_MODE_STARTTLS);
	assert_true(g.smtp);
	assert_int_equal(g.greeting_code, 220);
}

/* Without a reporter that prints ladders there are no rows (nothing is
 * pending either), and the record is otherwise the same. */
static void test_no_ladder_text(void **state)
{
	(void)state;
	static struct got g;
	memset(&g, 0, sizeof(g));
	run_session(&g, 1, false);
	assert_int_equal(g.records, 1);
	assert_false(g.pending);
	assert_int_equal(g.nladder, 0);
	assert_int_equal(g.dropped, 0);
	assert_int_equal(g.mode, STI_MODE_STARTTLS);
	assert_int_equal(g.greeting_code, 220);
}

/* ---- where the rows are kept ---- */

/* A recorder (with ladder text) and its table, for several sessions. */
struct bench {
	struct sti_recorder *r;
	struct sti_table *t;
	uint64_t frame;
};

static void bench_open(struct bench *b, struct got *g, bool ladder_text)
{
	struct sti_session_cfg cfg;
	sti_session_cfg_defaults(&cfg);
	b->r = sti_recorder_new(&cfg, sink, g);
	assert_non_null(b->r);
	sti_recorder_ladder_text(b->r, ladder_text);
	b->t = sti_table_new(&cfg, &sti_recorder_ops, b->r);
	assert_non_null(b->t);
	b->frame = 1;
}

static void bench_close(struct bench *b)
{
	sti_table_flush(b->t);
	sti_table_free(b->t);
	sti_recorder_free(b->r);
}

/* One TCP connection of the bench, from client port cport. */
struct conn {
	struct bench *b;
	uint16_t cport;
	uint32_t cseq, sseq;
};

static void conn_open(struct conn *c, struct bench *b, uint16_t cport)
{
	*c = (struct conn){ .b = b, .cport = cport, .cseq = 101, .sseq = 501 };
	struct sti_pkt p = pkt_on(cport, true, SYN, 100, 0, NULL, b->frame++);
	sti_table_packet(b->t, &p);
	p = pkt_on(cport, false, SYN | ACK, 500, 101, NULL, b->frame++);
	sti_table_packet(b->t, &p);
	p = pkt_on(cport, true, ACK, c->cseq, c->sseq, NULL, b->frame++);
	sti_table_packet(b->t, &p);
}

/* A segment with payload text (or none) and flags. */
static void conn_send(struct conn *c, bool c2s, uint8_t flags, const char *text)
{
	uint32_t *seq = c2s ? &c->cseq : &c->sseq;
	struct sti_pkt p = pkt_on(c->cport, c2s, flags, *seq, c2s ? c->sseq : c->cseq, text,
				  c->b->frame++);
	sti_table_packet(c->b->t, &p);
	*seq += text ? (uint32_t)strlen(text) : 0;
	if (flags & FIN)
		(*seq)++;
}

static void conn_say(struct conn *c, bool c2s, const char *text)
{
	conn_send(c, c2s, ACK | PSH, text);
}

/* A fresh bench (g emptied) with one connection from port 40000 on it. */
static void bench_start(struct bench *b, struct conn *c, struct got *g, bool ladder_text)
{
	memset(g, 0, sizeof(*g));
	bench_open(b, g, ladder_text);
	conn_open(c, b, 40000);
}

/* The greeting and n NOOPs with their replies: 1 + 2n rows. */
static void conn_noops(struct conn *c, int n)
{
	conn_say(c, false, "220 mx ESMTP\r\n");
	for (int i = 0; i < n; i++) {
		conn_say(c, true, "NOOP\r\n");
		conn_say(c, false, "250 2.0.0 ok\r\n");
	}
}

/* Greeting, EHLO and its reply, STARTTLS accepted: 5 rows (the EHLO
 * reply's written when the record is built). */
static void conn_to_starttls(struct conn *c)
{
	conn_say(c, false, "220 mx ESMTP\r\n");
	conn_say(c, true, "EHLO c\r\n");
	conn_say(c, false, "250-mx\r\n250 STARTTLS\r\n");
	conn_say(c, true, "STARTTLS\r\n");
	conn_say(c, false, "220 2.0.0 go ahead\r\n");
}

/* Bytes after STARTTLS that are no TLS record, both ways: each side's
 * parse stops (one row each) and TLS is settled both ways, which fits
 * the rows. */
static void conn_tls_junk(struct conn *c)
{
	conn_say(c, true, "QUIT\r\n");
	conn_say(c, false, "221 bye\r\n");
}

/* A session that speaks: with ladder text it borrows a block, and
 * gives it back at the close; without, it never does. */
static void test_block_lent_and_given_back(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	struct conn c;
	memset(&g, 0, sizeof(g));
	bench_open(&b, &g, true);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	conn_open(&c, &b, 40000);
	conn_to_starttls(&c);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);   /* lent */
	conn_send(&c, true, FIN | ACK, NULL);
	conn_send(&c, false, FIN | ACK, NULL);
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 1);   /* back */
	assert_ladder(&g, 1);
	bench_close(&b);

	bench_start(&b, &c, &g, false);
	conn_to_starttls(&c);
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.nladder, 0);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	bench_close(&b);
}

/* More rows than the block holds (16) before any settle: they move to
 * arrays of their own, every row kept in order, and the block goes back
 * to malloc, not to the list. */
static void test_rows_past_the_block(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	struct conn c;
	bench_start(&b, &c, &g, true);
	conn_noops(&c, 12);   /* 25 rows */
	conn_send(&c, true, FIN | ACK, NULL);
	conn_send(&c, false, FIN | ACK, NULL);
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.nladder, 27);
	assert_int_equal(g.dropped, 0);
	assert_row(&g, 0, STI_S2C, 4, "220 mx ESMTP");
	for (unsigned i = 0; i < 12; i++) {
		assert_row(&g, 1 + 2 * i, STI_C2S, 5 + 2 * i, "NOOP");
		assert_row(&g, 2 + 2 * i, STI_S2C, 6 + 2 * i, "250 2.0.0 ok");
	}
	assert_row(&g, 25, STI_C2S, 29, "FIN");
	assert_row(&g, 26, STI_S2C, 30, "FIN");
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	bench_close(&b);
}

/* More text than the block holds (384 bytes) in a few rows: the texts
 * move with the rows, each whole. */
static void test_text_past_the_block(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	struct conn c;
	char line[100], want[100];
	bench_start(&b, &c, &g, true);
	conn_say(&c, false, "220 mx ESMTP\r\n");
	for (int i = 0; i < 6; i++) {   /* 6 commands of 80 bytes */
		snprintf(line, sizeof(line), "HELP %075d\r\n", i);
		conn_say(&c, true, line);
	}
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.nladder, 7);
	assert_int_equal(g.dropped, 0);
	assert_row(&g, 0, STI_S2C, 4, "220 mx ESMTP");
	for (unsigned i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "HELP %075u", i);
		assert_int_equal(strlen(want), 80);
		assert_row(&g, 1 + i, STI_C2S, 5 + i, want);
	}
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	bench_close(&b);
}

/* At the settle the rows and text move into one allocation with room for
 * two more rows, and the block goes back while the session is still
 * open. After the settle only the close adds rows, one a side: the FIN
 * and the RST go into that room. */
static void test_close_rows_after_the_fit(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	struct conn c;
	bench_start(&b, &c, &g, true);
	conn_to_starttls(&c);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	conn_tls_junk(&c);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 1);   /* settled: back */
	conn_send(&c, true, FIN | ACK, NULL);
	conn_send(&c, false, RST, NULL);
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.dropped, 0);
	assert_int_equal(g.nladder, 9);
	assert_row(&g, 0, STI_S2C, 4, "220 mx ESMTP");
	assert_row(&g, 1, STI_C2S, 5, "EHLO c");
	assert_row(&g, 2, STI_S2C, 6, "250 EHLO reply: STARTTLS offered");
	assert_row(&g, 3, STI_C2S, 7, "STARTTLS");
	assert_row(&g, 4, STI_S2C, 8, "220 2.0.0 go ahead");
	assert_row(&g, 5, STI_C2S, 9, "TLS parsing stopped: not TLS");
	assert_row(&g, 6, STI_S2C, 10, "TLS parsing stopped: not TLS");
	assert_row(&g, 7, STI_C2S, 11, "FIN");
	assert_row(&g, 8, STI_S2C, 12, "RST");
	assert_int_equal(sti_recorder_spare_blocks(b.r), 1);
	bench_close(&b);
}

/* A session that settles with 47 rows (past the block: in arrays of
 * their own) is fitted to the cap of 48: its FIN is the last row kept,
 * the RST after it dropped and counted. */
static void test_fit_at_the_cap(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	struct conn c;
	bench_start(&b, &c, &g, true);
	conn_noops(&c, 21);   /* 43 rows */
	conn_say(&c, true, "STARTTLS\r\n");
	conn_say(&c, false, "220 2.0.0 go ahead\r\n");
	conn_tls_junk(&c);   /* rows 46 and 47 */
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);   /* freed at 17 rows */
	conn_send(&c, true, FIN | ACK, NULL);
	conn_send(&c, false, RST, NULL);
	sti_table_flush(b.t);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.nladder, STI_LADDER_MAX);
	assert_int_equal(g.dropped, 1);
	assert_row(&g, 0, STI_S2C, 4, "220 mx ESMTP");
	assert_row(&g, 41, STI_C2S, 45, "NOOP");
	assert_row(&g, 44, STI_S2C, 48, "220 2.0.0 go ahead");
	assert_row(&g, 46, STI_S2C, 50, "TLS parsing stopped: not TLS");
	assert_row(&g, 47, STI_C2S, 51, "FIN");
	bench_close(&b);
}

/* Sessions one after another borrow the same block; sessions open at
 * once each have one, and of those that come back the list keeps 256. */
static void test_blocks_reused_and_capped(void **state)
{
	(void)state;
	static struct got g;
	struct bench b;
	static struct conn c[300];
	memset(&g, 0, sizeof(g));
	bench_open(&b, &g, true);
	for (uint16_t i = 0; i < 5; i++) {
		conn_open(&c[0], &b, (uint16_t)(40000 + i));
		conn_to_starttls(&c[0]);
		assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
		conn_send(&c[0], true, FIN | ACK, NULL);
		conn_send(&c[0], false, FIN | ACK, NULL);
		sti_table_flush(b.t);
		assert_int_equal(sti_recorder_spare_blocks(b.r), 1);
	}
	assert_int_equal(g.records, 5);
	assert_int_equal(g.nladder, 7);   /* the last one's, whole */
	assert_row(&g, 0, STI_S2C, 4 * 10 + 4, "220 mx ESMTP");
	assert_row(&g, 6, STI_S2C, 4 * 10 + 10, "FIN");
	for (uint16_t i = 0; i < 300; i++) {
		conn_open(&c[i], &b, (uint16_t)(41000 + i));
		conn_say(&c[i], false, "220 mx ESMTP\r\n");
	}
	assert_int_equal(sti_recorder_spare_blocks(b.r), 0);
	for (uint16_t i = 0; i < 10; i++) {   /* 10 settle: 10 back */
		conn_say(&c[i], true, "STARTTLS\r\n");
		conn_say(&c[i], false, "220 go ahead\r\n");
		conn_tls_junk(&c[i]);
	}
	assert_int_equal(sti_recorder_spare_blocks(b.r), 10);
	sti_table_flush(b.t);   /* 290 more back, the list keeps 256 */
	assert_int_equal(g.records, 305);
	assert_int_equal(sti_recorder_spare_blocks(b.r), 256);
	bench_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ladder_rows),
		cmocka_unit_test(test_ladder_frames_past_32_bits),
		cmocka_unit_test(test_ladder_left_pending),
		cmocka_unit_test(test_no_ladder_text),
		cmocka_unit_test(test_block_lent_and_given_back),
		cmocka_unit_test(test_rows_past_the_block),
		cmocka_unit_test(test_text_past_the_block),
		cmocka_unit_test(test_close_rows_after_the_fit),
		cmocka_unit_test(test_fit_at_the_cap),
		cmocka_unit_test(test_blocks_reused_and_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
