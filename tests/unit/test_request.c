/* test_request - Postfix policy attributes onto struct rw_txn */
#include "autoconfig.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/engine/proto.h"
#include "core/engine/request.h"
#include "core/engine/txn.h"

/* Each string attribute and the txn field it must land in, written out here
 * independently of core/engine/request.c's own table. */
static const struct {
	const char *attr;
	size_t offset;
} string_map[] = {
	{ "instance", offsetof(struct rw_txn, instance) },
	{ "queue_id", offsetof(struct rw_txn, queue_id) },
	{ "client_address", offsetof(struct rw_txn, client_address) },
	{ "client_name", offsetof(struct rw_txn, client_name) },
	{ "reverse_client_name", offsetof(struct rw_txn, reverse_client_name) },
	{ "helo_name", offsetof(struct rw_txn, helo_name) },
	{ "policy_context", offsetof(struct rw_txn, listener) },
	{ "encryption_protocol", offsetof(struct rw_txn, tls_protocol) },
	{ "encryption_cipher", offsetof(struct rw_txn, tls_cipher) },
	{ "ccert_fingerprint", offsetof(struct rw_txn, cert_fingerprint) },
	{ "ccert_pubkey_fingerprint", offsetof(struct rw_txn, cert_pubkey_fingerprint) },
	{ "ccert_subject", offsetof(struct rw_txn, cert_subject) },
	{ "ccert_issuer", offsetof(struct rw_txn, cert_issuer) },
	{ "sasl_method", offsetof(struct rw_txn, sasl_method) },
	{ "sasl_username", offsetof(struct rw_txn, sasl_username) },
	{ "sasl_sender", offsetof(struct rw_txn, sasl_sender) },
	{ "sender", offsetof(struct rw_txn, sender) },
	{ "recipient", offsetof(struct rw_txn, recipient) },
};
#define NSTRINGS (sizeof(string_map) / sizeof(string_map[0]))

/* field - the const char * at offset in t */
static const char *field(const struct rw_txn *t, size_t offset)
{
	return *(const char *const *)((const char *)t + offset);
}

/* parse - feed text (a whole request) into a fresh parser */
static struct proto_parser *parse(const char *text)
{
	struct proto_parser *p = proto_new(NULL);
	const char *err = NULL;
	size_t used;

	assert_int_equal(proto_feed(p, text, strlen(text), &used, &err), PROTO_REQUEST);
	assert_int_equal(used, strlen(text));
	return p;
}

/* decoded strings of the current test; released by the group teardown */
static struct strvec store = STRVEC_INIT;

/* to_txn - request_to_txn over a txn filled with garbage first */
static void to_txn(const struct proto_parser *p, struct rw_txn *t)
{
	memset(t, 0xa5, sizeof(*t));
	request_to_txn(p, t, &store);
}

/* release_store - group teardown */
static int release_store(void **state)
{
	(void)state;
	strvec_release(&store);
	return 0;
}

/* test_xtext - ccert_subject/ccert_issuer arrive xtext-encoded (RFC 3461) */
static void test_xtext(void **state)
{
	static const struct {
		const char *in, *subject;
	} cases[] = {
		{ "mx.partner.test", "mx.partner.test" },
		{ "relaywarden+20e2e+20test+20CA", "relaywarden e2e test CA" },
		{ "a+2Bb+3Dc", "a+b=c" },
		{ "lower+2b", "lower+" },
		{ "trailing+2", "trailing+2" },		/* malformed: kept as given */
		{ "bad+ZZhex", "bad+ZZhex" },
		{ "nul+00byte", "nul+00byte" },		/* would truncate: kept */
		{ "evil+0Aline", "evil+0Aline" },	/* a control character: kept */
		{ "+C3+A9t+C3+A9", "\xc3\xa9t\xc3\xa9" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf req = BUF_INIT;
		struct proto_parser *p;
		struct rw_txn t;

		buf_printf(&req, "ccert_subject=%s\nccert_issuer=%s\n\n", cases[i].in, cases[i].in);
		p = parse(buf_cstr(&req));
		to_txn(p, &t);
		assert_string_equal(t.cert_subject, cases[i].subject);
		assert_string_equal(t.cert_issuer, cases[i].subject);
		assert_true(t.cert_verified);
		proto_free(&p);
		buf_release(&req);
	}
}

/* test_each_string - every string attribute alone lands in its field only */
static void test_each_string(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSTRINGS; i++) {
		struct buf req = BUF_INIT;
		struct proto_parser *p;
		struct rw_txn t;

		buf_printf(&req, "%s=value-of-%s\nunknown_attr=x\n\n", string_map[i].attr,
			   string_map[i].attr);
		p = parse(buf_cstr(&req));
		to_txn(p, &t);
		for (size_t j = 0; j < NSTRINGS; j++) {
			const char *v = field(&t, string_map[j].offset);

			if (j != i) {
				assert_null(v);
				continue;
			}
			assert_non_null(v);
			assert_string_equal(v + strlen("value-of-"), string_map[i].attr);
			/* borrowed from the parser, not copied */
			assert_ptr_equal(v, proto_get(p, string_map[i].attr));
		}
		assert_int_equal(t.stage, STAGE_UNKNOWN);
		assert_int_equal(t.server_port, 0);
		assert_int_equal(t.recipient_count, 0);
		assert_int_equal(t.size, 0);
		proto_free(&p);
		buf_release(&req);
	}
}

