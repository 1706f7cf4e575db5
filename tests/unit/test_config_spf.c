/*
 * test_config_spf - the dns and spf sections of relaywarden.conf: defaults,
 * every mode keyword, accepted values, refused ones with their file:line
 * messages, and the effective settings check-config prints.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "tests/unit/config_tdir.h"

/* test_defaults - no sections: resolv.conf, 2000 ms, SPF off, 3000 ms budget */
static void test_defaults(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text("local_domains = { \"example.test\" }\n", NULL, &err);

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->dns.upstreams.n, 0);
	assert_int_equal(c->dns.timeout_ms, 2000);
	assert_int_equal(c->spf.inbound, MODE_OFF);
	assert_int_equal(c->spf.egress, MODE_OFF);
	assert_int_equal(c->spf.n_egress, 0);
	assert_int_equal(c->spf.budget_ms, 3000);
	assert_null(c->spf.receiver);
	config_unref(&c);
	buf_release(&err);
}

static const struct mode_case {
	const char *word;
	enum rw_mode mode;
} modes[] = {
	{ "off", MODE_OFF }, { "shadow", MODE_SHADOW }, { "tag", MODE_TAG },
	{ "defer", MODE_DEFER }, { "reject", MODE_ENFORCE },
};

/* test_full - every option set, each mode keyword in both directions */
static void test_full(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct buf text = BUF_INIT, err = BUF_INIT;
		struct rw_config *c;

		buf_printf(&text, "dns {\n\tupstreams = { \"127.0.0.1@5353\", \"::1\" }\n"
			   "\ttimeout_ms = 700\n}\nspf {\n\tinbound = %s\n\tegress = %s\n"
			   "\tegress_addresses = { \"192.0.2.10\", \"2001:DB8::10\" }\n"
			   "\tbudget_ms = 1500\n\treceiver = \"mx.example.test\"\n}\n",
			   modes[i].word, modes[i].word);
		c = load_text(text.data, NULL, &err);
		if (c == NULL)
			fail_msg("%s: %s", modes[i].word, buf_cstr(&err));
		assert_int_equal(c->spf.inbound, modes[i].mode);
		assert_int_equal(c->spf.egress, modes[i].mode);
		assert_int_equal(c->dns.upstreams.n, 2);
		assert_string_equal(c->dns.upstreams.v[0], "127.0.0.1@5353");
		assert_int_equal(c->dns.timeout_ms, 700);
		assert_int_equal(c->spf.n_egress, 2);
		assert_int_equal(c->spf.egress_addresses[0].family, 4);
		assert_int_equal(c->spf.egress_addresses[1].family, 6);
		assert_int_equal(c->spf.egress_addresses[1].b[15], 0x10);
		assert_int_equal(c->spf.budget_ms, 1500);
		assert_string_equal(c->spf.receiver, "mx.example.test");
		config_unref(&c);
		buf_release(&text);
		buf_release(&err);
	}
}

static const struct bad {
	const char *text;
	const char *want;	/* the whole message starts with this */
} bads[] = {
	{ "spf {\n\tinbound = enforce\n}\n",
	  "relaywarden.conf:2: option 'inbound' in spf: 'enforce' is not one of: off, shadow, "
	  "tag, defer, reject" },
	{ "spf {\n\n\tegress = reject\n}\n",
	  "relaywarden.conf:3: option 'egress' in spf: 'reject' needs egress_addresses" },
	{ "spf {\n\tegress_addresses = { \"192.0.2.0/24\" }\n}\n",
	  "relaywarden.conf:2: option 'egress_addresses' in spf: '192.0.2.0/24': not an IPv4 or "
	  "IPv6 address" },
	{ "spf {\n\tegress_addresses = { \"192.0.2.1\",\n\t\t\"192.0.2.1\" }\n}\n",
	  "relaywarden.conf:3: option 'egress_addresses' in spf: '192.0.2.1' is listed twice" },
	{ "spf {\n\tbudget_ms = 50\n}\n",
	  "relaywarden.conf:2: option 'budget_ms' in spf: 50 is out of range 100-30000" },
	{ "spf {\n\treceiver = \"mx\\\"x\"\n}\n",
	  "relaywarden.conf:2: option 'receiver' in spf: 'mx\"x': not a host name" },
	{ "dns {\n\tupstreams = { \"resolver.example\" }\n}\n",
	  "relaywarden.conf:2: option 'upstreams' in dns: 'resolver.example': not IP or IP@PORT" },
	{ "dns {\n\tupstreams = { \"127.0.0.1@0\" }\n}\n",
	  "relaywarden.conf:2: option 'upstreams' in dns: '127.0.0.1@0': not IP or IP@PORT" },
	{ "dns {\n\tupstreams = { \"127.0.0.1@99999\" }\n}\n",
	  "relaywarden.conf:2: option 'upstreams' in dns: '127.0.0.1@99999'" },
	{ "dns {\n\ttimeout_ms = 0\n}\n",
	  "relaywarden.conf:2: option 'timeout_ms' in dns: 0 is out of range 1-5000" },
	{ "dns {\n\tresolv_conf = \"x\"\n}\n",
	  "relaywarden.conf:2: option 'resolv_conf' in dns: unknown option" },
};

/* test_bad - each refused with its file:line message */
static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct buf err = BUF_INIT;
		struct rw_config *c = load_text(bads[i].text, NULL, &err);

		if (c != NULL || strncmp(buf_cstr(&err), bads[i].want, strlen(bads[i].want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, buf_cstr(&err), bads[i].want);
		buf_release(&err);
	}
}

/* test_section - length of the dns and spf part of a dump */
static size_t test_section(const struct buf *b)
{
	const char *start = strstr(buf_cstr(b), "dns {"), *end = strstr(buf_cstr(b), "audit {");

	assert_non_null(start);
	assert_non_null(end);
	assert_true(end > start);
	return (size_t)(end - start);
}

/* test_dump - check-config shows the sections, and the dump loads back the same */
static void test_dump(void **state)
{
	static const char text[] =
		"dns {\n\tupstreams = { \"127.0.0.1@5353\" }\n}\n"
		"spf {\n\tinbound = shadow\n\tegress = tag\n"
		"\tegress_addresses = { \"2001:db8::10\" }\n\tbudget_ms = 2500\n}\n";
	struct buf err = BUF_INIT, out = BUF_INIT, again = BUF_INIT;
	struct rw_config *c = load_text(text, NULL, &err), *c2;

	(void)state;
	assert_non_null(c);
	config_dump(c, &out);
	assert_non_null(strstr(out.data, "dns {\n\tupstreams = { \"127.0.0.1@5353\" }\n"
				      "\ttimeout_ms = 2000\n}\n"));
	assert_non_null(strstr(out.data, "spf {\n\tinbound = shadow\n\tegress = tag\n"
				      "\tegress_addresses = { \"2001:db8::10\" }\n"
				      "\tbudget_ms = 2500\n"));
	c2 = load_text(out.data, NULL, &err);
	if (c2 == NULL)
		fail_msg("dump does not load: %s\n%s", buf_cstr(&err), out.data);
	config_dump(c2, &again);
	assert_int_equal(test_section(&out), test_section(&again));
	assert_memory_equal(strstr(out.data, "dns {"), strstr(again.data, "dns {"),
			    test_section(&out));
	config_unref(&c);
	config_unref(&c2);
	buf_release(&err);
	buf_release(&out);
	buf_release(&again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
