/* test_audit - the audit record's content and the file sink */
#include "autoconfig.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/audit/audit.h"

static const struct audit_ctx ctx = {
	.component = "policyd",
	.host = "mx1",
	.session = "5f.1",
	.config_digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.now = { 1700000000, 42 },
};

/* record_json - build a record and parse it back */
static json_t *record_json(const struct rw_txn *t, const struct rw_verdict *v)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *j;

	audit_record(&ctx, t, v, &b);
	assert_null(memchr(b.data, '\n', b.len));	/* one line */
	j = json_loadb(b.data, b.len, 0, &jerr);
	if (j == NULL)
		fail_msg("record is not JSON: %s: %s", jerr.text, buf_cstr(&b));
	buf_release(&b);
	return j;
}

static void test_refusal_record(void **state)
{
	struct rw_txn t = { .stage = STAGE_RCPT, .client_address = "192.0.2.1",
			    .client_name = "unknown", .helo_name = "evil", .queue_id = "",
			    .sender = "", .recipient = "bob@remote.test", .server_port = 25,
			    .recipient_count = 0 };
	struct rw_verdict v = VERDICT_INIT;
	json_t *j;

	(void)state;
	verdict_trace(&v, "step one");
	verdict_trace(&v, "step \"two\"");
	verdict_set(&v, ACT_REJECT, 554, "5.7.1", "<%s>: Relay access denied", t.recipient);
	j = record_json(&t, &v);
	assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "time")),
			    "2023-11-14T22:13:20.000042Z");
	assert_string_equal(json_string_value(json_object_get(j, "component")), "policyd");
	assert_string_equal(json_string_value(json_object_get(j, "stage")), "RCPT");
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "REJECT");
	assert_string_equal(json_string_value(json_object_get(j, "reply")),
			    "554 5.7.1 <bob@remote.test>: Relay access denied");
	assert_true(json_is_null(json_object_get(j, "rule")));
	assert_true(json_is_null(json_object_get(j, "queue_id")));	/* "" -> null */
	assert_string_equal(json_string_value(json_object_get(j, "sender")), "");	/* null sender */
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "client"),
								"address")), "192.0.2.1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "listener"),
							     "port")), 25);
	assert_true(json_is_null(json_object_get(json_object_get(j, "sasl"), "username")));
	assert_int_equal(json_array_size(json_object_get(j, "trace")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "trace"), 1)),
			    "step \"two\"");
	assert_string_equal(json_string_value(json_object_get(j, "config_digest")),
			    ctx.config_digest);
	json_decref(j);
	verdict_release(&v);
}

static void test_permit_record_and_hostile_bytes(void **state)
{
	struct rw_txn t = { .stage = STAGE_RCPT, .sasl_username = "al\xff\xfe" "ice",
			    .sasl_method = "PLAIN", .tls_protocol = "TLSv1.3",
			    .cert_subject = "cn\n\"x\"", .cert_verified = 1,
			    .sender = "a@b", .recipient = "c@d" };
	struct rw_verdict v = VERDICT_INIT;
	json_t *j, *tls;

	(void)state;
	verdict_trace(&v, "rule r: ok");
	verdict_rule(&v, "r");
	verdict_set(&v, ACT_OK, 0, NULL, NULL);
	j = record_json(&t, &v);
	assert_true(json_is_null(json_object_get(j, "reply")));
	assert_string_equal(json_string_value(json_object_get(j, "rule")), "r");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sasl"),
							       "username")), "al??ice");
	tls = json_object_get(j, "tls");
	assert_string_equal(json_string_value(json_object_get(tls, "cert_subject")), "cn\n\"x\"");
	assert_true(json_is_true(json_object_get(tls, "cert_verified")));
	json_decref(j);
	verdict_release(&v);
}

/*
 * test_tls_without_certificate - each certificate field on its own is
 * written as given, and none of them gives the same nulls field by field
 */
static void test_tls_without_certificate(void **state)
{
	static const char none[] = "\"tls\":{\"protocol\":\"TLSv1.3\",\"cipher\":null,"
				   "\"cert_fingerprint\":null,\"cert_pubkey_fingerprint\":null,"
				   "\"cert_subject\":null,\"cert_issuer\":null,\"cert_verified\":false},";
	static const char *const keys[] = { "cert_fingerprint", "cert_pubkey_fingerprint",
					    "cert_subject", "cert_issuer" };
	struct rw_verdict v = VERDICT_INIT;
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i <= 4; i++) {
		struct rw_txn t = { .stage = STAGE_RCPT, .tls_protocol = "TLSv1.3",
				    .cert_fingerprint = i == 0 ? "AB:CD" : "",
				    .cert_pubkey_fingerprint = i == 1 ? "EF:01" : NULL,
				    .cert_subject = i == 2 ? "CN=x" : NULL,
				    .cert_issuer = i == 3 ? "CN=ca" : "" };
		json_t *j, *tls;

		buf_truncate(&b, 0);
		audit_record(&ctx, &t, &v, &b);
		if (i == 4) {	/* no certificate at all */
			assert_non_null(strstr(buf_cstr(&b), none));
			break;
		}
		assert_null(strstr(buf_cstr(&b), none));
		j = record_json(&t, &v);
		tls = json_object_get(j, "tls");
		for (size_t k = 0; k < 4; k++)
			assert_int_equal(json_is_string(json_object_get(tls, keys[k])), k == i);
		assert_true(json_is_false(json_object_get(tls, "cert_verified")));
		json_decref(j);
	}
	buf_release(&b);
	verdict_release(&v);
}

