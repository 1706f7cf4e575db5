/* redis_async - pipelined Redis client on libevent; see redis.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"
#include "core/redis/redis.h"
#include "core/redis/redis_int.h"

/* redis_table_slot - the chain head for id */
static struct redis_req **redis_table_slot(const struct redis_async *c,
					   uint64_t id)
{
	return &c->table[id & (c->tsize - 1)];
}

/* redis_table_grow - double the buckets */
static void redis_table_grow(struct redis_async *c)
{
	struct redis_req **old = c->table;
	size_t oldsize = c->tsize;

	c->tsize *= 2;
	c->table = rw_calloc(c->tsize, sizeof(*c->table));
	for (size_t i = 0; i < oldsize; i++) {
		while (old[i]) {
			struct redis_req *r = old[i], **slot;

			old[i] = r->hnext;
			slot = redis_table_slot(c, r->id);
			r->hnext = *slot;
			*slot = r;
		}
	}
	free(old);
}

/* redis_table_find - the pending request with id, or NULL */
static struct redis_req *redis_table_find(const struct redis_async *c,
					  uint64_t id)
{
	struct redis_req *r = *redis_table_slot(c, id);

	while (r && r->id != id)
		r = r->hnext;
	return r;
}

/* redis_table_remove - unlink r */
static void redis_table_remove(struct redis_async *c, struct redis_req *r)
{
	struct redis_req **pp = redis_table_slot(c, r->id);

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	c->count--;
}

/* redis_wait_unlink - take r off the waiting list (if it is on it) */
static void redis_wait_unlink(struct redis_req *r)
{
	if (r->wprev == NULL)
		return;
	if ((*r->wprev = r->wnext) != NULL)
		r->wnext->wprev = r->wprev;
	r->wprev = NULL;
	r->wnext = NULL;
}

/* redis_req_release - free r, which is out of the table, without calling back */
static void redis_req_release(struct redis_req *r)
{
	redis_wait_unlink(r);
	event_free(r->timer);
	if (r->cmd)
		redisFreeCommand(r->cmd);
	free(r);
}

/* redis_req_free - unlink and free without calling back */
static void redis_req_free(struct redis_req *r)
{
	redis_table_remove(r->client, r);
	redis_req_release(r);
}

/* redis_req_end - r is out of the table: free it, then call back (once) */
static void redis_req_end(struct redis_req *r, enum redis_status st, const redisReply *reply)
{
	redis_cb *cb = r->cb;
	void *arg = r->arg;

	metrics_redis((int)st, now_mono_us() - r->started_us);
	redis_req_release(r);
	cb(st, reply, arg);
}

/* redis_req_finish - unlink and free the request, then call back (once) */
void redis_req_finish(struct redis_req *r, enum redis_status st,
			     const redisReply *reply)
{
	redis_table_remove(r->client, r);
	redis_req_end(r, st, reply);
}

/* redis_req_sent - r went to a connection (not waiting for one, not failed early) */
static int redis_req_sent(const struct redis_req *r)
{
	return r->wprev == NULL && r->early == REDIS_ST_OK;
}

/* redis_req_go_late - its caller is done with r; only the late callback waits for the reply */
static void redis_req_go_late(struct redis_req *r)
{
	r->is_late = 1;
	r->cb = NULL;
	r->arg = NULL;
	evtimer_del(r->timer);
	r->client->late++;
}

/* redis_req_late_finish - the reply (or the loss) for a late request; then free it */
static void redis_req_late_finish(struct redis_req *r, enum redis_status st,
				  const redisReply *reply)
{
	r->client->late--;
	r->late(st, reply, r->cmd, r->cmdlen, r->late_arg);
	redis_req_free(r);
}

