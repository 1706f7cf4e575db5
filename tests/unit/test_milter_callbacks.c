/*
 * test_milter_callbacks - the milter's callbacks driven through a fake
 * libmilter (tests/unit/milter_fake.c): negotiation, relay decisions from
 * Postfix- and Sendmail-style macros with the replies set, limits peeked at
 * RCPT and charged once at EOM with the counted size (local store: no
 * redis section), charge_at = policyd, audit records, reply escaping.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "milter/callbacks.h"
#include "milter/engine.h"
#include "milter/state.h"
#include "tests/unit/config_tdir.h"
#include "tests/unit/milter_fake.h"

#define BASE_CONF \
	"instance = \"test\"\n" \
	"local_domains = { \"example.test\" }\n" \
	"sender_login \"alice@example.test\" { senders = { \"alice@example.test\" } }\n" \
	"relay \"submission\" { type = sasl }\n" \
	"relay \"office\" { type = network\n networks = { \"192.0.2.0/24\" } }\n" \
	"relay \"partner-cn\" { type = certificate\n subject = \"mx.partner.test\"\n" \
	" issuer = \"Partner Test CA\" }\n" \
	"relay \"partner-dn\" { type = certificate\n" \
	" subject = \"/C=DE/O=Partner GmbH/CN=mx.partner.test\"\n" \
	" issuer = \"/C=DE/O=Partner GmbH/CN=Partner CA\" }\n" \
	"relay \"pinned\" { type = certificate\n" \
	" fingerprints = { \"0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\" } }\n" \
	"audit { file = \"audit.jsonl\"\n syslog = false }\n" \
	"log { target = stderr }\n"

static struct tdir dir;
static struct smfiDesc desc;

/* start - write the config, make it current */
static void start(const char *extra)
{
	struct buf text = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
	struct tfile files[1];
	struct rw_config *cfg;

	buf_printf(&text, "%s%s", BASE_CONF, extra);
	files[0] = (struct tfile){ "relaywarden.conf", text.data };
	tdir_make(&dir, files, 1);
	buf_printf(&path, "%s/audit.jsonl", dir.path);
	strvec_add(&dir.files, path.data);	/* removed with the directory */
	cfg = config_load(dir.files.v[0], &err);
	if (cfg == NULL)
		fail_msg("config: %s", buf_cstr(&err));
	assert_int_equal(state_start(dir.files.v[0], cfg, &err), 0);
	callbacks_init(&fake_ops);
	desc = callbacks_desc();
	buf_release(&text);
	buf_release(&err);
	buf_release(&path);
}

/* stop - drop the state and the files */
static void stop(void)
{
	state_stop();
	tdir_remove(&dir);
}

/* audit_lines - records written so far, and how many say component milter */
static size_t audit_lines(size_t *milter)
{
	FILE *f = fopen(dir.files.v[1], "r");
	char line[8192];
	size_t n = 0;

	*milter = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		*milter += strstr(line, "\"component\":\"milter\"") != NULL;
	}
	fclose(f);
	return n;
}

/* conn - connect from ip (IPv4) with the macros in fc */
static void conn(struct fake_ctx *fc, const char *ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(desc.xxfi_connect(fake_smfi(fc), (char *)"client.test",
					   (struct sockaddr *)&sin), SMFIS_CONTINUE);
	assert_int_equal(desc.xxfi_helo(fake_smfi(fc), (char *)"client.test"), SMFIS_CONTINUE);
}

/* mail - MAIL FROM */
static void mail(struct fake_ctx *fc, const char *sender)
{
	char *argv[] = { (char *)sender, (char *)"SIZE=100", NULL };

	assert_int_equal(desc.xxfi_envfrom(fake_smfi(fc), argv), SMFIS_CONTINUE);
}

/* rcpt - RCPT TO; the callback's status */
static sfsistat rcpt(struct fake_ctx *fc, const char *r)
{
	char *argv[] = { (char *)r, NULL };

	return desc.xxfi_envrcpt(fake_smfi(fc), argv);
}

