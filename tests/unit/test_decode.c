/*
 * test_decode.c - frames built in memory for each link type, VLAN stacks,
 * IPv6 extension chains, fragments, truncated and malformed headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <string.h>

#include "sti/decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* A frame under construction. */
struct fb {
	uint8_t b[512];
	size_t n;
};

static void put(struct fb *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct fb *f, uint8_t v) { put(f, &v, 1); }
static void put16(struct fb *f, uint16_t v) { put8(f, (uint8_t)(v >> 8)); put8(f, (uint8_t)v); }
static void put32(struct fb *f, uint32_t v) { put16(f, (uint16_t)(v >> 16)); put16(f, (uint16_t)v); }

static void eth(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(f, macs, 12);
	put16(f, type);
}

static void vlan(struct fb *f, uint16_t next_type)
{
	put16(f, 100);          /* TCI */
	put16(f, next_type);
}

/* IPv4 header with `opt_words` words of options; total covers tcp+payload. */
static void ipv4(struct fb *f, uint8_t proto, uint16_t l4_len, uint16_t frag,
		 int opt_words)
{
	put8(f, (uint8_t)(0x45 + opt_words));
	put8(f, 0);
	put16(f, (uint16_t)(20 + 4 * opt_words + l4_len));
	put16(f, 1);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0xc0000201);   /* 192.0.2.1 */
	put32(f, 0xc6336419);   /* 198.51.100.25 */
	for (int i = 0; i < opt_words; i++)
		put32(f, 0x01010101);   /* NOPs */
}

static void ipv6(struct fb *f, uint8_t nh, uint16_t plen)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	put32(f, 0x60000000);
	put16(f, plen);
	put8(f, nh);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static const char payload[] = "EHLO x\r\n";
#define PLEN ((uint16_t)(sizeof(payload) - 1))
#define TCPLEN ((uint16_t)(20 + PLEN))

static void tcp(struct fb *f)
{
	put16(f, 40000);
	put16(f, 25);
	put32(f, 1000);
	put32(f, 2000);
	put8(f, 5 << 4);
	put8(f, STI_TCP_ACK | STI_TCP_PSH);
	put16(f, 512);
	put32(f, 0);
	put(f, payload, PLEN);
}

static void assert_tcp4(const struct sti_pkt *p)
{
	assert_int_equal(p->src.family, 4);
	assert_memory_equal(p->src.a, "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_memory_equal(p->dst.a, "\xc6\x33\x64\x19", 4);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 25);
	assert_int_equal(p->seq, 1000);
	assert_int_equal(p->ack, 2000);
	assert_int_equal(p->flags, STI_TCP_ACK | STI_TCP_PSH);
	assert_int_equal(p->window, 512);
	assert_int_equal(p->payload_len, PLEN);
	assert_int_equal(p->payload_caplen, PLEN);
	assert_memory_equal(p->payload, payload, PLEN);
}

static enum sti_decode_status dec(int dlt, const struct fb *f, struct sti_pkt *p)
{
	memset(p, 0, sizeof(*p));
	return sti_decode_frame(dlt, f->b, f->n, f->n, p);
}

/*
 * Untagged Ethernet + IPv4 + TCP takes a shortcut in decode.c; the same IP
 * packet behind an 802.1Q tag takes the layered path. For every mix of
 * header fields the shortcut checks (version and header length, total
 * length, fragment bits, protocol, TCP offset) and of capture cuts, both
 * must give the same status and the same packet, 4 bytes apart.
 */
static void put_mutated_ipv4_tcp(struct fb *f, uint8_t vihl, uint16_t total, uint16_t frag,
				 uint8_t proto, uint8_t tcp_off)
{
	put8(f, vihl);
	put8(f, 0);
	put16(f, total);
	put16(f, 1);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0xc0000201);
	put32(f, 0xc6336419);
	tcp(f);
	f->b[f->n - TCPLEN + 12] = tcp_off;
	for (int i = 0; i < 16; i++)
		put8(f, (uint8_t)i);   /* room for options the offsets claim */
}

