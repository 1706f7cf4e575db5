/*
 * dkim_vectors - verify one message file with core/dkimv (key file
 * lookups) and align its From field with the DKIM results.
 *
 * Usage: dkim_vectors [--fixcrlf] [--chunk N] [--dns IP@PORT] KEYFILE MESSAGE
 * With --dns, keys come through core/dns/dns.c from that server (KEYFILE unused).
 * A message without any CR is LF text and is converted to CRLF; others are
 * fed as exact octets. Header fields go one by one, the body in chunks of N
 * bytes (default 61, so chunk borders fall everywhere). Output, one per line:
 *   status DKIM_STAT_...          libopendkim's own status
 *   dkim <word>                   the message's result
 *   sig <i> <word> d=<d> s=<s> a=<a> bits=<n> partial=<0|1> reason=<text>
 *   align <pass|fail> from=<finding> domain=<from domain> dkim=<index>
 * (alignment: relaxed, no SPF, no DMARC records, Debian's PSL).
 * Exit 0, or 2 on a usage or I/O error.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"
#include "core/msgauth/dkimv.h"
#include "core/dns/dns.h"
#include "core/util/mem.h"
#include "core/msgauth/psl_adapter.h"
#include "core/util/strvec.h"

/* read_file - the whole file; exits on error */
static void read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char tmp[4096];
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(out, tmp, n);
	fclose(f);
}

/* to_crlf - LF text to CRLF */
static void to_crlf(const struct buf *in, struct buf *out)
{
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] == '\n')
			buf_putc(out, '\r');
		buf_putc(out, in->data[i]);
	}
}

/* field_end - offset of the CRLF ending the field starting at p */
static size_t field_end(const char *p, size_t len, size_t start)
{
	size_t i = start;

	while (i + 1 < len) {
		if (p[i] == '\r' && p[i + 1] == '\n' &&
		    !(i + 2 < len && (p[i + 2] == ' ' || p[i + 2] == '\t')))
			return i;
		i++;
	}
	return len;
}

/* from_value - the value of a From field, or NULL */
static const char *from_value(const char *field, size_t len, struct buf *tmp)
{
	if (len < 5 || strncasecmp(field, "from", 4) != 0)
		return NULL;
	size_t i = 4;
	while (i < len && (field[i] == ' ' || field[i] == '\t'))
		i++;
	if (i >= len || field[i] != ':')
		return NULL;
	buf_truncate(tmp, 0);
	buf_append(tmp, field + i + 1, len - i - 1);
	return buf_cstr(tmp);
}

/* feed - headers one by one, then the body in chunks; From values kept */
static void feed(struct dkimv_msg *m, const struct buf *msg, size_t chunk,
		 struct strvec *froms)
{
	const char *p = msg->data;
	size_t len = msg->len, i = 0;
	struct buf tmp = BUF_INIT;

	while (i < len && !(i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')) {
		size_t e = field_end(p, len, i);
		const char *v = from_value(p + i, e - i, &tmp);

		dkimv_header(m, p + i, e - i);
		if (v != NULL)
			strvec_add(froms, v);
		i = e + 2;
	}
	i = i + 2 <= len ? i + 2 : len;
	for (; i < len; i += chunk)
		dkimv_body(m, (const unsigned char *)p + i, len - i < chunk ? len - i : chunk);
	dkimv_eom(m);
	buf_release(&tmp);
}

/* print_align - relaxed alignment of the From field with the signatures */
static void print_align(const struct strvec *froms, const struct mc_dkim_sig *sigs, size_t n)
{
	struct buf err = BUF_INIT;
	struct psl_adapter *psl = psl_adapter_new(NULL, &err);
	struct align_env env = { psl_adapter_org_domain, NULL, NULL, psl };
	struct align_input in = { 0 };
	struct align_outcome out = { 0 };

	if (psl == NULL) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		exit(2);
	}
	in.from = (const char *const *)froms->v;
	in.n_from = froms->n;
	in.sigs = sigs;
	in.n_sigs = n;
	in.org = ALIGN_ORG_PSL;		/* relaxed by the PSL: no DMARC records here */
	align_check(&env, &in, &out);
	printf("align %s from=%s domain=%s dkim=%d\n", align_result_name(out.result),
	       align_from_status_name(out.from_status), buf_cstr(&out.from_domain),
	       out.dkim_aligned);
	align_outcome_release(&out);
	psl_adapter_free(&psl);
	buf_release(&err);
}

/* run - verify path with keys, print the results */
static void run(const struct dkimv_config *cfg, const char *path, size_t chunk)
{
	struct buf raw = BUF_INIT, msg = BUF_INIT, err = BUF_INIT;
	struct strvec froms = STRVEC_INIT;
	struct dkimv *d = dkimv_new(cfg, &err);
	struct dkimv_msg *m;
	const struct mc_dkim_sig *s;
	size_t n;

	if (d == NULL) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		exit(2);
	}
	read_file(path, &raw);
	if (memchr(raw.data, '\r', raw.len) == NULL)
		to_crlf(&raw, &msg);
	else
		buf_append(&msg, raw.data, raw.len);
	m = dkimv_msg_new(d, path);
	feed(m, &msg, chunk, &froms);
	printf("status %s\ndkim %s\n", dkimv_status(m), mc_dkim_result_name(dkimv_result(m)));
	s = dkimv_sigs(m, &n);
	for (size_t i = 0; i < n; i++)
		printf("sig %zu %s d=%s s=%s a=%s bits=%u partial=%d reason=%s\n", i,
		       mc_dkim_result_name(s[i].result), s[i].domain, s[i].selector,
		       s[i].algorithm, s[i].key_bits, s[i].partial, s[i].reason);
	print_align(&froms, s, n);
	dkimv_msg_free(&m);
	dkimv_free(&d);
	strvec_release(&froms);
	buf_release(&raw);
	buf_release(&msg);
	buf_release(&err);
}

/* resolver - a resolver forwarding to upstream; exits on error */
static struct dns_resolver *resolver(const char *upstream)
{
	struct dns_config dc = { STRVEC_INIT, 1000, 0 };
	struct buf err = BUF_INIT;
	struct dns_resolver *r;

	strvec_add(&dc.upstreams, upstream);
	r = dns_new(&dc, &err);
	if (r == NULL) {
		fprintf(stderr, "dns: %s\n", buf_cstr(&err));
		exit(2);
	}
	strvec_release(&dc.upstreams);
	buf_release(&err);
	return r;
}

int main(int argc, char **argv)
{
	struct dkimv_config cfg = { 0 };
	struct dns_resolver *dns = NULL;
	size_t chunk = 61;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--fixcrlf") == 0)
			cfg.fix_crlf = 1;
		else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc)
			chunk = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc)
			dns = resolver(argv[++i]);
	}
	if (argc - i != 2 || chunk == 0) {
		fprintf(stderr, "usage: dkim_vectors [--fixcrlf] [--chunk N] [--dns IP@PORT] "
			"KEYFILE MESSAGE\n");
		return 2;
	}
	cfg.dns = dns;
	cfg.key_file = dns == NULL ? argv[i] : NULL;
	run(&cfg, argv[i + 1], chunk);
	dns_free(&dns);
	return 0;
}
