/*
 * test_authres - the Authentication-Results value (RFC 8601): exact text
 * for typical results, quoting and escaping of hostile values, and the
 * forged-header test (authres_is_ours).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/msgauth/align.h"
#include "core/msgauth/authres.h"
#include "core/util/buf.h"
#include "core/msgauth/msgcheck.h"
#include "core/spf/spf.h"

#define SIG(d, s, a, r, why, part) { (char *)(d), (char *)(s), (char *)(a), r, why, 2048, part, 0 }

/* build - the value for in, as a C string in *out */
static const char *build(const struct authres_input *in, struct buf *out)
{
	buf_truncate(out, 0);
	authres_build(in, out);
	return buf_cstr(out);
}

/* test_full - dkim, spf and alignment, folded for libmilter */
static void test_full(void **state)
{
	struct mc_dkim_sig sigs[] = {
		SIG("example.com", "sel1", "rsa-sha256", MC_DKIM_PASS, "", 0),
		SIG("example.com", "old", "rsa-sha1", MC_DKIM_FAIL, "rsa-sha1 not accepted (RFC 8301)", 0),
	};
	struct spf_outcome spf = { .result = SPF_PASS };
	struct align_outcome al = { .result = ALIGN_PASS, .dkim_aligned = 0 };
	struct authres_input in = { "mx.relay.test", sigs, 2, 1, &spf, "alice@example.com", &al, "\n\t" };
	struct buf out = BUF_INIT;

	(void)state;
	buf_puts(&spf.domain, "example.com");
	buf_puts(&al.from_domain, "example.com");
	al.dmarc = (struct align_dmarc){ 1, ALIGN_RELAXED, ALIGN_STRICT, ALIGN_P_REJECT, 0, 100,
					 0, 'u', 0 };
	assert_string_equal(build(&in, &out),
		"mx.relay.test;\n\t"
		"dkim=pass header.d=example.com header.s=sel1 header.a=rsa-sha256;\n\t"
		"dkim=fail reason=\"rsa-sha1 not accepted (RFC 8301)\" header.d=example.com "
		"header.s=old header.a=rsa-sha1;\n\t"
		"spf=pass smtp.mailfrom=alice@example.com;\n\t"
		"dmarc=pass (p=reject adkim=r aspf=s alignment=dkim) header.from=example.com");
	buf_release(&out);
	buf_release(&spf.domain);
	buf_release(&al.from_domain);
}

/* test_treewalk - the method, the org domain, the record, its tag and t=y are named */
static void test_treewalk(void **state)
{
	struct align_outcome al = { .result = ALIGN_FAIL, .dkim_aligned = -1,
				    .org_method = "treewalk", .policy_tag = "sp" };
	struct authres_input in = { "mx", NULL, 0, 0, NULL, NULL, &al, NULL };
	struct buf out = BUF_INIT;

	(void)state;
	buf_puts(&al.from_domain, "mail.example.com");
	buf_puts(&al.org_domain, "example.com");
	buf_puts(&al.dmarc_name, "_dmarc.example.com");
	al.dmarc = (struct align_dmarc){ 1, ALIGN_RELAXED, ALIGN_RELAXED, ALIGN_P_QUARANTINE,
					 ALIGN_P_QUARANTINE, 100, 0, 'u', 1 };
	assert_string_equal(build(&in, &out),
		"mx; dmarc=fail (p=quarantine adkim=r aspf=r alignment=none org=example.com "
		"method=treewalk record=_dmarc.example.com tag=sp t=y) header.from=mail.example.com");
	buf_truncate(&al.org_domain, 0);	/* a look-up failed: unknown */
	al.org_method = "psl";
	al.dmarc.found = 0;
	assert_string_equal(build(&in, &out),
		"mx; dmarc=fail (p=absent adkim=r aspf=r alignment=none org=unknown method=psl) "
		"header.from=mail.example.com");
	align_outcome_release(&al);
	buf_release(&out);
}

