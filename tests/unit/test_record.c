/*
 * test_record.c - the record stage's ladder, driven through the session
 * table with packets built as decoded structs: each row with its side,
 * frame and text, whether the row's text was kept from the wire or is
 * written when the record is built (the EHLO reply, FIN), frames past
 * 2^32, the ladder written only when the sink asks for it, and no rows
 * at all when no reporter prints them.
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

enum { SYN = STI_TCP_SYN, ACK = STI_TCP_ACK, FIN = STI_TCP_FIN, PSH = STI_TCP_PSH };

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

/* 192.0.2.1:40000 -> 192.0.2.2:25 (c2s) or back. */
static struct sti_pkt pkt(bool c2s, uint8_t flags, uint32_t seq, uint32_t ack,
			  const char *payload, uint64_t frame)
{
	struct sti_pkt p;
	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 192;
	p.src.a[2] = p.dst.a[2] = 2;
	p.src.a[3] = c2s ? 1 : 2;
	p.dst.a[3] = c2s ? 2 : 1;
	p.sport = c2s ? 40000 : 25;
	p.dport = c2s ? 25 : 40000;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.payload = (const uint8_t *)payload;
	p.payload_len = p.payload_caplen = payload ? (uint32_t)strlen(payload) : 0;
	p.frame = frame;
	p.ts_us = (int64_t)(frame % 1000) * 1000;
	return p;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ladder_rows),
		cmocka_unit_test(test_ladder_frames_past_32_bits),
		cmocka_unit_test(test_ladder_left_pending),
		cmocka_unit_test(test_no_ladder_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
