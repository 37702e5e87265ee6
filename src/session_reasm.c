/*
 * session_reasm.c - TCP stream reassembly for one direction.
 *
 * Steady state is the fast path: a segment that starts at next_seq while
 * nothing is held out of order is handed to the consumer where it lies in
 * the packet. Only out-of-order data is copied, into a ring whose slot for a
 * sequence number is fixed relative to next_seq, with a sorted list of
 * disjoint pieces saying which bytes are present and which frame carried
 * them. Ring and list start small and double as the data held needs,
 * never past the configured cap and STI_REASM_MAX_PIECES: one lost
 * segment costs a few kilobytes, not the whole cap at once.
 */
#include "sti/grow.h"
#include "sti/session_reasm.h"

#include <stdlib.h>
#include <string.h>

void sti_reasm_init(struct sti_reasm *r, enum sti_dir dir, size_t cap,
		    sti_stream_sink sink, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->sink = sink;
	r->ctx = ctx;
	r->cap = (uint32_t)(cap < STI_REASM_MIN_CAP ? STI_REASM_MIN_CAP :
			    cap > STI_REASM_MAX_CAP ? STI_REASM_MAX_CAP : cap);
}

static void release_store(struct sti_reasm *r)
{
	free(r->ring);
	free(r->pieces);
	r->ring = NULL;
	r->pieces = NULL;
	r->npieces = 0;
	r->ring_size = 0;
	r->pieces_cap = 0;
	r->head = 0;
}

void sti_reasm_free(struct sti_reasm *r)
{
	release_store(r);
}

size_t sti_reasm_buffered(const struct sti_reasm *r)
{
	size_t n = 0;
	for (unsigned i = 0; i < r->npieces; i++)
		n += r->pieces[i].len;
	return n;
}

static void emit(struct sti_reasm *r, enum sti_stream_ev_kind kind,
		 const uint8_t *data, size_t len, uint64_t frame, int64_t ts)
{
	struct sti_stream_ev ev = {
		.kind = kind, .dir = r->dir, .data = data, .len = len,
		.offset = r->next_off, .frame = frame, .ts_us = ts,
	};
	r->sink(r->ctx, &ev);
}

static void advance(struct sti_reasm *r, uint32_t n)
{
	r->next_seq += n;
	r->next_off += n;
	if (r->ring)
		r->head = (uint32_t)((r->head + (uint64_t)n) % r->ring_size);
}

static void deliver(struct sti_reasm *r, const uint8_t *data, uint32_t len,
		    uint64_t frame, int64_t ts)
{
	if (len == 0)
		return;
	if (r->stopped) {
		r->st.skipped += len;
		emit(r, STI_EV_SKIP, NULL, len, frame, ts);
	} else {
		r->st.delivered += len;
		emit(r, STI_EV_DATA, data, len, frame, ts);
	}
	advance(r, len);
}

/* Bytes that will never come: after stop they are merely skipped. */
static void gap(struct sti_reasm *r, uint32_t len, uint64_t frame, int64_t ts)
{
	if (len == 0)
		return;
	if (r->stopped) {
		deliver(r, NULL, len, frame, ts);
		return;
	}
	r->st.gaps++;
	r->st.gap_bytes += len;
	emit(r, STI_EV_GAP, NULL, len, frame, ts);
	advance(r, len);
}

static size_t ring_pos(const struct sti_reasm *r, uint32_t seq)
{
	return (size_t)((r->head + (uint64_t)(uint32_t)(seq - r->next_seq)) %
			r->ring_size);
}

static void ring_write(struct sti_reasm *r, uint32_t seq, const uint8_t *src,
		       uint32_t n)
{
	size_t pos = ring_pos(r, seq);
	size_t first = r->ring_size - pos < n ? r->ring_size - pos : n;
	memcpy(r->ring + pos, src, first);
	memcpy(r->ring, src + first, n - first);
}

