/*
 * thread_slot.c - a block of memory per thread, made on first use.
 */
#include "sti/thread_slot.h"

#include <stdlib.h>

/* Guards the making of every slot's key: taken once per slot and thread,
 * never on a hot path. */
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;

static bool slot_keyed(struct sti_thread_slot *slot)
{
	bool keyed;
	pthread_mutex_lock(&keys_lock);
	if (!slot->keyed && !slot->failed) {
		slot->keyed = pthread_key_create(&slot->key, slot->destroy) == 0;
		slot->failed = !slot->keyed;
	}
	keyed = slot->keyed;
	pthread_mutex_unlock(&keys_lock);
	return keyed;
}

void *sti_thread_slot_make(struct sti_thread_slot *slot)
{
	if (!slot_keyed(slot))
		return NULL;
	void *block = calloc(1, slot->size);
	if (block && pthread_setspecific(slot->key, block) != 0) {
		free(block);
		block = NULL;
	}
	return block;
}
