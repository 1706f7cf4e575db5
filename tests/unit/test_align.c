/*
 * test_align - the alignment table (RFC 7489 3.1, org_domain = psl): From
 * parsing, DMARC records, relaxed/strict over Debian's Public Suffix List (private
 * section included), several signatures, SPF, planned signing, DNS
 * failures. DMARC records come from a fake TXT table.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/dns/dns_int.h"
#include "core/engine/domainset.h"
#include "core/util/mem.h"
#include "core/msgauth/msgcheck.h"
#include "core/msgauth/psl_adapter.h"

/* the fake DNS: name -> TXT records ("|" separates records), or SERVFAIL */
static const struct {
	const char *name, *txt;
} zone[] = {
	{ "_dmarc.strict.test", "v=DMARC1; p=reject; adkim=s; aspf=s" },
	{ "_dmarc.example.org", "v=DMARC1; p=quarantine; sp=reject; adkim=s" },
	{ "_dmarc.temp.test", "SERVFAIL" },
	{ "_dmarc.two.test", "v=DMARC1; p=reject; adkim=s|v=DMARC1; p=none; adkim=s" },
	{ "_dmarc.bad.test", "v=DMARC1; p=reject; adkim=x" },
	{ "_dmarc.spf.test", "v=spf1 -all|v=DMARC1;p=none;aspf=s" },
	{ "_dmarc.sub.relaxed.test", "v=DMARC1; p=none" },
	{ "_dmarc.relaxed.test", "v=DMARC1; p=reject; adkim=s; aspf=s" },
};

static unsigned queries;

/* fake_query - a TXT answer from the table */
static struct dns_answer *fake_query(void *ctx, const char *name, enum dns_type type)
{
	(void)ctx;
	queries++;
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		char *data[4];
		int len[4];
		size_t n = 0;
		struct dns_answer *a;

		if (strcmp(zone[i].name, name) != 0 || type != DNS_T_TXT)
			continue;
		if (strcmp(zone[i].txt, "SERVFAIL") == 0)
			return dns_answer_new(type, DNS_SERVFAIL);
		for (const char *p = zone[i].txt; n < 4; n++) {
			size_t l = strcspn(p, "|");

			data[n] = rw_malloc(l + 1);
			data[n][0] = (char)l;
			memcpy(data[n] + 1, p, l);
			len[n] = (int)l + 1;
			if (p[l] == '\0') {
				n++;
				break;
			}
			p += l + 1;
		}
		a = dns_answer_parse(type, data, len, n);
		for (size_t k = 0; k < n; k++)
			free(data[k]);
		return a;
	}
	return dns_answer_new(type, DNS_NXDOMAIN);
}

/* fake_release - free an answer */
static void fake_release(void *ctx, struct dns_answer *a)
{
	(void)ctx;
	dns_answer_free(&a);
}

static struct psl_adapter *psl;

/* setup_psl - Debian's list, once */
static int setup_psl(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	psl = psl_adapter_new(NULL, &err);
	buf_release(&err);
	return psl == NULL ? -1 : 0;
}

/* teardown_psl - free the list */
static int teardown_psl(void **state)
{
	(void)state;
	psl_adapter_free(&psl);
	return 0;
}

/* sig - a DKIM result row (strings borrowed: never released) */
#define SIG(d, r, part) { (char *)(d), (char *)"sel", (char *)"rsa-sha256", r, "", 2048, part, 0 }

struct case_row {
	const char *name;
	const char *from[3];
	size_t n_from;
	struct mc_dkim_sig sigs[3];
	size_t n_sigs;
	const char *spf_domain;
	enum spf_result spf;
	int strict_default;
	enum align_result want;
	enum align_from_status want_from;
	int want_dkim;			/* index, -1 */
	int want_spf;
	int want_planned;
	const char *want_dmarc;		/* "_dmarc.x" the record came from, "" */
};

