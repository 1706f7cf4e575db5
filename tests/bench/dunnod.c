/*
 * rw-dunnod - a policy server that answers every request "action=DUNNO" at
 * once: the protocol ceiling relaywarden-policyd is measured against.
 *
 * usage: rw-dunnod [-b] -l 127.0.0.1:PORT | -l unix:PATH
 *
 * One libevent loop; each connection has its own core/engine/proto.c parser (the
 * same one the daemon uses) and gets one reply per complete request, so
 * pipelined requests work. A malformed request closes the connection.
 * Default: plain non-blocking read()/write() from the event callback (one
 * epoll_wait, one read, one write per request: the ceiling). -b uses
 * bufferevents instead, to show what they cost (the reply is written on the
 * next loop turn). SIGTERM or SIGINT stops the server.
 */
#include "autoconfig.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/engine/proto.h"

#define DUNNO_REPLY "action=DUNNO\n\n"
#define DUNNO_LEN (sizeof(DUNNO_REPLY) - 1)
#define DUNNO_BLOCK 64		/* replies per write at most */
#define DUNNO_READ 65536

struct dunno_conn {
	struct dunno_server *srv;
	struct dunno_conn *prev, *next;
	int fd;
	struct event *rev, *wev;	/* raw mode */
	struct bufferevent *bev;	/* -b mode */
	struct proto_parser *parser;
	size_t owed;			/* reply bytes not yet written (raw mode) */
};

struct dunno_server {
	struct event_base *base;
	int use_bev;
	struct dunno_conn *conns;	/* all open connections */
	char *rbuf;			/* shared read buffer: one thread */
	char replies[DUNNO_BLOCK * DUNNO_LEN];
};

/* dunnod_close - free a connection */
static void dunnod_close(struct dunno_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
	} else {
		event_free(c->rev);
		event_free(c->wev);
		close(c->fd);
	}
	proto_free(&c->parser);
	free(c);
}

/* dunnod_parse - feed n bytes; the number of complete requests, -1 on error */
static long dunnod_parse(struct dunno_conn *c, const char *data, size_t n, size_t *used)
{
	long requests = 0;

	*used = 0;
	while (*used < n) {
		const char *err = NULL;
		size_t u = 0;
		enum proto_status st = proto_feed(c->parser, data + *used, n - *used, &u, &err);

		*used += u;
		if (st == PROTO_ERROR) {
			fprintf(stderr, "rw-dunnod: closing connection: %s\n", err);
			return -1;
		}
		if (st == PROTO_REQUEST) {
			requests++;
			proto_reset(c->parser);
		}
	}
	return requests;
}

/* dunnod_flush - write owed replies; 0 done, 1 would block, -1 error */
static int dunnod_flush(struct dunno_conn *c)
{
	while (c->owed > 0) {
		/* the reply block is periodic: start where the owed bytes do */
		size_t start = (DUNNO_LEN - c->owed % DUNNO_LEN) % DUNNO_LEN;
		size_t n = sizeof(c->srv->replies) - start;
		ssize_t w;

		if (n > c->owed)
			n = c->owed;
		w = write(c->fd, c->srv->replies + start, n);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w > 0)
			c->owed -= (size_t)w;
	}
	return 0;
}

/* dunnod_after_flush - switch between reading and waiting to write */
static void dunnod_after_flush(struct dunno_conn *c, int rc)
{
	if (rc < 0) {
		dunnod_close(c);
	} else if (rc > 0) {	/* stop reading until the client reads */
		event_del(c->rev);
		event_add(c->wev, NULL);
	} else if (!event_pending(c->rev, EV_READ, NULL)) {
		event_del(c->wev);
		event_add(c->rev, NULL);
	}
}

/* dunnod_raw_read - read, parse, answer at once */
static void dunnod_raw_read(evutil_socket_t fd, short what, void *arg)
{
	struct dunno_conn *c = arg;
	ssize_t n = read(fd, c->srv->rbuf, DUNNO_READ);
	size_t used;
	long requests;

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		dunnod_close(c);
		return;
	}
	requests = dunnod_parse(c, c->srv->rbuf, (size_t)n, &used);
	if (requests > 0)
		c->owed += (size_t)requests * DUNNO_LEN;
	if (requests < 0) {
		dunnod_flush(c);	/* best effort for the requests before it */
		dunnod_close(c);
		return;
	}
	dunnod_after_flush(c, dunnod_flush(c));
}

