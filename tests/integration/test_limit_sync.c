/*
 * test_limit_sync - core/limits/limit_sync (the milter's limit store and
 * explain --live's peek) against a real redis-server on a free loopback
 * port, stopped by PID: a peek writes nothing, also for a plan whose charge
 * flag is set; a charge counts and the next peek sees it; over the burst a
 * peek says over and still writes nothing. Redis not answering: the peek
 * fails with why and no results, a run gets the limit's fail mode
 * (degraded). No redis section: nothing is asked. Skipped (77) when Redis
 * is not installed.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "core/limits/limit_keys.h"
#include "core/limits/limit_sync.h"
#include "core/limits/limits.h"
#include "core/util/mem.h"
#include "tests/integration/redis_testlib.h"
#include "tests/unit/config_tdir.h"

#define HOUR_US 3600000000ULL
#define BURST 3

static struct rw_limit rate_lim = {
	.name = (char *)"user-rate", .kind = LIMIT_RATE, .mode = MODE_ENFORCE,
	.on_failure = FAIL_TEMPFAIL, .unit = UNIT_MESSAGES,
};

struct fx {
	struct rsrv srv;
	redisContext *c;		/* the test's own look at the server */
	struct rw_config *cfg;
	struct limit_sync *ls;
	struct limit_check chk;		/* one rate check: BURST messages, one an hour */
	struct buf key;			/* its state key */
};

/* config_for - a config whose redis section names port (0: no redis section) */
static struct rw_config *config_for(int port)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct rw_config *cfg;

	buf_puts(&text, "local_domains = { \"example.test\" }\n");
	if (port > 0)
		buf_printf(&text, "redis { servers = { \"127.0.0.1:%d\" } timeout_ms = 2000 "
			   "connect_timeout_ms = 2000 }\n", port);
	cfg = load_text(buf_cstr(&text), NULL, &err);
	if (cfg == NULL)
		fail_msg("config: %s", buf_cstr(&err));
	buf_release(&text);
	buf_release(&err);
	return cfg;
}

/* fx_new - the check, a client for port (0: no redis section) */
static struct fx *fx_new(int port)
{
	struct fx *f = rw_calloc(1, sizeof(*f));
	struct buf err = BUF_INIT;

	f->chk.limit = &rate_lim;
	f->chk.customer = (char *)"-";
	f->chk.dimension = "sasl_user";
	f->chk.identity = (char *)"alice";
	f->chk.unit = UNIT_MESSAGES;
	f->chk.cost = 1;
	f->chk.cap = BURST;
	f->chk.emission_us = HOUR_US;
	f->chk.tolerance_us = BURST * HOUR_US;
	limit_keys_state(&f->chk, &f->key);
	f->cfg = config_for(port);
	f->ls = limit_sync_new(f->cfg, NULL, NULL, &err);
	assert_non_null(f->ls);
	assert_int_equal(err.len, 0);
	return f;
}

/* fx_free - client, config, server (by PID) */
static void fx_free(struct fx *f)
{
	limit_sync_unref(&f->ls);
	config_unref(&f->cfg);
	if (f->c != NULL)
		redisFree(f->c);
	rsrv_destroy(&f->srv);
	buf_release(&f->key);
	free(f);
}

/* setup - a private redis-server and a client for it */
static int setup(void **state)
{
	struct rsrv srv = { 0 };
	struct timeval tv = { 2, 0 };
	struct fx *f;

	assert_int_equal(rsrv_redis_start(&srv, 0), 0);
	f = fx_new(srv.port);
	f->srv = srv;
	f->c = redisConnectWithTimeout("127.0.0.1", srv.port, tv);
	assert_true(f->c != NULL && f->c->err == 0);
	*state = f;
	return 0;
}

