// SPDX-License-Identifier: GPL-2.0
/*
 * lib/array.c: the growable arrays grow by doubling from their first
 * capacity, keep what they hold, and fail with the array untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e4/array.h"

struct rec {
	uint64_t a;
	uint32_t b;
};

static void test_first_then_doubling(void **state)
{
	struct rec *v = NULL;
	size_t n, cap = 0;

	(void)state;
	/* Nothing allocated until the first element. */
	assert_int_equal(e4_array_room(&v, 0, &cap, sizeof(*v), 16), 0);
	assert_non_null(v);
	assert_int_equal(cap, 16);
	for (n = 0; n < 1000; n++) {
		size_t before = cap;

		assert_int_equal(e4_array_room(&v, n, &cap, sizeof(*v), 16), 0);
		/* Grown exactly when n reached the capacity, by doubling. */
		assert_int_equal(cap, n == before ? before * 2 : before);
		assert_true(n < cap);
		v[n] = (struct rec){ n * 3, (uint32_t)n };
	}
	assert_int_equal(cap, 1024);
	for (n = 0; n < 1000; n++) {
		assert_int_equal(v[n].a, n * 3);
		assert_int_equal(v[n].b, n);
	}
	free(v);
}

static void test_room_is_noop(void **state)
{
	uint32_t *v = NULL, *was;
	size_t cap = 0;

	(void)state;
	assert_int_equal(e4_array_room(&v, 0, &cap, sizeof(*v), 8), 0);
	was = v;
	assert_int_equal(e4_array_room(&v, 7, &cap, sizeof(*v), 8), 0);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 8);
	free(v);
}

/* Room for element n far past the capacity: it doubles as often as it takes. */
static void test_several_doublings(void **state)
{
	char *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(e4_array_room(&v, 0, &cap, 1, 4), 0);
	memcpy(v, "abcd", 4);
	assert_int_equal(e4_array_room(&v, 100, &cap, 1, 4), 0);
	assert_int_equal(cap, 128);
	assert_memory_equal(v, "abcd", 4);
	v[100] = 'x';
	free(v);
}

static void test_first_zero_means_one(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(e4_array_room(&v, 0, &cap, sizeof(*v), 0), 0);
	assert_int_equal(cap, 1);
	assert_int_equal(e4_array_room(&v, 1, &cap, sizeof(*v), 0), 0);
	assert_int_equal(cap, 2);
	free(v);
}

/* A size whose product overflows: -ENOMEM, and the array as it was. */
static void test_overflow_is_enomem(void **state)
{
	uint64_t *v = NULL, *was;
	size_t cap = 0;

	(void)state;
	assert_int_equal(e4_array_room(&v, 0, &cap, sizeof(*v), 4), 0);
	v[0] = 42;
	v[3] = 43;
	was = v;
	assert_int_equal(e4_array_room(&v, 4, &cap, SIZE_MAX / 4, 4), -ENOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 4);
	assert_int_equal(v[0], 42);
	assert_int_equal(v[3], 43);
	/* A capacity that cannot double. */
	cap = SIZE_MAX / 2 + 1;
	assert_int_equal(e4_array_room(&v, cap, &cap, 1, 4), -ENOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, SIZE_MAX / 2 + 1);
	/* The first allocation too. */
	{
		uint64_t *w = NULL;
		size_t wcap = 0;

		assert_int_equal(e4_array_room(&w, 0, &wcap, SIZE_MAX, 2), -ENOMEM);
		assert_null(w);
		assert_int_equal(wcap, 0);
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_doubling),
		cmocka_unit_test(test_room_is_noop),
		cmocka_unit_test(test_several_doublings),
		cmocka_unit_test(test_first_zero_means_one),
		cmocka_unit_test(test_overflow_is_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
