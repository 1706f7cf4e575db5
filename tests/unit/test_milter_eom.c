/*
 * test_milter_eom - the end-of-message message checks (milter/eom.c)
 * driven through the callbacks and a fake libmilter
 * (tests/unit/milter_fake.c): negotiation (headers, LEADSPC, header
 * actions only with a check on), a signed aligned message (DKIM vector
 * rfc8463/a3-signed, keys from its key file) gets Authentication-Results
 * inserted at index 0, a second From above the signed one
 * (derived/a2-from-prepended) is refused in enforce mode and accepted with
 * the finding audited in shadow mode, forged Authentication-Results with
 * our authserv-id are deleted (highest index first) and others kept.
 *
 * Vectors: ../shared/conformance/dkim or $RW_SHARED/conformance/dkim.
 * DNS (DMARC look-ups): a closed loopback port, so the look-ups fail fast;
 * the cases chosen do not depend on them (strict d= = From domain, a From
 * finding). SPF is off here (tests/milter/checks.lua covers it).
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
#include "milter/state.h"
#include "tests/unit/config_tdir.h"
#include "tests/unit/milter_fake.h"

#define BASE_CONF \
	"instance = \"test\"\n" \
	"local_domains = { \"example.test\" }\n" \
	"relay \"office\" { type = network\n networks = { \"192.0.2.0/24\" } }\n" \
	"dns { upstreams = { \"127.0.0.1@9\" }\n timeout_ms = 200 }\n" \
	"audit { file = \"audit.jsonl\"\n syslog = false }\n" \
	"log { target = stderr }\n"

static struct tdir dir;
static struct smfiDesc desc;
static char vdir[512];

/* start - write the config (BASE_CONF + extra), make it current */
static void start(const char *extra)
{
	struct buf text = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
	struct tfile files[1];
	struct rw_config *cfg;

	buf_printf(&text, "%s%s", BASE_CONF, extra);
	files[0] = (struct tfile){ "relaywarden.conf", text.data };
	tdir_make(&dir, files, 1);
	buf_printf(&path, "%s/audit.jsonl", dir.path);
	strvec_add(&dir.files, path.data);
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

/* start_checks - checks section with dkim and alignment in mode, keys of keyfile */
static void start_checks(const char *mode, const char *keyfile)
{
	struct buf extra = BUF_INIT;

	buf_printf(&extra, "checks {\n dkim = %s\n alignment = %s\n"
		   " authserv_id = \"mx.example.test\"\n dkim_key_file = \"%s/%s\"\n}\n",
		   mode, mode, vdir, keyfile);
	start(extra.data);
	buf_release(&extra);
}

/* assert_prefix - s begins with prefix */
static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not begin with '%s'", s, prefix);
}

/* stop - drop the state and the files */
static void stop(void)
{
	state_stop();
	tdir_remove(&dir);
}

/* audit_text - the whole audit file */
static void audit_text(struct buf *out)
{
	FILE *f = fopen(dir.files.v[1], "r");
	char tmp[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(out, tmp, n);
	fclose(f);
}

/* negotiate - everything offered; the agreed steps (actions into *p0) */
static unsigned long negotiate(struct fake_ctx *fc, unsigned long *p0)
{
	unsigned long p1 = 0, p2 = 0, p3 = 0;

	assert_int_equal(desc.xxfi_negotiate(fake_smfi(fc), SMFIF_ADDHDRS | SMFIF_CHGHDRS,
					     0x1fffff, 0, 0, p0, &p1, &p2, &p3), SMFIS_CONTINUE);
	return p1;
}

/* envelope - negotiate, connect from ip, MAIL, RCPT */
static void envelope(struct fake_ctx *fc, const char *ip, const char *sender, const char *rcpt)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char *from[] = { (char *)sender, NULL }, *to[] = { (char *)rcpt, NULL };
	unsigned long p0 = 0;

	negotiate(fc, &p0);
	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	desc.xxfi_connect(fake_smfi(fc), (char *)"client.test", (struct sockaddr *)&sin);
	desc.xxfi_helo(fake_smfi(fc), (char *)"client.test");
	desc.xxfi_envfrom(fake_smfi(fc), from);
	assert_int_equal(desc.xxfi_envrcpt(fake_smfi(fc), to), SMFIS_CONTINUE);
}

/* header - one field "Name: value" (LF folding) as an MTA with LEADSPC sends it */
static void header(struct fake_ctx *fc, const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);
	char *name, *value;

	assert_non_null(colon);
	name = strndup(field, (size_t)(colon - field));
	value = strndup(colon + 1, len - (size_t)(colon - field) - 1);
	assert_int_equal(desc.xxfi_header(fake_smfi(fc), name, value), SMFIS_NOREPLY);
	free(name);
	free(value);
}

