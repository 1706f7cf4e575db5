/* decision - core/engine/decide.c with asynchronous fetches; see decision.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/mem.h"
#include "core/engine/request.h"
#include "core/spf/spf_pool.h"
#include "policyd/decision.h"
#include "policyd/limiter.h"

static int decision_run(struct decision *d);

/* decision_on_limits - the limiter answered */
static void decision_on_limits(const struct limit_plan *plan, struct limit_result *results,
			       void *arg)
{
	struct decision *d = arg;

	(void)plan;
	d->lim_id = 0;
	decide_limits_done(&d->dec, results);
	if (decision_run(d))
		d->done(d, d->arg);
}

/* decision_on_spf - the pool answered */
static void decision_on_spf(struct spf_outcome *outs, size_t n, void *arg)
{
	struct decision *d = arg;

	d->spf_id = 0;
	decide_spf_done(&d->dec, outs, n);
	if (decision_run(d))
		d->done(d, d->arg);
}

/* decision_spf_submit - hand the evaluations decide asks for to the pool */
static void decision_spf_submit(struct decision *d)
{
	size_t n = d->dec.spf_checks->n;
	struct spf_request *reqs = rw_calloc(n, sizeof(*reqs));

	decide_spf_requests(&d->dec, reqs);
	d->spf_id = spf_pool_submit(d->env.spf_pool, reqs, n, d->env.cfg->spf.budget_ms,
				    decision_on_spf, d);
	free(reqs);
}

/* decision_run - fetch what the decision needs; 1 when decided, 0 when waiting */
static int decision_run(struct decision *d)
{
	for (;;) {
		switch (decide_next(&d->dec)) {
		case DECIDE_NEED_SPF:
			if (d->env.spf_pool == NULL) {
				decide_skip(&d->dec, "spf: no worker pool: not checked");
				break;
			}
			decision_spf_submit(d);
			return 0;
		case DECIDE_NEED_LIMITS:
			if (d->dec.plan.charge)
				d->dec.plan.deadline_us = limiter_charge_deadline(d->env.limiter);
			d->lim_id = limiter_run(d->env.limiter, &d->dec.plan, decision_on_limits, d);
			return 0;
		default:	/* DECIDE_DONE (message checks are the milter's) */
			return 1;
		}
	}
}

/* decision_start - see decision.h */
int decision_start(struct decision *d, const struct decision_env *env,
		   const struct proto_parser *p, void (*done)(struct decision *d, void *arg),
		   void *arg)
{
	d->env = *env;
	d->env.cfg = config_ref(env->cfg);
	d->done = done;
	d->arg = arg;
	request_to_txn(p, &d->t, &d->store);
	decide_start(&d->dec, d->env.cfg, DECIDE_POLICYD, &d->t, d->spf_txn, (int64_t)time(NULL));
	return decision_run(d);
}

/* decision_cancel - see decision.h */
void decision_cancel(struct decision *d)
{
	if (d->lim_id != 0)
		limiter_cancel(d->env.limiter, d->lim_id);
	d->lim_id = 0;
	if (d->spf_id != 0)
		spf_pool_cancel(d->env.spf_pool, d->spf_id);
	d->spf_id = 0;
}

/* decision_release - free everything */
void decision_release(struct decision *d)
{
	decide_release(&d->dec);
	strvec_release(&d->store);
	config_unref(&d->env.cfg);
	memset(d, 0, sizeof(*d));
}
