/*
 * test_redis - core/redis against a real redis-server on loopback: async
 * and sync commands, pipelining over a pool, deadlines with late replies,
 * cancel, server killed and restarted, NOSCRIPT reload. Failover is in
 * test_redis_failover.c. Every wait is bounded; nothing asserts on timing.
 * Skipped (77) when Redis is not installed.
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
#include "core/redis/redis_int.h"
#include "tests/integration/redis_testlib.h"

static struct rsrv srv;			/* the plain server most tests use */

/* test_settings_check - bad settings are refused with a reason */
static void test_settings_check(void **state)
{
	static const struct {
		const char *server, *sentinel, *master;
		int ok;
	} t[] = {
		{ "127.0.0.1:6379", NULL, NULL, 1 },
		{ "[::1]:6380", NULL, NULL, 1 },
		{ "::1", NULL, NULL, 1 },
		{ "/run/redis.sock", NULL, NULL, 1 },
		{ "localhost", NULL, NULL, 1 },
		{ NULL, "127.0.0.1:26379", "mymaster", 1 },
		{ NULL, NULL, NULL, 0 },
		{ "127.0.0.1", "127.0.0.1", "m", 0 },
		{ NULL, "127.0.0.1:26379", NULL, 0 },
		{ "127.0.0.1:99999", NULL, NULL, 0 },
		{ "127.0.0.1:", NULL, NULL, 0 },
		{ ":6379", NULL, NULL, 0 },
		{ "[::1", NULL, NULL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct redis_settings s;
		const char *e = NULL;

		redis_settings_init(&s);
		if (t[i].server)
			strvec_add(&s.servers, t[i].server);
		if (t[i].sentinel)
			strvec_add(&s.sentinels, t[i].sentinel);
		if (t[i].master)
			s.master_name = rw_strdup(t[i].master);
		assert_int_equal(redis_settings_check(&s, &e), t[i].ok ? 0 : -1);
		if (!t[i].ok)
			assert_non_null(e);
		redis_settings_release(&s);
	}
}

/* test_settings_same - what makes two settings reach Redis differently */
static void test_settings_same(void **state)
{
	struct redis_settings a, b;

	(void)state;
	redis_settings_init(&a);
	redis_settings_init(&b);
	strvec_add(&a.servers, "127.0.0.1:6379");
	strvec_add(&b.servers, "127.0.0.1:6379");
	assert_true(redis_settings_same(&a, &b));
	b.connections = a.connections + 3;	/* the pool size is the caller's */
	b.backoff_max_ms = a.backoff_max_ms + 1;
	assert_true(redis_settings_same(&a, &b));
	strvec_add(&b.servers, "127.0.0.2:6379");
	assert_false(redis_settings_same(&a, &b));
	strvec_add(&a.servers, "127.0.0.2:6379");
	assert_true(redis_settings_same(&a, &b));
	b.password = rw_strdup("pw");
	assert_false(redis_settings_same(&a, &b));
	a.password = rw_strdup("pw");
	assert_true(redis_settings_same(&a, &b));
	b.database = 2;
	assert_false(redis_settings_same(&a, &b));
	b.database = a.database;
	b.timeout_ms = a.timeout_ms + 1;
	assert_false(redis_settings_same(&a, &b));
	b.timeout_ms = a.timeout_ms;
	strvec_add(&b.sentinels, "127.0.0.1:26379");
	assert_false(redis_settings_same(&a, &b));
	redis_settings_release(&a);
	redis_settings_release(&b);
}

/* test_async_basic - SET, GET, nil, an error reply */
static void test_async_basic(void **state)
{
	struct redis_async *c = new_async(srv.port, 1, 2000);
	const char *set[] = { "SET", "basic", "v1" }, *get[] = { "GET", "basic" };
	const char *nil[] = { "GET", "no-such-key" }, *bad[] = { "NOSUCHCOMMAND" };
	struct res r;

	(void)state;
	acmd(c, &r, 3, set);
	assert_int_equal(r.st, REDIS_ST_OK);
	assert_string_equal(r.str, "OK");
	acmd(c, &r, 2, get);
	assert_int_equal(r.st, REDIS_ST_OK);
	assert_string_equal(r.str, "v1");
	acmd(c, &r, 2, nil);
	assert_int_equal(r.st, REDIS_ST_OK);
	assert_int_equal(r.type, REDIS_REPLY_NIL);
	acmd(c, &r, 1, bad);
	assert_int_equal(r.st, REDIS_ST_ERROR);
	assert_non_null(strstr(r.str, "unknown command"));
	assert_int_equal(r.calls, 1);
	assert_int_equal(redis_async_pending(c), 0);
	redis_async_free(&c);
	assert_null(c);
}

/* test_sync_basic - the same through the sync client */
static void test_sync_basic(void **state)
{
	struct redis_sync *c = new_sync(srv.port, 2000);
	const char *set[] = { "SET", "sbasic", "v2" }, *get[] = { "GET", "sbasic" };
	const char *bad[] = { "NOSUCHCOMMAND" };
	char out[64];

	(void)state;
	assert_int_equal(scmd(c, 3, set, out, sizeof(out)), REDIS_ST_OK);
	assert_int_equal(scmd(c, 2, get, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "v2");
	assert_int_equal(scmd(c, 1, bad, out, sizeof(out)), REDIS_ST_ERROR);
	assert_string_equal(redis_sync_error(c), "");
	redis_sync_free(&c);
	assert_null(c);
}

#define CALLERS 50
#define PER_CALLER 20
#define NCMD (CALLERS * PER_CALLER)

/* test_pipelining - 1000 INCRs from 50 callers over 2 connections */
static void test_pipelining(void **state)
{
	struct redis_async *c = new_async(srv.port, 2, 5000);
	static struct res r[NCMD], ids[CALLERS];
	const char *del[] = { "DEL", "ctr" }, *incr[] = { "INCR", "ctr" };
	const char *cid[] = { "CLIENT", "ID" };
	static char seen[NCMD + 1];
	struct res d;
	int done = 0, ndistinct = 0;
	long long first = -1;

	(void)state;
	acmd(c, &d, 2, del);
	memset(r, 0, sizeof(r));
	memset(ids, 0, sizeof(ids));
	for (int k = 0; k < PER_CALLER; k++)	/* caller i's k-th command */
		for (int i = 0; i < CALLERS; i++)
			redis_async_command(c, 2, incr, NULL, res_cb,
					    &r[i * PER_CALLER + k]);
	for (int i = 0; i < CALLERS; i++)	/* which connection took it */
		redis_async_command(c, 2, cid, NULL, res_cb, &ids[i]);
	for (long long end = rsrv_now_ms() + 20000;
	     redis_async_pending(c) > 0 && rsrv_now_ms() < end;)
		pump(5);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NCMD; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, REDIS_ST_OK);
		assert_true(r[i].integer >= 1 && r[i].integer <= NCMD);
		assert_int_equal(seen[r[i].integer]++, 0);	/* each value once */
		done++;
	}
	for (int i = 0; i < CALLERS; i++) {
		assert_int_equal(ids[i].st, REDIS_ST_OK);
		if (first < 0)
			first = ids[i].integer;
		if (ids[i].integer != first)
			ndistinct = 1;
	}
	assert_int_equal(done, NCMD);
	assert_int_equal(ndistinct, 1);		/* both connections carried load */
	redis_async_free(&c);
}

