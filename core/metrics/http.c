/* http - the metrics endpoint's HTTP server; see http.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/metrics/http.h"
#include "core/util/sockbuf.h"

enum http_state {
	HTTP_READING,		/* the request head */
	HTTP_WRITING,		/* the reply */
	HTTP_DRAINING,		/* reply sent, write side shut: until the client closes */
};

struct http_conn {
	struct http_server *srv;
	evutil_socket_t fd;
	enum http_state state;
	struct event *ev_read;		/* persistent */
	struct event *ev_write;		/* persistent, only while a write would block */
	struct event *ev_deadline;	/* HTTP_DEADLINE_S after accept */
	struct buf in;			/* the request head so far */
	struct buf out;			/* the reply */
	size_t out_off;			/* written part of out */
	struct http_conn *next, **pprev;
};

struct http_server {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *backoff_ev;
	http_handler_fn *fn;
	void *arg;
	struct http_conn *conns;	/* open connections */
	unsigned n_conns;
	int backoff;			/* accept(2) failed: waiting for backoff_ev */
	int listening;			/* lev enabled: n_conns under the cap, no back-off */
};

/* http_token_char - a tchar of RFC 9110 */
static int http_token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* http_head_end - where the head ends (after its empty line), 0 if not yet */
static size_t http_head_end(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < len && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* http_parse_head - see http.h */
enum http_parse http_parse_head(const char *data, size_t len, struct http_head *h)
{
	const char *eol, *p = data, *target;
	size_t end = http_head_end(data, len), n;

	if (end == 0)
		return HTTP_PARSE_MORE;
	eol = memchr(data, '\n', end);
	n = (size_t)(eol - data);
	if (n > 0 && data[n - 1] == '\r')
		n--;
	while (p < data + n && http_token_char((unsigned char)*p))
		p++;
	if (p == data || p >= data + n || *p != ' ' || p[1] != '/')
		return HTTP_PARSE_BAD;
	buf_truncate(&h->method, 0);
	buf_append(&h->method, data, (size_t)(p - data));
	target = ++p;
	while (p < data + n && (unsigned char)*p > ' ' && *p != 0x7f)
		p++;
	if (p + 9 != data + n || strncmp(p, " HTTP/1.", 8) != 0 || p[8] < '0' || p[8] > '9')
		return HTTP_PARSE_BAD;
	buf_truncate(&h->path, 0);
	buf_append(&h->path, target, strcspn(target, "?# "));
	return HTTP_PARSE_DONE;
}

/* http_listen_update - accept while under the cap and not backing off */
static void http_listen_update(struct http_server *s)
{
	int on = s->n_conns < HTTP_MAX_CONNECTIONS && !s->backoff;

	if (on == s->listening)
		return;
	s->listening = on;
	if (on)
		evconnlistener_enable(s->lev);
	else
		evconnlistener_disable(s->lev);
}

/* http_conn_free - close the connection, a slot is free */
static void http_conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if ((*c->pprev = c->next) != NULL)
		c->next->pprev = c->pprev;
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_deadline);
	evutil_closesocket(c->fd);
	buf_release(&c->in);
	buf_release(&c->out);
	free(c);
	s->n_conns--;
	http_listen_update(s);
}

/* http_write - write what is left of the reply; then shut the write side; -1 on error */
static int http_write(struct http_conn *c)
{
	int rc = sockbuf_write(c->fd, &c->out, &c->out_off);

	if (rc == 0)
		event_add(c->ev_write, NULL);
	if (rc <= 0)
		return rc;
	event_del(c->ev_write);
	/* closing with unread input would reset the reply away: wait for the client's close */
	shutdown(c->fd, SHUT_WR);
	c->state = HTTP_DRAINING;
	return 0;
}

/* http_respond - the handler's reply (or code/reason when fn is NULL) into out, then write */
static int http_respond(struct http_conn *c, const struct http_head *h, int code,
			const char *reason)
{
	struct http_reply r = { .code = code, .reason = reason };

	if (h != NULL)
		c->srv->fn(c->srv->arg, buf_cstr(&h->method), buf_cstr(&h->path), &r);
	else
		buf_printf(&r.body, "%d %s\n", code, reason);
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\n\r\n", r.code, r.reason,
		   r.type != NULL ? r.type : "text/plain; charset=utf-8", r.body.len);
	buf_append(&c->out, r.body.data, r.body.len);
	buf_release(&r.body);
	c->state = HTTP_WRITING;
	return http_write(c);
}

