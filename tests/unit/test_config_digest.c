/*
 * test_config_digest - the config digest identifies the effective settings
 * and is no function of a secret: two configs that differ only in the Redis
 * password have the same digest (it used to be the SHA-256 of the file, so
 * a guess list substituted into the file recovered the password from any
 * audit record or /metrics); every other change of meaning changes it,
 * and changes of form (comments, spacing, a default written out) do not.
 * The password never shows in the dump, the digest or an error message.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/config/config.h"

#include "tests/unit/config_tdir.h"

#define PW "hunter2-Sekr1t"

#define REDIS(pw) \
	"redis {\n\tservers = { \"127.0.0.1:6379\" }\n\tpassword = \"" pw "\"\n" \
	"\ttimeout_ms = 50\n}\n"

#define RELAY "relay \"office\" {\n\ttype = network\n\tnetworks_files = { \"office.cidr\" }\n}\n"

/* digest_of - the digest of main_text (+ extra file); fails the test if it does not load */
static void digest_of(const char *main_text, const struct tfile *extra, char out[65])
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text(main_text, extra, &err);

	if (c == NULL)
		fail_msg("does not load: %s\n%s", buf_cstr(&err), main_text);
	assert_int_equal(strlen(c->digest), 64);
	assert_int_equal(strspn(c->digest, "0123456789abcdef"), 64);
	memcpy(out, c->digest, 65);
	config_unref(&c);
	buf_release(&err);
}

/* sha256_hex - SHA-256 of text, hex */
static void sha256_hex(const char *text, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	assert_int_equal(EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* test_password_left_out - configs differing only in the password digest alike */
static void test_password_left_out(void **state)
{
	char a[65], b[65], none[65], file[65];

	(void)state;
	digest_of(REDIS(PW), NULL, a);
	digest_of(REDIS("another-password"), NULL, b);
	assert_string_equal(a, b);
	/* no guess list can test the digest: it is not the SHA-256 of the file */
	sha256_hex(REDIS(PW), file);
	assert_string_not_equal(a, file);
	/* whether a password is set is part of the settings, its value is not */
	digest_of("redis {\n\tservers = { \"127.0.0.1:6379\" }\n\ttimeout_ms = 50\n}\n", NULL,
		  none);
	assert_string_not_equal(a, none);
}

/* test_changes_of_meaning - any other setting changes the digest */
static void test_changes_of_meaning(void **state)
{
	static const char *const variants[] = {
		"redis {\n\tservers = { \"127.0.0.1:6379\" }\n\tpassword = \"" PW "\"\n"
		"\ttimeout_ms = 51\n}\n",
		"redis {\n\tservers = { \"127.0.0.1:6380\" }\n\tpassword = \"" PW "\"\n"
		"\ttimeout_ms = 50\n}\n",
		"redis {\n\tservers = { \"127.0.0.1:6379\" }\n\tpassword = \"" PW "\"\n"
		"\ttimeout_ms = 50\n}\ndns {\n\ttimeout_ms = 50\n}\n",
		REDIS(PW) "instance = \"mx9.example.test\"\n",
		REDIS(PW) "local_domains = { \"example.test\" }\n",
	};
	char base[65], v[65];

	(void)state;
	digest_of(REDIS(PW), NULL, base);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		digest_of(variants[i], NULL, v);
		if (strcmp(v, base) == 0)
			fail_msg("variant %zu has the base's digest:\n%s", i, variants[i]);
	}
}

/* test_form_does_not_count - comments, spacing, defaults written out */
static void test_form_does_not_count(void **state)
{
	char a[65], b[65];

	(void)state;
	digest_of(REDIS(PW), NULL, a);
	digest_of("# the store\nredis   {\n  servers = {\"127.0.0.1:6379\"}  # one\n"
		  "  password = \"" PW "\"\n  timeout_ms = 50\n  database = 0\n}\n"
		  "timezone = \"UTC\"\n", NULL, b);
	assert_string_equal(a, b);
}

/* test_included_files - an included table's content is part of the digest */
static void test_included_files(void **state)
{
	char a[65], b[65], c[65];

	(void)state;
	digest_of(RELAY, &(struct tfile){ "office.cidr", "192.0.2.0/24\n" }, a);
	digest_of(RELAY, &(struct tfile){ "office.cidr", "198.51.100.0/24\n" }, b);
	digest_of(RELAY, &(struct tfile){ "office.cidr", "192.0.2.0/24\n" }, c);
	assert_string_not_equal(a, b);
	assert_string_equal(a, c);	/* in another directory: the same */
}

/* test_password_not_shown - not in the dump, not in an error message */
static void test_password_not_shown(void **state)
{
	static const char *const bad[] = {
		REDIS(PW) "redis_bogus = 1\n",
		"redis {\n\tpassword = \"" PW "\x01\"\n}\n",
		"redis {\n\tpassword = \"" PW "\"\n\ttimeout_ms = 0\n}\n",
		"redis {\n\tpassword = \"" PW "\"\n\tmaster_name = \"m\"\n}\n",
		/* unquoted with a blank: the lexer takes the rest for an option */
		"redis {\n\tpassword = Zq7 hunter2\n}\n",
		"redis {\n\tpassword = Zq7 \"hunter2\"\n}\n",
		"redis {\n\tpassword = Zq7 hunter2, x\n}\n",
		"redis {\n\tpassword = Zq7 hunter2 = 1\n}\n",
	};
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct rw_config *c = load_text(REDIS(PW), NULL, &err);

	(void)state;
	assert_non_null(c);
	config_dump(c, &out);
	assert_null(strstr(buf_cstr(&out), PW));
	assert_null(strstr(buf_cstr(&out), "hunter2"));
	assert_non_null(strstr(buf_cstr(&out), "password = (set, not shown)"));
	config_unref(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_truncate(&err, 0);
		c = load_text(bad[i], NULL, &err);
		assert_null(c);
		assert_true(err.len > 0);
		if (strstr(buf_cstr(&err), "hunter2") != NULL || strstr(buf_cstr(&err), "Zq7"))
			fail_msg("the password is in: %s", buf_cstr(&err));
		if (strncmp(buf_cstr(&err), "relaywarden.conf:", 17) != 0)
			fail_msg("no file and line: %s", buf_cstr(&err));
	}
	buf_release(&err);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_left_out),
		cmocka_unit_test(test_changes_of_meaning),
		cmocka_unit_test(test_form_does_not_count),
		cmocka_unit_test(test_included_files),
		cmocka_unit_test(test_password_not_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