/* message - headers and a body of body_len bytes, then EOM; EOM's status */
static sfsistat message(struct fake_ctx *fc, size_t body_len)
{
	unsigned char *body = calloc(1, body_len + 1);
	sfsistat rc;

	assert_non_null(body);
	memset(body, 'x', body_len);

	assert_int_equal(desc.xxfi_header(fake_smfi(fc), (char *)"Subject", (char *)"hi"),
			 SMFIS_CONTINUE);
	assert_int_equal(desc.xxfi_eoh(fake_smfi(fc)), SMFIS_CONTINUE);
	if (body_len > 0)
		assert_int_equal(desc.xxfi_body(fake_smfi(fc), body, body_len), SMFIS_CONTINUE);
	free(body);
	rc = desc.xxfi_eom(fake_smfi(fc));
	return rc;
}

/* bye - close the connection and free the fake */
static void bye(struct fake_ctx *fc)
{
	assert_int_equal(desc.xxfi_close(fake_smfi(fc)), SMFIS_CONTINUE);
	assert_null(fc->priv);
	fake_release(fc);
}

/* relay cases: macros, client, sender, recipient -> status and reply */
struct rcase {
	const char *name;
	const char *macros[24];
	const char *ip, *sender, *rcpt;
	sfsistat want;
	const char *reply;	/* expected prefix of "CODE XCODE TEXT", NULL: no reply */
};

