/*
 * spf_pool - SPF evaluations off an event loop: a small pool of worker
 * threads runs the synchronous evaluator (core/spf/spf.c over
 * dns_query_timeout) and hands each result back to the loop.
 *
 * Why a pool and not dns_query_async: spf_check is synchronous over struct
 * spf_env (each look-up's answer decides the next one, through include,
 * redirect, macros and MX/PTR names); turning it into a state machine for
 * the loop would duplicate the evaluator that passes the RFC 7208 suite. A
 * pool of 2 threads keeps it simple and bounded: at most that many
 * evaluations run at once, the rest wait in a queue, and nothing of it ever
 * blocks the loop. The threads share one resolver (one libunbound cache).
 *
 * Time: a job has a deadline, submit time + budget_ms. Each of its requests
 * gets what is left of it as the evaluator's budget and as the timeout of
 * every query, so a slow or hostile chain ends in temperror at the deadline
 * (a query never waits past it); a job still queued at its deadline ends
 * at once with temperror without a query. So every job answers about
 * budget_ms after its submission at the latest.
 *
 * Threading: spf_pool_new, spf_pool_submit, spf_pool_cancel and
 * spf_pool_free are called on the loop thread. Results are matched by job
 * id: the callback runs on the loop thread (from an eventfd event), exactly
 * once per job, never inside spf_pool_submit, and never after
 * spf_pool_cancel(id). spf_pool_free waits for the running evaluations
 * (bounded by their deadlines) and drops every pending job unanswered.
 *
 * Ownership: requests are copied at submit; the callback owns the outcome
 * array (spf_outcome_release each, then free).
 */
#ifndef RW_SPF_POOL_H
#define RW_SPF_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/spf/spf.h"

struct event_base;
struct spf_pool;

typedef void spf_pool_cb(struct spf_outcome *outs, size_t n, void *arg);

/* spf_pool_new - threads workers over a resolver for dns; NULL with *err */
struct spf_pool *spf_pool_new(struct event_base *base, const struct dns_config *dns,
			      unsigned threads, struct buf *err);
/* spf_pool_same_dns - dns would make the same resolver (a reload may keep the pool) */
int spf_pool_same_dns(const struct spf_pool *p, const struct dns_config *dns);
/* spf_pool_submit - evaluate reqs[0..n-1] in order within budget_ms; the job id (> 0) */
uint64_t spf_pool_submit(struct spf_pool *p, const struct spf_request *reqs, size_t n,
			 unsigned budget_ms, spf_pool_cb *cb, void *arg);
/* spf_pool_cancel - the callback of id will not run */
void spf_pool_cancel(struct spf_pool *p, uint64_t id);
/* spf_pool_pending - jobs submitted and not yet answered or cancelled (tests, metrics) */
size_t spf_pool_pending(const struct spf_pool *p);
void spf_pool_free(struct spf_pool **pp);

#endif
