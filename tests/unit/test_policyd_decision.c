/*
 * test_policyd_decision - policyd's decision flow (policyd/decision.c over
 * core/engine/decide.c) against a fake limit client and a fake SPF pool: which
 * requests are decided at once, which wait, what plan the limiter is
 * given (peek at RCPT, charge with a deadline at END-OF-MESSAGE, nothing
 * when the milter charges), how answers and SPF results become verdicts
 * and action lines, and that a cancelled decision is never answered.
 *
 * The fakes replace policyd/limiter.c and core/spf/spf_pool.c at link time
 * (the library members are not pulled when these symbols are defined
 * here): they record what they were asked and answer only when the test
 * says so, as the real ones answer later from the event loop.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util/mem.h"
#include "core/spf/spf_pool.h"
#include "policyd/decision.h"
#include "policyd/limiter.h"
#include "tests/unit/config_tdir.h"

#define FAKE_DEADLINE 424242u

/* --- the fake limit client ------------------------------------------------ */

static struct {
	unsigned runs, cancels;
	uint64_t last_id, cancelled_id;
	const struct limit_plan *plan;	/* the plan of the pending run */
	limiter_cb *cb;
	void *arg;
} fl;

uint64_t limiter_run(struct limiter *l, const struct limit_plan *plan, limiter_cb *cb,
		     void *arg)
{
	(void)l;
	fl.runs++;
	fl.plan = plan;
	fl.cb = cb;
	fl.arg = arg;
	return ++fl.last_id;
}

uint64_t limiter_charge_deadline(const struct limiter *l)
{
	(void)l;
	return FAKE_DEADLINE;
}

void limiter_cancel(struct limiter *l, uint64_t id)
{
	(void)l;
	fl.cancels++;
	fl.cancelled_id = id;
	fl.cb = NULL;
}

/* fake_limits_answer - the limiter answers: every check ok, or check bad over */
static void fake_limits_answer(size_t bad)
{
	const struct limit_plan *plan = fl.plan;
	struct limit_result *res = rw_calloc(plan->n, sizeof(*res));
	limiter_cb *cb = fl.cb;

	assert_non_null(cb);
	for (size_t i = 0; i < plan->n; i++) {
		res[i].ok = i != bad;
		res[i].remaining = i != bad ? 2 : 0;
		res[i].retry_after_ms = i != bad ? 0 : 60000;
	}
	fl.cb = NULL;
	cb(plan, res, fl.arg);
}

/* --- the fake SPF pool ------------------------------------------------------ */

static struct {
	unsigned submits;
	size_t n;
	char sender[64];
	spf_pool_cb *cb;
	void *arg;
} fp;

uint64_t spf_pool_submit(struct spf_pool *p, const struct spf_request *reqs, size_t n,
			 unsigned budget_ms, spf_pool_cb *cb, void *arg)
{
	(void)p;
	(void)budget_ms;
	fp.submits++;
	fp.n = n;
	snprintf(fp.sender, sizeof(fp.sender), "%s", reqs[0].sender);
	fp.cb = cb;
	fp.arg = arg;
	return fp.submits;
}

void spf_pool_cancel(struct spf_pool *p, uint64_t id)
{
	(void)p;
	(void)id;
	fp.cb = NULL;
}

/* fake_spf_answer - every evaluation gives result r */
static void fake_spf_answer(enum spf_result r)
{
	struct spf_outcome *outs = rw_calloc(fp.n, sizeof(*outs));
	spf_pool_cb *cb = fp.cb;

	for (size_t i = 0; i < fp.n; i++) {
		outs[i].result = r;
		buf_puts(&outs[i].domain, "example.test");
	}
	fp.cb = NULL;
	cb(outs, fp.n, fp.arg);
}

/* --- the decision under test ------------------------------------------------ */

