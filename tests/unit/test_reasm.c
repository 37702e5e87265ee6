/*
 * test_reasm.c - TCP reassembly driven by injecting segments by sequence
 * number, with no pcap. Every test asserts the exact bytes and events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/session_reasm.h"

/* What the sink saw: the data as one string, and a compact event log. */
struct log {
	char data[1 << 17];
	size_t ndata;
	char events[1 << 16];
	size_t nev;
	struct sti_reasm *r;
	bool stop_after_first;
};

static void sink(void *ctx, const struct sti_stream_ev *ev)
{
	struct log *l = ctx;
	char e[96];
	switch (ev->kind) {
	case STI_EV_DATA:
		assert_true(l->ndata + ev->len < sizeof(l->data));
		memcpy(l->data + l->ndata, ev->data, ev->len);
		l->ndata += ev->len;
		snprintf(e, sizeof(e), "D%zu@%llu#%llu ", ev->len,
			 (unsigned long long)ev->offset, (unsigned long long)ev->frame);
		if (l->stop_after_first)
			sti_reasm_stop(l->r);
		break;
	case STI_EV_GAP:
		snprintf(e, sizeof(e), "G%zu@%llu ", ev->len,
			 (unsigned long long)ev->offset);
		break;
	case STI_EV_FIN:
		snprintf(e, sizeof(e), "F@%llu#%llu ", (unsigned long long)ev->offset,
			 (unsigned long long)ev->frame);
		break;
	case STI_EV_RST:
		snprintf(e, sizeof(e), "R#%llu ", (unsigned long long)ev->frame);
		break;
	case STI_EV_SKIP:
		snprintf(e, sizeof(e), "S%zu ", ev->len);
		break;
	}
	size_t n = strlen(e);
	assert_true(l->nev + n < sizeof(l->events));
	memcpy(l->events + l->nev, e, n + 1);
	l->nev += n;
}

struct fixture {
	struct sti_reasm r;
	struct log log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	sti_reasm_init(&f->r, STI_C2S, 0, sink, &f->log);
	f->log.r = &f->r;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sti_reasm_free(&f->r);
	free(f);
	return 0;
}

/* A segment of text: seq, string, frame. */
static void seg(struct fixture *f, uint32_t seq, const char *s, uint64_t frame)
{
	sti_reasm_segment(&f->r, seq, (const uint8_t *)s, (uint32_t)strlen(s),
			  (uint32_t)strlen(s), false, frame, (int64_t)frame);
}

static void fin(struct fixture *f, uint32_t seq, uint64_t frame)
{
	sti_reasm_segment(&f->r, seq, NULL, 0, 0, true, frame, (int64_t)frame);
}

static void assert_data(struct fixture *f, const char *want)
{
	f->log.data[f->log.ndata] = '\0';
	assert_string_equal(f->log.data, want);
}

static void test_in_order(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 999);
	seg(f, 1000, "EHLO ", 3);
	seg(f, 1005, "a.example\r\n", 4);
	fin(f, 1016, 5);
	assert_data(f, "EHLO a.example\r\n");
	assert_string_equal(f->log.events, "D5@0#3 D11@5#4 F@16#5 ");
	assert_int_equal(f->r.st.delivered, 16);
	assert_int_equal(sti_reasm_buffered(&f->r), 0);
	/* An in-order stream never allocates the out-of-order store. */
	assert_null(f->r.ring);
}

static void test_out_of_order(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 99);
	seg(f, 106, "world", 2);
	seg(f, 111, "!", 3);
	assert_int_equal(f->log.nev, 0);
	assert_int_equal(sti_reasm_buffered(&f->r), 6);
	seg(f, 100, "hello ", 4);
	assert_data(f, "hello world!");
	/* Each piece keeps the frame that carried it. */
	assert_string_equal(f->log.events, "D6@0#4 D5@6#2 D1@11#3 ");
	assert_int_equal(sti_reasm_buffered(&f->r), 0);
}

static void test_retransmission(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "abcd", 1);
	seg(f, 1, "abcd", 2);
	seg(f, 5, "efgh", 3);
	assert_data(f, "abcdefgh");
	assert_string_equal(f->log.events, "D4@0#1 D4@4#3 ");
	assert_int_equal(f->r.st.retransmitted, 1);
}

static void test_partial_overlap_with_delivered(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "abcd", 1);
	seg(f, 3, "cdEF", 2);   /* first two bytes old, two new */
	assert_data(f, "abcdEF");
	assert_string_equal(f->log.events, "D4@0#1 D2@4#2 ");
	assert_int_equal(f->r.st.overlaps, 1);
}

