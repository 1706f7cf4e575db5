/*
 * spf_zone - evaluate one SPF request over a zone file (tests/unit/spf_fake.h),
 * no network: the offline driver of the RFC 7208 / 4408 suites
 * (tests/integration/spf_offline.py).
 *
 * usage: spf_zone ZONEFILE IP MAILFROM HELO [RECEIVER]
 * Prints the result on line 1 and the explanation (DEFAULT when none) on
 * line 2, like `relaywarden spf`; the deciding term and the problem go to
 * stderr. Exit 0, 2 on usage or zone errors, 3 when answers leaked.
 */
#include "autoconfig.h"

#include <stdio.h>

#include "core/spf/spf.h"
#include "tests/unit/spf_fake.h"

int main(int argc, char **argv)
{
	struct spf_fake *f = spf_fake_new();
	struct spf_env env;
	struct spf_request req = { .sender = NULL };
	struct spf_outcome out = { .result = SPF_NONE };
	int rc = 0;

	if (argc < 5 || spf_fake_load(f, argv[1]) < 0 || cidr_parse_ip(argv[2], &req.ip) < 0) {
		fprintf(stderr, "usage: spf_zone ZONEFILE IP MAILFROM HELO [RECEIVER]\n");
		spf_fake_free(&f);
		return 2;
	}
	req.sender = argv[3];
	req.helo = argv[4];
	req.receiver = argc > 5 ? argv[5] : NULL;
	spf_fake_env(f, &env);
	env.budget_ms = 20000;
	spf_check(&env, &req, &out);
	printf("%s\n%s\n", spf_result_name(out.result),
	       out.explanation.len ? buf_cstr(&out.explanation) : "DEFAULT");
	fprintf(stderr, "domain=%s mechanism=%s terms=%u voids=%u queries=%u problem=%s\n",
		buf_cstr(&out.domain), buf_cstr(&out.mechanism), out.dns_terms,
		out.void_lookups, spf_fake_queries(f), buf_cstr(&out.problem));
	if (spf_fake_outstanding(f) != 0)
		rc = 3;
	spf_outcome_release(&out);
	spf_fake_free(&f);
	return rc;
}