/* feed_raw - extra fields first, then raw (LF text) as headers and a CRLF body; EOM */
static sfsistat feed_raw(struct fake_ctx *fc, const struct buf *raw, const char *const *extra)
{
	struct buf body = BUF_INIT;
	size_t i = 0;
	sfsistat rc;

	for (; extra != NULL && *extra != NULL; extra++)
		header(fc, *extra, strlen(*extra));
	while (i < raw->len && raw->data[i] != '\n') {
		size_t e = i;

		while (e < raw->len && !(raw->data[e] == '\n' && (e + 1 >= raw->len ||
			(raw->data[e + 1] != ' ' && raw->data[e + 1] != '\t'))))
			e++;
		header(fc, raw->data + i, e - i);
		i = e + 1;
	}
	desc.xxfi_eoh(fake_smfi(fc));
	for (i++; i < raw->len; i++) {
		if (raw->data[i] == '\n')
			buf_putc(&body, '\r');
		buf_putc(&body, raw->data[i]);
	}
	desc.xxfi_body(fake_smfi(fc), (unsigned char *)body.data, body.len);
	rc = desc.xxfi_eom(fake_smfi(fc));
	buf_release(&body);
	return rc;
}

/* feed - feed_raw of the message file eml of the vectors */
static sfsistat feed(struct fake_ctx *fc, const char *eml, const char *const *extra)
{
	struct buf path = BUF_INIT, raw = BUF_INIT;
	FILE *f;
	char tmp[4096];
	size_t n;
	sfsistat rc;

	buf_printf(&path, "%s/%s", vdir, eml);
	f = fopen(path.data, "rb");
	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&raw, tmp, n);
	fclose(f);
	rc = feed_raw(fc, &raw, extra);
	buf_release(&path);
	buf_release(&raw);
	return rc;
}

/* bye - close the connection and free the fake */
static void bye(struct fake_ctx *fc)
{
	desc.xxfi_close(fake_smfi(fc));
	assert_null(fc->priv);
	fake_release(fc);
}

/* test_negotiate - headers, LEADSPC and header actions only with a check on */
static void test_negotiate(void **state)
{
	struct fake_ctx fc = { 0 }, fc2 = { 0 };
	unsigned long p0 = 0, p1;

	(void)state;
	start("");
	p1 = negotiate(&fc, &p0);
	assert_int_equal(p1 & SMFIP_NOHDRS, SMFIP_NOHDRS);
	assert_int_equal(p1 & SMFIP_HDR_LEADSPC, 0);
	assert_int_equal(p0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS), 0);
	bye(&fc);
	stop();
	start_checks("shadow", "rfc8463/keys.txt");
	p1 = negotiate(&fc2, &p0);
	assert_int_equal(p1 & (SMFIP_NOHDRS | SMFIP_NOBODY | SMFIP_NOEOH), 0);
	assert_int_equal(p1 & SMFIP_HDR_LEADSPC, SMFIP_HDR_LEADSPC);
	assert_int_equal(p0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS), SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	bye(&fc2);
	stop();
}

/* test_aligned_pass - signed, aligned: accepted, A-R inserted at index 0, audited */
static void test_aligned_pass(void **state)
{
	struct fake_ctx fc = { 0 };
	struct buf audit = BUF_INIT;

	(void)state;
	start_checks("enforce", "rfc8463/keys.txt");
	envelope(&fc, "198.51.100.7", "<joe@football.example.com>", "<suzie@example.test>");
	assert_int_equal(feed(&fc, "rfc8463/a3-signed.eml", NULL), SMFIS_CONTINUE);
	assert_int_equal(fc.replies, 0);
	assert_int_equal(fc.headers.n, 1);
	assert_prefix(fc.headers.v[0], "ins 0 Authentication-Results:  mx.example.test;");
	assert_non_null(strstr(fc.headers.v[0], "dkim=pass header.d=football.example.com"));
	assert_non_null(strstr(fc.headers.v[0], "dmarc=pass"));
	assert_non_null(strstr(fc.headers.v[0], ";\n\t"));	/* folded for libmilter */
	audit_text(&audit);
	assert_non_null(strstr(audit.data, "\"message\":{\"dkim\":{\"mode\":\"enforce\","
			       "\"result\":\"pass\",\"signatures\":[{\"d\":\"football.example.com\""));
	assert_non_null(strstr(audit.data, "\"from_domain\":\"football.example.com\",\"how\":\"dkim\""));
	buf_release(&audit);
	bye(&fc);
	stop();
}

