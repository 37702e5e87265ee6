/*
 * session_reasm.h - one direction of a TCP connection, as an ordered byte stream.
 *
 * Segments go in by sequence number in any order; events come out in stream
 * order: DATA (in place when the segment is in order, from the out-of-order
 * store otherwise), GAP (bytes that will never come), FIN, RST, and SKIP
 * (payload passed by after the consumer said it needs no more).
 *
 * The first copy of a byte wins. Out-of-order data is held in a ring of
 * `cap` bytes allocated on first need, so an in-order stream allocates
 * nothing.
 */
#ifndef STI_SESSION_REASM_H
#define STI_SESSION_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"

/* Wrap-safe sequence comparisons, RFC 9293 3.4 (modulo 2^32). */
static inline bool sti_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool sti_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool sti_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool sti_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

enum sti_stream_ev_kind {
	STI_EV_DATA,  /* data/len: bytes in stream order */
	STI_EV_GAP,   /* len bytes at offset never arrived */
	STI_EV_FIN,   /* the sender finished; nothing follows */
	STI_EV_RST,   /* the sender reset the connection */
	STI_EV_SKIP   /* len bytes at offset passed by unread (after stop) */
};

struct sti_stream_ev {
	enum sti_stream_ev_kind kind;
	enum sti_dir dir;      /* the direction the reassembler was made for */
	const uint8_t *data;   /* DATA only; valid during the callback */
	size_t len;
	uint64_t offset;       /* stream offset of the first byte */
	uint64_t frame;        /* frame of the segment that carried it */
	int64_t ts_us;
};

typedef void (*sti_stream_sink)(void *ctx, const struct sti_stream_ev *ev);

/* A piece of the out-of-order store: where it sits and who carried it. */
struct sti_reasm_piece {
	uint32_t seq;
	uint32_t len;
	uint64_t frame;
	int64_t ts_us;
};

struct sti_reasm_stats {
	uint64_t segments;      /* segments with payload */
	uint64_t delivered;     /* bytes handed out as DATA */
	uint64_t gaps, gap_bytes;
	uint64_t retransmitted; /* segments wholly before the stream point */
	uint64_t overlaps;      /* segments received (partly) twice */
	uint64_t conflicts;     /* ... whose second copy differed */
	uint64_t skipped;       /* bytes passed after stop */
	uint64_t ooo_overflows; /* times the store was full and a hole given up */
	uint64_t out_of_window; /* segments too far ahead to belong here */
};

/* Every session with payload holds two, for as long as it is open (a
 * settled one too): the small fields share words. */
struct sti_reasm {
	sti_stream_sink sink;
	void *ctx;
	uint32_t next_seq;      /* first sequence number not yet delivered */
	uint32_t fin_seq;
	uint64_t next_off;      /* next_seq's stream offset */
	uint64_t fin_frame;
	int64_t fin_ts;
	uint8_t *ring;          /* ring_size bytes; ring[head] holds next_seq */
	struct sti_reasm_piece *pieces; /* sorted, disjoint, all after next_seq */
	uint32_t cap;           /* out-of-order store, bytes */
	uint32_t ring_size;     /* grown as out-of-order data needs, <= cap */
	uint32_t head;
	uint16_t npieces;
	uint16_t pieces_cap;    /* slots allocated, <= STI_REASM_MAX_PIECES */
	enum sti_dir dir : 8;   /* an 8-bit field of the enum's type */
	bool started;           /* next_seq is known */
	bool stopped;           /* the consumer wants no more payload */
	bool fin_seen, fin_done, rst_done;
	struct sti_reasm_stats st;
};

/* Pieces the store can track at once; past this a hole is given up. */
#define STI_REASM_MAX_PIECES 256
/*
 * A segment that starts more than this far ahead of the stream cannot be in
 * any receive window (RFC 7323 caps it at 2^30): it belongs to another
 * connection seen on the same 5-tuple (a second capture path, NAT) and is
 * ignored rather than taken for a gigabyte-sized gap.
 */
#define STI_REASM_MAX_AHEAD (UINT32_C(1) << 30)
/* The smallest store that can hold one maximal TCP segment. */
#define STI_REASM_MIN_CAP 65536u
/* The largest: data further ahead than STI_REASM_MAX_AHEAD is never held. */
#define STI_REASM_MAX_CAP STI_REASM_MAX_AHEAD

void sti_reasm_init(struct sti_reasm *r, enum sti_dir dir, size_t cap,
		    sti_stream_sink sink, void *ctx);
void sti_reasm_free(struct sti_reasm *r);

/* The SYN fixes the stream origin at isn + 1 (a later one moves it while
 * nothing has been delivered yet). */
void sti_reasm_syn(struct sti_reasm *r, uint32_t isn);

/*
 * A segment: seq of its first payload byte, caplen bytes present of len on
 * the wire (the missing tail becomes a gap), and whether FIN is set.
 */
void sti_reasm_segment(struct sti_reasm *r, uint32_t seq, const uint8_t *data,
		       uint32_t caplen, uint32_t len, bool fin, uint64_t frame,
		       int64_t ts_us);

/*
 * A segment of a stopped stream, by sequence numbers alone: counted and
 * passed like sti_reasm_segment would, without SKIP events (FIN still
 * comes out). The session table's path for settled sessions.
 */
void sti_reasm_pass(struct sti_reasm *r, uint32_t seq, uint32_t len, bool fin,
		    uint64_t frame, int64_t ts_us);
/* The sender reset: holes become gaps, then RST. */
void sti_reasm_rst(struct sti_reasm *r, uint64_t frame, int64_t ts_us);

/* No more segments will come (close, expiry, end of capture). */
void sti_reasm_flush(struct sti_reasm *r);

/* The consumer needs no more payload: drop the store, only count bytes. */
void sti_reasm_stop(struct sti_reasm *r);

/* Bytes still held out of order (for memory accounting and tests). */
size_t sti_reasm_buffered(const struct sti_reasm *r);

#endif /* STI_SESSION_REASM_H */
