/*
 * metrics - relaywarden-policyd's counters and their HTTP endpoint.
 *
 * The loop thread counts into a struct metrics_counters it owns (no
 * locks: policyd is single-threaded); the counters live as long as the
 * process, across reloads. With policyd { metrics = "inet:HOST:PORT" } an
 * evhttp server on the same loop answers
 *   GET /metrics  Prometheus text format 0.0.4 (metrics_format)
 *   GET /health   200 "ok", or 503 "degraded" while the rate-limit store
 *                 is failing over to its fail mode
 * and 404/405 to anything else. The gauges (connections, store state,
 * configuration) are read at each scrape through the caller's callback.
 */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include <event2/event.h>
#include <event2/listener.h>

#include "core/buf.h"
#include "core/txn.h"
#include "core/verdict.h"

#define METRICS_STAGES (STAGE_ETRN + 1)
#define METRICS_ACTIONS (ACT_DEFER + 1)

struct metrics_counters {
	unsigned long decisions[METRICS_STAGES][METRICS_ACTIONS];
	unsigned long connections;	/* accepted, ever */
	unsigned long bad_requests;	/* closed without a reply */
	unsigned long accept_failures;	/* accept(2) errors (EMFILE...) */
	unsigned long audit_write_failures;
	unsigned long reloads, reloads_refused;
};

struct metrics_gauges {
	unsigned connections;		/* open now */
	const char *store;		/* limiter_store_state: "redis", "local", "degraded ..." */
	const char *config_digest;
	int degraded;			/* the store is failing: /health says so */
};

/* metrics_format - the Prometheus exposition of c and g into out */
void metrics_format(const struct metrics_counters *c, const struct metrics_gauges *g,
		    struct buf *out);

typedef void metrics_gauges_fn(void *arg, struct metrics_gauges *g);
struct metrics_http;

/*
 * metrics_http_start - serve c (borrowed: it must outlive the server) with
 * gauges from fn(arg) on the bound listener lev (taken over, freed with
 * the server, also on failure); NULL with *err
 */
struct metrics_http *metrics_http_start(struct event_base *base, struct evconnlistener *lev,
					const struct metrics_counters *c, metrics_gauges_fn *fn,
					void *arg, struct buf *err);
void metrics_http_free(struct metrics_http **mp);

#endif
