/* test_audit_sign - the running hash, the checkpoint line and its signature, keys, and
 * the checkpoints core/audit/audit.c writes (core/audit/audit_sign.h) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/audit/audit.h"
#include "core/audit/audit_sign.h"

struct keys {
	char dir[32];
	char priv[64], pub[64], other[64], mac[64];
};

/* write_pem - pkey's private (or public) PEM to path, mode 0600 */
static void write_pem(EVP_PKEY *pkey, const char *path, int public)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(public ? PEM_write_PUBKEY(fp, pkey)
	                   : PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
}

/* keys_setup - a directory with an Ed25519 pair, another key's public half, a mac key */
static int keys_setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *fp;

	snprintf(k->dir, sizeof(k->dir), "/tmp/rw-sign-XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	snprintf(k->priv, sizeof(k->priv), "%s/sign.pem", k->dir);
	snprintf(k->pub, sizeof(k->pub), "%s/sign.pub.pem", k->dir);
	snprintf(k->other, sizeof(k->other), "%s/other.pub.pem", k->dir);
	snprintf(k->mac, sizeof(k->mac), "%s/mac.key", k->dir);
	write_pem(a, k->priv, 0);
	write_pem(a, k->pub, 1);
	write_pem(b, k->other, 1);
	assert_non_null(fp = fopen(k->mac, "w"));
	fputs("0123456789abcdef0123456789abcdef-mac\n", fp);
	fclose(fp);
	chmod(k->mac, 0600);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	*state = k;
	return 0;
}

static int keys_teardown(void **state)
{
	struct keys *k = *state;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", k->dir);
	assert_int_equal(system(cmd), 0);
	free(k);
	return 0;
}

/* sha256_hex - SHA-256 of a || b, hex, by OpenSSL's one-shot */
static void sha256_hex(const void *a, size_t an, const void *b, size_t bn, char out[65])
{
	unsigned char buf[512], md[32];
	unsigned int len = 0;

	assert_true(an + bn <= sizeof(buf));
	memcpy(buf, a, an);
	memcpy(buf + an, b, bn);
	assert_true(EVP_Digest(buf, an + bn, md, &len, EVP_sha256(), NULL));
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* H(0) is zeros; H(n+1) = SHA-256(H(n) || line); hex and back */
static void test_running_hash(void **state)
{
	struct audit_hash h, back;
	unsigned char zeros[32] = {0}, md[32];
	char hex[AUDIT_HASH_HEX + 1], want[65];

	(void)state;
	audit_hash_init(&h);
	audit_hash_hex(&h, hex);
	assert_int_equal(strspn(hex, "0"), 64);
	audit_hash_step(&h, "abc", 3);
	sha256_hex(zeros, 32, "abc", 3, want);
	audit_hash_hex(&h, hex);
	assert_string_equal(hex, want);
	memcpy(md, h.md, 32);
	audit_hash_step(&h, "", 0); /* an empty line counts too */
	sha256_hex(md, 32, "", 0, want);
	audit_hash_hex(&h, hex);
	assert_string_equal(hex, want);
	audit_hash_init(&back);
	assert_int_equal(audit_hash_set(&back, hex), 0);
	assert_memory_equal(back.md, h.md, 32);
	assert_int_equal(audit_hash_set(&back, "abc"), -1);
	hex[10] = 'G';
	assert_int_equal(audit_hash_set(&back, hex), -1);
	hex[10] = 'A'; /* upper case is not the format */
	assert_int_equal(audit_hash_set(&back, hex), -1);
	audit_hash_release(&h);
	audit_hash_release(&back);
}

/* checkpoint_line - head, a chain place, the signature, the closing brace */
static void checkpoint_line(const struct audit_key *k, const struct audit_hash *h, const char *host,
                            struct buf *out)
{
	audit_checkpoint_head(&(struct audit_checkpoint){"2026-12-07T10:00:00.000001Z", host,
	                                                 "policyd", "records", h},
	                      k, out);
	buf_puts(out, ",\"chain\":{\"id\":\"mx1:1\",\"seq\":7}");
	audit_sign_append(k, out, 0);
	buf_putc(out, '}');
}

/* the checkpoint's members in order; its signature verifies under the public key only */
static void test_checkpoint_format(void **state)
{
	struct keys *kk = *state;
	struct buf err = BUF_INIT, line = BUF_INIT;
	struct audit_key *k = audit_key_load_private(kk->priv, NULL, &err);
	struct audit_key *pub = audit_key_load_public(kk->pub, &err);
	struct audit_key *other = audit_key_load_public(kk->other, &err);
	struct audit_hash h;
	char hex[AUDIT_HASH_HEX + 1];
	const char *sig;
	json_t *j;

	assert_non_null(k);
	assert_non_null(pub);
	assert_non_null(other);
	assert_string_equal(audit_key_id(k), audit_key_id(pub));
	assert_string_not_equal(audit_key_id(k), audit_key_id(other));
	audit_hash_init(&h);
	audit_hash_step(&h, "x", 1);
	audit_hash_hex(&h, hex);
	checkpoint_line(k, &h, "mx\"1", &line);
	assert_non_null(j = json_loads(buf_cstr(&line), JSON_REJECT_DUPLICATES, NULL));
	assert_int_equal(strncmp(buf_cstr(&line), "{\"v\":1,\"kind\":\"checkpoint\",\"time\":", 33),
	                 0);
	assert_string_equal(json_string_value(json_object_get(j, "host")), "mx\"1");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "records");
	assert_string_equal(json_string_value(json_object_get(j, "hash")), hex);
	assert_string_equal(json_string_value(json_object_get(j, "key")), audit_key_id(pub));
	sig = strstr(buf_cstr(&line), ",\"sig\":\"");
	assert_non_null(sig);
	assert_int_equal(strlen(sig), strlen(",\"sig\":\"") + AUDIT_SIG_HEX + 2); /* last member */
	assert_int_equal(audit_sign_check(pub, line.data, line.len), 0);
	assert_int_equal(audit_sign_check(k, line.data, line.len), 0);
	assert_int_equal(audit_sign_check(other, line.data, line.len), -2);
	line.data[40] ^= 1; /* one bit of the signed part */
	assert_int_equal(audit_sign_check(pub, line.data, line.len), -2);
	line.data[40] ^= 1;
	line.data[line.len - 5] = line.data[line.len - 5] == '0' ? '1' : '0'; /* the signature */
	assert_int_equal(audit_sign_check(pub, line.data, line.len), -2);
	buf_truncate(&line, (size_t)(sig - line.data));
	buf_putc(&line, '}');
	assert_int_equal(audit_sign_check(pub, line.data, line.len), -1);
	json_decref(j);
	audit_hash_release(&h);
	audit_key_free(&k);
	audit_key_free(&pub);
	audit_key_free(&other);
	buf_release(&line);
	buf_release(&err);
}

