/*
 * dmarc_check - the RFC 9989 conformance driver: alignment, the DNS Tree
 * Walk and the record parser over the shared resolver (core/dns/dns.c), as the
 * milter asks them (one time budget per check, every query waits at most
 * what is left of it).
 *
 * Usage: dmarc_check IP@PORT [TIMEOUT_MS BUDGET_MS]   (defaults 400, 1500)
 * Reads one request per line on stdin, fields separated by TABs, and
 * writes one line per request:
 *   walk NAME
 *     -> org=<domain|-> temp=<0|1> queries=<n> records=<a,b,...|->
 *   parse RECORD
 *     -> rc=<0|-1> found=<0|1> p=<..> sp=<..> np=<..> adkim=<r|s>
 *        aspf=<r|s> psd=<y|n|u> t=<0|1>
 *   align treewalk|psl FROM SPF-DOMAIN|- DKIM-D,...|- r|s
 *     (every DKIM d= passed, SPF passed for SPF-DOMAIN; r|s: the default mode)
 *     -> result=<..> dkim=<index> spf=<0|1> record=<name|-> policy=<..|->
 *        tag=<p|sp|np|-> t=<0|1> org=<domain|-> method=<..> queries=<n>
 *        ar=<the dmarc= part of our Authentication-Results>
 * Values are as the code has them ("-" for none). Exit 0, 2 on usage or
 * resolver errors.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"
#include "core/msgauth/align_int.h"
#include "core/msgauth/authres.h"
#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/msgauth/psl_adapter.h"
#include "core/util/strvec.h"

struct drv {
	struct dns_resolver *dns;
	struct psl_adapter *psl;
	unsigned budget_ms;
	uint64_t deadline;
};

/* drv_query - align_env query: never waits past the deadline */
static struct dns_answer *drv_query(void *ctx, const char *name, enum dns_type type)
{
	struct drv *d = ctx;
	uint64_t now = now_mono_ms();

	return dns_query_timeout(d->dns, name, type,
				 now + 1 < d->deadline ? (unsigned)(d->deadline - now) : 1);
}

/* drv_release - free an answer */
static void drv_release(void *ctx, struct dns_answer *a)
{
	(void)ctx;
	dns_answer_free(&a);
}

/* drv_org - align_env org_domain over the PSL */
static const char *drv_org(void *ctx, const char *domain)
{
	return psl_adapter_org_domain(((struct drv *)ctx)->psl, domain);
}

/* policy_word - "none", ... or "-" */
static const char *policy_word(enum align_policy p)
{
	return p == ALIGN_P_ABSENT ? "-" : align_policy_name(p);
}

/* cmd_walk - one tree walk */
static void cmd_walk(struct drv *d, const struct align_env *env, const char *name)
{
	struct align_walk w;
	struct align_walk_result r;

	d->deadline = now_mono_ms() + d->budget_ms;
	align_walk_init(&w, env);
	align_walk_run(&w, name, &r);
	printf("org=%s temp=%d queries=%u records=", r.org ? r.org : "-", r.temp, w.queries);
	for (size_t i = 0; i < r.n; i++)
		printf("%s%s", i ? "," : "", r.rec[i]->domain);
	printf("%s\n", r.n ? "" : "-");
	align_walk_release(&w);
}

/* cmd_parse - one record by RFC 9989 */
static void cmd_parse(const char *rec)
{
	struct align_dmarc a;
	const char *err = NULL;
	int rc = align_dmarc_parse_9989(rec, strlen(rec), &a, &err);

	if (rc < 0) {
		printf("rc=-1\n");
		return;
	}
	printf("rc=0 found=%d p=%s sp=%s np=%s adkim=%c aspf=%c psd=%c t=%d\n", a.found,
	       policy_word(a.p), policy_word(a.sp), policy_word(a.np),
	       a.adkim == ALIGN_STRICT ? 's' : 'r', a.aspf == ALIGN_STRICT ? 's' : 'r', a.psd,
	       a.testing);
}

/* split - s cut at TABs into f (at most max fields); the count */
static size_t split(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = s;
		if ((s = strchr(s, '\t')) == NULL)
			break;
		*s++ = '\0';
	}
	return n;
}

/* print_ar - the dmarc= entry of our Authentication-Results */
static void print_ar(const struct align_outcome *o)
{
	struct authres_input ai = { "mx.test", NULL, 0, 0, NULL, NULL, o, NULL };
	struct buf ar = BUF_INIT;
	const char *p;

	authres_build(&ai, &ar);
	p = strstr(buf_cstr(&ar), "dmarc=");
	printf(" ar=%s\n", p ? p : "");
	buf_release(&ar);
}

