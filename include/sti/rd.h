/*
 * rd.h - the one bounds-checked reader for every byte that came off the wire.
 *
 * A reader is a view {p, n}. Every accessor either succeeds and advances the
 * view, or fails, leaves the view untouched and returns false. A length-
 * prefixed vector becomes a child reader, so code that parses the vector
 * cannot read past it. Lengths are compared as "n < len", never as pointer
 * sums, so a hostile length cannot wrap.
 */
#ifndef STI_RD_H
#define STI_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define STI_MUST_CHECK __attribute__((warn_unused_result))
#else
#define STI_MUST_CHECK
#endif

struct sti_rd {
	const uint8_t *p;
	size_t n;
};

static inline struct sti_rd sti_rd_init(const uint8_t *p, size_t n)
{
	struct sti_rd r = { p, p ? n : 0 };
	return r;
}

static inline size_t sti_rd_left(const struct sti_rd *r) { return r->n; }
static inline bool sti_rd_empty(const struct sti_rd *r) { return r->n == 0; }

STI_MUST_CHECK static inline bool sti_rd_skip(struct sti_rd *r, size_t len)
{
	if (r->n < len)
		return false;
	r->p += len;
	r->n -= len;
	return true;
}

/* Hand out the next len bytes as a pointer valid as long as the input is. */
STI_MUST_CHECK static inline bool sti_rd_take(struct sti_rd *r, size_t len,
					      const uint8_t **out)
{
	if (r->n < len)
		return false;
	*out = r->p;
	r->p += len;
	r->n -= len;
	return true;
}

/* The next len bytes as a child reader. */
STI_MUST_CHECK static inline bool sti_rd_sub(struct sti_rd *r, size_t len,
					     struct sti_rd *child)
{
	const uint8_t *p;
	if (!sti_rd_take(r, len, &p))
		return false;
	*child = sti_rd_init(p, len);
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_copy(struct sti_rd *r, void *dst,
					      size_t len)
{
	const uint8_t *p;
	if (!sti_rd_take(r, len, &p))
		return false;
	if (len)
		memcpy(dst, p, len);
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_u8(struct sti_rd *r, uint8_t *v)
{
	if (r->n < 1)
		return false;
	*v = r->p[0];
	r->p += 1;
	r->n -= 1;
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_u16(struct sti_rd *r, uint16_t *v)
{
	if (r->n < 2)
		return false;
	*v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->n -= 2;
	return true;
}

/* Little-endian 16 bits: pcap-adjacent headers (NULL link type) need it. */
STI_MUST_CHECK static inline bool sti_rd_u16le(struct sti_rd *r, uint16_t *v)
{
	if (r->n < 2)
		return false;
	*v = (uint16_t)((uint16_t)r->p[1] << 8 | r->p[0]);
	r->p += 2;
	r->n -= 2;
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_u24(struct sti_rd *r, uint32_t *v)
{
	if (r->n < 3)
		return false;
	*v = (uint32_t)r->p[0] << 16 | (uint32_t)r->p[1] << 8 | r->p[2];
	r->p += 3;
	r->n -= 3;
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_u32(struct sti_rd *r, uint32_t *v)
{
	if (r->n < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_u32le(struct sti_rd *r, uint32_t *v)
{
	if (r->n < 4)
		return false;
	*v = (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 |
	     (uint32_t)r->p[1] << 8 | r->p[0];
	r->p += 4;
	r->n -= 4;
	return true;
}

/* TLS-style vectors: a 1-, 2- or 3-byte length, then that many bytes. */
STI_MUST_CHECK static inline bool sti_rd_vec8(struct sti_rd *r,
					      struct sti_rd *child)
{
	struct sti_rd save = *r;
	uint8_t len;
	if (!sti_rd_u8(r, &len) || !sti_rd_sub(r, len, child)) {
		*r = save;
		return false;
	}
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_vec16(struct sti_rd *r,
					       struct sti_rd *child)
{
	struct sti_rd save = *r;
	uint16_t len;
	if (!sti_rd_u16(r, &len) || !sti_rd_sub(r, len, child)) {
		*r = save;
		return false;
	}
	return true;
}

STI_MUST_CHECK static inline bool sti_rd_vec24(struct sti_rd *r,
					       struct sti_rd *child)
{
	struct sti_rd save = *r;
	uint32_t len;
	if (!sti_rd_u24(r, &len) || !sti_rd_sub(r, len, child)) {
		*r = save;
		return false;
	}
	return true;
}

/* Look at byte i without consuming; false when it is not there. */
STI_MUST_CHECK static inline bool sti_rd_peek(const struct sti_rd *r,
					      size_t i, uint8_t *v)
{
	if (r->n <= i)
		return false;
	*v = r->p[i];
	return true;
}

#endif /* STI_RD_H */
