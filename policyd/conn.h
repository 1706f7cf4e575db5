/*
 * conn - one Postfix smtpd connection to relaywarden-policyd.
 *
 * A connection reads policy requests (core/proto.c), turns each into a txn
 * (core/request.c), asks the engine (core/relay.c), writes the "action="
 * reply and one audit record per decision. Requests pipelined on one
 * connection are answered in order. A malformed or oversized request is
 * logged and the connection closed without a reply, as Postfix expects.
 * Idle connections are closed after the configured idle_timeout. The conn
 * frees itself when the peer closes or on error.
 */
#ifndef RW_CONN_H
#define RW_CONN_H

#include <event2/util.h>

#include "policyd/server.h"

/* conn_start - take over accepted socket fd from peer (text for logs) */
void conn_start(struct server *s, struct event_base *base, evutil_socket_t fd,
		const char *peer);

/* conn_close_all - close every open connection of s (at shutdown) */
void conn_close_all(struct server *s);

#endif