static void assert_same_packet(const struct sti_pkt *a, const struct sti_pkt *b, size_t shift)
{
	assert_memory_equal(&a->src, &b->src, sizeof(a->src));
	assert_memory_equal(&a->dst, &b->dst, sizeof(a->dst));
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->window, b->window);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->payload_caplen, b->payload_caplen);
	assert_int_equal(a->payload == NULL, b->payload == NULL);
	if (a->payload)
		assert_int_equal(b->payload - b->raw, a->payload - a->raw + (ptrdiff_t)shift);
	assert_int_equal(b->l3_offset, a->l3_offset + shift);
	assert_int_equal(b->l4_offset, a->l4_offset + shift);
}

/* Every field of a packet as decode leaves it, compared one by one (the
 * padding between them is nobody's). */
static void assert_same_fields(const struct sti_pkt *a, const struct sti_pkt *b)
{
	assert_int_equal(a->frame, b->frame);
	assert_int_equal(a->ts_us, b->ts_us);
	assert_same_packet(a, b, 0);
	assert_ptr_equal(a->payload, b->payload);
	assert_ptr_equal(a->raw, b->raw);
	assert_int_equal(a->raw_caplen, b->raw_caplen);
	assert_int_equal(a->raw_len, b->raw_len);
}

/* Callers need not clear the packet: decode sets every field of a TCP
 * segment, through the common frame's shortcut and the layered path
 * alike (frame and ts_us to zero), whatever the packet held. */
static void test_packet_needs_no_clearing(void **state)
{
	(void)state;
	struct fb v4 = { .n = 0 }, tagged = { .n = 0 }, v6 = { .n = 0 }, raw = { .n = 0 };
	eth(&v4, 0x0800);
	ipv4(&v4, 6, TCPLEN, 0x4000, 0);
	tcp(&v4);
	eth(&tagged, 0x8100);
	vlan(&tagged, 0x0800);
	ipv4(&tagged, 6, TCPLEN, 0, 1);
	tcp(&tagged);
	eth(&v6, 0x86dd);
	ipv6(&v6, 6, TCPLEN);
	tcp(&v6);
	ipv4(&raw, 6, TCPLEN, 0, 0);
	tcp(&raw);
	const struct { int dlt; const struct fb *f; } cases[] = {
		{ DLT_EN10MB, &v4 }, { DLT_EN10MB, &tagged }, { DLT_EN10MB, &v6 },
		{ DLT_RAW, &raw },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sti_pkt clean, dirty;
		memset(&clean, 0, sizeof(clean));
		memset(&dirty, 0xa5, sizeof(dirty));
		const struct fb *f = cases[i].f;
		assert_int_equal(sti_decode_frame(cases[i].dlt, f->b, f->n, f->n, &clean), STI_DEC_TCP);
		assert_int_equal(sti_decode_frame(cases[i].dlt, f->b, f->n, f->n, &dirty), STI_DEC_TCP);
		assert_int_equal(dirty.frame, 0);
		assert_int_equal(dirty.ts_us, 0);
		assert_same_fields(&clean, &dirty);
	}
}

