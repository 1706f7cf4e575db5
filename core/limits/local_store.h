/*
 * local_store - the in-process fallback counter store (fail mode `local`).
 *
 * When Redis is unavailable, checks of limits with on_failure FAIL_LOCAL
 * run here, each node counting on its own at local_share percent of the
 * limit: a rate's emission interval is stretched by 100/share (the rate
 * drops to share percent) while its burst stays whole, so every message
 * that fits the limit can fit locally and never_fits means the same as in
 * Redis; a quota's cap becomes cap * share / 100 (at least 1) per window.
 * Overrides and blocks live in Redis and are not seen here.
 *
 * Semantics mirror schema/limits.lua: checks run in order against the state
 * left by the ones before; the run commits (plan->charge) only when every
 * enforce FAIL_LOCAL check has room and no enforce check of the plan has
 * fail mode FAIL_TEMPFAIL (that message will be deferred, so it must cost
 * nothing); shadow checks are charged when they fit. Every result gets
 * degraded = 1; checks whose limit is not FAIL_LOCAL are not evaluated and
 * keep ok = 0 (limits_decide applies their fail mode).
 *
 * The table is a hash map keyed by limit name, dimension, customer,
 * identity, window and unit (clear text: it never leaves the process),
 * bounded to max_entries with least-recently-used eviction; an evicted key
 * restarts empty (the fallback errs towards accepting). Pure: libc only;
 * the clock is passed in. Not thread-safe: one store per thread or a lock.
 */
#ifndef RW_LOCAL_STORE_H
#define RW_LOCAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits/limits.h"

struct local_store;

/* local_store_new - an empty store of at most max_entries keys (min 16) */
struct local_store *local_store_new(size_t max_entries);
void local_store_free(struct local_store **lsp);
/*
 * local_store_set_parts - parts stores share each limit's local share
 * (policyd's event loops, one store each): this one counts a rate at
 * 1/parts of it, its burst kept, and a quota at 1/parts of its cap (at
 * least 1); 1 by default
 */
void local_store_set_parts(struct local_store *ls, unsigned parts);
/* local_store_run - results[i] answers plan->v[i]; now_us is wall-clock µs */
void local_store_run(struct local_store *ls, const struct limit_plan *plan, uint64_t now_us,
		     struct limit_result *results);
/* local_store_count - keys held now */
size_t local_store_count(const struct local_store *ls);

#endif
