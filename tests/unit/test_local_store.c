/* test_local_store - the in-process fallback store (core/local_store) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits/local_store.h"
#include "core/limits/limits.h"

#define SEC 1000000ULL

static struct rw_limit rate = {
	.name = (char *)"r", .kind = LIMIT_RATE, .mode = MODE_ENFORCE,
	.on_failure = FAIL_LOCAL, .local_share = 50, .unit = UNIT_MESSAGES,
};
static struct rw_limit quota = {
	.name = (char *)"q", .kind = LIMIT_QUOTA, .mode = MODE_ENFORCE,
	.on_failure = FAIL_LOCAL, .local_share = 50,
};

/* check - a check of lim for identity id */
static struct limit_check check(struct rw_limit *lim, const char *id, uint64_t cost)
{
	struct limit_check c;

	memset(&c, 0, sizeof(c));
	c.limit = lim;
	c.customer = (char *)"-";
	c.dimension = "sasl_user";
	c.identity = (char *)id;
	c.unit = UNIT_MESSAGES;
	c.cost = cost;
	c.emission_us = 10 * SEC;	/* 6/min */
	c.tolerance_us = 4 * 10 * SEC;	/* burst 4 */
	c.cap = 10;
	c.window_end = 1000;
	strcpy(c.window_id, "w1");
	return c;
}

/* run1 - run one check; returns ok */
static int run1(struct local_store *ls, struct limit_check c, int charge, uint64_t now,
		struct limit_result *r)
{
	struct limit_plan plan = { &c, 1, charge, 0 };

	local_store_run(ls, &plan, now, r);
	assert_true(r->degraded);
	return r->ok;
}

/* test_rate_share - the burst stays whole, the rate drops to the share */
static void test_rate_share(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_result r;
	uint64_t now = 100 * SEC;
	unsigned ok = 0;

	(void)state;
	for (int i = 0; i < 6; i++)
		ok += run1(ls, check(&rate, "alice", 1), 1, now, &r);
	assert_int_equal(ok, 4);
	assert_int_equal(r.retry_after_ms, 20000);	/* 10 s / 50 % */
	assert_false(run1(ls, check(&rate, "alice", 1), 1, now + 19 * SEC, &r));
	assert_true(run1(ls, check(&rate, "alice", 1), 1, now + 20 * SEC, &r));
	/* another identity is another key */
	assert_true(run1(ls, check(&rate, "bob", 4), 1, now, &r));
	assert_int_equal(r.remaining, 0);
	/* never_fits against the real burst */
	assert_false(run1(ls, check(&rate, "carol", 5), 1, now, &r));
	assert_true(r.never_fits);
	local_store_free(&ls);
	assert_null(ls);
}

/* test_peek - a peek charges nothing */
static void test_peek(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_result r;

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_true(run1(ls, check(&rate, "alice", 4), 0, SEC, &r));
	assert_int_equal(local_store_count(ls), 0);
	local_store_free(&ls);
}

/* test_quota_share - cap * share per window; a new window starts at 0 */
static void test_quota_share(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_check c = check(&quota, "alice", 2);
	struct limit_result r;
	unsigned ok = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		ok += run1(ls, c, 1, 500 * SEC, &r);
	assert_int_equal(ok, 2);	/* 5 local of 10 */
	assert_int_equal(r.remaining, 1);
	assert_int_equal(r.retry_after_ms, 500000);
	assert_false(r.never_fits);
	c.cost = 11;
	assert_false(run1(ls, c, 1, 500 * SEC, &r));
	assert_true(r.never_fits);
	c.cost = 5;
	strcpy(c.window_id, "w2");
	c.window_end = 2000;
	assert_true(run1(ls, c, 1, 1500 * SEC, &r));
	assert_int_equal(r.remaining, 0);
	local_store_free(&ls);
}

/*
 * test_parts - two stores share the local share (policyd's event loops):
 * each a rate at half of it, its burst kept, and a quota cap at half of
 * it, at least 1
 */
static void test_parts(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_check c = check(&quota, "alice", 1);
	struct limit_result r;
	uint64_t now = 100 * SEC;
	unsigned ok = 0;

	(void)state;
	local_store_set_parts(ls, 2);
	for (int i = 0; i < 6; i++)
		ok += run1(ls, check(&rate, "alice", 1), 1, now, &r);
	assert_int_equal(ok, 4);	/* the burst */
	assert_int_equal(r.retry_after_ms, 40000);	/* 10 s / 50 % / 2 */
	assert_false(run1(ls, check(&rate, "alice", 1), 1, now + 39 * SEC, &r));
	assert_true(run1(ls, check(&rate, "alice", 1), 1, now + 40 * SEC, &r));
	for (ok = 0; ok < 10 && run1(ls, c, 1, 500 * SEC, &r); ok++)
		;
	assert_int_equal(ok, 2);	/* 10 * 50 % / 2 */
	c.cap = 3;			/* 3 * 50 % / 2 rounds to 0: 1 */
	strcpy(c.window_id, "w3");
	assert_true(run1(ls, c, 1, 500 * SEC, &r));
	assert_false(run1(ls, c, 1, 500 * SEC, &r));
	local_store_free(&ls);
}

