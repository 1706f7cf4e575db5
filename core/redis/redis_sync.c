/* redis_sync - the blocking Redis client (CLI, milter threads); see redis.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"
#include "core/redis/redis.h"
#include "core/redis/redis_int.h"

struct redis_sync {
	struct redis_settings set;
	redisContext *ctx;
	size_t server_idx;	/* servers mode: the one tried first */
	struct buf error;
	int connected_before;	/* the next connection is a reconnect */
	int late;		/* the last command timed out; its reply may still come */
};

/* redis_sync_new - check and copy the settings */
struct redis_sync *redis_sync_new(const struct redis_settings *s,
				  struct buf *err)
{
	struct redis_sync *c;
	const char *e;

	if (redis_settings_check(s, &e) < 0) {
		buf_puts(err, e);
		return NULL;
	}
	c = rw_calloc(1, sizeof(*c));
	redis_settings_copy(&c->set, s);
	return c;
}

/* redis_sync_drop - close the connection */
static void redis_sync_drop(struct redis_sync *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
}

/* redis_sync_free - close and free */
void redis_sync_free(struct redis_sync **cp)
{
	struct redis_sync *c = *cp;

	if (!c)
		return;
	redis_sync_drop(c);
	redis_settings_release(&c->set);
	buf_release(&c->error);
	free(c);
	*cp = NULL;
}

/* redis_sync_error - the last failure */
const char *redis_sync_error(const struct redis_sync *c)
{
	return buf_cstr(&c->error);
}

/* redis_sync_step - one handshake command; 0 if it succeeded */
static int redis_sync_step(struct redis_sync *c, redisContext *ctx, int argc,
			   const char **argv, int want_master)
{
	redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
	int ok = r && r->type != REDIS_REPLY_ERROR &&
		 (!want_master || redis_role_is_master(r));

	if (!ok)
		buf_printf(&c->error, "%s: %s", argv[0],
			   !r ? ctx->errstr : r->type == REDIS_REPLY_ERROR
			   ? r->str : "not a master");
	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

/* redis_sync_handshake - AUTH, SELECT, ROLE */
static int redis_sync_handshake(struct redis_sync *c, redisContext *ctx)
{
	const char *auth[2] = { "AUTH", c->set.password };
	const char *select[2] = { "SELECT", NULL };
	const char *role[1] = { "ROLE" };
	struct buf db = BUF_INIT;
	int rc = 0;

	if (c->set.password && redis_sync_step(c, ctx, 2, auth, 0) < 0)
		return -1;
	if (c->set.database > 0) {
		buf_printf(&db, "%u", c->set.database);
		select[1] = db.data;
		rc = redis_sync_step(c, ctx, 2, select, 0);
		buf_release(&db);
	}
	return rc < 0 ? -1 : redis_sync_step(c, ctx, 1, role, 1);
}

/* redis_sync_try - connect to one address and shake hands */
static int redis_sync_try(struct redis_sync *c, const struct redis_addr *a)
{
	redisContext *ctx = redis_sync_connect_addr(a, c->set.connect_timeout_ms,
						    c->set.timeout_ms, &c->error);

	if (!ctx)
		return -1;
	buf_truncate(&c->error, 0);
	if (redis_sync_handshake(c, ctx) < 0) {
		buf_puts(&c->error, " at ");
		redis_addr_format(a, &c->error);
		redisFree(ctx);
		return -1;
	}
	c->ctx = ctx;
	if (c->connected_before)
		metrics_count(MC_REDIS_RECONNECTS);
	c->connected_before = 1;
	return 0;
}

/* redis_sync_connect_servers - each server once, the last good one first */
static int redis_sync_connect_servers(struct redis_sync *c)
{
	struct redis_addr a;
	const char *e;

	for (size_t i = 0; i < c->set.servers.n; i++) {
		size_t k = (c->server_idx + i) % c->set.servers.n;
		int rc;

		if (redis_addr_parse(c->set.servers.v[k], REDIS_DEFAULT_PORT,
				     &a, &e) < 0)
			continue;	/* checked at _new: cannot happen */
		rc = redis_sync_try(c, &a);
		redis_addr_release(&a);
		if (rc == 0) {
			c->server_idx = k;
			return 0;
		}
	}
	return -1;
}

/* redis_sync_connect - servers or Sentinel; 0 or -1 with c->error */
static int redis_sync_connect(struct redis_sync *c)
{
	struct redis_addr a = { NULL, 0, NULL };
	int rc;

	buf_truncate(&c->error, 0);
	if (c->set.sentinels.n == 0)
		return redis_sync_connect_servers(c);
	if (redis_discover(&c->set, &a, &c->error) < 0)
		return -1;
	rc = redis_sync_try(c, &a);
	redis_addr_release(&a);
	return rc;
}

/* redis_sync_alive - the idle connection was not closed by the server */
static int redis_sync_alive(redisContext *ctx)
{
	char b;
	ssize_t n = recv(ctx->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/*
 * redis_sync_io_failed - record why; TIMEOUT (the connection is kept for
 * redis_sync_late, and closed by the next command) or DISCONNECTED (closed)
 */
static enum redis_status redis_sync_io_failed(struct redis_sync *c, int saved)
{
	int timeout = c->ctx->err == REDIS_ERR_IO &&
		      (saved == EAGAIN || saved == EWOULDBLOCK);

	buf_truncate(&c->error, 0);
	buf_puts(&c->error, timeout ? "timeout" : c->ctx->errstr);
	if (!timeout) {
		redis_sync_drop(c);
		return REDIS_ST_DISCONNECTED;
	}
	c->late = 1;
	return REDIS_ST_TIMEOUT;
}

/* redis_sync_late - see redis.h */
enum redis_status redis_sync_late(struct redis_sync *c, unsigned wait_ms, redisReply **reply_r)
{
	void *r = NULL;
	int ok;

	*reply_r = NULL;
	if (!c->late || !c->ctx)
		return REDIS_ST_DISCONNECTED;
	c->late = 0;
	c->ctx->err = 0;	/* the timeout: hiredis reads no more until it is cleared */
	c->ctx->errstr[0] = '\0';
	ok = redisSetTimeout(c->ctx, redis_ms_tv(wait_ms)) == REDIS_OK &&
	     redisGetReply(c->ctx, &r) == REDIS_OK && r != NULL &&
	     redisSetTimeout(c->ctx, redis_ms_tv(c->set.timeout_ms)) == REDIS_OK;
	if (!ok) {
		if (r != NULL)
			freeReplyObject(r);
		redis_sync_drop(c);
		return REDIS_ST_TIMEOUT;
	}
	*reply_r = r;
	return redis_reply_status(r);
}

/* redis_sync_run - one formatted command, one retry on a fresh connection */
static enum redis_status redis_sync_run(struct redis_sync *c, const char *cmd,
					size_t len, redisReply **reply_r)
{
	enum redis_status st = REDIS_ST_DISCONNECTED;
	void *r = NULL;

	*reply_r = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->ctx && (c->late || !redis_sync_alive(c->ctx)))
			redis_sync_drop(c);	/* never read a stale reply as this one's */
		c->late = 0;
		if (!c->ctx && redis_sync_connect(c) < 0)
			return REDIS_ST_DISCONNECTED;
		errno = 0;
		if (redisAppendFormattedCommand(c->ctx, cmd, len) != REDIS_OK ||
		    redisGetReply(c->ctx, &r) != REDIS_OK) {
			st = redis_sync_io_failed(c, errno);
			if (st == REDIS_ST_TIMEOUT)
				return st;
			continue;
		}
		buf_truncate(&c->error, 0);
		if (attempt == 0 && redis_reply_error_is(r, "READONLY")) {
			freeReplyObject(r);
			redis_sync_drop(c);	/* a demoted master: rediscover */
			continue;
		}
		*reply_r = r;
		return redis_reply_status(r);
	}
	return st;
}

/* redis_sync_exec - redis_sync_run, timed for the metrics */
static enum redis_status redis_sync_exec(struct redis_sync *c, const char *cmd,
					 size_t len, redisReply **reply_r)
{
	uint64_t start = now_mono_us();
	enum redis_status st = redis_sync_run(c, cmd, len, reply_r);

	metrics_redis((int)st, now_mono_us() - start);
	return st;
}

/* redis_sync_command - format and run */
enum redis_status redis_sync_command(struct redis_sync *c, int argc,
				     const char **argv, const size_t *argvlen,
				     redisReply **reply_r)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	enum redis_status st;

	if (len < 0)
		abort();	/* hiredis out of memory */
	st = redis_sync_exec(c, cmd, (size_t)len, reply_r);
	redisFreeCommand(cmd);
	return st;
}

