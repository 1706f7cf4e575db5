/*
 * http - the small HTTP/1.x server behind the metrics endpoint of both daemons.
 *
 * One request per connection: the server reads the request head (request
 * line and header fields, at most HTTP_MAX_HEAD bytes, no body), asks the
 * handler for the reply, writes it with "Connection: close" and closes.
 * Its bounds are its own, so the endpoint cannot take the descriptors the
 * policy service needs:
 *  - at most HTTP_MAX_CONNECTIONS connections at once; past them the
 *    listener is disabled and clients wait in the kernel's listen queue,
 *    holding no descriptor of ours;
 *  - each connection is closed HTTP_DEADLINE_S seconds after it was
 *    accepted, whatever it sent (a client dripping one byte a second does
 *    not keep it open);
 *  - when accept(2) fails (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener
 *    pauses HTTP_ACCEPT_BACKOFF_MS with one log line per pause, never a
 *    busy loop.
 * libevent 2.1's evhttp has neither a connection cap nor a hook to count
 * its connections, hence this module.
 *
 * http_parse_head is sans-I/O (fuzzable). The server runs on the caller's
 * loop thread; the handler is called there, once per request.
 */
#ifndef RW_HTTP_H
#define RW_HTTP_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "core/util/buf.h"

/* connections open at once (a Prometheus server keeps one); within policyd/server.c's fd reserve */
#define HTTP_MAX_CONNECTIONS 8
/* seconds from accept to close, whatever the client does */
#define HTTP_DEADLINE_S 5
/* the request line and header fields, bytes */
#define HTTP_MAX_HEAD 8192
/* accepting stops this long after accept(2) fails */
#define HTTP_ACCEPT_BACKOFF_MS 500

enum http_parse {
	HTTP_PARSE_MORE,	/* no blank line yet */
	HTTP_PARSE_DONE,	/* the head is complete: method and path are set */
	HTTP_PARSE_BAD,		/* not an HTTP/1.x request head */
};

struct http_head {
	struct buf method;	/* "GET" */
	struct buf path;	/* the target up to '?' or '#': "/metrics" */
};

/*
 * http_parse_head - the request head in data[0..len): "METHOD SP target SP
 * HTTP/1.x" CRLF, header fields, an empty line (bare LF accepted). The
 * method is a token, the target starts with '/' and has no control bytes.
 * Header fields are not interpreted. h's buffers are reset and filled on
 * HTTP_PARSE_DONE; the caller releases them.
 */
enum http_parse http_parse_head(const char *data, size_t len, struct http_head *h);

struct http_reply {
	int code;		/* 200, 404, ... */
	const char *reason;	/* "OK" */
	const char *type;	/* Content-Type, NULL for text/plain */
	struct buf body;
};

/* http_handler_fn - fill r for method and path (both NUL-terminated) */
typedef void http_handler_fn(void *arg, const char *method, const char *path,
			     struct http_reply *r);

struct http_server;

/*
 * http_server_start - serve fn(arg) on the bound listener lev (taken over:
 * freed with the server, also on failure); NULL with *err
 */
struct http_server *http_server_start(struct event_base *base, struct evconnlistener *lev,
				      http_handler_fn *fn, void *arg, struct buf *err);
/* http_server_free - close the listener and every connection; clears *sp */
void http_server_free(struct http_server **sp);

#endif
