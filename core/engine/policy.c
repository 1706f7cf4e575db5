/* policy - compiled relay policy; see policy.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "core/limits/customers.h"
#include "core/limits/limits.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"

/* policy_new - empty policy: default deny, no limits, time zone UTC */
struct rw_policy *policy_new(void)
{
	struct rw_policy *p = rw_calloc(1, sizeof(*p));

	p->local_domains = domainset_new();
	p->relay_domains = domainset_new();
	p->sender_login = sender_login_new();
	p->customers = customers_new();
	p->timezone = rw_strdup("UTC");
	return p;
}

/* policy_add_rule - append a rule */
struct rw_rule *policy_add_rule(struct rw_policy *p, const char *name, enum rule_kind kind)
{
	struct rw_rule *r;

	p->rules = rw_realloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
	r = &p->rules[p->n_rules++];
	memset(r, 0, sizeof(*r));
	r->name = rw_strdup(name);
	r->kind = kind;
	return r;
}

/* policy_add_limit - append a zeroed limit; pointers to earlier ones may move */
struct rw_limit *policy_add_limit(struct rw_policy *p, const char *name, enum limit_kind kind)
{
	struct rw_limit *l;

	p->limits = rw_realloc(p->limits, (p->n_limits + 1) * sizeof(*p->limits));
	l = &p->limits[p->n_limits++];
	memset(l, 0, sizeof(*l));
	l->name = rw_strdup(name);
	l->kind = kind;
	return l;
}

/* rule_release - free one rule's members */
static void rule_release(struct rw_rule *r)
{
	free(r->name);
	strvec_release(&r->listeners);
	free(r->ports);
	cidr_table_free(&r->networks);
	free(r->fingerprints);
	free(r->pubkey_fingerprints);
	free(r->subject);
	free(r->issuer);
}

/* policy_free - free everything and clear *pp */
void policy_free(struct rw_policy **pp)
{
	struct rw_policy *p = *pp;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->n_limits; i++)
		free(p->limits[i].name);
	free(p->limits);
	customers_free(&p->customers);
	free(p->timezone);
	domainset_free(&p->local_domains);
	domainset_free(&p->relay_domains);
	sender_login_free(&p->sender_login);
	free(p);
	*pp = NULL;
}
