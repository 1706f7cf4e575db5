/* limit_sync - the limit client over synchronous Redis clients; see limit_sync.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/limits/limit_client.h"
#include "core/limits/limit_store.h"
#include "core/limits/limit_sync.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/redis/redis.h"

/* Idle Redis clients kept for reuse; more are closed when given back. */
#define LIMIT_SYNC_IDLE_MAX 64
/*
 * How long a charge that timed out waits on for its reply (limit_sync_late),
 * before the caller answers: a reply that comes within it is refunded; one
 * that comes later leaves the deferred message charged (logged).
 */
#define LIMIT_SYNC_LATE_WAIT_MS 1000

struct limit_sync {
	unsigned refs;			/* atomic */
	pthread_mutex_t lock;		/* everything below */
	struct redis_settings settings;	/* read-only after limit_sync_new */
	struct redis_script script;	/* read-only after limit_sync_new */
	struct redis_sync *idle[LIMIT_SYNC_IDLE_MAX];
	size_t n_idle;
	struct limit_client lc;		/* breaker, fallback, clock, degraded state */
};

/* limit_sync_new - see limit_sync.h */
struct limit_sync *limit_sync_new(const struct rw_config *cfg, limit_note_fn *note,
				  void *note_arg, struct buf *err)
{
	struct limit_sync *ls = rw_calloc(1, sizeof(*ls));
	const char *e = NULL;
	int use_redis;

	ls->refs = 1;
	pthread_mutex_init(&ls->lock, NULL);
	redis_settings_from_config(&ls->settings, cfg);
	redis_script_init(&ls->script, limit_store_lua, limit_store_lua_len);
	use_redis = ls->settings.servers.n > 0 || ls->settings.sentinels.n > 0;
	limit_client_init(&ls->lc, use_redis, ls->settings.timeout_ms, note, note_arg);
	if (use_redis && redis_settings_check(&ls->settings, &e) < 0) {
		buf_puts(err, e);	/* "redis: ..." */
		limit_sync_unref(&ls);
	}
	return ls;
}

/* limit_sync_same - see limit_sync.h */
int limit_sync_same(const struct limit_sync *ls, const struct rw_config *cfg)
{
	struct redis_settings s;
	int same;

	redis_settings_from_config(&s, cfg);
	same = redis_settings_same(&s, &ls->settings);
	redis_settings_release(&s);
	return same;
}

/* limit_sync_has_redis - see limit_sync.h */
int limit_sync_has_redis(const struct limit_sync *ls)
{
	return ls->lc.use_redis;	/* read-only after limit_sync_new */
}

/* limit_sync_take - an idle client, or a new one */
static struct redis_sync *limit_sync_take(struct limit_sync *ls)
{
	struct redis_sync *c = NULL;
	struct buf err = BUF_INIT;

	pthread_mutex_lock(&ls->lock);
	if (ls->n_idle > 0)
		c = ls->idle[--ls->n_idle];
	pthread_mutex_unlock(&ls->lock);
	if (c == NULL && (c = redis_sync_new(&ls->settings, &err)) == NULL)
		abort();	/* the settings were checked in limit_sync_new */
	buf_release(&err);
	return c;
}

/* limit_sync_give - back to the pool (or closed when the pool is full) */
static void limit_sync_give(struct limit_sync *ls, struct redis_sync *c)
{
	pthread_mutex_lock(&ls->lock);
	if (ls->n_idle < LIMIT_SYNC_IDLE_MAX) {
		ls->idle[ls->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&ls->lock);
	redis_sync_free(&c);
}

/* limit_sync_error - why c failed, or dflt */
static const char *limit_sync_error(struct redis_sync *c, const char *dflt)
{
	return redis_sync_error(c)[0] != '\0' ? redis_sync_error(c) : dflt;
}

/*
 * limit_sync_clock - sample Redis's clock (TIME) on c; a charge that needs
 * it (route LIMIT_ROUTE_CLOCK) then learns whether it may go: REDIS or LOCAL
 */
static enum limit_route limit_sync_clock(struct limit_sync *ls, struct redis_sync *c,
					 enum limit_route route, struct limit_ticket *t)
{
	const char *argv[] = { "TIME" };
	redisReply *r = NULL;
	enum redis_status st = redis_sync_command(c, 1, argv, NULL, &r);
	uint64_t us = 0;
	int ok = st == REDIS_ST_OK && limit_store_time(r, &us) == 0;

	if (r != NULL)
		freeReplyObject(r);
	pthread_mutex_lock(&ls->lock);
	limit_client_clock_reply(&ls->lc, ok, us,
				 st == REDIS_ST_OK ? NULL : limit_sync_error(c, "TIME"),
				 now_mono_us());
	if (route == LIMIT_ROUTE_CLOCK)
		route = limit_client_resume(&ls->lc, t, now_mono_us());
	pthread_mutex_unlock(&ls->lock);
	return route;
}

/*
 * limit_sync_late - a charge timed out: wait LIMIT_SYNC_LATE_WAIT_MS more
 * for its reply, and when it committed after all (a stall between the
 * script and its reply), give back what it charged: the message is being
 * deferred.
 */
static void limit_sync_late(struct limit_sync *ls, struct redis_sync *c, const struct buf *cmd)
{
	struct buf refund = BUF_INIT;
	redisReply *reply = NULL;
	enum redis_status st = redis_sync_late(c, LIMIT_SYNC_LATE_WAIT_MS, &reply);
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
	    redis_sync_evalsha_resp(c, &ls->script, refund.data, refund.len, &reply) != REDIS_ST_OK)
		log_warn("event=charge_refund_failed store=redis error=\"%s\": a deferred message may "
			 "stay charged", limit_sync_error(c, "error"));
	if (reply != NULL)
		freeReplyObject(reply);
	buf_release(&refund);
}

