/*
 * test_decide - core/engine/decide.c, the one decision every front-end runs: what
 * it asks for at each stage for policyd and for the milter (peek at RCPT,
 * the message checks then the charge at END-OF-MESSAGE by the front-end
 * charge_at names, OK turned into DUNNO), what skipping a fetch leaves,
 * and the Postfix action line (the <rcpt>: prefix dropped, only that).
 * Links librwcore.a alone: the decision is pure.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine/decide.h"
#include "core/util/mem.h"

/* fixture - a config with one sasl rule and one messages limit per user */
static struct rw_config *fixture(enum rw_charge_at at)
{
	struct rw_config *c = rw_calloc(1, sizeof(*c));
	struct rw_limit *l;
	const char *err;

	c->policy = policy_new();
	c->policy->charge_at = at;
	assert_int_equal(domainset_add(c->policy->local_domains, "example.test", &err), 0);
	policy_add_rule(c->policy, "submission", RULE_SASL);
	l = policy_add_limit(c->policy, "user-msgs", LIMIT_RATE);
	l->charge = CHARGE_SASL_USER;
	l->unit = UNIT_MESSAGES;
	l->mode = MODE_ENFORCE;
	l->on_failure = FAIL_TEMPFAIL;
	l->rate = l->burst = 3;
	l->period_s = 86400;
	return c;
}

static void fixture_free(struct rw_config *c)
{
	policy_free(&c->policy);
	free(c);
}

static const struct rw_txn alice = {
	.stage = STAGE_RCPT, .sasl_username = "alice", .sender = "alice@example.test",
	.recipient = "bob@remote.test", .client_address = "192.0.2.1", .recipient_count = 1,
};

/* answer - every check of the plan has room, or none */
static void answer(struct decide *d, int ok)
{
	struct limit_result *res = rw_calloc(d->plan.n, sizeof(*res));

	for (size_t i = 0; i < d->plan.n; i++)
		res[i].ok = ok;
	decide_limits_done(d, res);
}

static void assert_action(const struct decide *d, const char *want)
{
	struct buf b = BUF_INIT;

	decide_action(d, NULL, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

static int traced(const struct decide *d, const char *s)
{
	for (size_t i = 0; i < d->v.trace.n; i++)
		if (strstr(d->v.trace.v[i], s) != NULL)
			return 1;
	return 0;
}

/* RCPT, either front-end: relay OK, then a peek; over: 450 without the <rcpt>: prefix */
static void test_rcpt_peek(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_POLICYD);
	enum decide_front fronts[] = { DECIDE_POLICYD, DECIDE_MILTER };
	struct decide d;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		decide_start(&d, c, fronts[i], &alice, NULL, 1765000000);
		assert_int_equal(decide_next(&d), DECIDE_NEED_LIMITS);
		assert_int_equal(d.plan.charge, 0);
		assert_int_equal(d.plan.n, 1);
		answer(&d, 1);
		assert_int_equal(decide_next(&d), DECIDE_DONE);
		assert_int_equal(d.v.action, ACT_OK);
		assert_true(decide_audited(&d));
		decide_release(&d);
	}
	decide_start(&d, c, DECIDE_POLICYD, &alice, NULL, 1765000000);
	assert_int_equal(decide_next(&d), DECIDE_NEED_LIMITS);
	answer(&d, 0);
	assert_int_equal(d.v.action, ACT_DEFER);
	assert_action(&d, "action=450 4.7.1 Rate limit \"user-msgs\" exceeded for sasl_user "
			  "alice: 3 messages per 1d, retry in 1 seconds");
	decide_release(&d);
	fixture_free(c);
}

/* a refusal names the recipient in its text: the action line drops "<rcpt>: " only */
static void test_action_prefix(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_POLICYD);
	struct rw_txn t = alice;
	struct decide d;

	(void)state;
	t.sasl_username = NULL;
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_action(&d, "action=554 5.7.1 Relay access denied");
	decide_release(&d);
	t.recipient = "u%remote.test@example.test";
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_action(&d, "action=554 5.7.1 Relay access denied (percent hack not allowed)");
	decide_release(&d);
	t.recipient = "";	/* nothing to drop: "<>: " stays */
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_action(&d, "action=554 5.7.1 <>: Relay access denied");
	decide_release(&d);
	t = alice;
	t.stage = STAGE_MAIL;
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_action(&d, "action=DUNNO");
	assert_false(decide_audited(&d));
	decide_release(&d);
	fixture_free(c);
}

