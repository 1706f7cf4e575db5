/* test_now - core/util/now.c: a monotonic deadline us from now, normalised */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "core/util/now.h"

/* ns - a timespec in nanoseconds */
static int64_t ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The deadline is the clock read in between plus us, with tv_nsec below a second. */
static void test_mono_after(void **state)
{
	static const uint64_t us[] = { 0, 1, 999999, 1000000, 1500000, 10000000, 2999999 };
	struct timespec before, after, d;

	(void)state;
	for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &before);
		now_mono_after(us[i], &d);
		clock_gettime(CLOCK_MONOTONIC, &after);
		assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		assert_true(ns(&d) >= ns(&before) + (int64_t)us[i] * 1000);
		assert_true(ns(&d) <= ns(&after) + (int64_t)us[i] * 1000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mono_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
