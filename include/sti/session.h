/*
 * session.h - the table of TCP connections.
 *
 * Packets go in; each TCP connection becomes a session with a client and a
 * server side, two reassembled byte streams, and a life that ends in a FIN
 * pair, a reset, idle expiry, eviction or the end of the capture. The
 * consumer (the layers above) sees sessions open, their stream events, and
 * their close, through a table of callbacks; it keeps its own per-session
 * state in `app`.
 */
#ifndef STI_SESSION_H
#define STI_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/dir.h"
#include "sti/session_reasm.h"

/* How the client side was decided. */
enum sti_orient {
	STI_ORIENT_SYN,          /* the side that sent the SYN */
	STI_ORIENT_SYNACK,       /* the side that did not send the SYN+ACK */
	STI_ORIENT_PORT,         /* the server port is in a port list */
	STI_ORIENT_GREETING,     /* the server spoke first with "220" */
	STI_ORIENT_CLIENT_HELLO, /* the client spoke first with a TLS hello */
	STI_ORIENT_PORT_ORDER    /* a guess: the lower port is the server */
};

enum sti_end {
	STI_END_NONE,
	STI_END_FIN,       /* both sides sent FIN */
	STI_END_RST,       /* a side reset */
	STI_END_IDLE,      /* nothing seen for the idle timeout */
	STI_END_EVICTED,   /* the table was full; this was the longest idle */
	STI_END_REUSED,    /* a new SYN took over the 5-tuple */
	STI_END_CAPTURE    /* the capture ended first */
};

struct sti_portset {
	uint64_t bits[65536 / 64];
};

static inline void sti_portset_add(struct sti_portset *s, uint16_t port)
{
	s->bits[port >> 6] |= (uint64_t)1 << (port & 63);
}

static inline bool sti_portset_has(const struct sti_portset *s, uint16_t port)
{
	return (s->bits[port >> 6] >> (port & 63)) & 1;
}

struct sti_endpoint {
	struct sti_addr addr;
	uint16_t port;
};

struct sti_dir_info {
	uint64_t packets;
	uint64_t payload_bytes;   /* TCP payload on the wire, retransmits too */
	uint64_t fin_frame;       /* first FIN from this side, 0 if none */
	uint64_t rst_frame;       /* first RST from this side, 0 if none */
	uint64_t foreign;         /* segments of another connection, ignored */
	bool syn;
};

struct sti_session {
	/* Table bookkeeping first: a lookup reads the hash, the chain and
	 * the two endpoints, the entry's first 56 bytes. The table hands out
	 * entries as 64-byte-aligned slots of its own pages (src/session.c),
	 * so those are one cache line, at no allocator slack. */
	uint64_t hash;
	struct sti_session *hnext;
	struct sti_endpoint cli, srv;
	uint64_t id;              /* 1-based, in order of first packet */
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;   /* capture timestamps, as recorded */
	int64_t touched_us;          /* the table clock at the last packet */
	uint64_t touch;              /* table bookkeeping: when, in the table's
				      * count of events, it was last touched */
	struct sti_dir_info dir[2];
	/* The two reassemblers, allocated at the first packet that is not
	 * the client's bare SYN: a SYN flood costs the table entry only.
	 * What only a session with streams needs (the table for their
	 * events, data held from a TCP Fast Open SYN) is allocated with
	 * them. Read them through sti_session_stream; NULL until then. */
	struct sti_reasm *rs;
	uint64_t end_frame;
	void *app;                /* the consumer's state */

	/* Table bookkeeping, not for consumers: the neighbours on a list of
	 * the table's, or the place in one of its heaps (src/session.c). */
	union {
		struct {
			struct sti_session *lprev, *lnext;
		};
		size_t heap_at;
	};

	/*
	 * The small fields last, packed: a SYN flood pays for the entry, so
	 * the enums are stored in 8-bit fields of their own type (every
	 * value fits; STI_DIR_NONE is -1 and the field is signed like the
	 * enum) and read and written as the enums they are.
	 */
	uint32_t client_isn;
	enum sti_orient orient : 8;
	enum sti_end end : 8;
	enum sti_dir end_side : 8;     /* who ended it; STI_DIR_NONE: unknown */
	bool orient_tentative : 1;     /* may still flip on the first payload */
	bool closed : 1;               /* ended; kept only to absorb late packets */
	bool in_heap : 1;              /* table bookkeeping: heap_at, not lprev/lnext */
	bool server_isn_known : 1;     /* the client acknowledged a SYN+ACK */
	unsigned stop_pending : 2;     /* 1 << dir: stopped before the streams came */
};