/* private keys readable by others, public keys as private ones, other key types: refused */
static void test_bad_keys(void **state)
{
	struct keys *kk = *state;
	struct buf err = BUF_INIT, path = BUF_INIT;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_int_equal(chmod(kk->priv, 0644), 0);
	assert_null(audit_key_load_private(kk->priv, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "readable by others"));
	assert_int_equal(chmod(kk->priv, 0600), 0);
	buf_truncate(&err, 0);
	assert_null(audit_key_load_private(kk->pub, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "not an Ed25519 private key"));
	buf_printf(&path, "%s/ec.pem", kk->dir);
	write_pem(ec, path.data, 0);
	buf_truncate(&err, 0);
	assert_null(audit_key_load_private(path.data, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "ec.pem: not an Ed25519"));
	buf_truncate(&err, 0);
	assert_null(audit_key_load_public(path.data, &err));
	assert_non_null(strstr(buf_cstr(&err), "not an Ed25519 public key"));
	buf_truncate(&err, 0);
	assert_null(audit_key_load_public("/nonexistent/key.pem", &err));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/key.pem"));
	EVP_PKEY_free(ec);
	buf_release(&err);
	buf_release(&path);
}

/* read_lines - the file's lines (a NULL-ended array the caller frees, with its text) */
static char **read_lines(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t len;

	assert_non_null(fp);
	*n = 0;
	while ((len = getline(&line, &cap, fp)) > 0) {
		line[len - 1] = '\0';
		v = realloc(v, (*n + 2) * sizeof(*v));
		v[(*n)++] = strdup(line);
	}
	v[*n] = NULL;
	free(line);
	fclose(fp);
	return v;
}

/*
 * The writer: a checkpoint at open, after every 2 records (after the
 * record, in the same buffer), before a reopen and at close; each one's
 * hash is the running hash of the lines before it, its seq its place;
 * with a mac key too, the signature precedes the mac
 */