/* cmd_align - one alignment check; f: method, from, spf domain, dkim list, mode */
static void cmd_align(struct drv *d, const struct align_env *env, char **f)
{
	struct buf from_field = BUF_INIT;
	const char *from[1];
	struct strvec dk = { 0 };
	struct mc_dkim_sig sigs[16];
	struct align_input in = { 0 };
	struct align_outcome o = { 0 };

	buf_printf(&from_field, "Sender <user@%s>", f[1]);
	from[0] = buf_cstr(&from_field);
	if (strcmp(f[3], "-") != 0)
		for (char *s = strtok(f[3], ","); s != NULL && dk.n < 16; s = strtok(NULL, ","))
			strvec_add(&dk, s);
	for (size_t i = 0; i < dk.n; i++)
		sigs[i] = (struct mc_dkim_sig){ dk.v[i], (char *)"s", (char *)"rsa-sha256",
						MC_DKIM_PASS, "", 2048, 0, 0 };
	in.from = from;
	in.n_from = 1;
	in.spf = SPF_PASS;
	in.spf_domain = strcmp(f[2], "-") != 0 ? f[2] : NULL;
	in.sigs = sigs;
	in.n_sigs = dk.n;
	in.adkim = in.aspf = strcmp(f[4], "s") == 0 ? ALIGN_STRICT : ALIGN_RELAXED;
	in.org = strcmp(f[0], "psl") == 0 ? ALIGN_ORG_PSL : ALIGN_ORG_TREEWALK;
	d->deadline = now_mono_ms() + d->budget_ms;
	align_check(env, &in, &o);
	printf("result=%s dkim=%d spf=%d record=%s policy=%s tag=%s t=%d org=%s method=%s "
	       "queries=%u", align_result_name(o.result), o.dkim_aligned, o.spf_aligned,
	       o.dmarc_name.len ? buf_cstr(&o.dmarc_name) : "-",
	       o.dmarc.found ? align_policy_name(o.dmarc.p) : "-",
	       o.policy_tag ? o.policy_tag : "-", o.dmarc.testing,
	       o.org_domain.len ? buf_cstr(&o.org_domain) : "-",
	       o.org_method ? o.org_method : "-", o.queries);
	print_ar(&o);
	align_outcome_release(&o);
	strvec_release(&dk);
	buf_release(&from_field);
}

/* setup - the resolver and the PSL; exits on error */
static void setup(struct drv *d, int argc, char **argv)
{
	struct dns_config dc = { { 0 }, 400, 0 };
	struct buf err = BUF_INIT;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: dmarc_check IP@PORT [TIMEOUT_MS BUDGET_MS]\n");
		exit(2);
	}
	strvec_add(&dc.upstreams, argv[1]);
	if (argc == 4)
		dc.timeout_ms = (unsigned)atoi(argv[2]);
	d->budget_ms = argc == 4 ? (unsigned)atoi(argv[3]) : 1500;
	d->dns = dns_new(&dc, &err);
	if (d->dns != NULL)
		d->psl = psl_adapter_new(NULL, &err);
	strvec_release(&dc.upstreams);
	if (d->dns == NULL || d->psl == NULL) {
		fprintf(stderr, "dmarc_check: %s\n", buf_cstr(&err));
		exit(2);
	}
	buf_release(&err);
}

int main(int argc, char **argv)
{
	struct drv d = { 0 };
	struct align_env env = { drv_org, drv_query, drv_release, &d };
	char *line = NULL, *f[6];
	size_t cap = 0, n;

	setup(&d, argc, argv);
	while (getline(&line, &cap, stdin) >= 0) {
		line[strcspn(line, "\r\n")] = '\0';
		n = split(line, f, 6);
		if (strcmp(f[0], "walk") == 0 && n == 2)
			cmd_walk(&d, &env, f[1]);
		else if (strcmp(f[0], "parse") == 0 && n == 2)
			cmd_parse(f[1]);
		else if (strcmp(f[0], "align") == 0 && n == 6)
			cmd_align(&d, &env, f + 1);
		else
			printf("bad request\n");
		fflush(stdout);
	}
	free(line);
	psl_adapter_free(&d.psl);
	dns_free(&d.dns);
	return 0;
}
