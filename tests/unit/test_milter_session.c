/*
 * test_milter_session - MTA macros to the engine's txn: Postfix-style
 * (CNs, no {verify}, v = "Postfix ...") and Sendmail-style (xtext DNs,
 * {verify}, {cert_md5}), the client address fallback, ports, envelope
 * argument copies and xtext decoding. Table-driven.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "milter/session.h"

struct mcase {
	const char *name;
	const char *macros[40];		/* name, value, ..., NULL */
	const char *hostaddr;		/* from the connect callback */
	/* expected */
	const char *client_address, *listener;
	unsigned port;
	const char *tls, *subject, *issuer, *fingerprint, *user, *method, *queue_id;
	int verified;
};

static const struct mcase cases[] = {
	{ "postfix verified CN", { "v", "Postfix 3.7.11", "{daemon_name}", "submission",
	  "{daemon_port}", "587", "{client_addr}", "192.0.2.7", "{tls_version}", "TLSv1.3",
	  "{cipher}", "TLS_AES_256_GCM_SHA384", "{cert_subject}", "mx.partner.test",
	  "{cert_issuer}", "Partner Test CA", "i", "4XyZ1", NULL }, "10.9.9.9",
	  "192.0.2.7", "submission", 587, "TLSv1.3", "mx.partner.test", "Partner Test CA",
	  NULL, NULL, NULL, "4XyZ1", 1 },
	{ "postfix no cert", { "v", "Postfix 3.7.11", "{auth_authen}", "alice@example.test",
	  "{auth_type}", "PLAIN", NULL }, "192.0.2.8",
	  "192.0.2.8", NULL, 0, NULL, NULL, NULL, NULL, "alice@example.test", "PLAIN", NULL, 0 },
	{ "postfix plus signs stay", { "v", "Postfix 3.8", "{cert_subject}", "a+20b",
	  "{cert_issuer}", "CA", NULL }, NULL,
	  NULL, NULL, 0, NULL, "a+20b", "CA", NULL, NULL, NULL, NULL, 1 },
	{ "unknown MTA without verify: not verified", { "{cert_subject}", "mx.partner.test",
	  "{cert_issuer}", "Partner Test CA", NULL }, "192.0.2.9",
	  "192.0.2.9", NULL, 0, NULL, "mx.partner.test", "Partner Test CA", NULL, NULL, NULL,
	  NULL, 0 },
	{ "sendmail verified DN", { "v", "8.17.1", "{daemon_name}", "MSA", "{daemon_port}", "587",
	  "{verify}", "OK", "{cert_subject}", "/C=DE/O=Partner+20GmbH/CN=mx.partner.test",
	  "{cert_issuer}", "/C=DE/O=Partner+20GmbH/CN=Partner+20CA", "{cert_md5}",
	  "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9", "i", "5AB2Ckq1", NULL },
	  "198.51.100.4", "198.51.100.4", "MSA", 587, NULL,
	  "/C=DE/O=Partner GmbH/CN=mx.partner.test", "/C=DE/O=Partner GmbH/CN=Partner CA",
	  "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9", NULL, NULL, "5AB2Ckq1", 1 },
	{ "sendmail verify FAIL", { "{verify}", "FAIL", "{cert_subject}", "/CN=x",
	  "{cert_issuer}", "/CN=y", "{cert_md5}", "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
	  NULL }, NULL, NULL, NULL, 0, NULL, "/CN=x", "/CN=y",
	  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", NULL, NULL, NULL, 0 },
	{ "sendmail verify NO, postfix-looking v ignored for verify", { "v", "Postfix 3.7",
	  "{verify}", "NO", "{cert_subject}", "mx", "{cert_issuer}", "ca", NULL }, NULL,
	  NULL, NULL, 0, NULL, "mx", "ca", NULL, NULL, NULL, NULL, 0 },
	{ "sendmail bad xtext DN dropped", { "{verify}", "OK", "{cert_subject}", "/CN=a+0Ab",
	  "{cert_issuer}", "/CN=ca+ZZ", NULL }, NULL,
	  NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1 },
	{ "cert_fp preferred over cert_md5", { "{cert_md5}", "00:11", "{cert_fp}", "AA:BB", NULL },
	  NULL, NULL, NULL, 0, NULL, NULL, NULL, "AA:BB", NULL, NULL, NULL, 0 },
	{ "empty client_addr falls back", { "{client_addr}", "", "{daemon_port}", "99999", NULL },
	  "2001:db8::1", "2001:db8::1", NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "port with junk", { "{daemon_port}", "25x", NULL }, NULL,
	  NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};

/* getsym - answer from the case's macro list */
static char *getsym(void *ctx, char *name)
{
	const char *const *m = ctx;

	for (size_t i = 0; m[i] != NULL; i += 2)
		if (strcmp(m[i], name) == 0)
			return (char *)m[i + 1];
	return NULL;
}

/* check_str - equal, NULL and "" both meaning absent */
static void check_str(const char *what, const char *caze, const char *got, const char *want)
{
	if (!txn_has(got) && !txn_has(want))
		return;
	if (!txn_has(got) || !txn_has(want) || strcmp(got, want) != 0)
		fail_msg("%s: %s: got '%s', want '%s'", caze, what, got ? got : "(null)",
			 want ? want : "(null)");
}

/* test_macro_table - every case maps as expected */
static void test_macro_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];
		struct session *s = session_new();
		struct rw_txn t;

		session_set(&s->client_hostaddr, c->hostaddr);
		s->msg.active = 1;
		session_macros(s, getsym, (void *)c->macros);
		session_txn(s, STAGE_RCPT, "bob@remote.test", &t);
		check_str("client_address", c->name, t.client_address, c->client_address);
		check_str("listener", c->name, t.listener, c->listener);
		assert_int_equal(t.server_port, c->port);
		check_str("tls", c->name, t.tls_protocol, c->tls);
		check_str("subject", c->name, t.cert_subject, c->subject);
		check_str("issuer", c->name, t.cert_issuer, c->issuer);
		check_str("fingerprint", c->name, t.cert_fingerprint, c->fingerprint);
		check_str("user", c->name, t.sasl_username, c->user);
		check_str("method", c->name, t.sasl_method, c->method);
		check_str("queue_id", c->name, t.queue_id, c->queue_id);
		if (t.cert_verified != c->verified)
			fail_msg("%s: verified %d, want %d", c->name, t.cert_verified, c->verified);
		assert_int_equal(t.stage, STAGE_RCPT);
		assert_string_equal(t.recipient, "bob@remote.test");
		session_free(&s);
		assert_null(s);
	}
}

