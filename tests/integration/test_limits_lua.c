/*
 * test_limits_lua - schema/limits.lua against a real redis-server, driven
 * through core/limit_store (marshal, EVALSHA, parse). One private server per
 * test on a free loopback port (--save '' --appendonly no), stopped by PID.
 * Exit 77 (skipped) when redis-server is not installed.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "core/util/buf.h"
#include "core/limits/limit_keys.h"
#include "core/limits/limit_store.h"
#include "core/limits/limits.h"
#include "core/util/strvec.h"

#define HOUR_US 3600000000ULL

struct fx {
	pid_t pid;
	int port;
	char dir[64];
	redisContext *c;
	char sha[LIMIT_STORE_SHA_HEX + 1];
};

static struct rw_limit rate_lim = {
	.name = (char *)"user-rate", .kind = LIMIT_RATE, .mode = MODE_ENFORCE,
	.on_failure = FAIL_TEMPFAIL, .unit = UNIT_MESSAGES,
};
static struct rw_limit quota_lim = {
	.name = (char *)"daily", .kind = LIMIT_QUOTA, .mode = MODE_ENFORCE,
	.on_failure = FAIL_TEMPFAIL, .window = WINDOW_DAY,
};
static struct rw_limit shadow_lim = {
	.name = (char *)"shadow-rate", .kind = LIMIT_RATE, .mode = MODE_SHADOW,
	.on_failure = FAIL_TEMPFAIL, .unit = UNIT_MESSAGES,
};

/* free_port - a loopback TCP port nobody listens on right now */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* spawn - exec redis-server in the child */
static void spawn(struct fx *f)
{
	char port[16];
	int null = open("/dev/null", O_RDWR);

	snprintf(port, sizeof(port), "%d", f->port);
	dup2(null, 1);
	dup2(null, 2);
	execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
	       "--save", "", "--appendonly", "no", "--dir", f->dir, (char *)NULL);
	_exit(127);
}

/* cmd - run a command, return its reply (caller frees) */
static redisReply *cmd(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(f->c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	return r;
}

/* cmd_int - a command whose reply is an integer */
static long long cmd_int(struct fx *f, const char *fmt, const char *a, const char *b)
{
	redisReply *r = cmd(f, fmt, a, b);
	long long v;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* setup - start a private redis-server and load the script */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct timeval tv = { 0, 200000 };
	redisReply *r;

	snprintf(f->dir, sizeof(f->dir), "/tmp/rwlua.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->port = free_port();
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		spawn(f);
	for (int i = 0; i < 100 && f->c == NULL; i++) {
		usleep(50000);
		f->c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
		if (f->c && f->c->err) {
			redisFree(f->c);
			f->c = NULL;
		}
	}
	assert_non_null(f->c);
	limit_store_script_sha(f->sha);
	r = cmd(f, "SCRIPT LOAD %b", limit_store_lua, limit_store_lua_len);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, f->sha);
	freeReplyObject(r);
	*state = f;
	return 0;
}

/* teardown - stop the server by PID */
static int teardown(void **state)
{
	struct fx *f = *state;
	int st;

	if (f->c)
		redisFree(f->c);
	kill(f->pid, SIGTERM);
	waitpid(f->pid, &st, 0);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* mk - a check of lim for identity id of customer acme */
static struct limit_check mk(struct rw_limit *lim, const char *id, uint64_t cost, uint64_t burst)
{
	struct limit_check c;

	memset(&c, 0, sizeof(c));
	c.limit = lim;
	c.customer = (char *)"acme";
	c.dimension = lim->kind == LIMIT_QUOTA ? "customer" : "sasl_user";
	c.identity = (char *)id;
	c.unit = UNIT_MESSAGES;
	c.cost = cost;
	c.emission_us = HOUR_US;
	c.tolerance_us = burst * HOUR_US;
	c.cap = burst;
	c.window_end = time(NULL) + 7200;
	strcpy(c.window_id, "2030-01-01");
	return c;
}

/* run_plan - marshal, EVALSHA, parse */
static enum limit_store_rc run_plan(struct fx *f, struct limit_check *v, size_t n, int charge,
				    struct limit_result *res, int *committed)
{
	struct limit_plan plan = { v, n, charge, 0 };
	struct strvec keys = STRVEC_INIT, args = STRVEC_INIT, all = STRVEC_INIT;
	const char *err = NULL;
	enum limit_store_rc rc;
	redisReply *r;

	struct buf resp = BUF_INIT;
	char *formatted = NULL;
	int len;

	assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), 0);
	limit_store_command(f->sha, &keys, &args, &all);
	/* policyd's path builds the same bytes without the vectors */
	assert_int_equal(limit_store_resp(&plan, f->sha, &resp, &err), 0);
	len = redisFormatCommandArgv(&formatted, (int)all.n, (const char **)all.v, NULL);
	assert_int_equal((size_t)len, resp.len);
	assert_memory_equal(formatted, resp.data, resp.len);
	redisFreeCommand(formatted);
	buf_release(&resp);
	r = redisCommandArgv(f->c, (int)all.n, (const char **)all.v, NULL);
	assert_non_null(r);
	rc = limit_store_parse(r, &plan, res, committed, &err);
	if (rc != LIMIT_STORE_OK)
		assert_non_null(err);
	freeReplyObject(r);
	strvec_release(&keys);
	strvec_release(&args);
	strvec_release(&all);
	return rc;
}

