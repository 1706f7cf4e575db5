/* test_breaker - circuit breaker states with a simulated clock (core/breaker) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/limits/breaker.h"

#define MS 1000ULL

/* test_opens_at_threshold - N-1 failures keep it closed, N open it */
static void test_opens_at_threshold(void **state)
{
	struct breaker b;

	(void)state;
	breaker_init(&b, 3, 100 * MS, 800 * MS);
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_true(breaker_allow(&b, 0));
	breaker_success(&b);		/* consecutive only: the count restarts */
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	assert_int_equal(b.state, BREAKER_CLOSED);
	breaker_failure(&b, 10);
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_false(breaker_allow(&b, 10));
	assert_false(breaker_allow(&b, 10 + 100 * MS - 1));
	assert_string_equal(breaker_state_name(b.state), "open");
}

/* test_half_open_probe - one probe after the backoff; success closes */
static void test_half_open_probe(void **state)
{
	struct breaker b;

	(void)state;
	breaker_init(&b, 1, 100 * MS, 800 * MS);
	breaker_failure(&b, 0);
	assert_true(breaker_allow(&b, 100 * MS));
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_false(breaker_allow(&b, 100 * MS));	/* only one probe */
	assert_false(breaker_allow(&b, 200 * MS));
	breaker_success(&b);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_true(breaker_allow(&b, 200 * MS));
	assert_true(breaker_allow(&b, 200 * MS));
}

/* test_backoff_doubles - failed probes double the backoff up to the cap */
static void test_backoff_doubles(void **state)
{
	static const uint64_t want[] = { 200, 400, 800, 800, 800 };
	struct breaker b;
	uint64_t now = 0;

	(void)state;
	breaker_init(&b, 1, 100 * MS, 800 * MS);
	breaker_failure(&b, now);
	now += 100 * MS;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(breaker_allow(&b, now));
		breaker_failure(&b, now);
		assert_int_equal(b.state, BREAKER_OPEN);
		assert_false(breaker_allow(&b, now + want[i] * MS - 1));
		now += want[i] * MS;
	}
	assert_true(breaker_allow(&b, now));
	breaker_success(&b);
	breaker_failure(&b, now);	/* backoff was reset by the success */
	assert_true(breaker_allow(&b, now + 100 * MS));
}

/* test_lost_probe - a probe that never reports is given up after backoff_max */
static void test_lost_probe(void **state)
{
	struct breaker b;

	(void)state;
	breaker_init(&b, 2, 50 * MS, 500 * MS);
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	assert_true(breaker_allow(&b, 50 * MS));
	assert_false(breaker_allow(&b, 549 * MS));
	assert_true(breaker_allow(&b, 550 * MS));
	breaker_failure(&b, 551 * MS);	/* the second probe fails */
	assert_int_equal(b.state, BREAKER_OPEN);
	uint64_t until = b.until_us;
	breaker_failure(&b, 600 * MS);	/* a late failure while open: no change */
	assert_int_equal(b.until_us, until);
	assert_int_equal(until, 551 * MS + 100 * MS);
	breaker_init(&b, 0, 10, 1);	/* threshold 0 = 1, max < min = min */
	assert_int_equal(b.threshold, 1);
	assert_int_equal(b.backoff_max_us, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_at_threshold),
		cmocka_unit_test(test_half_open_probe),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_lost_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
