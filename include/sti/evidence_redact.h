/*
 * evidence_redact.h - rewriting one frame of an evidence pcap: blanking mail bytes
 * and keeping the TCP checksum right.
 *
 * Pure: the caller gives a writable copy of a frame and its decode; nothing
 * is read or written outside the payload and the header fields decode
 * already bounded.
 */
#ifndef STI_EVIDENCE_REDACT_H
#define STI_EVIDENCE_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/dir.h"
#include "sti/smtp.h"

/* The byte ranges of one stream direction to blank. */
#define STI_REDACT_MAX_RANGES (STI_SMTP_MAX_SPANS + 1)
#define STI_REDACT_TO_END UINT64_MAX   /* a range's len: to the stream end */
#define STI_REDACT_FILLER '*'          /* never '.': a "." line ends DATA */

struct sti_redact_range {
	uint64_t off, len;
};

struct sti_redact_plan {
	struct sti_redact_range r[2][STI_REDACT_MAX_RANGES];
	unsigned n[2];
};

/*
 * The plan for a session's SMTP facts: envelope arguments, AUTH exchanges
 * and message content. When the layer's span list overflowed, everything
 * the client sent after the last span and before TLS is blanked too.
 */
void sti_redact_plan_from_smtp(struct sti_redact_plan *plan,
			       const struct sti_smtp_facts *f);

/*
 * Blank the bytes of p[0..n) (stream offsets off..off+n) that a range
 * covers, keeping CR and LF so the SMTP framing reads the same. Returns the
 * number of bytes changed.
 */
size_t sti_redact_bytes(uint8_t *p, size_t n, uint64_t off,
			const struct sti_redact_range *r, unsigned nr);

/*
 * RFC 1624 incremental update of a 16-bit one's-complement checksum stored
 * big-endian at csum, after the n bytes old[] became new[] at an even
 * offset from the start of the checksummed data. A checksum that was wrong
 * (offloaded) stays wrong by the same amount; a right one stays right.
 */
void sti_csum_update(uint8_t csum[2], const uint8_t *old_bytes,
		     const uint8_t *new_bytes, size_t n);

/* The full one's-complement checksum of n bytes plus a 32-bit start sum. */
uint16_t sti_csum(const uint8_t *p, size_t n, uint32_t sum);

/*
 * Redact one decoded TCP frame in place: frame is a writable copy of what
 * pkt was decoded from, stream_off the stream offset of its first payload
 * byte (negative: unknown, nothing blanked), dir its direction. Returns the
 * bytes blanked; the TCP checksum is updated when any were.
 */
size_t sti_redact_frame(uint8_t *frame, const struct sti_pkt *pkt,
			int64_t stream_off, enum sti_dir dir,
			const struct sti_redact_plan *plan);

#endif /* STI_EVIDENCE_REDACT_H */