#define P MC_DKIM_PASS
#define F MC_DKIM_FAIL
static const struct case_row cases[] = {
	{ "relaxed subdomain From, parent d=", { "A <a@mail.example.com>" }, 1,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "strict by default: subdomain does not align", { "a@mail.example.com" }, 1,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 1, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "strict by default: same name aligns", { "a@Example.COM" }, 1,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 1, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "adkim=s record overrides relaxed default", { "a@mail.strict.test" }, 1,
	  { SIG("strict.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0,
	  "_dmarc.strict.test" },
	{ "org-domain fallback record (adkim=s)", { "a@sub.example.org" }, 1,
	  { SIG("example.org", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0,
	  "_dmarc.example.org" },
	{ "record at the From domain wins over the org's", { "a@sub.relaxed.test" }, 1,
	  { SIG("relaxed.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0,
	  "_dmarc.sub.relaxed.test" },
	{ "two DMARC records: none used, defaults", { "a@x.two.test" }, 1,
	  { SIG("two.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "invalid adkim: record ignored", { "a@x.bad.test" }, 1,
	  { SIG("bad.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "PSL private section: sibling github.io sites", { "a@alice.github.io" }, 1,
	  { SIG("bob.github.io", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "PSL private section: the suffix itself", { "a@alice.github.io" }, 1,
	  { SIG("github.io", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "PSL private section: same site", { "a@www.alice.github.io" }, 1,
	  { SIG("alice.github.io", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "PSL ICANN: co.uk siblings", { "a@x.co.uk" }, 1,
	  { SIG("y.co.uk", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "PSL ICANN: co.uk subdomain", { "a@mail.shop.co.uk" }, 1,
	  { SIG("shop.co.uk", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "several signatures: the aligned pass is found", { "a@example.com" }, 1,
	  { SIG("other.net", P, 0), SIG("example.com", F, 0), SIG("example.com", P, 0) }, 3,
	  NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 2, 0, 0, "" },
	{ "several signatures: only failing ones align", { "a@example.com" }, 1,
	  { SIG("other.net", P, 0), SIG("example.com", F, 0) }, 2,
	  NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "strict prefers the exact signature", { "a@example.com" }, 1,
	  { SIG("mail.example.com", P, 0), SIG("example.com", P, 0) }, 2,
	  NULL, SPF_NONE, 1, ALIGN_PASS, ALIGN_FROM_OK, 1, 0, 0, "" },
	{ "l= partial pass does not align", { "a@example.com" }, 1,
	  { SIG("example.com", P, 1) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "SPF pass, relaxed", { "a@example.com" }, 1, { SIG("x", F, 0) }, 0,
	  "bounce.Example.com", SPF_PASS, 0, ALIGN_PASS, ALIGN_FROM_OK, -1, 1, 0, "" },
	{ "SPF pass, aspf=s record", { "a@spf.test" }, 1, { SIG("x", F, 0) }, 0,
	  "bounce.spf.test", SPF_PASS, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "_dmarc.spf.test" },
	{ "SPF softfail does not align", { "a@example.com" }, 1, { SIG("x", F, 0) }, 0,
	  "example.com", SPF_SOFTFAIL, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "planned downstream signing", { "a@planned.example" }, 1, { SIG("x", F, 0) }, 0,
	  NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, -1, 0, 1, "" },
	{ "planned: relaxed covers a subdomain", { "a@mail.planned.example" }, 1, { SIG("x", F, 0) }, 0,
	  NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, -1, 0, 1, "" },
	{ "planned: strict does not cover a subdomain", { "a@mail.planned.example" }, 1,
	  { SIG("x", F, 0) }, 0, NULL, SPF_NONE, 1, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "DMARC temperror, relaxed-only match", { "a@sub.temp.test" }, 1,
	  { SIG("temp.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_TEMPERROR, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "DMARC temperror, exact match passes", { "a@temp.test" }, 1,
	  { SIG("temp.test", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_PASS, ALIGN_FROM_OK, 0, 0, 0, "" },
	{ "DMARC temperror, nothing aligns", { "a@temp.test" }, 1,
	  { SIG("other.net", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_OK, -1, 0, 0, "" },
	{ "second From above the signed one", { "evil@attacker.example", "a@example.com" }, 2,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_MULTIPLE, -1, 0, 0, "" },
	{ "two addresses in one From", { "a@example.com, b@example.com" }, 1,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_ADDRESSES, -1, 0, 0, "" },
	{ "no From", { NULL }, 0, { SIG("example.com", P, 0) }, 1,
	  "example.com", SPF_PASS, 0, ALIGN_FAIL, ALIGN_FROM_NONE, -1, 0, 0, "" },
	{ "unparsable From", { "a at example.com" }, 1,
	  { SIG("example.com", P, 0) }, 1, NULL, SPF_NONE, 0, ALIGN_FAIL, ALIGN_FROM_UNPARSABLE, -1, 0, 0, "" },
};

/* test_case_table - every row of cases */
static void test_case_table(void **state)
{
	struct align_env env = { psl_adapter_org_domain, fake_query, fake_release, psl };
	const char *err = NULL;
	struct domainset *planned = domainset_new();

	(void)state;
	assert_int_equal(domainset_add(planned, "planned.example", &err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_row *c = &cases[i];
		struct align_input in = { c->from, c->n_from, c->spf, c->spf_domain, c->sigs,
					  c->n_sigs, planned, c->strict_default, c->strict_default,
					  ALIGN_ORG_PSL };
		struct align_outcome out = { 0 };

		print_message("case: %s\n", c->name);
		align_check(&env, &in, &out);
		assert_int_equal(out.from_status, c->want_from);
		assert_int_equal(out.result, c->want);
		assert_int_equal(out.dkim_aligned, c->want_dkim);
		assert_int_equal(out.spf_aligned, c->want_spf);
		assert_int_equal(out.planned, c->want_planned);
		assert_string_equal(buf_cstr(&out.dmarc_name), c->want_dmarc);
		assert_true(out.reason.len > 0);
		align_outcome_release(&out);
	}
	domainset_free(&planned);
}

/* test_org_fallback_policy - sp= of the org record applies to a subdomain */
static void test_org_fallback_policy(void **state)
{
	struct align_env env = { psl_adapter_org_domain, fake_query, fake_release, psl };
	const char *from[] = { "a@sub.example.org" };
	struct align_input in = { from, 1, SPF_NONE, NULL, NULL, 0, NULL, 0, 0, ALIGN_ORG_PSL };
	struct align_outcome out = { 0 };

	(void)state;
	align_check(&env, &in, &out);
	assert_true(out.dmarc.found);
	assert_int_equal(out.dmarc.p, ALIGN_P_REJECT);
	assert_int_equal(out.dmarc.adkim, ALIGN_STRICT);
	assert_int_equal(out.dmarc.aspf, ALIGN_RELAXED);
	assert_non_null(strstr(buf_cstr(&out.reason), "not aligned"));
	align_outcome_release(&out);
}

/* test_treewalk - the default method over the same fake zone: relaxed needs
 * a record above both names (RFC 9989), sp= applies below the org's record,
 * a SERVFAIL in the walk leaves relaxed alignment unknown */
static void test_treewalk(void **state)
{
	static const struct {
		const char *from, *d;
		enum align_result want;
		const char *want_record, *want_org;
	} rows[] = {
		/* the From domain's own record (adkim=r) applies; both names' org is
		 * relaxed.test, the shortest name with a record */
		{ "a@sub.relaxed.test", "relaxed.test", ALIGN_PASS, "_dmarc.sub.relaxed.test",
		  "relaxed.test" },
		/* no record anywhere: each name is its own org (the PSL would align) */
		{ "a@mail.example.com", "example.com", ALIGN_FAIL, "", "mail.example.com" },
		{ "a@x.example.org", "example.org", ALIGN_FAIL, "_dmarc.example.org", "example.org" },
		{ "a@x.temp.test", "temp.test", ALIGN_TEMPERROR, "", "" },
		{ "a@two.test", "two.test", ALIGN_PASS, "", "two.test" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct align_env env = { NULL, fake_query, fake_release, NULL };
		const char *from[] = { rows[i].from };
		struct mc_dkim_sig sigs[] = { SIG(rows[i].d, P, 0) };
		struct align_input in = { from, 1, SPF_NONE, NULL, sigs, 1, NULL, 0, 0,
					  ALIGN_ORG_TREEWALK };
		struct align_outcome out = { 0 };

		print_message("treewalk: %s d=%s\n", rows[i].from, rows[i].d);
		align_check(&env, &in, &out);
		assert_int_equal(out.result, rows[i].want);
		assert_string_equal(buf_cstr(&out.dmarc_name), rows[i].want_record);
		assert_string_equal(buf_cstr(&out.org_domain), rows[i].want_org);
		assert_string_equal(out.org_method, "treewalk");
		assert_true(out.queries <= 2 * ALIGN_WALK_MAX);
		align_outcome_release(&out);
	}
}

/* test_from_parse - the From grammar */
static void test_from_parse(void **state)
{
	static const struct {
		const char *v;
		enum align_from_status st;
		const char *domain;
	} rows[] = {
		{ "user@example.com", ALIGN_FROM_OK, "example.com" },
		{ " \"Doe, John\" <john@Mail.Example.COM>", ALIGN_FROM_OK, "mail.example.com" },
		{ "John (the (nested) boss) Doe <j@example.com> (trailing)", ALIGN_FROM_OK, "example.com" },
		{ "\r\n\tJohn Q. Public\r\n <jqp@example.net>", ALIGN_FROM_OK, "example.net" },
		{ "\"odd @ local\"@example.com", ALIGN_FROM_OK, "example.com" },
		{ "j@b\xc3\xbc" "cher.example", ALIGN_FROM_OK, "b\xc3\xbc" "cher.example" },
		{ "a@example.com, b@example.org", ALIGN_FROM_ADDRESSES, "" },
		{ "A <a@example.com>, ", ALIGN_FROM_ADDRESSES, "" },
		{ "undisclosed-recipients:;", ALIGN_FROM_UNPARSABLE, "" },
		{ "group: a@example.com;", ALIGN_FROM_UNPARSABLE, "" },
		{ "", ALIGN_FROM_UNPARSABLE, "" },
		{ "   ", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@", ALIGN_FROM_UNPARSABLE, "" },
		{ "@example.com", ALIGN_FROM_UNPARSABLE, "" },
		{ "<a@example.com", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@example.com>", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@[192.0.2.1]", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@example..com", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@example.com.", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@exa mple.com", ALIGN_FROM_UNPARSABLE, "" },
		{ "\"unterminated <a@example.com>", ALIGN_FROM_UNPARSABLE, "" },
		{ "(unterminated <a@example.com>", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@example.com\x01", ALIGN_FROM_UNPARSABLE, "" },
		{ "<@route.example:a@example.com>", ALIGN_FROM_UNPARSABLE, "" },
		{ "a@ex_ample.com", ALIGN_FROM_OK, "ex_ample.com" },
		{ "a@exa!mple.com", ALIGN_FROM_UNPARSABLE, "" },
		{ "Name <a@b.example> <c@d.example>", ALIGN_FROM_UNPARSABLE, "" },
	};
	struct buf d = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *v[] = { rows[i].v };

		print_message("from: %s\n", rows[i].v);
		assert_int_equal(align_from_parse(v, 1, &d), rows[i].st);
		assert_string_equal(buf_cstr(&d), rows[i].domain);
	}
	assert_int_equal(align_from_parse(NULL, 0, &d), ALIGN_FROM_NONE);
	buf_release(&d);
}

/* test_dmarc_parse - the record grammar */
static void test_dmarc_parse(void **state)
{
	static const struct {
		const char *rec;
		int ok;
		enum align_policy p;
		enum align_mode adkim, aspf;
		unsigned pct;
	} rows[] = {
		{ "v=DMARC1; p=reject", 1, ALIGN_P_REJECT, ALIGN_RELAXED, ALIGN_RELAXED, 100 },
		{ "v=DMARC1;p=none;adkim=s;aspf=s;pct=50;", 1, ALIGN_P_NONE, ALIGN_STRICT, ALIGN_STRICT, 50 },
		{ "v=DMARC1 ; p = Quarantine ; adkim = r ; fo=1; rf=afrf; x-unknown=1", 1,
		  ALIGN_P_QUARANTINE, ALIGN_RELAXED, ALIGN_RELAXED, 100 },
		{ "v=DMARC1; rua=mailto:dmarc@example.com", 1, ALIGN_P_NONE, ALIGN_RELAXED, ALIGN_RELAXED, 100 },
		{ "v=DMARC1; p=bogus; rua=mailto:d@example.com", 1, ALIGN_P_NONE, ALIGN_RELAXED, ALIGN_RELAXED, 100 },
		{ "v=DMARC1; p=bogus", 0, 0, 0, 0, 0 },
		{ "v=DMARC1", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; adkim=s", 0, 0, 0, 0, 0 },
		{ "p=reject; v=DMARC1", 0, 0, 0, 0, 0 },
		{ "v=dmarc1; p=reject", 0, 0, 0, 0, 0 },
		{ "v=DMARC10; p=reject", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; adkim=x", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; aspf=relaxed", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; pct=101", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; pct=", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; p=none", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; sp=maybe", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; junk", 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject\n", 0, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct align_dmarc d;
		const char *err = NULL;
		int r = align_dmarc_parse(rows[i].rec, strlen(rows[i].rec), &d, &err);

		print_message("dmarc: %s\n", rows[i].rec);
		if (!rows[i].ok) {
			assert_int_equal(r, -1);
			assert_non_null(err);
			continue;
		}
		assert_int_equal(r, 0);
		assert_true(d.found);
		assert_int_equal(d.p, rows[i].p);
		assert_int_equal(d.adkim, rows[i].adkim);
		assert_int_equal(d.aspf, rows[i].aspf);
		assert_int_equal(d.pct, rows[i].pct);
	}
}

/* test_no_dns - without a query function the defaults apply, no look-up */
static void test_no_dns(void **state)
{
	struct align_env env = { psl_adapter_org_domain, NULL, NULL, psl };
	const char *from[] = { "a@mail.strict.test" };
	struct mc_dkim_sig sigs[] = { SIG("strict.test", P, 0) };
	struct align_input in = { from, 1, SPF_NONE, NULL, sigs, 1, NULL, 0, 0, ALIGN_ORG_PSL };
	struct align_outcome out = { 0 };

	(void)state;
	queries = 0;
	align_check(&env, &in, &out);
	assert_int_equal(out.result, ALIGN_PASS);
	assert_false(out.dmarc.found);
	assert_int_equal(queries, 0);
	align_outcome_release(&out);
}

/* test_reason_safe - untrusted names reach the reason as printable ASCII */
static void test_reason_safe(void **state)
{
	struct align_env env = { psl_adapter_org_domain, NULL, NULL, psl };
	const char *from[] = { "a@b\xc3\xbc" "cher.example" };
	struct mc_dkim_sig sigs[] = { SIG("evil\r\nX-Injected: 1", P, 0) };
	struct align_input in = { from, 1, SPF_PASS, "x\ny.example", sigs, 1, NULL, 0, 0,
				  ALIGN_ORG_PSL };
	struct align_outcome out = { 0 };

	(void)state;
	align_check(&env, &in, &out);
	assert_int_equal(out.result, ALIGN_FAIL);
	for (size_t i = 0; i < out.reason.len; i++)
		assert_true(out.reason.data[i] >= 0x20 && out.reason.data[i] < 0x7f);
	assert_non_null(strstr(buf_cstr(&out.reason), "b??cher.example"));
	align_outcome_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_table),
		cmocka_unit_test(test_org_fallback_policy),
		cmocka_unit_test(test_treewalk),
		cmocka_unit_test(test_from_parse),
		cmocka_unit_test(test_dmarc_parse),
		cmocka_unit_test(test_no_dns),
		cmocka_unit_test(test_reason_safe),
	};

	return cmocka_run_group_tests(tests, setup_psl, teardown_psl);
}
