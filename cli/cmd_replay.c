/*
 * relaywarden replay - what a candidate configuration would have decided.
 *
 * usage: relaywarden replay -c CANDIDATE [--format text|json] LOG ...
 *
 * Every RCPT record of the logs (audit query's reader: cli/records.h) is
 * turned back into the policy request it came from and decided again by
 * core/engine/decide.c under CANDIDATE (cli/decide.h, as explain without --live),
 * with no side effects. What is
 * compared is relay permission: the record's was "refused" when its
 * verdict is REJECT with neither an "spf" nor a "limits" member (the
 * relay step refused, so nothing after it ran), else "permitted"; the
 * candidate's is its relay verdict. Rate limits, quotas, SPF and the
 * message checks are not replayed: they depend on counters and DNS as
 * they were. Each record whose permission changes is printed (text: one
 * line; json: one object a line), then a summary.
 * Exit status: 0 nothing changes, 1 a decision changes or a log could not
 * be read, 2 usage or configuration error.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/decide.h"
#include "cli/records.h"
#include "cli/termsafe.h"
#include "core/util/json.h"

#define REPLAY_USAGE "usage: relaywarden replay -c CANDIDATE [--format text|json] LOG ...\n"

/* the policy request attributes a record holds, and where */
static const struct replay_attr {
	const char *name;
	const char *key, *sub;
} replay_attrs[] = {
	{ "instance", "instance", NULL },
	{ "queue_id", "queue_id", NULL },
	{ "client_address", "client", "address" },
	{ "client_name", "client", "name" },
	{ "reverse_client_name", "client", "reverse_name" },
	{ "helo_name", "helo", NULL },
	{ "policy_context", "listener", "name" },
	{ "encryption_protocol", "tls", "protocol" },
	{ "encryption_cipher", "tls", "cipher" },
	{ "ccert_fingerprint", "tls", "cert_fingerprint" },
	{ "ccert_pubkey_fingerprint", "tls", "cert_pubkey_fingerprint" },
	{ "ccert_subject", "tls", "cert_subject" },
	{ "ccert_issuer", "tls", "cert_issuer" },
	{ "sasl_method", "sasl", "method" },
	{ "sasl_username", "sasl", "username" },
	{ "sender", "sender", NULL },
	{ "recipient", "recipient", NULL },
};

struct replay {
	const struct rw_config *cfg;
	int json;
	unsigned long replayed, skipped, unreplayable, refused_now, permitted_now;
};

/* replay_request - the record as a policy request; -1 when a value cannot be one */
static int replay_request(json_t *rec, struct buf *req)
{
	json_t *port = json_object_get(json_object_get(rec, "listener"), "port");

	buf_puts(req, "request=smtpd_access_policy\nprotocol_state=RCPT\n");
	for (size_t i = 0; i < sizeof(replay_attrs) / sizeof(replay_attrs[0]); i++) {
		const char *v = records_str(rec, replay_attrs[i].key, replay_attrs[i].sub);

		if (v == NULL)
			continue;
		if (strchr(v, '\n') != NULL)
			return -1;
		buf_printf(req, "%s=%s\n", replay_attrs[i].name, v);
	}
	if (json_is_integer(port))
		buf_printf(req, "server_port=%lld\n", (long long)json_integer_value(port));
	buf_putc(req, '\n');
	return 0;
}

/* replay_was_refused - the record's relay step refused (see the file comment) */
static int replay_was_refused(json_t *rec)
{
	const char *verdict = records_str(rec, "verdict", NULL);

	return verdict != NULL && strcmp(verdict, "REJECT") == 0 &&
	       json_object_get(rec, "spf") == NULL && json_object_get(rec, "limits") == NULL;
}