#define CONF_BASE \
	"local_domains = { \"example.test\" }\n" \
	"relay \"submission\" { type = sasl sender_login = any }\n" \
	"redis { servers = { \"127.0.0.1:1\" } }\n" \
	"limit \"user-msgs\" { charge = sasl_user unit = messages rate = \"3/1d\" }\n" \
	"quota \"user-day\" { charge = sasl_user window = day recipients = 100 }\n"

struct t {
	struct rw_config *cfg;
	struct decision_env env;
	struct proto_parser *parser;
	struct spf_txn spf;
	struct decision d;
	unsigned done;
};

/* on_done - the decision's callback */
static void on_done(struct decision *d, void *arg)
{
	struct t *t = arg;

	assert_ptr_equal(d, &t->d);
	t->done++;
}

/* t_new - the environment for config text conf (spf_pool: a fake's address or NULL) */
static struct t *t_new(const char *conf, int with_pool)
{
	static char fake_pool;
	struct t *t = rw_calloc(1, sizeof(*t));
	struct buf err = BUF_INIT;

	t->cfg = load_text(conf, NULL, &err);
	if (t->cfg == NULL)
		fail_msg("config: %s", buf_cstr(&err));
	t->env.cfg = t->cfg;
	t->env.limiter = (struct limiter *)&fl;		/* never dereferenced by the fakes */
	t->env.spf_pool = with_pool ? (struct spf_pool *)&fake_pool : NULL;
	t->parser = proto_new(&(struct proto_limits){ 0 });
	memset(&fl, 0, sizeof(fl));
	memset(&fp, 0, sizeof(fp));
	return t;
}

/* t_start - feed one request (NAME=VALUE lines) and start its decision */
static int t_start(struct t *t, const char *attrs)
{
	struct buf req = BUF_INIT;
	const char *err = NULL;
	size_t used;

	buf_printf(&req, "request=smtpd_access_policy\n%s\n", attrs);
	proto_reset(t->parser);
	assert_int_equal(proto_feed(t->parser, req.data, req.len, &used, &err), PROTO_REQUEST);
	buf_release(&req);
	t->done = 0;
	memset(&t->d, 0, sizeof(t->d));
	t->d.spf_txn = &t->spf;
	return decision_start(&t->d, &t->env, t->parser, on_done, t);
}

/* t_assert_action - the action line of the decided request is want */
static void t_assert_action(struct t *t, const char *want)
{
	struct buf b = BUF_INIT;

	decide_action(&t->d.dec, NULL, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

/* t_traced - some trace step of the verdict contains s */
static int t_traced(const struct t *t, const char *s)
{
	for (size_t i = 0; i < t->d.dec.v.trace.n; i++)
		if (strstr(t->d.dec.v.trace.v[i], s) != NULL)
			return 1;
	return 0;
}

static void t_free(struct t **tp)
{
	struct t *t = *tp;

	decision_release(&t->d);
	spf_txn_release(&t->spf);
	proto_free(&t->parser);
	config_unref(&t->cfg);
	free(t);
	*tp = NULL;
}

#define ALICE "sasl_method=PLAIN\nsasl_username=alice\nsender=alice@example.test\n"

/* a refused relay is decided at once: no limiter, the <rcpt>: prefix dropped */
static void test_relay_refused_now(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\nclient_address=192.0.2.9\n"
				    "recipient=bob@remote.test\n"), 1);
	assert_int_equal(fl.runs, 0);
	assert_int_equal(t->d.dec.v.action, ACT_REJECT);
	t_assert_action(t, "action=554 5.7.1 Relay access denied");
	assert_true(decide_audited(&t->d.dec));
	t_free(&t);
}