/* redis_req_deadline - timer: the deadline passed, or an early failure */
static void redis_req_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct redis_req *r = arg;
	redis_cb *cb = r->cb;
	void *cb_arg = r->arg;

	(void)fd, (void)what;
	if (r->late == NULL || !redis_req_sent(r)) {
		redis_req_finish(r, r->early != REDIS_ST_OK ? r->early : REDIS_ST_TIMEOUT, NULL);
		return;
	}
	metrics_redis((int)REDIS_ST_TIMEOUT, now_mono_us() - r->started_us);
	redis_req_go_late(r);
	cb(REDIS_ST_TIMEOUT, NULL, cb_arg);
}

/* redis_req_new - a pending request with its deadline armed */
static struct redis_req *redis_req_new(struct redis_async *c, redis_cb *cb,
				       void *arg)
{
	struct redis_req *r = rw_calloc(1, sizeof(*r)), **slot;
	struct timeval tv = redis_ms_tv(c->set.timeout_ms);

	if (c->count >= c->tsize)
		redis_table_grow(c);
	r->id = ++c->next_id;
	r->started_us = now_mono_us();
	r->client = c;
	r->cb = cb;
	r->arg = arg;
	r->timer = evtimer_new(c->base, redis_req_deadline, r);
	if (!r->timer)
		abort();	/* libevent out of memory */
	evtimer_add(r->timer, &tv);
	slot = redis_table_slot(c, r->id);
	r->hnext = *slot;
	*slot = r;
	c->count++;
	return r;
}

/* redis_req_fail_soon - deliver st from the loop, not from the caller */
static void redis_req_fail_soon(struct redis_req *r, enum redis_status st)
{
	struct timeval now = { 0, 0 };

	r->early = st;
	evtimer_del(r->timer);
	evtimer_add(r->timer, &now);
}

/* redis_id_ptr - a request id as hiredis privdata (never dereferenced) */
static void *redis_id_ptr(uint64_t id)
{
	return (void *)(uintptr_t)id;
}

static void redis_req_reply(redisAsyncContext *ac, void *reply, void *priv);

/* redis_conn_send - one formatted command for r on conn; 0 or -1 */
static int redis_conn_send(struct redis_conn *conn, struct redis_req *r,
			   const char *cmd, size_t len)
{
	if (redisAsyncFormattedCommand(conn->ac, redis_req_reply,
				       redis_id_ptr(r->id), cmd, len) != REDIS_OK)
		return -1;
	conn->pending++;
	return 0;
}

/* redis_conn_load - SCRIPT LOAD for r after NOSCRIPT; 0 or -1 */
static int redis_conn_load(struct redis_conn *conn, struct redis_req *r)
{
	const char *argv[3] = { "SCRIPT", "LOAD", r->script->text };
	size_t lens[3] = { 6, 4, r->script->len };

	if (redisAsyncCommandArgv(conn->ac, redis_req_reply, redis_id_ptr(r->id),
				  3, argv, lens) != REDIS_OK)
		return -1;
	conn->pending++;
	return 0;
}

/* redis_req_step - advance an EVALSHA request; 1 if it was consumed */
static int redis_req_step(struct redis_conn *conn, struct redis_req *r,
			  const redisReply *reply)
{
	int rc;

	if (r->phase == REQ_EVAL && redis_reply_error_is(reply, "NOSCRIPT")) {
		r->phase = REQ_LOAD;
		rc = conn->ac ? redis_conn_load(conn, r) : -1;
	} else if (r->phase == REQ_LOAD && reply->type != REDIS_REPLY_ERROR) {
		r->phase = REQ_RETRY;
		rc = conn->ac ? redis_conn_send(conn, r, r->cmd, r->cmdlen) : -1;
	} else {
		return 0;
	}
	if (rc < 0)
		redis_req_finish(r, REDIS_ST_DISCONNECTED, NULL);
	return 1;
}

