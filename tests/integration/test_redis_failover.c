/*
 * test_redis_failover - core/redis following a moving master with real
 * processes on loopback: servers mode where the first server is demoted to
 * a replica (READONLY, then ROLE refuses it, the pool moves on), and
 * Sentinel mode (discovery, SENTINEL FAILOVER, then the new master killed).
 * Bounded retry loops; nothing asserts on timing. Skipped (77) when Redis
 * or redis-sentinel is not installed.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "core/util/mem.h"
#include "core/redis/redis.h"
#include "tests/integration/redis_testlib.h"

static struct rsrv sm, sr, ss;	/* Sentinel test: master, replica, sentinel */
static struct rsrv sa, sb;	/* servers mode: first and second server */

/* raw_has - a raw command's reply (string or array) mentions want */
static int raw_has(int port, const char *cmd, const char *want)
{
	struct timeval tv = { 1, 0 };
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r = ctx && !ctx->err ? redisCommand(ctx, cmd) : NULL;
	int ok = 0;

	if (r && r->type == REDIS_REPLY_ARRAY)
		ok = r->elements > 0 && !want;
	else if (r && r->str && want)
		ok = strstr(r->str, want) != NULL;
	if (r)
		freeReplyObject(r);
	if (ctx)
		redisFree(ctx);
	return ok;
}

/* sync_port - "CONFIG GET port" through the sync client, 0 on failure */
static int sync_port(struct redis_sync *c)
{
	const char *argv[] = { "CONFIG", "GET", "port" };
	redisReply *r = NULL;
	int port = 0;

	if (redis_sync_command(c, 3, argv, NULL, &r) == REDIS_ST_OK &&
	    r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		port = atoi(r->element[1]->str);
	if (r)
		freeReplyObject(r);
	return port;
}

/* follow - bounded: a write succeeds and CONFIG GET names want_port */
static int follow(struct redis_async *c, struct redis_sync *sc, int want_port,
		  unsigned max_ms)
{
	const char *set[] = { "SET", "probe", "x" };
	const char *port[] = { "CONFIG", "GET", "port" };
	long long end = rsrv_now_ms() + max_ms;
	struct res a, p;
	int async_ok = 0, sync_ok = 0;

	while (!(async_ok && sync_ok) && rsrv_now_ms() < end) {
		if (!async_ok) {
			acmd(c, &a, 3, set);
			if (a.st == REDIS_ST_OK)
				acmd(c, &p, 3, port);
			async_ok = a.st == REDIS_ST_OK && p.st == REDIS_ST_OK &&
				   atoi(p.str) == want_port;
		}
		if (!sync_ok)
			sync_ok = scmd(sc, 3, set, NULL, 0) == REDIS_ST_OK &&
				  sync_port(sc) == want_port;
		pump(100);
	}
	return async_ok && sync_ok ? 0 : -1;
}

/* sentinel_start - master, replica in sync, sentinel that sees both */
static void sentinel_start(void)
{
	long long end;

	assert_int_equal(rsrv_redis_start(&sm, 0), 0);
	assert_int_equal(rsrv_redis_start(&sr, sm.port), 0);
	assert_int_equal(rsrv_sentinel_start(&ss, sm.port), 0);
	end = rsrv_now_ms() + 30000;
	while (!(raw_has(sr.port, "INFO replication", "master_link_status:up") &&
		 raw_has(ss.port, "SENTINEL replicas mymaster", NULL)) &&
	       rsrv_now_ms() < end)
		usleep(100000);
	assert_true(raw_has(ss.port, "SENTINEL replicas mymaster", NULL));
}

/* test_sentinel - discovery, SENTINEL FAILOVER, then the master killed */
static void test_sentinel(void **state)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;
	struct redis_async *c;
	struct redis_sync *sc;
	const char *set[] = { "SET", "before", "1" }, *get[] = { "GET", "before" };
	const char *wait[] = { "WAIT", "1", "2000" };
	struct res r;

	(void)state;
	sentinel_start();
	redis_settings_init(&s);
	strvec_addf(&s.sentinels, "127.0.0.1:%d", ss.port);
	s.master_name = rw_strdup("mymaster");
	s.timeout_ms = 1000;
	c = redis_async_new(test_base, &s, &err);
	sc = redis_sync_new(&s, &err);
	redis_settings_release(&s);
	assert_non_null(c);
	assert_non_null(sc);
	assert_int_equal(wait_connected(c, 2, 10000), 0);
	acmd(c, &r, 3, set);
	assert_int_equal(r.st, REDIS_ST_OK);
	acmd(c, &r, 3, wait);
	assert_int_equal(r.integer, 1);		/* replicated */
	assert_int_equal(follow(c, sc, sm.port, 5000), 0);

	assert_true(raw_has(ss.port, "SENTINEL FAILOVER mymaster", "OK"));
	assert_int_equal(follow(c, sc, sr.port, 60000), 0);
	acmd(c, &r, 2, get);
	assert_string_equal(r.str, "1");

	rsrv_kill(&sr);				/* the new master dies */
	assert_int_equal(follow(c, sc, sm.port, 90000), 0);
	redis_sync_free(&sc);
	redis_async_free(&c);
}

/* test_readonly_rotation - the first server is demoted: READONLY, then
 * its ROLE is refused and both clients move to the second server */
static void test_readonly_rotation(void **state)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;
	struct redis_async *c;
	struct redis_sync *sc;
	const char *set[] = { "SET", "k", "v" };
	char cmd[64];
	struct res r;

	(void)state;
	assert_int_equal(rsrv_redis_start(&sa, 0), 0);
	assert_int_equal(rsrv_redis_start(&sb, 0), 0);
	settings_port(&s, sa.port, 2, 1000);
	strvec_addf(&s.servers, "127.0.0.1:%d", sb.port);
	c = redis_async_new(test_base, &s, &err);
	sc = redis_sync_new(&s, &err);
	redis_settings_release(&s);
	assert_non_null(c);
	assert_non_null(sc);
	assert_int_equal(wait_connected(c, 2, 10000), 0);
	assert_int_equal(follow(c, sc, sa.port, 5000), 0);

	snprintf(cmd, sizeof(cmd), "REPLICAOF 127.0.0.1 %d", sb.port);
	assert_true(raw_has(sa.port, cmd, "OK"));
	acmd(c, &r, 3, set);
	assert_int_not_equal(r.st, REDIS_ST_OK);
	if (r.st == REDIS_ST_ERROR)
		assert_non_null(strstr(r.str, "READONLY"));
	assert_int_equal(follow(c, sc, sb.port, 30000), 0);
	redis_sync_free(&sc);
	redis_async_free(&c);
}

/* group_setup - the loop */
static int group_setup(void **state)
{
	(void)state;
	test_base = event_base_new();
	return test_base ? 0 : -1;
}

/* group_teardown - stop every server */
static int group_teardown(void **state)
{
	(void)state;
	rsrv_destroy(&ss);
	rsrv_destroy(&sr);
	rsrv_destroy(&sm);
	rsrv_destroy(&sa);
	rsrv_destroy(&sb);
	event_base_free(test_base);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readonly_rotation),
		cmocka_unit_test(test_sentinel),
	};

	if (!rsrv_available()) {
		fprintf(stderr, "redis-server/redis-sentinel not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
