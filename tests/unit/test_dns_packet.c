/* test_dns_packet - typed records from whole DNS messages (core/dns/dns_packet.c) */
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

/* the answer libunbound hands over for the RFC 7208 suite's null-text zone */
static const unsigned char null_text[] = {
	0x00, 0x00, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x04, 0x6e,
	0x75, 0x6c, 0x6c, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f,
	0x6d, 0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00,
	0x01, 0x2c, 0x00, 0x00, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
	0x00, 0x1b, 0x0b, 0x76, 0x3d, 0x73, 0x70, 0x66, 0x31, 0x20, 0x69, 0x70, 0x34, 0x3a,
	0x0e, 0x31, 0x39, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0x2e, 0x35, 0x20, 0x2d, 0x61, 0x6c,
	0x6c, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
};

/* put16 - a big-endian 16-bit value */
static void put16(struct buf *b, unsigned v)
{
	buf_putc(b, (int)(v >> 8 & 0xff));
	buf_putc(b, (int)(v & 0xff));
}

/* putname - "a.b" as uncompressed labels and the root */
static void putname(struct buf *b, const char *name)
{
	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		buf_putc(b, (int)l);
		buf_append(b, name, l);
		name += l + (name[l] == '.');
	}
	buf_putc(b, 0);
}

/* header - flags, one question (name, type, IN) and an answer count */
static void header(struct buf *b, unsigned flags, const char *qname, unsigned qtype,
		   unsigned an)
{
	buf_truncate(b, 0);
	put16(b, 0x1234);
	put16(b, flags);
	put16(b, 1);
	put16(b, an);
	put16(b, 0);
	put16(b, 0);
	putname(b, qname);
	put16(b, qtype);
	put16(b, 1);
}

/* rr - one record: owner as raw octets (a name or a pointer), type, class, rdata */
static void rr(struct buf *b, const char *owner, size_t olen, unsigned type, unsigned class,
	       const char *rdata, size_t rdlen)
{
	buf_append(b, owner, olen);
	put16(b, type);
	put16(b, class);
	put16(b, 0);
	put16(b, 300);
	put16(b, (unsigned)rdlen);
	buf_append(b, rdata, rdlen);
}

#define PTR12 "\xc0\x0c", 2		/* the question's name */
#define S(s) s, sizeof(s) - 1

/* parse - dns_packet_answer over b */
static struct dns_answer *parse(enum dns_type type, const char *name, const struct buf *b)
{
	return dns_packet_answer(type, name, (const unsigned char *)b->data, b->len);
}

/* test_null_text - the suite's zone: a record of no strings and a glued one */
static void test_null_text(void **state)
{
	struct dns_answer *a = dns_packet_answer(DNS_T_TXT, "Null.Example.com.", null_text,
						 sizeof(null_text));

	(void)state;
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->txt[0].n, 0);
	assert_int_equal(a->txt[1].n, 2);
	assert_memory_equal(a->txt[1].s[0].data, "v=spf1 ip4:", 12);
	assert_memory_equal(a->txt[1].s[1].data, "192.0.2.5 -all", 15);
	dns_answer_free(&a);
	a = dns_packet_answer(DNS_T_SPF, "null.example.com", null_text, sizeof(null_text));
	assert_int_equal(a->status, DNS_SERVFAIL);	/* the question was TXT */
	dns_answer_free(&a);
	a = dns_packet_answer(DNS_T_TXT, "nul.example.com", null_text, sizeof(null_text));
	assert_int_equal(a->status, DNS_SERVFAIL);	/* not the name asked */
	dns_answer_free(&a);
	for (size_t len = 0; len < 85; len++) {		/* cut inside the answer section */
		a = dns_packet_answer(DNS_T_TXT, NULL, null_text, len);
		assert_int_equal(a->status, DNS_SERVFAIL);
		dns_answer_free(&a);
	}
}

struct hdr_case {
	const char *what;
	unsigned flags, qtype, an;
	enum dns_status want;
};

static const struct hdr_case hdr_cases[] = {
	{ "NOERROR, no answers", 0x8180, DNS_T_A, 0, DNS_NODATA },
	{ "SERVFAIL", 0x8182, DNS_T_A, 0, DNS_SERVFAIL },
	{ "NXDOMAIN", 0x8183, DNS_T_A, 0, DNS_NXDOMAIN },
	{ "REFUSED", 0x8185, DNS_T_A, 0, DNS_SERVFAIL },
	{ "a query, not a response", 0x0100, DNS_T_A, 0, DNS_SERVFAIL },
	{ "opcode STATUS", 0x9180, DNS_T_A, 0, DNS_SERVFAIL },
	{ "other question type", 0x8180, DNS_T_MX, 0, DNS_SERVFAIL },
	{ "answer count past the end", 0x8180, DNS_T_A, 1, DNS_SERVFAIL },
};

/* test_header_table - flags, rcode and question decide before any record */
static void test_header_table(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct dns_answer *a;

		print_message("%s\n", c->what);
		header(&b, c->flags, "a.rw.example", c->qtype, c->an);
		a = parse(DNS_T_A, "a.rw.example", &b);
		assert_int_equal(a->status, c->want);
		assert_int_equal(a->n, 0);
		dns_answer_free(&a);
	}
	buf_release(&b);
}

struct rr_case {
	const char *what;
	const char *owner;
	size_t olen;
	unsigned type, class;
	const char *rdata;
	size_t rdlen;
	enum dns_status want;
};