static void test_overlap_same_and_conflicting(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 5, "EFGH", 1);       /* held */
	seg(f, 7, "GHIJ", 2);       /* same bytes GH, new IJ */
	assert_int_equal(f->r.st.overlaps, 1);
	assert_int_equal(f->r.st.conflicts, 0);
	seg(f, 6, "fXhi", 3);       /* conflicts with F,G,H,I: first copy wins */
	assert_int_equal(f->r.st.conflicts, 1);
	seg(f, 1, "abcd", 4);
	assert_data(f, "abcdEFGHIJ");
	assert_string_equal(f->log.events, "D4@0#4 D4@4#1 D2@8#2 ");
}

static void test_gap_at_flush(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "abc", 1);
	seg(f, 10, "xyz", 3);      /* bytes 4..9 never come */
	fin(f, 13, 4);
	assert_string_equal(f->log.events, "D3@0#1 ");
	sti_reasm_flush(&f->r);
	assert_data(f, "abcxyz");
	assert_string_equal(f->log.events, "D3@0#1 G6@3 D3@9#3 F@12#4 ");
	assert_int_equal(f->r.st.gaps, 1);
	assert_int_equal(f->r.st.gap_bytes, 6);
}

static void test_gap_filled_after_fin(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 4, "def", 2);
	fin(f, 7, 3);
	seg(f, 1, "abc", 4);       /* the retransmission fills the hole */
	assert_data(f, "abcdef");
	assert_string_equal(f->log.events, "D3@0#4 D3@3#2 F@6#3 ");
}

static void test_wraparound(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0xfffffffcu);
	seg(f, 0xfffffffdu, "abc", 1);    /* ends exactly at 2^32 */
	seg(f, 0x00000003u, "ghi", 3);    /* after the wrap, out of order */
	seg(f, 0x00000000u, "def", 2);
	fin(f, 6, 4);
	assert_data(f, "abcdefghi");
	assert_string_equal(f->log.events, "D3@0#1 D3@3#2 D3@6#3 F@9#4 ");
}

static void test_one_byte_segments(void **state)
{
	struct fixture *f = *state;
	const char *msg = "220 mx.example ESMTP\r\n";
	sti_reasm_syn(&f->r, 41);
	/* Deliver odd bytes first, then even: all held until the first. */
	for (uint32_t i = 1; i < strlen(msg); i += 2)
		sti_reasm_segment(&f->r, 42 + i, (const uint8_t *)msg + i, 1, 1,
				  false, i, 0);
	assert_int_equal(f->log.ndata, 0);
	for (uint32_t i = 0; i < strlen(msg); i += 2)
		sti_reasm_segment(&f->r, 42 + i, (const uint8_t *)msg + i, 1, 1,
				  false, 100 + i, 0);
	assert_data(f, msg);
	assert_int_equal(f->r.st.delivered, strlen(msg));
}

static void test_rst(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "ab", 1);
	seg(f, 5, "ef", 2);
	sti_reasm_rst(&f->r, 3, 3);
	assert_string_equal(f->log.events, "D2@0#1 G2@2 D2@4#2 R#3 ");
	/* A second reset adds nothing. */
	sti_reasm_rst(&f->r, 4, 4);
	assert_string_equal(f->log.events, "D2@0#1 G2@2 D2@4#2 R#3 ");
}

static void test_stop_payload(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "hand", 1);
	sti_reasm_stop(&f->r);
	seg(f, 9, "late", 3);      /* out of order after stop: not buffered */
	assert_null(f->r.ring);
	seg(f, 5, "shak", 2);
	fin(f, 13, 4);
	/* Stopped streams only move forward: "shak" is old news by then. */
	assert_data(f, "hand");
	assert_string_equal(f->log.events, "D4@0#1 S8 F@12#4 ");
	assert_int_equal(f->r.st.skipped, 8);
	assert_int_equal(f->r.st.retransmitted, 1);
}

/* A settled stream's segments by numbers alone: counted and passed as
 * sti_reasm_segment passes them, FIN included, without SKIP events. */
