/* redis_conn - the async client's connections: connect, handshake, backoff */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"
#include "core/redis/redis.h"
#include "core/redis/redis_int.h"

static void redis_conn_backoff(struct redis_conn *conn);

/* redis_conn_target_lost - the current target failed: next / rediscover */
static void redis_conn_target_lost(struct redis_async *c,
				     const struct redis_conn *conn)
{
	if (conn->gen != c->target_gen)
		return;		/* an older target: already moved on */
	if (c->set.sentinels.n > 0) {
		c->rediscover = 1;
	} else {
		c->server_idx = (c->server_idx + 1) % c->set.servers.n;
		c->have_target = 0;
	}
	c->target_gen++;	/* the other connections' failures are old news */
}

/* redis_conn_target - the address to connect to; 0 or -1 */
static int redis_conn_target(struct redis_async *c)
{
	struct redis_addr a = { NULL, 0, NULL };
	struct buf msg = BUF_INIT;
	const char *e;

	if (c->have_target && !c->rediscover)
		return 0;
	if (c->set.sentinels.n == 0) {
		if (redis_addr_parse(c->set.servers.v[c->server_idx],
				     REDIS_DEFAULT_PORT, &a, &e) < 0)
			abort();	/* checked in redis_async_new */
	} else if ((long long)now_mono_ms() - c->discover_failed_ms <
		   (long long)c->set.backoff_min_ms) {
		return -1;	/* one failed round per backoff step is enough */
	} else if (redis_discover(&c->set, &a, &msg) < 0) {
		log_warn("redis sentinel discovery failed: %s", buf_cstr(&msg));
		buf_release(&msg);
		c->discover_failed_ms = (long long)now_mono_ms();
		return -1;
	} else {
		redis_addr_format(&a, &msg);
		log_info("redis sentinel master=%s addr=%s", c->set.master_name,
			 buf_cstr(&msg));
		buf_release(&msg);
	}
	redis_addr_release(&c->target);
	c->target = a;
	c->have_target = 1;
	c->rediscover = 0;
	c->target_gen++;
	return 0;
}

/* redis_conn_drop - close our side; outstanding requests get DISCONNECTED */
static void redis_conn_drop(struct redis_conn *conn)
{
	redisAsyncContext *ac = conn->ac;

	conn->ac = NULL;
	conn->state = CONN_DOWN;
	conn->pending = conn->handshake = 0;
	evtimer_del(conn->timer);
	if (ac)
		redisAsyncFree(ac);	/* deferred by hiredis inside its callbacks */
}

/* redis_conn_fail - drop a connection that failed, then back off */
static void redis_conn_fail(struct redis_conn *conn, const char *why)
{
	struct redis_async *c = conn->client;
	struct buf a = BUF_INIT;

	redis_addr_format(&c->target, &a);
	log_msg(conn->backoff_ms <= c->set.backoff_min_ms ? LOG_L_WARN : LOG_L_DEBUG,
		"redis connection failed addr=%s reason=\"%s\"", buf_cstr(&a), why);
	buf_release(&a);
	/* servers mode: a connection that was up retries the same server */
	if (!conn->established || c->set.sentinels.n > 0)
		redis_conn_target_lost(c, conn);
	conn->established = 0;
	redis_conn_drop(conn);
	redis_conn_backoff(conn);
	redis_async_conn_changed(c);
}

/* redis_conn_lost - hiredis is freeing the context itself */
static void redis_conn_lost(struct redis_conn *conn, const char *why)
{
	conn->ac = NULL;	/* hiredis frees it: never free it here */
	if (!conn->client->freeing)
		redis_conn_fail(conn, why && *why ? why : "closed");
}

/* redis_conn_on_connect - hiredis: TCP connect finished */
static void redis_conn_on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_conn *conn = ac->data;

	if (status != REDIS_OK && conn->ac == ac)
		redis_conn_lost(conn, ac->errstr);
}

/* redis_conn_on_disconnect - hiredis: an established connection ended */
static void redis_conn_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_conn *conn = ac->data;

	(void)status;
	if (conn->ac == ac)
		redis_conn_lost(conn, ac->errstr);
}

/* redis_conn_hs_reply - AUTH, SELECT, ROLE replies; ROLE comes last */
static void redis_conn_hs_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_conn *conn = ac->data;
	const redisReply *r = reply;

	(void)priv;
	if (conn->ac != ac || !r)
		return;		/* a context being freed */
	if (r->type == REDIS_REPLY_ERROR) {
		redis_conn_fail(conn, r->str);
		return;
	}
	if (--conn->handshake > 0)
		return;
	if (!redis_role_is_master(r)) {
		redis_conn_fail(conn, "ROLE is not master");
		return;
	}
	evtimer_del(conn->timer);
	conn->state = CONN_UP;
	if (conn->up_before)
		metrics_count(MC_REDIS_RECONNECTS);
	conn->up_before = 1;
	conn->established = 1;
	conn->backoff_ms = conn->client->set.backoff_min_ms;
	log_debug("redis connection up");
	redis_async_conn_changed(conn->client);
}

