/* test_dns_answer - typed DNS answers from rdata, query-name encoding */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/dns/dns_int.h"

struct rdata_case {
	const char *what;
	enum dns_type type;
	const char *rdata;	/* one record */
	int len;
	enum dns_status want;
	const char *name;	/* MX/PTR: the expected name */
};

#define RD(s) s, (int)sizeof(s) - 1

static const struct rdata_case rdata_cases[] = {
	{ "A", DNS_T_A, RD("\xc0\x00\x02\x01"), DNS_OK, NULL },
	{ "A short", DNS_T_A, RD("\xc0\x00\x02"), DNS_SERVFAIL, NULL },
	{ "A long", DNS_T_A, RD("\xc0\x00\x02\x01\x00"), DNS_SERVFAIL, NULL },
	{ "AAAA 4 octets", DNS_T_AAAA, RD("\xc0\x00\x02\x01"), DNS_SERVFAIL, NULL },
	{ "TXT overrun", DNS_T_TXT, RD("\x05" "abc"), DNS_SERVFAIL, NULL },
	{ "TXT second overruns", DNS_T_TXT, RD("\x01" "a" "\x02" "b"), DNS_SERVFAIL, NULL },
	{ "TXT empty rdata", DNS_T_TXT, RD(""), DNS_OK, NULL },
	{ "SPF like TXT", DNS_T_SPF, RD("\x06v=spf1"), DNS_OK, NULL },
	{ "MX", DNS_T_MX, RD("\x00\x0a\x04Mail\x07" "Example\x03" "COM\x00"), DNS_OK,
	  "mail.example.com" },
	{ "MX null (RFC 7505)", DNS_T_MX, RD("\x00\x00\x00"), DNS_OK, "" },
	{ "MX no name", DNS_T_MX, RD("\x00\x0a"), DNS_SERVFAIL, NULL },
	{ "MX compression pointer", DNS_T_MX, RD("\x00\x0a\xc0\x0c"), DNS_SERVFAIL, NULL },
	{ "MX label overruns", DNS_T_MX, RD("\x00\x0a\x09" "abc\x00"), DNS_SERVFAIL, NULL },
	{ "MX no root label", DNS_T_MX, RD("\x00\x0a\x03" "abc"), DNS_SERVFAIL, NULL },
	{ "MX trailing octets", DNS_T_MX, RD("\x00\x0a\x01" "a\x00" "x"), DNS_SERVFAIL, NULL },
	{ "PTR", DNS_T_PTR, RD("\x04HOST\x02rw\x00"), DNS_OK, "host.rw" },
	{ "PTR dot in label", DNS_T_PTR, RD("\x03" "a.b\x00"), DNS_SERVFAIL, NULL },
	{ "PTR NUL in label", DNS_T_PTR, RD("\x03" "a\x00" "b\x00"), DNS_SERVFAIL, NULL },
	{ "PTR label 64", DNS_T_PTR, RD("\x40"), DNS_SERVFAIL, NULL },
	{ "PTR empty rdata", DNS_T_PTR, RD(""), DNS_SERVFAIL, NULL },
};

/* test_rdata_table - every case gives its status (and name) */
static void test_rdata_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rdata_cases) / sizeof(rdata_cases[0]); i++) {
		const struct rdata_case *c = &rdata_cases[i];
		char *data[1] = { (char *)c->rdata };
		struct dns_answer *a = dns_answer_parse(c->type, data, &c->len, 1);

		print_message("%s\n", c->what);
		assert_int_equal(a->status, c->want);
		assert_int_equal(a->n, c->want == DNS_OK ? 1 : 0);
		if (c->name != NULL && c->type == DNS_T_MX)
			assert_string_equal(a->mx[0].name, c->name);
		if (c->name != NULL && c->type == DNS_T_PTR)
			assert_string_equal(a->name[0], c->name);
		dns_answer_free(&a);
		assert_null(a);
	}
}

/* test_txt_strings - strings kept as bytes with lengths, NUL is data */
static void test_txt_strings(void **state)
{
	static const char r0[] = "\x07v=spf1 \x09" "a\x00" "b -all\x00\x00";
	static const char r1[] = "\x03xyz";
	char *data[2] = { (char *)r0, (char *)r1 };
	int len[2] = { sizeof(r0) - 1, sizeof(r1) - 1 };
	struct dns_answer *a = dns_answer_parse(DNS_T_TXT, data, len, 2);

	(void)state;
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->txt[0].n, 3);
	assert_int_equal(a->txt[0].s[0].len, 7);
	assert_memory_equal(a->txt[0].s[0].data, "v=spf1 ", 7);
	assert_int_equal(a->txt[0].s[1].len, 9);
	assert_memory_equal(a->txt[0].s[1].data, "a\0b -all\0", 10);	/* + our NUL */
	assert_int_equal(a->txt[0].s[2].len, 0);
	assert_int_equal(a->txt[1].n, 1);
	assert_memory_equal(a->txt[1].s[0].data, "xyz", 4);	/* NUL-terminated */
	dns_answer_free(&a);
}

