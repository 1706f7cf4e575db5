/* test_limit_store - key derivation, limits.lua marshalling and strict reply parsing */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "core/util/buf.h"
#include "core/limits/limit_keys.h"
#include "core/limits/limit_store.h"
#include "core/limits/limits.h"
#include "core/util/strvec.h"

#define ALICE_HASH "2bd806c97f0e00af1a1fc3328fa763a9"

static struct rw_limit rate_limit = {
	.name = (char *)"user-rate", .kind = LIMIT_RATE, .charge = CHARGE_SASL_USER,
	.mode = MODE_ENFORCE, .on_failure = FAIL_TEMPFAIL, .unit = UNIT_RECIPIENTS,
};
static struct rw_limit quota_limit = {
	.name = (char *)"daily", .kind = LIMIT_QUOTA, .charge = CHARGE_CUSTOMER,
	.mode = MODE_SHADOW, .on_failure = FAIL_ACCEPT, .window = WINDOW_DAY,
};

/* two_checks - a rate check for alice and a bytes quota of customer acme */
static void two_checks(struct limit_check v[2])
{
	memset(v, 0, 2 * sizeof(*v));
	v[0].limit = &rate_limit;
	v[0].customer = (char *)"acme";
	v[0].dimension = "sasl_user";
	v[0].identity = (char *)"alice";
	v[0].unit = UNIT_RECIPIENTS;
	v[0].cost = 3;
	v[0].emission_us = 36000000;
	v[0].tolerance_us = 720000000;
	v[1].limit = &quota_limit;
	v[1].customer = (char *)"acme";
	v[1].dimension = "customer";
	v[1].identity = (char *)"acme";
	v[1].unit = UNIT_BYTES;
	v[1].cost = 5000;
	v[1].cap = 1000000;
	v[1].window_end = 1790000000;
	strcpy(v[1].window_id, "2026-09-21");
}

/* test_id_hash - first 32 hex of SHA-256 */
static void test_id_hash(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "alice", ALICE_HASH },
		{ "10.0.0.0/24", "a34d80f7b68bf2b583681f727bae85f5" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb924" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		limit_keys_id_hash(t[i].in, &b);
		assert_string_equal(buf_cstr(&b), t[i].out);
		buf_release(&b);
	}
}

/* test_tokens - safe tokens verbatim, anything else hashed behind "~" */
static void test_tokens(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "acme", "acme" },
		{ "cust-42_x.y@z+=", "cust-42_x.y@z+=" },
		{ "a}b", "~538c54fe17b56e2f2b4753732e0de804" },
		{ "", "~e3b0c44298fc1c149afbf4c8996fb924" },
		{ "has space", NULL },
		{ "col:on", NULL },
		{ "{x}", NULL },
		{ "0123456789012345678901234567890123456789012345678901234567890123",
		  "0123456789012345678901234567890123456789012345678901234567890123" },
		{ "01234567890123456789012345678901234567890123456789012345678901234", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		limit_keys_token(t[i].in, &b);
		if (t[i].out)
			assert_string_equal(buf_cstr(&b), t[i].out);
		else
			assert_true(b.len == 33 && b.data[0] == '~');
		buf_release(&b);
	}
}

