/*
 * spf_bench - SPF evaluations per second through the real resolver (cached).
 *
 * usage: rw-spfbench --dns HOST@PORT --ip IP --mail-from ADDR --helo NAME
 *                    [--seconds S] [--expect RESULT] [--memo]
 * Evaluates the same request over one resolver (libunbound's cache warm
 * after the first run) for S seconds (default 3) and prints
 * "relaywarden RESULT EVALS/s". --memo keeps every answer in the process
 * after its first look-up (the evaluator's own cost, no resolver round trip). Exits 1 when a result differs from
 * --expect (the bench must measure the intended path, not an error).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dns/dns.h"
#include "core/spf/spf.h"

/* bench_now - monotonic milliseconds */
static uint64_t bench_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* bench_query - spf_env.query over the resolver */
static struct dns_answer *bench_query(void *ctx, const char *name, enum dns_type type)
{
	return dns_query(ctx, name, type);
}

/* bench_release - spf_env.release */
static void bench_release(void *ctx, struct dns_answer *ans)
{
	(void)ctx;
	dns_answer_free(&ans);
}

struct bench_memo {
	struct dns_resolver *r;
	size_t n;
	struct { char *name; enum dns_type type; struct dns_answer *ans; } e[64];
};

/* bench_memo_query - an answer from the memo, or asked once and kept */
static struct dns_answer *bench_memo_query(void *ctx, const char *name, enum dns_type type)
{
	struct bench_memo *m = ctx;

	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].type == type && strcmp(m->e[i].name, name) == 0)
			return m->e[i].ans;
	if (m->n == sizeof(m->e) / sizeof(m->e[0]))
		return dns_query(m->r, name, type);
	m->e[m->n].name = strdup(name);
	m->e[m->n].type = type;
	m->e[m->n].ans = dns_query(m->r, name, type);
	return m->e[m->n++].ans;
}

/* bench_memo_release - memo answers stay; others are freed */
static void bench_memo_release(void *ctx, struct dns_answer *ans)
{
	struct bench_memo *m = ctx;

	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].ans == ans)
			return;
	dns_answer_free(&ans);
}

/* bench_memo_free - free the kept answers */
static void bench_memo_free(struct bench_memo *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].name);
		dns_answer_free(&m->e[i].ans);
	}
}

/* bench_run - evaluate until the time is up; evaluations done, or 0 on a wrong result */
static unsigned long bench_run(const struct spf_env *env, const struct spf_request *req,
			       const char *expect, unsigned seconds)
{
	uint64_t end = bench_now(NULL) + seconds * 1000ULL;
	unsigned long n = 0;

	while (bench_now(NULL) < end) {
		struct spf_outcome out;

		memset(&out, 0, sizeof(out));
		spf_check(env, req, &out);
		if (strcmp(spf_result_name(out.result), expect) != 0) {
			fprintf(stderr, "rw-spfbench: result %s (%s), expected %s\n",
				spf_result_name(out.result), buf_cstr(&out.problem), expect);
			spf_outcome_release(&out);
			return 0;
		}
		spf_outcome_release(&out);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dns", 1, NULL, 'd' }, { "ip", 1, NULL, 'i' }, { "mail-from", 1, NULL, 'm' },
		{ "helo", 1, NULL, 'h' }, { "seconds", 1, NULL, 's' }, { "expect", 1, NULL, 'e' },
		{ "memo", 0, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct dns_config cfg = { .timeout_ms = 2000 };
	struct spf_request req = { .sender = NULL, .helo = "bench.example" };
	struct spf_env env = { .query = bench_query, .release = bench_release, .now_ms = bench_now };
	struct buf err = BUF_INIT;
	struct dns_resolver *r;
	struct bench_memo memo = { .n = 0 };
	int use_memo = 0;
	const char *ip = NULL, *expect = "pass";
	unsigned seconds = 3;
	unsigned long n;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': strvec_add(&cfg.upstreams, optarg); break;
		case 'i': ip = optarg; break;
		case 'm': req.sender = optarg; break;
		case 'h': req.helo = optarg; break;
		case 's': seconds = (unsigned)atoi(optarg); break;
		case 'e': expect = optarg; break;
		case 'M': use_memo = 1; break;
		default: return 2;
		}
	}
	if (ip == NULL || req.sender == NULL || cidr_parse_ip(ip, &req.ip) < 0 || seconds == 0) {
		fprintf(stderr, "usage: rw-spfbench --dns HOST@PORT --ip IP --mail-from ADDR "
			"--helo NAME [--seconds S] [--expect RESULT]\n");
		return 2;
	}
	if ((r = dns_new(&cfg, &err)) == NULL) {
		fprintf(stderr, "rw-spfbench: %s\n", buf_cstr(&err));
		return 1;
	}
	env.ctx = r;
	if (use_memo) {
		memo.r = r;
		env.ctx = &memo;
		env.query = bench_memo_query;
		env.release = bench_memo_release;
	}
	env.budget_ms = 20000;
	n = bench_run(&env, &req, expect, 1) > 0 ? bench_run(&env, &req, expect, seconds) : 0;
	if (n > 0)
		printf("relaywarden%s %s %.0f evals/s\n", use_memo ? "-memo" : "", expect,
		       (double)n / seconds);
	bench_memo_free(&memo);
	dns_free(&r);
	strvec_release(&cfg.upstreams);
	buf_release(&err);
	return n > 0 ? 0 : 1;
}
