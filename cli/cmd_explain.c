/*
 * explain - decide one policy request exactly as relaywarden-policyd would
 * (core/engine/decide.c through cli/decide.h), with no side effects (no audit
 * record written, no counters touched).
 *
 * relaywarden explain [-c FILE] [--json] [--live] [NAME=VALUE ...]
 * The request is the NAME=VALUE arguments when given, else a Postfix policy
 * request read from stdin (attributes up to an empty line or EOF). Without
 * protocol_state the request is taken as RCPT. Prints the stage, the
 * verdict, the action line policyd would send, the deciding rule, sender
 * ownership, the customer, the SPF directions it checks, every limit and
 * quota that applies (name, unit, identity, customer, Redis key) and the
 * trace; --json prints the audit record policyd would write instead.
 * Without --live the SPF checks and the limits are shown, not run, and the
 * verdict is the relay step's; --live runs the SPF checks (the dns section)
 * and peeks the current usage in Redis (read-only: nothing is charged),
 * so the verdict is policyd's. Exit: 0 permitted (OK or DUNNO), 1
 * refused, 2 usage, config or request error.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cli/cli.h"
#include "cli/decide.h"
#include "cli/live.h"
#include "core/audit/audit.h"
#include "core/config/config.h"
#include "core/limits/customers.h"
#include "core/limits/limit_keys.h"
#include "core/engine/sender_login.h"

#define EXPLAIN_USAGE "usage: relaywarden explain [-c FILE] [--json] [--live] [NAME=VALUE ...]\n"

/* explain_read_request - the request text from args or stdin into req */
static void explain_read_request(int argc, char **argv, struct buf *req)
{
	char chunk[4096];
	size_t n;

	if (argc > 0) {
		for (int i = 0; i < argc; i++)
			buf_printf(req, "%s\n", argv[i]);
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			buf_append(req, chunk, n);
		while (req->len > 0 && req->data[req->len - 1] == '\n')
			buf_truncate(req, req->len - 1);
		buf_putc(req, '\n');
	}
	buf_putc(req, '\n');
}

/* explain_sender - whether the SASL user owns the envelope sender */
static void explain_sender(const struct rw_config *cfg, const struct rw_txn *t)
{
	const char *sender = t->sender != NULL ? t->sender : "", *entry = NULL;

	if (!txn_has(t->sasl_username))
		printf("sender: <%s> (no SASL login: ownership not checked)\n", sender);
	else if (sender_login_owns(cfg->policy->sender_login, t->sasl_username, sender, &entry))
		printf("sender: <%s> owned by %s (%s)\n", sender, t->sasl_username, entry);
	else
		printf("sender: <%s> not owned by %s (refused where a sasl rule enforces "
		       "sender login)\n", sender, t->sasl_username);
}

/* explain_spf - the SPF directions checked (or that would be) */
static void explain_spf(const struct rw_config *cfg, const struct cli_decision *d)
{
	const struct audit_spf *spf = &d->dec.spf;

	if (!d->spf_planned && spf->n == 0) {
		printf("spf: not checked here (inbound %s, egress %s; checked at RCPT for a "
		       "permitted recipient)\n", spf_policy_mode_name(cfg->spf.inbound),
		       spf_policy_mode_name(cfg->spf.egress));
		return;
	}
	printf("spf: %s (%s) for %s <%s>:", spf_policy_dir_name(d->dec.spf_dir),
	       spf_policy_mode_name(decide_spf_mode(cfg, d->dec.spf_dir)),
	       txn_has(d->t.sender) ? "sender" : "HELO",
	       txn_has(d->t.sender) ? d->t.sender : (d->t.helo_name ? d->t.helo_name : ""));
	if (spf->n == 0) {
		for (size_t i = 0; i < d->spf_addrs.n; i++)
			printf(" %s", d->spf_addrs.v[i]);
		printf(" (not checked: no --live)\n");
		return;
	}
	for (size_t i = 0; i < spf->n; i++)
		printf(" %s %s%s", spf->checks[i].ip_text,
		       spf_result_name(spf->checks[i].out.result), i + 1 < spf->n ? "," : "");
	printf("\n");
}

