/* eom_env - resolver, PSL, DKIM verifier of the message checks; see eom_int.h */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/mem.h"
#include "core/util/now.h"
#include "milter/eom.h"
#include "milter/eom_int.h"

struct eom_dns_ctx {		/* the ctx of the SPF and alignment envs */
	const struct eom_env *env;
	uint64_t deadline;
};

/* eom_left - ms to the deadline, at least 1 (0 would mean "the default") */
static unsigned eom_left(uint64_t deadline)
{
	uint64_t now = now_mono_ms();

	return now + 1 < deadline ? (unsigned)(deadline - now) : 1;
}

/* eom_env_new - see eom.h */
int eom_env_new(const struct rw_config *cfg, struct eom_env **envp, struct buf *err)
{
	const struct dns_config dc = { cfg->dns.upstreams, cfg->dns.timeout_ms, 0 };
	struct dkimv_config kc = { 0 };
	struct eom_env *e;

	*envp = NULL;
	if (!eom_wants_message(cfg))
		return 0;
	e = rw_calloc(1, sizeof(*e));
	e->dns = dns_new(&dc, err);
	if (e->dns != NULL && cfg->checks.org_psl)	/* only RFC 7489 alignment reads it */
		e->psl = psl_adapter_new(NULL, err);
	if (e->dns != NULL && (e->psl != NULL || !cfg->checks.org_psl) &&
	    (cfg->checks.dkim != MODE_OFF || cfg->checks.alignment != MODE_OFF)) {
		kc.dns = e->dns;
		kc.key_file = cfg->checks.dkim_key_file;
		kc.min_rsa_bits = cfg->checks.dkim_min_rsa_bits;
		e->dkim = dkimv_new(&kc, err);
		if (e->dkim == NULL)
			dns_free(&e->dns);
	}
	if (e->dns == NULL || (cfg->checks.org_psl && e->psl == NULL)) {
		eom_env_free(&e);
		return -1;
	}
	*envp = e;
	return 0;
}

/* eom_env_free - free and clear */
void eom_env_free(struct eom_env **ep)
{
	struct eom_env *e = *ep;

	if (e == NULL)
		return;
	dkimv_free(&e->dkim);
	psl_adapter_free(&e->psl);
	dns_free(&e->dns);
	free(e);
	*ep = NULL;
}

/* eom_query - spf_env/align_env query: never waits past the deadline */
static struct dns_answer *eom_query(void *ctx, const char *name, enum dns_type type)
{
	const struct eom_dns_ctx *c = ctx;

	return dns_query_timeout(c->env->dns, name, type, eom_left(c->deadline));
}

/* eom_release - free an answer */
static void eom_release(void *ctx, struct dns_answer *ans)
{
	(void)ctx;
	dns_answer_free(&ans);
}

/* eom_env_now - spf_env.now_ms */
static uint64_t eom_env_now(void *ctx)
{
	(void)ctx;
	return now_mono_ms();
}

/* eom_env_time - spf_env.time_s */
static uint64_t eom_env_time(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

/* eom_org_domain - align_env.org_domain over the PSL (org_domain = psl) */
static const char *eom_org_domain(void *ctx, const char *domain)
{
	const struct eom_dns_ctx *c = ctx;

	return c->env->psl != NULL ? psl_adapter_org_domain(c->env->psl, domain) : NULL;
}

/* eom_spf_addrs - the addresses of dir into r; 0 when none is usable */
static size_t eom_spf_addrs(const struct rw_config *cfg, const struct rw_txn *t,
			    enum spf_dir dir, struct spf_dir_results *r)
{
	const struct rw_ip *ips = cfg->spf.egress_addresses;
	size_t n = dir == SPF_DIR_EGRESS ? cfg->spf.n_egress : 1;
	struct rw_ip client;
	char text[64];

	if (dir == SPF_DIR_INBOUND) {
		if (!txn_has(t->client_address) || cidr_parse_ip(t->client_address, &client) < 0)
			return 0;
		ips = &client;
	}
	if (n == 0)
		return 0;
	r->v = rw_calloc(n, sizeof(*r->v));
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		r->v[i].ip = ips[i];
		inet_ntop(ips[i].family == 4 ? AF_INET : AF_INET6, ips[i].b, text, sizeof(text));
		r->v[i].ip_text = rw_strdup(text);
	}
	return n;
}

/* eom_spf_run - see eom_int.h */
size_t eom_spf_run(const struct eom_env *env, const struct rw_config *cfg,
		   const struct rw_txn *t, enum spf_dir dir, uint64_t deadline,
		   struct spf_dir_results *r)
{
	struct eom_dns_ctx c = { env, deadline };
	struct spf_env se = {
		.query = eom_query, .release = eom_release, .now_ms = eom_env_now,
		.time_s = eom_env_time, .ctx = &c,
	};
	struct spf_request req = {
		.sender = txn_has(t->sender) ? t->sender : "",
		.helo = txn_has(t->helo_name) ? t->helo_name : "",
		.receiver = cfg->spf.receiver != NULL ? cfg->spf.receiver :
			    cfg->instance_name != NULL ? cfg->instance_name : "unknown",
	};

	if (eom_spf_addrs(cfg, t, dir, r) == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		req.ip = r->v[i].ip;
		se.budget_ms = eom_left(deadline);
		spf_check(&se, &req, &r->v[i].out);
	}
	r->done = 1;
	return r->n;
}

/* eom_align_run - see eom_int.h */
void eom_align_run(const struct eom_env *env, const struct align_input *in,
		   uint64_t deadline, struct align_outcome *out)
{
	struct eom_dns_ctx c = { env, deadline };
	struct align_env ae = { eom_org_domain, eom_query, eom_release, &c };

	align_check(&ae, in, out);
}