/* test_a_aaaa_mx - several records, in order */
static void test_a_aaaa_mx(void **state)
{
	char *v4[2] = { "\xc0\x00\x02\x01", "\xc0\x00\x02\x02" };
	char *v6[1] = { "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" };
	char *mx[2] = { "\x00\x14\x02mx\x00", "\xff\xff\x01" "b\x00" };
	int l4[2] = { 4, 4 }, l6[1] = { 16 }, lmx[2] = { 6, 5 };
	struct dns_answer *a = dns_answer_parse(DNS_T_A, v4, l4, 2);

	(void)state;
	assert_int_equal(a->ip[1].family, 4);
	assert_memory_equal(a->ip[1].b, "\xc0\x00\x02\x02", 4);
	dns_answer_free(&a);
	a = dns_answer_parse(DNS_T_AAAA, v6, l6, 1);
	assert_int_equal(a->ip[0].family, 6);
	assert_int_equal(a->ip[0].b[15], 1);
	dns_answer_free(&a);
	a = dns_answer_parse(DNS_T_MX, mx, lmx, 2);
	assert_int_equal(a->mx[0].pref, 20);
	assert_string_equal(a->mx[0].name, "mx");
	assert_int_equal(a->mx[1].pref, 65535);
	assert_string_equal(a->mx[1].name, "b");
	dns_answer_free(&a);
	a = dns_answer_parse(DNS_T_A, v4, l4, 0);
	assert_int_equal(a->status, DNS_NODATA);
	dns_answer_free(&a);
}

/* test_name_limits - 63-octet labels and 255-octet names */
static void test_name_limits(void **state)
{
	unsigned char rd[300];
	char *data[1] = { (char *)rd };
	struct dns_answer *a;
	int len, i;

	(void)state;
	/* 3 x 63 + 1 x 61: 4 * 64 - 2 + 1 root = 255 octets, the most allowed */
	for (len = 0, i = 0; i < 4; i++) {
		int l = i < 3 ? 63 : 61;

		rd[len++] = (unsigned char)l;
		memset(rd + len, 'x', (size_t)l);
		len += l;
	}
	rd[len++] = 0;
	a = dns_answer_parse(DNS_T_PTR, data, &len, 1);
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(strlen(a->name[0]), 253);
	dns_answer_free(&a);
	rd[3 * 64] = 62;	/* one octet more: 256 */
	rd[254] = 'x';
	rd[255] = 0;
	len = 256;
	a = dns_answer_parse(DNS_T_PTR, data, &len, 1);
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
}

struct qname_case {
	const char *in;
	const char *out;	/* NULL: refused */
};

static const struct qname_case qname_cases[] = {
	{ "example.com", "example.com." },
	{ "Example.COM.", "Example.COM." },
	{ "_spf.a-b.example", "_spf.a-b.example." },
	{ "a b.example", "a\\032b.example." },
	{ "x\\y.example", "x\\092y.example." },
	{ "caf\xc3\xa9.example", "caf\\195\\169.example." },
	{ "a..b", NULL },
	{ ".a", NULL },
	{ "", NULL },
	{ ".", NULL },
	{ "a.b..", NULL },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example", NULL },
};

/* test_query_names - names escaped for libunbound, impossible ones refused */
static void test_query_names(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(qname_cases) / sizeof(qname_cases[0]); i++) {
		int rc = dns_name_to_query(qname_cases[i].in, &out);

		print_message("%s\n", qname_cases[i].in);
		if (qname_cases[i].out == NULL) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(buf_cstr(&out), qname_cases[i].out);
		}
	}
	buf_release(&out);
}

/* test_long_query_name - 253 characters pass, 254 do not */
static void test_long_query_name(void **state)
{
	char name[300];
	struct buf out = BUF_INIT;

	(void)state;
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_int_equal(dns_name_to_query(name, &out), 0);
	name[253] = 'a';
	name[254] = '\0';
	assert_int_equal(dns_name_to_query(name, &out), -1);
	buf_release(&out);
}

/* test_status_names - the names logs and audit records use */
static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(dns_status_name(DNS_OK), "ok");
	assert_string_equal(dns_status_name(DNS_NODATA), "nodata");
	assert_string_equal(dns_status_name(DNS_NXDOMAIN), "nxdomain");
	assert_string_equal(dns_status_name(DNS_SERVFAIL), "servfail");
	assert_string_equal(dns_status_name(DNS_TIMEOUT), "timeout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rdata_table),
		cmocka_unit_test(test_txt_strings),
		cmocka_unit_test(test_a_aaaa_mx),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_query_names),
		cmocka_unit_test(test_long_query_name),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