static void writer_run(struct keys *kk, int with_mac)
{
	struct rw_config cfg = {0};
	struct buf path = BUF_INIT, err = BUF_INIT, r = BUF_INIT;
	static const char *const want[] = {"start",  NULL, NULL, "records", NULL,
	                                   "rotate", NULL, NULL, "records", "close"};
	struct audit_key *pub = audit_key_load_public(kk->pub, &err);
	struct audit_hash h;
	struct audit *a;
	char **lines, hex[AUDIT_HASH_HEX + 1];
	size_t n;

	buf_printf(&path, "%s/audit.jsonl", kk->dir);
	unlink(path.data);
	cfg.audit.file = path.data;
	cfg.audit.signing_key_file = kk->priv;
	cfg.audit.hmac_key_file = with_mac ? kk->mac : NULL;
	cfg.audit.checkpoint_records = 2;
	cfg.audit.checkpoint_seconds = 3600;
	cfg.instance_name = "mx1";
	buf_puts(&r, "{\"n\":1}");
	assert_non_null(a = audit_open(&cfg, &err));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(audit_write(a, &r), 0);
		if (i == 2)
			assert_int_equal(audit_reopen(a, &err), 0);
	}
	audit_close(&a);
	lines = read_lines(path.data, &n);
	assert_int_equal(n, sizeof(want) / sizeof(*want));
	audit_hash_init(&h);
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
		const char *reason = json_string_value(json_object_get(j, "reason"));

		assert_non_null(j);
		assert_int_equal(
		    json_integer_value(json_object_get(json_object_get(j, "chain"), "seq")), i);
		assert_int_equal(json_object_get(j, "mac") != NULL, with_mac);
		if (want[i] == NULL) {
			assert_null(reason);
		} else {
			assert_non_null(reason);
			assert_string_equal(reason, want[i]);
			audit_hash_hex(&h, hex);
			assert_string_equal(json_string_value(json_object_get(j, "hash")), hex);
			assert_int_equal(audit_sign_check(pub, lines[i], strlen(lines[i])), 0);
			assert_true(with_mac == (strstr(lines[i], "\",\"mac\":\"") != NULL &&
			                         strstr(lines[i], ",\"sig\":\"") <
			                             strstr(lines[i], ",\"mac\":\"")));
		}
		audit_hash_step(&h, lines[i], strlen(lines[i]));
		json_decref(j);
		free(lines[i]);
	}
	free(lines);
	audit_hash_release(&h);
	audit_key_free(&pub);
	unlink(path.data);
	buf_release(&path);
	buf_release(&err);
	buf_release(&r);
}

static void test_writer_checkpoints(void **state)
{
	writer_run(*state, 0);
}

static void test_writer_checkpoints_with_mac(void **state)
{
	writer_run(*state, 1);
}

/*
 * checkpoint_seconds: the first record sealed that late is followed by a
 * "time" checkpoint, no record before it; audit_tick writes one when the
 * writer idles with records unproven, and nothing else (the clock is
 * waited for, not measured: a second and a little more)
 */
static void test_writer_time(void **state)
{
	struct keys *kk = *state;
	struct rw_config cfg = {0};
	struct buf path = BUF_INIT, err = BUF_INIT, r = BUF_INIT;
	struct audit *a;
	char **lines;
	size_t n;

	buf_printf(&path, "%s/time.jsonl", kk->dir);
	cfg.audit.file = path.data;
	cfg.audit.signing_key_file = kk->priv;
	cfg.audit.checkpoint_records = 1000;
	cfg.audit.checkpoint_seconds = 1;
	cfg.instance_name = "mx1";
	buf_puts(&r, "{\"n\":1}");
	assert_non_null(a = audit_open(&cfg, &err));
	assert_int_equal(audit_write(a, &r), 0);
	audit_tick(a); /* not due yet: nothing */
	usleep(1100 * 1000);
	assert_int_equal(audit_write(a, &r), 0);
	assert_int_equal(audit_write(a, &r), 0);
	usleep(1100 * 1000);
	audit_tick(a); /* idle, due: a checkpoint without a record */
	audit_tick(a); /* nothing sealed since: nothing */
	audit_close(&a);
	lines = read_lines(path.data, &n);
	assert_int_equal(n, 7); /* start, r, r, time, r, time, close */
	assert_non_null(strstr(lines[0], "\"reason\":\"start\""));
	assert_null(strstr(lines[1], "\"kind\""));
	assert_null(strstr(lines[2], "\"kind\""));
	assert_non_null(strstr(lines[3], "\"reason\":\"time\""));
	assert_null(strstr(lines[4], "\"kind\""));
	assert_non_null(strstr(lines[5], "\"reason\":\"time\""));
	assert_non_null(strstr(lines[6], "\"reason\":\"close\""));
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	unlink(path.data);
	buf_release(&path);
	buf_release(&err);
	buf_release(&r);
}

/* a signing key that cannot be loaded: audit_open fails naming it */
static void test_writer_bad_key(void **state)
{
	struct keys *kk = *state;
	struct rw_config cfg = {0};
	struct buf err = BUF_INIT;

	cfg.audit.signing_key_file = kk->pub;
	cfg.audit.checkpoint_records = 2;
	cfg.audit.checkpoint_seconds = 60;
	cfg.instance_name = "mx1";
	assert_null(audit_open(&cfg, &err));
	assert_non_null(strstr(buf_cstr(&err), "signing_key_file"));
	assert_non_null(strstr(buf_cstr(&err), kk->pub));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_running_hash),
	    cmocka_unit_test(test_checkpoint_format),
	    cmocka_unit_test(test_bad_keys),
	    cmocka_unit_test(test_writer_checkpoints),
	    cmocka_unit_test(test_writer_checkpoints_with_mac),
	    cmocka_unit_test(test_writer_time),
	    cmocka_unit_test(test_writer_bad_key),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
