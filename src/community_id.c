/*
 * community_id.c - Community ID v1 flow hashes (corelight/community-id-spec).
 *
 * The hash input is, in network byte order:
 *
 *	seed (2) | source address (4 or 16) | destination address (4 or 16) |
 *	protocol (1) | 0 (1) | source port (2) | destination port (2)
 *
 * where "source" is the smaller endpoint: the one with the smaller address,
 * or, with equal addresses, the smaller port. Both directions of a flow
 * therefore give the same value. The SHA-1 digest is base64-encoded and
 * prefixed with the version, "1:". The spec maps ICMP types and codes to
 * ports; this program sees TCP only, so ports are taken as they are.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sti/digest.h"
#include "sti/report.h"

#define CID_SHA1_LEN 20
/* seed + two IPv6 addresses + proto + pad + two ports */
#define CID_INPUT_MAX (2 + 16 + 16 + 1 + 1 + 2 + 2)

static size_t addr_len(const struct sti_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

/* <0, 0, >0 as endpoint a orders before, with, or after b. */
static int endpoint_cmp(const struct sti_endpoint *a,
			const struct sti_endpoint *b)
{
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	int c = memcmp(a->addr.a, b->addr.a, addr_len(&a->addr));
	if (c != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
	return 2;
}

void sti_community_id(const struct sti_endpoint *a, const struct sti_endpoint *b,
		      uint8_t proto, uint16_t seed, char out[32])
{
	uint8_t in[CID_INPUT_MAX];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[4 * ((CID_SHA1_LEN + 2) / 3) + 1];
	size_t n = 0;

	out[0] = '\0';
	if (endpoint_cmp(a, b) > 0) {
		const struct sti_endpoint *t = a;
		a = b;
		b = t;
	}

	n += put_u16(in + n, seed);
	memcpy(in + n, a->addr.a, addr_len(&a->addr));
	n += addr_len(&a->addr);
	memcpy(in + n, b->addr.a, addr_len(&b->addr));
	n += addr_len(&b->addr);
	in[n++] = proto;
	in[n++] = 0;
	n += put_u16(in + n, a->port);
	n += put_u16(in + n, b->port);

	if (!sti_digest(STI_MD_SHA1, in, n, md, &mdlen) ||
	    mdlen != CID_SHA1_LEN)
		return;
	if (EVP_EncodeBlock(b64, md, CID_SHA1_LEN) != (int)sizeof(b64) - 1)
		return;
	/* "1:" + 28 characters + NUL fits the 32 bytes the caller gives. */
	memcpy(out, "1:", 2);
	memcpy(out + 2, b64, sizeof(b64));
}
