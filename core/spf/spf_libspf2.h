/*
 * spf_libspf2 - libspf2 1.2.10 as an optional SPF backend (./configure
 * --with-libspf2), behind the same interface as core/spf/spf.h's spf_check.
 *
 * For sites that require libspf2. It is NOT conformant: it passes about
 * 95 of the 203 RFC 7208 suite tests (README.md, "SPF conformance";
 * tests/integration/spf_score.sh prints the count); the default evaluator
 * (core/spf/spf.c) passes all of them.
 *
 * DNS goes through env->query (so through the shared resolver, with its
 * upstreams and timeouts) by a libspf2 DNS layer of ours: libspf2's own
 * resolver (res_query, resolv.conf) is never used. env->budget_ms is not
 * enforced by libspf2 (only each query's timeout is). out->mechanism stays
 * empty (libspf2 does not say which term matched). The explanation is
 * kept to printable ASCII.
 *
 * libspf2 can abort and print: its error, warning, info and debug handlers
 * are replaced (once, thread-safely) by ours: warnings and the rest are
 * dropped; its fatal error handler (declared noreturn) jumps back out of
 * the evaluation, which then ends in temperror with the message as the
 * problem (the libspf2 objects of that evaluation are leaked). Thread-safe
 * as far as libspf2 is: one SPF_server per call.
 */
#ifndef RW_SPF_LIBSPF2_H
#define RW_SPF_LIBSPF2_H

#include "core/spf/spf.h"

/* spf_libspf2_check - spf_check's contract, evaluated by libspf2 */
void spf_libspf2_check(const struct spf_env *env, const struct spf_request *req,
		       struct spf_outcome *out);

#endif