/* run1 - one check; its ok */
static int run1(struct fx *f, struct limit_check c, int charge, struct limit_result *r)
{
	int committed;

	assert_int_equal(run_plan(f, &c, 1, charge, r, &committed), LIMIT_STORE_OK);
	assert_int_equal(committed, charge && r->ok);
	return r->ok;
}

/* key_of - the state key of check c into b (replaced) */
static void key_of(const struct limit_check *c, struct buf *b)
{
	buf_truncate(b, 0);
	limit_keys_state(c, b);
}

/* get_num - GET key as a number, -1 when absent */
static long long get_num(struct fx *f, const char *key)
{
	redisReply *r = cmd(f, "GET %s", key);
	long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;

	freeReplyObject(r);
	return v;
}

/* hget_num - HGET key field as a number, -1 when absent */
static long long hget_num(struct fx *f, const char *key, const char *field)
{
	redisReply *r = cmd(f, "HGET %s %s", key, field);
	long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;

	freeReplyObject(r);
	return v;
}

/* test_exact_counts - M allowed out of M+k, for a rate and for a quota */
static void test_exact_counts(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 1, 5), q = mk(&quota_lim, "acme", 1, 7);
	struct limit_result r;
	struct buf k = BUF_INIT;
	unsigned ok = 0;

	for (int i = 0; i < 8; i++) {
		ok += run1(f, c, 1, &r);
		if (i < 5)
			assert_int_equal(r.remaining, 4 - i);
	}
	assert_int_equal(ok, 5);
	assert_false(r.never_fits);
	assert_true(r.retry_after_ms > 3599000 && r.retry_after_ms <= 3600000);
	key_of(&c, &k);
	assert_true(cmd_int(f, "PTTL %s", buf_cstr(&k), NULL) > 5 * 3599000LL);
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += run1(f, q, 1, &r);
	assert_int_equal(ok, 7);
	assert_int_equal(r.remaining, 0);
	key_of(&q, &k);
	assert_int_equal(hget_num(f, buf_cstr(&k), "m"), 7);
	buf_release(&k);
}

/* test_all_or_nothing - one exhausted check: neither is charged */
static void test_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct limit_check v[2] = { mk(&rate_lim, "alice", 2, 10), mk(&quota_lim, "acme", 2, 3) };
	struct limit_result r[2];
	struct buf ka = BUF_INIT, kq = BUF_INIT;
	int committed;
	long long tat;

	key_of(&v[0], &ka);
	key_of(&v[1], &kq);
	assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
	assert_true(committed && r[0].ok && r[1].ok);
	tat = get_num(f, buf_cstr(&ka));
	assert_true(tat > 0);
	assert_int_equal(hget_num(f, buf_cstr(&kq), "m"), 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
		assert_false(committed);
		assert_true(r[0].ok);	/* had room ... */
		assert_false(r[1].ok);
		assert_int_equal(r[1].remaining, 1);
	}
	assert_int_equal(get_num(f, buf_cstr(&ka)), tat);	/* ... but was not charged */
	assert_int_equal(hget_num(f, buf_cstr(&kq), "m"), 2);
	buf_release(&ka);
	buf_release(&kq);
}