#define BIG_N 160
#define BIG_LEN (64 * 1024)

/*
 * test_short_writes - while the server sleeps, 10 MB of commands fill the
 * socket buffers: writes come back short and the rest waits for the socket
 * (core/redis/redis_evloop.c); every command still gets its reply, in order
 */
static void test_short_writes(void **state)
{
	struct redis_async *c = new_async(srv.port, 1, 20000);
	const char *sleep_cmd[] = { "DEBUG", "SLEEP", "0.5" };
	const char *set[] = { "APPEND", "big", NULL }, *del[] = { "DEL", "big" };
	const char *strlen_cmd[] = { "STRLEN", "big" };
	static struct res r[BIG_N];
	struct res d, z, len;
	char *value = rw_malloc(BIG_LEN + 1);

	(void)state;
	memset(value, 'v', BIG_LEN);
	value[BIG_LEN] = '\0';
	set[2] = value;
	acmd(c, &d, 2, del);
	memset(r, 0, sizeof(r));
	memset(&z, 0, sizeof(z));
	redis_async_command(c, 3, sleep_cmd, NULL, res_cb, &z);
	for (int i = 0; i < BIG_N; i++)
		redis_async_command(c, 3, set, NULL, res_cb, &r[i]);
	for (long long end = rsrv_now_ms() + 30000;
	     redis_async_pending(c) > 0 && rsrv_now_ms() < end;)
		pump(5);
	assert_int_equal(z.st, REDIS_ST_OK);
	for (int i = 0; i < BIG_N; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, REDIS_ST_OK);
		assert_int_equal(r[i].integer, (long long)(i + 1) * BIG_LEN);	/* in order */
	}
	acmd(c, &len, 2, strlen_cmd);
	assert_int_equal(len.integer, (long long)BIG_N * BIG_LEN);
	acmd(c, &d, 2, del);
	free(value);
	redis_async_free(&c);
}

