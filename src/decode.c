/*
 * decode.c - from a captured frame to a TCP segment.
 *
 * Every read goes through sti_rd. The layers are peeled without recursion:
 * link header, a bounded loop of VLAN/PPPoE tags, IP, a bounded loop of IPv6
 * extension headers, TCP.
 */
#include "sti/decode.h"

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "sti/rd.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100   /* IEEE 802.1Q */
#define ETHERTYPE_QINQ 0x88a8   /* IEEE 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_PPPOE 0x8864  /* RFC 2516 session stage */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define MAX_TAGS 8              /* VLAN/PPPoE headers peeled per frame */
#define MAX_IPV6_EXT 16         /* extension headers skipped per packet */

#define IPPROTO_TCP_NUM 6
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60
#define IP6_MOBILITY 135
#define IP6_HIP 139
#define IP6_SHIM6 140

/* libpcap maps LINKTYPE_IPV4/IPV6 (228/229) to these DLTs where defined. */
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

bool sti_decode_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

const char *sti_decode_status_name(enum sti_decode_status st)
{
	static const char *const names[STI_DEC_STATUS_COUNT] = {
		[STI_DEC_TCP] = "tcp",
		[STI_DEC_NOT_IP] = "not_ip",
		[STI_DEC_NOT_TCP] = "not_tcp",
		[STI_DEC_FRAGMENT] = "ip_fragment",
		[STI_DEC_TRUNCATED] = "truncated",
		[STI_DEC_MALFORMED] = "malformed",
	};
	if ((unsigned)st >= STI_DEC_STATUS_COUNT)
		return "unknown";
	return names[st];
}

/* Dotted quad by hand: every reported session formats two addresses, and
 * inet_ntop goes through sprintf for each of them. */
static bool ipv4_str(const uint8_t a[4], char *buf, size_t len)
{
	char tmp[16];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (i)
			tmp[n++] = '.';
		if (v >= 100)
			tmp[n++] = (char)('0' + v / 100);
		if (v >= 10)
			tmp[n++] = (char)('0' + v / 10 % 10);
		tmp[n++] = (char)('0' + v % 10);
	}
	if (n + 1 > len)
		return false;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return true;
}