/* read_file - the whole file as a string (caller frees) */
static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct buf b = BUF_INIT;
	char chunk[512];
	size_t n;

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return buf_detach(&b);
}

static void test_file_sink_append_and_reopen(void **state)
{
	char dir[] = "/tmp/rw-audit-XXXXXX";
	struct buf path = BUF_INIT, moved = BUF_INIT, err = BUF_INIT;
	struct buf r1 = BUF_INIT, r2 = BUF_INIT;
	struct rw_config cfg = { 0 };
	struct audit *a;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_printf(&path, "%s/audit.jsonl", dir);
	buf_printf(&moved, "%s/audit.jsonl.1", dir);
	cfg.audit.file = path.data;
	a = audit_open(&cfg, &err);
	assert_non_null(a);
	buf_puts(&r1, "{\"n\":1}");
	buf_puts(&r2, "{\"n\":2}");
	assert_int_equal(audit_write(a, &r1), 0);
	assert_int_equal(rename(path.data, moved.data), 0);
	assert_int_equal(audit_write(a, &r2), 0);	/* still the old inode */
	assert_int_equal(audit_reopen(a, &err), 0);
	assert_int_equal(audit_write(a, &r1), 0);	/* the new file */
	audit_close(&a);
	assert_null(a);
	text = read_file(moved.data);
	assert_string_equal(text, "{\"n\":1}\n{\"n\":2}\n");
	free(text);
	text = read_file(path.data);
	assert_string_equal(text, "{\"n\":1}\n");
	free(text);
	unlink(path.data);
	unlink(moved.data);
	rmdir(dir);
	buf_release(&path);
	buf_release(&moved);
	buf_release(&r1);
	buf_release(&r2);
}

/*
 * A size limit (RLIMIT_FSIZE, SIGXFSZ ignored, as the daemons do) cuts a
 * batch inside its first record: the write fails, both records count as
 * lost, and once there is room again the next record starts on a line of
 * its own. A file left ending mid-record is repaired the same way on open.
 */
static void test_cut_record_stays_its_own_line(void **state)
{
	char dir[] = "/tmp/rw-audit-XXXXXX";
	struct buf path = BUF_INIT, err = BUF_INIT, r3 = BUF_INIT;
	struct rw_config cfg = { 0 };
	struct rlimit saved, small;
	const char *batch = "{\"n\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"n\":2}\n";
	struct audit *a;
	unsigned long lost = 0;
	char *text;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_printf(&path, "%s/audit.jsonl", dir);
	cfg.audit.file = path.data;
	a = audit_open(&cfg, &err);
	assert_non_null(a);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(audit_write_lines(a, batch, strlen(batch)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(audit_failure(a, &lost), 1);
	assert_int_equal(lost, 2);
	assert_int_equal(audit_failure(a, &lost), 0);	/* quiet for a second */
	buf_puts(&r3, "{\"n\":3}");
	assert_int_equal(audit_write(a, &r3), 0);
	audit_close(&a);
	text = read_file(path.data);
	assert_string_equal(text, "{\"n\":1,\"pa\n{\"n\":3}\n");
	free(text);

	/* a file that already ends mid-record: repaired on open */
	assert_non_null(fp = fopen(path.data, "w"));
	fputs("{\"n\":4}\n{\"n\":5,", fp);
	fclose(fp);
	a = audit_open(&cfg, &err);
	assert_non_null(a);
	assert_int_equal(audit_write(a, &r3), 0);
	assert_int_equal(audit_write(a, &r3), 0);
	audit_close(&a);
	text = read_file(path.data);
	assert_string_equal(text, "{\"n\":4}\n{\"n\":5,\n{\"n\":3}\n{\"n\":3}\n");
	free(text);
	unlink(path.data);
	rmdir(dir);
	buf_release(&path);
	buf_release(&err);
	buf_release(&r3);
}

/* write_key - a key file of mode mode under dir; its path in out */
static void write_key(const char *dir, const char *name, const char *key, mode_t mode,
		      struct buf *out)
{
	FILE *fp;

	buf_truncate(out, 0);
	buf_printf(out, "%s/%s", dir, name);
	assert_non_null(fp = fopen(out->data, "w"));
	fputs(key, fp);
	fclose(fp);
	assert_int_equal(chmod(out->data, mode), 0);
}

/* mac_of - HMAC-SHA256 hex of line[0..n) under key, computed here by OpenSSL's one-shot */
static void mac_of(const char *key, const char *line, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)line, n,
			     md, &len));
	assert_int_equal(len, 32);
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/*
 * With hmac_key_file every record ends with its chain place and a mac:
 * HMAC-SHA256 of the line up to ',"mac":"', prev the mac before (zeros
 * first); a new audit_open starts a new chain. Bad key files are refused.
 */
