/* decision - relay, then SPF, then limits; see decision.h */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/customers.h"
#include "core/mem.h"
#include "core/relay.h"
#include "core/request.h"
#include "core/spf_pool.h"
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

/* decision_limits - the limits step: 1 when decided now, 0 when the limiter will answer */
static int decision_limits(struct decision *d, struct server *s)
{
	decision_plan(d);
	if (d->plan.n == 0)
		return 1;
	if (d->t.stage == STAGE_EOM)
		verdict_set(&d->v, ACT_OK, 0, NULL, NULL);	/* limits_decide refuses on top */
	if (d->plan.charge)
		d->plan.deadline_us = limiter_charge_deadline(server_limiter(s));
	d->lim_id = limiter_run(server_limiter(s), &d->plan, decision_on_limits, d);
	return 0;
}

/* decision_spf_mode - the SPF mode of direction dir */
static enum rw_mode decision_spf_mode(const struct decision *d, enum spf_dir dir)
{
	return dir == SPF_DIR_EGRESS ? d->cfg->spf.egress : d->cfg->spf.inbound;
}

/* decision_spf_receiver - our name in %{r} and Received-SPF */
static const char *decision_spf_receiver(const struct decision *d)
{
	if (d->cfg->spf.receiver != NULL)
		return d->cfg->spf.receiver;
	return d->cfg->instance_name != NULL ? d->cfg->instance_name : "unknown";
}

/* decision_spf_apply - the results of d->spf_dir into the verdict and the audit */
static void decision_spf_apply(struct decision *d, int cached)
{
	const struct spf_dir_results *r = &d->spf_txn->dir[d->spf_dir];
	enum rw_mode mode = decision_spf_mode(d, d->spf_dir);
	const struct spf_check_result *c = spf_policy_decisive(d->spf_dir, r);

	if (c == NULL)
		return;
	spf_policy_apply(mode, d->spf_dir, r, &d->v);
	d->spf = (struct audit_spf){
		.direction = spf_policy_dir_name(d->spf_dir), .mode = spf_policy_mode_name(mode),
		.helo_identity = !txn_has(d->t.sender), .cached = cached,
		.checks = r->v, .n = r->n, .decisive = (size_t)(c - r->v),
	};
}

/* decision_on_spf - the pool answered: apply, then the limits */
static void decision_on_spf(struct spf_outcome *outs, size_t n, void *arg)
{
	struct decision *d = arg;
	struct spf_dir_results *r = &d->spf_txn->dir[d->spf_dir];

	d->spf_id = 0;
	for (size_t i = 0; i < n && i < r->n; i++)
		r->v[i].out = outs[i];
	free(outs);
	r->done = 1;
	decision_spf_apply(d, 0);
	if (decision_limits(d, d->server))
		d->done(d, d->arg);
}

/* decision_spf_checks - the addresses to evaluate into r; 0 when none is usable */
static size_t decision_spf_checks(struct decision *d, enum spf_dir dir,
				  struct spf_dir_results *r)
{
	const struct rw_ip *ips = d->cfg->spf.egress_addresses;
	size_t n = dir == SPF_DIR_EGRESS ? d->cfg->spf.n_egress : 1;
	struct rw_ip client;

	if (dir == SPF_DIR_INBOUND) {
		if (!txn_has(d->t.client_address) || cidr_parse_ip(d->t.client_address, &client) < 0)
			return 0;
		ips = &client;
	}
	r->v = rw_calloc(n, sizeof(*r->v));
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		char text[64];

		r->v[i].ip = ips[i];
		inet_ntop(ips[i].family == 4 ? AF_INET : AF_INET6, ips[i].b, text, sizeof(text));
		r->v[i].ip_text = rw_strdup(text);
	}
	return n;
}