static void test_ethernet_ipv4_shortcut(void **state)
{
	static const uint8_t vihls[] = { 0x45, 0x46, 0x44, 0x55 };
	static const uint16_t totals[] = { 0, 10, 19, 20, 40, 48, 60, 1000 };
	static const uint16_t frags[] = { 0, 0x4000, 0x2000, 0x0001, 0x8000 };
	static const uint8_t protos[] = { 6, 17 };
	static const uint8_t offs[] = { 0x50, 0x40, 0x60, 0x80, 0xf0 };
	static const size_t cuts[] = { 13, 20, 33, 34, 40, 53, 54, 60, 70, 500 };
	(void)state;
	for (size_t v = 0; v < sizeof(vihls); v++)
	for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++)
	for (size_t fr = 0; fr < sizeof(frags) / sizeof(frags[0]); fr++)
	for (size_t pr = 0; pr < sizeof(protos); pr++)
	for (size_t o = 0; o < sizeof(offs); o++) {
		struct fb plain = { .n = 0 }, tagged = { .n = 0 };
		eth(&plain, 0x0800);
		put_mutated_ipv4_tcp(&plain, vihls[v], totals[t], frags[fr], protos[pr], offs[o]);
		eth(&tagged, 0x8100);
		vlan(&tagged, 0x0800);
		put_mutated_ipv4_tcp(&tagged, vihls[v], totals[t], frags[fr], protos[pr], offs[o]);
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++)
		for (int whole = 0; whole < 2; whole++) {
			size_t cap = cuts[c] < plain.n ? cuts[c] : plain.n;
			size_t wire = whole ? cap : plain.n + 100;
			struct sti_pkt a, b;
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			enum sti_decode_status sa = sti_decode_frame(DLT_EN10MB, plain.b, cap, wire, &a);
			enum sti_decode_status sb = sti_decode_frame(DLT_EN10MB, tagged.b, cap + 4,
								     wire + 4, &b);
			assert_int_equal(sa, sb);
			if (sa == STI_DEC_TCP)
				assert_same_packet(&a, &b, 4);
		}
	}
}

