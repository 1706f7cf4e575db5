/* test_spf_record - the SPF record parser (core/spf_record), table-driven */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/spf/spf_record.h"

struct rec_case {
	const char *rec;
	size_t len;		/* 0: strlen */
	int ok;
	size_t nterms;
	const char *redirect, *exp;
};

static const struct rec_case rec_cases[] = {
	{ "v=spf1", 0, 1, 0, NULL, NULL },
	{ "v=spf1 -all", 0, 1, 1, NULL, NULL },
	{ "V=SpF1 ~ALL", 0, 1, 1, NULL, NULL },
	{ "v=spf1 a  -all ", 0, 1, 2, NULL, NULL },
	{ "v=spf10", 0, 0, 0, NULL, NULL },
	{ "v=spf1-all", 0, 0, 0, NULL, NULL },
	/* all */
	{ "v=spf1 -all.", 0, 0, 0, NULL, NULL },
	{ "v=spf1 -all:foobar", 0, 0, 0, NULL, NULL },
	{ "v=spf1 -all/8", 0, 0, 0, NULL, NULL },
	{ "v=spf1 all -all", 0, 1, 2, NULL, NULL },
	/* a / mx and their CIDR lengths */
	{ "v=spf1 a/24//64 -all", 0, 1, 2, NULL, NULL },
	{ "v=spf1 a/24/64 -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a/33", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a//129", 0, 0, 0, NULL, NULL },
	{ "v=spf1 mx//33", 0, 1, 1, NULL, NULL },
	{ "v=spf1 a/032", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a/0 a//0 mx/0//0", 0, 1, 3, NULL, NULL },
	{ "v=spf1 a/", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:foo:bar/baz.example.com", 0, 1, 1, NULL, NULL },
	{ "v=spf1 a:example.com:8080", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:111.222.33.44", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:abc.123", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:museum", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:museum.", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:foo.example.xn--zckzah -all", 0, 1, 2, NULL, NULL },
	{ "v=spf1 a:example.-com", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:foo-bar", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:%{H}.bar -all", 0, 1, 2, NULL, NULL },
	{ "v=spf1 a:mail.example...com", 0, 1, 1, NULL, NULL },
	{ "v=spf1 a:foo.example.com.", 0, 1, 1, NULL, NULL },
	{ "v=spf1 mx:abc.123", 0, 0, 0, NULL, NULL },
	/* include, exists, ptr */
	{ "v=spf1 include:ip5.example.com/24 -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 include +all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 include: -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exists", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exists:", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exists:mail.example.com/24", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}", 0, 1, 1, NULL, NULL },
	{ "v=spf1 ptr/0 -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ptr:", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ptr ptr:example.com", 0, 1, 2, NULL, NULL },
	/* ip4 / ip6 */
	{ "v=spf1 ip4:1.1.1.1/0 ip4:1.2.3.4/32", 0, 1, 2, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.4/33", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.4/032", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.4//32", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.4:8080", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:01.2.3.4", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.256", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip6:::1.1.1.1/0 ip6:Cafe:Babe:8000::/33", 0, 1, 2, NULL, NULL },
	{ "v=spf1 ip6:::1.1.1.1/129", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip6:::1.1.1.1//33", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip6::CAFE::BABE", 0, 0, 0, NULL, NULL },
	{ "v=spf1 -all ip6", 0, 0, 0, NULL, NULL },
	/* modifiers */
	{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0, 1, 2, NULL, NULL },
	{ "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 1up=foo", 0, 0, 0, NULL, NULL },
	{ "v=spf1 =all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 0, 0, 0, NULL, NULL },
	{ "v=spf1 -all foo=%abc", 0, 0, 0, NULL, NULL },
	{ "v=spf1 default=+ other=", 0, 1, 0, NULL, NULL },
	{ "v=spf1 exp=-all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 ?all redirect=", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exp= -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 exp=a.example.com -all exp=b.example.com", 0, 0, 0, NULL, NULL },
	{ "v=spf1 redirect=a.example.com -all REDIRECT=a.example.com", 0, 0, 0, NULL, NULL },
	{ "v=spf1 Redirect=%{d}.d.spf.example.com. EXP=msg.%{D2}", 0, 1, 0,
	  "%{d}.d.spf.example.com.", "msg.%{D2}" },
	{ "v=spf1 -all exp=%{r}.example.com", 0, 0, 0, NULL, NULL },
	/* separators and bytes: SP only, no control, NUL or non-ASCII */
	{ "v=spf1 ip4:192.0.2.5\n include:spf.example.com ~all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:ctrl.example.com\rptr -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1\t-all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:foo.example.com\0", 25, 0, 0, NULL, NULL },
	{ "v=spf1 \x80" "a:example.net -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:example.net \x96" "all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", 0, 0, 0, NULL, NULL },
	{ "v=spf1 a:%{p}.%{x}.example.com", 0, 0, 0, NULL, NULL },
};

/* test_records - accept/refuse, term count, modifiers */
static void test_records(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		const struct rec_case *c = &rec_cases[i];
		size_t len = c->len ? c->len : strlen(c->rec);
		struct spf_record rec;
		const char *err = NULL;
		int rc = spf_record_parse(c->rec, len, &rec, &err);

		if (rc != (c->ok ? 0 : -1))
			fail_msg("case %zu \"%s\": rc %d (%s)", i, c->rec, rc, err ? err : "-");
		if (!c->ok) {
			assert_non_null(err);
			assert_true(rec.bad_term + rec.bad_len <= len && rec.bad_len > 0);
			assert_int_equal(rec.n, 0);
			assert_null(rec.terms);
			continue;
		}
		assert_int_equal(rec.n, c->nterms);
		if (c->redirect)
			assert_string_equal(rec.redirect, c->redirect);
		if (c->exp)
			assert_string_equal(rec.exp, c->exp);
		spf_record_release(&rec);
		assert_null(rec.terms);
	}
}

struct term_case {
	const char *rec;
	size_t idx;
	char qualifier;
	enum spf_mech mech;
	const char *domain;	/* NULL: none */
	int cidr4, cidr6;
	const char *net;	/* ip4/ip6: the network bytes, hex */
};

static const struct term_case term_cases[] = {
	{ "v=spf1 -all", 0, '-', SPF_MECH_ALL, NULL, -1, -1, NULL },
	{ "v=spf1 ?ALL", 0, '?', SPF_MECH_ALL, NULL, -1, -1, NULL },
	{ "v=spf1 a/24//64", 0, '+', SPF_MECH_A, NULL, 24, 64, NULL },
	{ "v=spf1 ~a:foo.example.com/0", 0, '~', SPF_MECH_A, "foo.example.com", 0, -1, NULL },
	{ "v=spf1 mx:foo:bar/baz.example.com//128", 0, '+', SPF_MECH_MX,
	  "foo:bar/baz.example.com", -1, 128, NULL },
	{ "v=spf1 x=y INCLUDE:_spf.%{d2}", 0, '+', SPF_MECH_INCLUDE, "_spf.%{d2}", -1, -1, NULL },
	{ "v=spf1 ptr", 0, '+', SPF_MECH_PTR, NULL, -1, -1, NULL },
	{ "v=spf1 -exists:%{ir}.sbl.example.com", 0, '-', SPF_MECH_EXISTS,
	  "%{ir}.sbl.example.com", -1, -1, NULL },
	{ "v=spf1 a ip4:192.0.2.0/24", 1, '+', SPF_MECH_IP4, NULL, 24, -1, "c0000200" },
	{ "v=spf1 -ip6:2001:db8::1", 0, '-', SPF_MECH_IP6, NULL, -1, -1,
	  "20010db8000000000000000000000001" },
	{ "v=spf1 ip6:::FFFF:1.2.3.4/0", 0, '+', SPF_MECH_IP6, NULL, -1, 0,
	  "00000000000000000000ffff01020304" },
};

/* test_hex - bytes as hex */
static void test_hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* test_terms - what each term holds */
static void test_terms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(term_cases) / sizeof(term_cases[0]); i++) {
		const struct term_case *c = &term_cases[i];
		struct spf_record rec;
		const char *err = NULL;
		const struct spf_term *t;
		char hex[40];

		if (spf_record_parse(c->rec, strlen(c->rec), &rec, &err) < 0)
			fail_msg("case %zu \"%s\": %s", i, c->rec, err);
		assert_true(c->idx < rec.n);
		t = &rec.terms[c->idx];
		assert_int_equal(t->qualifier, c->qualifier);
		assert_int_equal(t->mech, c->mech);
		if (c->domain)
			assert_string_equal(t->domain, c->domain);
		else
			assert_null(t->domain);
		assert_int_equal(t->cidr4, c->cidr4);
		assert_int_equal(t->cidr6, c->cidr6);
		if (c->net) {
			test_hex(t->net.b, t->net.family == 4 ? 4 : 16, hex);
			assert_string_equal(hex, c->net);
		}
		assert_non_null(t->text);
		spf_record_release(&rec);
	}
}

/* test_bad_term - the error names the offending term */
static void test_bad_term(void **state)
{
	const char *r = "v=spf1 ip4:1.2.3.4 -all moo";
	struct spf_record rec;
	const char *err = NULL;

	(void)state;
	assert_int_equal(spf_record_parse(r, strlen(r), &rec, &err), -1);
	assert_int_equal(rec.bad_term, 24);
	assert_int_equal(rec.bad_len, 3);
	assert_string_equal(err, "unknown mechanism");
}

/* test_is_spf - version selection (RFC 7208 4.5) */
static void test_is_spf(void **state)
{
	(void)state;
	assert_true(spf_record_is_spf("v=spf1", 6));
	assert_true(spf_record_is_spf("V=SpF1 -all", 11));
	assert_false(spf_record_is_spf("v=spf10", 7));
	assert_false(spf_record_is_spf("v=spf1mx", 8));
	assert_false(spf_record_is_spf("v=spf", 5));
	assert_false(spf_record_is_spf("", 0));
	assert_false(spf_record_is_spf(" v=spf1", 7));
	assert_string_equal(spf_mech_name(SPF_MECH_EXISTS), "exists");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_bad_term),
		cmocka_unit_test(test_is_spf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
