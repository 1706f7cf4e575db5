/*
 * test_config_milter - the milter section of relaywarden.conf: defaults,
 * accepted and refused listen addresses (with file:line messages), ranges,
 * and the effective settings check-config prints.
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

/* test_defaults - no milter section: loopback inet socket, 0660, 300 s */
static void test_defaults(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text("local_domains = { \"example.test\" }\n", NULL, &err);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->milter.listen, "inet:10041@127.0.0.1");
	assert_int_equal(c->milter.socket_mode, 0660);
	assert_int_equal(c->milter.mta_timeout, 300);
	config_unref(&c);
	buf_release(&err);
}

static const struct good {
	const char *listen;
} goods[] = {
	{ "inet:8891@127.0.0.1" },
	{ "inet:1@localhost" },
	{ "inet:65535@mx1.example.test" },
	{ "inet6:8891@::1" },
	{ "unix:/run/relaywarden/milter.sock" },
	{ "local:/var/spool/postfix/relaywarden/milter" },
};

/* test_listen_good - every accepted form is kept as written */
static void test_listen_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		struct buf text = BUF_INIT, err = BUF_INIT;
		struct rw_config *c;

		buf_printf(&text, "milter {\n\tlisten = \"%s\"\n\tsocket_mode = \"0600\"\n"
			   "\tmta_timeout = 60\n}\n", goods[i].listen);
		c = load_text(text.data, NULL, &err);
		if (c == NULL)
			fail_msg("%s: %s", goods[i].listen, buf_cstr(&err));
		assert_string_equal(c->milter.listen, goods[i].listen);
		assert_int_equal(c->milter.socket_mode, 0600);
		assert_int_equal(c->milter.mta_timeout, 60);
		config_unref(&c);
		buf_release(&text);
		buf_release(&err);
	}
}

static const struct bad {
	const char *text;
	const char *want;	/* the whole message starts with this */
	const char *also;	/* and contains this */
} bads[] = {
	{ "milter {\n\tlisten = \"inet:8891\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter: bad listen address 'inet:8891'",
	  "PORT@HOST" },
	{ "milter {\n\tlisten = \"inet:0@127.0.0.1\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter: bad listen address", "1-65535" },
	{ "milter {\n\n\tlisten = \"inet:70000@127.0.0.1\"\n}\n",
	  "relaywarden.conf:3: option 'listen' in milter", "1-65535" },
	{ "milter {\n\tlisten = \"inet6:8891@127.0.0.1\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter", "IPv6" },
	{ "milter {\n\tlisten = \"unix:run/m.sock\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter", "absolute" },
	{ "milter {\n\tlisten = \"inet:127.0.0.1:8891\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter", "PORT@HOST" },
	{ "milter {\n\tlisten = \"tcp:8891@127.0.0.1\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter", "unix:/PATH" },
	{ "milter {\n\tlisten = \"inet:8891@bad host\"\n}\n",
	  "relaywarden.conf:2: option 'listen' in milter", "white space" },
	{ "milter {\n\tsocket_mode = \"0999\"\n}\n",
	  "relaywarden.conf:2: option 'socket_mode' in milter: '0999'", "octal" },
	{ "milter {\n\tmta_timeout = 0\n}\n",
	  "relaywarden.conf:2: option 'mta_timeout' in milter: 0 is out of range 1-86400", NULL },
	{ "milter {\n\tlisten_on = \"x\"\n}\n",
	  "relaywarden.conf:2: option 'listen_on' in milter: unknown option", NULL },
};

/* test_listen_bad - refused, naming file, line, option and the fix */
static void test_listen_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct buf err = BUF_INIT;
		struct rw_config *c = load_text(bads[i].text, NULL, &err);

		if (c != NULL)
			fail_msg("accepted: %s", bads[i].text);
		if (strncmp(buf_cstr(&err), bads[i].want, strlen(bads[i].want)) != 0 ||
		    (bads[i].also != NULL && strstr(buf_cstr(&err), bads[i].also) == NULL))
			fail_msg("case %zu: got '%s', want '%s' ... '%s'", i, buf_cstr(&err),
				 bads[i].want, bads[i].also ? bads[i].also : "");
		buf_release(&err);
	}
}

/* test_dump - check-config shows the effective milter section, and it loads again */
static void test_dump(void **state)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct rw_config *c = load_text("milter {\n\tlisten = \"unix:/run/rw/m.sock\"\n"
					 "\tsocket_mode = \"0640\"\n}\n", NULL, &err);
	struct rw_config *again;

	(void)state;
	assert_non_null(c);
	config_dump(c, &out);
	assert_non_null(strstr(buf_cstr(&out), "milter {\n\tlisten = \"unix:/run/rw/m.sock\"\n"
				  "\tsocket_mode = \"0640\"\n\tmta_timeout = 300\n"
				  "\tmetrics = \"\"  # no metrics endpoint\n}\n"));
	again = load_text(buf_cstr(&out), NULL, &err);
	if (again == NULL)
		fail_msg("the dump does not load: %s", buf_cstr(&err));
	assert_string_equal(again->milter.listen, "unix:/run/rw/m.sock");
	assert_int_equal(again->milter.socket_mode, 0640);
	config_unref(&again);
	config_unref(&c);
	buf_release(&out);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_listen_good),
		cmocka_unit_test(test_listen_bad),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