static void test_ethernet_ipv4(void **state)
{
	(void)state;
	struct fb f = { .n = 0 };
	struct sti_pkt p;
	eth(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0x4000 /* DF */, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_tcp4(&p);
	assert_int_equal(p.l3_offset, 14);
	assert_int_equal(p.l4_offset, 34);
}

static void test_vlan_stacks(void **state)
{
	(void)state;
	struct sti_pkt p;
	static const uint16_t outer[] = { 0x8100, 0x88a8, 0x9100 };
	for (int depth = 1; depth <= 3; depth++) {
		struct fb f = { .n = 0 };
		eth(&f, outer[depth - 1]);
		for (int i = depth - 1; i > 0; i--)
			vlan(&f, 0x8100);
		vlan(&f, 0x0800);
		ipv4(&f, 6, TCPLEN, 0, 0);
		tcp(&f);
		assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
		assert_tcp4(&p);
		assert_int_equal(p.l3_offset, 14 + 4 * depth);
	}
	/* Nine tags is past any real network: malformed, not a loop. */
	struct fb f = { .n = 0 };
	eth(&f, 0x8100);
	for (int i = 0; i < 8; i++)
		vlan(&f, 0x8100);
	vlan(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
}

static void test_pppoe(void **state)
{
	(void)state;
	struct fb f = { .n = 0 };
	struct sti_pkt p;
	eth(&f, 0x8864);
	put16(&f, 0x1100);          /* ver/type, code */
	put16(&f, 0x0001);          /* session */
	put16(&f, (uint16_t)(2 + 20 + TCPLEN));
	put16(&f, 0x0021);          /* PPP: IPv4 */
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_tcp4(&p);
}

static void test_linux_cooked(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	put16(&f, 0);               /* to us */
	put16(&f, 1);               /* ARPHRD_ETHER */
	put16(&f, 6);
	put(&f, "\x02\0\0\0\0\x01\0\0", 8);
	put16(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_LINUX_SLL, &f, &p), STI_DEC_TCP);
	assert_tcp4(&p);
	assert_int_equal(p.l3_offset, 16);

	struct fb g = { .n = 0 };
	put16(&g, 0x86dd);          /* protocol first in v2 */
	put16(&g, 0);
	put32(&g, 3);               /* ifindex */
	put16(&g, 1);
	put8(&g, 4);                /* outgoing */
	put8(&g, 6);
	put(&g, "\x02\0\0\0\0\x01\0\0", 8);
	ipv6(&g, 6, TCPLEN);
	tcp(&g);
	assert_int_equal(dec(DLT_LINUX_SLL2, &g, &p), STI_DEC_TCP);
	assert_int_equal(p.src.family, 6);
	assert_int_equal(p.src.a[15], 1);
	assert_int_equal(p.l3_offset, 20);
	assert_int_equal(p.payload_len, PLEN);
}

static void test_raw_ip(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f4 = { .n = 0 }, f6 = { .n = 0 };
	ipv4(&f4, 6, TCPLEN, 0, 0);
	tcp(&f4);
	ipv6(&f6, 6, TCPLEN);
	tcp(&f6);
	assert_int_equal(dec(DLT_RAW, &f4, &p), STI_DEC_TCP);
	assert_tcp4(&p);
	assert_int_equal(dec(DLT_RAW, &f6, &p), STI_DEC_TCP);
	assert_int_equal(p.dst.a[15], 2);
	assert_int_equal(dec(228, &f4, &p), STI_DEC_TCP);   /* LINKTYPE_IPV4 */
	assert_int_equal(dec(229, &f6, &p), STI_DEC_TCP);   /* LINKTYPE_IPV6 */
	/* The wrong family for the link type is a malformed header. */
	assert_int_equal(dec(229, &f4, &p), STI_DEC_MALFORMED);
	struct fb junk = { .n = 0 };
	put32(&junk, 0x12345678);
	assert_int_equal(dec(DLT_RAW, &junk, &p), STI_DEC_MALFORMED);
}

static void loopback(struct fb *f, uint32_t af, bool little_endian)
{
	if (little_endian) {
		put8(f, (uint8_t)af);
		put8(f, (uint8_t)(af >> 8));
		put8(f, (uint8_t)(af >> 16));
		put8(f, (uint8_t)(af >> 24));
	} else {
		put32(f, af);
	}
}

static void test_null_and_loop(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	loopback(&f, 2, true);            /* little-endian host, AF_INET */
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_NULL, &f, &p), STI_DEC_TCP);
	assert_tcp4(&p);
	f.n = 0;
	loopback(&f, 2, false);           /* big-endian host wrote it */
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	assert_int_equal(dec(DLT_NULL, &f, &p), STI_DEC_TCP);
	for (int i = 0; i < 3; i++) {
		static const uint32_t af6[] = { 24, 28, 30 };  /* BSD AF_INET6 */
		struct fb g = { .n = 0 };
		loopback(&g, af6[i], true);
		ipv6(&g, 6, TCPLEN);
		tcp(&g);
		assert_int_equal(dec(DLT_NULL, &g, &p), STI_DEC_TCP);
		assert_int_equal(p.src.family, 6);
	}
	struct fb l = { .n = 0 };
	loopback(&l, 2, false);           /* DLT_LOOP is network order */
	ipv4(&l, 6, TCPLEN, 0, 0);
	tcp(&l);
	assert_int_equal(dec(DLT_LOOP, &l, &p), STI_DEC_TCP);
	struct fb x = { .n = 0 };
	loopback(&x, 7, true);
	put32(&x, 0);
	assert_int_equal(dec(DLT_NULL, &x, &p), STI_DEC_NOT_IP);
}

static void test_ipv4_options_fragments_protocols(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	eth(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0, 3);
	tcp(&f);
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_tcp4(&p);
	assert_int_equal(p.l4_offset, 14 + 32);

	static const uint16_t frags[] = { 0x2000 /* MF */, 0x0001, 0x3fff };
	for (int i = 0; i < 3; i++) {
		struct fb g = { .n = 0 };
		eth(&g, 0x0800);
		ipv4(&g, 6, TCPLEN, frags[i], 0);
		tcp(&g);
		assert_int_equal(dec(DLT_EN10MB, &g, &p), STI_DEC_FRAGMENT);
	}
	struct fb u = { .n = 0 };
	eth(&u, 0x0800);
	ipv4(&u, 17, 8, 0, 0);
	put32(&u, 0);
	put32(&u, 0);
	assert_int_equal(dec(DLT_EN10MB, &u, &p), STI_DEC_NOT_TCP);
	struct fb a = { .n = 0 };
	eth(&a, 0x0806);            /* ARP */
	put32(&a, 0);
	assert_int_equal(dec(DLT_EN10MB, &a, &p), STI_DEC_NOT_IP);
}