/* redis_req_reply - hiredis callback for every request command */
static void redis_req_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_conn *conn = ac->data;
	struct redis_async *c = conn->client;
	struct redis_req *r;
	const redisReply *rep = reply;

	if (conn->ac == ac && conn->pending > 0)
		conn->pending--;
	if (!rep && conn->ac == ac)
		conn->state = CONN_DOWN;	/* hiredis is closing it */
	r = redis_table_find(c, (uint64_t)(uintptr_t)priv);
	if (!r)
		return;		/* late reply: timed out or cancelled */
	if (r->is_late) {
		redis_req_late_finish(r, rep ? redis_reply_status(rep) : REDIS_ST_DISCONNECTED, rep);
		return;
	}
	if (!rep) {
		redis_req_finish(r, REDIS_ST_DISCONNECTED, NULL);
		return;
	}
	if (conn->ac == ac && redis_req_step(conn, r, rep))
		return;
	redis_req_finish(r, redis_reply_status(rep), rep);
	if (redis_reply_error_is(rep, "READONLY") && conn->ac == ac)
		redis_conn_readonly(c);
}

/* redis_conn_pick - the up connection with the fewest replies outstanding */
static struct redis_conn *redis_conn_pick(struct redis_async *c)
{
	struct redis_conn *best = NULL;

	for (unsigned i = 0; i < c->nconns; i++) {
		struct redis_conn *conn = &c->conns[(c->rr + i) % c->nconns];

		if (conn->state == CONN_UP &&
		    (!best || conn->pending < best->pending))
			best = conn;
	}
	c->rr++;
	return best;
}

/*
 * redis_conn_coming - a connection is being made: connecting, or not yet
 * tried (the pool starts from the loop). A command issued then waits for
 * it: the first requests after start (or while a dropped connection is
 * re-made) are not failures of the store.
 */
static int redis_conn_coming(const struct redis_async *c)
{
	for (unsigned i = 0; i < c->nconns; i++) {
		const struct redis_conn *conn = &c->conns[i];

		if (conn->state == CONN_CONNECTING || (conn->state == CONN_WAIT && !conn->attempted))
			return 1;
	}
	return 0;
}

/* redis_client_issue - register and send r->cmd (or wait for a connection); the request id */
static uint64_t redis_client_issue(struct redis_async *c, struct redis_req *r)
{
	struct redis_conn *conn = redis_conn_pick(c);

	if (conn == NULL && redis_conn_coming(c)) {
		r->wprev = &c->waiting;		/* its deadline runs meanwhile */
		if ((r->wnext = c->waiting) != NULL)
			c->waiting->wprev = &r->wnext;
		c->waiting = r;
	} else if (!conn || redis_conn_send(conn, r, r->cmd, r->cmdlen) < 0) {
		redis_req_fail_soon(r, REDIS_ST_DISCONNECTED);
	}
	return r->id;
}

/* redis_async_conn_changed - see redis_int.h */
void redis_async_conn_changed(struct redis_async *c)
{
	while (c->waiting != NULL && !c->freeing) {
		struct redis_req *r = c->waiting;
		struct redis_conn *conn = redis_conn_pick(c);

		if (conn == NULL && redis_conn_coming(c))
			return;		/* keep waiting */
		redis_wait_unlink(r);
		if (!conn || redis_conn_send(conn, r, r->cmd, r->cmdlen) < 0)
			redis_req_fail_soon(r, REDIS_ST_DISCONNECTED);
	}
}

/* redis_async_command - see redis.h */
uint64_t redis_async_command(struct redis_async *c, int argc,
			     const char **argv, const size_t *argvlen,
			     redis_cb *cb, void *arg)
{
	struct redis_req *r;
	char *cmd = NULL;
	int len;

	if (c->freeing)
		return 0;
	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	if (len < 0)
		abort();	/* hiredis out of memory */
	r = redis_req_new(c, cb, arg);
	r->cmd = cmd;		/* freed with the request */
	r->cmdlen = (size_t)len;
	return redis_client_issue(c, r);
}

