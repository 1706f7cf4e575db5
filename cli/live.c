/* live - explain --live: limits peeked in Redis, SPF evaluated; see live.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "cli/live.h"
#include "core/limits/limit_sync.h"
#include "core/util/mem.h"
#include "core/spf/spf_pool.h"

struct cli_live {
	const struct rw_config *cfg;
	struct limit_sync *limits;	/* the milter's sync limit client, no notes */
	struct event_base *base;	/* for the SPF pool, created on first use */
	struct spf_pool *pool;
	struct spf_outcome *outs;	/* the pool's answer */
};

/* live_open - see live.h */
struct cli_live *live_open(const struct rw_config *cfg, struct buf *err)
{
	struct cli_live *l = rw_calloc(1, sizeof(*l));

	l->cfg = cfg;
	if ((l->limits = limit_sync_new(cfg, NULL, NULL, err)) == NULL)
		live_close(&l);
	return l;
}

/* live_limits - see live.h */
int live_limits(struct cli_live *l, const struct limit_plan *plan, struct limit_result *results,
		const char **why_r)
{
	struct buf err = BUF_INIT;
	int rc;

	*why_r = "limits: no redis section: each daemon counts in its own memory: not peeked";
	if (!limit_sync_has_redis(l->limits))
		return -1;
	if ((rc = limit_sync_peek(l->limits, plan, results, &err)) < 0) {
		fprintf(stderr, "relaywarden: explain: limits not peeked: %s\n", buf_cstr(&err));
		*why_r = "limits: Redis did not answer: not peeked";
	}
	buf_release(&err);
	return rc;
}

/* live_on_spf - the pool answered: keep the outcomes, stop the loop */
static void live_on_spf(struct spf_outcome *outs, size_t n, void *arg)
{
	struct cli_live *l = arg;

	(void)n;
	l->outs = outs;
	event_base_loopbreak(l->base);
}

/* live_spf_failed - n temperror outcomes, when no pool could be made */
static struct spf_outcome *live_spf_failed(size_t n, const char *why)
{
	struct spf_outcome *outs = rw_calloc(n, sizeof(*outs));

	for (size_t i = 0; i < n; i++) {
		outs[i].result = SPF_TEMPERROR;
		buf_puts(&outs[i].problem, why);
	}
	return outs;
}

/* live_spf - see live.h */
struct spf_outcome *live_spf(struct cli_live *l, const struct spf_request *reqs, size_t n,
			     unsigned budget_ms)
{
	struct dns_config dns = { .upstreams = l->cfg->dns.upstreams,
				  .timeout_ms = l->cfg->dns.timeout_ms };
	struct buf err = BUF_INIT;

	if (l->base == NULL && (l->base = event_base_new()) == NULL)
		return live_spf_failed(n, "cannot create an event loop");
	if (l->pool == NULL && (l->pool = spf_pool_new(l->base, &dns, 1, &err)) == NULL) {
		fprintf(stderr, "relaywarden: explain: SPF: %s\n", buf_cstr(&err));
		buf_release(&err);
		return live_spf_failed(n, "no resolver");
	}
	l->outs = NULL;
	spf_pool_submit(l->pool, reqs, n, budget_ms, live_on_spf, l);
	while (l->outs == NULL && event_base_loop(l->base, EVLOOP_ONCE) == 0)
		;
	return l->outs != NULL ? l->outs : live_spf_failed(n, "event loop failed");
}

/* live_close - free everything; clears *lp */
void live_close(struct cli_live **lp)
{
	struct cli_live *l = *lp;

	if (l == NULL)
		return;
	limit_sync_unref(&l->limits);
	spf_pool_free(&l->pool);
	if (l->base != NULL)
		event_base_free(l->base);
	free(l);
	*lp = NULL;
}