/* test_timeout - DEBUG SLEEP 1 vs a 100 ms deadline; late replies dropped */
static void test_timeout(void **state)
{
	struct redis_async *c = new_async(srv.port, 1, 100);
	const char *sleep1[] = { "DEBUG", "SLEEP", "1" }, *get[] = { "GET", "basic" };
	const char *echo[] = { "ECHO", "fresh" };
	struct res a = { 0 }, b = { 0 }, e = { 0 };
	long long end = rsrv_now_ms() + 10000;

	(void)state;
	redis_async_command(c, 3, sleep1, NULL, res_cb, &a);
	redis_async_command(c, 2, get, NULL, res_cb, &b);
	assert_int_equal(wait_calls(&b.calls, 1, 5000), 0);
	assert_int_equal(wait_calls(&a.calls, 1, 5000), 0);
	assert_int_equal(a.st, REDIS_ST_TIMEOUT);
	assert_int_equal(b.st, REDIS_ST_TIMEOUT);
	/* retry until the server answers again: the late +OK and GET replies
	 * must be dropped, never handed to these newer requests */
	do {
		memset(&e, 0, sizeof(e));
		acmd(c, &e, 2, echo);
	} while (e.st == REDIS_ST_TIMEOUT && rsrv_now_ms() < end);
	assert_int_equal(e.st, REDIS_ST_OK);
	assert_string_equal(e.str, "fresh");
	pump(50);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(redis_async_pending(c), 0);
	redis_async_free(&c);
}

/* test_sync_timeout - the sync client times out and never reads stale data */
static void test_sync_timeout(void **state)
{
	struct redis_sync *c = new_sync(srv.port, 100);
	const char *sleep[] = { "DEBUG", "SLEEP", "0.5" }, *ping[] = { "PING" };
	char out[64];
	enum redis_status st;
	long long end = rsrv_now_ms() + 10000;

	(void)state;
	assert_int_equal(scmd(c, 3, sleep, out, sizeof(out)), REDIS_ST_TIMEOUT);
	assert_string_equal(redis_sync_error(c), "timeout");
	while ((st = scmd(c, 1, ping, out, sizeof(out))) != REDIS_ST_OK &&
	       rsrv_now_ms() < end)
		;
	assert_int_equal(st, REDIS_ST_OK);
	assert_string_equal(out, "PONG");
	redis_sync_free(&c);
}

/*
 * test_sync_late - after a timeout, redis_sync_late reads the reply that
 * comes after all (and the connection is clean again); without it the next
 * command never sees that reply
 */