static void ext(struct fb *f, uint8_t next, uint8_t len8)
{
	put8(f, next);
	put8(f, len8);
	for (int i = 0; i < 6 + 8 * len8; i++)
		put8(f, 0);
}

static void test_ipv6_extension_chain(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	eth(&f, 0x86dd);
	/* hop-by-hop(8) -> dstopts(16) -> routing(8) -> fragment(8) -> TCP */
	ipv6(&f, 0, (uint16_t)(8 + 16 + 8 + 8 + TCPLEN));
	ext(&f, 60, 0);
	ext(&f, 43, 1);
	ext(&f, 44, 0);
	put8(&f, 6);                /* fragment header: atomic (offset 0, M 0) */
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 42);
	tcp(&f);
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_int_equal(p.l4_offset, 14 + 40 + 40);
	assert_int_equal(p.payload_len, PLEN);
	assert_memory_equal(p.payload, payload, PLEN);

	struct fb g = { .n = 0 };
	eth(&g, 0x86dd);
	ipv6(&g, 44, (uint16_t)(8 + TCPLEN));
	put8(&g, 6);
	put8(&g, 0);
	put16(&g, 0x0008);          /* offset 1 */
	put32(&g, 42);
	tcp(&g);
	assert_int_equal(dec(DLT_EN10MB, &g, &p), STI_DEC_FRAGMENT);

	struct fb h = { .n = 0 };   /* 17 headers: more than we walk */
	eth(&h, 0x86dd);
	ipv6(&h, 60, (uint16_t)(17 * 8 + TCPLEN));
	for (int i = 0; i < 17; i++)
		ext(&h, i == 16 ? 6 : 60, 0);
	tcp(&h);
	assert_int_equal(dec(DLT_EN10MB, &h, &p), STI_DEC_MALFORMED);

	struct fb u = { .n = 0 };
	eth(&u, 0x86dd);
	ipv6(&u, 58, 8);            /* ICMPv6 */
	put32(&u, 0);
	put32(&u, 0);
	assert_int_equal(dec(DLT_EN10MB, &u, &p), STI_DEC_NOT_TCP);
}

/* Every prefix of a frame: headers cut are truncated, payload cut is kept. */
static void test_every_truncation(void **state)
{
	(void)state;
	struct fb f = { .n = 0 };
	eth(&f, 0x8100);
	vlan(&f, 0x86dd);
	ipv6(&f, 0, (uint16_t)(8 + TCPLEN));
	ext(&f, 6, 0);
	tcp(&f);
	size_t headers = f.n - PLEN;
	for (size_t n = 0; n < f.n; n++) {
		struct sti_pkt p;
		memset(&p, 0, sizeof(p));
		enum sti_decode_status st = sti_decode_frame(DLT_EN10MB, f.b, n, f.n, &p);
		if (n < headers) {
			assert_int_equal(st, STI_DEC_TRUNCATED);
		} else {
			assert_int_equal(st, STI_DEC_TCP);
			assert_int_equal(p.payload_len, PLEN);
			assert_int_equal(p.payload_caplen, n - headers);
		}
	}
}

static void test_malformed_lengths(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	eth(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	f.b[14] = 0x44;             /* IHL 4 words */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
	f.b[14] = 0x45;
	f.b[16] = 0;
	f.b[17] = 10;               /* total length shorter than the header */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
	f.b[17] = (uint8_t)(20 + TCPLEN);
	f.b[14 + 20 + 12] = 4 << 4; /* TCP data offset 4 words */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
	f.b[14 + 20 + 12] = 15 << 4;/* 60 bytes of header in a 28-byte segment */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
	f.b[14 + 20 + 12] = 5 << 4;
	f.b[14] = 0x55;             /* version 5 */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_MALFORMED);
}