/* test_partial_helo_nofrom - l= partial, the HELO identity, a bad From */
static void test_partial_helo_nofrom(void **state)
{
	struct mc_dkim_sig sigs[] = {
		SIG("example.com", "s", "rsa-sha256", MC_DKIM_PASS, "l= partial", 1),
	};
	struct spf_outcome spf = { .result = SPF_NEUTRAL };
	struct align_outcome al = { .result = ALIGN_FAIL, .from_status = ALIGN_FROM_MULTIPLE,
				    .dkim_aligned = -1 };
	struct authres_input in = { "relay", sigs, 1, 1, &spf, "", &al, NULL };
	struct buf out = BUF_INIT;

	(void)state;
	buf_puts(&spf.domain, "helo.example.net");
	assert_string_equal(build(&in, &out),
		"relay; dkim=policy reason=\"l= partial\" header.d=example.com header.s=s "
		"header.a=rsa-sha256; spf=neutral smtp.helo=helo.example.net; "
		"dmarc=fail (multiple From headers)");
	buf_release(&out);
	buf_release(&spf.domain);
}

/* test_none - nothing checked, and dkim checked on an unsigned message */
static void test_none(void **state)
{
	struct authres_input in = { "relay.test", NULL, 0, 0, NULL, NULL, NULL, NULL };
	struct buf out = BUF_INIT;

	(void)state;
	assert_string_equal(build(&in, &out), "relay.test; none");
	in.dkim_checked = 1;
	assert_string_equal(build(&in, &out), "relay.test; dkim=none");
	buf_release(&out);
}

/* test_hostile - raw bytes never reach the header: quoted, escaped, '?' */
static void test_hostile(void **state)
{
	struct mc_dkim_sig sigs[] = {
		SIG("evil.test\r\nX-Injected: yes", "a;b \"c\"", "rsa-sha256\\", MC_DKIM_FAIL,
		    "bad (really) \\ bad", 0),
	};
	struct spf_outcome spf = { .result = SPF_FAIL };
	struct authres_input in = { "id with space", sigs, 1, 1, &spf,
				    "\"odd local\"@ex\nample.com", NULL, "\r\n\t" };
	struct buf out = BUF_INIT;
	const char *v;

	(void)state;
	v = build(&in, &out);
	assert_string_equal(v,
		"\"id with space\";\r\n\t"
		"dkim=fail reason=\"bad (really) \\\\ bad\" "
		"header.d=\"evil.test??X-Injected: yes\" header.s=\"a;b \\\"c\\\"\" "
		"header.a=\"rsa-sha256\\\\\";\r\n\t"
		"spf=fail smtp.mailfrom=\"\\\"odd local\\\"@ex?ample.com\"");
	/* only the fold may hold CR or LF */
	for (const char *p = v; *p != '\0'; p++)
		if (*p == '\r')
			assert_memory_equal(p, "\r\n\t", 3);
	buf_release(&out);
}

/* test_comment_escape - comments escape parentheses and backslashes */
static void test_comment_escape(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	authres_put_comment(&out, "a(b)c\\d\x7f");
	assert_string_equal(buf_cstr(&out), " (a\\(b\\)c\\\\d?)");
	buf_truncate(&out, 0);
	authres_put_value(&out, "");
	assert_string_equal(buf_cstr(&out), "\"\"");
	buf_release(&out);
}

/* test_is_ours - which existing headers claim our authserv-id */
static void test_is_ours(void **state)
{
	static const struct {
		const char *v;
		int ours;
	} rows[] = {
		{ "mx.relay.test; dkim=pass header.d=example.com", 1 },
		{ "MX.Relay.TEST; spf=pass", 1 },
		{ "  mx.relay.test ; none", 1 },
		{ "\r\n\tmx.relay.test;\r\n\tdkim=pass", 1 },
		{ "(forged) mx.relay.test (comment (nested)); dkim=pass", 1 },
		{ "\"mx.relay.test\"; dkim=pass", 1 },
		{ "mx.relay.test 1; dkim=pass", 1 },
		{ "mx.relay.test", 1 },
		{ "mx.relay.test.evil.example; dkim=pass", 0 },
		{ "evil.mx.relay.test; dkim=pass", 0 },
		{ "other.example; dkim=pass header.d=mx.relay.test", 0 },
		{ "mx.relay.tes; dkim=pass", 0 },
		{ "", 0 },
		{ "(mx.relay.test) other.example; none", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("is_ours: %s\n", rows[i].v);
		assert_int_equal(authres_is_ours(rows[i].v, strlen(rows[i].v), "mx.relay.test"),
				 rows[i].ours);
	}
	/* a NUL inside the value is data, not the end */
	assert_int_equal(authres_is_ours("\"mx.relay.test\0x\"; none", 23, "mx.relay.test"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_treewalk),
		cmocka_unit_test(test_partial_helo_nofrom),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_comment_escape),
		cmocka_unit_test(test_is_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