static bool ring_equal(const struct sti_reasm *r, uint32_t seq,
		       const uint8_t *src, uint32_t n)
{
	size_t pos = ring_pos(r, seq);
	size_t first = r->ring_size - pos < n ? r->ring_size - pos : n;
	return memcmp(r->ring + pos, src, first) == 0 &&
	       memcmp(r->ring, src + first, n - first) == 0;
}

static void remove_first_piece(struct sti_reasm *r)
{
	r->npieces--;
	memmove(r->pieces, r->pieces + 1, r->npieces * sizeof(*r->pieces));
}

/* Hand out the held pieces that now continue the stream. */
static void drain(struct sti_reasm *r)
{
	while (r->npieces && r->pieces[0].seq == r->next_seq) {
		struct sti_reasm_piece pc = r->pieces[0];
		remove_first_piece(r);
		size_t pos = r->head;
		uint32_t first = (uint32_t)(r->ring_size - pos < pc.len ?
					    r->ring_size - pos : pc.len);
		deliver(r, r->ring + pos, first, pc.frame, pc.ts_us);
		if (pc.len > first)
			deliver(r, r->ring, pc.len - first, pc.frame, pc.ts_us);
	}
}

/* The store is full: declare the first hole lost and move on. */
static void give_up_first_hole(struct sti_reasm *r)
{
	struct sti_reasm_piece pc = r->pieces[0];
	r->st.ooo_overflows++;
	gap(r, pc.seq - r->next_seq, pc.frame, pc.ts_us);
	drain(r);
}

/* Cut the part of a segment that lies before next_seq. False: nothing left. */
static bool trim_delivered(struct sti_reasm *r, uint32_t *seq,
			   const uint8_t **data, uint32_t *caplen, uint32_t *len)
{
	if (!sti_seq_lt(*seq, r->next_seq))
		return true;
	uint32_t old = r->next_seq - *seq;
	if (old >= *len) {
		r->st.retransmitted++;
		return false;
	}
	r->st.overlaps++;
	*seq += old;
	*len -= old;
	if (old >= *caplen) {
		*caplen = 0;
		*data = NULL;
	} else {
		*data += old;
		*caplen -= old;
	}
	return true;
}

static unsigned pieces_overlapping(const struct sti_reasm *r, uint32_t seq,
				   uint32_t end)
{
	unsigned k = 0;
	for (unsigned i = 0; i < r->npieces; i++) {
		const struct sti_reasm_piece *pc = &r->pieces[i];
		if (sti_seq_lt(pc->seq, end) && sti_seq_gt(pc->seq + pc->len, seq))
			k++;
	}
	return k;
}

#define RING_FIRST 4096u     /* a few segments */
#define PIECES_FIRST 8u

/*
 * A ring of at least `need` bytes (need <= cap), the held bytes moved so
 * that next_seq's is first. False without memory.
 */
static bool grow_ring(struct sti_reasm *r, size_t need)
{
	if (r->ring && need <= r->ring_size)
		return true;
	size_t size = sti_grow_capacity(r->ring ? r->ring_size : 0, RING_FIRST,
					need, r->cap);
	uint8_t *ring = malloc(size);
	if (!ring)
		return false;
	if (r->ring) {
		size_t first = r->ring_size - r->head;
		memcpy(ring, r->ring + r->head, first);
		memcpy(ring + first, r->ring, r->head);
		free(r->ring);
	}
	r->ring = ring;
	r->ring_size = (uint32_t)size;   /* <= cap */
	r->head = 0;
	return true;
}

/* Room for `need` pieces (need <= STI_REASM_MAX_PIECES). */
static bool grow_pieces(struct sti_reasm *r, unsigned need)
{
	if (need <= r->pieces_cap)
		return true;
	size_t n = sti_grow_capacity(r->pieces_cap, PIECES_FIRST, need,
				     STI_REASM_MAX_PIECES);
	struct sti_reasm_piece *p = realloc(r->pieces, n * sizeof(*p));
	if (!p)
		return false;
	r->pieces = p;
	r->pieces_cap = (uint16_t)n;   /* <= STI_REASM_MAX_PIECES */
	return true;
}

