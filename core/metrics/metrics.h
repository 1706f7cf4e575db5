/*
 * metrics - the process's Prometheus series, shared by policyd and the
 * milter (their HTTP endpoints: core/metrics/metrics_http.h).
 *
 * One registry per process. Counting is lock-free (relaxed atomic adds),
 * so any thread may count at any time: policyd's loop, the milter's
 * libmilter threads, the resolver's threads. The label values that come
 * from the configuration (rule, limit and quota names) are registered by
 * metrics_configure at start and at every reload, under a mutex; a name
 * once registered keeps its series for the life of the process (bounded
 * by METRICS_MAX_NAMES; later names count under "other"), so no series
 * disappears between scrapes. Every series that can appear is written
 * from the first scrape on, at zero.
 *
 * Families (all prefixed relaywarden_; see man/relaywarden-policyd.8):
 *   decisions_total{stage,verdict}, rule_decisions_total{rule,verdict},
 *   refusals_total{reason}, limit_refusals_total{kind,name},
 *   decision_duration_seconds, local_fallback_decisions_total,
 *   redis_command_duration_seconds, redis_errors_total{kind},
 *   redis_reconnects_total, store_state{state}, store_degraded, ready,
 *   dns_query_duration_seconds, dns_failures_total{kind},
 *   audit_records_total{result}, audit_write_failures_total,
 *   reloads_total{result}, config_info{config_digest},
 *   build_info{component,version}, log_lines_dropped_total, connections, connections_total,
 *   bad_requests_total, accept_failures_total, request_timeouts_total,
 *   evictions_total.
 */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include <stdint.h>

#include "core/util/buf.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

#define METRICS_MAX_NAMES 256	/* configured names with series of their own */

struct rw_config;
struct limit_plan;
struct limit_result;

enum metrics_counter {		/* plain counters without labels */
	MC_CONNECTIONS = 0,	/* accepted, ever */
	MC_BAD_REQUESTS,	/* closed without a reply */
	MC_ACCEPT_FAILURES,	/* accept(2) errors (EMFILE...) */
	MC_REQUEST_TIMEOUTS,	/* closed: a request not complete in request_timeout */
	MC_EVICTIONS,		/* closed at max_connections to let a new one in */
	MC_AUDIT_WRITE_FAILURES,
	MC_RELOADS_OK,
	MC_RELOADS_REFUSED,
	MC_REDIS_RECONNECTS,
	MC_LOCAL_FALLBACK,
	MC_COUNT
};

/*
 * metrics_gauges - what a daemon says at each scrape: copies, since the
 * snapshot they come from may go with a reload while the page is written
 */
struct metrics_gauges {
	unsigned long connections;	/* open now (policyd) or sessions (milter) */
	char store[48];			/* "redis", "redis (failing)", "degraded (breaker open)", "local" */
	char config_digest[72];		/* hex; "" before a configuration is in effect */
	int degraded;			/* the store is failing: its fail modes apply */
	int ready;			/* 0 while a failing store makes limits tempfail */
};

/* metrics_gauges_set - copy store and digest into g (cut to fit) */
void metrics_gauges_set(struct metrics_gauges *g, const char *store, const char *digest);

/* metrics_init - name the component ("policyd", "milter") for build_info; once, at start */
void metrics_init(const char *component);
/* metrics_configure - register cfg's rule, limit and quota names (start, reload) */
void metrics_configure(const struct rw_config *cfg);
/* metrics_count - add one to counter c */
void metrics_count(enum metrics_counter c);

/*
 * metrics_decision - one decision answered: its stage, verdict, rule,
 * refusal reason (limits and quotas by name), latency in microseconds, and
 * whether a limit ran on the local fallback store (results answer plan;
 * both NULL when no limit ran)
 */
void metrics_decision(const struct rw_txn *t, const struct rw_verdict *v,
		      const struct limit_plan *plan, const struct limit_result *results,
		      uint64_t usec);

/* metrics_redis - one Redis command ended with status st (enum redis_status) after usec */
void metrics_redis(int st, uint64_t usec);
/* metrics_dns - one DNS query ended with status st (enum dns_status) after usec */
void metrics_dns(int st, uint64_t usec);
/* metrics_audit - records reached the audit file (written) or did not (lost) */
void metrics_audit(unsigned long written, unsigned long lost);

/* metrics_format - the Prometheus text exposition (format 0.0.4) into out */
void metrics_format(const struct metrics_gauges *g, struct buf *out);

/* metrics_store_ready - readiness for g: 0 when degraded and cfg has a tempfail limit */
int metrics_store_ready(const struct rw_config *cfg, int degraded);

#endif
