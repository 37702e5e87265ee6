/*
 * capture_pcapwalk.h - pcap and pcapng records walked straight from memory.
 *
 * The file reader's fast path (capture.c reads the file into a buffer of
 * its own and walks it here instead of copying every record through
 * libpcap's stdio reads). It gives
 * exactly the frames libpcap 1.10 gives for the same bytes: the same
 * lengths, the same timestamps after libpcap's integer conversions. Where a
 * file does something the walker does not reproduce byte for byte (a
 * truncated or oversized record, a bad block, an unknown option layout, the
 * obsolete Packet Block) it stops with STI_WALK_HANDOFF, and the caller lets
 * libpcap take over after the frames already given. A record that is sound
 * but runs past the end of the file (a capture cut while it was written or
 * copied) is STI_WALK_TRUNCATED: libpcap would report the same truncation
 * there. Every length is checked through the bounds-checked reader (rd.h).
 */
#ifndef STI_CAPTURE_PCAPWALK_H
#define STI_CAPTURE_PCAPWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/rd.h"

/* What libpcap's open learned about the file, passed in by the caller. */
struct sti_walk_params {
	bool swapped;         /* pcap_is_swapped */
	int version_major;    /* pcap only: pcap_major_version */
	int version_minor;
	int dlt;              /* pcap_datalink */
	uint32_t snapshot;    /* pcap_snapshot */
	uint32_t max_caplen;  /* libpcap's sanity cap for this link type */
};

#define STI_WALK_MAX_IFACES 64

struct sti_walk_iface {
	uint64_t tsresol;     /* ticks per second */
	uint64_t tsoffset;    /* seconds added to every timestamp */
	bool binary;          /* tsresol is a power of 2 */
};

struct sti_pcapwalk {
	struct sti_rd rest;   /* the records not yet walked */
	struct sti_walk_params pp;
	bool le;              /* the file's fields are little-endian */
	bool ng;
	bool nsec;            /* pcap: nanosecond magic */
	uint8_t lengths;      /* pcap: caplen/len order, see capture_pcapwalk.c */
	bool seen_idb;        /* pcapng: the first IDB (libpcap's open read it) */
	uint32_t ifcount;     /* pcapng: interfaces of the current section */
	struct sti_walk_iface ifaces[STI_WALK_MAX_IFACES];
};

struct sti_walk_frame {
	int64_t tv_sec;       /* as libpcap's pcap_pkthdr.ts holds them */
	int64_t tv_usec;
	uint32_t caplen;
	uint32_t len;
	const uint8_t *data;  /* caplen bytes inside the walked buffer */
};

enum sti_walk_rc {
	STI_WALK_FRAME,
	STI_WALK_EOF,
	STI_WALK_HANDOFF,     /* let libpcap read from here */
	STI_WALK_TRUNCATED    /* the file ends inside the next record */
};

/*
 * Start a walk over a file held in memory, whole or its first bytes (at
 * least the file header; see sti_pcapwalk_more). False when the file is
 * not one the walker takes (an unknown magic, the Kuznetzov variant): use
 * libpcap for all of it.
 */
bool sti_pcapwalk_init(struct sti_pcapwalk *w, const uint8_t *file, size_t n,
		       const struct sti_walk_params *pp);

enum sti_walk_rc sti_pcapwalk_next(struct sti_pcapwalk *w,
				   struct sti_walk_frame *f);

/*
 * Up to max frames into f[], as that many calls of sti_pcapwalk_next
 * would give them, in one call: the number given. Fewer than max means
 * the next record is not a frame here (the end of the buffer, a
 * truncation, a hand-off), and sti_pcapwalk_next says which. Each
 * frame's data stays valid as long as the walked buffer does.
 */
size_t sti_pcapwalk_next_many(struct sti_pcapwalk *w, struct sti_walk_frame *f,
			      size_t max);

/*
 * A file read in pieces: when next says EOF or TRUNCATED at the end of
 * the bytes it has, the caller moves the bytes not yet walked (rest) to
 * the front of its buffer, reads the file's next bytes behind them, and
 * lets the walk go on over the whole buffer (more). A record is walked
 * only once all of it is there, so where the pieces end changes nothing.
 */
struct sti_rd sti_pcapwalk_rest(const struct sti_pcapwalk *w);
void sti_pcapwalk_more(struct sti_pcapwalk *w, const uint8_t *p, size_t n);

/*
 * Microseconds since the epoch from a pcap_pkthdr-style time, clamped to
 * +-2^62 so that any difference of two timestamps still fits (pcapng
 * carries 64-bit times, and a corrupt one must not overflow).
 */
int64_t sti_walk_ts_us(int64_t tv_sec, int64_t tv_usec);

#endif /* STI_CAPTURE_PCAPWALK_H */
