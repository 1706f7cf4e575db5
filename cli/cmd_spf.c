/*
 * cmd_spf - relaywarden spf: one RFC 7208 check_host() over the real resolver.
 *
 * usage: relaywarden spf --ip IP --mail-from ADDR --helo NAME
 *            [--dns HOST@PORT ...] [--receiver NAME] [--timeout-ms N]
 *            [--budget-ms N] [--tcp] [--backend ours|libspf2] [-v]
 * Prints the result on line 1 and the explanation on line 2 ("DEFAULT"
 * when there is none: any result but fail, or a fail without a usable
 * exp=), which is the checker interface of the shared run-suite.py. With
 * -v, "domain:", "mechanism:", "dns-terms:", "void-lookups:" and "problem:"
 * lines follow. An empty --mail-from (or "<>") is the null sender: the
 * HELO identity is checked. Exit 0 whatever the result; 1 when the resolver
 * cannot be set up; 2 on usage errors. --dns defaults to resolv.conf;
 * --timeout-ms is per query (default 2000), --budget-ms per evaluation
 * (default 20000, RFC 7208 4.6.4's "at least 20 seconds"). --backend
 * libspf2 evaluates with libspf2 instead of our evaluator (only when built
 * with ./configure --with-libspf2; non-conformant, see core/spf/spf_libspf2.h).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/dns/dns.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/spf/spf.h"
#ifdef HAVE_LIBSPF2
#include "core/spf/spf_libspf2.h"
#endif

typedef void spf_check_fn(const struct spf_env *env, const struct spf_request *req,
			  struct spf_outcome *out);

struct spf_opts {
	const char *ip, *sender, *helo, *receiver;
	unsigned long timeout_ms, budget_ms;
	int verbose;
	spf_check_fn *check;	/* the backend */
	struct dns_config dns;
};

/* spf_usage - say how to call us; exit status 2 */
static int spf_usage(void)
{
	fputs("usage: relaywarden spf --ip IP --mail-from ADDR --helo NAME [--dns HOST@PORT ...]\n"
	      "                       [--receiver NAME] [--timeout-ms N] [--budget-ms N] [--tcp]\n"
	      "                       [--backend ours|libspf2] [-v]\n",
	      stderr);
	return 2;
}

/* spf_number - a decimal option value in 1..max, or 0 */
static unsigned long spf_number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return (*s != '\0' && *end == '\0' && v >= 1 && v <= max) ? v : 0;
}

/* spf_backend - the evaluator named s, or NULL (unknown, or libspf2 not built) */
static spf_check_fn *spf_backend(const char *s)
{
	if (strcmp(s, "ours") == 0)
		return spf_check;
#ifdef HAVE_LIBSPF2
	if (strcmp(s, "libspf2") == 0)
		return spf_libspf2_check;
#else
	if (strcmp(s, "libspf2") == 0)
		fputs("relaywarden: spf: not built with ./configure --with-libspf2\n", stderr);
#endif
	return NULL;
}

/* spf_parse_opts - getopt_long over argv; -1 on a usage error */
static int spf_parse_opts(int argc, char **argv, struct spf_opts *o)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "mail-from", required_argument, NULL, 'm' },
		{ "helo", required_argument, NULL, 'h' },
		{ "dns", required_argument, NULL, 'd' },
		{ "receiver", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "tcp", no_argument, NULL, 'T' },
		{ "backend", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': o->ip = optarg; break;
		case 'm': o->sender = optarg; break;
		case 'h': o->helo = optarg; break;
		case 'd': strvec_add(&o->dns.upstreams, optarg); break;
		case 'r': o->receiver = optarg; break;
		case 't': o->timeout_ms = spf_number(optarg, 600000); break;
		case 'b': o->budget_ms = spf_number(optarg, 3600000); break;
		case 'T': o->dns.tcp_only = 1; break;
		case 'B': o->check = spf_backend(optarg); break;
		case 'v': o->verbose = 1; break;
		default: return -1;
		}
		if ((ch == 't' && o->timeout_ms == 0) || (ch == 'b' && o->budget_ms == 0) ||
		    (ch == 'B' && o->check == NULL))
			return -1;
	}
	if (optind != argc || o->ip == NULL || o->sender == NULL || o->helo == NULL)
		return -1;
	return 0;
}

/* spf_env_query - spf_env.query over the resolver */
static struct dns_answer *spf_env_query(void *ctx, const char *name, enum dns_type type)
{
	return dns_query(ctx, name, type);
}

/* spf_env_release - spf_env.release */
static void spf_env_release(void *ctx, struct dns_answer *ans)
{
	(void)ctx;
	dns_answer_free(&ans);
}

/* spf_env_now - monotonic milliseconds */
static uint64_t spf_env_now(void *ctx)
{
	(void)ctx;
	return now_mono_ms();
}

/* spf_env_time - seconds since the epoch */
static uint64_t spf_env_time(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

/* spf_sender - the MAIL FROM without angle brackets (a copy) */
static char *spf_sender(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return rw_strndup(s + 1, n - 2);
	return rw_strdup(s);
}

/* spf_print - the outcome, as the suite's checker interface wants it */
static void spf_print(const struct spf_outcome *out, int verbose)
{
	printf("%s\n%s\n", spf_result_name(out->result),
	       out->explanation.len > 0 ? buf_cstr(&out->explanation) : "DEFAULT");
	if (!verbose)
		return;
	printf("domain: %s\nmechanism: %s\ndns-terms: %u\nvoid-lookups: %u\nproblem: %s\n",
	       buf_cstr(&out->domain), buf_cstr(&out->mechanism), out->dns_terms,
	       out->void_lookups, buf_cstr(&out->problem));
}

/* spf_run - resolver, env, check, print */
static int spf_run(struct spf_opts *o, struct spf_request *req)
{
	struct buf err = BUF_INIT;
	struct spf_outcome out = { .result = SPF_NONE };
	struct spf_env env = { .query = spf_env_query };
	struct dns_resolver *r;

	o->dns.timeout_ms = (unsigned)o->timeout_ms;
	r = dns_new(&o->dns, &err);
	if (r == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return 1;
	}
	env.release = spf_env_release;
	env.now_ms = spf_env_now;
	env.time_s = spf_env_time;
	env.ctx = r;
	env.budget_ms = (unsigned)o->budget_ms;
	o->check(&env, req, &out);
	spf_print(&out, o->verbose);
	spf_outcome_release(&out);
	dns_free(&r);
	return 0;
}

/* cmd_spf - relaywarden spf */
int cmd_spf(int argc, char **argv)
{
	struct spf_opts o = { .timeout_ms = 2000, .budget_ms = 20000, .check = spf_check };
	struct spf_request req = { .sender = NULL };
	char *sender = NULL;
	int rc = 2;

	if (spf_parse_opts(argc, argv, &o) < 0) {
		spf_usage();
	} else if (cidr_parse_ip(o.ip, &req.ip) < 0) {
		fprintf(stderr, "relaywarden: spf: '%s' is not an IP address\n", o.ip);
	} else {
		sender = spf_sender(o.sender);
		req.sender = sender;
		req.helo = o.helo;
		req.receiver = o.receiver;
		rc = spf_run(&o, &req);
	}
	free(sender);
	strvec_release(&o.dns.upstreams);
	return rc;
}