/* Can [seq, seq+caplen) be held without giving up a hole first? */
static bool fits(struct sti_reasm *r, uint32_t seq, uint32_t caplen)
{
	if (caplen == 0)
		return true;
	uint64_t need = (uint64_t)(uint32_t)(seq - r->next_seq) + caplen;
	if (need > r->cap)
		return false;
	unsigned k = pieces_overlapping(r, seq, seq + caplen);
	if (r->npieces + k + 1 > STI_REASM_MAX_PIECES)
		return false;
	return grow_ring(r, (size_t)need) && grow_pieces(r, r->npieces + k + 1);
}

static void insert_piece(struct sti_reasm *r, unsigned at,
			 struct sti_reasm_piece pc)
{
	memmove(r->pieces + at + 1, r->pieces + at,
		(r->npieces - at) * sizeof(*r->pieces));
	r->pieces[at] = pc;
	r->npieces++;
}

/*
 * Copy the bytes of [seq, seq+caplen) that are not held yet; compare the
 * ones that are (the first copy wins, a difference is a conflict).
 */
static void store(struct sti_reasm *r, uint32_t seq, const uint8_t *data,
		  uint32_t caplen, uint64_t frame, int64_t ts)
{
	uint32_t cur = seq, end = seq + caplen;
	bool overlap = false, conflict = false;
	unsigned i = 0;
	while (i < r->npieces &&
	       sti_seq_leq(r->pieces[i].seq + r->pieces[i].len, cur))
		i++;
	while (sti_seq_lt(cur, end)) {
		struct sti_reasm_piece *pc = i < r->npieces ? &r->pieces[i] : NULL;
		if (pc && sti_seq_leq(pc->seq, cur)) {
			uint32_t pend = pc->seq + pc->len;
			uint32_t stop = sti_seq_lt(pend, end) ? pend : end;
			overlap = true;
			if (!ring_equal(r, cur, data + (cur - seq), stop - cur))
				conflict = true;
			cur = stop;
			i++;
			continue;
		}
		uint32_t stop = pc && sti_seq_lt(pc->seq, end) ? pc->seq : end;
		ring_write(r, cur, data + (cur - seq), stop - cur);
		insert_piece(r, i, (struct sti_reasm_piece){ cur, stop - cur,
							     frame, ts });
		i++;
		cur = stop;
	}
	/* Counted per segment: one retransmission is one overlap. */
	r->st.overlaps += overlap;
	r->st.conflicts += conflict;
}

static void take_payload(struct sti_reasm *r, uint32_t seq,
			 const uint8_t *data, uint32_t caplen, uint32_t len,
			 uint64_t frame, int64_t ts)
{
	if ((uint32_t)(seq - r->next_seq) > STI_REASM_MAX_AHEAD &&
	    sti_seq_gt(seq, r->next_seq)) {
		r->st.out_of_window++;
		return;
	}
	for (;;) {
		if (!trim_delivered(r, &seq, &data, &caplen, &len))
			return;
		if (r->npieces == 0 && seq == r->next_seq) {
			deliver(r, data, caplen, frame, ts);
			gap(r, len - caplen, frame, ts); /* beyond the snaplen */
			return;
		}
		if (fits(r, seq, caplen))
			break;
		if (r->npieces == 0) {
			/* Too far ahead to hold: the bytes before it are lost. */
			r->st.ooo_overflows++;
			gap(r, seq - r->next_seq, frame, ts);
		} else {
			give_up_first_hole(r);
		}
	}
	store(r, seq, data, caplen, frame, ts);
	drain(r);
	/* An in-order segment cut by the snaplen: its tail never comes. */
	if (caplen < len && r->next_seq == seq + caplen) {
		gap(r, len - caplen, frame, ts);
		drain(r);
	}
}