/* test_keys - every key family, and one hash tag per customer */
static void test_keys(void **state)
{
	struct limit_check v[2];
	struct buf b = BUF_INIT;

	(void)state;
	two_checks(v);
	limit_keys_state(&v[0], &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{acme}:rate:user-rate:sasl_user:" ALICE_HASH);
	buf_truncate(&b, 0);
	limit_keys_state(&v[1], &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{acme}:quota:daily:customer:"
			    "822b33ad87c148a0a20a5ba7cd5ebcaa:2026-09-21");
	buf_truncate(&b, 0);
	limit_keys_override("acme", "user-rate", "sasl_user", "alice", &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{acme}:ovr:user-rate:sasl_user:" ALICE_HASH);
	buf_truncate(&b, 0);
	limit_keys_override("acme", "user-rate", NULL, NULL, &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{acme}:ovr:user-rate:customer");
	buf_truncate(&b, 0);
	limit_keys_block("acme", "sasl_user", "alice", &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{acme}:block:sasl_user:" ALICE_HASH);
	buf_truncate(&b, 0);
	limit_keys_block(NULL, NULL, NULL, &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{-}:block:customer");
	buf_truncate(&b, 0);
	limit_keys_customer("a}b", &b);
	assert_string_equal(buf_cstr(&b), "rw:v1:{~538c54fe17b56e2f2b4753732e0de804}:");
	buf_release(&b);
}

/* test_marshal - the KEYS/ARGV layout of schema/limits.lua */
static void test_marshal(void **state)
{
	static const char *want_args[] = {
		"2", "charge", "3600", "1790000123000000",
		"rate", "e", "36000000", "720000000", "3", "r",
		"quota", "s", "1000000", "1790000000", "5000", "b",
	};
	struct limit_check v[2];
	struct limit_plan plan = { v, 2, 1, 1790000123000000ULL };
	struct strvec keys = STRVEC_INIT, args = STRVEC_INIT, cmd = STRVEC_INIT;
	const char *err = NULL;

	(void)state;
	two_checks(v);
	assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), 0);
	assert_int_equal(keys.n, 10);
	assert_int_equal(args.n, sizeof(want_args) / sizeof(want_args[0]));
	for (size_t i = 0; i < args.n; i++)
		assert_string_equal(args.v[i], want_args[i]);
	assert_string_equal(keys.v[0], "rw:v1:{acme}:rate:user-rate:sasl_user:" ALICE_HASH);
	assert_string_equal(keys.v[1], "rw:v1:{acme}:ovr:user-rate:sasl_user:" ALICE_HASH);
	assert_string_equal(keys.v[2], "rw:v1:{acme}:ovr:user-rate:customer");
	assert_string_equal(keys.v[3], "rw:v1:{acme}:block:sasl_user:" ALICE_HASH);
	assert_string_equal(keys.v[4], "rw:v1:{acme}:block:customer");
	assert_string_equal(keys.v[5], "rw:v1:{acme}:quota:daily:customer:"
			    "822b33ad87c148a0a20a5ba7cd5ebcaa:2026-09-21");
	assert_string_equal(keys.v[7], "rw:v1:{acme}:ovr:daily:customer");
	for (size_t i = 0; i < keys.n; i++)
		assert_int_equal(strncmp(keys.v[i], "rw:v1:{acme}:", 13), 0);
	limit_store_command("0123", &keys, &args, &cmd);
	assert_int_equal(cmd.n, 3 + keys.n + args.n);
	assert_string_equal(cmd.v[0], "EVALSHA");
	assert_string_equal(cmd.v[1], "0123");
	assert_string_equal(cmd.v[2], "10");
	assert_string_equal(cmd.v[3], keys.v[0]);
	assert_string_equal(cmd.v[13], "2");
	strvec_release(&cmd);
	limit_store_command(NULL, &keys, &args, &cmd);
	assert_int_equal(cmd.n, keys.n + args.n);
	strvec_release(&cmd);
	strvec_release(&keys);
	strvec_release(&args);
	/* peek mode; malformed checks refused */
	plan.charge = 0;
	assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), 0);
	assert_string_equal(args.v[1], "peek");
	strvec_release(&keys);
	strvec_release(&args);
	v[1].unit = 0;
	assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), -1);
	assert_non_null(err);
	assert_int_equal(keys.n + args.n, 0);
	v[1].unit = UNIT_BYTES;
	v[0].limit = NULL;
	assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), -1);
}

/* test_script - the embedded script is the schema file, and its SHA1 */
static void test_script(void **state)
{
	FILE *f = fopen(TEST_SRCDIR "/../schema/limits.lua", "rb");
	char sha[LIMIT_STORE_SHA_HEX + 1], hex[LIMIT_STORE_SHA_HEX + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	struct buf b = BUF_INIT;
	int c;

	(void)state;
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		buf_putc(&b, c);
	fclose(f);
	assert_int_equal(limit_store_lua_len, b.len);
	assert_memory_equal(limit_store_lua, b.data, b.len);
	assert_true(EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha1(), NULL));
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	limit_store_script_sha(sha);
	assert_string_equal(sha, hex);
	buf_release(&b);
}

/* slot - Redis Cluster's key slot (CRC16/XMODEM of the hash tag) */
static unsigned slot(const char *key)
{
	const char *s = key, *open = strchr(key, '{'), *close;
	size_t n = strlen(key);
	unsigned crc = 0;

	if (open && (close = strchr(open + 1, '}')) && close > open + 1) {
		s = open + 1;
		n = (size_t)(close - s);
	}
	for (size_t i = 0; i < n; i++) {
		crc ^= (unsigned)(unsigned char)s[i] << 8;
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
	}
	return crc & 16383;
}

/* test_cluster_slot - every key of one call lies in one slot, for any customer id */
static void test_cluster_slot(void **state)
{
	static const char *customers[] = { "acme", "-", "a}b", "}x", "{y}", "c d:e" };
	struct limit_check v[3];
	struct limit_plan plan = { v, 3, 1, 0 };
	const char *err;

	(void)state;
	two_checks(v);
	v[2] = v[0];
	v[2].dimension = "client_prefix";
	v[2].identity = (char *)"10.0.0.0/24";
	assert_int_equal(slot("123456789"), 0x31c3 & 16383);	/* CRC16 check value */
	for (size_t i = 0; i < sizeof(customers) / sizeof(customers[0]); i++) {
		struct strvec keys = STRVEC_INIT, args = STRVEC_INIT;

		for (int j = 0; j < 3; j++)
			v[j].customer = (char *)customers[i];
		assert_int_equal(limit_store_marshal(&plan, &keys, &args, &err), 0);
		assert_int_equal(keys.n, 15);
		for (size_t j = 0; j < keys.n; j++) {
			const char *open = strchr(keys.v[j], '{'), *close = strchr(keys.v[j], '}');

			assert_true(open && close && close > open + 1);
			assert_int_equal(strncmp(keys.v[j], keys.v[0], (size_t)(close - keys.v[j])), 0);
			assert_int_equal(slot(keys.v[j]), slot(keys.v[0]));
		}
		strvec_release(&keys);
		strvec_release(&args);
	}
}