static const struct rcase rcases[] = {
	{ "office network relays", { NULL }, "192.0.2.10", "<x@office.test>",
	  "<bob@remote.test>", SMFIS_CONTINUE, NULL },
	{ "stranger refused", { NULL }, "198.51.100.7", "<x@stranger.test>",
	  "<bob@remote.test>", SMFIS_REJECT, "554 5.7.1 <bob@remote.test>: Relay access denied" },
	{ "stranger to a local domain", { NULL }, "198.51.100.7", "<x@stranger.test>",
	  "<carol@example.test>", SMFIS_CONTINUE, NULL },
	{ "relay trick refused, % doubled", { NULL }, "192.0.2.10", "<x@office.test>",
	  "<a%b@remote.test>", SMFIS_REJECT, "554 5.7.1 <a%%b@remote.test>" },
	{ "sasl owner", { "{auth_authen}", "alice@example.test", "{auth_type}", "PLAIN", NULL },
	  "198.51.100.7", "<alice@example.test>", "<bob@remote.test>", SMFIS_CONTINUE, NULL },
	{ "sasl forged sender", { "{auth_authen}", "alice@example.test", NULL }, "198.51.100.7",
	  "<ceo@example.test>", "<bob@remote.test>", SMFIS_REJECT, "553 5.7.1" },
	{ "postfix verified CN", { "v", "Postfix 3.7.11", "{cert_subject}", "mx.partner.test",
	  "{cert_issuer}", "Partner Test CA", "{tls_version}", "TLSv1.3", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_CONTINUE, NULL },
	{ "postfix: any other verified CN is not enough", { "v", "Postfix 3.7.11",
	  "{cert_subject}", "mx.other.test", "{cert_issuer}", "Partner Test CA", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_REJECT, "554 5.7.1" },
	{ "CN without Postfix or {verify} is not verified", { "{cert_subject}",
	  "mx.partner.test", "{cert_issuer}", "Partner Test CA", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_REJECT, "554 5.7.1" },
	{ "sendmail verified DN", { "v", "8.17.1", "{verify}", "OK", "{cert_subject}",
	  "/C=DE/O=Partner+20GmbH/CN=mx.partner.test", "{cert_issuer}",
	  "/C=DE/O=Partner+20GmbH/CN=Partner+20CA", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_CONTINUE, NULL },
	{ "sendmail DN, verify FAIL", { "{verify}", "FAIL", "{cert_subject}",
	  "/C=DE/O=Partner+20GmbH/CN=mx.partner.test", "{cert_issuer}",
	  "/C=DE/O=Partner+20GmbH/CN=Partner+20CA", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_REJECT, "554 5.7.1" },
	{ "sendmail pinned cert_md5 (no CA needed)", { "{verify}", "FAIL", "{cert_md5}",
	  "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_CONTINUE, NULL },
	{ "sendmail other cert_md5", { "{cert_md5}",
	  "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:00", NULL },
	  "198.51.100.7", "<x@partner.test>", "<bob@remote.test>", SMFIS_REJECT, "554 5.7.1" },
};

/* test_relay - each case over a fresh connection; one audit record per decision */
static void test_relay(void **state)
{
	size_t n, milter;

	(void)state;
	start("");
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		struct fake_ctx fc = { .macros = c->macros };
		sfsistat rc;

		conn(&fc, c->ip);
		mail(&fc, c->sender);
		rc = rcpt(&fc, c->rcpt);
		if (rc != c->want)
			fail_msg("%s: status %d, want %d (%s)", c->name, rc, c->want,
				 buf_cstr(&fc.reply));
		if (c->reply == NULL && fc.replies != 0)
			fail_msg("%s: unexpected reply %s", c->name, buf_cstr(&fc.reply));
		if (c->reply != NULL && strncmp(buf_cstr(&fc.reply), c->reply, strlen(c->reply)))
			fail_msg("%s: reply '%s', want '%s'", c->name, buf_cstr(&fc.reply), c->reply);
		bye(&fc);
	}
	n = audit_lines(&milter);
	assert_int_equal(n, sizeof(rcases) / sizeof(rcases[0]));
	assert_int_equal(milter, n);
	stop();
}

/* test_limits_once - peek at RCPT, charge once per message at EOM */
static void test_limits_once(void **state)
{
	struct fake_ctx fc = { 0 };
	size_t n, milter;

	(void)state;
	start("charge_at = milter\n"
	      "limit \"per-client\" { charge = client_address\n unit = messages\n"
	      " rate = \"2/1h\"\n on_store_failure = local }\n"
	      "quota \"rcpt-day\" { charge = client_address\n window = day\n recipients = 3\n"
	      " on_store_failure = local }\n");
	conn(&fc, "192.0.2.10");
	mail(&fc, "<a@office.test>");		/* message 1: two recipients */
	assert_int_equal(rcpt(&fc, "<b1@remote.test>"), SMFIS_CONTINUE);
	assert_int_equal(rcpt(&fc, "<b2@remote.test>"), SMFIS_CONTINUE);
	assert_int_equal(message(&fc, 10), SMFIS_CONTINUE);
	mail(&fc, "<a@office.test>");		/* message 2: one, recipients now 3 of 3 */
	assert_int_equal(rcpt(&fc, "<b3@remote.test>"), SMFIS_CONTINUE);
	assert_int_equal(message(&fc, 10), SMFIS_CONTINUE);
	assert_int_equal(fc.replies, 0);
	mail(&fc, "<a@office.test>");		/* message 3: the peek refuses */
	assert_int_equal(rcpt(&fc, "<b4@remote.test>"), SMFIS_TEMPFAIL);
	assert_non_null(strstr(buf_cstr(&fc.reply), "450 4.7.1 "));
	assert_non_null(strstr(buf_cstr(&fc.reply), "\"per-client\" exceeded for client_address "
				"192.0.2.10: 2 messages per"));
	assert_int_equal(desc.xxfi_abort(fake_smfi(&fc)), SMFIS_CONTINUE);
	bye(&fc);
	n = audit_lines(&milter);
	assert_int_equal(n, 6);		/* 4 RCPT + 2 EOM: one per decision */
	assert_int_equal(milter, 6);
	stop();
}

/* test_charge_at_policyd - the milter only peeks: nothing is ever charged */
static void test_charge_at_policyd(void **state)
{
	struct fake_ctx fc = { 0 };

	(void)state;
	start("limit \"per-client\" { charge = client_address\n unit = messages\n"
	      " rate = \"1/1h\"\n on_store_failure = local }\n");
	conn(&fc, "192.0.2.10");
	for (int i = 0; i < 4; i++) {
		mail(&fc, "<a@office.test>");
		assert_int_equal(rcpt(&fc, "<b@remote.test>"), SMFIS_CONTINUE);
		assert_int_equal(message(&fc, 10), SMFIS_CONTINUE);
	}
	assert_int_equal(fc.replies, 0);
	bye(&fc);
	stop();
}

/* test_size_counted - header and body bytes reach the bytes quota at EOM */
static void test_size_counted(void **state)
{
	struct fake_ctx fc = { 0 };

	(void)state;
	start("charge_at = milter\n"
	      "quota \"bytes-day\" { charge = client_address\n window = day\n bytes = 1000\n"
	      " on_store_failure = local }\n");
	conn(&fc, "192.0.2.10");
	mail(&fc, "<a@office.test>");
	assert_int_equal(rcpt(&fc, "<b@remote.test>"), SMFIS_CONTINUE);
	assert_int_equal(message(&fc, 600), SMFIS_CONTINUE);	/* 613 bytes */
	mail(&fc, "<a@office.test>");
	assert_int_equal(rcpt(&fc, "<b@remote.test>"), SMFIS_CONTINUE);	/* 1 byte fits */
	assert_int_equal(message(&fc, 600), SMFIS_TEMPFAIL);
	assert_non_null(strstr(buf_cstr(&fc.reply), "450 4.7.1 Quota \"bytes-day\""));
	mail(&fc, "<a@office.test>");
	assert_int_equal(rcpt(&fc, "<b@remote.test>"), SMFIS_CONTINUE);
	assert_int_equal(message(&fc, 2000), SMFIS_REJECT);	/* can never fit */
	assert_non_null(strstr(buf_cstr(&fc.reply), "552 5.3.4 "));
	bye(&fc);
	stop();
}

/* negotiate - run xxfi_negotiate with everything offered (or not SETSYMLIST) */
static unsigned long negotiate(struct fake_ctx *fc, int symlist)
{
	unsigned long f0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | (symlist ? SMFIF_SETSYMLIST : 0);
	unsigned long f1 = 0x1fffff, p0 = 0, p1 = 0, p2 = 1, p3 = 1;

	assert_int_equal(desc.xxfi_negotiate(fake_smfi(fc), f0, f1, 0, 0, &p0, &p1, &p2, &p3),
			 SMFIS_CONTINUE);
	assert_int_equal(p2, 0);
	assert_int_equal(p3, 0);
	assert_int_equal(p0 & ~f0, 0);
	assert_int_equal(!!(p0 & SMFIF_SETSYMLIST), symlist);
	return p1;
}

/* test_negotiate - body and headers only when a bytes limit is charged here */
static void test_negotiate(void **state)
{
	unsigned long want_off = SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN |
				 SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL;
	struct fake_ctx fc = { 0 }, fc2 = { 0 }, fc3 = { 0 };
	unsigned long p1;

	(void)state;
	start("");
	p1 = negotiate(&fc, 1);
	assert_int_equal(p1 & want_off, want_off);
	assert_int_equal(p1 & SMFIP_NR_RCPT, 0);	/* RCPT and EOM answer */
	assert_int_equal(fc.symlists.n, 5);
	assert_non_null(strstr(fc.symlists.v[1], "{cert_md5}"));
	assert_non_null(strstr(fc.symlists.v[1], "{verify}"));
	assert_non_null(strstr(fc.symlists.v[0], "{daemon_port}"));
	assert_non_null(strstr(fc.symlists.v[2], "{auth_authen}"));
	/* with NR_CONN agreed, connect answers NOREPLY */
	{
		struct sockaddr_in sin = { .sin_family = AF_INET };

		inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
		assert_int_equal(desc.xxfi_connect(fake_smfi(&fc), (char *)"h",
						   (struct sockaddr *)&sin), SMFIS_NOREPLY);
	}
	bye(&fc);
	p1 = negotiate(&fc2, 0);
	assert_int_equal(fc2.symlists.n, 0);
	bye(&fc2);
	stop();
	start("charge_at = milter\n"
	      "quota \"bytes-day\" { charge = client_address\n window = day\n bytes = 1M\n"
	      " on_store_failure = local }\n");
	p1 = negotiate(&fc3, 1);
	assert_int_equal(p1 & (SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH), 0);
	assert_int_equal(p1 & SMFIP_NR_BODY, SMFIP_NR_BODY);
	bye(&fc3);
	stop();
}

/* test_reply_text - % doubled, control characters masked, length capped */
static void test_reply_text(void **state)
{
	struct rw_verdict v = VERDICT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	verdict_set(&v, ACT_REJECT, 554, "5.7.1", "100%% <a\tb>");
	engine_reply_text(&v, &out);
	assert_string_equal(buf_cstr(&out), "100%% <a?b>");
	buf_truncate(&out, 0);
	verdict_set(&v, ACT_REJECT, 554, "5.7.1", "%2000d", 1);
	engine_reply_text(&v, &out);
	assert_true(out.len < 980);
	verdict_release(&v);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_limits_once),
		cmocka_unit_test(test_charge_at_policyd),
		cmocka_unit_test(test_size_counted),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_reply_text),
	};

	(void)load_text;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
