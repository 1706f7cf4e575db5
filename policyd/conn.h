/*
 * conn - one Postfix smtpd connection to relaywarden-policyd.
 *
 * A connection reads policy requests (core/engine/proto.c), turns each into a txn
 * (core/engine/request.c), has it decided (policyd/decision.c, core/engine/decide.c),
 * writes the "action=" reply and one audit record per decision. Requests pipelined on one
 * connection are answered in order. A malformed or oversized request is
 * logged and the connection closed without a reply, as Postfix expects.
 * The connections live in a struct conn_set (the server's, one per
 * process), which conn.c alone edits. Replies are not written at once: the
 * conn queues itself on its set's flush list and asks the server for a
 * flush; after the loop turn the server writes the batch of audit records
 * first and then every queued conn's replies (conn_flush_all) (so a decision's record
 * is on disk before the client hears the decision, with two writes per
 * batch, not per request). Idle connections are closed after the configured
 * idle_timeout, and a request not complete request_timeout after its first
 * byte closes its connection (idle_timeout restarts with every byte: a
 * client dripping bytes would otherwise hold its slot for ever). The conn
 * frees itself when the peer closes or on error.
 */
#ifndef RW_CONN_H
#define RW_CONN_H

#include <event2/util.h>

#include "policyd/server.h"

struct conn_set;

/* conn_set_new - an empty set of connections (the server's, one per process) */
struct conn_set *conn_set_new(void);
/* conn_set_free - close every open connection of the set (at shutdown), free it; clears *sp */
void conn_set_free(struct conn_set **sp);
/* conn_start - take over accepted socket fd from peer (text for logs) into set */
void conn_start(struct conn_set *set, struct server *s, struct event_base *base,
		evutil_socket_t fd, const char *peer);
/* conn_flush_all - write the replies of every conn of set queued for output */
void conn_flush_all(struct conn_set *set);
/*
 * conn_evict - at max_connections, close one connection of set so that a
 * new one can be served: the one stalled longest in the middle of a
 * request, else the one idle longest (as Postfix's own clients reconnect
 * when an idle connection closes); never one whose decision is under way.
 * 1, or 0 when every connection is waiting for a decision.
 */
int conn_evict(struct conn_set *set);

#endif
