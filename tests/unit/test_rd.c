/*
 * test_rd.c - every accessor of the wire reader at and past its bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sti/rd.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };

static void test_fixed_width_reads(void **state)
{
	(void)state;
	struct sti_rd r = sti_rd_init(bytes, sizeof(bytes));
	uint8_t a;
	uint16_t b;
	uint32_t c;
	assert_true(sti_rd_u8(&r, &a));
	assert_int_equal(a, 0x01);
	assert_true(sti_rd_u16(&r, &b));
	assert_int_equal(b, 0x0203);
	assert_false(sti_rd_u24(&r, &c));   /* 2 left, 3 asked */
	assert_int_equal(sti_rd_left(&r), 2);
	assert_true(sti_rd_u16le(&r, &b));
	assert_int_equal(b, 0x0504);
	assert_true(sti_rd_empty(&r));
	assert_false(sti_rd_u8(&r, &a));
	assert_false(sti_rd_u16(&r, &b));
	assert_false(sti_rd_u32(&r, &c));
}

static void test_u24_u32_exact(void **state)
{
	(void)state;
	struct sti_rd r = sti_rd_init(bytes, 4);
	uint32_t v;
	assert_false(sti_rd_u32le(&(struct sti_rd){ bytes, 3 }, &v));
	assert_true(sti_rd_u24(&r, &v));
	assert_int_equal(v, 0x010203);
	r = sti_rd_init(bytes, 4);
	assert_true(sti_rd_u32(&r, &v));
	assert_int_equal(v, 0x01020304);
	r = sti_rd_init(bytes, 4);
	assert_true(sti_rd_u32le(&r, &v));
	assert_int_equal(v, 0x04030201);
	assert_false(sti_rd_u32(&r, &v));
}

static void test_skip_take_sub_copy(void **state)
{
	(void)state;
	struct sti_rd r = sti_rd_init(bytes, sizeof(bytes)), child;
	const uint8_t *p;
	uint8_t out[3];
	assert_false(sti_rd_skip(&r, 6));
	assert_int_equal(sti_rd_left(&r), 5);
	assert_true(sti_rd_skip(&r, 1));
	assert_false(sti_rd_take(&r, 5, &p));
	assert_true(sti_rd_take(&r, 1, &p));
	assert_ptr_equal(p, bytes + 1);
	assert_false(sti_rd_copy(&r, out, 4));
	assert_true(sti_rd_copy(&r, out, 2));
	assert_int_equal(out[1], 0x04);
	assert_false(sti_rd_sub(&r, 2, &child));
	assert_true(sti_rd_sub(&r, 1, &child));
	assert_int_equal(sti_rd_left(&child), 1);
	assert_true(sti_rd_empty(&r));
	/* A huge length must not wrap. */
	r = sti_rd_init(bytes, sizeof(bytes));
	assert_false(sti_rd_skip(&r, SIZE_MAX));
	assert_false(sti_rd_take(&r, SIZE_MAX, &p));
}

static void test_vectors(void **state)
{
	(void)state;
	static const uint8_t v8[] = { 2, 0xaa, 0xbb, 0xcc };
	static const uint8_t v8_short[] = { 4, 0xaa, 0xbb };
	static const uint8_t v16[] = { 0x00, 0x01, 0xee };
	static const uint8_t v16_short[] = { 0xff, 0xff, 0xee };
	static const uint8_t v24[] = { 0x00, 0x00, 0x02, 0x11, 0x22 };
	struct sti_rd r = sti_rd_init(v8, sizeof(v8)), c;
	assert_true(sti_rd_vec8(&r, &c));
	assert_int_equal(sti_rd_left(&c), 2);
	assert_int_equal(sti_rd_left(&r), 1);
	/* A failed vector leaves the reader where it was. */
	r = sti_rd_init(v8_short, sizeof(v8_short));
	assert_false(sti_rd_vec8(&r, &c));
	assert_int_equal(sti_rd_left(&r), 3);
	r = sti_rd_init(v16, sizeof(v16));
	assert_true(sti_rd_vec16(&r, &c));
	assert_int_equal(sti_rd_left(&c), 1);
	r = sti_rd_init(v16_short, sizeof(v16_short));
	assert_false(sti_rd_vec16(&r, &c));
	assert_int_equal(sti_rd_left(&r), 3);
	r = sti_rd_init(v24, sizeof(v24));
	assert_true(sti_rd_vec24(&r, &c));
	assert_int_equal(sti_rd_left(&c), 2);
	r = sti_rd_init(v24, 4);
	assert_false(sti_rd_vec24(&r, &c));
	assert_int_equal(sti_rd_left(&r), 4);
	r = sti_rd_init(v24, 2);
	assert_false(sti_rd_vec24(&r, &c));
}

static void test_peek_and_null(void **state)
{
	(void)state;
	struct sti_rd r = sti_rd_init(bytes, 2);
	uint8_t v;
	assert_true(sti_rd_peek(&r, 1, &v));
	assert_int_equal(v, 0x02);
	assert_false(sti_rd_peek(&r, 2, &v));
	assert_int_equal(sti_rd_left(&r), 2);
	r = sti_rd_init(NULL, 10);   /* no bytes means none, whatever the length */
	assert_int_equal(sti_rd_left(&r), 0);
	assert_false(sti_rd_u8(&r, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_width_reads),
		cmocka_unit_test(test_u24_u32_exact),
		cmocka_unit_test(test_skip_take_sub_copy),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_peek_and_null),
	};
	return cmocka_run_group_tests_name("rd", tests, NULL, NULL);
}
