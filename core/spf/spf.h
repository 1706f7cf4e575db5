/*
 * spf - RFC 7208 Sender Policy Framework: record parser and check_host().
 *
 * Pure: the evaluator reaches DNS and the clock only through struct
 * spf_env, so the same code runs over libunbound (core/dns/dns.c) in the
 * daemons and the CLI, and over tables in unit tests and fuzzers.
 *
 * Semantics are RFC 7208's, checked by the whole RFC 7208 test suite
 * (tests/integration/spf_offline.sh and spf_suite.sh): every mechanism and modifier, macros and
 * their syntax errors, CIDR lengths incl. /0, exp= rendered by us (printable
 * ASCII only, length-capped, never a record's text in an SMTP reply
 * verbatim), redirect=, the limits (10 DNS-querying terms across
 * include/redirect, 2 void look-ups, 10 MX/PTR names), several records =
 * permerror, NUL bytes and non-ASCII as the RFC says, IPv4-mapped IPv6
 * clients evaluated as IPv4, the HELO identity for the null sender
 * ("postmaster@helo"). A per-evaluation time budget (env->now_ms) turns a
 * slow chain into temperror.
 *
 * Ownership: spf_outcome owns its strings; spf_outcome_release frees them.
 */
#ifndef RW_SPF_H
#define RW_SPF_H

#include <stdint.h>

#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/dns/dns.h"

enum spf_result {
	SPF_NONE = 0,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

struct spf_env {
	/* query - one DNS look-up; never NULL (status says how it went) */
	struct dns_answer *(*query)(void *ctx, const char *name, enum dns_type type);
	/* release - free an answer query returned */
	void (*release)(void *ctx, struct dns_answer *ans);
	/* now_ms - a monotonic clock, for the budget; NULL: no budget */
	uint64_t (*now_ms)(void *ctx);
	void *ctx;
	unsigned budget_ms;	/* 0: none */
	/* time_s - seconds since the epoch, for %{t} in explanations; NULL: 0 */
	uint64_t (*time_s)(void *ctx);
};

struct spf_request {
	struct rw_ip ip;	/* the client (or egress) address; v4-mapped v6 = v4 */
	/* MAIL FROM ("local@domain", no brackets); "" = null sender: the HELO
	 * identity is checked as "postmaster@helo" (pass "" to check HELO) */
	const char *sender;
	const char *helo;	/* HELO/EHLO name */
	const char *receiver;	/* %{r}: our host name ("unknown" when NULL) */
};

struct spf_outcome {
	enum spf_result result;
	struct buf domain;	/* the domain checked (sender's or HELO) */
	struct buf mechanism;	/* the term that decided, e.g. "include:_spf.example";
				 * after redirect= the target record's term; "" when
				 * no term matched (default neutral) or on an error */
	struct buf explanation;	/* fail only: exp= text (safe) or "" for the default */
	struct buf problem;	/* temperror/permerror: why, for logs and audit */
	unsigned dns_terms;	/* DNS-querying terms used */
	unsigned void_lookups;
};

/* spf_check - evaluate req; fills *out (zeroed by the caller) */
void spf_check(const struct spf_env *env, const struct spf_request *req,
	       struct spf_outcome *out);
/* spf_result_name - "pass", "fail", ... (RFC 7208 section 2.6 names) */
const char *spf_result_name(enum spf_result r);
void spf_outcome_release(struct spf_outcome *out);

#endif