/* dunnod_raw_write - the socket drained: write the rest */
static void dunnod_raw_write(evutil_socket_t fd, short what, void *arg)
{
	struct dunno_conn *c = arg;

	(void)fd;
	(void)what;
	dunnod_after_flush(c, dunnod_flush(c));
}

/* dunnod_bev_read - bufferevent mode: feed the input, queue replies */
static void dunnod_bev_read(struct bufferevent *bev, void *arg)
{
	struct dunno_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0) {
		size_t used;
		long requests = dunnod_parse(c, v.iov_base, v.iov_len, &used);

		if (requests < 0) {
			dunnod_close(c);
			return;
		}
		evbuffer_drain(in, used);
		for (long i = 0; i < requests; i++)
			bufferevent_write(bev, DUNNO_REPLY, DUNNO_LEN);
	}
}

/* dunnod_bev_event - EOF or error: drop the connection */
static void dunnod_bev_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		dunnod_close(arg);
}

/* dunnod_accept - a new client */
static void dunnod_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct dunno_server *srv = arg;
	struct dunno_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	(void)l;
	(void)salen;
	if (c == NULL) {
		close(fd);
		return;
	}
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->srv = srv;
	c->fd = fd;
	c->parser = proto_new(NULL);
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	if (srv->use_bev) {
		c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(c->bev, dunnod_bev_read, NULL, dunnod_bev_event, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, dunnod_raw_read, c);
	c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, dunnod_raw_write, c);
	event_add(c->rev, NULL);
}

/* dunnod_stop - SIGTERM/SIGINT: leave the loop */
static void dunnod_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

/* dunnod_addr - "HOST:PORT" (numeric) or "unix:PATH" into ss; -1 if bad */
static int dunnod_addr(const char *spec, struct sockaddr_storage *ss, int *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		if (strlen(spec + 5) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, spec + 5, strlen(spec + 5) + 1);
		unlink(un->sun_path);
		*len = (int)sizeof(*un);
		return 0;
	}
	*len = (int)sizeof(*ss);
	return evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, len);
}

/* dunnod_serve - run the loop until a signal; 0 or 1 */
static int dunnod_serve(struct dunno_server *srv, const char *listen_on)
{
	struct sockaddr_storage ss;
	struct evconnlistener *l;
	struct event *sigterm, *sigint;
	int len;

	if (dunnod_addr(listen_on, &ss, &len) < 0) {
		fprintf(stderr, "rw-dunnod: bad address %s\n", listen_on);
		return 1;
	}
	l = evconnlistener_new_bind(srv->base, dunnod_accept, srv,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
				    (struct sockaddr *)&ss, len);
	if (l == NULL) {
		fprintf(stderr, "rw-dunnod: cannot listen on %s: %s\n", listen_on,
			strerror(errno));
		return 1;
	}
	sigterm = evsignal_new(srv->base, SIGTERM, dunnod_stop, srv->base);
	sigint = evsignal_new(srv->base, SIGINT, dunnod_stop, srv->base);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_base_dispatch(srv->base);
	while (srv->conns != NULL)
		dunnod_close(srv->conns);
	evconnlistener_free(l);
	event_free(sigterm);
	event_free(sigint);
	return 0;
}

int main(int argc, char **argv)
{
	struct dunno_server *srv = calloc(1, sizeof(*srv));
	const char *listen_on = NULL;
	int opt, rc, bad = 0;

	if (srv == NULL)
		return 1;
	while ((opt = getopt(argc, argv, "bl:")) != -1) {
		if (opt == 'l')
			listen_on = optarg;
		else if (opt == 'b')
			srv->use_bev = 1;
		else
			bad = 1;
	}
	if (bad || listen_on == NULL || optind != argc) {
		fprintf(stderr, "usage: rw-dunnod [-b] -l 127.0.0.1:PORT | -l unix:PATH\n");
		free(srv);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < DUNNO_BLOCK; i++)
		memcpy(srv->replies + i * DUNNO_LEN, DUNNO_REPLY, DUNNO_LEN);
	srv->rbuf = malloc(DUNNO_READ);
	srv->base = event_base_new();
	rc = srv->rbuf == NULL || srv->base == NULL ? 1 : dunnod_serve(srv, listen_on);
	if (srv->base != NULL)
		event_base_free(srv->base);
	free(srv->rbuf);
	free(srv);
	return rc;
}
