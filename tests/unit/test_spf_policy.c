/* test_spf_policy - SPF results into verdicts and Received-SPF headers (core/spf/spf_policy.c) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/mem.h"
#include "core/spf/spf_policy.h"

/* results - n checks of domain with the given results (addresses 192.0.2.1...) */
static void results(struct spf_dir_results *r, const char *domain, const enum spf_result *res,
		    size_t n)
{
	r->v = rw_calloc(n, sizeof(*r->v));
	r->n = n;
	r->done = 1;
	for (size_t i = 0; i < n; i++) {
		struct buf ip = BUF_INIT;

		buf_printf(&ip, "192.0.2.%zu", i + 1);
		r->v[i].ip_text = buf_detach(&ip);
		r->v[i].out.result = res[i];
		buf_puts(&r->v[i].out.domain, domain);
		if (res[i] == SPF_FAIL)
			buf_puts(&r->v[i].out.mechanism, "-all");
	}
}

/* results_free - what results made */
static void results_free(struct spf_dir_results *r)
{
	struct spf_txn t = { .dir = { [SPF_DIR_INBOUND] = *r } };

	spf_txn_release(&t);
}

static const struct apply_case {
	enum rw_mode mode;
	enum spf_dir dir;
	enum spf_result res[2];
	size_t n;
	enum rw_action act;	/* ACT_OK: untouched */
	unsigned code;
	const char *dsn;
	const char *text;	/* the reply text starts with this */
} apply_cases[] = {
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_PASS }, 1, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_NEUTRAL }, 1, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_NONE }, 1, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_SOFTFAIL }, 1, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_FAIL }, 1, ACT_REJECT, 550, "5.7.23",
	  "SPF of d.test does not permit 192.0.2.1 to send its mail (fail)" },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_PERMERROR }, 1, ACT_REJECT, 550, "5.7.24",
	  "the SPF record of d.test is broken (permerror)" },
	{ MODE_ENFORCE, SPF_DIR_INBOUND, { SPF_TEMPERROR }, 1, ACT_DEFER, 451, "4.7.24",
	  "SPF check of d.test failed temporarily (temperror) for 192.0.2.1" },
	{ MODE_DEFER, SPF_DIR_INBOUND, { SPF_FAIL }, 1, ACT_DEFER, 451, "4.7.24",
	  "SPF of d.test does not permit 192.0.2.1" },
	{ MODE_DEFER, SPF_DIR_EGRESS, { SPF_PERMERROR }, 1, ACT_DEFER, 451, "4.7.24",
	  "the SPF record of d.test is broken (permerror); receivers will not see pass for "
	  "our egress address 192.0.2.1" },
	{ MODE_SHADOW, SPF_DIR_INBOUND, { SPF_FAIL }, 1, ACT_OK, 0, "", NULL },
	{ MODE_TAG, SPF_DIR_EGRESS, { SPF_FAIL }, 1, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_EGRESS, { SPF_PASS, SPF_PASS }, 2, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_EGRESS, { SPF_PASS, SPF_SOFTFAIL }, 2, ACT_REJECT, 550,
	  "5.7.23", "SPF of d.test does not permit our egress address 192.0.2.2 (softfail)" },
	{ MODE_ENFORCE, SPF_DIR_EGRESS, { SPF_NEUTRAL, SPF_PASS }, 2, ACT_OK, 0, "", NULL },
	{ MODE_ENFORCE, SPF_DIR_EGRESS, { SPF_FAIL, SPF_TEMPERROR }, 2, ACT_REJECT, 550,
	  "5.7.23", "SPF of d.test does not permit our egress address 192.0.2.1 (fail)" },
};

/* test_apply_table - mode x direction x results: the verdict and its reply */
static void test_apply_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(apply_cases) / sizeof(apply_cases[0]); i++) {
		const struct apply_case *c = &apply_cases[i];
		struct rw_verdict v = VERDICT_INIT;
		struct spf_dir_results r = { 0 };
		int refused;

		print_message("case %zu\n", i);
		results(&r, "d.test", c->res, c->n);
		verdict_set(&v, ACT_OK, 0, NULL, NULL);
		refused = spf_policy_apply(c->mode, c->dir, &r, &v);
		assert_int_equal(refused, c->act != ACT_OK);
		assert_int_equal(v.action, c->act);
		assert_int_equal(v.code, c->code);
		assert_string_equal(v.dsn, c->dsn);
		if (c->text != NULL)
			assert_memory_equal(buf_cstr(&v.text), c->text, strlen(c->text));
		assert_int_equal(v.trace.n, c->n + (c->act == ACT_OK &&
						    spf_policy_refused(c->dir, c->res[c->n - 1])));
		verdict_release(&v);
		results_free(&r);
	}
}