/* redis_async_evalsha - see redis.h */
uint64_t redis_async_evalsha(struct redis_async *c,
			     const struct redis_script *s, int nkeys,
			     int argc, const char **argv, const size_t *argvlen,
			     redis_cb *cb, void *arg)
{
	char *cmd = NULL;
	long len;

	if (c->freeing)
		return 0;
	len = redis_format_evalsha(s, nkeys, argc, argv, argvlen, &cmd);
	if (len < 0)
		abort();	/* negative counts: a programming error */
	return redis_async_evalsha_resp(c, s, cmd, (size_t)len, cb, arg);
}

/* redis_async_evalsha_resp - see redis.h */
uint64_t redis_async_evalsha_resp(struct redis_async *c, const struct redis_script *s,
				  char *cmd, size_t len, redis_cb *cb, void *arg)
{
	struct redis_req *r;

	if (c->freeing) {
		free(cmd);
		return 0;
	}
	r = redis_req_new(c, cb, arg);
	r->phase = REQ_EVAL;
	r->script = s;
	r->cmd = cmd;
	r->cmdlen = len;
	return redis_client_issue(c, r);
}

/* redis_async_cancel - forget the request; its reply will be dropped */
int redis_async_cancel(struct redis_async *c, uint64_t id)
{
	struct redis_req *r = redis_table_find(c, id);

	if (!r || r->is_late)
		return -1;
	if (r->late != NULL && redis_req_sent(r))
		redis_req_go_late(r);
	else
		redis_req_free(r);
	return 0;
}

/* redis_async_keep_late - see redis.h */
int redis_async_keep_late(struct redis_async *c, uint64_t id, redis_late_cb *late, void *arg)
{
	struct redis_req *r = redis_table_find(c, id);

	if (!r || r->is_late)
		return -1;
	r->late = late;
	r->late_arg = arg;
	return 0;
}

/* redis_async_connected - connections taking commands */
unsigned redis_async_connected(const struct redis_async *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nconns; i++)
		n += c->conns[i].state == CONN_UP;
	return n;
}

/* redis_async_pending - callbacks still to run */
size_t redis_async_pending(const struct redis_async *c)
{
	return c->count - c->late;
}

/* redis_async_new - check settings, start connecting from the loop */
struct redis_async *redis_async_new(struct event_base *base,
				    const struct redis_settings *s,
				    struct buf *err)
{
	struct redis_async *c;
	const char *e;

	if (redis_settings_check(s, &e) < 0) {
		buf_puts(err, e);
		return NULL;
	}
	c = rw_calloc(1, sizeof(*c));
	c->base = base;
	c->discover_failed_ms = -1000000000LL;	/* long ago */
	redis_settings_copy(&c->set, s);
	c->tsize = 64;
	c->table = rw_calloc(c->tsize, sizeof(*c->table));
	c->nconns = s->connections;
	c->conns = rw_calloc(c->nconns, sizeof(*c->conns));
	for (unsigned i = 0; i < c->nconns; i++)
		redis_conn_start(&c->conns[i], c);
	return c;
}

/* redis_async_free - fail what is pending, close, free */
void redis_async_free(struct redis_async **cp)
{
	struct redis_async *c = *cp;

	if (!c)
		return;
	c->freeing = 1;
	for (unsigned i = 0; i < c->nconns; i++)
		redis_conn_close(&c->conns[i]);
	for (size_t i = 0; i < c->tsize; i++)
		while (c->table[i] != NULL) {
			struct redis_req *r = c->table[i];

			/* out of the table before its callback runs: it may cancel others */
			c->table[i] = r->hnext;
			c->count--;
			if (r->is_late) {
				c->late--;
				r->late(REDIS_ST_DISCONNECTED, NULL, r->cmd, r->cmdlen, r->late_arg);
				redis_req_release(r);
			} else {
				redis_req_end(r, REDIS_ST_DISCONNECTED, NULL);
			}
		}
	free(c->table);
	free(c->conns);
	redis_addr_release(&c->target);
	redis_settings_release(&c->set);
	free(c);
	*cp = NULL;
}