/* test_peek - peeks write nothing, and see exhaustion */
static void test_peek(void **state)
{
	struct fx *f = *state;
	struct limit_check v[2] = { mk(&rate_lim, "alice", 1, 2), mk(&quota_lim, "acme", 1, 2) };
	struct limit_result r[2];
	int committed;

	for (int i = 0; i < 5; i++) {
		assert_int_equal(run_plan(f, v, 2, 0, r, &committed), LIMIT_STORE_OK);
		assert_true(r[0].ok && r[1].ok);
		assert_false(committed);
	}
	assert_int_equal(cmd_int(f, "DBSIZE", NULL, NULL), 0);
	v[0].cost = v[1].cost = 2;
	assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
	assert_true(committed);
	assert_int_equal(cmd_int(f, "DBSIZE", NULL, NULL), 2);
	v[0].cost = v[1].cost = 1;
	assert_int_equal(run_plan(f, v, 2, 0, r, &committed), LIMIT_STORE_OK);
	assert_false(r[0].ok || r[1].ok);
}

/* set_ovr - HSET an override field on a check's override hash */
static void set_ovr(struct fx *f, const struct limit_check *c, int customer_wide,
		    const char *field, unsigned long long v)
{
	struct buf k = BUF_INIT;

	limit_keys_override(c->customer, c->limit->name, c->dimension,
			    customer_wide ? NULL : c->identity, &k);
	freeReplyObject(cmd(f, "HSET %s %s %llu", buf_cstr(&k), field, v));
	buf_release(&k);
}

/* test_overrides - raise and lower a rate without resetting state; precedence */
static void test_overrides(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 1, 2);
	struct limit_check q = mk(&quota_lim, "acme", 1, 1);
	struct limit_check d = mk(&rate_lim, "dave", 1, 1);
	struct limit_result r;

	assert_true(run1(f, c, 1, &r));
	assert_true(run1(f, c, 1, &r));
	assert_false(run1(f, c, 1, &r));
	set_ovr(f, &c, 0, "tolerance_us", 5 * HOUR_US);		/* raised: 3 more */
	assert_true(run1(f, c, 1, &r));
	assert_int_equal(r.remaining, 2);
	set_ovr(f, &c, 1, "tolerance_us", 100 * HOUR_US);	/* key wins */
	assert_true(run1(f, c, 1, &r));
	assert_int_equal(r.remaining, 1);
	set_ovr(f, &c, 0, "tolerance_us", 1 * HOUR_US);		/* lowered */
	assert_false(run1(f, c, 1, &r));
	assert_true(r.retry_after_ms > 3 * 3599000ULL);
	freeReplyObject(cmd(f, "DEL %s", "rw:v1:{acme}:ovr:user-rate:sasl_user:"
			    "2bd806c97f0e00af1a1fc3328fa763a9"));
	assert_true(run1(f, c, 1, &r));				/* customer-wide: 100 */
	set_ovr(f, &c, 1, "emission_us", 0);			/* no rate at all */
	assert_true(run1(f, mk(&rate_lim, "bob", 1000, 1), 1, &r));
	/* per field: the key's emission, the customer's tolerance (100 h) */
	set_ovr(f, &d, 0, "emission_us", HOUR_US);
	assert_true(run1(f, d, 1, &r));
	assert_int_equal(r.remaining, 99);
	/* quota caps */
	assert_true(run1(f, q, 1, &r));
	assert_false(run1(f, q, 1, &r));
	set_ovr(f, &q, 0, "cap_m", 3);
	assert_true(run1(f, q, 1, &r));
	assert_int_equal(r.remaining, 1);
	set_ovr(f, &q, 0, "cap_r", 0);	/* another unit's cap: no effect */
	assert_true(run1(f, q, 1, &r));
	assert_false(run1(f, q, 1, &r));
}

