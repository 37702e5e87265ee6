/*
 * grow.h - the one rule by which a growing buffer or array gets bigger.
 *
 * A capacity starts at `first`, doubles until it holds `need`, and never
 * passes `max`. Doubling keeps the number of reallocations logarithmic;
 * the cap is what keeps hostile input (a flood of sessions, a long key
 * log, a storm of out-of-order segments) from taking all memory.
 */
#ifndef STI_GROW_H
#define STI_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The capacity that holds `need` (0 when need > max): cur, or first, doubled. */
static inline size_t sti_grow_capacity(size_t cur, size_t first, size_t need,
				       size_t max)
{
	if (need > max)
		return 0;
	size_t cap = cur ? cur : first;
	while (cap < need && cap <= max / 2)
		cap *= 2;
	if (cap < need || cap > max)
		cap = max;
	return cap;
}

/*
 * Room for `need` elements of `elem` bytes in `items`, whose capacity is
 * *cap: returns the array to use from now on (realloc may move it) with
 * *cap updated, or NULL when need > max or memory is short, and then
 * `items` and *cap are as they were.
 */
static inline void *sti_grow_array(void *items, size_t *cap, size_t elem,
				   size_t need, size_t first, size_t max)
{
	if (need <= *cap)
		return items;
	size_t n = sti_grow_capacity(*cap, first, need, max);
	if (n == 0 || n > SIZE_MAX / elem)
		return NULL;
	void *p = realloc(items, n * elem);
	if (p)
		*cap = n;
	return p;
}

#endif /* STI_GROW_H */
