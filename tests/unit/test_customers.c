/*
 * test_customers - identities to customer ids: each kind of mapping and its
 * normalisation, the precedence user > cert > network > sender domain,
 * conflicts (one identity, two customers), bad ids and bad entries.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits/customers.h"

#define FP32 "3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D"
#define FP32_LOWER "3e7b0a502e74c40a4dc743e60c9faf3a0ed19a7b5c3305a2ea06097ea21e286d"
#define FP20 "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"

/* build - the map every lookup test uses */
static struct customers *build(void)
{
	static const char *const entries[][2] = {
		{ "acme", "user:Alice@Example.TEST" },
		{ "acme", "domain:Acme.TEST." },
		{ "acme", "network:192.0.2.0/24" },
		{ "beta", "user:bob" },
		{ "beta", "fingerprint:" FP32_LOWER },
		{ "beta", "network:2001:db8:b::/48" },
		{ "gamma", "fingerprint:" FP20 },
		{ "gamma", "domain:gamma.test" },
		{ "gamma", "network:192.0.2.128/25" },	/* inside acme's: acme was first */
	};
	struct customers *c = customers_new();
	const char *e = NULL, *owner = NULL;

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (customers_add_entry(c, entries[i][0], entries[i][1], &e, &owner) != 0)
			fail_msg("%s %s: %s", entries[i][0], entries[i][1], e);
	return c;
}

static const struct lookup_case {
	const char *what;
	struct rw_txn t;
	const char *id;		/* NULL: none */
	const char *via;
} lookup_cases[] = {
	{ "nothing", { .client_address = "198.51.100.1" }, NULL, NULL },
	{ "user, any case", { .sasl_username = "ALICE@example.test" }, "acme", "sasl_user" },
	{ "user beats cert", { .sasl_username = "alice@example.test",
			       .cert_pubkey_fingerprint = FP32 }, "acme", "sasl_user" },
	{ "unknown user falls through to the cert", { .sasl_username = "zed",
			       .cert_pubkey_fingerprint = FP32 }, "beta", "cert" },
	{ "pubkey beats whole cert", { .cert_fingerprint = FP20,
				       .cert_pubkey_fingerprint = FP32_LOWER }, "beta", "cert" },
	{ "whole cert", { .cert_fingerprint = "112233445566778899aabbccddeeff0011223344" },
	  "gamma", "cert" },
	{ "bad fingerprint is no match", { .cert_fingerprint = "zz",
					   .client_address = "192.0.2.9" }, "acme", "client_address" },
	{ "cert beats network", { .cert_fingerprint = FP20, .client_address = "192.0.2.9" },
	  "gamma", "cert" },
	{ "network", { .client_address = "192.0.2.9" }, "acme", "client_address" },
	{ "overlapping network: first added wins", { .client_address = "192.0.2.200" },
	  "acme", "client_address" },
	{ "v4-mapped network", { .client_address = "::ffff:192.0.2.9" }, "acme", "client_address" },
	{ "v6 network", { .client_address = "2001:db8:b:1::25" }, "beta", "client_address" },
	{ "network beats sender domain", { .client_address = "192.0.2.9",
					   .sender = "x@gamma.test" }, "acme", "client_address" },
	{ "sender domain", { .sender = "<Someone@ACME.test>" }, "acme", "sender_domain" },
	{ "sender domain, trailing dot", { .sender = "someone@gamma.test." }, "gamma",
	  "sender_domain" },
	{ "subdomain does not match", { .sender = "x@sub.acme.test" }, NULL, NULL },
	{ "null sender", { .sender = "" }, NULL, NULL },
	{ "unparsable sender", { .sender = "a@b@acme.test\"" }, NULL, NULL },
};

/* test_lookup - each case's customer and what matched */
static void test_lookup(void **state)
{
	struct customers *c = build();

	(void)state;
	assert_int_equal(customers_count(c), 3);
	assert_int_equal(customers_size(c), 9);
	for (size_t i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		const struct lookup_case *k = &lookup_cases[i];
		const char *via = "unset", *id = customers_lookup(c, &k->t, &via);

		if ((id == NULL) != (k->id == NULL) || (id != NULL && strcmp(id, k->id) != 0))
			fail_msg("case '%s': got %s", k->what, id ? id : "none");
		if (k->via == NULL)
			assert_null(via);
		else
			assert_string_equal(via, k->via);
	}
	customers_free(&c);
	assert_null(c);
}

