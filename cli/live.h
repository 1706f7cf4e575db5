/*
 * live - what `relaywarden explain --live` fetches, read-only: the limit
 * plan peeked in the Redis of the redis section (schema/limits.lua in mode
 * "peek": nothing is written, also for an END-OF-MESSAGE plan, whose costs
 * are asked for as they are), through the limit client and synchronous
 * transport the milter uses (core/limits/limit_sync.h: limit_sync_peek, no
 * local fallback, no log notes), and the SPF checks, evaluated by the same
 * worker pool and resolver policyd uses (core/spf/spf_pool.h, the dns section),
 * on a private event loop. Without a redis section the daemons count in
 * their own memory, which no other process can see: live_limits says so.
 *
 * Errors: live_open fails only on bad settings; a Redis that does not
 * answer is reported by live_limits. Not thread-safe (one per command).
 */
#ifndef RW_CLI_LIVE_H
#define RW_CLI_LIVE_H

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"
#include "core/spf/spf.h"

struct cli_live;

/* live_open - the clients for cfg; NULL with *err */
struct cli_live *live_open(const struct rw_config *cfg, struct buf *err);
/*
 * live_limits - peek plan (whatever its charge flag says): results[i]
 * answers plan->v[i]; 0, or -1 with a static reason in *why_r (no redis
 * section, Redis failed: printed on stderr too)
 */
int live_limits(struct cli_live *l, const struct limit_plan *plan, struct limit_result *results,
		const char **why_r);
/* live_spf - evaluate reqs[0..n-1] within budget_ms; the outcomes (malloc'd array) */
struct spf_outcome *live_spf(struct cli_live *l, const struct spf_request *reqs, size_t n,
			     unsigned budget_ms);
void live_close(struct cli_live **lp);

#endif