/* test_header - Received-SPF: fields, null sender, hostile client data made safe */
static void test_header(void **state)
{
	static const enum spf_result fail[] = { SPF_FAIL }, perm[] = { SPF_PERMERROR };
	struct spf_dir_results r = { 0 };
	struct buf h = BUF_INIT;

	(void)state;
	results(&r, "d.test", fail, 1);
	spf_policy_header(SPF_DIR_INBOUND, &r, "mx.test", "a@d.test", "h.test", &h);
	assert_string_equal(buf_cstr(&h),
			    "Received-SPF: fail (mx.test: domain of a@d.test does not designate "
			    "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
			    "envelope-from=\"a@d.test\"; helo=\"h.test\"; receiver=mx.test; "
			    "identity=mailfrom; mechanism=\"-all\"");
	buf_truncate(&h, 0);
	spf_policy_header(SPF_DIR_EGRESS, &r, "mx.test", "", "h\"x\r\n(X-Evil: 1)\\\xc3\xa9",
			  &h);
	assert_string_equal(buf_cstr(&h),
			    "Received-SPF: fail (mx.test: egress check: domain of h\"x??"
			    "?X-Evil: 1???? does not designate our egress address 192.0.2.1 as "
			    "permitted sender) client-ip=192.0.2.1; envelope-from=\"<>\"; "
			    "helo=\"h?x?" "?(X-Evil: 1)???\"; receiver=mx.test; identity=helo; "
			    "mechanism=\"-all\"");
	results_free(&r);
	buf_truncate(&h, 0);
	results(&r, "d.test", perm, 1);
	buf_puts(&r.v[0].out.problem, "more than 10 DNS-querying terms");
	spf_policy_header(SPF_DIR_INBOUND, &r, "mx.test", "a@d.test", "h.test", &h);
	assert_string_equal(buf_cstr(&h),
			    "Received-SPF: permerror (mx.test: error in processing during lookup "
			    "of a@d.test) client-ip=192.0.2.1; envelope-from=\"a@d.test\"; "
			    "helo=\"h.test\"; receiver=mx.test; identity=mailfrom; "
			    "problem=\"more than 10 DNS-querying terms\"");
	results_free(&r);
	buf_release(&h);
}

/* test_long_value - client values are cut at 255 octets */
static void test_long_value(void **state)
{
	static const enum spf_result pass[] = { SPF_PASS };
	struct spf_dir_results r = { 0 };
	struct buf h = BUF_INIT;
	char helo[600];
	const char *p;

	(void)state;
	memset(helo, 'h', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	results(&r, "d.test", pass, 1);
	spf_policy_header(SPF_DIR_INBOUND, &r, "mx.test", "", helo, &h);
	p = strstr(buf_cstr(&h), "helo=\"");
	assert_non_null(p);
	assert_int_equal(strspn(p + 6, "h"), 255);
	assert_int_equal(p[6 + 255], '"');
	results_free(&r);
	buf_release(&h);
}

/* test_txn_cache - one transaction (instance + sender) keeps its results */
static void test_txn_cache(void **state)
{
	static const enum spf_result fail[] = { SPF_FAIL };
	struct spf_txn t = { 0 };

	(void)state;
	spf_txn_use(&t, "i1", "a@d.test");
	results(&t.dir[SPF_DIR_EGRESS], "d.test", fail, 1);
	spf_txn_use(&t, "i1", "a@d.test");
	assert_true(t.dir[SPF_DIR_EGRESS].done);
	spf_txn_use(&t, "i1", "b@d.test");	/* RSET, new MAIL FROM */
	assert_false(t.dir[SPF_DIR_EGRESS].done);
	results(&t.dir[SPF_DIR_INBOUND], "d.test", fail, 1);
	spf_txn_use(&t, "i2", "b@d.test");
	assert_false(t.dir[SPF_DIR_INBOUND].done);
	results(&t.dir[SPF_DIR_INBOUND], "d.test", fail, 1);
	spf_txn_use(&t, "", "b@d.test");	/* no instance: never cached */
	assert_false(t.dir[SPF_DIR_INBOUND].done);
	spf_txn_use(&t, "", "b@d.test");
	assert_false(t.dir[SPF_DIR_INBOUND].done);
	spf_txn_release(&t);
	assert_null(t.instance);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_table),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_long_value),
		cmocka_unit_test(test_txn_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