/* decision_spf_submit - hand the checks of r to the pool */
static void decision_spf_submit(struct decision *d, struct spf_pool *pool,
				const struct spf_dir_results *r)
{
	struct spf_request *reqs = rw_calloc(r->n, sizeof(*reqs));

	for (size_t i = 0; i < r->n; i++) {
		reqs[i].ip = r->v[i].ip;
		reqs[i].sender = txn_has(d->t.sender) ? d->t.sender : "";
		reqs[i].helo = txn_has(d->t.helo_name) ? d->t.helo_name : "";
		reqs[i].receiver = decision_spf_receiver(d);
	}
	d->spf_id = spf_pool_submit(pool, reqs, r->n, d->cfg->spf.budget_ms, decision_on_spf, d);
	free(reqs);
}

/* decision_spf_tag - DATA: the Received-SPF header of a tag-mode check of this transaction */
static void decision_spf_tag(struct decision *d)
{
	struct spf_txn *c = d->spf_txn;

	if (c == NULL || c->instance == NULL || !txn_has(d->t.instance) ||
	    strcmp(c->instance, d->t.instance) != 0 ||
	    strcmp(c->sender, d->t.sender != NULL ? d->t.sender : "") != 0)
		return;
	for (int dir = SPF_DIR_INBOUND; dir <= SPF_DIR_EGRESS; dir++) {
		if (decision_spf_mode(d, dir) != MODE_TAG || !c->dir[dir].done ||
		    c->dir[dir].n == 0)
			continue;
		spf_policy_header(dir, &c->dir[dir], decision_spf_receiver(d), d->t.sender,
				  d->t.helo_name, &d->prepend);
		verdict_trace(&d->v, "spf %s (tag): Received-SPF prepended",
			      spf_policy_dir_name(dir));
		return;
	}
}

/* decision_spf - the SPF step; 1 when the pool will answer, 0 when done now */
static int decision_spf(struct decision *d, struct server *s)
{
	struct spf_pool *pool = server_spf_pool(s);
	struct spf_dir_results *r;

	if (d->t.stage == STAGE_DATA)
		decision_spf_tag(d);
	if (d->t.stage != STAGE_RCPT || d->v.action != ACT_OK || d->spf_txn == NULL)
		return 0;
	d->spf_dir = d->v.rule != NULL ? SPF_DIR_EGRESS : SPF_DIR_INBOUND;
	if (decision_spf_mode(d, d->spf_dir) == MODE_OFF)
		return 0;
	if (pool == NULL) {
		verdict_trace(&d->v, "spf: no worker pool: not checked");
		return 0;
	}
	spf_txn_use(d->spf_txn, d->t.instance, d->t.sender);
	r = &d->spf_txn->dir[d->spf_dir];
	if (r->done) {
		decision_spf_apply(d, 1);
		return 0;
	}
	if (decision_spf_checks(d, d->spf_dir, r) == 0) {
		verdict_trace(&d->v, "spf inbound: client address unusable: not checked");
		return 0;
	}
	decision_spf_submit(d, pool, r);
	return 1;
}

/* decision_start - see decision.h */
int decision_start(struct decision *d, struct server *s, const struct proto_parser *p,
		   void (*done)(struct decision *d, void *arg), void *arg)
{
	d->cfg = config_ref(server_config(s));
	d->server = s;
	d->done = done;
	d->arg = arg;
	request_to_txn(p, &d->t, &d->store);
	relay_decide(d->cfg->policy, &d->t, &d->v);
	if (decision_spf(d, s))
		return 0;
	return decision_limits(d, s);
}

/* decision_cancel - see decision.h */
void decision_cancel(struct decision *d, struct server *s)
{
	if (d->lim_id != 0)
		limiter_cancel(server_limiter(s), d->lim_id);
	d->lim_id = 0;
	if (d->spf_id != 0)
		spf_pool_cancel(server_spf_pool(s), d->spf_id);
	d->spf_id = 0;
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
	buf_release(&d->prepend);
	strvec_release(&d->store);
	config_unref(&d->cfg);
	memset(d, 0, sizeof(*d));
}