/* test_full_request - a real Postfix RCPT request, every field */
static void test_full_request(void **state)
{
	struct proto_parser *p = parse(
		"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
		"helo_name=client.example.net\nqueue_id=8045F2AB23\n"
		"sender=alice@example.test\nrecipient=bob@example.org\nrecipient_count=2\n"
		"client_address=192.0.2.10\nclient_name=client.example.net\n"
		"reverse_client_name=rev.example.net\ninstance=123.456.7\n"
		"sasl_method=plain\nsasl_username=alice\nsasl_sender=owner@example.test\n"
		"size=12345\nccert_subject=mx.partner.test\nccert_issuer=Partner CA\n"
		"ccert_fingerprint=AA:BB\nccert_pubkey_fingerprint=CC:DD\n"
		"encryption_protocol=TLSv1.3\nencryption_cipher=TLS_AES_256_GCM_SHA384\n"
		"policy_context=submission\nserver_port=587\nmail_version=3.8.0\n\n");
	struct rw_txn t;

	(void)state;
	to_txn(p, &t);
	assert_int_equal(t.stage, STAGE_RCPT);
	assert_string_equal(t.instance, "123.456.7");
	assert_string_equal(t.queue_id, "8045F2AB23");
	assert_string_equal(t.client_address, "192.0.2.10");
	assert_string_equal(t.client_name, "client.example.net");
	assert_string_equal(t.reverse_client_name, "rev.example.net");
	assert_string_equal(t.helo_name, "client.example.net");
	assert_string_equal(t.listener, "submission");
	assert_int_equal(t.server_port, 587);
	assert_string_equal(t.tls_protocol, "TLSv1.3");
	assert_string_equal(t.tls_cipher, "TLS_AES_256_GCM_SHA384");
	assert_string_equal(t.cert_fingerprint, "AA:BB");
	assert_string_equal(t.cert_pubkey_fingerprint, "CC:DD");
	assert_string_equal(t.cert_subject, "mx.partner.test");
	assert_string_equal(t.cert_issuer, "Partner CA");
	assert_int_equal(t.cert_verified, 1);
	assert_string_equal(t.sasl_method, "plain");
	assert_string_equal(t.sasl_username, "alice");
	assert_string_equal(t.sasl_sender, "owner@example.test");
	assert_string_equal(t.sender, "alice@example.test");
	assert_string_equal(t.recipient, "bob@example.org");
	assert_int_equal(t.recipient_count, 2);
	assert_int_equal(t.size, 12345);
	proto_free(&p);
}

