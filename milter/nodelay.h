/*
 * nodelay - the milter's TCP sockets without Nagle and delayed-ACK stalls.
 *
 * libmilter sets no TCP_NODELAY on its sockets and offers no hook on the
 * sockets it accepts. Two stalls follow over TCP, each a delayed ACK (40 ms
 * on Linux) waited for per message:
 *  - our own back-to-back writes (header changes, then the reply at end of
 *    message): nodelay_listeners, called after smfi_opensocket and before
 *    smfi_main, sets TCP_NODELAY on the listening TCP sockets of our
 *    process (listed in /proc/self/fd, SO_ACCEPTCONN, AF_INET/AF_INET6);
 *    Linux copies it to every connection accepted from them. At that point
 *    libmilter's socket is the only listening socket the milter has.
 *  - the MTA's: Postfix writes with Nagle on, and twice per message sends
 *    a packet that gets no reply with more to follow: the DATA stage's
 *    macros (we skip the DATA step), which smtpd flushes before it hands
 *    the connection to cleanup, whose first write then waits; and the
 *    SMFIC_ABORT that ends every transaction, before the next one's
 *    commands. Each waits until our kernel acknowledges that packet, which
 *    it delays: having just replied (to RCPT, to end of message), the
 *    connection counts as interactive ("pingpong"). libmilter calls no
 *    callback for either. So a session finds its own socket when it
 *    starts (nodelay_session_claim: an accepted TCP socket on our
 *    listening port that no session has claimed, known by its inode), and
 *    after each RCPT and end of message hands it to nodelay_ack_soon:
 *    NODELAY_ACK_US later, when libmilter has sent the reply, a helper
 *    thread sets TCP_QUICKACK on it, which sends an ACK that is pending and
 *    leaves pingpong mode, so the next such packet is acknowledged as
 *    libmilter reads it. A socket closed meanwhile, or another session's,
 *    only gets its ACKs sooner.
 * When two sessions start at the same moment a session may claim the
 * other's socket, or none: then only that session's speed suffers.
 * (If libmilter ever reopens its socket after repeated select failures,
 * the new one runs without TCP_NODELAY; a restart mends it.)
 *
 * Threads: nodelay_listeners before smfi_main; the others from any
 * libmilter thread (a mutex over the claimed inodes, another over the
 * helper's queue; the helper starts with the first nodelay_ack_soon).
 * Errors: nodelay_listeners returns -1 with a message in *err when
 * /proc/self/fd cannot be read or a setsockopt fails, else the count of
 * sockets set (0: none is TCP); the others fail silently.
 */
#ifndef RW_MILTER_NODELAY_H
#define RW_MILTER_NODELAY_H

#include "core/util/buf.h"

#define NODELAY_ACK_US 1000		/* from end of message to TCP_QUICKACK */

/* nodelay_listeners - TCP_NODELAY on every listening TCP socket; the count or -1 */
int nodelay_listeners(struct buf *err);
/* nodelay_session_claim - the calling session's accepted TCP socket, or -1
 * (not TCP, or not found); *inode gets its inode for nodelay_session_release */
int nodelay_session_claim(unsigned long *inode);
/* nodelay_session_release - the session's socket (inode) is closing */
void nodelay_session_release(unsigned long inode);
/* nodelay_ack_soon - TCP_QUICKACK on fd NODELAY_ACK_US from now (fd < 0: nothing) */
void nodelay_ack_soon(int fd);

#endif
