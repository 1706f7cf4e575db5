/*
 * sockbuf - write a buffer's pending part to a non-blocking socket, for
 * policyd's connections (policyd/conn.c) and the metrics endpoint
 * (core/metrics/http.c). The caller's loop thread; errors are returned with errno
 * set.
 */
#ifndef RW_SOCKBUF_H
#define RW_SOCKBUF_H

#include <stddef.h>

#include <event2/util.h>

#include "core/util/buf.h"

/*
 * sockbuf_write - write b[*off..] to fd, advancing *off: 1 when all of b
 * is written, 0 when the socket is full (EAGAIN: wait for EV_WRITE), -1
 * on an error
 */
int sockbuf_write(evutil_socket_t fd, const struct buf *b, size_t *off);

#endif
