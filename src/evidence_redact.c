/*
 * evidence_redact.c - blanking mail bytes in evidence frames, checksums kept right.
 */
#include "sti/evidence_redact.h"

#include <string.h>

static void plan_add(struct sti_redact_plan *plan, enum sti_dir dir, uint64_t off,
		     uint64_t len)
{
	if (!sti_dir_valid(dir) || len == 0 || plan->n[dir] == STI_REDACT_MAX_RANGES)
		return;
	plan->r[dir][plan->n[dir]++] = (struct sti_redact_range){ off, len };
}

void sti_redact_plan_from_smtp(struct sti_redact_plan *plan,
			       const struct sti_smtp_facts *f)
{
	memset(plan, 0, sizeof(*plan));
	if (!f)
		return;
	uint64_t end[2] = { 0, 0 };
	for (unsigned i = 0; i < f->nspans && i < STI_SMTP_MAX_SPANS; i++) {
		const struct sti_smtp_span *s = &f->spans[i];
		plan_add(plan, s->dir, s->offset, s->len);
		if (sti_dir_valid(s->dir) && s->offset + s->len > end[s->dir])
			end[s->dir] = s->offset + s->len;
	}
	if (!f->spans_truncated)
		return;
	/* Spans past the cap were not kept: blank the rest of the client's
	 * plaintext, up to its TLS switch when there is one. */
	uint64_t stop = f->starttls_accepted ? f->switch_offset[STI_C2S] : STI_REDACT_TO_END;
	if (stop == STI_REDACT_TO_END)
		plan_add(plan, STI_C2S, end[STI_C2S], STI_REDACT_TO_END);
	else if (stop > end[STI_C2S])
		plan_add(plan, STI_C2S, end[STI_C2S], stop - end[STI_C2S]);
}

size_t sti_redact_bytes(uint8_t *p, size_t n, uint64_t off,
			const struct sti_redact_range *r, unsigned nr)
{
	size_t changed = 0;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t lo = r[i].off > off ? r[i].off : off;
		uint64_t hi = r[i].len == STI_REDACT_TO_END || r[i].off + r[i].len < r[i].off
			      ? UINT64_MAX : r[i].off + r[i].len;
		if (hi > off + n)
			hi = off + n;
		for (uint64_t at = lo; at < hi; at++) {
			uint8_t *c = &p[at - off];
			if (*c == '\r' || *c == '\n' || *c == STI_REDACT_FILLER)
				continue;
			*c = STI_REDACT_FILLER;
			changed++;
		}
	}
	return changed;
}

/* One's-complement sum of big-endian 16-bit words; an odd tail is padded. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < n) {
		sum += (uint32_t)p[i] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

uint16_t sti_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	sum = sum16(p, n, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void sti_csum_update(uint8_t csum[2], const uint8_t *old_bytes,
		     const uint8_t *new_bytes, size_t n)
{
	/* HC' = ~(~HC + ~m + m'), RFC 1624 eqn. 3, over all words at once:
	 * ~m summed is the complement of the sum of m. */
	uint32_t hc = (uint32_t)csum[0] << 8 | csum[1];
	uint32_t old_sum = sum16(old_bytes, n, 0);
	uint32_t sum = (~hc & 0xffff) + (~old_sum & 0xffff);
	sum = sum16(new_bytes, n, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t out = (uint16_t)~sum;
	csum[0] = (uint8_t)(out >> 8);
	csum[1] = (uint8_t)out;
}

size_t sti_redact_frame(uint8_t *frame, const struct sti_pkt *pkt,
			int64_t stream_off, enum sti_dir dir,
			const struct sti_redact_plan *plan)
{
	if (stream_off < 0 || !sti_dir_valid(dir) || !plan->n[dir] ||
	    !pkt->payload_caplen || !pkt->raw)
		return 0;
	/* Decode bounded the payload inside the frame; the copy has the
	 * same layout, so its payload sits at the same place. */
	size_t at = (size_t)(pkt->payload - pkt->raw);
	size_t n = pkt->payload_caplen;
	uint8_t before[65536];
	if (n > sizeof(before))
		n = sizeof(before);
	memcpy(before, frame + at, n);
	size_t changed = sti_redact_bytes(frame + at, n, (uint64_t)stream_off,
					  plan->r[dir], plan->n[dir]);
	if (changed) {
		/* The payload starts at an even offset from the TCP header
		 * (its length is a multiple of four). */
		sti_csum_update(frame + pkt->l4_offset + 16, before, frame + at, n);
	}
	return changed;
}