/* After stop: the bytes a segment moves next_seq by (so FIN and RST still
 * line up), counting those that are out of the window or seen before. */
static uint32_t pass_stopped(struct sti_reasm *r, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;
	if (sti_seq_gt(seq, r->next_seq) &&
	    (uint32_t)(seq - r->next_seq) > STI_REASM_MAX_AHEAD)
		r->st.out_of_window++;
	else if (sti_seq_gt(end, r->next_seq))
		return end - r->next_seq;
	else
		r->st.retransmitted++;
	return 0;
}

static void try_fin(struct sti_reasm *r)
{
	if (!r->fin_seen || r->fin_done || r->npieces)
		return;
	if (sti_seq_lt(r->next_seq, r->fin_seq))
		return;
	r->fin_done = true;
	emit(r, STI_EV_FIN, NULL, 0, r->fin_frame, r->fin_ts);
}

void sti_reasm_syn(struct sti_reasm *r, uint32_t isn)
{
	/* A later SYN with another ISN replaces the first while nothing has
	 * been delivered: servers answer retransmitted SYNs with fresh
	 * SYN+ACKs, and the peer acknowledges the last one. */
	if (r->started && (r->next_off || r->npieces))
		return;
	r->started = true;
	r->next_seq = isn + 1;
}

/* Picked up mid-stream: the first segment is the origin. */
static void start_at(struct sti_reasm *r, uint32_t seq)
{
	if (!r->started) {
		r->started = true;
		r->next_seq = seq;
	}
}

/* What every segment ends with: its FIN noted, a stopped store let go. */
static void segment_end(struct sti_reasm *r, uint32_t seq, uint32_t len, bool fin,
			uint64_t frame, int64_t ts_us)
{
	if (fin && !r->fin_seen) {
		r->fin_seen = true;
		r->fin_seq = seq + len;
		r->fin_frame = frame;
		r->fin_ts = ts_us;
	}
	if (r->stopped && r->ring)
		release_store(r);
	try_fin(r);
}

void sti_reasm_segment(struct sti_reasm *r, uint32_t seq, const uint8_t *data,
		       uint32_t caplen, uint32_t len, bool fin, uint64_t frame,
		       int64_t ts_us)
{
	if (caplen > len)
		caplen = len;
	if (!data)
		caplen = 0;
	start_at(r, seq);
	if (len) {
		r->st.segments++;
		if (r->stopped)
			deliver(r, NULL, pass_stopped(r, seq, len), frame, ts_us);
		else
			take_payload(r, seq, data, caplen, len, frame, ts_us);
	}
	segment_end(r, seq, len, fin, frame, ts_us);
}

void sti_reasm_pass(struct sti_reasm *r, uint32_t seq, uint32_t len, bool fin,
		    uint64_t frame, int64_t ts_us)
{
	start_at(r, seq);
	if (len) {
		r->st.segments++;
		uint32_t n = pass_stopped(r, seq, len);
		r->st.skipped += n;
		advance(r, n);
	}
	segment_end(r, seq, len, fin, frame, ts_us);
}

void sti_reasm_flush(struct sti_reasm *r)
{
	while (r->npieces && !r->stopped)
		give_up_first_hole(r);
	release_store(r);
	if (r->fin_seen && !r->fin_done) {
		if (sti_seq_gt(r->fin_seq, r->next_seq))
			gap(r, r->fin_seq - r->next_seq, r->fin_frame, r->fin_ts);
		try_fin(r);
	}
}

void sti_reasm_rst(struct sti_reasm *r, uint64_t frame, int64_t ts_us)
{
	sti_reasm_flush(r);
	if (r->rst_done)
		return;
	r->rst_done = true;
	emit(r, STI_EV_RST, NULL, 0, frame, ts_us);
}

void sti_reasm_stop(struct sti_reasm *r)
{
	/* The store is released on the way out, not under a callback that
	 * may be reading from it. */
	r->stopped = true;
}
