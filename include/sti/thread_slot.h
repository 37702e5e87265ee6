/*
 * thread_slot.h - a block of memory per thread, made on the thread's first
 * use and freed when the thread ends.
 *
 * For caches that must not be shared between a capture thread and a
 * reporter, and that a thread which never needs them should not pay for.
 * The caller keeps the block in a _Thread_local pointer, so this is called
 * once per thread; a NULL answer (no memory, no key) means "do without",
 * and the next call tries again.
 */
#ifndef STI_THREAD_SLOT_H
#define STI_THREAD_SLOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct sti_thread_slot {
	size_t size;                /* bytes per thread, zeroed */
	void (*destroy)(void *);    /* frees a thread's block when it ends */
	/* set on first use */
	pthread_key_t key;
	bool keyed, failed;
};

#define STI_THREAD_SLOT(bytes, destroy_fn) { .size = (bytes), .destroy = (destroy_fn) }

/* This thread's new block, zeroed and registered to be destroyed when
 * the thread ends; NULL when none can be had. */
void *sti_thread_slot_make(struct sti_thread_slot *slot);

#endif