static void test_pass_settled(void **state)
{
	struct fixture *f = *state;
	static struct log other;
	struct sti_reasm r2;
	static const struct { uint32_t seq, len; bool fin; } segs[] = {
		{ 9, 4, false },            /* ahead: passed, hole and all */
		{ 5, 4, false },            /* old news */
		{ 13, 100, false },
		{ 13 + (UINT32_C(1) << 31), 10, false },   /* out of the window */
		{ 113, 0, true },
		{ 113, 0, true },           /* FIN again */
	};

	memset(&other, 0, sizeof(other));
	sti_reasm_init(&r2, STI_C2S, 0, sink, &other);
	other.r = &r2;
	sti_reasm_syn(&f->r, 0);
	sti_reasm_syn(&r2, 0);
	seg(f, 1, "hand", 1);
	sti_reasm_segment(&r2, 1, (const uint8_t *)"hand", 4, 4, false, 1, 1);
	sti_reasm_stop(&f->r);
	sti_reasm_stop(&r2);
	for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		sti_reasm_segment(&f->r, segs[i].seq, NULL, 0, segs[i].len,
				  segs[i].fin, 10 + i, 10 + i);
		sti_reasm_pass(&r2, segs[i].seq, segs[i].len, segs[i].fin, 10 + i, 10 + i);
	}
	assert_string_equal(f->log.events, "D4@0#1 S8 S100 F@112#14 ");
	assert_string_equal(other.events, "D4@0#1 F@112#14 ");
	assert_memory_equal(&f->r.st, &r2.st, sizeof(r2.st));
	assert_int_equal(r2.st.skipped, 108);
	assert_int_equal(r2.st.retransmitted, 1);
	assert_int_equal(r2.st.out_of_window, 1);
	assert_int_equal(r2.next_seq, f->r.next_seq);
	assert_int_equal(r2.next_off, f->r.next_off);
	assert_true(r2.fin_done);
	sti_reasm_free(&r2);
}

static void test_stop_inside_callback(void **state)
{
	struct fixture *f = *state;
	f->log.stop_after_first = true;
	sti_reasm_syn(&f->r, 0);
	seg(f, 5, "2222", 2);
	seg(f, 9, "3333", 3);
	seg(f, 1, "1111", 4);
	/* The first delivery stops the stream; the held pieces are skipped. */
	assert_data(f, "1111");
	assert_string_equal(f->log.events, "D4@0#4 S4 S4 ");
	assert_null(f->r.ring);
}

static void test_mid_stream_pickup(void **state)
{
	struct fixture *f = *state;
	seg(f, 123456, "250 OK\r\n", 7);
	seg(f, 123464, "354 go\r\n", 8);
	assert_data(f, "250 OK\r\n354 go\r\n");
	assert_string_equal(f->log.events, "D8@0#7 D8@8#8 ");
}

static void test_snaplen_truncated_segment(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	/* 10 bytes on the wire, 4 captured. */
	sti_reasm_segment(&f->r, 1, (const uint8_t *)"abcd", 4, 10, false, 1, 1);
	seg(f, 11, "k", 2);
	assert_data(f, "abcdk");
	assert_string_equal(f->log.events, "D4@0#1 G6@4 D1@10#2 ");
}

static void test_jump_beyond_cap(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "a", 1);
	/* Exactly 2^31 away is "before" in sequence arithmetic: old data. */
	seg(f, 0x80000002u, "y", 2);
	assert_int_equal(f->r.st.retransmitted, 1);
	/* 2^31 - 1 ahead: outside any receive window, so not this stream's. */
	seg(f, 0x80000001u, "z", 3);
	assert_int_equal(f->r.st.out_of_window, 1);
	/* 2^30 ahead: far past the store, but possible: a gap. */
	seg(f, 2 + (1u << 30), "w", 4);
	assert_data(f, "aw");
	assert_string_equal(f->log.events, "D1@0#1 G1073741824@1 D1@1073741825#4 ");
	assert_null(f->r.ring);
}

static void test_store_full_gives_up_first_hole(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[STI_REASM_MIN_CAP];
	memset(big, 'x', sizeof(big));
	sti_reasm_syn(&f->r, 0);
	seg(f, 1, "a", 1);
	/* Hold 100 bytes after a 1-byte hole, then a segment that does not
	 * fit in the store with them: the hole is declared lost. */
	sti_reasm_segment(&f->r, 3, big, 100, 100, false, 2, 2);
	sti_reasm_segment(&f->r, 103, big, sizeof(big), sizeof(big), false, 3, 3);
	assert_int_equal(f->r.st.ooo_overflows, 1);
	assert_string_equal(f->log.events, "D1@0#1 G1@1 D100@2#2 D65536@102#3 ");
}

