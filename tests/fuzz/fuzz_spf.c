/*
 * fuzz_spf - the SPF record parser, the macro expander and check_host()
 * over arbitrary bytes.
 *
 * The input is one TXT record of exactly size bytes (NULs included).
 * Checks:
 *  - spf_record_parse: failure gives a non-empty static message, a bad
 *    term inside the input and nothing to release; success gives terms
 *    whose text is non-empty, prefixes within 0..32 / 0..128 (or -1), a
 *    domain-spec that passes spf_domain_spec_check, and records of
 *    "v=spf1" inputs only;
 *  - spf_macro_expand (both contexts) agrees with spf_macro_check, and an
 *    expanded name made a target has labels of 1..63 octets, <= 253 total;
 *  - spf_check over a resolver where every name's TXT record is the input
 *    (so includes and redirects recurse into it), every A/AAAA look-up
 *    answers one address, MX and PTR one name: it ends (limits), gives one
 *    of the seven results, a printable explanation of at most 512 octets,
 *    a problem exactly for temperror/permerror, and releases every answer.
 * Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/spf/spf.h"
#include "core/spf/spf_macro.h"
#include "core/spf/spf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_dns {
	const uint8_t *data;
	size_t size;
	int outstanding;
	unsigned queries;
};

/* fuzz_check - abort unless cond */
static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* fuzz_query - every TXT is the input; A/AAAA/MX/PTR one record each */
static struct dns_answer *fuzz_query(void *ctx, const char *name, enum dns_type type)
{
	struct fuzz_dns *d = ctx;
	struct dns_answer *a = rw_calloc(1, sizeof(*a));

	fuzz_check(name != NULL && strlen(name) <= 253);
	d->outstanding++;
	d->queries++;
	a->type = type;
	a->n = 1;
	if (type == DNS_T_TXT) {
		a->txt = rw_calloc(1, sizeof(*a->txt));
		a->txt->n = 1;
		a->txt->s = rw_calloc(1, sizeof(*a->txt->s));
		a->txt->s->data = d->data;
		a->txt->s->len = d->size;
	} else if (type == DNS_T_A || type == DNS_T_AAAA) {
		a->ip = rw_calloc(1, sizeof(*a->ip));
		a->ip->family = type == DNS_T_A ? 4 : 6;
		a->ip->b[0] = (unsigned char)(strlen(name) & 0xff);
	} else if (type == DNS_T_MX) {
		a->mx = rw_calloc(1, sizeof(*a->mx));
		a->mx->name = rw_strdup("mx.example.org");
	} else {
		a->name = rw_calloc(1, sizeof(*a->name));
		a->name[0] = rw_strdup("ptr.example.org");
	}
	return a;
}

/* fuzz_release - free an answer of fuzz_query */
static void fuzz_release(void *ctx, struct dns_answer *a)
{
	struct fuzz_dns *d = ctx;

	d->outstanding--;
	if (a->txt)
		free(a->txt->s);
	free(a->txt);
	free(a->ip);
	if (a->mx)
		free(a->mx->name);
	free(a->mx);
	if (a->name)
		free(a->name[0]);
	free(a->name);
	free(a);
}

/* fuzz_parse - parser invariants */
static void fuzz_parse(const char *s, size_t n)
{
	struct spf_record rec;
	const char *err = NULL;

	if (spf_record_parse(s, n, &rec, &err) < 0) {
		fuzz_check(err != NULL && err[0] != '\0');
		fuzz_check(rec.terms == NULL && rec.redirect == NULL && rec.exp == NULL);
		fuzz_check(rec.bad_term + rec.bad_len <= n);
		return;
	}
	fuzz_check(spf_record_is_spf(s, n));
	for (size_t i = 0; i < rec.n; i++) {
		const struct spf_term *t = &rec.terms[i];

		fuzz_check(t->text != NULL && t->text[0] != '\0');
		fuzz_check(t->cidr4 >= -1 && t->cidr4 <= 32 && t->cidr6 >= -1 && t->cidr6 <= 128);
		fuzz_check(t->domain == NULL ||
			   spf_domain_spec_check(t->domain, strlen(t->domain), &err) == 0);
	}
	spf_record_release(&rec);
}

/* fuzz_macro - expansion agrees with the check; targets are DNS names */
static void fuzz_macro(const char *s, size_t n, unsigned flags)
{
	struct rw_ip ip = { .family = 6, .b = { 0x20, 0x01, 0x0d, 0xb8 } };
	struct spf_macro_ctx ctx = {
		.sender = "l.p-x@example.org", .local = "l.p-x", .sender_domain = "example.org",
		.domain = "example.org", .helo = "h.example", .ip = &ip, .now = 1,
	};
	struct buf out = BUF_INIT;
	const char *err = NULL;
	int ok = spf_macro_check(s, n, flags, &err) == 0;

	fuzz_check(spf_macro_expand(s, n, flags, &ctx, &out, &err) == (ok ? 0 : -1));
	if (ok && spf_macro_target(&out) == 0) {
		fuzz_check(out.len > 0 && out.len <= 253 && strstr(buf_cstr(&out), "..") == NULL);
		fuzz_check(buf_cstr(&out)[0] != '.' && buf_cstr(&out)[out.len - 1] != '.');
	}
	buf_release(&out);
}

/* fuzz_eval - check_host over the self-referencing resolver */
static void fuzz_eval(const uint8_t *data, size_t size)
{
	struct fuzz_dns d = { .data = data, .size = size };
	struct spf_env env = { .query = fuzz_query, .release = fuzz_release, .ctx = &d };
	struct spf_request req = { .sender = "a@example.org", .helo = "h.example" };
	struct spf_outcome out;
	const char *e;

	memset(&out, 0, sizeof(out));
	fuzz_check(cidr_parse_ip(size % 2 ? "2001:db8::1" : "192.0.2.1", &req.ip) == 0);
	spf_check(&env, &req, &out);
	fuzz_check(out.result >= SPF_NONE && out.result <= SPF_PERMERROR);
	fuzz_check(d.outstanding == 0 && out.dns_terms <= 11 && out.void_lookups <= 3);
	fuzz_check(out.explanation.len <= 512);
	fuzz_check(out.explanation.len == 0 || out.result == SPF_FAIL);
	for (e = buf_cstr(&out.explanation); *e; e++)
		fuzz_check(*e >= 0x20 && *e < 0x7f);
	if (out.result == SPF_TEMPERROR || out.result == SPF_PERMERROR)
		fuzz_check(out.problem.len > 0);
	spf_outcome_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = rw_malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_parse(s, size);
	fuzz_macro(s, size, 0);
	fuzz_macro(s, size, SPF_MACRO_EXP);
	free(s);
	fuzz_eval(data, size);
	return 0;
}