static void test_sync_late(void **state)
{
	struct redis_sync *c = new_sync(srv.port, 100);
	struct redis_async *ac = new_async(srv.port, 1, 2000);
	const char *sleep[] = { "DEBUG", "SLEEP", "0.3" }, *incr[] = { "INCR", "synclate:n" };
	const char *ping[] = { "PING" };
	struct res a = { 0 };
	redisReply *r = NULL;
	char out[64];

	(void)state;
	assert_int_equal(scmd(c, 2, incr, out, sizeof(out)), REDIS_ST_OK);
	assert_int_equal(redis_sync_late(c, 2000, &r), REDIS_ST_DISCONNECTED);	/* nothing late */
	assert_null(r);
	redis_async_command(ac, 3, sleep, NULL, res_cb, &a);	/* the server sleeps */
	pump(20);
	assert_int_equal(scmd(c, 2, incr, out, sizeof(out)), REDIS_ST_TIMEOUT);
	assert_int_equal(redis_sync_late(c, 3000, &r), REDIS_ST_OK);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	assert_int_equal(r->integer, 2);
	freeReplyObject(r);
	assert_int_equal(wait_calls(&a.calls, 1, 3000), 0);
	assert_int_equal(scmd(c, 1, ping, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "PONG");
	/* without redis_sync_late the next command never takes the late reply */
	redis_async_command(ac, 3, sleep, NULL, res_cb, &a);
	pump(20);
	assert_int_equal(scmd(c, 2, incr, out, sizeof(out)), REDIS_ST_TIMEOUT);
	assert_int_equal(wait_calls(&a.calls, 2, 3000), 0);
	assert_int_equal(scmd(c, 1, ping, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "PONG");
	redis_async_free(&ac);
	redis_sync_free(&c);
}

/* test_cancel - a cancelled callback never runs; fail-fast is cancellable */
static void test_cancel(void **state)
{
	struct redis_async *c = new_async(srv.port, 1, 2000), *dead;
	const char *get[] = { "GET", "basic" };
	struct res a = { 0 }, m = { 0 }, f = { 0 }, g = { 0 };
	struct redis_settings s;
	struct buf err = BUF_INIT;
	uint64_t id;

	(void)state;
	id = redis_async_command(c, 2, get, NULL, res_cb, &a);
	assert_int_equal(redis_async_cancel(c, id), 0);
	acmd(c, &m, 2, get);			/* sent after: its reply is later */
	pump(20);
	assert_int_equal(a.calls, 0);
	assert_int_equal(redis_async_cancel(c, id), -1);
	redis_async_free(&c);

	settings_port(&s, rsrv_free_port(), 1, 2000);	/* nobody listens */
	dead = redis_async_new(test_base, &s, &err);
	redis_settings_release(&s);
	assert_non_null(dead);
	redis_async_command(dead, 2, get, NULL, res_cb, &f);
	id = redis_async_command(dead, 2, get, NULL, res_cb, &g);
	assert_int_equal(redis_async_cancel(dead, id), 0);
	assert_int_equal(wait_calls(&f.calls, 1, 1000), 0);
	assert_int_equal(f.st, REDIS_ST_DISCONNECTED);
	pump(20);
	assert_int_equal(g.calls, 0);
	redis_async_free(&dead);
}

/* One late callback's outcome. */
struct late {
	int calls;
	enum redis_status st;
	long long integer;
	char cmd[64];		/* the command as sent, its start */
};

/* late_cb - a redis_late_cb recording into struct late */
static void late_cb(enum redis_status st, const redisReply *r, const char *cmd, size_t len,
		    void *arg)
{
	struct late *l = arg;

	l->calls++;
	l->st = st;
	l->integer = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	memcpy(l->cmd, cmd, len < sizeof(l->cmd) - 1 ? len : sizeof(l->cmd) - 1);
}

/*
 * test_keep_late - a command kept for its late reply: its callback gets
 * TIMEOUT at the deadline (or never runs, when cancelled), and the late
 * callback gets the reply that comes after all, with the command as sent;
 * one answered in time never calls late; freeing the client reports the
 * ones still out as DISCONNECTED.
 */
static void test_keep_late(void **state)
{
	struct redis_async *c = new_async(srv.port, 1, 100);
	const char *sleep05[] = { "DEBUG", "SLEEP", "0.5" }, *incr[] = { "INCR", "late:n" };
	struct res a = { 0 }, b = { 0 }, d = { 0 }, q = { 0 };
	struct late la = { 0 }, lb = { 0 }, ld = { 0 }, lq = { 0 };
	uint64_t id;

	(void)state;
	id = redis_async_command(c, 2, incr, NULL, res_cb, &q);	/* answered in time */
	assert_int_equal(redis_async_keep_late(c, id, late_cb, &lq), 0);
	assert_int_equal(wait_calls(&q.calls, 1, 5000), 0);
	assert_int_equal(q.st, REDIS_ST_OK);
	redis_async_command(c, 3, sleep05, NULL, res_cb, &d);
	id = redis_async_command(c, 2, incr, NULL, res_cb, &a);
	assert_int_equal(redis_async_keep_late(c, id, late_cb, &la), 0);
	id = redis_async_command(c, 2, incr, NULL, res_cb, &b);
	assert_int_equal(redis_async_keep_late(c, id, late_cb, &lb), 0);
	pump(10);
	assert_int_equal(redis_async_cancel(c, id), 0);	/* its caller went */
	assert_int_equal(wait_calls(&a.calls, 1, 5000), 0);
	assert_int_equal(a.st, REDIS_ST_TIMEOUT);
	assert_int_equal(redis_async_pending(c), 0);	/* only late callbacks wait */
	assert_int_equal(la.calls, 0);
	assert_int_equal(wait_calls(&lb.calls, 1, 5000), 0);
	assert_int_equal(la.calls, 1);
	assert_int_equal(la.st, REDIS_ST_OK);
	assert_int_equal(la.integer, 2);
	assert_non_null(strstr(la.cmd, "INCR"));
	assert_int_equal(lb.st, REDIS_ST_OK);
	assert_int_equal(lb.integer, 3);
	assert_int_equal(b.calls, 0);
	assert_int_equal(lq.calls, 0);
	/* still out when the client goes: DISCONNECTED */
	redis_async_command(c, 3, sleep05, NULL, res_cb, &d);
	id = redis_async_command(c, 2, incr, NULL, res_cb, &a);
	assert_int_equal(redis_async_keep_late(c, id, late_cb, &ld), 0);
	assert_int_equal(wait_calls(&a.calls, 2, 5000), 0);
	redis_async_free(&c);
	assert_int_equal(ld.calls, 1);
	assert_int_equal(ld.st, REDIS_ST_DISCONNECTED);
	pump(600);		/* the server is done sleeping before the next test */
}

/*
 * test_issue_while_connecting - a command issued at once after
 * redis_async_new waits for the first connection instead of failing as
 * DISCONNECTED (the first requests after a start are no store failure)
 */
static void test_issue_while_connecting(void **state)
{
	const char *ping[] = { "PING" };
	struct redis_settings s;
	struct buf err = BUF_INIT;
	struct redis_async *c;
	struct res a = { 0 };

	(void)state;
	settings_port(&s, srv.port, 2, 2000);
	c = redis_async_new(test_base, &s, &err);
	redis_settings_release(&s);
	assert_non_null(c);
	assert_int_equal(redis_async_connected(c), 0);
	redis_async_command(c, 1, ping, NULL, res_cb, &a);
	assert_int_equal(wait_calls(&a.calls, 1, 5000), 0);
	assert_int_equal(a.st, REDIS_ST_OK);
	assert_string_equal(a.str, "PONG");
	redis_async_free(&c);
}

/* test_kill_restart - killed mid-load: DISCONNECTED; restarted: back */
static void test_kill_restart(void **state)
{
	struct redis_async *c = new_async(srv.port, 2, 1000);
	struct redis_sync *sc = new_sync(srv.port, 1000);
	const char *incr[] = { "INCR", "load" }, *ping[] = { "PING" };
	static struct res r[2000];
	struct res after = { 0 }, back = { 0 };
	char out[32];
	int bad = 0;

	(void)state;
	assert_int_equal(scmd(sc, 1, ping, out, sizeof(out)), REDIS_ST_OK);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 2000; i++)
		redis_async_command(c, 2, incr, NULL, res_cb, &r[i]);
	event_base_loop(test_base, EVLOOP_NONBLOCK);
	rsrv_kill(&srv);
	for (long long end = rsrv_now_ms() + 10000;
	     redis_async_pending(c) > 0 && rsrv_now_ms() < end;)
		pump(5);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(r[i].calls, 1);
		bad += r[i].st != REDIS_ST_OK && r[i].st != REDIS_ST_DISCONNECTED;
	}
	assert_int_equal(bad, 0);
	acmd(c, &after, 1, ping);		/* server gone: fails fast */
	assert_int_equal(after.st, REDIS_ST_DISCONNECTED);
	for (long long end = rsrv_now_ms() + 5000;
	     redis_async_connected(c) > 0 && rsrv_now_ms() < end;)
		pump(5);
	assert_int_equal(redis_async_connected(c), 0);
	assert_int_equal(scmd(sc, 1, ping, out, sizeof(out)), REDIS_ST_DISCONNECTED);
	assert_string_not_equal(redis_sync_error(sc), "");

	assert_int_equal(rsrv_redis_start(&srv, 0), 0);
	assert_int_equal(wait_connected(c, 2, 15000), 0);
	acmd(c, &back, 1, ping);
	assert_int_equal(back.st, REDIS_ST_OK);
	assert_int_equal(scmd(sc, 1, ping, out, sizeof(out)), REDIS_ST_OK);
	redis_sync_free(&sc);
	redis_async_free(&c);
}

