/*
 * limit_client - the limit store's client state, one state machine for
 * every front-end: the circuit breaker (core/limits/breaker.c), the local fallback
 * (core/limits/local_store.c), Redis's clock offset (charge deadlines) and the
 * degraded state. Sans-I/O: it never touches a socket or a clock; the
 * transport glue (policyd/limiter.c on the async client,
 * core/limits/limit_sync.c on the sync one: the milter, explain --live)
 * passes the monotonic time in and tells it how each Redis command went.
 * Pure: libc only.
 *
 * One request:
 *  1. limit_client_route: LIMIT_ROUTE_LOCAL (no Redis configured, or the
 *     breaker is open: the local store and the fail modes decide at once),
 *     LIMIT_ROUTE_REDIS (send the plan; a charge with ticket.deadline_us),
 *     or LIMIT_ROUTE_CLOCK (a charge while Redis's clock is not known:
 *     sample it first, then limit_client_resume gives REDIS or LOCAL).
 *  2. limit_client_done: the command's outcome (a parsed reply, or an
 *     error, timeout, disconnect). Every outcome feeds the breaker and the
 *     degraded flag, TIME samples too (limit_client_clock_reply).
 *
 * Charge deadlines. schema/limits.lua refuses (RWLATE) a charge that runs
 * on Redis after ARGV deadline, so a stalled Redis that catches up never
 * charges mail whose client gave up and applied the fail mode. The client
 * gives up timeout after the request began (start); the script's reply
 * must still get back before that, so the deadline is
 *     start + offset + timeout - margin,  margin = timeout * MARGIN_PCT / 100
 * where offset (Redis's TIME minus our monotonic clock) is a lower bound:
 * each sample's (Redis read TIME at the latest when its reply arrived), the
 * highest of those taken within CLOCK_WINDOW, so one sample whose reply
 * waited (a busy loop) does not pull every deadline early. The deadline is
 * early, never late, by the best sample's round trip. With the default
 * timeout_ms 100 the script must run within 75 ms of the request, leaving
 * 25 ms for the reply's way back. A reply that still comes after the client
 * gave up (a stall between the script and its reply, which no deadline the
 * script checks can cover) is the transport glue's to refund
 * (limit_store_refund). No charge leaves without a
 * deadline: before the first sample (or when the last one is older than
 * CLOCK_MAX_AGE) a charge waits for a sample within its own timeout
 * (LIMIT_ROUTE_CLOCK) and falls back to the fail mode when the sample fails
 * -- it is never sent with no deadline, and no clock is guessed (two hosts'
 * clocks have no bound we could rely on). Peeks write nothing and carry no
 * deadline.
 *
 * Not thread-safe: one per event loop, or a lock around every call (the
 * milter). Notes (state changes, for the log) go to the note callback.
 */
#ifndef RW_LIMIT_CLIENT_H
#define RW_LIMIT_CLIENT_H

#include <stdint.h>

#include "core/limits/breaker.h"
#include "core/limits/limits.h"

struct local_store;

/* Keys the local fallback may hold; least recently used go first. */
#define LIMIT_CLIENT_LOCAL_ENTRIES 100000
/* Consecutive store failures that open the breaker; its backoff range. */
#define LIMIT_CLIENT_BREAKER_FAILURES 3
#define LIMIT_CLIENT_BREAKER_MIN_US   500000
#define LIMIT_CLIENT_BREAKER_MAX_US   5000000
/*
 * Redis's clock is sampled this often; without a sample for MAX_AGE the
 * offset is not used; the best lower bound is kept for WINDOW (a clock
 * that steps back is followed within it).
 */
#define LIMIT_CLIENT_CLOCK_EVERY_US   10000000
#define LIMIT_CLIENT_CLOCK_MAX_AGE_US 30000000
#define LIMIT_CLIENT_CLOCK_WINDOW_US  60000000
/* Share of the timeout kept for the reply's way back (see above). */
#define LIMIT_CLIENT_MARGIN_PCT 25

