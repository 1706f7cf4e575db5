/* test_relay - the relay rule matrix: txn + policy -> verdict, reply, rule, trace */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine/relay.h"

#define FP_CLIENT "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define FP_CLIENT_PLAIN "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define FP_OTHER "00:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define PK_CLIENT "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"

/* fixture_policy - the policy most cases run under */
static struct rw_policy *fixture_policy(void)
{
	struct rw_policy *p = policy_new();
	struct rw_rule *r;
	const char *err;

	assert_int_equal(domainset_add(p->local_domains, "example.test", &err), 0);
	assert_int_equal(domainset_add(p->relay_domains, ".backup.test", &err), 0);
	assert_int_equal(sender_login_add(p->sender_login, "alice@example.test",
					  "alice@example.test", &err), 0);
	assert_int_equal(sender_login_add(p->sender_login, "bob", "@bob.test", &err), 0);

	r = policy_add_rule(p, "submission", RULE_SASL);
	strvec_add(&r->listeners, "submission");
	r->require_tls = 1;
	r->enforce_sender_login = 1;

	r = policy_add_rule(p, "office", RULE_NETWORK);
	r->networks = cidr_table_new();
	assert_int_equal(cidr_table_add(r->networks, "127.0.0.2", &err), 0);
	assert_int_equal(cidr_table_add(r->networks, "2001:db8::/32", &err), 0);

	r = policy_add_rule(p, "partner", RULE_CERT);
	r->n_fingerprints = 1;
	r->fingerprints = calloc(1, sizeof(*r->fingerprints));
	assert_int_equal(fprint_parse(FP_CLIENT_PLAIN, &r->fingerprints[0], &err), 0);
	r->n_pubkey_fingerprints = 1;
	r->pubkey_fingerprints = calloc(1, sizeof(*r->pubkey_fingerprints));
	assert_int_equal(fprint_parse(PK_CLIENT, &r->pubkey_fingerprints[0], &err), 0);

	r = policy_add_rule(p, "partner-ca", RULE_CERT);
	r->subject = strdup("mx.partner.test");
	r->issuer = strdup("Partner CA");

	r = policy_add_rule(p, "port-only", RULE_SASL);
	r->ports = calloc(1, sizeof(*r->ports));
	r->ports[0] = 4650;
	r->n_ports = 1;
	r->enforce_sender_login = 0;
	return p;
}

struct relay_case {
	const char *name;
	struct rw_txn txn;
	enum rw_action action;
	const char *reply;	/* exact, "" for none */
	const char *rule;	/* deciding rule or NULL */
	const char *trace;	/* a fragment some trace line must contain */
};

/* client_address and sender default to 192.0.2.9 and x@remote.test (test_matrix) */
#define RCPT .stage = STAGE_RCPT
#define AUTH(u) .sasl_username = u, .listener = "submission", .tls_protocol = "TLSv1.3"

