/*
 * fuzz_milter - the milter's header and body handling: arbitrary bytes as
 * a message through every libmilter callback of relaywarden-milter (fake
 * libmilter, tests/unit/milter_fake.h), with the DKIM check on in shadow
 * mode over a key file (no DNS).
 *
 * The input is a message as an MTA receives it: header fields (LF
 * separated, folded by lines starting with SP or HT, split at the first
 * ':' as libmilter splits them; a line with no ':' ends the headers, as
 * does an empty line), then the body (LF turned into CRLF). One relayed
 * transaction carries it: negotiate (everything offered), connect from an
 * allowed network, HELO, MAIL, RCPT, the header fields, EOH, the body in
 * chunks, EOM, close. The From fields are collected, forged
 * Authentication-Results fields (claiming our authserv-id) found, every
 * DKIM-Signature verified by libopendkim against
 * tests/fuzz/data/dkim.keys; then ours is written.
 * Checked: RCPT and EOM continue (shadow mode refuses nothing the relay
 * rule permits); the header changes are deletions of fields that came in
 * and one insertion at index 0 whose value is printable ASCII folded with
 * "\n\t"; the session is gone after close. Any violation aborts.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/util/mem.h"
#include "milter/callbacks.h"
#include "milter/state.h"
#include "tests/unit/milter_fake.h"

#ifndef FUZZ_DATA_DIR
#error "FUZZ_DATA_DIR must name tests/fuzz/data"
#endif

#define FUZZ_CONF "instance = \"fuzz\"\n" \
	"local_domains = { \"example.test\" }\n" \
	"relay \"office\" { type = network\n networks = { \"192.0.2.0/24\" } }\n" \
	"dns { upstreams = { \"127.0.0.1@9\" }\n timeout_ms = 200 }\n" \
	"log { target = stderr }\n" \
	"checks {\n dkim = shadow\n authserv_id = \"mx.example.test\"\n" \
	" dkim_key_file = \"" FUZZ_DATA_DIR "/dkim.keys\"\n}\n"
#define FUZZ_CHUNK 4096		/* body bytes per xxfi_body call */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smfiDesc desc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz_milter.XXXXXX";
	struct buf err = BUF_INIT;
	struct rw_config *cfg;
	int fd = mkstemp(path);

	(void)argc, (void)argv;
	if (fd < 0 || write(fd, FUZZ_CONF, strlen(FUZZ_CONF)) != (ssize_t)strlen(FUZZ_CONF))
		abort();
	close(fd);
	cfg = config_load(path, &err);
	unlink(path);
	if (cfg == NULL || state_start(path, cfg, &err) < 0) {
		fprintf(stderr, "fuzz_milter: %s\n", buf_cstr(&err));
		abort();
	}
	buf_release(&err);
	callbacks_init(&fake_ops);
	desc = callbacks_desc();
	return 0;
}

/* fuzz_envelope - negotiate, connect, HELO, MAIL, RCPT of a relayed message */
static void fuzz_envelope(struct fake_ctx *fc)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char *from[] = { (char *)"<alice@example.test>", NULL };
	char *to[] = { (char *)"<bob@example.net>", NULL };
	unsigned long p0 = 0, p1 = 0, p2 = 0, p3 = 0;

	desc.xxfi_negotiate(fake_smfi(fc), SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST,
			    0x1fffff, 0, 0, &p0, &p1, &p2, &p3);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	desc.xxfi_connect(fake_smfi(fc), (char *)"client.example.test", (struct sockaddr *)&sin);
	desc.xxfi_helo(fake_smfi(fc), (char *)"client.example.test");
	desc.xxfi_envfrom(fake_smfi(fc), from);
	if (desc.xxfi_envrcpt(fake_smfi(fc), to) != SMFIS_CONTINUE)
		abort();
}

/* fuzz_headers - the header fields of data into xxfi_header; where the body starts */
static size_t fuzz_headers(struct fake_ctx *fc, const char *data, size_t size, unsigned *n)
{
	size_t i = 0;

	*n = 0;
	while (i < size && data[i] != '\n') {
		size_t e = i;
		const char *colon;
		char *name, *value;

		while (e < size && !(data[e] == '\n' && (e + 1 >= size ||
			(data[e + 1] != ' ' && data[e + 1] != '\t'))))
			e++;
		colon = memchr(data + i, ':', e - i);
		if (colon == NULL)
			break;
		name = rw_strndup(data + i, (size_t)(colon - (data + i)));
		value = rw_strndup(colon + 1, e - (size_t)(colon - data) - 1);
		desc.xxfi_header(fake_smfi(fc), name, value);
		(*n)++;
		free(name);
		free(value);
		i = e + 1;
	}
	return i < size ? i + 1 : size;
}

/* fuzz_body - the rest as CRLF lines, in chunks */
static void fuzz_body(struct fake_ctx *fc, const char *data, size_t size)
{
	struct buf body = BUF_INIT;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n')
			buf_putc(&body, '\r');
		buf_putc(&body, data[i]);
	}
	for (size_t i = 0; i < body.len; i += FUZZ_CHUNK)
		desc.xxfi_body(fake_smfi(fc), (unsigned char *)body.data + i,
			       body.len - i < FUZZ_CHUNK ? body.len - i : FUZZ_CHUNK);
	buf_release(&body);
}

/* fuzz_changes - deletions of fields that came, one clean insertion at 0 */
static void fuzz_changes(const struct fake_ctx *fc, unsigned n_fields)
{
	static const char ins[] = "ins 0 Authentication-Results: ";
	static const char chg[] = "chg Authentication-Results ";
	int inserted = 0;

	for (size_t i = 0; i < fc->headers.n; i++) {
		const char *h = fc->headers.v[i];

		if (strncmp(h, chg, sizeof(chg) - 1) == 0) {
			long idx = strtol(h + sizeof(chg) - 1, NULL, 10);

			if (idx < 1 || (unsigned long)idx > n_fields || inserted ||
			    strstr(h, ": (delete)") == NULL)
				abort();
		} else if (strncmp(h, ins, sizeof(ins) - 1) == 0 && !inserted) {
			inserted = 1;
			for (const char *p = h; *p != '\0'; p++)
				if ((*p < 0x20 || *p > 0x7e) && !(p[0] == '\n' && p[1] == '\t') &&
				    !(p[0] == '\t' && p > h && p[-1] == '\n'))
					abort();
		} else {
			abort();
		}
	}
	if (!inserted)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_ctx fc = { 0 };
	const char *msg = (const char *)data;
	unsigned n_fields;
	size_t body;

	fuzz_envelope(&fc);
	body = fuzz_headers(&fc, msg, size, &n_fields);
	desc.xxfi_eoh(fake_smfi(&fc));
	fuzz_body(&fc, msg + body, size - body);
	if (desc.xxfi_eom(fake_smfi(&fc)) != SMFIS_CONTINUE)
		abort();
	fuzz_changes(&fc, n_fields);
	desc.xxfi_close(fake_smfi(&fc));
	if (fc.priv != NULL)
		abort();
	fake_release(&fc);
	return 0;
}
