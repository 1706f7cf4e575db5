/* decide - relay, then SPF, then limits, for every front-end; see decide.h */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits/customers.h"
#include "core/engine/decide.h"
#include "core/util/mem.h"
#include "core/engine/relay.h"

enum decide_step { STEP_CHECKS = 1, STEP_SPF, STEP_LIMITS, STEP_DONE };

/* decide_start - see decide.h */
void decide_start(struct decide *d, const struct rw_config *cfg, enum decide_front front,
		  const struct rw_txn *t, struct spf_txn *spf_cache, int64_t now)
{
	*d = (struct decide){ .cfg = cfg, .t = t, .front = front, .now = now,
			      .v = VERDICT_INIT, .spf_cache = spf_cache, .prepend = BUF_INIT };
	if (front == DECIDE_MILTER && t->stage == STAGE_EOM) {
		d->step = STEP_CHECKS;
		return;
	}
	relay_decide(cfg->policy, t, &d->v);
	d->step = STEP_SPF;
}

/* decide_spf_mode - see decide.h */
enum rw_mode decide_spf_mode(const struct rw_config *cfg, enum spf_dir dir)
{
	return dir == SPF_DIR_EGRESS ? cfg->spf.egress : cfg->spf.inbound;
}

/* decide_spf_receiver - see decide.h */
const char *decide_spf_receiver(const struct rw_config *cfg)
{
	if (cfg->spf.receiver != NULL)
		return cfg->spf.receiver;
	return cfg->instance_name != NULL ? cfg->instance_name : "unknown";
}

/* decide_spf_apply - the results of d->spf_dir into the verdict and the audit */
static void decide_spf_apply(struct decide *d, int cached)
{
	const struct spf_dir_results *r = &d->spf_cache->dir[d->spf_dir];
	enum rw_mode mode = decide_spf_mode(d->cfg, d->spf_dir);
	const struct spf_check_result *c = spf_policy_decisive(d->spf_dir, r);

	if (c == NULL)
		return;
	spf_policy_apply(mode, d->spf_dir, r, &d->v);
	d->spf = (struct audit_spf){
		.direction = spf_policy_dir_name(d->spf_dir), .mode = spf_policy_mode_name(mode),
		.helo_identity = !txn_has(d->t->sender), .cached = cached,
		.checks = r->v, .n = r->n, .decisive = (size_t)(c - r->v),
	};
}

/* decide_spf_unplan - forget the addresses of an evaluation that did not run */
static void decide_spf_unplan(struct spf_dir_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].ip_text);
		spf_outcome_release(&r->v[i].out);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* decide_spf_addresses - the addresses to evaluate into r; 0 when none is usable */
static size_t decide_spf_addresses(struct decide *d, struct spf_dir_results *r)
{
	const struct rw_ip *ips = d->cfg->spf.egress_addresses;
	size_t n = d->spf_dir == SPF_DIR_EGRESS ? d->cfg->spf.n_egress : 1;
	struct rw_ip client;

	if (d->spf_dir == SPF_DIR_INBOUND) {
		if (!txn_has(d->t->client_address) ||
		    cidr_parse_ip(d->t->client_address, &client) < 0)
			return 0;
		ips = &client;
	}
	decide_spf_unplan(r);
	r->v = rw_calloc(n, sizeof(*r->v));
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		char text[INET6_ADDRSTRLEN];

		r->v[i].ip = ips[i];
		inet_ntop(ips[i].family == 4 ? AF_INET : AF_INET6, ips[i].b, text, sizeof(text));
		r->v[i].ip_text = rw_strdup(text);
	}
	return n;
}

/* decide_spf_tag - DATA: the Received-SPF header of a tag-mode check of this transaction */
static void decide_spf_tag(struct decide *d)
{
	const struct spf_txn *c = d->spf_cache;

	if (c == NULL || c->instance == NULL || !txn_has(d->t->instance) ||
	    strcmp(c->instance, d->t->instance) != 0 ||
	    strcmp(c->sender, d->t->sender != NULL ? d->t->sender : "") != 0)
		return;
	for (int dir = SPF_DIR_INBOUND; dir <= SPF_DIR_EGRESS; dir++) {
		if (decide_spf_mode(d->cfg, dir) != MODE_TAG || !c->dir[dir].done ||
		    c->dir[dir].n == 0)
			continue;
		spf_policy_header(dir, &c->dir[dir], decide_spf_receiver(d->cfg), d->t->sender,
				  d->t->helo_name, &d->prepend);
		verdict_trace(&d->v, "spf %s (tag): Received-SPF prepended",
			      spf_policy_dir_name(dir));
		return;
	}
}