const char *sti_addr_str(const struct sti_addr *a, char *buf, size_t len)
{
	if (a->family != 6) {
		if (!ipv4_str(a->a, buf, len) && len)
			snprintf(buf, len, "?");
		return buf;
	}
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Big-endian fields of a header already copied out of the frame. */
static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The network layer a link header announced. */
enum net_proto { NET_NONE, NET_IPV4, NET_IPV6, NET_BY_VERSION };

static enum net_proto net_from_ethertype(uint16_t type)
{
	if (type == ETHERTYPE_IPV4)
		return NET_IPV4;
	if (type == ETHERTYPE_IPV6)
		return NET_IPV6;
	return NET_NONE;
}

static bool is_tag_ethertype(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	       type == ETHERTYPE_QINQ_OLD || type == ETHERTYPE_PPPOE;
}

/*
 * Peel 802.1Q/802.1ad tags and a PPPoE session header, starting after the
 * ethertype `type` was read. Leaves r at the network header.
 */
static enum sti_decode_status peel_tags(struct sti_rd *r, uint16_t type,
					enum net_proto *net)
{
	for (int depth = 0; is_tag_ethertype(type); depth++) {
		if (depth == MAX_TAGS)
			return STI_DEC_MALFORMED;
		if (type == ETHERTYPE_PPPOE) {
			uint16_t ppp, len;
			/* ver/type, code, session id, length, then PPP. The
			 * length covers the PPP frame; bytes past it are
			 * padding, whatever the IP header claims. */
			if (!sti_rd_skip(r, 4) || !sti_rd_u16(r, &len) ||
			    !sti_rd_u16(r, &ppp))
				return STI_DEC_TRUNCATED;
			if (len < 2)
				return STI_DEC_MALFORMED;
			if (sti_rd_left(r) > (size_t)len - 2)
				r->n = (size_t)len - 2;
			*net = ppp == PPP_IPV4 ? NET_IPV4 :
			       ppp == PPP_IPV6 ? NET_IPV6 : NET_NONE;
			return *net == NET_NONE ? STI_DEC_NOT_IP : STI_DEC_TCP;
		}
		if (!sti_rd_skip(r, 2) || !sti_rd_u16(r, &type))
			return STI_DEC_TRUNCATED;
	}
	*net = net_from_ethertype(type);
	return *net == NET_NONE ? STI_DEC_NOT_IP : STI_DEC_TCP;
}

static enum sti_decode_status link_ethernet(struct sti_rd *r,
					    enum net_proto *net)
{
	uint16_t type;
	if (!sti_rd_skip(r, 12) || !sti_rd_u16(r, &type))
		return STI_DEC_TRUNCATED;
	return peel_tags(r, type, net);
}

/* Linux cooked capture v1: 16 bytes, protocol last. */
static enum sti_decode_status link_sll(struct sti_rd *r, enum net_proto *net)
{
	uint16_t type;
	if (!sti_rd_skip(r, 14) || !sti_rd_u16(r, &type))
		return STI_DEC_TRUNCATED;
	return peel_tags(r, type, net);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
static enum sti_decode_status link_sll2(struct sti_rd *r, enum net_proto *net)
{
	uint16_t type;
	if (!sti_rd_u16(r, &type) || !sti_rd_skip(r, 18))
		return STI_DEC_TRUNCATED;
	return peel_tags(r, type, net);
}

/*
 * BSD loopback: a 4-byte address family, in the capturing host's byte order
 * for DLT_NULL and in network order for DLT_LOOP. A value above 0xffff in one
 * order is the other order.
 */
static enum sti_decode_status link_loopback(struct sti_rd *r, bool network_order,
					    enum net_proto *net)
{
	uint32_t af;
	bool ok = network_order ? sti_rd_u32(r, &af) : sti_rd_u32le(r, &af);
	if (!ok)
		return STI_DEC_TRUNCATED;
	if (af > 0xffff)
		af = (af >> 24) | ((af >> 8) & 0xff00) | ((af << 8) & 0xff0000) |
		     (af << 24);
	switch (af) {
	case 2:
		*net = NET_IPV4;
		return STI_DEC_TCP;
	case 10: case 23: case 24: case 28: case 30: /* AF_INET6, per OS */
		*net = NET_IPV6;
		return STI_DEC_TCP;
	default:
		return STI_DEC_NOT_IP;
	}
}

static enum sti_decode_status decode_link(int dlt, struct sti_rd *r,
					  enum net_proto *net)
{
	switch (dlt) {
	case DLT_EN10MB:
		return link_ethernet(r, net);
	case DLT_LINUX_SLL:
		return link_sll(r, net);
	case DLT_LINUX_SLL2:
		return link_sll2(r, net);
	case DLT_NULL:
		return link_loopback(r, false, net);
	case DLT_LOOP:
		return link_loopback(r, true, net);
	case DLT_RAW:
		*net = NET_BY_VERSION;
		return STI_DEC_TCP;
	case DLT_IPV4:
		*net = NET_IPV4;
		return STI_DEC_TCP;
	case DLT_IPV6:
		*net = NET_IPV6;
		return STI_DEC_TCP;
	default:
		return STI_DEC_NOT_IP;
	}
}

/*
 * The bytes of the IP payload: `r` is cut to what the IP header says
 * (trailing Ethernet padding dropped), `*wire_len` is the length the header
 * claims even where the capture holds less.
 */
static enum sti_decode_status decode_ipv4(struct sti_rd *r, struct sti_pkt *p,
					  uint32_t *wire_len)
{
	struct sti_rd ip = *r;
	uint8_t vihl, proto;
	uint16_t total, frag;
	if (!sti_rd_u8(&ip, &vihl))
		return STI_DEC_TRUNCATED;
	if (vihl >> 4 != 4)
		return STI_DEC_MALFORMED;
	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return STI_DEC_MALFORMED;
	if (!sti_rd_skip(&ip, 1) || !sti_rd_u16(&ip, &total) ||
	    !sti_rd_skip(&ip, 2) || !sti_rd_u16(&ip, &frag) ||
	    !sti_rd_skip(&ip, 1) || !sti_rd_u8(&ip, &proto) ||
	    !sti_rd_skip(&ip, 2) || !sti_rd_copy(&ip, p->src.a, 4) ||
	    !sti_rd_copy(&ip, p->dst.a, 4) || !sti_rd_skip(&ip, hlen - 20))
		return STI_DEC_TRUNCATED;
	p->src.family = p->dst.family = 4;
	memset(p->src.a + 4, 0, 12);
	memset(p->dst.a + 4, 0, 12);
	/* RFC 791: MF flag or a non-zero offset makes a fragment. */
	if (frag & 0x3fff)
		return STI_DEC_FRAGMENT;
	if (proto != IPPROTO_TCP_NUM)
		return STI_DEC_NOT_TCP;
	/* A zero total length is what TSO leaves in a host-side capture. */
	if (total == 0) {
		*wire_len = (uint32_t)sti_rd_left(&ip);
	} else {
		if (total < hlen)
			return STI_DEC_MALFORMED;
		*wire_len = (uint32_t)(total - hlen);
		if (sti_rd_left(&ip) > *wire_len)
			ip.n = *wire_len;
	}
	*r = ip;
	return STI_DEC_TCP;
}

static bool is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case IP6_HOPOPTS: case IP6_ROUTING: case IP6_FRAGMENT: case IP6_AH:
	case IP6_DSTOPTS: case IP6_MOBILITY: case IP6_HIP: case IP6_SHIM6:
		return true;
	default:
		return false;
	}
}

