/*
 * workers - policyd's event loops past the first: each a struct server
 * (server_new_worker) on its own event base in its own thread, deciding
 * the connections the kernel gives its listening sockets. The first loop
 * runs on the main thread and keeps the signals and the metrics endpoint;
 * reload, reopen and stop reach the others through server_post.
 *
 * workers_new binds and opens everything (before privileges are dropped);
 * workers_start starts the threads; workers_stop asks each loop to exit,
 * joins it (each worker flushes and frees itself on its own thread, as the
 * first does at stop) and frees what is left. Call all four from the main
 * thread.
 */
#ifndef RW_WORKERS_H
#define RW_WORKERS_H

#include "core/config/config.h"
#include "core/util/buf.h"
#include "policyd/server.h"

struct workers;

/* workers_new - n more loops beside first; NULL with *err (n = 0: an empty set) */
struct workers *workers_new(const struct server *first, unsigned n, struct buf *err);
/* workers_start - run every loop in a thread of its own; 0, or -1 with *err */
int workers_start(struct workers *w, struct buf *err);
/*
 * workers_reload - every loop applies cfg (a snapshot the first applied;
 * referenced here); returns once each has (at most 10 s each, then logged)
 */
void workers_reload(struct workers *w, struct rw_config *cfg);
/* workers_reopen - every loop reopens its audit file; returns likewise */
void workers_reopen(struct workers *w);
/* workers_stop - stop, join and free every loop; clears *wp */
void workers_stop(struct workers **wp);

#endif