static const struct rr_case rr_cases[] = {
	{ "A, owner compressed", PTR12, DNS_T_A, 1, S("\xc0\x00\x02\x01"), DNS_OK },
	{ "A, owner in full", S("\x01" "a\x02rw\x07" "example\x00"), DNS_T_A, 1,
	  S("\xc0\x00\x02\x01"), DNS_OK },
	{ "A, owner upper case", S("\x01" "A\x02RW\x07" "example\x00"), DNS_T_A, 1,
	  S("\xc0\x00\x02\x01"), DNS_OK },
	{ "A of another name", S("\x01" "b\x02rw\x07" "example\x00"), DNS_T_A, 1,
	  S("\xc0\x00\x02\x01"), DNS_NODATA },
	{ "A of class CH", PTR12, DNS_T_A, 3, S("\xc0\x00\x02\x01"), DNS_NODATA },
	{ "A of 3 octets", PTR12, DNS_T_A, 1, S("\xc0\x00\x02"), DNS_SERVFAIL },
	{ "pointer to itself", "\xc0\x1e", 2, DNS_T_A, 1, S("\xc0\x00\x02\x01"), DNS_SERVFAIL },
	{ "pointer forward", "\xc0\x40", 2, DNS_T_A, 1, S("\xc0\x00\x02\x01"), DNS_SERVFAIL },
	{ "pointer past the end", "\xff\xff", 2, DNS_T_A, 1, S("\xc0\x00\x02\x01"),
	  DNS_SERVFAIL },
	{ "extended label type", "\x41" "a\x00", 3, DNS_T_A, 1, S("\xc0\x00\x02\x01"),
	  DNS_SERVFAIL },
	{ "label 0x80", "\x80\x00", 2, DNS_T_A, 1, S("\xc0\x00\x02\x01"), DNS_SERVFAIL },
};

/* test_rr_table - one answer record after an A question for a.rw.example */
static void test_rr_table(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(rr_cases) / sizeof(rr_cases[0]); i++) {
		const struct rr_case *c = &rr_cases[i];
		struct dns_answer *a;

		print_message("%s\n", c->what);
		header(&b, 0x8180, "a.rw.example", DNS_T_A, 1);
		rr(&b, c->owner, c->olen, c->type, c->class, c->rdata, c->rdlen);
		a = parse(DNS_T_A, "a.rw.example", &b);
		assert_int_equal(a->status, c->want);
		assert_int_equal(a->n, c->want == DNS_OK ? 1 : 0);
		dns_answer_free(&a);
	}
	buf_release(&b);
}

/* test_cname_chain - records at the end of the chain; the rest ignored */
static void test_cname_chain(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_answer *a;

	(void)state;
	header(&b, 0x8180, "alias.rw.example", DNS_T_A, 3);
	/* alias CNAME b.rw.example (compressed: "b" + pointer to "rw.example" at 18) */
	rr(&b, PTR12, 5, 1, S("\x01" "b\xc0\x12"));
	rr(&b, S("\x01" "c\xc0\x12"), DNS_T_A, 1, S("\xc0\x00\x02\x09"));
	rr(&b, S("\x01" "B\xc0\x12"), DNS_T_A, 1, S("\xc0\x00\x02\x02"));
	a = parse(DNS_T_A, "alias.rw.example", &b);
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->ip[0].b[3], 2);
	dns_answer_free(&a);
	/* a loop: alias CNAME alias */
	header(&b, 0x8180, "alias.rw.example", DNS_T_A, 1);
	rr(&b, PTR12, 5, 1, PTR12);
	a = parse(DNS_T_A, "alias.rw.example", &b);
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
	buf_release(&b);
}

/* test_names_in_rdata - MX and PTR names uncompressed; a name must fill the rdata */
static void test_names_in_rdata(void **state)
{
	struct buf b = BUF_INIT;
	struct dns_answer *a;

	(void)state;
	header(&b, 0x8180, "mx.rw.example", DNS_T_MX, 2);
	rr(&b, PTR12, DNS_T_MX, 1, S("\x00\x0a\x04Mail\xc0\x0f"));
	rr(&b, PTR12, DNS_T_MX, 1, S("\x00\x14\xc0\x0c"));
	a = parse(DNS_T_MX, "mx.rw.example", &b);
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->mx[0].pref, 10);
	assert_string_equal(a->mx[0].name, "mail.rw.example");
	assert_string_equal(a->mx[1].name, "mx.rw.example");
	dns_answer_free(&a);
	header(&b, 0x8180, "mx.rw.example", DNS_T_MX, 1);
	rr(&b, PTR12, DNS_T_MX, 1, S("\x00\x0a\xc0\x0c\x00"));	/* an octet after the name */
	a = parse(DNS_T_MX, "mx.rw.example", &b);
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
	header(&b, 0x8180, "1.2.0.192.in-addr.arpa", DNS_T_PTR, 1);
	rr(&b, PTR12, DNS_T_PTR, 1, S("\x04HOST\xc0\x0e"));
	a = parse(DNS_T_PTR, "1.2.0.192.in-addr.arpa", &b);
	assert_int_equal(a->status, DNS_OK);
	assert_string_equal(a->name[0], "host.2.0.192.in-addr.arpa");
	dns_answer_free(&a);
	buf_release(&b);
}

/* test_bad_input - no message, a short one, an impossible name asked */
static void test_bad_input(void **state)
{
	struct dns_answer *a = dns_packet_answer(DNS_T_A, "a.example", NULL, 0);

	(void)state;
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
	a = dns_packet_answer(DNS_T_A, "a.example", (const unsigned char *)"\x81\x80", 2);
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
	a = dns_packet_answer(DNS_T_TXT, "a..example", null_text, sizeof(null_text));
	assert_int_equal(a->status, DNS_SERVFAIL);
	dns_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_header_table),
		cmocka_unit_test(test_rr_table),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_names_in_rdata),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