/* http_request - a head has arrived (or is too long or bad): answer it */
static int http_request(struct http_conn *c)
{
	struct http_head h = { BUF_INIT, BUF_INIT };
	enum http_parse st = http_parse_head(c->in.data, c->in.len, &h);
	int rc = 0;

	if (st == HTTP_PARSE_DONE)
		rc = http_respond(c, &h, 200, "OK");
	else if (st == HTTP_PARSE_BAD)
		rc = http_respond(c, NULL, 400, "Bad Request");
	else if (c->in.len > HTTP_MAX_HEAD)
		rc = http_respond(c, NULL, 431, "Request Header Fields Too Large");
	buf_release(&h.method);
	buf_release(&h.path);
	return rc;
}

/* http_on_read - request bytes, the client's close, or an error */
static void http_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	char chunk[2048];
	ssize_t n;

	(void)what;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		http_conn_free(c);
		return;
	}
	if (c->state != HTTP_READING)
		return;		/* after the head: ignored */
	buf_append(&c->in, chunk, (size_t)n);
	if (http_request(c) < 0)
		http_conn_free(c);
}

/* http_on_write - the socket takes more of the reply */
static void http_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	if (http_write(c) < 0)
		http_conn_free(c);
}

/* http_on_deadline - the connection's time is up */
static void http_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_conn_free(arg);
}

/* http_accept - a new connection, under the cap (the listener is off at it) */
static void http_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
			int salen, void *arg)
{
	static const struct timeval deadline = { HTTP_DEADLINE_S, 0 };
	struct http_server *s = arg;
	struct http_conn *c = rw_calloc(1, sizeof(*c));

	(void)lev;
	(void)sa;
	(void)salen;
	evutil_make_socket_nonblocking(fd);
	c->srv = s;
	c->fd = fd;
	c->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, http_on_read, c);
	c->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, http_on_write, c);
	c->ev_deadline = evtimer_new(s->base, http_on_deadline, c);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_deadline == NULL) {
		fprintf(stderr, "relaywarden-policyd: fatal: out of memory (event_new)\n");
		abort();
	}
	c->pprev = &s->conns;
	if ((c->next = s->conns) != NULL)
		c->next->pprev = &c->next;
	s->conns = c;
	s->n_conns++;
	event_add(c->ev_read, NULL);
	event_add(c->ev_deadline, &deadline);
	http_listen_update(s);
}

/*
 * http_accept_error - accept(2) failed in a way libevent does not retry
 * (EMFILE...): the connection stays queued and the listener would fire
 * again at once, so pause, one log line per pause
 */
static void http_accept_error(struct evconnlistener *lev, void *arg)
{
	static const struct timeval backoff = { 0, HTTP_ACCEPT_BACKOFF_MS * 1000 };
	struct http_server *s = arg;
	int err = errno;

	(void)lev;
	if (s->backoff)
		return;
	s->backoff = 1;
	http_listen_update(s);
	event_add(s->backoff_ev, &backoff);
	log_warn("event=accept_failed listener=metrics error=\"%s\" connections=%u "
		 "action=pause_accept ms=%d", strerror(err), s->n_conns, HTTP_ACCEPT_BACKOFF_MS);
}

/* http_backoff_end - accept again after a failed accept(2) */
static void http_backoff_end(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;

	(void)fd;
	(void)what;
	s->backoff = 0;
	http_listen_update(s);
}

/* http_server_start - see http.h */
struct http_server *http_server_start(struct event_base *base, struct evconnlistener *lev,
				      http_handler_fn *fn, void *arg, struct buf *err)
{
	struct http_server *s = rw_calloc(1, sizeof(*s));

	s->base = base;
	s->lev = lev;
	s->fn = fn;
	s->arg = arg;
	s->listening = 1;	/* evconnlistener_new enables */
	s->backoff_ev = evtimer_new(base, http_backoff_end, s);
	if (s->backoff_ev == NULL) {
		buf_puts(err, "metrics: cannot create the back-off event");
		http_server_free(&s);
		return NULL;
	}
	evconnlistener_set_cb(lev, http_accept, s);
	evconnlistener_set_error_cb(lev, http_accept_error);
	return s;
}

/* http_server_free - see http.h */
void http_server_free(struct http_server **sp)
{
	struct http_server *s = *sp;

	if (s == NULL)
		return;
	for (struct http_conn *c = s->conns, *next; c != NULL; c = next) {
		next = c->next;		/* http_conn_free unlinks c and frees nothing else */
		http_conn_free(c);
	}
	evconnlistener_free(s->lev);
	if (s->backoff_ev != NULL)
		event_free(s->backoff_ev);
	free(s);
	*sp = NULL;
}