/* redis_conn_hs_send - queue one handshake command */
static void redis_conn_hs_send(struct redis_conn *conn, int argc,
			       const char **argv)
{
	if (redisAsyncCommandArgv(conn->ac, redis_conn_hs_reply, NULL, argc,
				  argv, NULL) == REDIS_OK)
		conn->handshake++;
}

/* redis_conn_handshake - AUTH, SELECT, then ROLE */
static void redis_conn_handshake(struct redis_conn *conn)
{
	const struct redis_settings *s = &conn->client->set;
	const char *auth[2] = { "AUTH", s->password };
	const char *select[2] = { "SELECT", NULL };
	const char *role[1] = { "ROLE" };
	struct buf db = BUF_INIT;

	if (s->password)
		redis_conn_hs_send(conn, 2, auth);
	if (s->database > 0) {
		buf_printf(&db, "%u", s->database);
		select[1] = db.data;
		redis_conn_hs_send(conn, 2, select);
		buf_release(&db);
	}
	redis_conn_hs_send(conn, 1, role);
}

/* redis_conn_connect - start a non-blocking connect and the handshake */
static void redis_conn_connect(struct redis_conn *conn)
{
	struct redis_async *c = conn->client;
	struct timeval tv = redis_ms_tv(c->set.connect_timeout_ms);
	redisAsyncContext *ac;

	if (redis_conn_target(c) < 0) {
		conn->attempted = 1;
		redis_conn_backoff(conn);
		redis_async_conn_changed(c);
		return;
	}
	conn->gen = c->target_gen;
	conn->attempted = 1;
	ac = c->target.path ? redisAsyncConnectUnix(c->target.path)
			    : redisAsyncConnect(c->target.host, c->target.port);
	if (!ac)
		abort();	/* hiredis out of memory */
	if (ac->err) {
		struct buf why = BUF_INIT;

		buf_puts(&why, ac->errstr);
		redisAsyncFree(ac);
		redis_conn_fail(conn, buf_cstr(&why));
		buf_release(&why);
		return;
	}
	ac->data = conn;
	if (!c->target.path)
		(void)redisEnableKeepAlive(&ac->c);
	if (redis_evloop_attach(ac, c->base) < 0)
		abort();	/* a fresh context has nothing attached */
	redisAsyncSetConnectCallback(ac, redis_conn_on_connect);
	redisAsyncSetDisconnectCallback(ac, redis_conn_on_disconnect);
	conn->ac = ac;
	conn->state = CONN_CONNECTING;
	evtimer_add(conn->timer, &tv);
	redis_conn_handshake(conn);
}

/* redis_conn_timer - backoff over: connect; connect deadline: give up */
static void redis_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *conn = arg;

	(void)fd, (void)what;
	if (conn->state == CONN_WAIT)
		redis_conn_connect(conn);
	else if (conn->state == CONN_CONNECTING)
		redis_conn_fail(conn, "connect timeout");
}

/* redis_conn_backoff - wait, then connect again; the wait doubles */
static void redis_conn_backoff(struct redis_conn *conn)
{
	const struct redis_settings *s = &conn->client->set;
	struct timeval tv = redis_ms_tv(conn->backoff_ms);

	conn->state = CONN_WAIT;
	evtimer_del(conn->timer);
	evtimer_add(conn->timer, &tv);
	conn->backoff_ms = conn->backoff_ms > s->backoff_max_ms / 2
			   ? s->backoff_max_ms : conn->backoff_ms * 2;
}

/* redis_conn_readonly - READONLY: the master moved; start over */
void redis_conn_readonly(struct redis_async *c)
{
	log_warn("redis READONLY: the server is no master any more; reconnecting");
	for (unsigned i = 0; i < c->nconns; i++) {
		struct redis_conn *conn = &c->conns[i];

		if (conn->state != CONN_UP && conn->state != CONN_CONNECTING)
			continue;
		redis_conn_target_lost(c, conn);
		redis_conn_drop(conn);
		redis_conn_backoff(conn);
	}
}

/* redis_conn_start - set up conn and connect from the loop, at once */
void redis_conn_start(struct redis_conn *conn, struct redis_async *c)
{
	conn->client = c;
	conn->backoff_ms = 0;
	conn->timer = evtimer_new(c->base, redis_conn_timer, conn);
	if (!conn->timer)
		abort();	/* libevent out of memory */
	redis_conn_backoff(conn);
	conn->backoff_ms = c->set.backoff_min_ms;
}

/* redis_conn_close - drop for good (client being freed) */
void redis_conn_close(struct redis_conn *conn)
{
	redis_conn_drop(conn);
	event_free(conn->timer);
	conn->timer = NULL;
}
