/*
 * feed.h - the split harness the tests of every incremental parser share.
 *
 * A parser fed a stream must reach the same result however the stream is
 * cut (the brief: "any split"). Tests feed each chunk whole, one byte at a
 * time, and in seeded random pieces, and compare. The pieces come from
 * here, with one deterministic generator, so every parser is held to the
 * same splits and a failing seed reproduces.
 */
#ifndef STI_TEST_FEED_H
#define STI_TEST_FEED_H

#include <stddef.h>
#include <stdint.h>

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM };

/* A 64-bit linear congruential generator (Knuth's MMIX constants): the
 * high bits are good enough for split points and mutations. */
static inline uint32_t feed_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33);
}

/*
 * The length of the next piece when `left` bytes (> 0) of a chunk are
 * still to be fed: all of them, one, or a random 1..left (at most `max`
 * when max > 0, so that long chunks still get small pieces).
 */
static inline size_t feed_next(enum feed_mode mode, size_t left, size_t max,
			       uint64_t *seed)
{
	switch (mode) {
	case FEED_BYTES:
		return 1;
	case FEED_RANDOM: {
		size_t span = max && max < left ? max : left;
		return 1 + feed_random(seed) % span;
	}
	case FEED_WHOLE:
	default:
		return left;
	}
}

#endif /* STI_TEST_FEED_H */
