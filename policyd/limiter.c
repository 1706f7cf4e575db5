/* limiter - policyd's async limit store; see limiter.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "core/breaker.h"
#include "core/limit_store.h"
#include "core/local_store.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/now.h"
#include "core/redis.h"
#include "policyd/limiter.h"

/* Keys the local fallback may hold; least recently used go first. */
#define LIMITER_LOCAL_ENTRIES 100000
/* Consecutive store failures that open the breaker; its backoff range. */
#define LIMITER_CLOCK_SAMPLE_S 10
#define LIMITER_BREAKER_FAILURES 3
#define LIMITER_BREAKER_MIN_US 500000
#define LIMITER_BREAKER_MAX_US 5000000

struct lim_req {
	uint64_t id;
	struct limiter *l;
	const struct limit_plan *plan;
	limiter_cb *cb;
	void *arg;
	uint64_t redis_id;		/* 0: not (or no longer) at Redis */
	int probe;			/* the breaker's half-open probe */
	struct event *local_ev;		/* runs the local store from the loop */
	struct lim_req *next, **pprev;	/* the limiter's pending list */
};

struct limiter {
	struct event_base *base;
	struct redis_settings settings;
	struct redis_async *redis;	/* NULL: no redis section, local only */
	struct redis_script script;
	struct local_store *local;
	struct breaker breaker;
	uint64_t next_id;
	struct lim_req *pending;
	const char *state;
	int degraded;			/* the last Redis outcome was a failure */
	/* Redis's clock minus ours (µs), sampled with TIME: charge deadlines */
	int64_t clock_offset_us;
	int clock_known;
	uint64_t time_sent_us;		/* != 0 while a TIME sample is out */
	struct event *time_ev;		/* resamples every LIMITER_CLOCK_SAMPLE_S */
};

/* limiter_on_time - a TIME reply: Redis's clock against ours, half the round trip */
static void limiter_on_time(enum redis_status st, const redisReply *reply, void *arg)
{
	struct limiter *l = arg;
	uint64_t now = now_wall_us(), sent = l->time_sent_us;

	l->time_sent_us = 0;
	if (st != REDIS_ST_OK || reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING)
		return;
	l->clock_offset_us = (int64_t)(strtoull(reply->element[0]->str, NULL, 10) * 1000000u +
				       strtoull(reply->element[1]->str, NULL, 10)) -
			     (int64_t)(sent + (now - sent) / 2);
	l->clock_known = 1;
}

/* limiter_sample_clock - ask Redis for TIME (one sample out at a time) */
static void limiter_sample_clock(evutil_socket_t fd, short what, void *arg)
{
	struct limiter *l = arg;
	const char *argv[] = { "TIME" };

	(void)fd;
	(void)what;
	if (l->redis == NULL || l->time_sent_us != 0)
		return;
	l->time_sent_us = now_wall_us();
	if (redis_async_command(l->redis, 1, argv, NULL, limiter_on_time, l) == 0)
		l->time_sent_us = 0;
}

/* limiter_charge_deadline - see limiter.h */
uint64_t limiter_charge_deadline(const struct limiter *l)
{
	if (l->redis == NULL || !l->clock_known)
		return 0;
	return (uint64_t)((int64_t)now_wall_us() + l->clock_offset_us) +
	       (uint64_t)l->settings.timeout_ms * 1000u;
}

/* limiter_new - see limiter.h */
struct limiter *limiter_new(struct event_base *base, const struct rw_config *cfg,
			    struct buf *err)
{
	struct limiter *l = rw_calloc(1, sizeof(*l));

	l->base = base;
	l->local = local_store_new(LIMITER_LOCAL_ENTRIES);
	breaker_init(&l->breaker, LIMITER_BREAKER_FAILURES, LIMITER_BREAKER_MIN_US,
		     LIMITER_BREAKER_MAX_US);
	redis_settings_from_config(&l->settings, cfg);
	redis_script_init(&l->script, limit_store_lua, limit_store_lua_len);
	l->state = "local";
	if (l->settings.servers.n > 0 || l->settings.sentinels.n > 0) {
		l->redis = redis_async_new(base, &l->settings, err);
		if (l->redis == NULL) {
			limiter_free(&l);
			return NULL;
		}
		l->state = "redis";
		l->time_ev = event_new(base, -1, EV_PERSIST, limiter_sample_clock, l);
		if (l->time_ev == NULL)
			abort();	/* out of memory in libevent */
		event_add(l->time_ev, &(struct timeval){ .tv_sec = LIMITER_CLOCK_SAMPLE_S });
		limiter_sample_clock(-1, 0, l);
	}
	return l;
}