static const struct relay_case cases[] = {
	{ "stranger relay", { RCPT, .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "default deny" },
	{ "stranger local", { RCPT, .recipient = "bob@example.test" }, ACT_OK, "", NULL,
	  "is local" },
	{ "local case and dot", { RCPT, .recipient = "Bob@EXAMPLE.Test." }, ACT_OK, "", NULL,
	  "is local" },
	{ "relay_domains subdomain", { RCPT, .recipient = "u@mx.backup.test" }, ACT_OK, "", NULL,
	  "relay_domains" },
	{ "relay_domains parent is not", { RCPT, .recipient = "u@backup.test" }, ACT_REJECT,
	  "554 5.7.1 <u@backup.test>: Relay access denied", NULL, "default deny" },
	{ "alice own sender", { RCPT, AUTH("alice@example.test"), .sender = "alice@example.test",
	  .recipient = "bob@remote.test" }, ACT_OK, "", "submission", "authenticated as" },
	{ "alice sender case-insensitive", { RCPT, AUTH("Alice@Example.test"),
	  .sender = "ALICE@example.TEST", .recipient = "bob@remote.test" }, ACT_OK, "",
	  "submission", "owned by" },
	{ "alice foreign sender", { RCPT, AUTH("alice@example.test"),
	  .sender = "mallory@other.test", .recipient = "bob@remote.test" }, ACT_REJECT,
	  "553 5.7.1 <mallory@other.test>: Sender address rejected: not owned by user "
	  "alice@example.test", "submission", "not owned" },
	{ "alice foreign sender to local", { RCPT, AUTH("alice@example.test"),
	  .sender = "mallory@other.test", .recipient = "carol@example.test" }, ACT_REJECT,
	  "553 5.7.1 <mallory@other.test>: Sender address rejected: not owned by user "
	  "alice@example.test", "submission", "not owned" },
	{ "alice null sender", { RCPT, AUTH("alice@example.test"), .sender = "",
	  .recipient = "bob@remote.test" }, ACT_OK, "", "submission", "authenticated as" },
	{ "bob domain sender", { RCPT, AUTH("bob"), .sender = "anything@bob.test",
	  .recipient = "z@remote.test" }, ACT_OK, "", "submission", "owned by" },
	{ "bob subdomain sender not owned", { RCPT, AUTH("bob"), .sender = "x@sub.bob.test",
	  .recipient = "z@remote.test" }, ACT_REJECT,
	  "553 5.7.1 <x@sub.bob.test>: Sender address rejected: not owned by user bob",
	  "submission", "not owned" },
	{ "unknown user owns nothing", { RCPT, AUTH("eve"), .sender = "eve@remote.test",
	  .recipient = "z@remote.test" }, ACT_REJECT,
	  "553 5.7.1 <eve@remote.test>: Sender address rejected: not owned by user eve",
	  "submission", "not owned" },
	{ "sasl without tls", { RCPT, .sasl_username = "alice@example.test",
	  .listener = "submission", .sender = "alice@example.test",
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "requires TLS" },
	{ "sasl wrong listener", { RCPT, .sasl_username = "alice@example.test",
	  .listener = "smtp", .tls_protocol = "TLSv1.3", .sender = "alice@example.test",
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "listener 'smtp'" },
	{ "sasl port rule, any sender", { RCPT, .sasl_username = "eve", .server_port = 4650,
	  .sender = "forged@bank.test", .recipient = "bob@remote.test" }, ACT_OK, "",
	  "port-only", "authenticated as" },
	{ "sasl port rule, wrong port", { RCPT, .sasl_username = "eve", .server_port = 25,
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "server port 25" },
	{ "allowlisted v4", { RCPT, .client_address = "127.0.0.2", .recipient = "bob@remote.test" },
	  ACT_OK, "", "office", "matches 127.0.0.2" },
	{ "allowlisted v4-mapped", { RCPT, .client_address = "::ffff:127.0.0.2",
	  .recipient = "bob@remote.test" }, ACT_OK, "", "office", "matches" },
	{ "allowlisted v6", { RCPT, .client_address = "2001:db8::25",
	  .recipient = "bob@remote.test" }, ACT_OK, "", "office", "2001:db8::/32" },
	{ "neighbour not allowlisted", { RCPT, .client_address = "127.0.0.3",
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "not in networks" },
	{ "cert pinned colon", { RCPT, .cert_fingerprint = FP_CLIENT,
	  .recipient = "bob@remote.test" }, ACT_OK, "", "partner", "fingerprint" },
	{ "cert pinned plain lower", { RCPT, .cert_fingerprint = FP_CLIENT_PLAIN,
	  .recipient = "bob@remote.test" }, ACT_OK, "", "partner", "fingerprint" },
	{ "cert pubkey pinned", { RCPT, .cert_fingerprint = FP_OTHER,
	  .cert_pubkey_fingerprint = PK_CLIENT, .recipient = "bob@remote.test" }, ACT_OK, "",
	  "partner", "public key" },
	{ "cert other", { RCPT, .cert_fingerprint = FP_OTHER, .recipient = "bob@remote.test" },
	  ACT_REJECT, "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "not allowed" },
	{ "cert garbage fingerprint", { RCPT, .cert_fingerprint = "zz:zz",
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "not allowed" },
	{ "cert subject+issuer verified", { RCPT, .cert_subject = "mx.partner.test",
	  .cert_issuer = "Partner CA", .cert_verified = 1, .recipient = "bob@remote.test" },
	  ACT_OK, "", "partner-ca", "verified certificate" },
	{ "cert subject+issuer unverified", { RCPT, .cert_subject = "mx.partner.test",
	  .cert_issuer = "Partner CA", .cert_verified = 0, .recipient = "bob@remote.test" },
	  ACT_REJECT, "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "not allowed" },
	{ "cert right subject other issuer", { RCPT, .cert_subject = "mx.partner.test",
	  .cert_issuer = "Evil CA", .cert_verified = 1, .recipient = "bob@remote.test" },
	  ACT_REJECT, "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "not allowed" },
	{ "percent hack to local", { RCPT, .client_address = "127.0.0.2",
	  .recipient = "user%remote.test@example.test" }, ACT_REJECT,
	  "554 5.7.1 <user%remote.test@example.test>: Relay access denied (percent hack not allowed)",
	  NULL, "relay trick" },
	{ "bang path", { RCPT, .recipient = "remote.test!user@example.test" }, ACT_REJECT,
	  "554 5.7.1 <remote.test!user@example.test>: Relay access denied (bang path not allowed)",
	  NULL, "relay trick" },
	{ "source route", { RCPT, .client_address = "127.0.0.2",
	  .recipient = "@example.test:user@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <@example.test:user@remote.test>: Relay access denied (source route not allowed)",
	  NULL, "relay trick" },
	{ "quoted at", { RCPT, AUTH("alice@example.test"), .sender = "alice@example.test",
	  .recipient = "\"user@remote.test\"@example.test" }, ACT_REJECT,
	  "554 5.7.1 <\"user@remote.test\"@example.test>: Relay access denied ('@' in local part not allowed)",
	  NULL, "relay trick" },
	{ "double at", { RCPT, .recipient = "user@remote.test@example.test" }, ACT_REJECT,
	  "554 5.7.1 <user@remote.test@example.test>: Relay access denied ('@' in local part not allowed)",
	  NULL, "relay trick" },
	{ "address literal", { RCPT, .client_address = "127.0.0.2",
	  .recipient = "user@[192.0.2.1]" }, ACT_REJECT,
	  "554 5.7.1 <user@[192.0.2.1]>: Relay access denied (address literal not allowed)",
	  NULL, "relay trick" },
	{ "quoted local part without tricks is fine", { RCPT,
	  .recipient = "\"john smith\"@example.test" }, ACT_OK, "", NULL, "is local" },
	{ "syntax error", { RCPT, .recipient = "a..b@remote.test" }, ACT_REJECT,
	  "501 5.1.3 <a..b@remote.test>: Bad recipient address syntax", NULL, "bad syntax" },
	{ "missing recipient", { RCPT }, ACT_REJECT, "554 5.7.1 <>: Relay access denied", NULL,
	  "missing" },
	{ "bare local part", { RCPT, .recipient = "postmaster" }, ACT_REJECT,
	  "501 5.1.3 <postmaster>: Recipient address must include a domain", NULL, "no domain" },
	{ "control bytes never reach the reply", { RCPT, .recipient = "a\rb@remote.test" },
	  ACT_REJECT, "501 5.1.3 <a?b@remote.test>: Bad recipient address syntax", NULL,
	  "bad syntax" },
	{ "vrfy decides too", { .stage = STAGE_VRFY, .client_address = "192.0.2.9",
	  .recipient = "bob@remote.test" }, ACT_REJECT,
	  "554 5.7.1 <bob@remote.test>: Relay access denied", NULL, "default deny" },
	{ "connect is dunno", { .stage = STAGE_CONNECT, .client_address = "192.0.2.9" },
	  ACT_DUNNO, "", NULL, "no relay decision" },
	{ "mail is dunno", { .stage = STAGE_MAIL, .sender = "x@remote.test" }, ACT_DUNNO, "", NULL,
	  "no relay decision" },
	{ "eom is dunno", { .stage = STAGE_EOM, .recipient_count = 3 }, ACT_DUNNO, "", NULL,
	  "no relay decision" },
};

/* trace_contains - some trace line holds frag */
static int trace_contains(const struct rw_verdict *v, const char *frag)
{
	for (size_t i = 0; i < v->trace.n; i++)
		if (strstr(v->trace.v[i], frag) != NULL)
			return 1;
	return 0;
}

/* dump_trace - print the trace when a case fails */
static void dump_trace(const struct relay_case *c, const struct rw_verdict *v)
{
	print_message("case '%s': verdict %s rule %s\n", c->name,
		      verdict_action_name(v->action), v->rule ? v->rule : "-");
	for (size_t i = 0; i < v->trace.n; i++)
		print_message("  %s\n", v->trace.v[i]);
}

static void test_matrix(void **state)
{
	struct rw_policy *p = fixture_policy();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct relay_case *c = &cases[i];
		struct rw_verdict v = VERDICT_INIT;
		struct buf reply = BUF_INIT;
		struct rw_txn t = c->txn;

		if (t.client_address == NULL)
			t.client_address = "192.0.2.9";
		if (t.sender == NULL)
			t.sender = "x@remote.test";
		relay_decide(p, &t, &v);
		verdict_reply(&v, &reply);
		if (v.action != c->action || strcmp(buf_cstr(&reply), c->reply) != 0 ||
		    !trace_contains(&v, c->trace) ||
		    (c->rule == NULL) != (v.rule == NULL) ||
		    (c->rule && strcmp(c->rule, v.rule) != 0)) {
			dump_trace(c, &v);
			print_message("  reply: '%s'\n", buf_cstr(&reply));
			fail_msg("relay case '%s' failed", c->name);
		}
		buf_release(&reply);
		verdict_release(&v);
	}
	policy_free(&p);
	assert_null(p);
}

/* An empty policy relays nothing and has nothing local: default deny. */
static void test_empty_policy_denies(void **state)
{
	static const char *const rcpts[] = { "bob@remote.test", "u@example.test", "x@localhost" };
	struct rw_policy *p = policy_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		struct rw_txn t = { .stage = STAGE_RCPT, .client_address = "127.0.0.1",
				    .sasl_username = "root", .tls_protocol = "TLSv1.3",
				    .cert_fingerprint = FP_CLIENT, .recipient = rcpts[i] };
		struct rw_verdict v = VERDICT_INIT;

		relay_decide(p, &t, &v);
		assert_int_equal(v.action, ACT_REJECT);
		assert_int_equal(v.code, 554);
		assert_true(trace_contains(&v, "no relay rules configured"));
		verdict_release(&v);
	}
	policy_free(&p);
}

/* Rules are tried in order and the first that permits names the verdict. */
static void test_first_rule_wins(void **state)
{
	struct rw_policy *p = policy_new();
	struct rw_rule *a, *b;
	struct rw_txn t = { .stage = STAGE_RCPT, .client_address = "10.1.2.3",
			    .recipient = "x@remote.test" };
	struct rw_verdict v = VERDICT_INIT;
	const char *err;

	(void)state;
	a = policy_add_rule(p, "wide", RULE_NETWORK);
	a->networks = cidr_table_new();
	assert_int_equal(cidr_table_add(a->networks, "10.0.0.0/8", &err), 0);
	b = policy_add_rule(p, "narrow", RULE_NETWORK);
	b->networks = cidr_table_new();
	assert_int_equal(cidr_table_add(b->networks, "10.1.2.0/24", &err), 0);
	relay_decide(p, &t, &v);
	assert_int_equal(v.action, ACT_OK);
	assert_string_equal(v.rule, "wide");
	verdict_release(&v);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_empty_policy_denies),
		cmocka_unit_test(test_first_rule_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
