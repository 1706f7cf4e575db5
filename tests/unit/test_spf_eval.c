/* test_spf_eval - check_host() (core/spf) over a table-driven fake resolver */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/spf/spf.h"
#include "tests/unit/spf_fake.h"

struct row {
	const char *name;
	enum dns_type type;	/* 0: every type */
	enum dns_status st;
	const char *value;
};

#define OK DNS_OK
#define MAXROWS 16

struct eval_case {
	const char *what;
	struct row rows[MAXROWS];
	const char *ip, *sender, *helo;
	unsigned delay_ms, budget_ms;
	enum spf_result result;
	const char *mechanism;		/* NULL: not checked */
	const char *explanation;	/* NULL: not checked */
	const char *problem;		/* a substring; NULL: must be empty */
	int dns_terms;			/* -1: not checked */
};

static const struct eval_case eval_cases[] = {
	{ "ip4 pass, the deciding term reported",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ip4:192.0.2.0/24 -all" } },
	  "192.0.2.7", "alice@example.org", "mx.example.org", 0, 0,
	  SPF_PASS, "ip4:192.0.2.0/24", "", NULL, 0 },
	{ "include chain of 3",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 include:a.example.net -all" },
	    { "a.example.net", DNS_T_TXT, OK, "v=spf1 include:b.example.net ?all" },
	    { "b.example.net", DNS_T_TXT, OK, "v=spf1 include:c.example.net" },
	    { "c.example.net", DNS_T_TXT, OK, "v=spf1 a:out.example.net" },
	    { "out.example.net", DNS_T_A, OK, "198.51.100.1" } },
	  "198.51.100.1", "alice@example.org", "h.example", 0, 0,
	  SPF_PASS, "include:a.example.net", NULL, NULL, 4 },
	{ "fail with exp= of the redirect target, macros rendered",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 exp=no.example.org redirect=_spf.example.org" },
	    { "_spf.example.org", DNS_T_TXT, OK, "v=spf1 mx -all exp=why.%{o}" },
	    { "_spf.example.org", DNS_T_MX, OK, "10 mx.example.org" },
	    { "mx.example.org", DNS_T_A, OK, "192.0.2.1" },
	    { "why.example.org", DNS_T_TXT, OK, "%{i} may not send for %{d} (%{s}, %{v})" } },
	  "203.0.113.9", "bob@example.org", "h.example", 0, 0, SPF_FAIL, "-all",
	  "203.0.113.9 may not send for _spf.example.org (bob@example.org, in-addr)", NULL, 2 },
	{ "explanation: non-printable bytes from macros become '?'",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 -all exp=e.example.org" },
	    { "e.example.org", DNS_T_TXT, OK, "user %{l} refused" } },
	  "192.0.2.1", "a\x01\x7f" "b@example.org", "h.example", 0, 0,
	  SPF_FAIL, "-all", "user a??b refused", NULL, 0 },
	{ "explanation: capped at 512 octets",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 -all exp=e.example.org" },
	    { "e.example.org", DNS_T_TXT, OK, "%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}"
	      "%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}" } },
	  "192.0.2.1", "a-rather-long-local-part@example.org", "h.example", 0, 0,
	  SPF_FAIL, "-all", NULL, NULL, 0 },
	{ "no explanation for softfail",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ~all exp=e.example.org" },
	    { "e.example.org", DNS_T_TXT, OK, "go away" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0, SPF_SOFTFAIL, "~all", "", NULL, 0 },
	{ "more than 10 DNS-querying terms",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 a a a a a a mx mx mx exists:x.example.org a -all" },
	    { "example.org", DNS_T_A, OK, "192.0.2.1" },
	    { "example.org", DNS_T_MX, OK, "1 mx.example.org" },
	    { "x.example.org", DNS_T_A, OK, "127.0.0.2" } },
	  "203.0.113.1", "a@example.org", "h.example", 0, 0,
	  SPF_PASS, "exists:x.example.org", NULL, NULL, 10 },
	{ "the 11th DNS-querying term is a permerror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 a a a a a a mx mx mx a exists:x.example.org" },
	    { "example.org", DNS_T_A, OK, "192.0.2.1" },
	    { "example.org", DNS_T_MX, OK, "1 mx.example.org" },
	    { "x.example.org", DNS_T_A, OK, "127.0.0.2" } },
	  "203.0.113.1", "a@example.org", "h.example", 0, 0,
	  SPF_PERMERROR, "", NULL, "more than 10 DNS-querying terms", 11 },
	{ "third void look-up",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 a:n1.example.org a:n2.example.org "
	      "exists:n3.example.org -all" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_PERMERROR, "", "", "void", 3 },
	{ "SERVFAIL on the record is a temperror",
	  { { "example.org", 0, DNS_SERVFAIL, NULL } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_TEMPERROR, "", "", "SERVFAIL", 0 },
	{ "timeout in a mechanism is a temperror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ip4:192.0.2.9 exists:slow.example.org -all" },
	    { "slow.example.org", 0, DNS_TIMEOUT, NULL } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_TEMPERROR, "", "", "TIMEOUT", 1 },
	{ "slow answers spend the budget: temperror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 include:a.example.org -all" },
	    { "a.example.org", DNS_T_TXT, OK, "v=spf1 include:b.example.org" },
	    { "b.example.org", DNS_T_TXT, OK, "v=spf1 a:c.example.org" },
	    { "c.example.org", DNS_T_A, OK, "192.0.2.1" } },
	  "192.0.2.1", "a@example.org", "h.example", 3000, 5000,
	  SPF_TEMPERROR, "", "", "budget", -1 },
	{ "null sender: postmaster@HELO",
	  { { "mx.example.org", DNS_T_TXT, OK, "v=spf1 -all exp=e.example.org" },
	    { "e.example.org", DNS_T_TXT, OK, "%{s} %{l} %{o} %{h}" } },
	  "192.0.2.1", "", "mx.example.org", 0, 0, SPF_FAIL, "-all",
	  "postmaster@mx.example.org postmaster mx.example.org mx.example.org", NULL, 0 },
	{ "IPv4-mapped IPv6 client evaluated as IPv4",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ip6:::/0 -ip4:192.0.2.1 +all" } },
	  "::ffff:192.0.2.1", "a@example.org", "h.example", 0, 0, SPF_FAIL, "-ip4:192.0.2.1",
	  "", NULL, 0 },
	{ "no SPF record: none",
	  { { "example.org", DNS_T_TXT, OK, "google-site-verification=x" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0, SPF_NONE, "", "", NULL, 0 },
	{ "two SPF records: permerror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 -all" },
	    { "example.org", DNS_T_TXT, OK, "v=spf1 +all" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_PERMERROR, "", "", "more than one SPF record", 0 },
	{ "syntax error named with its term",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ip4:192.0.2.1 -all a:\x80x.example" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_PERMERROR, "", "", "\"a:\\x80x.example\"", 0 },
	{ "malformed domain: none without a query",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 +all" } },
	  "192.0.2.1", "a@[192.0.2.1]", "h.example", 0, 0, SPF_NONE, "", "", "not a valid domain", 0 },
	{ "include of a domain without record: permerror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 include:none.example.org +all" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0,
	  SPF_PERMERROR, "", "", "no SPF record", 1 },
	{ "ptr: validated names only, first 10",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 ptr:example.org -all" },
	    { "1.2.0.192.in-addr.arpa", DNS_T_PTR, OK, "fake.example.org" },
	    { "1.2.0.192.in-addr.arpa", DNS_T_PTR, OK, "real.example.org" },
	    { "fake.example.org", DNS_T_A, OK, "192.0.2.99" },
	    { "real.example.org", DNS_T_A, OK, "192.0.2.1" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0, SPF_PASS, "ptr:example.org", "", NULL, 1 },
	{ "mx with more than 10 names: permerror",
	  { { "example.org", DNS_T_TXT, OK, "v=spf1 mx -all" },
	    { "example.org", DNS_T_MX, OK, "1 a.example.org" }, { "example.org", DNS_T_MX, OK, "2 a.example.org" },
	    { "example.org", DNS_T_MX, OK, "3 a.example.org" }, { "example.org", DNS_T_MX, OK, "4 a.example.org" },
	    { "example.org", DNS_T_MX, OK, "5 a.example.org" }, { "example.org", DNS_T_MX, OK, "6 a.example.org" },
	    { "example.org", DNS_T_MX, OK, "7 a.example.org" }, { "example.org", DNS_T_MX, OK, "8 a.example.org" },
	    { "example.org", DNS_T_MX, OK, "9 a.example.org" }, { "example.org", DNS_T_MX, OK, "10 a.example.org" },
	    { "example.org", DNS_T_MX, OK, "11 b.example.org" }, { "b.example.org", DNS_T_A, OK, "192.0.2.1" } },
	  "192.0.2.1", "a@example.org", "h.example", 0, 0, SPF_PERMERROR, "", "", "MX", 1 },
};

/* eval_one - run one case and check it */
static void eval_one(const struct eval_case *c)
{
	struct spf_fake *f = spf_fake_new();
	struct spf_env env;
	struct spf_request req = { .sender = c->sender, .helo = c->helo };
	struct spf_outcome out;

	memset(&out, 0, sizeof(out));
	for (size_t i = 0; i < MAXROWS && c->rows[i].name; i++)
		spf_fake_add(f, c->rows[i].name, c->rows[i].type, c->rows[i].st, c->rows[i].value);
	spf_fake_env(f, &env);
	spf_fake_set_delay(f, c->delay_ms);
	env.budget_ms = c->budget_ms;
	assert_int_equal(cidr_parse_ip(c->ip, &req.ip), 0);
	spf_check(&env, &req, &out);
	if (out.result != c->result)
		fail_msg("%s: result %s, problem \"%s\"", c->what, spf_result_name(out.result),
			 buf_cstr(&out.problem));
	if (c->mechanism)
		assert_string_equal(buf_cstr(&out.mechanism), c->mechanism);
	if (c->explanation)
		assert_string_equal(buf_cstr(&out.explanation), c->explanation);
	if (c->problem == NULL)
		assert_int_equal(out.problem.len, 0);
	else if (strstr(buf_cstr(&out.problem), c->problem) == NULL)
		fail_msg("%s: problem \"%s\"", c->what, buf_cstr(&out.problem));
	if (c->dns_terms >= 0)
		assert_int_equal(out.dns_terms, c->dns_terms);
	assert_true(out.explanation.len <= 512);
	assert_int_equal(spf_fake_outstanding(f), 0);
	spf_outcome_release(&out);
	spf_fake_free(&f);
}

/* test_eval - the table */
static void test_eval(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++)
		eval_one(&eval_cases[i]);
}

/* test_exp_cap - the long explanation is cut at 512 printable octets */
static void test_exp_cap(void **state)
{
	const struct eval_case *c = &eval_cases[4];
	struct spf_fake *f = spf_fake_new();
	struct spf_env env;
	struct spf_request req = { .sender = c->sender, .helo = c->helo };
	struct spf_outcome out;

	(void)state;
	memset(&out, 0, sizeof(out));
	for (size_t i = 0; c->rows[i].name; i++)
		spf_fake_add(f, c->rows[i].name, c->rows[i].type, c->rows[i].st, c->rows[i].value);
	spf_fake_env(f, &env);
	assert_int_equal(cidr_parse_ip(c->ip, &req.ip), 0);
	spf_check(&env, &req, &out);
	assert_int_equal(out.result, SPF_FAIL);
	assert_int_equal(out.explanation.len, 512);
	assert_true(strncmp(buf_cstr(&out.explanation), c->sender, strlen(c->sender)) == 0);
	spf_outcome_release(&out);
	spf_fake_free(&f);
}

/* test_names - result names (RFC 7208 2.6) */
static void test_names(void **state)
{
	static const char *const names[] = {
		"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
	};

	(void)state;
	for (int r = SPF_NONE; r <= SPF_PERMERROR; r++)
		assert_string_equal(spf_result_name((enum spf_result)r), names[r]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_exp_cap),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
