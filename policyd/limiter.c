/* limiter - policyd's async limit store: the event-loop glue of core/limits/limit_client.c; see limiter.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "core/limits/limit_client.h"
#include "core/limits/limit_store.h"
#include "core/limits/local_store.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/redis/redis.h"
#include "policyd/limiter.h"

struct lim_req {
	uint64_t id;
	struct limiter *l;
	const struct limit_plan *plan;
	limiter_cb *cb;
	void *arg;
	struct limit_ticket ticket;
	uint64_t redis_id;		/* 0: not (or no longer) at Redis */
	unsigned waiting;		/* a charge waiting for clock sample nr. waiting; 0: not */
	struct event *local_ev;		/* runs the local store from the loop */
	struct lim_req *next, **pprev;	/* the limiter's pending list */
};

struct limiter {
	struct event_base *base;
	struct redis_settings settings;
	struct redis_async *redis;	/* NULL: no redis section, local only */
	struct redis_script script;
	struct limit_client lc;		/* breaker, fallback, clock, degraded state */
	uint64_t next_id;
	struct lim_req *pending;
	struct event *time_ev;		/* resamples the clock every LIMIT_CLIENT_CLOCK_EVERY_US */
	unsigned clock_seq;		/* the clock samples sent */
	int freeing;
};

static void limiter_send(struct lim_req *r);
static void limiter_fallback(struct lim_req *r);

/*
 * limiter_resume - clock sample nr. seq is back: the charges that waited
 * for it go on (a fallback runs callbacks, which may change the list: the
 * walk starts over after each; a charge queued meanwhile waits for the
 * next sample)
 */
static void limiter_resume(struct limiter *l, unsigned seq)
{
	struct lim_req *r = l->pending;

	while (r != NULL) {
		if (r->waiting != seq) {
			r = r->next;
			continue;
		}
		r->waiting = 0;
		if (limit_client_resume(&l->lc, &r->ticket, now_mono_us()) == LIMIT_ROUTE_REDIS)
			limiter_send(r);
		else
			limiter_fallback(r);
		r = l->pending;
	}
}

/* limiter_on_time - a TIME reply: Redis's clock against ours */
static void limiter_on_time(enum redis_status st, const redisReply *reply, void *arg)
{
	struct limiter *l = arg;
	unsigned seq = l->clock_seq;	/* one sample is out at a time: this one */
	uint64_t us = 0;
	int ok = st == REDIS_ST_OK && limit_store_time(reply, &us) == 0;

	if (l->freeing)
		return;
	limit_client_clock_reply(&l->lc, ok, us, st == REDIS_ST_OK ? NULL : redis_status_name(st),
				 now_mono_us());
	limiter_resume(l, seq);
}

/* limiter_clock - send a TIME sample (force: a charge waits for it) */
static void limiter_clock(struct limiter *l, int force)
{
	const char *argv[] = { "TIME" };
	uint64_t now = now_mono_us();
	struct limit_ticket t;

	if (l->redis == NULL || !limit_client_clock_due(&l->lc, now))
		return;
	if (!force && limit_client_route(&l->lc, 0, now, &t) == LIMIT_ROUTE_LOCAL)
		return;		/* breaker open: no sampling either */
	limit_client_clock_sent(&l->lc, now);
	l->clock_seq = l->clock_seq + 1 ? l->clock_seq + 1 : 1;
	(void)redis_async_command(l->redis, 1, argv, NULL, limiter_on_time, l);
}

/* limiter_on_clock_timer - periodic resampling */
static void limiter_on_clock_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	limiter_clock(arg, 0);
}

/* limiter_charge_deadline - see limiter.h */
uint64_t limiter_charge_deadline(const struct limiter *l)
{
	return l->redis == NULL ? 0 : limit_client_deadline(&l->lc, now_mono_us());
}

/* limiter_new - see limiter.h */
struct limiter *limiter_new(struct event_base *base, const struct rw_config *cfg,
			    struct buf *err)
{
	struct limiter *l = rw_calloc(1, sizeof(*l));
	int use_redis;

	l->base = base;
	redis_settings_from_config(&l->settings, cfg);
	redis_script_init(&l->script, limit_store_lua, limit_store_lua_len);
	use_redis = l->settings.servers.n > 0 || l->settings.sentinels.n > 0;
	limit_client_init(&l->lc, use_redis, l->settings.timeout_ms, limit_store_log_note, NULL);
	if (use_redis) {
		l->redis = redis_async_new(base, &l->settings, err);
		if (l->redis == NULL) {
			limiter_free(&l);
			return NULL;
		}
		l->time_ev = event_new(base, -1, EV_PERSIST, limiter_on_clock_timer, l);
		if (l->time_ev == NULL)
			abort();	/* out of memory in libevent */
		event_add(l->time_ev,
			  &(struct timeval){ .tv_sec = LIMIT_CLIENT_CLOCK_EVERY_US / 1000000 });
		limiter_clock(l, 1);
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

	limit_client_local(&r->l->lc, r->plan, now_wall_us(), results);
	limiter_finish(r, results);
}

/* limiter_on_local - deferred local run (callbacks never run inside limiter_run) */
static void limiter_on_local(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	limiter_fallback(arg);
}

/* limiter_local_soon - the local store decides, from the loop */
static void limiter_local_soon(struct lim_req *r)
{
	r->local_ev = event_new(r->l->base, -1, 0, limiter_on_local, r);
	if (r->local_ev == NULL)
		abort();	/* out of memory in libevent */
	event_active(r->local_ev, 0, 0);
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
		limit_client_done(&l->lc, st == REDIS_ST_OK, err, now_mono_us());
		limiter_req_free(r);
		return;
	}
	if (st == REDIS_ST_OK || st == REDIS_ST_ERROR) {
		results = rw_calloc(r->plan->n ? r->plan->n : 1, sizeof(*results));
		if (limit_store_parse(reply, r->plan, results, NULL, &err) == LIMIT_STORE_OK) {
			limit_client_done(&l->lc, 1, NULL, now_mono_us());
			limiter_finish(r, results);
			return;
		}
		free(results);
	}
	limit_client_done(&l->lc, 0, err, now_mono_us());
	limiter_fallback(r);
}

