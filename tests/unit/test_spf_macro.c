/* test_spf_macro - RFC 7208 macro expansion (core/spf_macro), table-driven */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/spf/spf_macro.h"

struct macro_case {
	const char *ip;
	const char *in;
	unsigned flags;
	const char *out;	/* NULL: a syntax error */
};

/* RFC 7208 7.4's examples: sender strong-bad@email.example.com */
static const struct macro_case macro_cases[] = {
	{ "192.0.2.3", "%{s}", 0, "strong-bad@email.example.com" },
	{ "192.0.2.3", "%{o}", 0, "email.example.com" },
	{ "192.0.2.3", "%{d}", 0, "email.example.com" },
	{ "192.0.2.3", "%{d4}", 0, "email.example.com" },
	{ "192.0.2.3", "%{d3}", 0, "email.example.com" },
	{ "192.0.2.3", "%{d2}", 0, "example.com" },
	{ "192.0.2.3", "%{d1}", 0, "com" },
	{ "192.0.2.3", "%{dr}", 0, "com.example.email" },
	{ "192.0.2.3", "%{d2r}", 0, "example.email" },
	{ "192.0.2.3", "%{l}", 0, "strong-bad" },
	{ "192.0.2.3", "%{l-}", 0, "strong.bad" },
	{ "192.0.2.3", "%{lr}", 0, "strong-bad" },
	{ "192.0.2.3", "%{lr-}", 0, "bad.strong" },
	{ "192.0.2.3", "%{l1r-}", 0, "strong" },
	{ "192.0.2.3", "%{ir}.%{v}._spf.%{d2}", 0, "3.2.0.192.in-addr._spf.example.com" },
	{ "192.0.2.3", "%{lr-}.lp._spf.%{d2}", 0, "bad.strong.lp._spf.example.com" },
	{ "192.0.2.3", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0,
	  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
	{ "192.0.2.3", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0,
	  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
	{ "192.0.2.3", "%{d2}.trusted-domains.example.net", 0,
	  "example.com.trusted-domains.example.net" },
	{ "2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}", 0,
	  "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com" },
	/* escapes, upper case = URL-escaped, numbers beyond the parts */
	{ "192.0.2.3", "a%%b%_c%-d", 0, "a%b c%20d" },
	{ "192.0.2.3", "%{S}", 0, "strong-bad%40email.example.com" },
	{ "192.0.2.3", "%{d99999999999}", 0, "email.example.com" },
	{ "192.0.2.3", "%{l2r+-}", 0, "bad.strong" },
	{ "192.0.2.3", "%{h}", 0, "mx.example.org" },
	{ "192.0.2.3", "%{p}", 0, "unknown" },
	/* explanation-only letters */
	{ "192.0.2.3", "%{c} %{r} %{t}", SPF_MACRO_EXP, "192.0.2.3 unknown 1400000000" },
	{ "2001:db8::cb01", "%{c} / %{i}", SPF_MACRO_EXP,
	  "2001:db8::cb01 / 2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1" },
	{ "192.0.2.3", "%{c}", 0, NULL },
	{ "192.0.2.3", "%{r}.example.com", 0, NULL },
	{ "192.0.2.3", "%{t}", 0, NULL },
	{ "192.0.2.3", "a b", 0, NULL },
	/* syntax errors */
	{ "192.0.2.3", "%", 0, NULL },
	{ "192.0.2.3", "foo%", 0, NULL },
	{ "192.0.2.3", "%x", 0, NULL },
	{ "192.0.2.3", "%(ir)", 0, NULL },
	{ "192.0.2.3", "%{", 0, NULL },
	{ "192.0.2.3", "%{}", 0, NULL },
	{ "192.0.2.3", "%{a}", 0, NULL },
	{ "192.0.2.3", "%{d0}", 0, NULL },
	{ "192.0.2.3", "%{d2x}", 0, NULL },
	{ "192.0.2.3", "%{d2r.", 0, NULL },
	{ "192.0.2.3", "\x80", 0, NULL },
	{ "192.0.2.3", "tab\there", SPF_MACRO_EXP, NULL },
	{ "192.0.2.3", "\xEF\xBB\xBF" "Explanation", SPF_MACRO_EXP, NULL },
};

/* test_ptr - a %{p} that knows one validated name */
static const char *test_ptr(void *arg, const char *domain)
{
	(void)domain;
	return arg;
}

/* test_ctx - the RFC 7208 7.4 context */
static void test_ctx(struct spf_macro_ctx *ctx, struct rw_ip *ip, const char *addr)
{
	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(cidr_parse_ip(addr, ip), 0);
	ctx->sender = "strong-bad@email.example.com";
	ctx->local = "strong-bad";
	ctx->sender_domain = "email.example.com";
	ctx->domain = "email.example.com";
	ctx->helo = "mx.example.org";
	ctx->ip = ip;
	ctx->now = 1400000000;
}

/* test_expand - the table */
static void test_expand(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(macro_cases) / sizeof(macro_cases[0]); i++) {
		const struct macro_case *c = &macro_cases[i];
		struct spf_macro_ctx ctx;
		struct rw_ip ip;
		struct buf out = BUF_INIT;
		const char *err = NULL;
		int rc;

		test_ctx(&ctx, &ip, c->ip);
		rc = spf_macro_expand(c->in, strlen(c->in), c->flags, &ctx, &out, &err);
		if (c->out == NULL) {
			if (rc != -1 || err == NULL)
				fail_msg("case %zu \"%s\": accepted as \"%s\"", i, c->in, buf_cstr(&out));
			assert_int_equal(spf_macro_check(c->in, strlen(c->in), c->flags, &err), -1);
		} else {
			if (rc != 0)
				fail_msg("case %zu \"%s\": %s", i, c->in, err);
			assert_string_equal(buf_cstr(&out), c->out);
			assert_int_equal(spf_macro_check(c->in, strlen(c->in), c->flags, &err), 0);
		}
		buf_release(&out);
	}
}

/* test_url_escape - RFC 7208 7.3: everything but unreserved escaped, upper-case hex */
static void test_url_escape(void **state)
{
	struct spf_macro_ctx ctx;
	struct rw_ip ip;
	struct buf out = BUF_INIT;
	const char *err = NULL;

	(void)state;
	test_ctx(&ctx, &ip, "192.0.2.3");
	ctx.local = "~jack&jill=up-a_b3.c";
	assert_int_equal(spf_macro_expand("l=%{L}", 6, 0, &ctx, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "l=~jack%26jill%3Dup-a_b3.c");
	buf_truncate(&out, 0);
	ctx.helo = "JUMPIN' JUPITER";
	assert_int_equal(spf_macro_expand("%{H}", 4, 0, &ctx, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "JUMPIN%27%20JUPITER");
	buf_truncate(&out, 0);
	ctx.ptr = test_ptr;
	ctx.arg = "mx.example.com";
	assert_int_equal(spf_macro_expand("%{p}.%{p2}", 10, 0, &ctx, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "mx.example.com.example.com");
	buf_release(&out);
}

struct spec_case {
	const char *spec;
	int ok;
};

static const struct spec_case spec_cases[] = {
	{ "example.com", 1 }, { "example.com.", 1 }, { "%{d}", 1 }, { "_spf.%{d2}", 1 },
	{ "%{i}.x.%{d}.", 0 }, { "foo.xn--zckzah", 1 }, { "a.b-c", 1 }, { "a.123-4", 1 },
	{ "", 0 }, { "museum", 0 }, { "museum.", 0 }, { ".com", 1 }, { "a.-com", 0 },
	{ "a.com-", 0 }, { "a.123", 0 }, { "a.com:8080", 0 }, { "%{d}com", 0 },
	{ "%{d}.com", 1 }, { "a..b.com", 1 }, { "a.c%{d}", 1 }, { "%%", 1 }, { "%{c}.com", 0 },
};

/* test_domain_spec - domain-end checks */
static void test_domain_spec(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spec_cases) / sizeof(spec_cases[0]); i++) {
		const char *err = NULL;
		int rc = spf_domain_spec_check(spec_cases[i].spec, strlen(spec_cases[i].spec), &err);

		if (rc != (spec_cases[i].ok ? 0 : -1))
			fail_msg("case \"%s\": rc %d", spec_cases[i].spec, rc);
	}
}

/* test_target - query names: trailing dot, 253-octet cut from the left, labels */
static void test_target(void **state)
{
	struct buf b = BUF_INIT;
	const char *label = "somewhat.long.exp.example.com.";

	(void)state;
	buf_puts(&b, "example.com.");
	assert_int_equal(spf_macro_target(&b), 0);
	assert_string_equal(buf_cstr(&b), "example.com");
	buf_truncate(&b, 0);
	buf_puts(&b, "foobar.");
	for (int i = 0; i < 8; i++)
		buf_puts(&b, label);
	buf_puts(&b, "example.com");
	assert_int_equal(b.len, 258);
	assert_int_equal(spf_macro_target(&b), 0);
	assert_int_equal(b.len, 251);
	assert_true(strncmp(buf_cstr(&b), "somewhat.", 9) == 0);
	buf_truncate(&b, 0);
	buf_puts(&b, "mail.example...com");
	assert_int_equal(spf_macro_target(&b), -1);
	buf_truncate(&b, 0);
	buf_puts(&b, "a1234567890123456789012345678901234567890123456789012345678901234.com");
	assert_int_equal(spf_macro_target(&b), -1);
	buf_truncate(&b, 0);
	assert_int_equal(spf_macro_target(&b), -1);
	buf_puts(&b, ".");
	assert_int_equal(spf_macro_target(&b), -1);
	buf_release(&b);
}

/* test_reverse - PTR query names */
static void test_reverse(void **state)
{
	struct buf b = BUF_INIT;
	struct rw_ip ip;

	(void)state;
	assert_int_equal(cidr_parse_ip("192.0.2.3", &ip), 0);
	spf_macro_reverse_name(&ip, &b);
	assert_string_equal(buf_cstr(&b), "3.2.0.192.in-addr.arpa");
	buf_truncate(&b, 0);
	assert_int_equal(cidr_parse_ip("2001:db8::cb01", &ip), 0);
	spf_macro_reverse_name(&ip, &b);
	assert_string_equal(buf_cstr(&b),
			    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_domain_spec),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_reverse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
