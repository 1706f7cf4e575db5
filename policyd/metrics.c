/* metrics - counters and the /metrics, /health endpoint; see metrics.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "core/mem.h"
#include "policyd/metrics.h"

struct metrics_http {
	struct evhttp *http;
	const struct metrics_counters *c;
	metrics_gauges_fn *fn;
	void *arg;
};

/* metrics_family - the HELP and TYPE lines of one metric */
static void metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* metrics_value - "name{labels} value" */
static void metrics_value(struct buf *out, const char *name, const char *labels,
			  unsigned long v)
{
	buf_printf(out, "%s%s%s%s %lu\n", name, labels ? "{" : "", labels ? labels : "",
		   labels ? "}" : "", v);
}

/* metrics_label_value - s as a label value: \, " and newline escaped */
static void metrics_label_value(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(out, '\\');
		if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

void metrics_format(const struct metrics_counters *c, const struct metrics_gauges *g,
		    struct buf *out)
{
	struct buf labels = BUF_INIT;

	metrics_family(out, "relaywarden_decisions_total", "counter",
		       "Policy decisions answered, by protocol stage and verdict.");
	for (int st = 0; st < METRICS_STAGES; st++)
		for (int a = 0; a < METRICS_ACTIONS; a++) {
			if (c->decisions[st][a] == 0)
				continue;
			buf_truncate(&labels, 0);
			buf_printf(&labels, "stage=\"%s\",verdict=\"%s\"", txn_stage_name(st),
				   verdict_action_name(a));
			metrics_value(out, "relaywarden_decisions_total", labels.data,
				      c->decisions[st][a]);
		}
	metrics_family(out, "relaywarden_connections", "gauge", "Postfix connections open now.");
	metrics_value(out, "relaywarden_connections", NULL, g->connections);
	metrics_family(out, "relaywarden_connections_total", "counter", "Connections accepted.");
	metrics_value(out, "relaywarden_connections_total", NULL, c->connections);
	metrics_family(out, "relaywarden_bad_requests_total", "counter",
		       "Malformed or oversized policy requests (connection closed, no reply).");
	metrics_value(out, "relaywarden_bad_requests_total", NULL, c->bad_requests);
	metrics_family(out, "relaywarden_accept_failures_total", "counter",
		       "accept(2) failures (EMFILE...), each followed by a pause.");
	metrics_value(out, "relaywarden_accept_failures_total", NULL, c->accept_failures);
	metrics_family(out, "relaywarden_audit_write_failures_total", "counter",
		       "Audit file writes that failed (records lost; see the log).");
	metrics_value(out, "relaywarden_audit_write_failures_total", NULL, c->audit_write_failures);
	metrics_family(out, "relaywarden_reloads_total", "counter", "Configuration reloads, by result.");
	metrics_value(out, "relaywarden_reloads_total", "result=\"ok\"", c->reloads);
	metrics_value(out, "relaywarden_reloads_total", "result=\"refused\"", c->reloads_refused);
	metrics_family(out, "relaywarden_store_degraded", "gauge",
		       "1 while the rate-limit store is failing and limits apply their fail mode.");
	metrics_value(out, "relaywarden_store_degraded", NULL, (unsigned long)g->degraded);
	metrics_family(out, "relaywarden_info", "gauge", "The rate-limit store and the configuration.");
	buf_truncate(&labels, 0);
	buf_puts(&labels, "store=\"");
	metrics_label_value(&labels, g->store);
	buf_puts(&labels, "\",config_digest=\"");
	metrics_label_value(&labels, g->config_digest);
	buf_puts(&labels, "\",version=\"" PACKAGE_VERSION "\"");
	metrics_value(out, "relaywarden_info", labels.data, 1);
	buf_release(&labels);
}

/* metrics_reply - text/plain body with status code */
static void metrics_reply(struct evhttp_request *req, int code, const char *reason,
			  const char *type, const struct buf *body)
{
	struct evbuffer *eb = evbuffer_new();

	if (eb == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(eb, body->data, body->len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, reason, eb);
	evbuffer_free(eb);
}

/* metrics_request - GET /metrics, GET /health; everything else refused */
static void metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	struct metrics_gauges g = { 0 };
	struct buf body = BUF_INIT;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	m->fn(m->arg, &g);
	if (path != NULL && strcmp(path, "/metrics") == 0) {
		metrics_format(m->c, &g, &body);
		metrics_reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", &body);
	} else if (path != NULL && strcmp(path, "/health") == 0) {
		buf_printf(&body, "%s\nstore: %s\n", g.degraded ? "degraded" : "ok", g.store);
		metrics_reply(req, g.degraded ? 503 : HTTP_OK, g.degraded ? "Degraded" : "OK",
			      "text/plain; charset=utf-8", &body);
	} else {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
	}
	buf_release(&body);
}

struct metrics_http *metrics_http_start(struct event_base *base, struct evconnlistener *lev,
					const struct metrics_counters *c, metrics_gauges_fn *fn,
					void *arg, struct buf *err)
{
	struct metrics_http *m = rw_calloc(1, sizeof(*m));

	m->c = c;
	m->fn = fn;
	m->arg = arg;
	if ((m->http = evhttp_new(base)) == NULL || evhttp_bind_listener(m->http, lev) == NULL) {
		buf_puts(err, "metrics: cannot start the HTTP server");
		evconnlistener_free(lev);	/* not bound: still ours */
		metrics_http_free(&m);
		return NULL;
	}
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, metrics_request, m);
	return m;
}

void metrics_http_free(struct metrics_http **mp)
{
	struct metrics_http *m = *mp;

	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
	*mp = NULL;
}
