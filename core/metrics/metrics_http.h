/*
 * metrics_http - the HTTP endpoint of core/metrics/metrics.h, for both daemons.
 *
 *   GET /metrics  Prometheus text format 0.0.4 (metrics_format)
 *   GET /health   liveness: 200 "ok" while the process serves, also while
 *                 a failing store is handled by its fail modes ("ok
 *                 degraded"); the body names the store state
 *   GET /ready    readiness: 503 "not ready" while the store fails and a
 *                 limit's fail mode is tempfail (a load balancer should
 *                 prefer another node), else 200 "ready"
 * and 404/405 to anything else. The gauges are read at each request
 * through the caller's callback, on the thread that runs the endpoint's
 * event loop.
 *
 * The HTTP server is core/metrics/http.h: its own connection cap, a deadline per
 * connection and the accept back-off, so the endpoint cannot take the
 * descriptors the daemon needs. metrics_http_start serves on the caller's
 * loop (policyd); the milter,
 * whose libmilter threads must never wait for a scrape, runs it on a
 * thread of its own with metrics_http_thread_start.
 */
#ifndef RW_METRICS_HTTP_H
#define RW_METRICS_HTTP_H

#include <event2/event.h>
#include <event2/listener.h>

#include "core/util/buf.h"
#include "core/metrics/metrics.h"

typedef void metrics_gauges_fn(void *arg, struct metrics_gauges *g);
struct metrics_http;

/*
 * metrics_http_start - serve on the bound listener lev (taken over, freed
 * with the server, also on failure) of base, gauges from fn(arg); NULL
 * with *err
 */
struct metrics_http *metrics_http_start(struct event_base *base, struct evconnlistener *lev,
					metrics_gauges_fn *fn, void *arg, struct buf *err);
void metrics_http_free(struct metrics_http **mp);

/*
 * metrics_http_thread_start - bind spec ("inet:HOST:PORT", "inet:[V6]:PORT")
 * and serve it from a new thread with its own event loop; fn runs on that
 * thread. NULL with *err (nothing started). metrics_http_thread_stop ends
 * the thread (joined) and frees everything; NULL is fine.
 */
struct metrics_thread *metrics_http_thread_start(const char *spec, metrics_gauges_fn *fn,
						 void *arg, struct buf *err);
void metrics_http_thread_stop(struct metrics_thread **tp);

#endif
