/* live - explain --live: limits peeked in Redis, SPF evaluated; see live.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "cli/live.h"
#include "core/limits/limit_store.h"
#include "core/util/mem.h"
#include "core/redis/redis.h"
#include "core/spf/spf_pool.h"

struct cli_live {
	const struct rw_config *cfg;
	struct redis_sync *redis;	/* NULL: no redis section */
	struct redis_script script;
	struct event_base *base;	/* for the SPF pool, created on first use */
	struct spf_pool *pool;
	struct spf_outcome *outs;	/* the pool's answer */
};

/* live_open - see live.h */
struct cli_live *live_open(const struct rw_config *cfg, struct buf *err)
{
	struct cli_live *l = rw_calloc(1, sizeof(*l));
	struct redis_settings s;

	l->cfg = cfg;
	redis_script_init(&l->script, limit_store_lua, limit_store_lua_len);
	redis_settings_from_config(&s, cfg);
	if (s.servers.n > 0 || s.sentinels.n > 0)
		l->redis = redis_sync_new(&s, err);
	redis_settings_release(&s);
	if (err->len > 0)
		live_close(&l);
	return l;
}

/* live_limits - see live.h */
int live_limits(struct cli_live *l, struct limit_plan *plan, struct limit_result *results,
		const char **why_r)
{
	struct strvec keys = STRVEC_INIT, args = STRVEC_INIT, cmd = STRVEC_INIT;
	int charge = plan->charge, rc = -1;
	redisReply *reply = NULL;
	const char *err = NULL;
	enum redis_status st;

	*why_r = "limits: no redis section: each daemon counts in its own memory: not peeked";
	if (l->redis == NULL)
		return -1;
	plan->charge = 0;	/* mode "peek" with the plan's costs */
	if (limit_store_marshal(plan, &keys, &args, &err) == 0) {
		limit_store_command(NULL, &keys, &args, &cmd);
		st = redis_sync_evalsha(l->redis, &l->script, (int)keys.n, (int)cmd.n,
					(const char **)cmd.v, NULL, &reply);
		if (st != REDIS_ST_OK && st != REDIS_ST_ERROR)
			err = redis_sync_error(l->redis);
		else if (limit_store_parse(reply, plan, results, NULL, &err) == LIMIT_STORE_OK)
			rc = 0;
	}
	plan->charge = charge;
	if (rc < 0) {
		fprintf(stderr, "relaywarden: explain: limits not peeked: %s\n",
			err != NULL ? err : "no reply");
		*why_r = "limits: Redis did not answer: not peeked";
	}
	if (reply != NULL)
		freeReplyObject(reply);
	strvec_release(&keys);
	strvec_release(&args);
	strvec_release(&cmd);
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
	redis_sync_free(&l->redis);
	redis_script_release(&l->script);
	spf_pool_free(&l->pool);
	if (l->base != NULL)
		event_base_free(l->base);
	free(l);
	*lp = NULL;
}
