/*
 * limiter - policyd's rate-limit and quota store: a limit plan in, one
 * struct limit_result per check out, asynchronously on the event loop.
 *
 * A plan runs as one EVALSHA of schema/limits.lua (core/limits/limit_store.c) on
 * the async Redis client (core/redis/redis.c: per-command deadline, reconnection,
 * Sentinel). The breaker, the local fallback, Redis's clock offset and the
 * degraded state are core/limits/limit_client.c's (the milter's store uses the
 * same); this file is the event-loop glue. When Redis fails (error,
 * timeout, disconnect) or the circuit breaker is open, every result is
 * marked degraded and checks of limits with on_store_failure = local run
 * on the in-process store; limits_decide then applies each limit's fail
 * mode. Without a redis section every plan runs locally. A charge carries
 * its deadline on Redis's clock (set here at sending, whatever
 * plan->deadline_us says); a charge made before Redis's clock is known
 * waits for the TIME sample within its own timeout, and falls back when
 * the sample fails: no charge is sent without a deadline.

 * The callback runs exactly once per limiter_run, from the loop (never from
 * inside limiter_run), unless limiter_cancel ran first. The plan stays the
 * caller's and must live until the callback or the cancel; results passed
 * to the callback are the callback's (limit_result_release each, free the
 * array). limiter_free completes every pending request on the local store
 * (their callbacks run) before it returns. Not thread-safe: one limiter per
 * event loop.
 */
#ifndef RW_LIMITER_H
#define RW_LIMITER_H

#include <stdint.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"

struct event_base;
struct limiter;

typedef void limiter_cb(const struct limit_plan *plan, struct limit_result *results,
			void *arg);

/* limiter_new - the store for cfg; NULL with *err when the redis settings are bad */
struct limiter *limiter_new(struct event_base *base, const struct rw_config *cfg,
			    struct buf *err);
/* limiter_same_store - cfg would get the same store (reload keeps the limiter) */
int limiter_same_store(const struct limiter *l, const struct rw_config *cfg);
/* limiter_run - run plan; a request id (> 0) for limiter_cancel */
uint64_t limiter_run(struct limiter *l, const struct limit_plan *plan, limiter_cb *cb,
		     void *arg);
/*
 * limiter_charge_deadline - the deadline on Redis's clock a charge starting
 * now gets (limit_client_deadline); 0 when unknown (no Redis, no sample
 * yet). For logs and callers that show it: limiter_run sets a charge's
 * deadline itself.
 */
uint64_t limiter_charge_deadline(const struct limiter *l);
/* limiter_cancel - the callback of id will not run */
void limiter_cancel(struct limiter *l, uint64_t id);
/* limiter_store_state - "redis", "degraded (breaker open)", "local" for logs */
const char *limiter_store_state(const struct limiter *l);
/* limiter_degraded - 1 while Redis is configured and failing (limits apply their fail mode) */
int limiter_degraded(const struct limiter *l);
/* limiter_local_parts - this limiter's local store is one of parts (local_store_set_parts) */
void limiter_local_parts(struct limiter *l, unsigned parts);
void limiter_free(struct limiter **lp);

#endif
