/*
 * fuzz_metrics - the metrics endpoint of both daemons: arbitrary bytes sent
 * as an HTTP request to the real server (core/metrics/metrics_http.c on libevent's
 * evhttp, listening on 127.0.0.1, an ephemeral port), and what our handler
 * makes of the method and path that evhttp parsed.
 *
 * Per input: one connection, the bytes written, the write side shut, the
 * answer read until the server closes (the loop is bounded by
 * FUZZ_LOOP_MS). Checked: the answer is empty (evhttp dropped a request it
 * could not parse) or begins with an HTTP/N.N status line; 200 only for a
 * GET of /metrics, /health or /ready (never for another method or path),
 * and then the body is ours. Any violation aborts.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "core/util/buf.h"
#include "core/metrics/metrics.h"
#include "core/metrics/metrics_http.h"

#define FUZZ_LOOP_MS 5000	/* one exchange at most (evhttp's own timeout is 10 s) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
/*
 * fuzz_bind_source - a source address of its own among 4096 of 127.0.0.0/8
 * per run, the port chosen at connect. Each run leaves a TIME_WAIT when the
 * server closes after our FIN; one source address has 28k ephemeral ports,
 * and a kernel without tcp_tw_reuse ran out of them after ~30k runs.
 */
static int fuzz_bind_source(evutil_socket_t fd)
{
	static uint32_t n;
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1;

	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (n++ % 4096));
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&src, sizeof(src));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *fuzz_base;
static struct sockaddr_in fuzz_addr;

struct fuzz_conn {
	evutil_socket_t fd;
	const uint8_t *data;
	size_t size, sent;
	struct buf answer;
	struct event *rev, *wev;
};

/* fuzz_gauges - fixed gauges */
static void fuzz_gauges(void *arg, struct metrics_gauges *g)
{
	(void)arg;
	g->connections = 1;
	metrics_gauges_set(g, "redis", "0123456789abcdef");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct evconnlistener *lev;
	struct buf err = BUF_INIT;
	socklen_t len = sizeof(fuzz_addr);

	(void)argc, (void)argv;
	metrics_init("fuzz");
	fuzz_base = event_base_new();
	fuzz_addr.sin_family = AF_INET;
	fuzz_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(fuzz_base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
				      LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 64,
				      (struct sockaddr *)&fuzz_addr, sizeof(fuzz_addr));
	if (fuzz_base == NULL || lev == NULL ||
	    getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&fuzz_addr, &len) < 0 ||
	    metrics_http_start(fuzz_base, lev, fuzz_gauges, NULL, &err) == NULL) {
		fprintf(stderr, "fuzz_metrics: cannot listen on 127.0.0.1: %s\n", buf_cstr(&err));
		abort();
	}
	return 0;
}

/* fuzz_io - write what is left, then read the answer until EOF */
static void fuzz_io(evutil_socket_t fd, short what, void *arg)
{
	struct fuzz_conn *c = arg;
	char tmp[4096];
	ssize_t n;

	if ((what & EV_WRITE) && c->sent < c->size) {
		n = send(fd, c->data + c->sent, c->size - c->sent, MSG_NOSIGNAL);
		if (n > 0)
			c->sent += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			c->sent = c->size;	/* the server closed early: read what it said */
		if (c->sent == c->size) {
			shutdown(fd, SHUT_WR);
			event_del(c->wev);
		}
	}
	if (what & EV_READ) {
		while ((n = recv(fd, tmp, sizeof(tmp), 0)) > 0)
			buf_append(&c->answer, tmp, (size_t)n);
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			event_base_loopbreak(fuzz_base);
	}
}

/* fuzz_timeout - the exchange took too long: stop the loop */
static void fuzz_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(fuzz_base);
}

/* fuzz_status - the answer's first status code, 0 when empty; aborts on garbage */
static int fuzz_status(const struct buf *a)
{
	unsigned major, minor;
	int code;

	if (a->len == 0)
		return 0;
	/* evhttp answers in the request's version: "HTTP/0.0", "HTTP/1.11" are libevent's */
	if (strncmp(buf_cstr(a), "HTTP/", 5) != 0 ||
	    sscanf(buf_cstr(a), "HTTP/%u.%u %3d", &major, &minor, &code) != 3 || code < 100 ||
	    code > 599)
		abort();
	return code;
}

/* fuzz_check - 200 only for GET /metrics, /health or /ready */
static void fuzz_check(const uint8_t *data, size_t size, const struct buf *a)
{
	int code = fuzz_status(a);
	struct buf req = BUF_INIT;

	if (code != 200)
		return;
	buf_append(&req, data, size);
	if (strncmp(buf_cstr(&req), "GET ", 4) != 0 ||
	    (strstr(buf_cstr(&req), "/metrics") == NULL && strstr(buf_cstr(&req), "/health") == NULL &&
	     strstr(buf_cstr(&req), "/ready") == NULL))
		abort();
	if (strstr(buf_cstr(a), "relaywarden_") == NULL && strstr(buf_cstr(a), "\r\n\r\nok\n") == NULL &&
	    strstr(buf_cstr(a), "\r\n\r\nready\n") == NULL)
		abort();
	buf_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_conn c = { -1, data, size, 0, BUF_INIT, NULL, NULL };
	struct timeval tv = { FUZZ_LOOP_MS / 1000, (FUZZ_LOOP_MS % 1000) * 1000 };
	struct event *timer;

	c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || fuzz_bind_source(c.fd) < 0 || connect(c.fd, (struct sockaddr *)&fuzz_addr, sizeof(fuzz_addr)) < 0 ||
	    evutil_make_socket_nonblocking(c.fd) < 0) {
		fprintf(stderr, "fuzz_metrics: cannot connect: %s\n", strerror(errno));
		abort();
	}
	c.rev = event_new(fuzz_base, c.fd, EV_READ | EV_PERSIST, fuzz_io, &c);
	c.wev = event_new(fuzz_base, c.fd, EV_WRITE | EV_PERSIST, fuzz_io, &c);
	timer = evtimer_new(fuzz_base, fuzz_timeout, NULL);
	if (size == 0)
		shutdown(c.fd, SHUT_WR);
	else
		event_add(c.wev, NULL);
	event_add(c.rev, NULL);
	evtimer_add(timer, &tv);
	event_base_dispatch(fuzz_base);
	event_free(timer);
	event_free(c.rev);
	event_free(c.wev);
	/* a reset, not a FIN: a client closing first keeps TIME_WAIT */
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));
	evutil_closesocket(c.fd);
	/* let the server see the close and free its side */
	event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	fuzz_check(data, size, &c.answer);
	buf_release(&c.answer);
	return 0;
}