static void test_padding_and_tso(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	eth(&f, 0x0800);
	ipv4(&f, 6, TCPLEN, 0, 0);
	tcp(&f);
	put(&f, "\0\0\0\0\0\0", 6);  /* Ethernet trailer padding */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_int_equal(p.payload_caplen, PLEN);
	f.b[16] = f.b[17] = 0;      /* total length 0: a TSO super-frame */
	assert_int_equal(dec(DLT_EN10MB, &f, &p), STI_DEC_TCP);
	assert_int_equal(p.payload_len, PLEN + 6);
}

/* A whole frame whose IP length claims more than it holds (seen in a
 * real PPPoE capture): the frame wins, as it does for tshark. */
static void test_ip_length_beyond_whole_frame(void **state)
{
	(void)state;
	struct sti_pkt p;
	struct fb f = { .n = 0 };
	eth(&f, 0x8864);
	put16(&f, 0x1100);
	put16(&f, 0x0001);
	put16(&f, 2 + 40);          /* PPPoE: 40 bytes of IP */
	put16(&f, 0x0021);
	ipv4(&f, 6, 26, 0, 0);      /* IP claims 46 */
	tcp(&f);
	f.b[14 + 8 + 20 + 12] = 5 << 4;
	size_t whole = f.n;
	memset(&p, 0, sizeof(p));
	assert_int_equal(sti_decode_frame(DLT_EN10MB, f.b, whole, whole, &p), STI_DEC_TCP);
	assert_int_equal(p.payload_len, 0);
	/* The same frame cut by a snaplen keeps the IP length's word. */
	struct fb g = { .n = 0 };
	eth(&g, 0x0800);
	ipv4(&g, 6, TCPLEN, 0, 0);
	tcp(&g);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sti_decode_frame(DLT_EN10MB, g.b, g.n - 4, g.n, &p), STI_DEC_TCP);
	assert_int_equal(p.payload_len, PLEN);
	assert_int_equal(p.payload_caplen, PLEN - 4);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sti_decode_frame(DLT_EN10MB, g.b, g.n - 4, g.n - 4, &p), STI_DEC_TCP);
	assert_int_equal(p.payload_len, PLEN - 4);
}

static void test_unsupported_link(void **state)
{
	(void)state;
	assert_true(sti_decode_link_supported(DLT_EN10MB));
	assert_true(sti_decode_link_supported(DLT_LINUX_SLL2));
	assert_false(sti_decode_link_supported(258));   /* PKTAP */
	assert_false(sti_decode_link_supported(DLT_IEEE802_11));
	assert_string_equal(sti_decode_status_name(STI_DEC_FRAGMENT), "ip_fragment");
}

static void test_address_text(void **state)
{
	(void)state;
	char buf[64], small[8];
	struct sti_addr a = { .family = 4, .a = { 0, 0, 0, 0 } };
	assert_string_equal(sti_addr_str(&a, buf, sizeof(buf)), "0.0.0.0");
	a = (struct sti_addr){ .family = 4, .a = { 255, 255, 255, 255 } };
	assert_string_equal(sti_addr_str(&a, buf, sizeof(buf)), "255.255.255.255");
	assert_int_equal(strlen(sti_addr_str(&a, buf, 16)), 15);   /* exactly fits */
	a = (struct sti_addr){ .family = 4, .a = { 10, 0, 2, 100 } };
	assert_string_equal(sti_addr_str(&a, buf, sizeof(buf)), "10.0.2.100");
	a = (struct sti_addr){ .family = 4, .a = { 192, 168, 1, 9 } };
	assert_string_equal(sti_addr_str(&a, small, sizeof(small)), "?");   /* no room */
	a = (struct sti_addr){ .family = 6, .a = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	assert_string_equal(sti_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_vlan_stacks),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_linux_cooked),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_null_and_loop),
		cmocka_unit_test(test_ipv4_options_fragments_protocols),
		cmocka_unit_test(test_ipv6_extension_chain),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_padding_and_tso),
		cmocka_unit_test(test_ip_length_beyond_whole_frame),
		cmocka_unit_test(test_unsupported_link),
		cmocka_unit_test(test_address_text),
		cmocka_unit_test(test_ethernet_ipv4_shortcut),
		cmocka_unit_test(test_packet_needs_no_clearing),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
