/*
 * limit_sync - the limit client (core/limits/limit_client.c) over
 * synchronous Redis clients: a limit plan in, one struct limit_result per
 * check out, in the calling thread. The milter's store (policyd runs the
 * same client on the async one, policyd/limiter.c) and the peek of
 * `relaywarden explain --live` (cli/live.c).
 *
 * A plan runs as one EVALSHA of schema/limits.lua (core/limits/limit_store.c)
 * on a synchronous Redis client (core/redis/redis.c: per-I/O deadline
 * timeout_ms of the redis section, reconnection, Sentinel). Clients are
 * never shared between threads: a thread takes an idle client from the
 * pool for one call and gives it back (a new one is made when none is
 * idle), so connections are reused across calls and there are never more
 * than the concurrent calls. The breaker, the local fallback, Redis's
 * clock (a charge's deadline) and the degraded state are limit_client's:
 * this file is the synchronous glue. A charge first samples Redis's clock
 * (TIME) on its own connection when no sample is known or the last is
 * LIMIT_CLIENT_CLOCK_EVERY_US old; when the sample fails the charge is not
 * sent and the fail mode applies. A charge that times out waits up to a
 * second more for its reply, and gives back what it charged when the
 * reply says it committed after all (a stall between the script and its
 * reply), before the message is deferred (logged, core/util/log.c). A peek
 * (plan->charge 0, or limit_sync_peek) carries no deadline, needs no clock
 * and writes nothing.
 *
 * Thread-safety: limit_sync_run and limit_sync_peek may be called from any
 * number of threads; the pool, the breaker and the local store are behind
 * one mutex (never held during Redis I/O). limit_sync_ref/limit_sync_unref
 * are atomic. Ownership: results (plan->n of them, zeroed by the caller)
 * get owned reasons (limit_result_release); on failure limit_sync_peek
 * leaves them zeroed. Errors: limit_sync_new fails only on bad redis
 * settings; Redis failures are outcomes (limit_sync_run: the fail modes;
 * limit_sync_peek: -1 and why).
 */
#ifndef RW_LIMIT_SYNC_H
#define RW_LIMIT_SYNC_H

#include "core/config/config.h"
#include "core/limits/limit_client.h"
#include "core/limits/limits.h"
#include "core/util/buf.h"

struct limit_sync;

/*
 * limit_sync_new - the client for cfg's redis section (one reference),
 * notes to note (may be NULL); NULL with *err for bad redis settings
 */
struct limit_sync *limit_sync_new(const struct rw_config *cfg, limit_note_fn *note,
				  void *note_arg, struct buf *err);
/* limit_sync_same - cfg would get the same client (a reload keeps it, and its local state) */
int limit_sync_same(const struct limit_sync *ls, const struct rw_config *cfg);
/* limit_sync_has_redis - 1 when cfg had a redis section (servers or sentinels) */
int limit_sync_has_redis(const struct limit_sync *ls);
/* limit_sync_run - run plan, on Redis or by the fail modes; results[i] answers plan->v[i] */
void limit_sync_run(struct limit_sync *ls, const struct limit_plan *plan,
		    struct limit_result *results);
/*
 * limit_sync_peek - plan as a peek (its charge flag ignored, nothing
 * written) on Redis only: 0 with results, or -1 with why (no redis
 * section, breaker open, Redis's error) and no fallback
 */
int limit_sync_peek(struct limit_sync *ls, const struct limit_plan *plan,
		    struct limit_result *results, struct buf *why);
/* limit_sync_state - "redis", "redis (failing)", "degraded (breaker open)", "local" */
const char *limit_sync_state(struct limit_sync *ls);
/* limit_sync_degraded - 1 while Redis is configured and failing (limits apply their fail mode) */
int limit_sync_degraded(struct limit_sync *ls);
struct limit_sync *limit_sync_ref(struct limit_sync *ls);
void limit_sync_unref(struct limit_sync **lsp);

#endif