static void test_records_are_chained(void **state)
{
	static const char key[] = "0123456789abcdef0123456789abcdef-key";
	char dir[] = "/tmp/rw-audit-XXXXXX";
	struct buf path = BUF_INIT, kpath = BUF_INIT, err = BUF_INIT, r = BUF_INIT;
	struct rw_config cfg = { 0 };
	char *text, *line, *save = NULL, prev[65], mac[65], id0[128] = "";
	struct audit *a;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_printf(&path, "%s/audit.jsonl", dir);
	write_key(dir, "key", key, 0600, &kpath);
	cfg.audit.file = path.data;
	cfg.audit.hmac_key_file = kpath.data;
	cfg.instance_name = "mx1";
	buf_puts(&r, "{\"n\":1}");
	for (int opens = 0; opens < 2; opens++) {
		assert_non_null(a = audit_open(&cfg, &err));
		assert_int_equal(audit_write(a, &r), 0);
		assert_int_equal(audit_write(a, &r), 0);
		audit_close(&a);
	}
	text = read_file(path.data);
	memset(prev, '0', 64);
	prev[64] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_t *j = json_loads(line, 0, NULL);
		json_t *chain = json_object_get(j, "chain");
		const char *tag = strstr(line, ",\"mac\":\"");

		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "n")), 1);
		assert_int_equal(json_integer_value(json_object_get(chain, "seq")), n % 2);
		if (n % 2 == 0)
			memset(prev, '0', 64);	/* each open: a new chain from zeros */
		assert_string_equal(json_string_value(json_object_get(chain, "prev")), prev);
		assert_non_null(strstr(json_string_value(json_object_get(chain, "id")), "mx1:"));
		if (n == 0)
			snprintf(id0, sizeof(id0), "%s", json_string_value(json_object_get(chain, "id")));
		if (n == 2)	/* the second open's chain has another id */
			assert_string_not_equal(json_string_value(json_object_get(chain, "id")), id0);
		assert_non_null(tag);
		mac_of(key, line, (size_t)(tag - line), mac);
		assert_string_equal(json_string_value(json_object_get(j, "mac")), mac);
		assert_string_equal(tag + strlen(",\"mac\":\"") + 64, "\"}");	/* mac is last */
		memcpy(prev, mac, sizeof(prev));
		json_decref(j);
	}
	assert_int_equal(n, 4);
	free(text);

	write_key(dir, "open-key", key, 0644, &kpath);
	buf_truncate(&err, 0);
	assert_null(audit_open(&cfg, &err));
	assert_non_null(strstr(buf_cstr(&err), "readable by others"));
	write_key(dir, "short-key", "too short\n", 0600, &kpath);
	buf_truncate(&err, 0);
	assert_null(audit_open(&cfg, &err));
	assert_non_null(strstr(buf_cstr(&err), "short-key"));
	unlink(kpath.data);
	unlink(path.data);
	buf_truncate(&kpath, 0);
	buf_printf(&kpath, "%s/open-key", dir);
	unlink(kpath.data);
	buf_truncate(&kpath, 0);
	buf_printf(&kpath, "%s/key", dir);
	unlink(kpath.data);
	rmdir(dir);
	buf_release(&path);
	buf_release(&kpath);
	buf_release(&err);
	buf_release(&r);
}

static void test_unwritable_file_is_an_error(void **state)
{
	struct rw_config cfg = { 0 };
	struct buf err = BUF_INIT;

	(void)state;
	cfg.audit.file = "/nonexistent-dir/audit.jsonl";
	assert_null(audit_open(&cfg, &err));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent-dir/audit.jsonl"));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal_record),
		cmocka_unit_test(test_permit_record_and_hostile_bytes),
		cmocka_unit_test(test_tls_without_certificate),
		cmocka_unit_test(test_file_sink_append_and_reopen),
		cmocka_unit_test(test_cut_record_stays_its_own_line),
		cmocka_unit_test(test_records_are_chained),
		cmocka_unit_test(test_unwritable_file_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