/* redis_sync_load - SCRIPT LOAD; OK or the failure with its reply */
static enum redis_status redis_sync_load(struct redis_sync *c,
					 const struct redis_script *s,
					 redisReply **reply_r)
{
	const char *argv[3] = { "SCRIPT", "LOAD", s->text };
	size_t lens[3] = { 6, 4, s->len };
	enum redis_status st = redis_sync_command(c, 3, argv, lens, reply_r);

	if (st == REDIS_ST_OK) {
		freeReplyObject(*reply_r);
		*reply_r = NULL;
	}
	return st;
}

/* redis_sync_evalsha_resp - EVALSHA in RESP, on NOSCRIPT load and try once more */
enum redis_status redis_sync_evalsha_resp(struct redis_sync *c, const struct redis_script *s,
					  const char *cmd, size_t len, redisReply **reply_r)
{
	enum redis_status st = redis_sync_exec(c, cmd, len, reply_r);

	if (st == REDIS_ST_NOSCRIPT) {
		freeReplyObject(*reply_r);
		*reply_r = NULL;
		st = redis_sync_load(c, s, reply_r);
		if (st == REDIS_ST_OK)
			st = redis_sync_exec(c, cmd, len, reply_r);
	}
	return st;
}

/* redis_sync_evalsha - format, then redis_sync_evalsha_resp */
enum redis_status redis_sync_evalsha(struct redis_sync *c,
				     const struct redis_script *s, int nkeys,
				     int argc, const char **argv,
				     const size_t *argvlen, redisReply **reply_r)
{
	char *cmd = NULL;
	long len = redis_format_evalsha(s, nkeys, argc, argv, argvlen, &cmd);
	enum redis_status st;

	if (len < 0)
		abort();	/* hiredis out of memory */
	st = redis_sync_evalsha_resp(c, s, cmd, (size_t)len, reply_r);
	redisFreeCommand(cmd);
	return st;
}
