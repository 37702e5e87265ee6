/*
 * chunks.h - how the stream fuzz targets (SMTP, TLS) cut one fuzz input
 * into the calls a session makes: data for a direction, a capture gap, the
 * end of a direction.
 *
 * The input is a list of operations. Each starts with one control byte c:
 *   c & 1         direction (0 client, 1 server)
 *   (c >> 1) & 3  0 or 1: data, 2: gap, 3: end of the direction
 *   c >> 3        data only: feed in pieces of this many bytes (0: whole),
 *                 since one byte at a time must give what one call gives
 * Data and gap are followed by a 2-byte big-endian length; data then has
 * that many bytes (fewer at the end of the input). fuzz/mkcorpus.py writes
 * seeds in this form from real captures.
 */
#ifndef STI_FUZZ_CHUNKS_H
#define STI_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"

enum chunk_kind { CHUNK_DATA, CHUNK_GAP, CHUNK_END };

struct chunk {
	enum chunk_kind kind;
	enum sti_dir dir;
	size_t piece;          /* 0: one call */
	const uint8_t *p;      /* data */
	size_t len;            /* data bytes or gap length */
};

struct chunk_reader {
	const uint8_t *p;
	size_t left;
};

/* The next operation; 0 at the end of the input. */
static inline int chunk_next(struct chunk_reader *r, struct chunk *c)
{
	if (r->left == 0)
		return 0;
	uint8_t ctl = r->p[0];
	r->p++;
	r->left--;
	unsigned op = (ctl >> 1) & 3;
	c->dir = ctl & 1 ? STI_S2C : STI_C2S;
	c->piece = ctl >> 3;
	c->p = NULL;
	c->len = 0;
	if (op == 3) {
		c->kind = CHUNK_END;
		return 1;
	}
	size_t len = 0;
	if (r->left >= 2) {
		len = (size_t)r->p[0] << 8 | r->p[1];
		r->p += 2;
		r->left -= 2;
	} else {
		r->left = 0;
	}
	if (op == 2) {
		c->kind = CHUNK_GAP;
		c->len = len;
		return 1;
	}
	c->kind = CHUNK_DATA;
	c->p = r->p;
	c->len = len < r->left ? len : r->left;
	r->p += c->len;
	r->left -= c->len;
	return 1;
}

/* What a target does with each operation; ctx is the layer under test. */
struct chunk_calls {
	void (*data)(void *ctx, enum sti_dir dir, const uint8_t *p, size_t n, uint64_t frame);
	void (*gap)(void *ctx, enum sti_dir dir, uint64_t len, uint64_t frame);
	void (*end)(void *ctx, enum sti_dir dir);
};

/* Play the whole input: frames count operations from 1; data goes out in
 * the pieces its operation asks for. */
static inline void chunk_play(const uint8_t *data, size_t size,
			      const struct chunk_calls *calls, void *ctx)
{
	struct chunk_reader r = { data, size };
	struct chunk c;
	uint64_t frame = 0;
	while (chunk_next(&r, &c)) {
		frame++;
		if (c.kind == CHUNK_GAP) {
			calls->gap(ctx, c.dir, c.len, frame);
		} else if (c.kind == CHUNK_END) {
			calls->end(ctx, c.dir);
		} else {
			size_t step = c.piece ? c.piece : c.len;
			for (size_t off = 0; off < c.len; off += step)
				calls->data(ctx, c.dir, c.p + off,
					    c.len - off < step ? c.len - off : step, frame);
		}
	}
}

#endif /* STI_FUZZ_CHUNKS_H */