/* test_override_expiry - an override with a TTL disappears, the config returns */
static void test_override_expiry(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 1, 1);
	struct limit_result r;
	struct buf k = BUF_INIT;

	assert_true(run1(f, c, 1, &r));
	assert_false(run1(f, c, 1, &r));
	set_ovr(f, &c, 0, "tolerance_us", 10 * HOUR_US);
	limit_keys_override(c.customer, c.limit->name, c.dimension, c.identity, &k);
	assert_int_equal(cmd_int(f, "PEXPIRE %s %s", buf_cstr(&k), "200"), 1);
	assert_true(run1(f, c, 1, &r));
	usleep(400000);
	assert_int_equal(cmd_int(f, "EXISTS %s", buf_cstr(&k), NULL), 0);
	assert_false(run1(f, c, 1, &r));
	buf_release(&k);
}

/* test_blocks - identity and customer blocks refuse with their reason, charge nothing */
static void test_blocks(void **state)
{
	struct fx *f = *state;
	struct limit_check v[2] = { mk(&rate_lim, "alice", 1, 5), mk(&quota_lim, "acme", 1, 5) };
	struct limit_result r[2];
	struct buf k = BUF_INIT;
	int committed;

	limit_keys_block("acme", "sasl_user", "alice", &k);
	freeReplyObject(cmd(f, "SET %s %s", buf_cstr(&k), "compromised account"));
	assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
	assert_false(committed);
	assert_true(r[0].blocked && !r[0].ok);
	assert_string_equal(r[0].reason, "compromised account");
	assert_false(r[1].blocked);
	assert_true(r[1].ok);
	assert_int_equal(cmd_int(f, "DBSIZE", NULL, NULL), 1);	/* only the block */
	limit_result_release(&r[0]);
	limit_result_release(&r[1]);
	freeReplyObject(cmd(f, "DEL %s", buf_cstr(&k)));
	buf_truncate(&k, 0);
	limit_keys_block("acme", NULL, NULL, &k);
	freeReplyObject(cmd(f, "SET %s %s", buf_cstr(&k), "unpaid"));
	assert_int_equal(run_plan(f, v, 2, 0, r, &committed), LIMIT_STORE_OK);
	assert_true(r[0].blocked && r[1].blocked);
	assert_string_equal(r[1].reason, "unpaid");
	limit_result_release(&r[0]);
	limit_result_release(&r[1]);
	freeReplyObject(cmd(f, "DEL %s", buf_cstr(&k)));
	assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
	assert_true(committed && r[0].ok && !r[0].blocked && r[0].reason == NULL);
	buf_release(&k);
}

/* test_quota_ttl - quota hashes expire at window end + margin */
static void test_quota_ttl(void **state)
{
	struct fx *f = *state;
	struct limit_check q = mk(&quota_lim, "acme", 1, 5);
	struct limit_result r;
	struct buf k = BUF_INIT;
	long long ttl, want = 7200 + LIMIT_STORE_QUOTA_MARGIN_S;

	assert_true(run1(f, q, 1, &r));
	key_of(&q, &k);
	ttl = cmd_int(f, "TTL %s", buf_cstr(&k), NULL);
	assert_true(ttl <= want && ttl >= want - 5);
	/* a window already over (skewed clock): the margin still applies */
	q.window_end = time(NULL) - 100;
	strcpy(q.window_id, "1999-01-01");
	assert_true(run1(f, q, 1, &r));
	key_of(&q, &k);
	ttl = cmd_int(f, "TTL %s", buf_cstr(&k), NULL);
	assert_true(ttl <= LIMIT_STORE_QUOTA_MARGIN_S && ttl >= LIMIT_STORE_QUOTA_MARGIN_S - 5);
	buf_release(&k);
}

/* test_noscript - a flushed script cache is reported distinctly, reload recovers */
static void test_noscript(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 1, 5);
	struct limit_result r;

	freeReplyObject(cmd(f, "SCRIPT FLUSH"));
	assert_int_equal(run_plan(f, &c, 1, 1, &r, NULL), LIMIT_STORE_NOSCRIPT);
	freeReplyObject(cmd(f, "SCRIPT LOAD %b", limit_store_lua, limit_store_lua_len));
	assert_int_equal(run_plan(f, &c, 1, 1, &r, NULL), LIMIT_STORE_OK);
	assert_true(r.ok);
}