/* decide_spf_step - the SPF step: 1 when an evaluation is needed, 0 when done now */
static int decide_spf_step(struct decide *d)
{
	struct spf_dir_results *r;

	if (d->t->stage == STAGE_DATA)
		decide_spf_tag(d);
	if (d->t->stage != STAGE_RCPT || d->v.action != ACT_OK || d->spf_cache == NULL)
		return 0;
	d->spf_dir = d->v.rule != NULL ? SPF_DIR_EGRESS : SPF_DIR_INBOUND;
	if (decide_spf_mode(d->cfg, d->spf_dir) == MODE_OFF)
		return 0;
	spf_txn_use(d->spf_cache, d->t->instance, d->t->sender);
	r = &d->spf_cache->dir[d->spf_dir];
	if (r->done) {
		decide_spf_apply(d, 1);
		return 0;
	}
	if (decide_spf_addresses(d, r) == 0) {
		verdict_trace(&d->v, "spf inbound: client address unusable: not checked");
		return 0;
	}
	d->spf_checks = r;
	return 1;
}

/* decide_spf_requests - see decide.h */
void decide_spf_requests(const struct decide *d, struct spf_request *reqs)
{
	for (size_t i = 0; i < d->spf_checks->n; i++) {
		reqs[i] = (struct spf_request){
			.ip = d->spf_checks->v[i].ip,
			.sender = txn_has(d->t->sender) ? d->t->sender : "",
			.helo = txn_has(d->t->helo_name) ? d->t->helo_name : "",
			.receiver = decide_spf_receiver(d->cfg),
		};
	}
}

/* decide_spf_done - see decide.h */
void decide_spf_done(struct decide *d, struct spf_outcome *outs, size_t n)
{
	struct spf_dir_results *r = d->spf_checks;

	for (size_t i = 0; i < n; i++) {
		if (i < r->n)
			r->v[i].out = outs[i];
		else
			spf_outcome_release(&outs[i]);
	}
	free(outs);
	r->done = 1;
	d->spf_checks = NULL;
	decide_spf_apply(d, 0);
	d->step = STEP_LIMITS;
}

