/* limit_client - breaker, local fallback, clock offset, degraded state; see limit_client.h */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "core/limits/breaker.h"
#include "core/util/buf.h"
#include "core/limits/limit_client.h"
#include "core/limits/local_store.h"

/* limit_client_init - see limit_client.h */
void limit_client_init(struct limit_client *lc, int use_redis, unsigned timeout_ms,
		       limit_note_fn *note, void *note_arg)
{
	memset(lc, 0, sizeof(*lc));
	lc->use_redis = use_redis;
	lc->timeout_us = (uint64_t)timeout_ms * 1000u;
	breaker_init(&lc->breaker, LIMIT_CLIENT_BREAKER_FAILURES, LIMIT_CLIENT_BREAKER_MIN_US,
		     LIMIT_CLIENT_BREAKER_MAX_US);
	lc->local = local_store_new(LIMIT_CLIENT_LOCAL_ENTRIES);
	lc->state = use_redis ? "redis" : "local";
	lc->note = note;
	lc->note_arg = note_arg;
}

/* limit_client_release - free the local store */
void limit_client_release(struct limit_client *lc)
{
	local_store_free(&lc->local);
}

/* limit_client_note - format one line for the note callback */
static void limit_client_note(const struct limit_client *lc, enum limit_note_level level,
			      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void limit_client_note(const struct limit_client *lc, enum limit_note_level level,
			      const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (lc->note == NULL)
		return;
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	lc->note(lc->note_arg, level, buf_cstr(&line));
	buf_release(&line);
}

/* limit_client_clock_fresh - Redis's clock is known from a recent enough sample */
static int limit_client_clock_fresh(const struct limit_client *lc, uint64_t now_us)
{
	return lc->clock_known && now_us - lc->clock_at_us < LIMIT_CLIENT_CLOCK_MAX_AGE_US;
}

/* limit_client_deadline - see limit_client.h */
uint64_t limit_client_deadline(const struct limit_client *lc, uint64_t start_us)
{
	uint64_t margin = lc->timeout_us * LIMIT_CLIENT_MARGIN_PCT / 100;
	int64_t d;

	if (!lc->clock_known)
		return 0;
	d = (int64_t)start_us + lc->clock_offset_us + (int64_t)(lc->timeout_us - margin);
	return d > 0 ? (uint64_t)d : 1;	/* 0 would mean "no deadline" */
}

/* limit_client_route - see limit_client.h */
enum limit_route limit_client_route(struct limit_client *lc, int charge, uint64_t now_us,
				    struct limit_ticket *t)
{
	memset(t, 0, sizeof(*t));
	t->start_us = now_us;
	t->charge = charge != 0;
	if (!lc->use_redis || !breaker_allow(&lc->breaker, now_us))
		return LIMIT_ROUTE_LOCAL;
	t->probe = lc->breaker.state == BREAKER_HALF_OPEN;
	if (!t->charge)
		return LIMIT_ROUTE_REDIS;
	if (!limit_client_clock_fresh(lc, now_us))
		return LIMIT_ROUTE_CLOCK;
	t->deadline_us = limit_client_deadline(lc, t->start_us);
	return LIMIT_ROUTE_REDIS;
}

/* limit_client_resume - see limit_client.h */
enum limit_route limit_client_resume(struct limit_client *lc, struct limit_ticket *t,
				     uint64_t now_us)
{
	uint64_t margin = lc->timeout_us * LIMIT_CLIENT_MARGIN_PCT / 100;

	if (!limit_client_clock_fresh(lc, now_us))
		return LIMIT_ROUTE_LOCAL;	/* the sample failed: counted already */
	if (now_us - t->start_us >= lc->timeout_us - margin) {
		limit_client_done(lc, 0, "timeout waiting for the clock", now_us);
		return LIMIT_ROUTE_LOCAL;	/* the script would be refused anyway */
	}
	t->deadline_us = limit_client_deadline(lc, t->start_us);
	return LIMIT_ROUTE_REDIS;
}

/* the latest outcome of any client (limit_client_latest): a state literal, NULL: none yet */
static const char *lc_latest_state;
static int lc_latest_degraded;

/* limit_client_publish - lc's state is the process's latest */
static void limit_client_publish(const struct limit_client *lc)
{
	__atomic_store_n(&lc_latest_degraded, lc->degraded, __ATOMIC_RELAXED);
	__atomic_store_n(&lc_latest_state, lc->state, __ATOMIC_RELEASE);
}

int limit_client_latest(const char **state, int *degraded)
{
	const char *s = __atomic_load_n(&lc_latest_state, __ATOMIC_ACQUIRE);

	if (s == NULL)
		return 0;
	*state = s;
	*degraded = __atomic_load_n(&lc_latest_degraded, __ATOMIC_RELAXED);
	return 1;
}

/* limit_client_ok - Redis answered: close the breaker, note a recovery */
static void limit_client_ok(struct limit_client *lc)
{
	enum breaker_state before = lc->breaker.state;

	breaker_success(&lc->breaker);
	lc->state = "redis";
	if (before != BREAKER_CLOSED)
		limit_client_note(lc, LIMIT_NOTE_INFO, "event=breaker_closed store=redis");
	if (lc->degraded)
		limit_client_note(lc, LIMIT_NOTE_INFO, "event=store_recovered store=redis");
	lc->degraded = 0;
	limit_client_publish(lc);
}

/* limit_client_failed - Redis failed a command: count it, note state changes */
static void limit_client_failed(struct limit_client *lc, const char *err, uint64_t now_us)
{
	enum breaker_state before = lc->breaker.state;
	const char *name;

	breaker_failure(&lc->breaker, now_us);
	name = breaker_state_name(lc->breaker.state);
	lc->state = lc->breaker.state == BREAKER_CLOSED ? "redis (failing)" : "degraded (breaker open)";
	limit_client_note(lc, lc->degraded ? LIMIT_NOTE_DEBUG : LIMIT_NOTE_WARN,
			  "event=%s store=redis error=\"%s\" breaker=%s",
			  lc->degraded ? "store_failed" : "store_degraded", err, name);
	lc->degraded = 1;
	limit_client_publish(lc);
	if (before == lc->breaker.state || lc->breaker.state != BREAKER_OPEN)
		return;
	limit_client_note(lc, before == BREAKER_CLOSED ? LIMIT_NOTE_WARN : LIMIT_NOTE_INFO,
			  "event=%s store=redis error=\"%s\" probe_in_ms=%llu",
			  before == BREAKER_CLOSED ? "breaker_open" : "breaker_probe_failed", err,
			  (unsigned long long)(lc->breaker.backoff_us / 1000));
}

/* limit_client_done - see limit_client.h */
void limit_client_done(struct limit_client *lc, int ok, const char *err, uint64_t now_us)
{
	if (ok)
		limit_client_ok(lc);
	else
		limit_client_failed(lc, err != NULL ? err : "failed", now_us);
}

/* limit_client_clock_due - see limit_client.h */
int limit_client_clock_due(const struct limit_client *lc, uint64_t now_us)
{
	return lc->use_redis && lc->clock_out_us == 0 &&
	       (!lc->clock_known || now_us - lc->clock_at_us >= LIMIT_CLIENT_CLOCK_EVERY_US);
}

/* limit_client_clock_sent - see limit_client.h */
void limit_client_clock_sent(struct limit_client *lc, uint64_t now_us)
{
	lc->clock_out_us = now_us ? now_us : 1;
}

/*
 * limit_client_clock_reply - see limit_client.h. Redis read its clock at
 * some moment between sending and now: taking now gives the lowest offset
 * the sample allows, so deadlines err early. Every such bound holds, so the
 * highest within the window is kept (the tightest).
 */
void limit_client_clock_reply(struct limit_client *lc, int ok, uint64_t redis_us,
			      const char *err, uint64_t now_us)
{
	int64_t low = (int64_t)redis_us - (int64_t)now_us;

	lc->clock_out_us = 0;
	if (ok) {
		if (!lc->clock_known || low >= lc->clock_offset_us ||
		    now_us - lc->clock_best_at_us >= LIMIT_CLIENT_CLOCK_WINDOW_US) {
			lc->clock_offset_us = low;
			lc->clock_best_at_us = now_us;
		}
		lc->clock_at_us = now_us;
		lc->clock_known = 1;
	}
	limit_client_done(lc, ok, err != NULL ? err : "bad TIME reply", now_us);
}

/* limit_client_local - see limit_client.h */
void limit_client_local(struct limit_client *lc, const struct limit_plan *plan, uint64_t wall_us,
			struct limit_result *results)
{
	memset(results, 0, plan->n * sizeof(*results));
	local_store_run(lc->local, plan, wall_us, results);
}

/* limit_client_state - see limit_client.h */
const char *limit_client_state(const struct limit_client *lc)
{
	return lc->state;
}

/* limit_client_degraded - see limit_client.h */
int limit_client_degraded(const struct limit_client *lc)
{
	return lc->use_redis && lc->degraded;
}
