/* test_gcra - GCRA arithmetic with a simulated clock (core/gcra) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/limits/gcra.h"

#define SEC 1000000ULL

/* take - apply cost at now against tat; returns allowed */
static int take(uint64_t *tat, uint64_t now, uint64_t em, uint64_t tol, uint64_t cost,
		struct gcra_result *r)
{
	gcra_update(tat, now, em, tol, cost, 1, r);
	return r->allowed;
}

/* test_burst_boundary - exactly burst units fit at once, burst+1 does not */
static void test_burst_boundary(void **state)
{
	static const uint64_t bursts[] = { 1, 2, 5, 20, 1000 };
	const uint64_t em = 36 * SEC;	/* 100/h */
	struct gcra_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		uint64_t tat = 0, now = 1000 * SEC, tol = bursts[i] * em;

		for (uint64_t k = 0; k < bursts[i]; k++) {
			assert_true(take(&tat, now, em, tol, 1, &r));
			assert_int_equal(r.remaining, bursts[i] - k - 1);
			assert_int_equal(r.retry_after_us, 0);
		}
		uint64_t before = tat;
		assert_false(take(&tat, now, em, tol, 1, &r));
		assert_false(r.never_fits);
		assert_int_equal(r.remaining, 0);
		assert_int_equal(tat, before);	/* refused: state untouched */
		assert_int_equal(r.retry_after_us, em);
	}
}

/* test_steady_rate - one unit per emission interval is always allowed */
static void test_steady_rate(void **state)
{
	const uint64_t em = 10 * SEC, tol = 3 * em;
	uint64_t tat = 0, now = 5 * SEC;
	struct gcra_result r;
	unsigned ok = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(take(&tat, now, em, tol, 1, &r));
	for (int i = 0; i < 100; i++) {
		now += em;
		ok += take(&tat, now, em, tol, 1, &r);
		assert_false(take(&tat, now, em, tol, 1, &r)); /* no second one */
		assert_int_equal(r.retry_after_us, em);
	}
	assert_int_equal(ok, 100);
	/* just under one interval: still refused, retry after 1 µs */
	now += em - 1;
	assert_false(take(&tat, now, em, tol, 1, &r));
	assert_int_equal(r.retry_after_us, 1);
	assert_true(take(&tat, now + 1, em, tol, 1, &r));
}

/* test_long_idle - idling never earns credit beyond the burst */
static void test_long_idle(void **state)
{
	const uint64_t em = 60 * SEC, tol = 5 * em;
	uint64_t tat = 0, now = 100 * SEC;
	struct gcra_result r;
	unsigned ok = 0;

	(void)state;
	assert_true(take(&tat, now, em, tol, 1, &r));
	now += 365ULL * 86400 * SEC;
	gcra_update(&tat, now, em, tol, 0, 0, &r);
	assert_int_equal(r.remaining, 5);
	for (int i = 0; i < 10; i++)
		ok += take(&tat, now, em, tol, 1, &r);
	assert_int_equal(ok, 5);
}

/* test_cost - multi-unit costs consume proportionally */
static void test_cost(void **state)
{
	const uint64_t em = SEC, tol = 10 * em;
	uint64_t tat = 0, now = 50 * SEC;
	struct gcra_result r;

	(void)state;
	assert_true(take(&tat, now, em, tol, 4, &r));
	assert_int_equal(r.remaining, 6);
	assert_true(take(&tat, now, em, tol, 6, &r));
	assert_int_equal(r.remaining, 0);
	assert_false(take(&tat, now, em, tol, 3, &r));
	assert_int_equal(r.retry_after_us, 3 * SEC);
	assert_false(r.never_fits);
	/* after exactly the retry-after, the same cost fits */
	assert_true(take(&tat, now + r.retry_after_us, em, tol, 3, &r));
	assert_int_equal(r.remaining, 0);
}

/* test_never_fits - a cost above the whole burst never fits, even idle */
static void test_never_fits(void **state)
{
	const uint64_t em = SEC, tol = 10 * em;
	uint64_t tat = 0;
	struct gcra_result r;

	(void)state;
	gcra_update(&tat, 1000 * SEC, em, tol, 10, 0, &r);
	assert_true(r.allowed);
	assert_false(r.never_fits);
	gcra_update(&tat, 1000 * SEC, em, tol, 11, 1, &r);
	assert_false(r.allowed);
	assert_true(r.never_fits);
	assert_int_equal(r.remaining, 10);
	assert_int_equal(tat, 0);
	/* zero tolerance: nothing fits */
	gcra_update(&tat, 1000 * SEC, em, 0, 1, 1, &r);
	assert_true(r.never_fits);
	assert_false(r.allowed);
}