/* Skip one extension header; RFC 8200 4.5 for fragments, RFC 4302 for AH. */
static enum sti_decode_status skip_ipv6_ext(struct sti_rd *ip, uint8_t *nh,
					    uint32_t *left)
{
	uint8_t next, len;
	if (!sti_rd_u8(ip, &next) || !sti_rd_u8(ip, &len))
		return STI_DEC_TRUNCATED;
	size_t size;
	if (*nh == IP6_FRAGMENT) {
		uint16_t off_flags;
		if (!sti_rd_u16(ip, &off_flags))
			return STI_DEC_TRUNCATED;
		if ((off_flags & 0xfff9) != 0)   /* offset or M flag set */
			return STI_DEC_FRAGMENT;
		size = 8;
		if (!sti_rd_skip(ip, 4))
			return STI_DEC_TRUNCATED;
	} else {
		size = *nh == IP6_AH ? ((size_t)len + 2) * 4 : ((size_t)len + 1) * 8;
		if (!sti_rd_skip(ip, size - 2))
			return STI_DEC_TRUNCATED;
	}
	if (*left < size)
		return STI_DEC_MALFORMED;
	*left -= (uint32_t)size;
	*nh = next;
	return STI_DEC_TCP;
}

static enum sti_decode_status decode_ipv6(struct sti_rd *r, struct sti_pkt *p,
					  uint32_t *wire_len)
{
	struct sti_rd ip = *r;
	uint8_t v, nh;
	uint16_t plen;
	if (!sti_rd_u8(&ip, &v))
		return STI_DEC_TRUNCATED;
	if (v >> 4 != 6)
		return STI_DEC_MALFORMED;
	if (!sti_rd_skip(&ip, 3) || !sti_rd_u16(&ip, &plen) ||
	    !sti_rd_u8(&ip, &nh) || !sti_rd_skip(&ip, 1) ||
	    !sti_rd_copy(&ip, p->src.a, 16) || !sti_rd_copy(&ip, p->dst.a, 16))
		return STI_DEC_TRUNCATED;
	p->src.family = p->dst.family = 6;
	/* A zero payload length is a jumbogram or TSO: trust the capture. */
	uint32_t left = plen ? plen : (uint32_t)sti_rd_left(&ip);
	if (plen && sti_rd_left(&ip) > plen)
		ip.n = plen;
	for (int i = 0; is_ipv6_ext(nh); i++) {
		if (i == MAX_IPV6_EXT)
			return STI_DEC_MALFORMED;
		enum sti_decode_status st = skip_ipv6_ext(&ip, &nh, &left);
		if (st != STI_DEC_TCP)
			return st;
	}
	if (nh != IPPROTO_TCP_NUM)
		return STI_DEC_NOT_TCP;
	*wire_len = left;
	*r = ip;
	return STI_DEC_TCP;
}

