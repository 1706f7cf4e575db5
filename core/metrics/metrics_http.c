/* metrics_http - /metrics, /health, /ready; see metrics_http.h */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>

#include "core/metrics/http.h"
#include "core/util/mem.h"
#include "core/metrics/metrics_http.h"

struct metrics_http {
	struct http_server *http;
	metrics_gauges_fn *fn;
	void *arg;
};

struct metrics_thread {
	struct event_base *base;
	struct metrics_http *http;
	struct event *stop_ev;
	int stop_fd;			/* eventfd: the stopper's only way into the loop */
	pthread_t tid;
};

/* metrics_request - GET /metrics, /health, /ready; everything else refused (core/metrics/http.h) */
static void metrics_request(void *arg, const char *method, const char *path,
			    struct http_reply *r)
{
	struct metrics_http *m = arg;
	struct metrics_gauges g = { 0 };

	if (strcmp(method, "GET") != 0) {
		*r = (struct http_reply){ .code = 405, .reason = "Method Not Allowed" };
		buf_puts(&r->body, "405 Method Not Allowed\n");
		return;
	}
	g.ready = 1;
	m->fn(m->arg, &g);
	if (strcmp(path, "/metrics") == 0) {
		metrics_format(&g, &r->body);
		r->type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/health") == 0) {
		buf_printf(&r->body, "ok%s\nstore: %s\n", g.degraded ? " degraded" : "", g.store);
	} else if (strcmp(path, "/ready") == 0) {
		buf_printf(&r->body, "%s\nstore: %s\n", g.ready ? "ready" : "not ready", g.store);
		if (!g.ready)
			r->code = 503, r->reason = "Not Ready";
	} else {
		*r = (struct http_reply){ .code = 404, .reason = "Not Found" };
		buf_puts(&r->body, "404 Not Found\n");
	}
}

struct metrics_http *metrics_http_start(struct event_base *base, struct evconnlistener *lev,
					metrics_gauges_fn *fn, void *arg, struct buf *err)
{
	struct metrics_http *m = rw_calloc(1, sizeof(*m));

	m->fn = fn;
	m->arg = arg;
	if ((m->http = http_server_start(base, lev, metrics_request, m, err)) == NULL) {
		metrics_http_free(&m);
		return NULL;
	}
	return m;
}

void metrics_http_free(struct metrics_http **mp)
{
	struct metrics_http *m = *mp;

	if (m == NULL)
		return;
	http_server_free(&m->http);
	free(m);
	*mp = NULL;
}

/* metrics_bind - a listening socket for "inet:HOST:PORT" on base; NULL with *err */
static struct evconnlistener *metrics_bind(struct event_base *base, const char *spec,
					   struct buf *err)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof(ss);
	struct evconnlistener *l;

	if (strncmp(spec, "inet:", 5) != 0 ||
	    evutil_parse_sockaddr_port(spec + 5, (struct sockaddr *)&ss, &len) < 0) {
		buf_printf(err, "metrics %s: not inet:HOST:PORT", spec);
		return NULL;
	}
	l = evconnlistener_new_bind(base, NULL, NULL,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
				    64, (struct sockaddr *)&ss, len);
	if (l == NULL)
		buf_printf(err, "metrics %s: %s", spec, strerror(errno));
	return l;
}

/* metrics_thread_on_stop - the stopper wrote the eventfd: leave the loop */
static void metrics_thread_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* metrics_thread_main - the endpoint's loop, until stopped */
static void *metrics_thread_main(void *arg)
{
	struct metrics_thread *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

/* metrics_thread_free - everything of t that exists (the thread is not running) */
static void metrics_thread_free(struct metrics_thread *t)
{
	metrics_http_free(&t->http);
	if (t->stop_ev != NULL)
		event_free(t->stop_ev);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	if (t->base != NULL)
		event_base_free(t->base);
	free(t);
}

struct metrics_thread *metrics_http_thread_start(const char *spec, metrics_gauges_fn *fn,
						 void *arg, struct buf *err)
{
	struct metrics_thread *t = rw_calloc(1, sizeof(*t));
	struct evconnlistener *lev;
	sigset_t all, old;
	int e;

	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0 || (t->base = event_base_new()) == NULL ||
	    (t->stop_ev = event_new(t->base, t->stop_fd, EV_READ, metrics_thread_on_stop,
				    t->base)) == NULL || event_add(t->stop_ev, NULL) < 0) {
		buf_printf(err, "metrics %s: cannot set up its event loop", spec);
		metrics_thread_free(t);
		return NULL;
	}
	if ((lev = metrics_bind(t->base, spec, err)) == NULL ||
	    (t->http = metrics_http_start(t->base, lev, fn, arg, err)) == NULL) {
		metrics_thread_free(t);
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* signals stay with the daemon's own thread */
	e = pthread_create(&t->tid, NULL, metrics_thread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		buf_printf(err, "metrics %s: %s", spec, strerror(e));
		metrics_thread_free(t);
		return NULL;
	}
	return t;
}

void metrics_http_thread_stop(struct metrics_thread **tp)
{
	struct metrics_thread *t = *tp;

	if (t == NULL)
		return;
	if (eventfd_write(t->stop_fd, 1) == 0)
		pthread_join(t->tid, NULL);
	else
		abort();	/* cannot happen: a fresh counter; a thread left running is worse */
	metrics_thread_free(t);
	*tp = NULL;
}