/* test_never_fits_retry - cost above the burst; retry-after accuracy */
static void test_never_fits_retry(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 6, 5);
	struct limit_result r;

	assert_false(run1(f, c, 1, &r));
	assert_true(r.never_fits);
	assert_int_equal(cmd_int(f, "DBSIZE", NULL, NULL), 0);
	c.cost = 1;
	c.emission_us = 2000000;
	c.tolerance_us = 2000000;
	assert_true(run1(f, c, 1, &r));
	assert_false(run1(f, c, 1, &r));
	assert_false(r.never_fits);
	assert_true(r.retry_after_ms > 1900 && r.retry_after_ms <= 2000);
	usleep((useconds_t)r.retry_after_ms * 1000 + 20000);
	assert_true(run1(f, c, 1, &r));
}

/* test_shadow - an exhausted shadow check does not stop the enforce ones */
static void test_shadow(void **state)
{
	struct fx *f = *state;
	struct limit_check v[2] = { mk(&shadow_lim, "alice", 1, 1), mk(&rate_lim, "alice", 1, 3) };
	struct limit_result r[2];
	int committed;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
		assert_int_equal(r[0].ok, i == 0);
		assert_true(r[1].ok && committed);
	}
	assert_int_equal(run_plan(f, v, 2, 1, r, &committed), LIMIT_STORE_OK);
	assert_false(r[1].ok || committed);
}

/* test_exact_concurrent - 4 clients hammering one limit of M: exactly M pass */
static void test_exact_concurrent(void **state)
{
	struct fx *f = *state;
	pid_t kids[4];
	int total = 0, st;

	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct fx mine = *f;
			struct limit_check v[2] = { mk(&rate_lim, "alice", 1, 37),
						    mk(&quota_lim, "acme", 1, 1000) };
			struct limit_result r[2];
			int n = 0, committed;

			mine.c = redisConnect("127.0.0.1", f->port);
			for (int j = 0; j < 40; j++)
				if (run_plan(&mine, v, 2, 1, r, &committed) == LIMIT_STORE_OK)
					n += committed;
			redisFree(mine.c);
			redisFree(f->c);	/* the parent's, inherited */
			_exit(n);
		}
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		total += WEXITSTATUS(st);
	}
	assert_int_equal(total, 37);
	assert_int_equal(hget_num(f, "rw:v1:{acme}:quota:daily:customer:"
				  "822b33ad87c148a0a20a5ba7cd5ebcaa:2030-01-01", "m"), 37);
}

/* test_bad_args - the script refuses a foreign protocol and a bad layout */
static void test_bad_args(void **state)
{
	struct fx *f = *state;
	struct limit_check c = mk(&rate_lim, "alice", 1, 5);
	struct limit_plan plan = { &c, 1, 1, 0 };
	struct limit_result r;
	const char *err = NULL;
	redisReply *rep;

	rep = cmd(f, "EVALSHA %s 0 1 charge 3600", f->sha);
	assert_int_equal(limit_store_parse(rep, &plan, &r, NULL, &err), LIMIT_STORE_FAIL);
	assert_non_null(strstr(err, "protocol"));
	freeReplyObject(rep);
	rep = cmd(f, "EVALSHA %s 1 k 2 charge 3600", f->sha);
	assert_int_equal(limit_store_parse(rep, &plan, &r, NULL, &err), LIMIT_STORE_FAIL);
	assert_non_null(strstr(err, "arguments"));
	freeReplyObject(rep);
}

/* send_resp - a command already in RESP; its reply (caller frees) */
static redisReply *send_resp(struct fx *f, const char *resp, size_t len)
{
	void *r = NULL;

	assert_int_equal(redisAppendFormattedCommand(f->c, resp, len), REDIS_OK);
	assert_int_equal(redisGetReply(f->c, &r), REDIS_OK);
	assert_non_null(r);
	return r;
}