/* new_auth - clients with a password and a database */
static void new_auth(const char *pw, unsigned db, struct redis_async **ac,
		     struct redis_sync **sc)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;

	settings_port(&s, srv.port, 1, 2000);
	s.password = rw_strdup(pw);
	s.database = db;
	*ac = redis_async_new(test_base, &s, &err);
	*sc = redis_sync_new(&s, &err);
	redis_settings_release(&s);
	assert_non_null(*ac);
	assert_non_null(*sc);
}

/* test_auth_select - AUTH and SELECT on connect and on every reconnect */
static void test_auth_select(void **state)
{
	struct redis_sync *admin = new_sync(srv.port, 2000), *sc, *bsc;
	struct redis_async *c, *bad;
	const char *setpw[] = { "CONFIG", "SET", "requirepass", "s3cret" };
	const char *nopw[] = { "CONFIG", "SET", "requirepass", "" };
	const char *kill[] = { "CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal" };
	const char *set[] = { "SET", "indb3", "yes" }, *get[] = { "GET", "indb3" };
	struct res r;
	char out[64];

	(void)state;
	assert_int_equal(scmd(admin, 4, setpw, out, sizeof(out)), REDIS_ST_OK);
	new_auth("s3cret", 3, &c, &sc);
	new_auth("wrong", 3, &bad, &bsc);
	assert_int_equal(wait_connected(c, 1, 10000), 0);
	acmd(c, &r, 3, set);
	assert_int_equal(r.st, REDIS_ST_OK);
	assert_int_equal(scmd(sc, 2, get, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "yes");		/* same database 3 */
	assert_int_equal(scmd(admin, 2, get, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "");			/* not in database 0 */

	assert_int_equal(scmd(admin, 6, kill, out, sizeof(out)), REDIS_ST_OK);
	for (long long end = rsrv_now_ms() + 5000;
	     redis_async_connected(c) > 0 && rsrv_now_ms() < end;)
		pump(5);
	assert_int_equal(wait_connected(c, 1, 10000), 0);	/* reconnected */
	acmd(c, &r, 2, get);
	assert_string_equal(r.str, "yes");		/* AUTH + SELECT again */
	assert_int_equal(scmd(sc, 2, get, out, sizeof(out)), REDIS_ST_OK);
	assert_string_equal(out, "yes");

	assert_int_equal(redis_async_connected(bad), 0);	/* wrong password */
	acmd(bad, &r, 2, get);
	assert_int_equal(r.st, REDIS_ST_DISCONNECTED);
	assert_int_equal(scmd(bsc, 2, get, out, sizeof(out)), REDIS_ST_DISCONNECTED);
	assert_non_null(strstr(redis_sync_error(bsc), "AUTH"));
	assert_int_equal(scmd(admin, 4, nopw, out, sizeof(out)), REDIS_ST_OK);
	redis_sync_free(&bsc);
	redis_sync_free(&sc);
	redis_sync_free(&admin);
	redis_async_free(&bad);
	redis_async_free(&c);
}

static const char script_text[] =
	"return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}";

/* eval_async - one EVALSHA through the async client */
static void eval_async(struct redis_async *c, const struct redis_script *s,
		       struct res *res, long long *incr)
{
	const char *argv[] = { "evkey", "arg1" };

	memset(res, 0, sizeof(*res));
	assert_true(redis_async_evalsha(c, s, 1, 2, argv, NULL, res_cb, res) != 0);
	assert_int_equal(res->calls, 0);
	assert_int_equal(wait_calls(&res->calls, 1, 10000), 0);
	*incr = res->integer;
}

/* test_noscript - EVALSHA on an empty server reloads transparently */
static void test_noscript(void **state)
{
	struct redis_async *c = new_async(srv.port, 2, 2000);
	struct redis_sync *sc = new_sync(srv.port, 2000);
	const char *flush[] = { "SCRIPT", "FLUSH" };
	const char *argv[] = { "evkey", "arg1" };
	struct redis_script s;
	struct res r;
	redisReply *rep = NULL;
	long long dummy;
	char out[64];

	(void)state;
	redis_script_init(&s, script_text, strlen(script_text));
	assert_int_equal(strlen(s.sha1), 40);
	assert_int_equal(scmd(sc, 2, flush, out, sizeof(out)), REDIS_ST_OK);
	eval_async(c, &s, &r, &dummy);
	assert_int_equal(r.st, REDIS_ST_OK);	/* NOSCRIPT, LOAD, retry */
	assert_int_equal(r.type, REDIS_REPLY_ARRAY);

	rsrv_kill(&srv);			/* restarted empty */
	for (long long end = rsrv_now_ms() + 5000;
	     redis_async_connected(c) > 0 && rsrv_now_ms() < end;)
		pump(5);			/* the pool saw the EOFs */
	assert_int_equal(rsrv_redis_start(&srv, 0), 0);
	assert_int_equal(wait_connected(c, 2, 15000), 0);
	eval_async(c, &s, &r, &dummy);
	assert_int_equal(r.st, REDIS_ST_OK);

	assert_int_equal(scmd(sc, 2, flush, out, sizeof(out)), REDIS_ST_OK);
	assert_int_equal(redis_sync_evalsha(sc, &s, 1, 2, argv, NULL, &rep),
			 REDIS_ST_OK);
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
	assert_int_equal(rep->elements, 3);
	assert_string_equal(rep->element[0]->str, "evkey");
	assert_string_equal(rep->element[1]->str, "arg1");
	assert_int_equal(rep->element[2]->integer, 2);	/* one INCR before */
	freeReplyObject(rep);
	{	/* our SHA1 is the server's */
		const char *load[] = { "SCRIPT", "LOAD", script_text };

		assert_int_equal(scmd(sc, 3, load, out, sizeof(out)), REDIS_ST_OK);
		assert_string_equal(out, s.sha1);
	}
	redis_script_release(&s);
	redis_sync_free(&sc);
	redis_async_free(&c);
}

/* group_setup - one plain server for most tests */
static int group_setup(void **state)
{
	(void)state;
	test_base = event_base_new();
	return test_base && rsrv_redis_start(&srv, 0) == 0 ? 0 : -1;
}

/*
 * test_format_evalsha - our RESP encoder of EVALSHA gives the bytes
 * hiredis' redisFormatCommandArgv gives: empty, binary (NUL, CR LF) and
 * long arguments, 0 to many keys
 */
static void test_format_evalsha(void **state)
{
	static const char bin[] = { 'a', '\0', '\r', '\n', 'z' };
	const char *argv[40];
	size_t lens[40], hl[43];
	const char *hv[43];
	char big[5000], num[16];
	struct redis_script s;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	redis_script_init(&s, "return 1", 8);
	for (int argc = 0; argc <= 40; argc += 5) {
		for (int i = 0; i < argc; i++) {
			argv[i] = i % 7 == 3 ? "" : i % 7 == 5 ? bin : i == 10 ? big : "rw:v1:{c}:k";
			lens[i] = i % 7 == 5 ? sizeof(bin) : strlen(argv[i]);
		}
		for (int nkeys = 0; nkeys <= argc; nkeys += argc > 0 ? argc : 1) {
			char *ours = NULL, *theirs = NULL;
			long n1 = redis_format_evalsha(&s, nkeys, argc, argv, lens, &ours);
			int n2;

			snprintf(num, sizeof(num), "%d", nkeys);
			hv[0] = "EVALSHA", hl[0] = 7;
			hv[1] = s.sha1, hl[1] = 40;
			hv[2] = num, hl[2] = strlen(num);
			for (int i = 0; i < argc; i++)
				hv[i + 3] = argv[i], hl[i + 3] = lens[i];
			n2 = redisFormatCommandArgv(&theirs, argc + 3, hv, hl);
			assert_int_equal(n1, n2);
			assert_memory_equal(ours, theirs, (size_t)n2);
			redisFreeCommand(ours);
			redisFreeCommand(theirs);
			if (argc == 0)
				break;
		}
	}
	redis_script_release(&s);
}

/* group_teardown - stop every server */
static int group_teardown(void **state)
{
	(void)state;
	rsrv_destroy(&srv);
	event_base_free(test_base);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_check),
		cmocka_unit_test(test_settings_same),
		cmocka_unit_test(test_format_evalsha),
		cmocka_unit_test(test_async_basic),
		cmocka_unit_test(test_sync_basic),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_short_writes),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_sync_timeout),
		cmocka_unit_test(test_sync_late),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_keep_late),
		cmocka_unit_test(test_issue_while_connecting),
		cmocka_unit_test(test_kill_restart),
		cmocka_unit_test(test_noscript),
		cmocka_unit_test(test_auth_select),
	};

	if (!rsrv_available()) {
		fprintf(stderr, "redis-server/redis-sentinel not found: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