static void test_many_pieces_capped(void **state)
{
	struct fixture *f = *state;
	sti_reasm_syn(&f->r, 0);
	/* Every other byte held: more pieces than the store tracks. */
	for (uint32_t i = 0; i < STI_REASM_MAX_PIECES + 10; i++)
		sti_reasm_segment(&f->r, 3 + 2 * i, (const uint8_t *)"p", 1, 1,
				  false, i + 1, 0);
	assert_true(f->r.npieces <= STI_REASM_MAX_PIECES);
	assert_true(f->r.st.ooo_overflows >= 10);
	sti_reasm_flush(&f->r);
	assert_int_equal(f->r.st.delivered, STI_REASM_MAX_PIECES + 10);
	assert_int_equal(f->r.st.gap_bytes, STI_REASM_MAX_PIECES + 10 + 1);
}

/*
 * The store starts at a few kilobytes and doubles as the held data needs,
 * keeping every byte in its place when it grows around the ring's end; the
 * piece list grows the same way.
 */
static void test_store_grows_as_needed(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[12000];
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)('A' + (i * 7) % 26);
	sti_reasm_syn(&f->r, 0);
	/* A one-byte hole makes the first store; filling it moves head. */
	sti_reasm_segment(&f->r, 2, want + 1, 1, 1, false, 1, 1);
	assert_int_equal(f->r.ring_size, 4096);
	assert_int_equal(f->r.pieces_cap, 8);
	sti_reasm_segment(&f->r, 1, want, 1, 1, false, 2, 2);
	sti_reasm_segment(&f->r, 3, want + 2, 3000, 3000, false, 3, 3);
	/* Held after a hole at stream offset 3002: 2,000 bytes that wrap
	 * around the 4 KiB ring, then 5,000 that need 8 KiB. */
	sti_reasm_segment(&f->r, 3004, want + 3003, 2000, 2000, false, 4, 4);
	assert_int_equal(f->r.ring_size, 4096);
	sti_reasm_segment(&f->r, 5004, want + 5003, 5000, 5000, false, 5, 5);
	assert_int_equal(f->r.ring_size, 8192);
	/* Twenty separate bytes further on: the piece list doubles twice. */
	for (uint32_t i = 0; i < 20; i++)
		sti_reasm_segment(&f->r, 10005 + 2 * i, want + 10004 + 2 * i, 1, 1,
				  false, 6 + i, 6);
	assert_int_equal(f->r.pieces_cap, 32);
	assert_int_equal(f->r.npieces, 22);
	assert_true(f->r.ring_size <= f->r.cap);
	/* Every hole filled: the stream is the original, byte for byte. */
	for (uint32_t i = 0; i < 20; i++)
		sti_reasm_segment(&f->r, 10004 + 2 * i, want + 10003 + 2 * i, 1, 1,
				  false, 30 + i, 7);
	sti_reasm_segment(&f->r, 3003, want + 3002, 1, 1, false, 50, 8);
	assert_int_equal(f->log.ndata, 10043);
	assert_memory_equal(f->log.data, want, 10043);
	assert_int_equal(f->r.st.gaps, 0);
	assert_int_equal(sti_reasm_buffered(&f->r), 0);
}

/* The store's cap is kept between one maximal segment and the furthest a
 * segment may lie ahead (its sizes fit 32 bits), and a direction's
 * state stays small: every open session holds two. */
static void test_cap_bounds(void **state)
{
	(void)state;
	static struct log lg;   /* large: not on the stack */
	struct sti_reasm r;
	sti_reasm_init(&r, STI_S2C, 1, sink, &lg);
	assert_int_equal(r.cap, STI_REASM_MIN_CAP);
	assert_int_equal(r.dir, STI_S2C);
	sti_reasm_init(&r, STI_C2S, (size_t)STI_REASM_MAX_CAP * 4, sink, &lg);
	assert_int_equal(r.cap, STI_REASM_MAX_CAP);
	sti_reasm_init(&r, STI_C2S, 1u << 20, sink, &lg);
	assert_int_equal(r.cap, 1u << 20);
	assert_true(sizeof(struct sti_reasm) <= 168);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_bounds),
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_overlap_with_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_same_and_conflicting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_at_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_filled_after_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_byte_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_inside_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_settled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mid_stream_pickup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snaplen_truncated_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_beyond_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_full_gives_up_first_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_pieces_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_grows_as_needed, setup, teardown),
	};
	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
