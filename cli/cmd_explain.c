/*
 * explain - decide one policy request exactly as relaywarden-policyd would,
 * with no side effects (no audit record written, no counters touched).
 *
 * relaywarden explain [-c FILE] [--json] [NAME=VALUE ...]
 * The request is the NAME=VALUE arguments when given, else a Postfix policy
 * request read from stdin (attributes up to an empty line or EOF). Without
 * protocol_state the request is taken as RCPT. Prints verdict, the action
 * line policyd would send, the deciding rule and the trace; --json prints
 * the audit record policyd would write instead. Exit: 0 permitted (OK or
 * DUNNO), 1 refused, 2 usage, config or request error.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cli/cli.h"
#include "cli/decide.h"
#include "core/audit.h"
#include "core/config.h"


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

/* explain_print - human-readable verdict */
static void explain_print(const struct rw_config *cfg, const struct rw_txn *t,
			  const struct rw_verdict *v)
{
	struct buf reply = BUF_INIT;

	verdict_reply(v, &reply);
	printf("stage: %s\n", txn_stage_name(t->stage));
	printf("verdict: %s\n", verdict_action_name(v->action));
	printf("action=%s\n", reply.len ? buf_cstr(&reply) : verdict_action_name(v->action));
	printf("rule: %s\n", v->rule ? v->rule : "-");
	printf("trace:\n");
	for (size_t i = 0; i < v->trace.n; i++)
		printf("  %zu. %s\n", i + 1, v->trace.v[i]);
	printf("config: %s (sha256 %s)\n", cfg->path, cfg->digest);
	buf_release(&reply);
}

/* explain_json - the audit record policyd would write */
static void explain_json(const struct rw_config *cfg, const struct rw_txn *t,
			 const struct rw_verdict *v)
{
	struct audit_ctx ctx = {
		.component = "cli",
		.host = cfg->instance_name,
		.config_digest = cfg->digest,
	};
	struct buf rec = BUF_INIT;

	gettimeofday(&ctx.now, NULL);
	audit_record(&ctx, t, v, &rec);
	printf("%s\n", buf_cstr(&rec));
	buf_release(&rec);
}

/* explain_decide - parse req, decide, print; exit status */
static int explain_decide(const struct rw_config *cfg, const struct buf *req, int json)
{
	struct cli_decision d;
	const char *err = NULL;
	int rc;

	if (cli_decide(cfg, req, &d, &err) < 0) {
		fprintf(stderr, "relaywarden: explain: bad policy request: %s\n", err);
		cli_decision_release(&d);
		return 2;
	}
	if (json)
		explain_json(cfg, &d.t, &d.v);
	else
		explain_print(cfg, &d.t, &d.v);
	rc = d.v.action == ACT_REJECT || d.v.action == ACT_DEFER ? 1 : 0;
	cli_decision_release(&d);
	return rc;
}

/* cmd_explain - see the file comment */
int cmd_explain(int argc, char **argv)
{
	const char *path = CLI_DEFAULT_CONFIG;
	struct buf err = BUF_INIT, req = BUF_INIT;
	struct rw_config *cfg;
	int i, json = 0, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else {
			fprintf(stderr, "usage: relaywarden explain [-c FILE] [--json] "
					"[NAME=VALUE ...]\n");
			return 2;
		}
	}
	if ((cfg = config_load(path, &err)) == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return 2;
	}
	explain_read_request(argc - i, argv + i, &req);
	rc = explain_decide(cfg, &req, json);
	config_unref(&cfg);
	buf_release(&req);
	return rc;
}