/* test_conflicts - one identity, one customer; adding it again to the same is fine */
static void test_conflicts(void **state)
{
	struct customers *c = build();
	const char *e = NULL, *owner = NULL;

	(void)state;
	assert_int_equal(customers_add(c, "acme", CUSTOMER_USER, "ALICE@EXAMPLE.TEST", &e, &owner), 0);
	assert_int_equal(customers_add_entry(c, "acme", "network:192.0.2.0/24", &e, &owner), 0);
	assert_int_equal(customers_size(c), 9);
	assert_int_equal(customers_add(c, "beta", CUSTOMER_USER, "alice@example.test", &e, &owner),
			 -1);
	assert_string_equal(owner, "acme");
	owner = NULL;
	assert_int_equal(customers_add_entry(c, "acme", "fingerprint:" FP32, &e, &owner), -1);
	assert_string_equal(owner, "beta");
	owner = NULL;
	assert_int_equal(customers_add_entry(c, "beta", "domain:acme.test", &e, &owner), -1);
	assert_string_equal(owner, "acme");
	owner = NULL;
	assert_int_equal(customers_add_entry(c, "beta", "network:192.0.2.0/24", &e, &owner), -1);
	assert_string_equal(owner, "acme");
	customers_free(&c);
}

static const struct bad_case {
	const char *id;
	const char *entry;
	const char *error;	/* contains */
} bad_cases[] = {
	{ "", "user:a", "customer id" },
	{ "a{b}", "user:a", "customer id" },
	{ "a:b", "user:a", "customer id" },
	{ "-", "user:a", "customer id" },
	{ ".x", "user:a", "customer id" },
	{ "x1234567890123456789012345678901234567890123456789012345678901234", "user:a",
	  "customer id" },
	{ "ok", "user:", "bad user" },
	{ "ok", "user:a\tb", "bad user" },
	{ "ok", "mail:a@b", "expected user:" },
	{ "ok", "alice", "expected user:" },
	{ "ok", "network:192.0.2.1/24", "host" },
	{ "ok", "network:nonsense", "" },
	{ "ok", "fingerprint:AB:CD", "" },
	{ "ok", "domain:a..b", "bad domain" },
	{ "ok", "domain:exa mple.test", "bad domain" },
	{ "ok", "domain:", "bad domain" },
};

/* test_bad - bad ids and entries are refused with a message */
static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct customers *c = customers_new();
		const char *e = NULL, *owner = NULL;

		if (customers_add_entry(c, bad_cases[i].id, bad_cases[i].entry, &e, &owner) != -1)
			fail_msg("'%s' '%s' accepted", bad_cases[i].id, bad_cases[i].entry);
		assert_non_null(e);
		if (strstr(e, bad_cases[i].error) == NULL)
			fail_msg("'%s' '%s': message '%s'", bad_cases[i].id, bad_cases[i].entry, e);
		assert_null(owner);
		assert_int_equal(customers_size(c), 0);
		customers_free(&c);
	}
}

/* test_ids - good ids */
static void test_ids(void **state)
{
	const char *e = NULL;

	(void)state;
	assert_int_equal(customers_id_check("acme", &e), 0);
	assert_int_equal(customers_id_check("Acme_Corp.eu-1", &e), 0);
	assert_int_equal(customers_id_check("0", &e), 0);
	assert_int_equal(customers_id_check("x123456789012345678901234567890123456789012345678901"
					    "234567890123", &e), 0);
}

/* test_empty - an empty map finds nothing */
static void test_empty(void **state)
{
	struct customers *c = customers_new();
	struct rw_txn t = { .sasl_username = "alice", .client_address = "192.0.2.1",
			    .sender = "a@b.test" };
	const char *via = "unset";

	(void)state;
	assert_null(customers_lookup(c, &t, &via));
	assert_null(via);
	assert_int_equal(customers_count(c), 0);
	customers_free(&c);
	customers_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