/*
 * limit_sync_eval - the plan, with the ticket's deadline, as one EVALSHA;
 * 0 when results were filled, else -1 with why
 */
static int limit_sync_eval(struct limit_sync *ls, struct redis_sync *c,
			   const struct limit_plan *plan, const struct limit_ticket *t,
			   struct limit_result *results, struct buf *why)
{
	struct limit_plan timed = *plan;	/* shares plan's checks */
	struct buf cmd = BUF_INIT;
	redisReply *reply = NULL;
	enum redis_status st = REDIS_ST_ERROR;
	const char *err = "bad reply";
	int ok = 0;

	timed.deadline_us = t->deadline_us;
	if (limit_store_resp(&timed, ls->script.sha1, &cmd, &err) == 0) {
		st = redis_sync_evalsha_resp(c, &ls->script, cmd.data, cmd.len, &reply);
		if (st != REDIS_ST_OK && st != REDIS_ST_ERROR)
			err = limit_sync_error(c, redis_status_name(st));
		else
			ok = limit_store_parse(reply, plan, results, NULL, &err) == LIMIT_STORE_OK;
		if (reply != NULL)
			freeReplyObject(reply);
	}
	pthread_mutex_lock(&ls->lock);
	limit_client_done(&ls->lc, ok, err, now_mono_us());
	pthread_mutex_unlock(&ls->lock);
	if (!ok)
		buf_puts(why, err);	/* c's error text: copied before c is used again */
	if (st == REDIS_ST_TIMEOUT && plan->charge)
		limit_sync_late(ls, c, &cmd);
	buf_release(&cmd);
	return ok ? 0 : -1;
}

/*
 * limit_sync_redis - route, sample the clock when due, run the plan: 0 when
 * results were filled, else -1 with why (left empty when Redis was not
 * asked: no redis section, or the breaker is open)
 */
static int limit_sync_redis(struct limit_sync *ls, const struct limit_plan *plan,
			    struct limit_result *results, struct buf *why)
{
	struct limit_ticket t;
	enum limit_route route;
	struct redis_sync *c;
	int clock, rc = -1;

	pthread_mutex_lock(&ls->lock);
	route = limit_client_route(&ls->lc, plan->charge, now_mono_us(), &t);
	clock = route == LIMIT_ROUTE_CLOCK ||
		(route == LIMIT_ROUTE_REDIS && plan->charge &&
		 limit_client_clock_due(&ls->lc, now_mono_us()));
	if (clock)
		limit_client_clock_sent(&ls->lc, now_mono_us());
	pthread_mutex_unlock(&ls->lock);
	if (route == LIMIT_ROUTE_LOCAL)
		return -1;
	c = limit_sync_take(ls);
	if (clock)
		route = limit_sync_clock(ls, c, route, &t);
	if (route == LIMIT_ROUTE_REDIS)
		rc = limit_sync_eval(ls, c, plan, &t, results, why);
	limit_sync_give(ls, c);
	return rc;
}

/* limit_sync_run - see limit_sync.h */
void limit_sync_run(struct limit_sync *ls, const struct limit_plan *plan,
		    struct limit_result *results)
{
	struct buf why = BUF_INIT;

	if (limit_sync_redis(ls, plan, results, &why) < 0) {
		if (why.len > 0)
			log_debug("event=store_fallback store=local error=\"%s\"", buf_cstr(&why));
		pthread_mutex_lock(&ls->lock);
		limit_client_local(&ls->lc, plan, now_wall_us(), results);
		pthread_mutex_unlock(&ls->lock);
	}
	buf_release(&why);
}

/* limit_sync_peek - see limit_sync.h */
int limit_sync_peek(struct limit_sync *ls, const struct limit_plan *plan,
		    struct limit_result *results, struct buf *why)
{
	struct limit_plan peek = *plan;	/* shares plan's checks */

	peek.charge = 0;
	if (limit_sync_redis(ls, &peek, results, why) == 0)
		return 0;
	if (why->len == 0)
		buf_puts(why, ls->lc.use_redis ? "circuit breaker open" : "no redis section");
	return -1;
}

/* limit_sync_state - see limit_sync.h */
const char *limit_sync_state(struct limit_sync *ls)
{
	const char *st;

	pthread_mutex_lock(&ls->lock);
	st = limit_client_state(&ls->lc);
	pthread_mutex_unlock(&ls->lock);
	return st;
}

/* limit_sync_degraded - see limit_sync.h */
int limit_sync_degraded(struct limit_sync *ls)
{
	int d;

	pthread_mutex_lock(&ls->lock);
	d = limit_client_degraded(&ls->lc);
	pthread_mutex_unlock(&ls->lock);
	return d;
}

/* limit_sync_ref - one more reference */
struct limit_sync *limit_sync_ref(struct limit_sync *ls)
{
	__atomic_add_fetch(&ls->refs, 1, __ATOMIC_RELAXED);
	return ls;
}

/* limit_sync_unref - drop a reference; free on the last; clears *lsp */
void limit_sync_unref(struct limit_sync **lsp)
{
	struct limit_sync *ls = *lsp;

	*lsp = NULL;
	if (ls == NULL || __atomic_sub_fetch(&ls->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < ls->n_idle; i++)
		redis_sync_free(&ls->idle[i]);
	limit_client_release(&ls->lc);
	redis_script_release(&ls->script);
	redis_settings_release(&ls->settings);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}
