/*
 * conn - one Postfix smtpd connection to relaywarden-policyd.
 *
 * A connection reads policy requests (core/proto.c), turns each into a txn
 * (core/request.c), asks the engine (core/relay.c), writes the "action="
 * reply and one audit record per decision. Requests pipelined on one
 * connection are answered in order. A malformed or oversized request is
 * logged and the connection closed without a reply, as Postfix expects.
 * Replies are not written at once: the conn queues itself on the server's
 * flush list, and after the loop turn the server writes the batch of audit
 * records first and then every queued conn's replies (so a decision's record
 * is on disk before the client hears the decision, with two writes per
 * batch, not per request). Idle connections are closed after the configured
 * idle_timeout. The conn frees itself when the peer closes or on error.
 */
#ifndef RW_CONN_H
#define RW_CONN_H

#include <event2/util.h>

#include "policyd/server.h"

/* conn_start - take over accepted socket fd from peer (text for logs) */
void conn_start(struct server *s, struct event_base *base, evutil_socket_t fd,
		const char *peer);

/* conn_flush_all - write the replies of every conn queued for output */
void conn_flush_all(struct server *s);
/* conn_close_all - close every open connection of s (at shutdown) */
void conn_close_all(struct server *s);

#endif