/*
 * SPEC 9.7: a SYN-only or payload-less session is its table entry and
 * nothing else, and the entry is at most 256 bytes (exactly 256 on
 * LP64), so that the default --max-sessions of them stays far under
 * 64 MiB in a SYN flood.
 */
_Static_assert(sizeof(struct sti_session) <= 256,
	       "a table entry is at most 256 bytes");

struct sti_session_ops {
	/* A new session; set s->app here if you need state. */
	void (*open)(void *ctx, struct sti_session *s);
	/* A stream event in one direction (ev->dir). */
	void (*stream)(void *ctx, struct sti_session *s,
		       const struct sti_stream_ev *ev);
	/* The connection ended (s->end says how); streams are flushed. */
	void (*close)(void *ctx, struct sti_session *s);
	/* The session leaves the table: last look, free s->app. */
	void (*release)(void *ctx, struct sti_session *s);
};

struct sti_session_cfg {
	struct sti_portset smtp_ports;  /* STARTTLS ports, 25 587 */
	struct sti_portset tls_ports;   /* implicit TLS ports, 465 */
	size_t max_sessions;            /* 0: unlimited */
	int64_t idle_timeout_us;        /* open sessions */
	int64_t linger_us;              /* closed sessions absorb late packets */
	size_t reasm_cap;               /* out-of-order bytes per direction */
};

struct sti_table_stats {
	uint64_t created;
	uint64_t closed_fin, closed_rst, expired, evicted, reused, at_end;
	uint64_t high_water;            /* most sessions held at once */
};

struct sti_table;

void sti_session_cfg_defaults(struct sti_session_cfg *cfg);

struct sti_table *sti_table_new(const struct sti_session_cfg *cfg,
				const struct sti_session_ops *ops, void *ctx);
/* Close and release every session (reason STI_END_CAPTURE), then free. */
void sti_table_free(struct sti_table *t);

/* One decoded TCP segment. Also expires sessions idle at the packet's time. */
void sti_table_packet(struct sti_table *t, const struct sti_pkt *p);

/*
 * n packets in order, as n calls of sti_table_packet would take them, but
 * faster in a table of thousands: the memory each packet's lookup waits
 * for (its bucket, then its entry, then what the entry leads to) is
 * asked for, for several packets at once, before the first is handled,
 * so that the cache misses overlap instead of stalling each packet in
 * turn.
 */
void sti_table_packets(struct sti_table *t, const struct sti_pkt *v, size_t n);

/* Expire sessions idle at `now_us` (live capture calls this on timeouts). */
void sti_table_expire(struct sti_table *t, int64_t now_us);

/*
 * A tap sees every packet the table gives to a session, before the session
 * processes it (so a packet that closes the session is seen first), and
 * each session as it leaves the table (gone may be NULL). The evidence
 * writer uses it to keep each session's own frames.
 */
typedef void (*sti_table_tap)(void *ctx, const struct sti_session *s,
			      const struct sti_pkt *p);
typedef void (*sti_table_tap_gone)(void *ctx, const struct sti_session *s);
void sti_table_set_tap(struct sti_table *t, sti_table_tap tap,
		       sti_table_tap_gone gone, void *ctx);

/* End of input: every session closes with STI_END_CAPTURE. */
void sti_table_flush(struct sti_table *t);

/* The consumer needs no more payload from this direction. */
void sti_session_stop_payload(struct sti_session *s, enum sti_dir d);

/* A direction's reassembler, or an idle one (nothing started, all counts
 * zero) while the session has seen only the client's SYN. */
const struct sti_reasm *sti_session_stream(const struct sti_session *s,
					   enum sti_dir d);

size_t sti_table_count(const struct sti_table *t);
/* Pages of entries the table holds (64 KiB each; one empty one may be
 * kept back): for the tests. */
size_t sti_table_entry_pages(const struct sti_table *t);
const struct sti_table_stats *sti_table_stats(const struct sti_table *t);

const char *sti_orient_name(enum sti_orient o);
const char *sti_end_name(enum sti_end e);

#endif /* STI_SESSION_H */