/* test_forged_from - a second From above the signed one: enforce refuses, shadow audits */
static void test_forged_from(void **state)
{
	struct fake_ctx fc = { 0 }, fc2 = { 0 };
	struct buf audit = BUF_INIT;

	(void)state;
	start_checks("enforce", "derived/a2-from-prepended.keys");
	envelope(&fc, "192.0.2.10", "<joe@football.example.com>", "<bob@remote.test>");
	assert_int_equal(feed(&fc, "derived/a2-from-prepended.eml", NULL), SMFIS_REJECT);
	assert_int_equal(fc.replies, 1);
	assert_prefix(buf_cstr(&fc.reply), "550 5.7.1 multiple From headers");
	assert_int_equal(fc.headers.n, 0);	/* refused: no header changes */
	bye(&fc);
	stop();
	start_checks("shadow", "derived/a2-from-prepended.keys");
	envelope(&fc2, "192.0.2.10", "<joe@football.example.com>", "<bob@remote.test>");
	assert_int_equal(feed(&fc2, "derived/a2-from-prepended.eml", NULL), SMFIS_CONTINUE);
	assert_int_equal(fc2.replies, 0);
	assert_int_equal(fc2.headers.n, 1);
	assert_non_null(strstr(fc2.headers.v[0], "dkim=pass"));
	assert_non_null(strstr(fc2.headers.v[0], "dmarc=fail"));
	audit_text(&audit);
	assert_non_null(strstr(audit.data, "\"alignment\":{\"mode\":\"shadow\",\"result\":\"fail\","
			       "\"finding\":\"multiple From headers\""));
	assert_non_null(strstr(audit.data, "alignment: fail would refuse; mode shadow accepts"));
	buf_release(&audit);
	bye(&fc2);
	stop();
}

/* test_forged_authres - ours deleted (highest index first), others kept, ours inserted */
static void test_forged_authres(void **state)
{
	static const char *const extra[] = {
		"Authentication-Results: mx.example.test; dkim=pass header.d=bank.example",
		"Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example",
		"Authentication-Results: (comment) MX.Example.Test; dmarc=pass",
		NULL,
	};
	struct fake_ctx fc = { 0 };

	(void)state;
	start_checks("shadow", "rfc8463/keys.txt");
	envelope(&fc, "198.51.100.7", "<joe@football.example.com>", "<suzie@example.test>");
	assert_int_equal(feed(&fc, "rfc8463/a3-signed.eml", extra), SMFIS_CONTINUE);
	assert_int_equal(fc.headers.n, 3);
	assert_string_equal(fc.headers.v[0], "chg Authentication-Results 3: (delete)");
	assert_string_equal(fc.headers.v[1], "chg Authentication-Results 1: (delete)");
	assert_prefix(fc.headers.v[2], "ins 0 Authentication-Results:  mx.example.test;");
	bye(&fc);
	stop();
}

/*
 * test_unsigned_no_from - dkim = enforce: an unsigned message with no From
 * field is no DKIM failure (no signature, result none); the missing From
 * is the alignment check's finding and reply
 */
static void test_unsigned_no_from(void **state)
{
	struct fake_ctx fc = { 0 };
	struct buf raw = BUF_INIT, audit = BUF_INIT;

	(void)state;
	start_checks("enforce", "rfc8463/keys.txt");
	envelope(&fc, "198.51.100.7", "<joe@football.example.com>", "<suzie@example.test>");
	buf_puts(&raw, "To: suzie@example.test\nSubject: no From here\n\nHello.\n");
	assert_int_equal(feed_raw(&fc, &raw, NULL), SMFIS_REJECT);
	assert_int_equal(fc.replies, 1);
	if (strstr(fc.reply.data, "DKIM") != NULL)
		fail_msg("refused as a DKIM failure: %s", fc.reply.data);
	assert_non_null(strstr(fc.reply.data, "From"));
	audit_text(&audit);
	assert_non_null(strstr(audit.data, "\"dkim\":{\"mode\":\"enforce\",\"result\":\"none\""));
	buf_release(&audit);
	buf_release(&raw);
	bye(&fc);
	stop();
}

/* test_off - no check: nothing inserted, nothing deleted, no "message" in the audit */
static void test_off(void **state)
{
	static const char *const extra[] = {
		"Authentication-Results: test; dkim=pass header.d=bank.example", NULL,
	};
	struct fake_ctx fc = { 0 };
	struct buf audit = BUF_INIT;

	(void)state;
	start("charge_at = milter\nquota \"b\" { charge = client_address\n window = day\n"
	      " bytes = 1M\n on_store_failure = local }\n");
	envelope(&fc, "198.51.100.7", "<joe@football.example.com>", "<suzie@example.test>");
	assert_int_equal(feed(&fc, "derived/a2-from-prepended.eml", extra), SMFIS_CONTINUE);
	assert_int_equal(fc.headers.n, 0);
	audit_text(&audit);
	assert_null(strstr(audit.data, "\"message\""));
	buf_release(&audit);
	bye(&fc);
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_aligned_pass),
		cmocka_unit_test(test_forged_from),
		cmocka_unit_test(test_forged_authres),
		cmocka_unit_test(test_unsigned_no_from),
		cmocka_unit_test(test_off),
	};
	const char *shared = getenv("RW_SHARED");

	snprintf(vdir, sizeof(vdir), "%s/conformance/dkim",
		 shared != NULL ? shared : TEST_SRCDIR "/../../shared");
	(void)load_text;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