/*
 * test_refund - a charge's late reply gives the refund that undoes it
 * (policyd: the reply came after the message was deferred): the rate and
 * the quota it charged are back where they were, the shadow check it did
 * not charge is left alone; an uncommitted charge gives no refund.
 */
static void test_refund(void **state)
{
	struct fx *f = *state;
	struct limit_check v[3] = { mk(&rate_lim, "alice", 1, 3), mk(&quota_lim, "acme", 2, 10),
				    mk(&shadow_lim, "alice", 1, 1) };
	struct limit_plan plan = { v, 3, 1, 0 };
	struct limit_result res[3];
	struct buf charge = BUF_INIT, refund = BUF_INIT, rk = BUF_INIT, qk = BUF_INIT, sk = BUF_INIT;
	const char *err = NULL;
	long long shadow_tat;
	redisReply *r;
	int committed;

	key_of(&v[0], &rk);
	key_of(&v[1], &qk);
	key_of(&v[2], &sk);
	assert_true(run1(f, v[2], 1, &res[2]));	/* the shadow check is full now */
	shadow_tat = get_num(f, buf_cstr(&sk));
	assert_true(run1(f, v[0], 1, &res[0]));	/* alice used one of 3 */
	assert_int_equal(limit_store_resp(&plan, f->sha, &charge, &err), 0);
	r = send_resp(f, charge.data, charge.len);
	assert_int_equal(limit_store_parse(r, &plan, res, &committed, &err), LIMIT_STORE_OK);
	assert_true(committed && res[0].ok && res[1].ok && !res[2].ok);
	assert_int_equal(res[0].remaining, 1);
	assert_int_equal(hget_num(f, buf_cstr(&qk), "m"), 2);
	assert_int_equal(limit_store_refund(r, charge.data, charge.len, &refund), 1);
	for (size_t i = 0; i < 3; i++)
		limit_result_release(&res[i]);
	freeReplyObject(r);
	r = send_resp(f, refund.data, refund.len);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 2);
	freeReplyObject(r);
	assert_int_equal(hget_num(f, buf_cstr(&qk), "m"), 0);
	assert_int_equal(get_num(f, buf_cstr(&sk)), shadow_tat);
	/* alice has 2 of 3 left again: the same charge gives the same answer */
	r = send_resp(f, charge.data, charge.len);
	assert_int_equal(limit_store_parse(r, &plan, res, &committed, &err), LIMIT_STORE_OK);
	assert_true(committed);
	assert_int_equal(res[0].remaining, 1);
	for (size_t i = 0; i < 3; i++)
		limit_result_release(&res[i]);
	freeReplyObject(r);
	/* one more fits (a refund again); a cost of 3 does not commit: nothing to refund */
	r = send_resp(f, charge.data, charge.len);
	buf_truncate(&refund, 0);
	assert_int_equal(limit_store_refund(r, charge.data, charge.len, &refund), 1);
	freeReplyObject(r);
	v[0].cost = 3;
	buf_truncate(&charge, 0);
	assert_int_equal(limit_store_resp(&plan, f->sha, &charge, &err), 0);
	r = send_resp(f, charge.data, charge.len);
	buf_truncate(&refund, 0);
	assert_int_equal(limit_store_refund(r, charge.data, charge.len, &refund), 0);
	assert_int_equal(refund.len, 0);
	/* a reply or a command that is not a charge's: -1 */
	assert_int_equal(limit_store_refund(r, "*1\r\n$4\r\nPING\r\n", 14, &refund), -1);
	freeReplyObject(r);
	r = cmd(f, "PING");
	assert_int_equal(limit_store_refund(r, charge.data, charge.len, &refund), -1);
	freeReplyObject(r);
	buf_release(&charge);
	buf_release(&refund);
	buf_release(&rk);
	buf_release(&qk);
	buf_release(&sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_exact_counts),
		T(test_all_or_nothing),
		T(test_peek),
		T(test_overrides),
		T(test_override_expiry),
		T(test_blocks),
		T(test_quota_ttl),
		T(test_noscript),
		T(test_never_fits_retry),
		T(test_shadow),
		T(test_exact_concurrent),
		T(test_bad_args),
		T(test_refund),
#undef T
	};

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		printf("SKIP: redis-server not installed\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