/* resp - a reply parsed from RESP text by hiredis' own reader */
static redisReply *resp(const char *text)
{
	redisReader *r = redisReaderCreate();
	void *reply = NULL;

	assert_int_equal(redisReaderFeed(r, text, strlen(text)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
	assert_non_null(reply);
	redisReaderFree(r);
	return reply;
}

#define HEAD "*14\r\n:1\r\n:1\r\n"
#define ROW_OK ":1\r\n:0\r\n:0\r\n$-1\r\n:17\r\n:0\r\n"

/* test_parse_ok - a well-formed reply, with a blocked check and its reason */
static void test_parse_ok(void **state)
{
	struct limit_check v[2];
	struct limit_plan plan = { v, 2, 1, 0 };
	struct limit_result res[2];
	redisReply *r = resp(HEAD ROW_OK ":0\r\n:1\r\n:1\r\n$11\r\ncompromised\r\n:0\r\n:2500\r\n");
	const char *err = NULL;
	int committed = -1;

	(void)state;
	two_checks(v);
	assert_int_equal(limit_store_parse(r, &plan, res, &committed, &err), LIMIT_STORE_OK);
	assert_int_equal(committed, 1);
	assert_true(res[0].ok);
	assert_false(res[0].blocked);
	assert_null(res[0].reason);
	assert_int_equal(res[0].remaining, 17);
	assert_false(res[1].ok);
	assert_true(res[1].never_fits);
	assert_true(res[1].blocked);
	assert_string_equal(res[1].reason, "compromised");
	assert_int_equal(res[1].retry_after_ms, 2500);
	free(res[1].reason);
	freeReplyObject(r);
}

/* test_parse_bad - every shape mismatch is an error, never a crash or a leak */
static void test_parse_bad(void **state)
{
	static const struct {
		const char *resp;
		enum limit_store_rc rc;
	} t[] = {
		{ "-NOSCRIPT No matching script. Please use EVAL.\r\n", LIMIT_STORE_NOSCRIPT },
		{ "-ERR something\r\n", LIMIT_STORE_FAIL },
		{ "-READONLY You can't write against a read only replica.\r\n", LIMIT_STORE_FAIL },
		{ "-ERR Error running script: RWPROTO script speaks protocol 1\r\n", LIMIT_STORE_FAIL },
		{ ":1\r\n", LIMIT_STORE_FAIL },
		{ "$-1\r\n", LIMIT_STORE_FAIL },
		{ "+OK\r\n", LIMIT_STORE_FAIL },
		{ "*0\r\n", LIMIT_STORE_FAIL },
		{ "*13\r\n:1\r\n:1\r\n" ROW_OK ":0\r\n:0\r\n:0\r\n$-1\r\n:1\r\n", LIMIT_STORE_FAIL },
		{ "*14\r\n:2\r\n:1\r\n" ROW_OK ROW_OK, LIMIT_STORE_FAIL },
		{ "*14\r\n:1\r\n:7\r\n" ROW_OK ROW_OK, LIMIT_STORE_FAIL },
		{ "*14\r\n$1\r\n1\r\n:1\r\n" ROW_OK ROW_OK, LIMIT_STORE_FAIL },
		/* the second row is bad after the first was parsed */
		{ HEAD ":1\r\n:0\r\n:1\r\n$1\r\nx\r\n:0\r\n:0\r\n" ROW_OK, LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":2\r\n:0\r\n:0\r\n$-1\r\n:1\r\n:0\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:1\r\n$-1\r\n:1\r\n:0\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:0\r\n$1\r\nx\r\n:1\r\n:0\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:0\r\n$-1\r\n:-1\r\n:0\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:0\r\n$-1\r\n:1\r\n$1\r\n5\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:0\r\n*0\r\n:1\r\n:0\r\n", LIMIT_STORE_FAIL },
		{ HEAD ROW_OK ":0\r\n:0\r\n:1\r\n$2\r\nno\r\n:1\r\n:0\r\n", LIMIT_STORE_OK },
	};
	struct limit_check v[2];
	struct limit_plan plan = { v, 2, 1, 0 };

	(void)state;
	two_checks(v);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct limit_result res[2];
		redisReply *r = resp(t[i].resp);
		const char *err = NULL;

		assert_int_equal(limit_store_parse(r, &plan, res, NULL, &err), t[i].rc);
		if (t[i].rc != LIMIT_STORE_OK) {
			assert_non_null(err);
			assert_null(res[0].reason);
			assert_null(res[1].reason);
		} else {
			free(res[1].reason);
		}
		freeReplyObject(r);
	}
}

/* test_parse_null - no reply is an error */
static void test_parse_null(void **state)
{
	struct limit_check v[2];
	struct limit_plan plan = { v, 2, 0, 0 };
	struct limit_result res[2];
	const char *err = NULL;

	(void)state;
	two_checks(v);
	assert_int_equal(limit_store_parse(NULL, &plan, res, NULL, &err), LIMIT_STORE_FAIL);
	assert_non_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_hash),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_marshal),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_cluster_slot),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