/* limiter_same_store - see limiter.h */
int limiter_same_store(const struct limiter *l, const struct rw_config *cfg)
{
	struct redis_settings s;
	int same;

	redis_settings_from_config(&s, cfg);
	same = redis_settings_same(&s, &l->settings) &&
	       s.connections == l->settings.connections;
	redis_settings_release(&s);
	return same;
}

/* limiter_req_free - unlink and free a request */
static void limiter_req_free(struct lim_req *r)
{
	if ((*r->pprev = r->next) != NULL)
		r->next->pprev = r->pprev;
	if (r->local_ev)
		event_free(r->local_ev);
	free(r);
}

/* limiter_finish - hand results to the caller and forget the request */
static void limiter_finish(struct lim_req *r, struct limit_result *results)
{
	limiter_cb *cb = r->cb;
	void *arg = r->arg;
	const struct limit_plan *plan = r->plan;

	limiter_req_free(r);
	cb(plan, results, arg);
}

/* limiter_fallback - the store failed or is skipped: the local store decides */
static void limiter_fallback(struct lim_req *r)
{
	struct limit_result *results = rw_calloc(r->plan->n ? r->plan->n : 1, sizeof(*results));

	local_store_run(r->l->local, r->plan, now_wall_us(), results);
	limiter_finish(r, results);
}

/* limiter_on_local - deferred local run (callbacks never run inside limiter_run) */
static void limiter_on_local(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	limiter_fallback(arg);
}

/* limiter_store_ok - Redis answered: close the breaker, log a recovery */
static void limiter_store_ok(struct limiter *l)
{
	enum breaker_state before = l->breaker.state;

	breaker_success(&l->breaker);
	l->state = "redis";
	if (before != BREAKER_CLOSED)
		log_info("event=breaker_closed store=redis");
	if (l->degraded)
		log_info("event=store_recovered store=redis");
	l->degraded = 0;
}

/* limiter_store_failed - Redis failed a request: count it, log state changes */
static void limiter_store_failed(struct limiter *l, const char *err)
{
	enum breaker_state before = l->breaker.state;

	breaker_failure(&l->breaker, now_mono_us());
	l->state = l->breaker.state == BREAKER_CLOSED ? "redis (failing)" : "degraded (breaker open)";
	if (!l->degraded)
		log_warn("event=store_degraded store=redis error=\"%s\" breaker=%s", err,
			 breaker_state_name(l->breaker.state));
	else
		log_debug("event=store_failed store=redis error=\"%s\" breaker=%s", err,
			  breaker_state_name(l->breaker.state));
	l->degraded = 1;
	if (before == BREAKER_CLOSED && l->breaker.state == BREAKER_OPEN)
		log_warn("event=breaker_open store=redis error=\"%s\" probe_in_ms=%llu", err,
			 (unsigned long long)(l->breaker.backoff_us / 1000));
	else if (before == BREAKER_HALF_OPEN && l->breaker.state == BREAKER_OPEN)
		log_info("event=breaker_probe_failed store=redis error=\"%s\" probe_in_ms=%llu",
			 err, (unsigned long long)(l->breaker.backoff_us / 1000));
}