static enum sti_decode_status decode_tcp(struct sti_rd *r, uint32_t wire_len,
					 struct sti_pkt *p)
{
	struct sti_rd tcp = *r;
	uint8_t h[20];   /* the fixed header, one bounds check for all of it */
	if (!sti_rd_copy(&tcp, h, sizeof(h)))
		return STI_DEC_TRUNCATED;
	p->sport = be16(h);
	p->dport = be16(h + 2);
	p->seq = be32(h + 4);
	p->ack = be32(h + 8);
	p->window = be16(h + 14);
	size_t hlen = (size_t)(h[12] >> 4) * 4;
	if (hlen < 20 || hlen > wire_len)
		return STI_DEC_MALFORMED;
	if (!sti_rd_skip(&tcp, hlen - 20))   /* options */
		return STI_DEC_TRUNCATED;
	p->flags = h[13];
	p->payload_len = wire_len - (uint32_t)hlen;
	p->payload_caplen = (uint32_t)sti_rd_left(&tcp);
	if (p->payload_caplen > p->payload_len)
		p->payload_caplen = p->payload_len;
	p->payload = p->payload_caplen ? tcp.p : NULL;
	return STI_DEC_TCP;
}

/*
 * The common frame, untagged Ethernet carrying IPv4 without options and
 * not fragmented, with a TCP payload and a non-zero total length: its 34
 * header bytes are copied out with one bounds check and read from the
 * copy. True when it was that frame, with r at the TCP header as
 * decode_ipv4 leaves it; false (nothing kept) for anything else, which the
 * layered path decodes. Both give the same result for this frame.
 */
static bool ether_ipv4_tcp(struct sti_rd *r, struct sti_pkt *p, uint32_t *wire_len)
{
	struct sti_rd q = *r;
	uint8_t h[34];
	if (!sti_rd_copy(&q, h, sizeof(h)))
		return false;
	const uint8_t *ip = h + 14;
	uint16_t total = be16(ip + 2);
	if (be16(h + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 || (be16(ip + 6) & 0x3fff) ||
	    ip[9] != IPPROTO_TCP_NUM || total < 20)
		return false;
	p->src.family = p->dst.family = 4;
	memcpy(p->src.a, ip + 12, 4);
	memcpy(p->dst.a, ip + 16, 4);
	memset(p->src.a + 4, 0, 12);
	memset(p->dst.a + 4, 0, 12);
	p->l3_offset = 14;
	*wire_len = (uint32_t)(total - 20);
	if (sti_rd_left(&q) > *wire_len)
		q.n = *wire_len;
	*r = q;
	return true;
}

/* Link and network layers: r ends at the TCP header, cut to the IP
 * payload, and *wire_len is what IP claims for it. */
static enum sti_decode_status decode_network(int dlt, size_t caplen, struct sti_rd *r,
					     struct sti_pkt *out, uint32_t *wire_len)
{
	enum net_proto net = NET_NONE;
	enum sti_decode_status st = decode_link(dlt, r, &net);
	if (st != STI_DEC_TCP)
		return st;
	if (net == NET_BY_VERSION) {
		uint8_t v;
		if (!sti_rd_peek(r, 0, &v))
			return STI_DEC_TRUNCATED;
		net = v >> 4 == 4 ? NET_IPV4 : v >> 4 == 6 ? NET_IPV6 : NET_NONE;
		if (net == NET_NONE)
			return STI_DEC_MALFORMED;
	}
	out->l3_offset = (uint32_t)(caplen - sti_rd_left(r));
	return net == NET_IPV4 ? decode_ipv4(r, out, wire_len) : decode_ipv6(r, out, wire_len);
}

enum sti_decode_status sti_decode_frame(int dlt, const uint8_t *frame,
					size_t caplen, size_t wirelen,
					struct sti_pkt *out)
{
	struct sti_rd r = sti_rd_init(frame, caplen);
	uint32_t wire_len = 0;
	/* The common frame's path sets every other field; the layered one
	 * sets what it meets, on a cleared packet. No caller pays for
	 * clearing a packet that is then written whole. */
	bool common = dlt == DLT_EN10MB && ether_ipv4_tcp(&r, out, &wire_len);
	if (common) {
		out->frame = 0;
		out->ts_us = 0;
	} else {
		memset(out, 0, sizeof(*out));
	}
	out->raw = frame;
	out->raw_caplen = (uint32_t)caplen;
	out->raw_len = (uint32_t)wirelen;
	if (!common) {
		enum sti_decode_status st = decode_network(dlt, caplen, &r, out, &wire_len);
		if (st != STI_DEC_TCP)
			return st;
	}
	out->l4_offset = (uint32_t)(r.p - frame);
	/* Whole frame, yet IP claims more: believe the frame (and any lower
	 * layer length, such as PPPoE's, that already bounded r). */
	if (caplen >= wirelen && wire_len > sti_rd_left(&r))
		wire_len = (uint32_t)sti_rd_left(&r);
	return decode_tcp(&r, wire_len, out);
}
