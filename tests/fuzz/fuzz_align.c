/*
 * fuzz_align - the From field parser, the DMARC record parser and
 * align_check over arbitrary bytes.
 *
 * The input (NULs cut it for the From parser, which takes C strings) is:
 *  - a From field value: align_from_parse gives one of the five statuses,
 *    a domain exactly when OK (lower-case, no '.' at either end, <= 253
 *    octets), nothing else;
 *  - a DMARC record of size bytes: align_dmarc_parse gives 0 with a found
 *    record and pct <= 100, or -1 with a non-empty static message;
 *    align_dmarc_parse_9989 gives 0 only for a v=DMARC1 record, with psd
 *    y/n/u and flags 0/1, or -1 with a message;
 *  - align_check (RFC 9989 tree walk) with the input as From value and as
 *    the only TXT record of every name: ends, gives a known result, a non-empty printable reason,
 *    and releases every answer;
 *  - authres: authres_is_ours over the bytes (NULs included) ends, and an
 *    Authentication-Results value built with the input as every untrusted
 *    value (d=, s=, a=, reason, MAIL FROM, authserv-id) holds printable
 *    ASCII only.
 * Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"
#include "core/msgauth/authres.h"
#include "core/util/buf.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	const uint8_t *data;
	size_t size;
	int outstanding;
};

/* fuzz_query - the input as one TXT record (split in 255-octet strings) */
static struct dns_answer *fuzz_query(void *ctx, const char *name, enum dns_type type)
{
	struct fuzz_ctx *f = ctx;
	struct buf rd = BUF_INIT;
	struct dns_answer *a;
	char *items[1];
	int len[1];

	(void)name;
	for (size_t i = 0; i < f->size || i == 0; i += 255) {
		size_t n = f->size - i < 255 ? f->size - i : 255;

		buf_putc(&rd, (int)n);
		buf_append(&rd, f->data + i, n);
	}
	items[0] = rd.data;
	len[0] = (int)rd.len;
	a = dns_answer_parse(type, items, len, 1);
	buf_release(&rd);
	f->outstanding++;
	return a;
}

/* fuzz_release - free an answer */
static void fuzz_release(void *ctx, struct dns_answer *a)
{
	((struct fuzz_ctx *)ctx)->outstanding--;
	dns_answer_free(&a);
}

/* fuzz_from - the From parser's contract */
static void fuzz_from(const char *v)
{
	struct buf d = BUF_INIT;
	enum align_from_status st = align_from_parse(&v, 1, &d);

	if (st > ALIGN_FROM_UNPARSABLE || (st == ALIGN_FROM_OK) != (d.len > 0))
		abort();
	if (st == ALIGN_FROM_OK && (d.len > 253 || d.data[0] == '.' || d.data[d.len - 1] == '.'))
		abort();
	for (size_t i = 0; i < d.len; i++)
		if (d.data[i] >= 'A' && d.data[i] <= 'Z')
			abort();
	buf_release(&d);
}

/* fuzz_dmarc - the record parser's contract */
static void fuzz_dmarc(const uint8_t *data, size_t size)
{
	struct align_dmarc d;
	const char *err = NULL;

	if (align_dmarc_parse((const char *)data, size, &d, &err) == 0) {
		if (!d.found || d.pct > 100)
			abort();
	} else if (err == NULL || *err == '\0') {
		abort();
	}
	err = NULL;
	if (align_dmarc_parse_9989((const char *)data, size, &d, &err) == 0) {
		if (!align_dmarc_is_v1((const char *)data, size) || d.found > 1 ||
		    !strchr("ynu", d.psd) || d.psd == '\0' || d.testing > 1)
			abort();
	} else if (err == NULL || *err == '\0') {
		abort();
	}
}

/* fuzz_check - align_check end to end */
static void fuzz_check(const uint8_t *data, size_t size, const char *v)
{
	struct fuzz_ctx f = { data, size, 0 };
	struct align_env env = { NULL, fuzz_query, fuzz_release, &f };
	struct mc_dkim_sig sig = { (char *)"example.com", (char *)"s", (char *)"a",
				   MC_DKIM_PASS, "", 1024, 0, 0 };
	struct align_input in = { &v, 1, SPF_PASS, "example.com", &sig, 1, NULL, 0, 0,
				  ALIGN_ORG_TREEWALK };
	struct align_outcome out = { 0 };

	align_check(&env, &in, &out);
	if (out.result > ALIGN_TEMPERROR || out.reason.len == 0 || f.outstanding != 0)
		abort();
	for (size_t i = 0; i < out.reason.len; i++)
		if ((unsigned char)out.reason.data[i] < 0x20 || (unsigned char)out.reason.data[i] > 0x7e)
			abort();
	align_outcome_release(&out);
}

/* fuzz_authres - the header value never carries raw bytes */
static void fuzz_authres(const uint8_t *data, size_t size, const char *v)
{
	struct mc_dkim_sig sig = { (char *)v, (char *)v, (char *)v, MC_DKIM_FAIL, v, 0, 0, 0 };
	struct spf_outcome spf = { .result = SPF_PASS };
	struct authres_input in = { v, &sig, 1, 1, &spf, v, NULL, NULL };
	struct buf out = BUF_INIT;

	(void)authres_is_ours((const char *)data, size, "mx.example");
	authres_build(&in, &out);
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20 || (unsigned char)out.data[i] > 0x7e)
			abort();
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = rw_strndup((const char *)data, size);

	fuzz_from(v);
	fuzz_dmarc(data, size);
	fuzz_check(data, size, v);
	fuzz_authres(data, size, v);
	free(v);
	return 0;
}
