/*
 * store - the milter's rate-limit and quota store: a limit plan in, one
 * struct limit_result per check out, synchronously in the calling
 * libmilter thread. Same semantics as policyd/limiter.c.
 *
 * A plan runs as one EVALSHA of schema/limits.lua (core/limits/limit_store.c) on
 * a synchronous Redis client (core/redis/redis.c: per-I/O deadline timeout_ms of
 * the redis section, reconnection, Sentinel). Clients are never shared
 * between threads: a thread takes an idle client from the store's pool for
 * one call and gives it back (a new one is made when none is idle), so
 * connections are reused across SMTP sessions and there are never more
 * than the concurrent decisions. The breaker, the local fallback, Redis's
 * clock (a charge's deadline) and the degraded state are
 * core/limits/limit_client.c's, as in policyd: this file is the synchronous glue.
 * A charge first samples Redis's clock (TIME) on its own connection when
 * no sample is known or the last is LIMIT_CLIENT_CLOCK_EVERY_US old; when
 * the sample fails the charge is not sent and the fail mode applies. A
 * charge that times out waits up to a second more for its reply, and gives
 * back what it charged when the reply says it committed after all (a stall
 * between the script and its reply), before the message is deferred.

 * Thread-safety: store_run may be called from any number of threads; the
 * pool, the breaker and the local store are behind one mutex (never held
 * during Redis I/O). store_ref/store_unref are atomic. Ownership: results
 * (plan->n of them, zeroed by the caller) get owned reasons
 * (limit_result_release).
 */
#ifndef RW_MILTER_STORE_H
#define RW_MILTER_STORE_H

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"

struct store;

/* store_new - the store for cfg (one reference); NULL with *err for bad redis settings */
struct store *store_new(const struct rw_config *cfg, struct buf *err);
/* store_same - cfg would get the same store (a reload keeps it, and its local state) */
int store_same(const struct store *s, const struct rw_config *cfg);
/* store_run - run plan; results[i] answers plan->v[i] */
void store_run(struct store *s, const struct limit_plan *plan, struct limit_result *results);
/* store_state - "redis", "redis (failing)", "degraded (breaker open)", "local" */
const char *store_state(struct store *s);
/* store_degraded - 1 while Redis is configured and failing (limits apply their fail mode) */
int store_degraded(struct store *s);
struct store *store_ref(struct store *s);
void store_unref(struct store **sp);

#endif
