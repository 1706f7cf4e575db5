/* store - the milter's synchronous limit store; see store.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/limits/limit_client.h"
#include "core/limits/limit_store.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/redis/redis.h"
#include "milter/store.h"

/* Idle Redis clients kept for reuse; more are closed when given back. */
#define STORE_IDLE_MAX 64
/*
 * How long a charge that timed out waits on for its reply (store_late),
 * before the milter answers: a reply that comes within it is refunded; one
 * that comes later leaves the deferred message charged (logged).
 */
#define STORE_LATE_WAIT_MS 1000

struct store {
	unsigned refs;			/* atomic */
	pthread_mutex_t lock;		/* everything below */
	struct redis_settings settings;	/* read-only after store_new */
	struct redis_script script;	/* read-only after store_new */
	struct redis_sync *idle[STORE_IDLE_MAX];
	size_t n_idle;
	struct limit_client lc;		/* breaker, fallback, clock, degraded state */
};

/* store_new - see store.h */
struct store *store_new(const struct rw_config *cfg, struct buf *err)
{
	struct store *s = rw_calloc(1, sizeof(*s));
	const char *e = NULL;
	int use_redis;

	s->refs = 1;
	pthread_mutex_init(&s->lock, NULL);
	redis_settings_from_config(&s->settings, cfg);
	redis_script_init(&s->script, limit_store_lua, limit_store_lua_len);
	use_redis = s->settings.servers.n > 0 || s->settings.sentinels.n > 0;
	limit_client_init(&s->lc, use_redis, s->settings.timeout_ms, limit_store_log_note, NULL);
	if (use_redis && redis_settings_check(&s->settings, &e) < 0) {
		buf_printf(err, "redis: %s", e);
		store_unref(&s);
	}
	return s;
}

/* store_same - see store.h */
int store_same(const struct store *st, const struct rw_config *cfg)
{
	const struct redis_settings *o = &st->settings;
	struct redis_settings s;
	int same;

	redis_settings_from_config(&s, cfg);
	same = redis_settings_same(&s, o);
	redis_settings_release(&s);
	return same;
}

/* store_take - an idle client, or a new one */
static struct redis_sync *store_take(struct store *s)
{
	struct redis_sync *c = NULL;
	struct buf err = BUF_INIT;

	pthread_mutex_lock(&s->lock);
	if (s->n_idle > 0)
		c = s->idle[--s->n_idle];
	pthread_mutex_unlock(&s->lock);
	if (c == NULL && (c = redis_sync_new(&s->settings, &err)) == NULL)
		abort();	/* the settings were checked in store_new */
	buf_release(&err);
	return c;
}

