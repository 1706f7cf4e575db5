/* decision - relay, then limits; see decision.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/customers.h"
#include "core/relay.h"
#include "core/request.h"
#include "policyd/decision.h"
#include "policyd/limiter.h"

/* decision_rule - the relay rule named name, or NULL */
static const struct rw_rule *decision_rule(const struct rw_policy *p, const char *name)
{
	for (size_t i = 0; name != NULL && i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	return NULL;
}

/* decision_plan - the limit checks this request needs (peek at RCPT, charge at EOM) */
static void decision_plan(struct decision *d)
{
	const struct rw_policy *p = d->cfg->policy;
	const struct rw_rule *rule;
	const char *customer;
	int charge;

	if (p->n_limits == 0)
		return;
	if ((d->t.stage == STAGE_RCPT || d->t.stage == STAGE_VRFY) && d->v.action == ACT_OK) {
		charge = 0;
		rule = decision_rule(p, d->v.rule);
	} else if (d->t.stage == STAGE_EOM && p->charge_at == CHARGE_AT_POLICYD) {
		charge = 1;
		rule = relay_permitter(p, &d->t);
	} else {
		return;
	}
	customer = customers_lookup(p->customers, &d->t, NULL);
	limits_plan(p, &d->t, rule, customer, charge, (int64_t)time(NULL), &d->plan);
}

/* decision_on_limits - the limiter answered */
static void decision_on_limits(const struct limit_plan *plan, struct limit_result *results,
			       void *arg)
{
	struct decision *d = arg;

	d->lim_id = 0;
	d->results = results;
	limits_decide(plan, results, &d->v);
	if (d->t.stage == STAGE_EOM && d->v.action == ACT_OK)
		verdict_set(&d->v, ACT_DUNNO, 0, NULL, NULL);
	d->done(d, d->arg);
}

/* decision_start - see decision.h */
int decision_start(struct decision *d, struct server *s, const struct proto_parser *p,
		   void (*done)(struct decision *d, void *arg), void *arg)
{
	d->cfg = config_ref(server_config(s));
	d->done = done;
	d->arg = arg;
	request_to_txn(p, &d->t, &d->store);
	relay_decide(d->cfg->policy, &d->t, &d->v);
	decision_plan(d);
	if (d->plan.n == 0)
		return 1;
	if (d->t.stage == STAGE_EOM)
		verdict_set(&d->v, ACT_OK, 0, NULL, NULL);	/* limits_decide refuses on top */
	d->lim_id = limiter_run(server_limiter(s), &d->plan, decision_on_limits, d);
	return 0;
}

/* decision_cancel - see decision.h */
void decision_cancel(struct decision *d, struct server *s)
{
	if (d->lim_id != 0)
		limiter_cancel(server_limiter(s), d->lim_id);
	d->lim_id = 0;
}

/* decision_audited - relay decisions and every decision that ran limits */
int decision_audited(const struct decision *d)
{
	return d->t.stage == STAGE_RCPT || d->t.stage == STAGE_VRFY || d->plan.n > 0;
}

/* decision_release - free everything */
void decision_release(struct decision *d)
{
	for (size_t i = 0; d->results != NULL && i < d->plan.n; i++)
		limit_result_release(&d->results[i]);
	free(d->results);
	limit_plan_release(&d->plan);
	verdict_release(&d->v);
	strvec_release(&d->store);
	config_unref(&d->cfg);
	memset(d, 0, sizeof(*d));
}