/* EOM, policyd charging: a charge under OK, room gives DUNNO; the milter only traces */
static void test_eom_policyd_charges(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_POLICYD);
	struct rw_txn t = alice;
	struct decide d;

	(void)state;
	t.stage = STAGE_EOM;
	t.recipient = NULL;
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_LIMITS);
	assert_int_equal(d.plan.charge, 1);
	assert_int_equal(d.v.action, ACT_OK);	/* the limits refuse on top of it */
	answer(&d, 1);
	assert_int_equal(d.v.action, ACT_DUNNO);
	assert_action(&d, "action=DUNNO");
	decide_release(&d);
	decide_start(&d, c, DECIDE_MILTER, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_CHECKS);
	decide_checks_done(&d);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_int_equal(d.v.action, ACT_DUNNO);
	assert_true(traced(&d, "limits: charged by policyd (charge_at = policyd)"));
	assert_false(traced(&d, "no relay decision"));	/* the checks take relay's place */
	decide_release(&d);
	fixture_free(c);
}

/* EOM, the milter charging: checks first; a refusal by them charges nothing */
static void test_eom_milter_charges(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_MILTER);
	struct rw_txn t = alice;
	struct decide d;

	(void)state;
	t.stage = STAGE_EOM;
	decide_start(&d, c, DECIDE_MILTER, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_CHECKS);
	decide_checks_done(&d);
	assert_int_equal(decide_next(&d), DECIDE_NEED_LIMITS);
	assert_int_equal(d.plan.charge, 1);
	answer(&d, 0);
	assert_int_equal(d.v.action, ACT_DEFER);
	decide_release(&d);
	decide_start(&d, c, DECIDE_MILTER, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_CHECKS);
	verdict_set(&d.v, ACT_REJECT, 550, "5.7.1", "DKIM failed");
	decide_checks_done(&d);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_int_equal(d.plan.n, 0);
	assert_int_equal(d.v.action, ACT_REJECT);
	decide_release(&d);
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);	/* policyd only answers */
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_true(traced(&d, "limits: charged by the milter (charge_at = milter)"));
	assert_false(decide_audited(&d));
	decide_release(&d);
	fixture_free(c);
}

/* a skipped fetch is traced; a skipped charge leaves DUNNO, not the OK it ran under */
static void test_skip(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_POLICYD);
	struct rw_txn t = alice;
	struct decide d;

	(void)state;
	t.stage = STAGE_EOM;
	decide_start(&d, c, DECIDE_POLICYD, &t, NULL, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_LIMITS);
	decide_skip(&d, "limits: not run");
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_int_equal(d.v.action, ACT_DUNNO);
	assert_true(traced(&d, "limits: not run"));
	decide_release(&d);
	fixture_free(c);
}

/* SPF egress for a relayed recipient: one request per egress address, the result applied */
static void test_spf_egress(void **state)
{
	struct rw_config *c = fixture(CHARGE_AT_POLICYD);
	struct rw_ip egress[2] = { { .family = 4, .b = { 198, 51, 100, 1 } },
				   { .family = 4, .b = { 198, 51, 100, 2 } } };
	struct spf_txn cache = { 0 };
	struct spf_request reqs[2];
	struct spf_outcome *outs;
	struct rw_txn t = alice;
	struct decide d;

	(void)state;
	c->spf.egress = MODE_ENFORCE;
	c->spf.egress_addresses = egress;
	c->spf.n_egress = 2;
	t.instance = "i1";
	decide_start(&d, c, DECIDE_POLICYD, &t, &cache, 0);
	assert_int_equal(decide_next(&d), DECIDE_NEED_SPF);
	assert_int_equal(d.spf_checks->n, 2);
	decide_spf_requests(&d, reqs);
	assert_string_equal(reqs[1].sender, "alice@example.test");
	assert_string_equal(reqs[1].receiver, "unknown");
	assert_int_equal(reqs[1].ip.b[3], 2);
	outs = rw_calloc(2, sizeof(*outs));
	outs[0].result = SPF_PASS;
	outs[1].result = SPF_SOFTFAIL;	/* egress: softfail refuses */
	decide_spf_done(&d, outs, 2);
	assert_int_equal(decide_next(&d), DECIDE_DONE);
	assert_int_equal(d.v.action, ACT_REJECT);
	assert_int_equal(d.spf.decisive, 1);
	decide_release(&d);
	spf_txn_release(&cache);
	fixture_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpt_peek),
		cmocka_unit_test(test_action_prefix),
		cmocka_unit_test(test_eom_policyd_charges),
		cmocka_unit_test(test_eom_milter_charges),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_spf_egress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