/* limiter_on_redis - the script's reply, or why there is none */
static void limiter_on_redis(enum redis_status st, const redisReply *reply, void *arg)
{
	struct lim_req *r = arg;
	struct limiter *l = r->l;
	struct limit_result *results;
	const char *err = redis_status_name(st);

	r->redis_id = 0;
	if (r->cb == NULL) {	/* a cancelled probe: only the breaker wants it */
		if (st == REDIS_ST_OK)
			limiter_store_ok(l);
		else
			limiter_store_failed(l, err);
		limiter_req_free(r);
		return;
	}
	if (st == REDIS_ST_OK || st == REDIS_ST_ERROR) {
		results = rw_calloc(r->plan->n ? r->plan->n : 1, sizeof(*results));
		if (limit_store_parse(reply, r->plan, results, NULL, &err) == LIMIT_STORE_OK) {
			limiter_store_ok(l);
			limiter_finish(r, results);
			return;
		}
		free(results);
	}
	limiter_store_failed(l, err);
	limiter_fallback(r);
}

/* limiter_send - the plan as one EVALSHA; 0 when it could not be sent */
static uint64_t limiter_send(struct lim_req *r)
{
	struct buf cmd = BUF_INIT;
	const char *err;
	size_t len;

	if (limit_store_resp(r->plan, r->l->script.sha1, &cmd, &err) < 0) {
		log_err("event=store_marshal_failed error=\"%s\"", err);
		buf_release(&cmd);
		return 0;
	}
	len = cmd.len;
	return redis_async_evalsha_resp(r->l->redis, &r->l->script, buf_detach(&cmd), len,
					limiter_on_redis, r);
}

/* limiter_run - see limiter.h */
uint64_t limiter_run(struct limiter *l, const struct limit_plan *plan, limiter_cb *cb, void *arg)
{
	struct lim_req *r = rw_calloc(1, sizeof(*r));

	r->id = ++l->next_id;
	r->l = l;
	r->plan = plan;
	r->cb = cb;
	r->arg = arg;
	if (!l->clock_known)
		limiter_sample_clock(-1, 0, l);	/* until the first sample lands */
	r->pprev = &l->pending;
	if ((r->next = l->pending) != NULL)
		l->pending->pprev = &r->next;
	l->pending = r;
	if (l->redis != NULL && breaker_allow(&l->breaker, now_mono_us())) {
		r->probe = l->breaker.state == BREAKER_HALF_OPEN;
		if ((r->redis_id = limiter_send(r)) != 0)
			return r->id;
		if (r->probe)	/* never sent: let the next request probe */
			limiter_store_failed(l, "not sent");
	}
	r->local_ev = event_new(l->base, -1, 0, limiter_on_local, r);
	if (r->local_ev == NULL)
		abort();	/* out of memory in libevent */
	event_active(r->local_ev, 0, 0);
	return r->id;
}

/*
 * limiter_cancel - see limiter.h. A probe in flight stays at Redis without
 * its caller (the plan may go): the breaker still learns how it went, or
 * it would wait backoff_max for an answer that never comes.
 */
void limiter_cancel(struct limiter *l, uint64_t id)
{
	for (struct lim_req *r = l->pending; r != NULL; r = r->next) {
		if (r->id != id || r->cb == NULL)
			continue;
		if (r->redis_id && r->probe) {
			r->cb = NULL;
			r->arg = NULL;
			r->plan = NULL;
			return;
		}
		if (r->redis_id)
			redis_async_cancel(l->redis, r->redis_id);
		limiter_req_free(r);
		return;
	}
}

/* limiter_store_state - see limiter.h */
const char *limiter_store_state(const struct limiter *l)
{
	return l->state;
}

/* limiter_degraded - see limiter.h */
int limiter_degraded(const struct limiter *l)
{
	return strcmp(l->state, "redis") != 0 && strcmp(l->state, "local") != 0;
}

/* limiter_free - finish what is pending on the local store, then free */
void limiter_free(struct limiter **lp)
{
	struct limiter *l = *lp;

	if (l == NULL)
		return;
	while (l->pending != NULL) {
		struct lim_req *r = l->pending;

		if (r->redis_id)
			redis_async_cancel(l->redis, r->redis_id);
		r->redis_id = 0;
		if (r->cb == NULL)
			limiter_req_free(r);	/* a cancelled probe */
		else
			limiter_fallback(r);
	}
	if (l->time_ev != NULL)
		event_free(l->time_ev);
	redis_async_free(&l->redis);
	redis_script_release(&l->script);
	redis_settings_release(&l->settings);
	local_store_free(&l->local);
	free(l);
	*lp = NULL;
}