/* decide_rule - the relay rule named name, or NULL */
static const struct rw_rule *decide_rule(const struct rw_policy *p, const char *name)
{
	for (size_t i = 0; name != NULL && i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	return NULL;
}

/* decide_charger - the front-end charge_at names */
static enum decide_front decide_charger(const struct rw_policy *p)
{
	return p->charge_at == CHARGE_AT_MILTER ? DECIDE_MILTER : DECIDE_POLICYD;
}

/*
 * decide_limits_step - plan the limits (peek at RCPT and VRFY, charge at
 * END-OF-MESSAGE by the charging front-end); 1 when they must run
 */
static int decide_limits_step(struct decide *d)
{
	const struct rw_policy *p = d->cfg->policy;
	enum rw_stage st = d->t->stage;
	const struct rw_rule *rule;
	int charge;

	if (st == STAGE_EOM && d->v.action == ACT_DUNNO &&
	    (p->n_limits == 0 || decide_charger(p) != d->front)) {
		verdict_trace(&d->v, "limits: %s", p->n_limits == 0 ? "none configured" :
			      decide_charger(p) == DECIDE_MILTER ?
			      "charged by the milter (charge_at = milter)" :
			      "charged by policyd (charge_at = policyd)");
		return 0;
	}
	if (p->n_limits == 0)
		return 0;
	if ((st == STAGE_RCPT || st == STAGE_VRFY) && d->v.action == ACT_OK) {
		charge = 0;
		rule = decide_rule(p, d->v.rule);
	} else if (st == STAGE_EOM && d->v.action == ACT_DUNNO) {
		charge = 1;
		rule = relay_permitter(p, d->t);
	} else {
		return 0;
	}
	d->customer = customers_lookup(p->customers, d->t, &d->customer_via);
	limits_plan(p, d->t, rule, d->customer, charge, d->now, &d->plan);
	if (d->plan.n == 0)
		return 0;
	if (st == STAGE_EOM)
		verdict_set(&d->v, ACT_OK, 0, NULL, NULL);	/* limits_decide refuses on top */
	return 1;
}

/* decide_limits_done - see decide.h */
void decide_limits_done(struct decide *d, struct limit_result *results)
{
	d->results = results;
	limits_decide(&d->plan, results, &d->v);
	if (d->t->stage == STAGE_EOM && d->v.action == ACT_OK)
		verdict_set(&d->v, ACT_DUNNO, 0, NULL, NULL);
	d->step = STEP_DONE;
}

/* decide_checks_done - see decide.h */
void decide_checks_done(struct decide *d)
{
	d->step = STEP_LIMITS;
}

/* decide_skip - see decide.h */
void decide_skip(struct decide *d, const char *why)
{
	verdict_trace_str(&d->v, why);
	if (d->step == STEP_SPF && d->spf_checks != NULL) {
		decide_spf_unplan(d->spf_checks);
		d->spf_checks = NULL;
		d->step = STEP_LIMITS;
	} else if (d->step == STEP_LIMITS) {
		if (d->t->stage == STAGE_EOM && d->v.action == ACT_OK)
			verdict_set(&d->v, ACT_DUNNO, 0, NULL, NULL);
		d->step = STEP_DONE;
	} else if (d->step == STEP_CHECKS) {
		d->step = STEP_LIMITS;
	}
}

/* decide_next - see decide.h */
enum decide_need decide_next(struct decide *d)
{
	for (;;) {
		switch (d->step) {
		case STEP_CHECKS:
			return DECIDE_NEED_CHECKS;
		case STEP_SPF:
			if (d->spf_checks != NULL || decide_spf_step(d))
				return DECIDE_NEED_SPF;
			d->step = STEP_LIMITS;
			break;
		case STEP_LIMITS:
			if (d->plan.n > 0 || decide_limits_step(d))
				return DECIDE_NEED_LIMITS;
			d->step = STEP_DONE;
			break;
		default:
			return DECIDE_DONE;
		}
	}
}

/* decide_action - see decide.h */
void decide_action(const struct decide *d, const struct buf *reply, struct buf *out)
{
	struct buf own = BUF_INIT;
	const char *text, *p, *rcpt = d->t->recipient;
	size_t rlen = txn_has(rcpt) ? strlen(rcpt) : 0;

	buf_puts(out, "action=");
	if (d->prepend.len > 0 && d->v.action == ACT_DUNNO) {	/* tag mode, at DATA */
		buf_puts(out, "PREPEND ");
		buf_append(out, d->prepend.data, d->prepend.len);
		return;
	}
	if (reply == NULL) {
		verdict_reply(&d->v, &own);
		reply = &own;
	}
	if (reply->len == 0) {
		buf_puts(out, verdict_action_name(d->v.action));
		return;
	}
	/* "554 5.7.1 <rcpt>: text": p is the space before the address */
	text = buf_cstr(reply);
	p = strchr(text + 4, ' ');
	if (p != NULL && rlen > 0 && p[1] == '<' && strncmp(p + 2, rcpt, rlen) == 0 &&
	    strncmp(p + 2 + rlen, BUF_LIT(">: ")) == 0) {
		buf_append(out, text, (size_t)(p + 1 - text));
		buf_puts(out, p + 2 + rlen + BUF_LIT_LEN(">: "));
	} else {
		buf_append(out, text, reply->len);
	}
	buf_release(&own);
}

/* decide_audited - relay decisions and every decision that ran limits */
int decide_audited(const struct decide *d)
{
	return d->t->stage == STAGE_RCPT || d->t->stage == STAGE_VRFY || d->results != NULL;
}

/* decide_audit - see decide.h */
void decide_audit(const struct decide *d, struct audit_ctx *ctx)
{
	ctx->plan = d->results != NULL ? &d->plan : NULL;
	ctx->results = d->results;
	ctx->spf = d->spf.n > 0 ? &d->spf : NULL;
}

/* decide_release - free everything */
void decide_release(struct decide *d)
{
	if (d->spf_checks != NULL)
		decide_spf_unplan(d->spf_checks);
	for (size_t i = 0; d->results != NULL && i < d->plan.n; i++)
		limit_result_release(&d->results[i]);
	free(d->results);
	limit_plan_release(&d->plan);
	verdict_release(&d->v);
	buf_release(&d->prepend);
	memset(d, 0, sizeof(*d));
}