/* store_give - back to the pool (or closed when the pool is full) */
static void store_give(struct store *s, struct redis_sync *c)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_idle < STORE_IDLE_MAX) {
		s->idle[s->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	redis_sync_free(&c);
}

/* store_error - why c failed, or dflt */
static const char *store_error(struct redis_sync *c, const char *dflt)
{
	return redis_sync_error(c)[0] != '\0' ? redis_sync_error(c) : dflt;
}

/*
 * store_clock - sample Redis's clock (TIME) on c; a charge that needs it
 * (route LIMIT_ROUTE_CLOCK) then learns whether it may go: REDIS or LOCAL
 */
static enum limit_route store_clock(struct store *s, struct redis_sync *c, enum limit_route route,
				    struct limit_ticket *t)
{
	const char *argv[] = { "TIME" };
	redisReply *r = NULL;
	enum redis_status st = redis_sync_command(c, 1, argv, NULL, &r);
	uint64_t us = 0;
	int ok = st == REDIS_ST_OK && limit_store_time(r, &us) == 0;

	if (r != NULL)
		freeReplyObject(r);
	pthread_mutex_lock(&s->lock);
	limit_client_clock_reply(&s->lc, ok, us, st == REDIS_ST_OK ? NULL : store_error(c, "TIME"),
				 now_mono_us());
	if (route == LIMIT_ROUTE_CLOCK)
		route = limit_client_resume(&s->lc, t, now_mono_us());
	pthread_mutex_unlock(&s->lock);
	return route;
}

/*
 * store_late - a charge timed out: wait STORE_LATE_WAIT_MS more for its
 * reply, and when it committed after all (a stall between the script and
 * its reply), give back what it charged: the message is being deferred.
 */
static void store_late(struct store *s, struct redis_sync *c, const struct buf *cmd)
{
	struct buf refund = BUF_INIT;
	redisReply *reply = NULL;
	enum redis_status st = redis_sync_late(c, STORE_LATE_WAIT_MS, &reply);
	int rc = st == REDIS_ST_OK ? limit_store_refund(reply, cmd->data, cmd->len, &refund) : 0;

	if (reply != NULL)
		freeReplyObject(reply);
	reply = NULL;
	if (st == REDIS_ST_TIMEOUT || st == REDIS_ST_DISCONNECTED)
		log_warn("event=charge_unknown store=redis error=%s: the reply of a charge made after "
			 "its deadline was lost; a deferred message may be charged",
			 redis_status_name(st));
	else if (rc > 0)
		log_info("event=charge_refunded store=redis: its reply came after the message was "
			 "deferred");
	if (rc > 0 &&
	    redis_sync_evalsha_resp(c, &s->script, refund.data, refund.len, &reply) != REDIS_ST_OK)
		log_warn("event=charge_refund_failed store=redis error=\"%s\": a deferred message may "
			 "stay charged", store_error(c, "error"));
	if (reply != NULL)
		freeReplyObject(reply);
	buf_release(&refund);
}

/* store_eval - the plan, with the ticket's deadline, as one EVALSHA; 1 when results were filled */
static int store_eval(struct store *s, struct redis_sync *c, const struct limit_plan *plan,
		      const struct limit_ticket *t, struct limit_result *results)
{
	struct limit_plan timed = *plan;	/* shares plan's checks */
	struct buf cmd = BUF_INIT;
	redisReply *reply = NULL;
	enum redis_status st = REDIS_ST_ERROR;
	const char *err = "bad reply";
	int ok = 0;

	timed.deadline_us = t->deadline_us;
	if (limit_store_resp(&timed, s->script.sha1, &cmd, &err) == 0) {
		st = redis_sync_evalsha_resp(c, &s->script, cmd.data, cmd.len, &reply);
		if (st != REDIS_ST_OK && st != REDIS_ST_ERROR)
			err = store_error(c, redis_status_name(st));
		else
			ok = limit_store_parse(reply, plan, results, NULL, &err) == LIMIT_STORE_OK;
		if (reply != NULL)
			freeReplyObject(reply);
	}
	pthread_mutex_lock(&s->lock);
	limit_client_done(&s->lc, ok, err, now_mono_us());
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		log_debug("event=store_fallback store=local error=\"%s\"", err);
	if (st == REDIS_ST_TIMEOUT && plan->charge)
		store_late(s, c, &cmd);
	buf_release(&cmd);
	return ok;
}

/* store_redis - route, sample the clock when due, run the plan; 1 when results were filled */
static int store_redis(struct store *s, const struct limit_plan *plan,
		       struct limit_result *results)
{
	struct limit_ticket t;
	enum limit_route route;
	struct redis_sync *c;
	int clock, ok = 0;

	pthread_mutex_lock(&s->lock);
	route = limit_client_route(&s->lc, plan->charge, now_mono_us(), &t);
	clock = route == LIMIT_ROUTE_CLOCK ||
		(route == LIMIT_ROUTE_REDIS && plan->charge &&
		 limit_client_clock_due(&s->lc, now_mono_us()));
	if (clock)
		limit_client_clock_sent(&s->lc, now_mono_us());
	pthread_mutex_unlock(&s->lock);
	if (route == LIMIT_ROUTE_LOCAL)
		return 0;
	c = store_take(s);
	if (clock)
		route = store_clock(s, c, route, &t);
	if (route == LIMIT_ROUTE_REDIS)
		ok = store_eval(s, c, plan, &t, results);
	store_give(s, c);
	return ok;
}

/* store_run - see store.h */
void store_run(struct store *s, const struct limit_plan *plan, struct limit_result *results)
{
	if (store_redis(s, plan, results))
		return;
	pthread_mutex_lock(&s->lock);
	limit_client_local(&s->lc, plan, now_wall_us(), results);
	pthread_mutex_unlock(&s->lock);
}

/* store_state - for logs */
const char *store_state(struct store *s)
{
	const char *st;

	pthread_mutex_lock(&s->lock);
	st = limit_client_state(&s->lc);
	pthread_mutex_unlock(&s->lock);
	return st;
}

/* store_degraded - see store.h */
int store_degraded(struct store *s)
{
	int d;

	pthread_mutex_lock(&s->lock);
	d = limit_client_degraded(&s->lc);
	pthread_mutex_unlock(&s->lock);
	return d;
}

/* store_ref - one more reference */
struct store *store_ref(struct store *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

/* store_unref - drop a reference; free on the last; clears *sp */
void store_unref(struct store **sp)
{
	struct store *s = *sp;

	*sp = NULL;
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < s->n_idle; i++)
		redis_sync_free(&s->idle[i]);
	limit_client_release(&s->lc);
	redis_script_release(&s->script);
	redis_settings_release(&s->settings);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