/* limiter_on_refund - a refund's reply: for the log only (it is no decision's) */
static void limiter_on_refund(enum redis_status st, const redisReply *reply, void *arg)
{
	(void)reply;
	(void)arg;
	if (st != REDIS_ST_OK)
		log_warn("event=charge_refund_failed store=redis error=%s: a deferred message may "
			 "stay charged", redis_status_name(st));
}

/*
 * limiter_on_late - a charge's reply came after the request gave up (timeout,
 * or its decision went): the message was deferred or never accepted, so
 * what the charge committed is given back (a stall between the script and
 * its reply can delay a reply past any deadline the script checks).
 */
static void limiter_on_late(enum redis_status st, const redisReply *reply, const char *cmd,
			    size_t cmdlen, void *arg)
{
	struct limiter *l = arg;
	struct buf refund = BUF_INIT;
	size_t len;
	int rc;

	if (l->freeing)
		return;
	if (st == REDIS_ST_DISCONNECTED) {
		log_warn("event=charge_unknown store=redis error=disconnected: the reply of a charge "
			 "made after its deadline was lost; a deferred message may be charged");
		return;
	}
	rc = st == REDIS_ST_OK ? limit_store_refund(reply, cmd, cmdlen, &refund) : 0;
	if (rc <= 0) {
		buf_release(&refund);
		return;		/* refused (RWLATE), or nothing charged */
	}
	log_info("event=charge_refunded store=redis: its reply came after the message was deferred");
	len = refund.len;
	(void)redis_async_evalsha_resp(l->redis, &l->script, buf_detach(&refund), len,
				       limiter_on_refund, l);
}

/* limiter_send - the plan, with the ticket's deadline, as one EVALSHA */
static void limiter_send(struct lim_req *r)
{
	struct limit_plan timed = *r->plan;	/* shares the plan's checks */
	struct buf cmd = BUF_INIT;
	const char *err;
	size_t len;

	timed.deadline_us = r->ticket.deadline_us;
	if (limit_store_resp(&timed, r->l->script.sha1, &cmd, &err) < 0) {
		log_err("event=store_marshal_failed error=\"%s\"", err);
		buf_release(&cmd);
	} else {
		len = cmd.len;
		r->redis_id = redis_async_evalsha_resp(r->l->redis, &r->l->script,
						       buf_detach(&cmd), len, limiter_on_redis, r);
		if (r->redis_id != 0 && timed.charge)
			(void)redis_async_keep_late(r->l->redis, r->redis_id, limiter_on_late, r->l);
		if (r->redis_id != 0)
			return;
	}
	if (r->ticket.probe)	/* never sent: let the next request probe */
		limit_client_done(&r->l->lc, 0, "not sent", now_mono_us());
	limiter_local_soon(r);
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
	r->pprev = &l->pending;
	if ((r->next = l->pending) != NULL)
		l->pending->pprev = &r->next;
	l->pending = r;
	switch (limit_client_route(&l->lc, plan->charge, now_mono_us(), &r->ticket)) {
	case LIMIT_ROUTE_REDIS:
		limiter_send(r);
		break;
	case LIMIT_ROUTE_CLOCK:
		limiter_clock(l, 1);	/* unless one is out already */
		r->waiting = l->clock_seq;	/* limiter_resume sends it, or falls back */
		break;
	case LIMIT_ROUTE_LOCAL:
		limiter_local_soon(r);
		break;
	}
	return r->id;
}

/*
 * limiter_cancel - see limiter.h. A probe in flight stays at Redis without
 * its caller (the plan may go): the breaker still learns how it went, or
 * it would wait backoff_max for an answer that never comes. A charge
 * waiting for the clock just goes: the sample it waits for reports to the
 * breaker itself.
 */
void limiter_cancel(struct limiter *l, uint64_t id)
{
	for (struct lim_req *r = l->pending; r != NULL; r = r->next) {
		if (r->id != id || r->cb == NULL)
			continue;
		if (r->redis_id && r->ticket.probe) {
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
	return limit_client_state(&l->lc);
}

/* limiter_degraded - see limiter.h */
int limiter_degraded(const struct limiter *l)
{
	return limit_client_degraded(&l->lc);
}

/* limiter_local_parts - see limiter.h */
void limiter_local_parts(struct limiter *l, unsigned parts)
{
	local_store_set_parts(l->lc.local, parts);
}

/* limiter_free - finish what is pending on the local store, then free */
void limiter_free(struct limiter **lp)
{
	struct limiter *l = *lp;

	if (l == NULL)
		return;
	l->freeing = 1;
	while (l->pending != NULL) {
		struct lim_req *r = l->pending;

		/* off the list first (freeing it then unlinks nothing): callbacks may cancel others */
		if ((l->pending = r->next) != NULL)
			r->next->pprev = &l->pending;
		r->next = NULL;
		r->pprev = &r->next;
		if (r->redis_id)
			redis_async_cancel(l->redis, r->redis_id);
		r->redis_id = 0;
		r->waiting = 0;
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
	limit_client_release(&l->lc);
	free(l);
	*lp = NULL;
}
