/* store - the milter's synchronous limit store; see store.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/breaker.h"
#include "core/limit_store.h"
#include "core/local_store.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/now.h"
#include "core/redis.h"
#include "milter/store.h"

/* Keys the local fallback may hold; least recently used go first. */
#define STORE_LOCAL_ENTRIES 100000
/* Consecutive store failures that open the breaker; its backoff range. */
#define STORE_BREAKER_FAILURES 3
#define STORE_BREAKER_MIN_US 500000
#define STORE_BREAKER_MAX_US 5000000
/* Idle Redis clients kept for reuse; more are closed when given back. */
#define STORE_IDLE_MAX 64
/* How often Redis's clock is sampled (TIME) for charge deadlines. */
#define STORE_CLOCK_EVERY_US 60000000u

struct store {
	unsigned refs;			/* atomic */
	pthread_mutex_t lock;		/* everything below */
	struct redis_settings settings;	/* read-only after store_new */
	struct redis_script script;	/* read-only after store_new */
	int use_redis;
	struct redis_sync *idle[STORE_IDLE_MAX];
	size_t n_idle;
	struct local_store *local;
	struct breaker breaker;
	int degraded;			/* the last Redis outcome was a failure */
	const char *state;
	int64_t clock_offset_us;	/* Redis's TIME minus our clock */
	uint64_t clock_at_us;		/* monotonic time of that sample; 0: none */
};

/* store_new - see store.h */
struct store *store_new(const struct rw_config *cfg, struct buf *err)
{
	struct store *s = rw_calloc(1, sizeof(*s));
	const char *e = NULL;