/* teardown - see fx_free */
static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* dbsize - how many keys the server holds */
static long long dbsize(struct fx *f)
{
	redisReply *r = redisCommand(f->c, "DBSIZE");
	long long n;

	assert_true(r != NULL && r->type == REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* state_of - the check's key (its TAT) as text into out; "" when absent */
static void state_of(struct fx *f, char *out, size_t len)
{
	redisReply *r = redisCommand(f->c, "GET %s", buf_cstr(&f->key));

	assert_non_null(r);
	snprintf(out, len, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
}

/* peek - limit_sync_peek of the check with plan.charge = charge_flag; must answer */
static struct limit_result peek(struct fx *f, int charge_flag)
{
	struct limit_plan plan = { &f->chk, 1, charge_flag, 0 };
	struct limit_result r = { 0 };
	struct buf why = BUF_INIT;

	if (limit_sync_peek(f->ls, &plan, &r, &why) != 0)
		fail_msg("peek failed: %s", buf_cstr(&why));
	assert_int_equal(why.len, 0);
	assert_int_equal(r.degraded, 0);
	buf_release(&why);
	return r;
}

/* charge - limit_sync_run of the check as a charge */
static struct limit_result charge(struct fx *f)
{
	struct limit_plan plan = { &f->chk, 1, 1, 0 };
	struct limit_result r = { 0 };

	limit_sync_run(f->ls, &plan, &r);
	assert_int_equal(r.degraded, 0);
	return r;
}

/* test_peek_writes_nothing - peeks (charge flag or not) leave Redis as it was */
static void test_peek_writes_nothing(void **state)
{
	struct fx *f = *state;
	char before[64], after[64];
	struct limit_result r;
	uint64_t fresh;

	assert_int_equal(limit_sync_has_redis(f->ls), 1);
	r = peek(f, 0);
	assert_true(r.ok);
	fresh = r.remaining;
	r = peek(f, 1);		/* the charge flag is ignored */
	assert_true(r.ok);
	assert_int_equal(r.remaining, fresh);
	assert_int_equal(dbsize(f), 0);

	r = charge(f);		/* limit_sync_run charges */
	assert_true(r.ok);
	assert_int_equal(dbsize(f), 1);
	state_of(f, before, sizeof(before));
	assert_string_not_equal(before, "");
	r = peek(f, 1);
	assert_true(r.ok);
	assert_int_equal(r.remaining, fresh - 1);	/* sees the charge */
	state_of(f, after, sizeof(after));
	assert_string_equal(after, before);
	assert_string_equal(limit_sync_state(f->ls), "redis");
	assert_int_equal(limit_sync_degraded(f->ls), 0);
}

/* test_peek_over - over the burst: the peek says over, with a retry time, and writes nothing */
static void test_peek_over(void **state)
{
	struct fx *f = *state;
	char before[64], after[64];
	struct limit_result r;

	for (int i = 0; i < BURST; i++)
		assert_true(charge(f).ok);
	assert_false(charge(f).ok);
	state_of(f, before, sizeof(before));
	for (int charge_flag = 0; charge_flag < 2; charge_flag++) {
		r = peek(f, charge_flag);
		assert_false(r.ok);
		assert_false(r.never_fits);
		assert_true(r.retry_after_ms > 0);
		state_of(f, after, sizeof(after));
		assert_string_equal(after, before);
	}
}

/* test_redis_gone - the peek fails with why, no results; a run gets the fail mode (degraded) */
static void test_redis_gone(void **state)
{
	struct fx *f = *state;
	struct limit_plan plan = { &f->chk, 1, 0, 0 };
	struct limit_result r = { 0 };
	struct buf why = BUF_INIT;

	assert_true(peek(f, 0).ok);
	rsrv_kill(&f->srv);
	assert_int_equal(limit_sync_peek(f->ls, &plan, &r, &why), -1);
	assert_true(why.len > 0);
	assert_false(r.ok);
	assert_false(r.degraded);
	assert_null(r.reason);
	assert_int_equal(limit_sync_degraded(f->ls), 1);
	assert_string_equal(limit_sync_state(f->ls), "redis (failing)");

	limit_sync_run(f->ls, &plan, &r);
	assert_true(r.degraded);	/* the fail mode decided */
	assert_false(r.ok);		/* on_failure = tempfail */
	buf_release(&why);
}

/* test_no_redis - no redis section: the peek asks nothing, a run gets the fail mode */
static void test_no_redis(void **state)
{
	struct fx *f = fx_new(0);
	struct limit_plan plan = { &f->chk, 1, 0, 0 };
	struct limit_result r = { 0 };
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(limit_sync_has_redis(f->ls), 0);
	assert_int_equal(limit_sync_peek(f->ls, &plan, &r, &why), -1);
	assert_string_equal(buf_cstr(&why), "no redis section");
	assert_false(r.ok);
	limit_sync_run(f->ls, &plan, &r);
	assert_true(r.degraded);	/* the fail mode decided */
	assert_false(r.ok);
	assert_string_equal(limit_sync_state(f->ls), "local");
	assert_int_equal(limit_sync_degraded(f->ls), 0);
	buf_release(&why);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peek_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peek_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_gone, setup, teardown),
		cmocka_unit_test(test_no_redis),
	};

	if (!rsrv_available()) {
		fprintf(stderr, "redis-server/redis-sentinel not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