enum limit_route {
	LIMIT_ROUTE_LOCAL = 0,	/* skip Redis: limit_client_local */
	LIMIT_ROUTE_REDIS,	/* send the plan (a charge with ticket.deadline_us) */
	LIMIT_ROUTE_CLOCK,	/* sample Redis's clock first, then limit_client_resume */
};

/* One request's passage: filled by limit_client_route. */
struct limit_ticket {
	uint64_t start_us;	/* monotonic: the request began (its timeout counts from here) */
	uint64_t deadline_us;	/* a charge's deadline on Redis's clock; 0 for a peek */
	int charge;
	int probe;		/* the breaker's half-open probe */
};

enum limit_note_level { LIMIT_NOTE_WARN, LIMIT_NOTE_INFO, LIMIT_NOTE_DEBUG };

/* limit_note_fn - one log line ("event=... store=redis ...") about a state change */
typedef void limit_note_fn(void *arg, enum limit_note_level level, const char *line);

struct limit_client {
	int use_redis;			/* 0: every request runs locally */
	uint64_t timeout_us;		/* the transport's per-command timeout */
	struct breaker breaker;
	struct local_store *local;
	int degraded;			/* the last Redis outcome was a failure */
	const char *state;		/* "redis", "redis (failing)", "degraded (breaker open)", "local" */
	int clock_known;
	int64_t clock_offset_us;	/* Redis's TIME minus our monotonic clock (lower bound) */
	uint64_t clock_at_us;		/* monotonic time of the last sample */
	uint64_t clock_best_at_us;	/* monotonic time of the sample clock_offset_us is from */
	uint64_t clock_out_us;		/* a sample is out since then; 0: none */
	limit_note_fn *note;
	void *note_arg;
};

/* limit_client_init - closed breaker, empty local store; timeout_ms of the transport */
void limit_client_init(struct limit_client *lc, int use_redis, unsigned timeout_ms,
		       limit_note_fn *note, void *note_arg);
void limit_client_release(struct limit_client *lc);

/* limit_client_route - how a request (charge or peek) goes now; fills *t */
enum limit_route limit_client_route(struct limit_client *lc, int charge, uint64_t now_us,
				    struct limit_ticket *t);
/*
 * limit_client_resume - a LIMIT_ROUTE_CLOCK request once the sample is
 * back: REDIS with t->deadline_us, or LOCAL (no clock; or the wait used up
 * the time the script had, which counts as a timeout)
 */
enum limit_route limit_client_resume(struct limit_client *lc, struct limit_ticket *t,
				     uint64_t now_us);
/* limit_client_done - a Redis command's outcome: ok, or failed with err (static text) */
void limit_client_done(struct limit_client *lc, int ok, const char *err, uint64_t now_us);

/* limit_client_clock_due - 1 when a TIME sample should go now (none out, none fresh) */
int limit_client_clock_due(const struct limit_client *lc, uint64_t now_us);
/* limit_client_clock_sent - a TIME sample went out at now_us */
void limit_client_clock_sent(struct limit_client *lc, uint64_t now_us);
/*
 * limit_client_clock_reply - the sample's answer: redis_us is Redis's TIME
 * in µs (ok), or ok = 0 with err; counts as an outcome (limit_client_done)
 */
void limit_client_clock_reply(struct limit_client *lc, int ok, uint64_t redis_us,
			      const char *err, uint64_t now_us);
/* limit_client_deadline - a charge starting at start_us: its deadline on Redis's clock, 0 unknown */
uint64_t limit_client_deadline(const struct limit_client *lc, uint64_t start_us);

/* limit_client_local - the local store decides (results zeroed here; each degraded) */
void limit_client_local(struct limit_client *lc, const struct limit_plan *plan,
			uint64_t wall_us, struct limit_result *results);
/* limit_client_state - "redis", "redis (failing)", "degraded (breaker open)", "local" */
const char *limit_client_state(const struct limit_client *lc);
/* limit_client_degraded - 1 while Redis is configured and failing */
int limit_client_degraded(const struct limit_client *lc);
/*
 * limit_client_latest - the state and degraded flag after the latest Redis
 * outcome of any client in the process (policyd's event loops each have
 * one, for one store); 0 when no client has used Redis yet
 */
int limit_client_latest(const char **state, int *degraded);

#endif