/* explain_limit - one check of the plan, with its key and (live) its state */
static void explain_limit(const struct limit_check *c, const struct limit_result *r)
{
	const struct rw_limit *l = c->limit;
	struct buf key = BUF_INIT;

	limit_keys_state(c, &key);
	printf("  %s %s: %s, %s %s, customer %s, ", l->kind == LIMIT_QUOTA ? "quota" : "limit",
	       l->name, limits_unit_name(c->unit), c->dimension, c->identity, c->customer);
	if (l->kind == LIMIT_QUOTA)
		printf("cap %llu per %s %s", (unsigned long long)c->cap,
		       limits_window_name(l->window), c->window_id);
	else
		printf("rate %llu per %llu s, burst %llu", (unsigned long long)l->rate,
		       (unsigned long long)l->period_s, (unsigned long long)c->cap);
	printf(", cost %llu%s\n    key %s", (unsigned long long)c->cost,
	       l->mode == MODE_SHADOW ? ", shadow" : "", buf_cstr(&key));
	if (r == NULL)
		printf("\n");
	else if (r->blocked)
		printf(": blocked\n");
	else if (r->never_fits)
		printf(": never fits\n");
	else if (!r->ok)
		printf(": over, retry in %llu ms\n", (unsigned long long)r->retry_after_ms);
	else
		printf(": room, %llu remaining\n", (unsigned long long)r->remaining);
	buf_release(&key);
}

/* explain_limits - the customer and every limit and quota that applies */
static void explain_limits(const struct rw_config *cfg, const struct cli_decision *d)
{
	const struct limit_plan *plan = &d->dec.plan;
	const char *via = NULL, *customer = customers_lookup(cfg->policy->customers, &d->t, &via);

	if (customer != NULL)
		printf("customer: %s (by %s)\n", customer, via);
	else
		printf("customer: none\n");
	if (plan->n == 0) {
		printf("limits: %s\n", d->dec.v.action == ACT_REJECT || d->dec.v.action == ACT_DEFER ?
		       "not reached (refused before them)" : "none apply");
		return;
	}
	printf("limits: %s; %s\n", plan->charge ? "a charge at END-OF-MESSAGE" :
	       "a peek (would one more unit fit?)", d->limits_peeked ?
	       "current usage read from Redis, nothing charged" : "current usage not read");
	for (size_t i = 0; i < plan->n; i++)
		explain_limit(&plan->v[i], d->dec.results != NULL ? &d->dec.results[i] : NULL);
}

/* explain_print - human-readable decision */
static void explain_print(const struct rw_config *cfg, const struct cli_decision *d)
{
	const struct rw_verdict *v = &d->dec.v;
	struct buf action = BUF_INIT;

	decide_action(&d->dec, NULL, &action);
	printf("stage: %s\n", txn_stage_name(d->t.stage));
	printf("verdict: %s\n", verdict_action_name(v->action));
	printf("%s\n", buf_cstr(&action));
	printf("rule: %s\n", v->rule ? v->rule : "-");
	explain_sender(cfg, &d->t);
	explain_spf(cfg, d);
	explain_limits(cfg, d);
	printf("trace:\n");
	for (size_t i = 0; i < v->trace.n; i++)
		printf("  %zu. %s\n", i + 1, v->trace.v[i]);
	printf("config: %s (sha256 %s)\n", cfg->path, cfg->digest);
	buf_release(&action);
}

/* explain_json - the audit record policyd would write */
static void explain_json(const struct rw_config *cfg, const struct cli_decision *d)
{
	struct audit_ctx ctx = {
		.component = "cli",
		.host = cfg->instance_name,
		.config_digest = cfg->digest,
	};
	struct buf rec = BUF_INIT;

	decide_audit(&d->dec, &ctx);
	gettimeofday(&ctx.now, NULL);
	audit_record(&ctx, &d->t, &d->dec.v, &rec);
	printf("%s\n", buf_cstr(&rec));
	buf_release(&rec);
}

/* explain_decide - parse req, decide, print; exit status */
static int explain_decide(const struct rw_config *cfg, const struct buf *req, int json,
			  struct cli_live *live)
{
	struct cli_decision d;
	const char *err = NULL;
	int rc;

	if (cli_decide(cfg, req, live, &d, &err) < 0) {
		fprintf(stderr, "relaywarden: explain: bad policy request: %s\n", err);
		cli_decision_release(&d);
		return 2;
	}
	if (json)
		explain_json(cfg, &d);
	else
		explain_print(cfg, &d);
	rc = d.dec.v.action == ACT_REJECT || d.dec.v.action == ACT_DEFER ? 1 : 0;
	cli_decision_release(&d);
	return rc;
}

/* cmd_explain - see the file comment */
int cmd_explain(int argc, char **argv)
{
	const char *path = CLI_DEFAULT_CONFIG;
	struct buf err = BUF_INIT, req = BUF_INIT;
	struct cli_live *live = NULL;
	struct rw_config *cfg;
	int i, json = 0, want_live = 0, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--live") == 0)
			want_live = 1;
		else {
			fputs(EXPLAIN_USAGE, stderr);
			return 2;
		}
	}
	if ((cfg = config_load(path, &err)) == NULL ||
	    (want_live && (live = live_open(cfg, &err)) == NULL)) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		config_unref(&cfg);
		return 2;
	}
	explain_read_request(argc - i, argv + i, &req);
	rc = explain_decide(cfg, &req, json, live);
	live_close(&live);
	config_unref(&cfg);
	buf_release(&req);
	return rc;
}