/* test_stages - every protocol_state Postfix sends */
static void test_stages(void **state)
{
	static const struct {
		const char *name;
		enum rw_stage st;
	} st[] = {
		{ "CONNECT", STAGE_CONNECT }, { "EHLO", STAGE_EHLO }, { "HELO", STAGE_HELO },
		{ "MAIL", STAGE_MAIL }, { "RCPT", STAGE_RCPT }, { "DATA", STAGE_DATA },
		{ "END-OF-MESSAGE", STAGE_EOM }, { "VRFY", STAGE_VRFY }, { "ETRN", STAGE_ETRN },
		{ "rcpt", STAGE_UNKNOWN }, { "", STAGE_UNKNOWN }, { "BDAT", STAGE_UNKNOWN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct buf req = BUF_INIT;
		struct proto_parser *p;
		struct rw_txn t;

		buf_printf(&req, "protocol_state=%s\n\n", st[i].name);
		p = parse(buf_cstr(&req));
		to_txn(p, &t);
		if (t.stage != st[i].st)
			fail_msg("protocol_state=%s: stage %d, want %d", st[i].name,
				 (int)t.stage, (int)st[i].st);
		proto_free(&p);
		buf_release(&req);
	}
}

/* test_cert_verified - set by a non-empty ccert_subject only */
static void test_cert_verified(void **state)
{
	static const struct {
		const char *req;
		int verified;
	} cv[] = {
		{ "ccert_subject=mx.partner.test\n\n", 1 },
		{ "ccert_subject=x\nccert_issuer=\n\n", 1 },
		{ "ccert_subject=\n\n", 0 },
		{ "ccert_issuer=Some CA\nccert_fingerprint=AA:BB\n\n", 0 },
		{ "ccert_pubkey_fingerprint=AA:BB\n\n", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cv) / sizeof(cv[0]); i++) {
		struct proto_parser *p = parse(cv[i].req);
		struct rw_txn t;

		to_txn(p, &t);
		assert_int_equal(t.cert_verified, cv[i].verified);
		proto_free(&p);
	}
}

/* number cases: text, expected value for size/recipient_count, for server_port */
static const struct {
	const char *text;
	unsigned long ulong_value;
	unsigned port_value;
} numbers[] = {
	{ "0", 0, 0 },
	{ "1", 1, 1 },
	{ "25", 25, 25 },
	{ "0025", 25, 25 },
	{ "65535", 65535, 65535 },
	{ "65536", 65536, 0 },
	{ "4294967295", 4294967295ul, 0 },
	{ "", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "12a", 0, 0 },
	{ "1:", 0, 0 },		/* the bytes either side of the digits */
	{ "/1", 0, 0 },
	{ "0x10", 0, 0 },
	{ "1.5", 0, 0 },
	{ "1e3", 0, 0 },
	{ "99999999999999999999999999", 0, 0 },
#if ULONG_MAX == 18446744073709551615ul
	{ "18446744073709551615", 18446744073709551615ul, 0 },
	{ "18446744073709551616", 0, 0 },
	{ "18446744073709551620", 0, 0 },
	{ "000000000000000000000018446744073709551615", 18446744073709551615ul, 0 },
#endif
};

/* test_numbers - strict digits, overflow and junk give 0 */
static void test_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		struct buf req = BUF_INIT;
		struct proto_parser *p;
		struct rw_txn t;
		const char *s = numbers[i].text;

		buf_printf(&req, "size=%s\nrecipient_count=%s\nserver_port=%s\n\n", s, s, s);
		p = parse(buf_cstr(&req));
		to_txn(p, &t);
		if (t.size != numbers[i].ulong_value ||
		    t.recipient_count != numbers[i].ulong_value ||
		    t.server_port != numbers[i].port_value)
			fail_msg("'%s': size %lu count %lu port %u", s, t.size,
				 t.recipient_count, t.server_port);
		proto_free(&p);
		buf_release(&req);
	}
}

/* test_missing - a request with no known attribute gives a zeroed txn */
static void test_missing(void **state)
{
	struct proto_parser *p = parse("request=smtpd_access_policy\nstress=\n\n");
	struct rw_txn t;

	(void)state;
	to_txn(p, &t);
	for (size_t i = 0; i < NSTRINGS; i++)
		assert_null(field(&t, string_map[i].offset));
	assert_int_equal(t.stage, STAGE_UNKNOWN);
	assert_int_equal(t.cert_verified, 0);
	assert_int_equal(t.server_port, 0);
	assert_int_equal(t.recipient_count, 0);
	assert_int_equal(t.size, 0);
	proto_free(&p);
}

/* test_empty_values - "" is kept as "" (the null sender), not NULL */
static void test_empty_values(void **state)
{
	struct proto_parser *p = parse("sender=\nsasl_username=\nrecipient=a@b\n\n");
	struct rw_txn t;

	(void)state;
	to_txn(p, &t);
	assert_non_null(t.sender);
	assert_string_equal(t.sender, "");
	assert_non_null(t.sasl_username);
	assert_string_equal(t.sasl_username, "");
	assert_false(txn_has(t.sasl_username));
	assert_string_equal(t.recipient, "a@b");
	proto_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_string),
		cmocka_unit_test(test_full_request),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_cert_verified),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_xtext),
	};

	return cmocka_run_group_tests(tests, NULL, release_store);
}