/* replay_dash - s, or "-" for a missing value */
static const char *replay_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* replay_print - one changed decision */
static void replay_print(const struct replay *r, json_t *rec, const struct cli_decision *d,
			 const char *name, long lineno)
{
	const char *was = records_str(rec, "verdict", NULL), *rule = records_str(rec, "rule", NULL);
	struct buf reply = BUF_INIT, out = BUF_INIT;

	verdict_reply(&d->dec.v, &reply);
	if (r->json) {
		buf_puts(&out, "{\"log\":");
		json_str(&out, name);
		buf_printf(&out, ",\"line\":%ld,\"queue_id\":", lineno);
		json_str(&out, records_str(rec, "queue_id", NULL));
		buf_puts(&out, ",\"recipient\":");
		json_str(&out, records_str(rec, "recipient", NULL));
		buf_puts(&out, ",\"was\":");
		json_str(&out, was);
		buf_puts(&out, ",\"was_rule\":");
		json_str(&out, rule);
		buf_printf(&out, ",\"now\":\"%s\",\"now_rule\":", verdict_action_name(d->dec.v.action));
		json_str(&out, d->dec.v.rule);
		buf_puts(&out, ",\"now_reply\":");
		json_str(&out, reply.len ? buf_cstr(&reply) : NULL);
		buf_puts(&out, "}\n");
	} else {
		buf_printf(&out, "%s:%ld: %s client %s sasl %s <%s> -> <%s>: was %s (rule %s), now %s",
			   name, lineno, replay_dash(records_str(rec, "queue_id", NULL)),
			   replay_dash(records_str(rec, "client", "address")),
			   replay_dash(records_str(rec, "sasl", "username")),
			   replay_dash(records_str(rec, "sender", NULL)),
			   replay_dash(records_str(rec, "recipient", NULL)), was, replay_dash(rule),
			   verdict_action_name(d->dec.v.action));
		buf_printf(&out, " (rule %s)%s%s\n", replay_dash(d->dec.v.rule), reply.len ? ": " : "",
			   reply.len ? buf_cstr(&reply) : "");
	}
	if (!r->json) {		/* values from the network: no escapes (cli/termsafe.h) */
		buf_truncate(&reply, 0);
		termsafe_append(&reply, buf_cstr(&out), "\n");
		fputs(buf_cstr(&reply), stdout);
	} else {
		fputs(buf_cstr(&out), stdout);
	}
	buf_release(&out);
	buf_release(&reply);
}

/* replay_record - decide one RCPT record again (records_fn) */
static void replay_record(void *arg, json_t *rec, const char *line, const char *name, long lineno)
{
	struct replay *r = arg;
	const char *stage = records_str(rec, "stage", NULL), *err = NULL;
	struct buf req = BUF_INIT;
	struct cli_decision d;
	int was_refused, now_refused;

	(void)line;
	if (stage == NULL || strcmp(stage, "RCPT") != 0) {
		r->skipped++;
		return;
	}
	if (replay_request(rec, &req) < 0) {
		err = "a value holds a newline";
	} else if (cli_decide(r->cfg, &req, NULL, &d, &err) < 0) {
		cli_decision_release(&d);
	}
	if (err != NULL) {
		fprintf(stderr, "relaywarden: %s:%ld: cannot be replayed: %s\n", name, lineno, err);
		r->unreplayable++;
		buf_release(&req);
		return;
	}
	r->replayed++;
	was_refused = replay_was_refused(rec);
	now_refused = d.dec.v.action == ACT_REJECT;
	if (was_refused != now_refused) {
		if (now_refused)
			r->refused_now++;
		else
			r->permitted_now++;
		replay_print(r, rec, &d, name, lineno);
	}
	cli_decision_release(&d);
	buf_release(&req);
}

/* cmd_replay - see the file comment */
int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r = { 0 };
	const char *config = NULL;
	struct buf err = BUF_INIT;
	struct rw_config *cfg;
	int opt, rc, usage = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (opt == 'c')
			config = optarg;
		else if (opt == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0))
			r.json = strcmp(optarg, "json") == 0;
		else
			usage = 1;
	}
	if (usage || config == NULL || optind >= argc) {
		fputs(REPLAY_USAGE, stderr);
		return 2;
	}
	if ((cfg = config_load(config, &err)) == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return 2;
	}
	r.cfg = cfg;
	rc = records_each_log(argv + optind, argc - optind, replay_record, &r);
	fprintf(r.json ? stderr : stdout,
		"%lu RCPT decisions replayed under %s: %lu would now be refused, %lu would now "
		"be permitted, %lu unchanged; %lu records of other stages skipped, %lu not "
		"replayable\n", r.replayed, config, r.refused_now, r.permitted_now,
		r.replayed - r.refused_now - r.permitted_now, r.skipped, r.unreplayable);
	config_unref(&cfg);
	return rc != 0 || r.refused_now + r.permitted_now + r.unreplayable > 0 ? 1 : 0;
}