	s->refs = 1;
	pthread_mutex_init(&s->lock, NULL);
	s->local = local_store_new(STORE_LOCAL_ENTRIES);
	breaker_init(&s->breaker, STORE_BREAKER_FAILURES, STORE_BREAKER_MIN_US,
		     STORE_BREAKER_MAX_US);
	redis_settings_from_config(&s->settings, cfg);
	redis_script_init(&s->script, limit_store_lua, limit_store_lua_len);
	s->use_redis = s->settings.servers.n > 0 || s->settings.sentinels.n > 0;
	s->state = s->use_redis ? "redis" : "local";
	if (s->use_redis && redis_settings_check(&s->settings, &e) < 0) {
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

/* store_take - an idle client, or a new one; 0 when the breaker says no */
static int store_take(struct store *s, struct redis_sync **cp)
{
	struct buf err = BUF_INIT;
	int allow;

	*cp = NULL;
	pthread_mutex_lock(&s->lock);
	allow = breaker_allow(&s->breaker, now_mono_us());
	if (allow && s->n_idle > 0)
		*cp = s->idle[--s->n_idle];
	pthread_mutex_unlock(&s->lock);
	if (allow && *cp == NULL)
		*cp = redis_sync_new(&s->settings, &err);	/* settings were checked */
	buf_release(&err);
	return allow;
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

/* store_outcome - count a Redis success or failure (lock held); log changes */
static void store_outcome(struct store *s, int ok, const char *err)
{
	enum breaker_state before = s->breaker.state;

	if (ok) {
		breaker_success(&s->breaker);
		s->state = "redis";
		if (s->degraded)
			log_info("event=store_recovered store=redis");
		s->degraded = 0;
		return;
	}
	breaker_failure(&s->breaker, now_mono_us());
	s->state = s->breaker.state == BREAKER_CLOSED ? "redis (failing)" : "degraded (breaker open)";
	if (!s->degraded)
		log_warn("event=store_degraded store=redis error=\"%s\" breaker=%s", err,
			 breaker_state_name(s->breaker.state));
	s->degraded = 1;
	if (before != BREAKER_OPEN && s->breaker.state == BREAKER_OPEN)
		log_warn("event=breaker_open store=redis error=\"%s\" probe_in_ms=%llu", err,
			 (unsigned long long)(s->breaker.backoff_us / 1000));
}

/* store_sample_clock - Redis's TIME against ours (half the round trip), when stale */
static void store_sample_clock(struct store *s, struct redis_sync *c)
{
	const char *argv[] = { "TIME" };
	redisReply *r = NULL;
	uint64_t sent = now_wall_us(), now, at;
	int stale;

	pthread_mutex_lock(&s->lock);
	at = s->clock_at_us;
	stale = at == 0 || now_mono_us() - at > STORE_CLOCK_EVERY_US;
	pthread_mutex_unlock(&s->lock);
	if (!stale || redis_sync_command(c, 1, argv, NULL, &r) != REDIS_ST_OK)
		goto out;
	now = now_wall_us();
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		int64_t off = (int64_t)(strtoull(r->element[0]->str, NULL, 10) * 1000000u +
					strtoull(r->element[1]->str, NULL, 10)) -
			      (int64_t)(sent + (now - sent) / 2);

		pthread_mutex_lock(&s->lock);
		s->clock_offset_us = off;
		s->clock_at_us = now_mono_us();
		pthread_mutex_unlock(&s->lock);
	}
out:
	if (r != NULL)
		freeReplyObject(r);
}

/*
 * store_deadline - a charge must not be written after our read deadline
 * (schema/limits.lua refuses it, RWLATE): a stalled Redis that runs the
 * script after we gave up and applied the fail mode never charges mail
 * that was deferred. 0 (none) until Redis's clock is known.
 */
static uint64_t store_deadline(struct store *s)
{
	uint64_t d = 0;

	pthread_mutex_lock(&s->lock);
	if (s->clock_at_us != 0)
		d = (uint64_t)((int64_t)now_wall_us() + s->clock_offset_us) +
		    (uint64_t)s->settings.timeout_ms * 1000u;
	pthread_mutex_unlock(&s->lock);
	return d;
}

/* store_redis - the plan as one EVALSHA; 0 when results were filled */
static int store_redis(struct store *s, struct redis_sync *c, const struct limit_plan *plan,
		       struct limit_result *results, const char **err)
{
	struct strvec keys = STRVEC_INIT, args = STRVEC_INIT, cmd = STRVEC_INIT;
	struct limit_plan timed = *plan;	/* shares plan's checks */
	redisReply *reply = NULL;
	enum redis_status st;
	int rc = -1;

	if (plan->charge) {
		store_sample_clock(s, c);
		timed.deadline_us = store_deadline(s);
	}
	if (limit_store_marshal(&timed, &keys, &args, err) == 0) {
		limit_store_command(NULL, &keys, &args, &cmd);
		st = redis_sync_evalsha(c, &s->script, (int)keys.n, (int)cmd.n,
					(const char **)cmd.v, NULL, &reply);
		*err = st == REDIS_ST_OK || st == REDIS_ST_ERROR ? "bad reply" :
		       redis_status_name(st);
		if ((st == REDIS_ST_OK || st == REDIS_ST_ERROR) &&
		    limit_store_parse(reply, plan, results, NULL, err) == LIMIT_STORE_OK)
			rc = 0;
		if (reply != NULL)
			freeReplyObject(reply);
	}
	strvec_release(&keys);
	strvec_release(&args);
	strvec_release(&cmd);
	return rc;
}

/* store_run - see store.h */
void store_run(struct store *s, const struct limit_plan *plan, struct limit_result *results)
{
	struct redis_sync *c = NULL;
	const char *err = "breaker open";
	int ok = 0;

	if (s->use_redis && store_take(s, &c)) {
		err = "no client";
		ok = c != NULL && store_redis(s, c, plan, results, &err) == 0;
		if (!ok && c != NULL && redis_sync_error(c)[0] != '\0')
			err = redis_sync_error(c);
		pthread_mutex_lock(&s->lock);
		store_outcome(s, ok, err);
		pthread_mutex_unlock(&s->lock);
		if (!ok)
			log_debug("event=store_fallback store=local error=\"%s\"", err);
		if (c != NULL)
			store_give(s, c);
	}
	if (ok)
		return;
	memset(results, 0, plan->n * sizeof(*results));
	pthread_mutex_lock(&s->lock);
	local_store_run(s->local, plan, now_wall_us(), results);
	pthread_mutex_unlock(&s->lock);
}

/* store_state - for logs */
const char *store_state(struct store *s)
{
	const char *st;

	pthread_mutex_lock(&s->lock);
	st = s->state;
	pthread_mutex_unlock(&s->lock);
	return st;
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
	local_store_free(&s->local);
	redis_script_release(&s->script);
	redis_settings_release(&s->settings);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
