/*
 * test_grow.c - the one growth rule: first size, doubling, the cap, and
 * an array left as it was when it cannot grow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sti/grow.h"

static void test_capacity_starts_at_first_and_doubles(void **state)
{
	(void)state;
	assert_int_equal(sti_grow_capacity(0, 8, 1, 256), 8);
	assert_int_equal(sti_grow_capacity(0, 8, 9, 256), 16);
	assert_int_equal(sti_grow_capacity(8, 8, 9, 256), 16);
	assert_int_equal(sti_grow_capacity(16, 8, 17, 256), 32);
	/* Several doublings at once for a big jump. */
	assert_int_equal(sti_grow_capacity(4096, 4096, 20000, 65536), 32768);
}

static void test_capacity_stops_at_max(void **state)
{
	(void)state;
	assert_int_equal(sti_grow_capacity(32, 8, 33, 48), 48);
	assert_int_equal(sti_grow_capacity(0, 64, 1, 48), 48);     /* first > max */
	assert_int_equal(sti_grow_capacity(48, 8, 48, 48), 48);
	assert_int_equal(sti_grow_capacity(48, 8, 49, 48), 0);     /* past the cap */
	assert_int_equal(sti_grow_capacity(SIZE_MAX / 2 + 1, 8, SIZE_MAX, SIZE_MAX),
			 SIZE_MAX);                                  /* no wrap */
}

static void test_array_grows_and_keeps_contents(void **state)
{
	(void)state;
	size_t cap = 0;
	int *a = NULL;
	for (int i = 0; i < 100; i++) {
		int *g = sti_grow_array(a, &cap, sizeof(*a), (size_t)i + 1, 4, 100);
		assert_non_null(g);
		a = g;
		a[i] = i * 3;
	}
	assert_int_equal(cap, 100);   /* 4, 8, ..., 64, then the cap */
	for (int i = 0; i < 100; i++)
		assert_int_equal(a[i], i * 3);
	free(a);
}

static void test_array_unchanged_when_it_cannot_grow(void **state)
{
	(void)state;
	size_t cap = 0;
	char *a = sti_grow_array(NULL, &cap, 1, 3, 2, 4);
	assert_non_null(a);
	assert_int_equal(cap, 4);
	/* Room already there: the same array, no reallocation. */
	assert_ptr_equal(sti_grow_array(a, &cap, 1, 4, 2, 4), a);
	/* Past the cap. */
	assert_null(sti_grow_array(a, &cap, 1, 5, 2, 4));
	assert_int_equal(cap, 4);
	/* Elements so big the byte count would wrap. */
	size_t huge_cap = 0;
	assert_null(sti_grow_array(NULL, &huge_cap, SIZE_MAX / 2, 4, 4, SIZE_MAX));
	assert_int_equal(huge_cap, 0);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_starts_at_first_and_doubles),
		cmocka_unit_test(test_capacity_stops_at_max),
		cmocka_unit_test(test_array_grows_and_keeps_contents),
		cmocka_unit_test(test_array_unchanged_when_it_cannot_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
