/*
 * nodelay - TCP_NODELAY on the milter's TCP listening socket.
 *
 * libmilter sets no TCP_NODELAY on its sockets, and the MTA writes
 * commands that get no reply (macros, headers) back to back: over TCP each
 * small write then waits for the peer's delayed ACK (40 ms on Linux), and
 * a filter runs at a fraction of its unix-socket rate. libmilter offers no
 * hook on the sockets it accepts, but Linux copies TCP_NODELAY from a
 * listening socket to every connection accepted from it, so
 * nodelay_listeners, called after smfi_opensocket and before smfi_main,
 * finds the listening TCP sockets of our own process (listed in
 * /proc/self/fd, SO_ACCEPTCONN set, AF_INET or AF_INET6) and sets it there.
 * At that point libmilter's socket is the only listening socket the milter
 * has. (If libmilter ever reopens its socket after repeated select
 * failures, the new one runs without it, as before; a restart mends it.)
 *
 * Not thread-safe in the sense that the descriptor table must not change
 * under it: call it before smfi_main starts its threads.
 * Errors: -1 with a message in *err when /proc/self/fd cannot be read or a
 * setsockopt fails; the count of sockets set otherwise (0: none is TCP).
 */
#ifndef RW_MILTER_NODELAY_H
#define RW_MILTER_NODELAY_H

#include "core/buf.h"

/* nodelay_listeners - TCP_NODELAY on every listening TCP socket; the count or -1 */
int nodelay_listeners(struct buf *err);

#endif
