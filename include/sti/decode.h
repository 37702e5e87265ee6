/*
 * decode.h - link layer, VLAN, IPv4/IPv6 and TCP headers of one frame.
 *
 * Pure: no state, no allocation. Everything is read through sti_rd, so a
 * frame whose caplen is shorter than its headers is reported, never read
 * past.
 */
#ifndef STI_DECODE_H
#define STI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP header flags, RFC 9293 3.1. */
#define STI_TCP_FIN 0x01
#define STI_TCP_SYN 0x02
#define STI_TCP_RST 0x04
#define STI_TCP_PSH 0x08
#define STI_TCP_ACK 0x10
#define STI_TCP_URG 0x20

struct sti_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];  /* IPv4 in the first four bytes */
};

/* One decoded TCP segment. Pointers point into the frame given to decode. */
struct sti_pkt {
	uint64_t frame;     /* 1-based frame number in its file */
	int64_t ts_us;      /* capture time, microseconds since the epoch */
	struct sti_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t window;
	uint8_t flags;
	const uint8_t *payload;
	uint32_t payload_caplen; /* payload bytes present in the capture */
	uint32_t payload_len;    /* payload bytes on the wire (IP lengths) */
	uint32_t l3_offset;      /* where IP starts in the frame */
	uint32_t l4_offset;      /* where TCP starts in the frame */
	const uint8_t *raw;      /* the whole frame as given to decode */
	uint32_t raw_caplen, raw_len;
};

enum sti_decode_status {
	STI_DEC_TCP = 0,   /* a TCP segment: the packet is filled in */
	STI_DEC_NOT_IP,    /* ARP, LLC, other ethertypes */
	STI_DEC_NOT_TCP,   /* IP, but UDP, ICMP, ... */
	STI_DEC_FRAGMENT,  /* an IP fragment: counted, not reassembled */
	STI_DEC_TRUNCATED, /* caplen ends inside a header */
	STI_DEC_MALFORMED, /* a header contradicts itself */
	STI_DEC_STATUS_COUNT
};

/* Link types we decode, by libpcap DLT value. */
bool sti_decode_link_supported(int dlt);

/*
 * caplen bytes of a frame that was wirelen long. When nothing was cut by
 * the snaplen (caplen == wirelen), an IP length that claims more than the
 * frame holds is a lie and the payload is what the frame holds; otherwise
 * the missing tail is payload the capture did not keep. For a TCP segment
 * every field of `out` is set (frame and ts_us to zero: the caller knows
 * them); whatever it held before does not matter.
 */
enum sti_decode_status sti_decode_frame(int dlt, const uint8_t *frame,
					size_t caplen, size_t wirelen,
					struct sti_pkt *out);

const char *sti_decode_status_name(enum sti_decode_status st);

/* "192.0.2.1" or "2001:db8::1" into buf; returns buf. */
const char *sti_addr_str(const struct sti_addr *a, char *buf, size_t len);

#endif /* STI_DECODE_H */