/* test_all_or_nothing - one exhausted check: nothing is charged */
static void test_all_or_nothing(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_check v[2] = { check(&rate, "alice", 1), check(&quota, "alice", 5) };
	struct limit_plan plan = { v, 2, 1, 0 };
	struct limit_result r[2];

	(void)state;
	local_store_run(ls, &plan, 10 * SEC, r);	/* quota: 5 of 5 */
	assert_true(r[0].ok && r[1].ok);
	assert_int_equal(r[0].remaining, 3);
	for (int i = 0; i < 3; i++) {
		local_store_run(ls, &plan, 10 * SEC, r);
		assert_true(r[0].ok);
		assert_false(r[1].ok);
	}
	/* the rate was not charged by the refused runs: 3 left */
	assert_true(run1(ls, check(&rate, "alice", 3), 1, 10 * SEC, &r[0]));
	local_store_free(&ls);
}

/* test_same_key_twice - two checks of one key see each other's charge */
static void test_same_key_twice(void **state)
{
	struct local_store *ls = local_store_new(100);
	struct limit_check v[2] = { check(&rate, "alice", 3), check(&rate, "alice", 2) };
	struct limit_plan plan = { v, 2, 1, 0 };
	struct limit_result r[2];

	(void)state;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_true(r[0].ok);
	assert_false(r[1].ok);	/* 3 + 2 > burst 4: refused, nothing charged */
	assert_int_equal(local_store_count(ls), 0);
	v[1].cost = 1;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_true(r[0].ok && r[1].ok);
	assert_int_equal(r[1].remaining, 0);
	v[0].cost = 1;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_false(r[0].ok);	/* 4 charged by the run before */
	local_store_free(&ls);
}

/* test_fail_modes - non-local checks are not evaluated; tempfail blocks the charge */
static void test_fail_modes(void **state)
{
	struct rw_limit tf = rate, shadow = rate;
	struct local_store *ls = local_store_new(100);
	struct limit_check v[2] = { check(&rate, "alice", 4), check(&tf, "alice", 1) };
	struct limit_plan plan = { v, 2, 1, 0 };
	struct limit_result r[2];

	(void)state;
	tf.name = (char *)"tf";
	tf.on_failure = FAIL_TEMPFAIL;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_true(r[0].ok);
	assert_false(r[1].ok);
	assert_true(r[1].degraded);
	assert_int_equal(local_store_count(ls), 0);	/* deferred mail costs nothing */
	tf.on_failure = FAIL_ACCEPT;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_int_equal(local_store_count(ls), 1);
	/* an exhausted shadow check does not stop the enforce ones */
	shadow.name = (char *)"sh";
	shadow.mode = MODE_SHADOW;
	v[0] = check(&shadow, "alice", 5);
	v[1] = check(&rate, "bob", 1);
	tf.on_failure = FAIL_LOCAL;
	local_store_run(ls, &plan, 10 * SEC, r);
	assert_false(r[0].ok);
	assert_true(r[1].ok);
	assert_int_equal(local_store_count(ls), 2);
	local_store_free(&ls);
}

/* test_eviction - the table stays bounded, least recently used goes first */
static void test_eviction(void **state)
{
	struct local_store *ls = local_store_new(16);
	struct limit_result r;
	char id[32];

	(void)state;
	assert_true(run1(ls, check(&rate, "keep", 4), 1, SEC, &r));
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "user%d", i);
		assert_true(run1(ls, check(&rate, id, 1), 1, SEC, &r));
		assert_true(local_store_count(ls) <= 16);
		if (i < 10)	/* keep "keep" recent: it survives */
			assert_false(run1(ls, check(&rate, "keep", 1), 1, SEC, &r));
	}
	assert_int_equal(local_store_count(ls), 16);
	/* "keep" was least recently used for 30 inserts: evicted, restarts empty */
	assert_true(run1(ls, check(&rate, "keep", 4), 1, SEC, &r));
	/* a recent one is still there */
	assert_false(run1(ls, check(&rate, "user39", 4), 1, SEC, &r));
	local_store_free(&ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_share),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_quota_share),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_same_key_twice),
		cmocka_unit_test(test_fail_modes),
		cmocka_unit_test(test_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