/* test_macros_persist - a macro sent once stays; a later value replaces it */
static void test_macros_persist(void **state)
{
	const char *first[] = { "{auth_authen}", "alice", "{daemon_name}", "smtpd", NULL };
	const char *later[] = { "{daemon_name}", "submission", NULL };
	struct session *s = session_new();
	struct rw_txn t;

	(void)state;
	session_macros(s, getsym, first);
	session_macros(s, getsym, later);
	session_txn(s, STAGE_RCPT, NULL, &t);
	assert_string_equal(t.sasl_username, "alice");
	assert_string_equal(t.listener, "submission");
	session_free(&s);
}

/* test_queue_id_per_message - i is kept only for an active message */
static void test_queue_id_per_message(void **state)
{
	const char *m[] = { "i", "QID1", NULL };
	struct session *s = session_new();

	(void)state;
	session_macros(s, getsym, m);
	assert_null(s->msg.queue_id);
	s->msg.active = 1;
	session_macros(s, getsym, m);
	assert_string_equal(s->msg.queue_id, "QID1");
	strvec_add(&s->msg.rcpts, "a@b");
	s->msg.size = 10;
	session_msg_reset(s);
	assert_null(s->msg.queue_id);
	assert_int_equal(s->msg.rcpts.n, 0);
	assert_int_equal(s->msg.size, 0);
	assert_int_equal(s->msg.active, 0);
	session_free(&s);
}

/* test_addr - envelope arguments lose one pair of angle brackets */
static void test_addr(void **state)
{
	static const char *const tab[][2] = {
		{ "<alice@example.test>", "alice@example.test" },
		{ "<>", "" },
		{ "bare@example.test", "bare@example.test" },
		{ "<<x@y>>", "<x@y>" },
		{ "<", "<" },
	};
	char *f = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		session_addr(&f, tab[i][0]);
		assert_string_equal(f, tab[i][1]);
	}
	session_addr(&f, NULL);
	assert_string_equal(f, "");
	free(f);
}

/* test_xtext - RFC 3461 decoding, control characters refused */
static void test_xtext(void **state)
{
	static const char *const tab[][2] = {
		{ "plain", "plain" },
		{ "a+20b", "a b" },
		{ "+2B+3D", "+=" },
		{ "x+4a", "xJ" },
		{ "bad+2", NULL },
		{ "bad+G0", NULL },
		{ "nul+00", NULL },
		{ "nl+0A", NULL },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		char *d = session_xtext(tab[i][0]);

		if (tab[i][1] == NULL)
			assert_null(d);
		else
			assert_string_equal(d, tab[i][1]);
		free(d);
	}
}

/* test_eom_counts - at EOM the txn carries the accepted recipients and size */
static void test_eom_counts(void **state)
{
	struct session *s = session_new();
	struct rw_txn t;

	(void)state;
	s->msg.active = 1;
	session_addr(&s->msg.sender, "<alice@example.test>");
	strvec_add(&s->msg.rcpts, "a@remote.test");
	strvec_add(&s->msg.rcpts, "b@remote.test");
	s->msg.size = 1234;
	session_txn(s, STAGE_EOM, NULL, &t);
	assert_int_equal(t.recipient_count, 2);
	assert_int_equal(t.size, 1234);
	assert_string_equal(t.sender, "alice@example.test");
	assert_null(t.recipient);
	session_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macro_table),
		cmocka_unit_test(test_macros_persist),
		cmocka_unit_test(test_queue_id_per_message),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_eom_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
