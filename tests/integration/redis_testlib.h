/*
 * redis_testlib - what the Redis integration tests share.
 *
 * Processes: private redis-server / redis-sentinel processes on loopback,
 * free ports, a temp directory each, no persistence, killed with the test
 * process (PR_SET_PDEATHSIG) if it dies first. Client helpers: run
 * test_base's loop for bounded times and record callback results. Every
 * wait is bounded; helpers that cannot go on fail the cmocka test.
 */
#ifndef RW_TEST_REDIS_TESTLIB_H
#define RW_TEST_REDIS_TESTLIB_H

#include <stddef.h>
#include <sys/types.h>

#include "core/redis/redis.h"

struct rsrv {
	pid_t pid;		/* 0 when not running */
	int port;
	char dir[64];		/* temp dir, "" when none */
};

/* rsrv_available - redis-server and redis-sentinel are on PATH */
int rsrv_available(void);
/* rsrv_free_port - a loopback TCP port nobody listens on (racy but fine) */
int rsrv_free_port(void);
/* rsrv_redis_start - redis-server on s->port (0: pick); replica of
 * 127.0.0.1:master_port if master_port > 0; 0 when it answers PING */
int rsrv_redis_start(struct rsrv *s, int master_port);
/* rsrv_sentinel_start - redis-sentinel watching 127.0.0.1:master_port as
 * "mymaster" (quorum 1, down-after 500 ms, failover-timeout 2000 ms) */
int rsrv_sentinel_start(struct rsrv *s, int master_port);
/* rsrv_kill - SIGKILL and reap; the port and dir are kept for a restart */
void rsrv_kill(struct rsrv *s);
/* rsrv_destroy - kill and remove the temp dir */
void rsrv_destroy(struct rsrv *s);
/* rsrv_wait_ping - PING answers within max_ms; 0 or -1 */
int rsrv_wait_ping(int port, unsigned max_ms);
/* rsrv_now_ms - monotonic clock, for bounded loops */
long long rsrv_now_ms(void);

/* The loop the async clients run on (the test creates it). */
extern struct event_base *test_base;

/* One callback's outcome, the borrowed reply copied. */
struct res {
	int calls;
	enum redis_status st;
	int type;
	long long integer;
	char str[128];		/* str, or element[1] of a 2-array */
};

void res_cb(enum redis_status st, const redisReply *r, void *arg);
/* pump - run test_base for about ms */
void pump(unsigned ms);
/* wait_calls - pump until *calls >= n, at most max_ms; 0 if reached */
int wait_calls(const int *calls, int n, unsigned max_ms);
/* wait_connected - pump until n pool connections are up; 0 if reached */
int wait_connected(struct redis_async *c, unsigned n, unsigned max_ms);
/* settings_port - defaults plus one server 127.0.0.1:port */
void settings_port(struct redis_settings *s, int port, unsigned conns,
		   unsigned timeout_ms);
/* new_async - an async client on test_base with all conns up */
struct redis_async *new_async(int port, unsigned conns, unsigned tmo);
struct redis_sync *new_sync(int port, unsigned tmo);
/* acmd - one async command, waited for; never called back synchronously */
void acmd(struct redis_async *c, struct res *res, int argc, const char **argv);
/* scmd - one sync command; the reply's string (or "") into out */
enum redis_status scmd(struct redis_sync *c, int argc, const char **argv,
		       char *out, size_t outlen);

#endif