/* RCPT: a permitted recipient waits for a peek of every limit; room: OK */
static void test_rcpt_peek_ok(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\n" ALICE "recipient=bob@remote.test\n"),
			 0);
	assert_int_equal(fl.runs, 1);
	assert_int_equal(fl.plan->charge, 0);
	assert_int_equal(fl.plan->n, 2);
	assert_int_equal(fl.plan->deadline_us, 0);
	assert_int_equal(fl.plan->v[0].cost, 1);
	assert_string_equal(fl.plan->v[0].identity, "alice");
	assert_int_equal(t->done, 0);
	fake_limits_answer((size_t)-1);
	assert_int_equal(t->done, 1);
	assert_int_equal(t->d.dec.v.action, ACT_OK);
	assert_string_equal(t->d.dec.v.rule, "submission");
	t_assert_action(t, "action=OK");
	t_free(&t);
}

/* RCPT: a limit over refuses with 450 4.7.1 naming it */
static void test_rcpt_peek_over(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\n" ALICE "recipient=bob@remote.test\n"),
			 0);
	fake_limits_answer(0);
	assert_int_equal(t->d.dec.v.action, ACT_DEFER);
	t_assert_action(t, "action=450 4.7.1 Rate limit \"user-msgs\" exceeded for sasl_user "
			   "alice: 3 messages per 1d, retry in 60 seconds");
	t_free(&t);
}

/* END-OF-MESSAGE: one charge with recipient_count and the limiter's deadline; room: DUNNO */
static void test_eom_charge(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=END-OF-MESSAGE\n" ALICE
				    "recipient_count=7\nsize=1000\n"), 0);
	assert_int_equal(fl.runs, 1);
	assert_int_equal(fl.plan->charge, 1);
	assert_int_equal(fl.plan->deadline_us, FAKE_DEADLINE);
	assert_int_equal(fl.plan->v[0].cost, 1);	/* messages */
	assert_int_equal(fl.plan->v[1].cost, 7);	/* the quota's recipients */
	fake_limits_answer((size_t)-1);
	assert_int_equal(t->done, 1);
	assert_int_equal(t->d.dec.v.action, ACT_DUNNO);
	t_assert_action(t, "action=DUNNO");
	assert_true(decide_audited(&t->d.dec));
	t_free(&t);
}

/* END-OF-MESSAGE over a limit: refused (the OK the limits run under is not kept) */
static void test_eom_charge_over(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=END-OF-MESSAGE\n" ALICE
				    "recipient_count=1\n"), 0);
	fake_limits_answer(1);
	assert_int_equal(t->d.dec.v.action, ACT_DEFER);
	assert_int_equal(t->d.dec.v.code, 450);
	t_free(&t);
}

/* END-OF-MESSAGE when the milter charges: nothing asked, DUNNO, traced, not audited */
static void test_eom_milter_charges(void **state)
{
	struct t *t = t_new(CONF_BASE "charge_at = milter\n", 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=END-OF-MESSAGE\n" ALICE
				    "recipient_count=1\n"), 1);
	assert_int_equal(fl.runs, 0);
	assert_int_equal(t->d.dec.v.action, ACT_DUNNO);
	assert_true(t_traced(t, "charged by the milter (charge_at = milter)"));
	assert_false(decide_audited(&t->d.dec));
	t_free(&t);
}

/* a decision cancelled while waiting is never answered, its request is cancelled */
static void test_cancel(void **state)
{
	struct t *t = t_new(CONF_BASE, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\n" ALICE "recipient=bob@remote.test\n"),
			 0);
	decision_cancel(&t->d);
	assert_int_equal(fl.cancels, 1);
	assert_int_equal(fl.cancelled_id, fl.last_id);
	assert_null(fl.cb);
	assert_int_equal(t->done, 0);
	t_free(&t);
}

#define CONF_SPF \
	CONF_BASE "spf { egress = reject egress_addresses = { \"198.51.100.1\", \"198.51.100.2\" } }\n"

