/*
 * test_thread_slot.c - a block per thread: zeroed, its own per thread,
 * and destroyed with its thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sti/thread_slot.h"

struct counter_block {
	unsigned char bytes[300];
};

static void *destroyed[4];
static unsigned ndestroyed;

static void note_destroyed(void *p)
{
	if (ndestroyed < 4)
		destroyed[ndestroyed] = p;
	ndestroyed++;
	free(p);
}

static struct sti_thread_slot slot =
	STI_THREAD_SLOT(sizeof(struct counter_block), note_destroyed);

static void *make_in_thread(void *arg)
{
	void **made = arg;
	*made = sti_thread_slot_make(&slot);
	if (*made)
		memset(*made, 0x5a, sizeof(struct counter_block));
	return NULL;
}

static void test_block_is_zeroed_and_its_own_per_thread(void **state)
{
	(void)state;
	struct counter_block *mine = sti_thread_slot_make(&slot);
	assert_non_null(mine);
	for (size_t i = 0; i < sizeof(mine->bytes); i++)
		assert_int_equal(mine->bytes[i], 0);
	assert_true(slot.keyed);

	ndestroyed = 0;
	void *theirs = NULL;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, make_in_thread, &theirs), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(theirs);
	assert_ptr_not_equal(theirs, mine);
	/* The other thread's block went with it; ours is untouched. */
	assert_int_equal(ndestroyed, 1);
	assert_ptr_equal(destroyed[0], theirs);
	for (size_t i = 0; i < sizeof(mine->bytes); i++)
		assert_int_equal(mine->bytes[i], 0);
	/* Our own block is what the key holds for this thread. */
	assert_ptr_equal(pthread_getspecific(slot.key), mine);
}

static pthread_barrier_t both_made;

/* Makes a block and holds it until the other thread has made its own. */
static void *make_and_wait(void *arg)
{
	make_in_thread(arg);
	pthread_barrier_wait(&both_made);
	return NULL;
}

static void test_block_of_two_threads_destroyed_each(void **state)
{
	(void)state;
	ndestroyed = 0;
	void *a = NULL, *b = NULL;
	pthread_t ta, tb;
	assert_int_equal(pthread_barrier_init(&both_made, NULL, 2), 0);
	assert_int_equal(pthread_create(&ta, NULL, make_and_wait, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, make_and_wait, &b), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(ndestroyed, 2);
	assert_true((destroyed[0] == a && destroyed[1] == b) ||
		    (destroyed[0] == b && destroyed[1] == a));
	pthread_barrier_destroy(&both_made);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_is_zeroed_and_its_own_per_thread),
		cmocka_unit_test(test_block_of_two_threads_destroyed_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