/* test_peek - apply 0 never writes, even when allowed */
static void test_peek(void **state)
{
	uint64_t tat = 7 * SEC;
	struct gcra_result r;

	(void)state;
	gcra_update(&tat, 5 * SEC, SEC, 5 * SEC, 1, 0, &r);
	assert_true(r.allowed);
	assert_int_equal(r.new_tat_us, 8 * SEC);
	assert_int_equal(r.remaining, 2);
	assert_int_equal(tat, 7 * SEC);
}

/* test_retry_after - waiting exactly retry_after succeeds, one µs less fails */
static void test_retry_after(void **state)
{
	static const uint64_t ems[] = { 1, 7, 999, 36 * SEC, 86400 * SEC };

	(void)state;
	for (size_t i = 0; i < sizeof(ems) / sizeof(ems[0]); i++) {
		uint64_t em = ems[i], tol = 3 * em, tat = 0, now = 10 * SEC;
		struct gcra_result r;

		assert_true(take(&tat, now, em, tol, 3, &r));
		now += em / 3;
		assert_false(take(&tat, now, em, tol, 2, &r));
		uint64_t wait = r.retry_after_us;
		assert_false(take(&tat, now + wait - 1, em, tol, 2, &r));
		assert_true(take(&tat, now + wait, em, tol, 2, &r));
	}
}

/* test_overflow - huge values saturate and refuse; nothing wraps */
static void test_overflow(void **state)
{
	struct gcra_result r;
	uint64_t tat = UINT64_MAX - 5;

	(void)state;
	assert_int_equal(gcra_sat_add(UINT64_MAX, 1), UINT64_MAX);
	assert_int_equal(gcra_sat_mul(UINT64_MAX / 2, 3), UINT64_MAX);
	assert_int_equal(gcra_sat_mul(0, UINT64_MAX), 0);
	/* cost * emission overflows: never fits, not "tiny" */
	gcra_update(&tat, 10, UINT64_MAX / 2, UINT64_MAX - 1, 3, 1, &r);
	assert_true(r.never_fits);
	assert_false(r.allowed);
	assert_int_equal(tat, UINT64_MAX - 5);
	/* TAT near the top: base + inc saturates, refused, no wrap to allowed */
	gcra_update(&tat, 10, 100, 1000, 1, 1, &r);
	assert_false(r.allowed);
	assert_int_equal(tat, UINT64_MAX - 5);
	assert_true(r.retry_after_us > 0);
	/* now near the top, empty state, maximal tolerance */
	tat = 0;
	gcra_update(&tat, UINT64_MAX - 1, 1, UINT64_MAX, 1, 1, &r);
	assert_true(r.allowed);
	assert_int_equal(tat, UINT64_MAX);
}

/* test_no_rate - emission 0: everything fits, unbounded remaining */
static void test_no_rate(void **state)
{
	uint64_t tat = 0;
	struct gcra_result r;

	(void)state;
	gcra_update(&tat, SEC, 0, 0, 1000000, 1, &r);
	assert_true(r.allowed);
	assert_false(r.never_fits);
	assert_int_equal(r.remaining, UINT64_MAX);
}

/* test_params - the rate/period/burst conversion */
static void test_params(void **state)
{
	static const struct {
		uint64_t rate, period, burst, em, tol;
		int rc;
	} t[] = {
		{ 100, 3600, 20, 36000000, 720000000, 0 },
		{ 1, 1, 1, 1000000, 1000000, 0 },
		{ 3, 1, 3, 333334, 1000002, 0 },
		{ 7, 7, 2, 1000000, 2000000, 0 },
		{ 10000000, 1, 5, 1, 5, 0 },	/* faster than 1/µs: clamped */
		{ 0, 3600, 1, 0, 0, -1 },
		{ 5, 0, 1, 0, 0, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t em = 0, tol = 0;

		assert_int_equal(gcra_params(t[i].rate, t[i].period, t[i].burst, &em, &tol),
				 t[i].rc);
		if (t[i].rc == 0) {
			assert_int_equal(em, t[i].em);
			assert_int_equal(tol, t[i].tol);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_boundary),
		cmocka_unit_test(test_steady_rate),
		cmocka_unit_test(test_long_idle),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_never_fits),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_no_rate),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