/* SPF egress: evaluated once per transaction; a fail refuses before the limits */
static void test_spf_egress_refuses(void **state)
{
	struct t *t = t_new(CONF_SPF, 1);
	const char *req = "protocol_state=RCPT\ninstance=i1\n" ALICE "recipient=bob@remote.test\n";

	(void)state;
	assert_int_equal(t_start(t, req), 0);
	assert_int_equal(fp.submits, 1);
	assert_int_equal(fp.n, 2);
	assert_string_equal(fp.sender, "alice@example.test");
	fake_spf_answer(SPF_FAIL);
	assert_int_equal(t->done, 1);
	assert_int_equal(fl.runs, 0);
	assert_int_equal(t->d.dec.v.action, ACT_REJECT);
	assert_int_equal(t->d.dec.v.code, 550);
	assert_int_equal(t->d.dec.spf.n, 2);
	decision_release(&t->d);
	/* the next recipient of the transaction: from the cache, decided at once */
	assert_int_equal(t_start(t, req), 1);
	assert_int_equal(fp.submits, 1);
	assert_int_equal(t->d.dec.v.action, ACT_REJECT);
	assert_int_equal(t->d.dec.spf.cached, 1);
	t_free(&t);
}

/* SPF pass: then the limits are peeked */
static void test_spf_pass_then_limits(void **state)
{
	struct t *t = t_new(CONF_SPF, 1);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\ninstance=i2\n" ALICE
				    "recipient=bob@remote.test\n"), 0);
	fake_spf_answer(SPF_PASS);
	assert_int_equal(t->done, 0);
	assert_int_equal(fl.runs, 1);
	fake_limits_answer((size_t)-1);
	assert_int_equal(t->done, 1);
	assert_int_equal(t->d.dec.v.action, ACT_OK);
	t_free(&t);
}

/* SPF on but no pool: traced, not checked, the limits still run */
static void test_spf_no_pool(void **state)
{
	struct t *t = t_new(CONF_SPF, 0);

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\ninstance=i3\n" ALICE
				    "recipient=bob@remote.test\n"), 0);
	assert_true(t_traced(t, "spf: no worker pool: not checked"));
	assert_int_equal(fl.runs, 1);
	fake_limits_answer((size_t)-1);
	assert_int_equal(t->d.dec.v.action, ACT_OK);
	t_free(&t);
}

/* SPF tag: RCPT keeps OK, DATA of the same transaction answers PREPEND Received-SPF */
static void test_spf_tag_prepend(void **state)
{
	struct t *t = t_new("local_domains = { \"example.test\" }\n"
			    "relay \"submission\" { type = sasl sender_login = any }\n"
			    "spf { inbound = tag receiver = \"mx.example.test\" }\n", 1);
	const char *want = "action=PREPEND Received-SPF: softfail ";
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(t_start(t, "protocol_state=RCPT\ninstance=i4\nclient_address=192.0.2.9\n"
				    "sender=x@remote.test\nrecipient=bob@example.test\n"), 0);
	assert_int_equal(fp.n, 1);
	fake_spf_answer(SPF_SOFTFAIL);
	assert_int_equal(t->d.dec.v.action, ACT_OK);
	t_assert_action(t, "action=OK");
	decision_release(&t->d);
	assert_int_equal(t_start(t, "protocol_state=DATA\ninstance=i4\nclient_address=192.0.2.9\n"
				    "sender=x@remote.test\n"), 1);
	assert_int_equal(t->d.dec.v.action, ACT_DUNNO);
	decide_action(&t->d.dec, NULL, &b);
	assert_true(strncmp(buf_cstr(&b), want, strlen(want)) == 0);
	buf_release(&b);
	t_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_refused_now),
		cmocka_unit_test(test_rcpt_peek_ok),
		cmocka_unit_test(test_rcpt_peek_over),
		cmocka_unit_test(test_eom_charge),
		cmocka_unit_test(test_eom_charge_over),
		cmocka_unit_test(test_eom_milter_charges),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_spf_egress_refuses),
		cmocka_unit_test(test_spf_pass_then_limits),
		cmocka_unit_test(test_spf_no_pool),
		cmocka_unit_test(test_spf_tag_prepend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
