/*
 * server - relaywarden-policyd's listeners, configuration and audit sinks.
 *
 * One server per process, driven by one libevent base, single-threaded.
 * It owns the current configuration snapshot (swapped by server_reload),
 * the audit sinks and every listener; connections (conn.c) borrow them for
 * the length of one callback. Errors while starting are returned in *err;
 * errors afterwards are logged and never stop the loop.
 */
#ifndef RW_SERVER_H
#define RW_SERVER_H

#include <event2/event.h>

#include "core/audit/audit.h"
#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/config/config.h"

struct decision_env;
struct limiter;
struct spf_pool;

struct server;

/* server_new - bind every listener of cfg (takes cfg's and audit's ownership) */
struct server *server_new(struct event_base *base, const char *config_path,
			  struct rw_config *cfg, struct audit *audit, struct buf *err);
/* server_config - the current snapshot (borrowed: valid during one callback) */
struct rw_config *server_config(struct server *s);
/* server_limiter - the rate-limit store (borrowed likewise) */
struct limiter *server_limiter(struct server *s);
/* server_spf_pool - the SPF worker pool (borrowed likewise); NULL while SPF is off */
struct spf_pool *server_spf_pool(struct server *s);
/* server_decision_env - what a decision starting now uses (borrowed likewise) */
void server_decision_env(struct server *s, struct decision_env *env);
/*
 * server_new_worker - another event loop on base (policyd/workers.h),
 * sharing first's snapshot and listening sockets (inet: one socket each,
 * SO_REUSEPORT; unix: first's, shared), with its own connections, limiter,
 * SPF pool and audit chain; no metrics endpoint. NULL with *err.
 */
struct server *server_new_worker(struct event_base *base, const struct server *first,
				 struct buf *err);
/* server_workers - the event loops cfg asks for (policyd.workers, 0: one per online CPU, at most 8) */
unsigned server_workers(const struct rw_config *cfg);
/*
 * server_post - from another thread: have s's loop apply cfg (a
 * reference, taken over; NULL: none), reopen its audit file, and/or stop
 * (its event loop exits); the ticket server_wait waits for
 */
unsigned long server_post(struct server *s, struct rw_config *cfg, int reopen, int stop);
/* server_wait - until s's loop has done what the post of ticket asked; 0, or -1 after timeout_ms */
int server_wait(struct server *s, unsigned long ticket, unsigned timeout_ms);
/* server_audit - the current audit sinks (borrowed likewise) */
struct audit *server_audit(struct server *s);
/* server_next_session - a new session id for a connection, into out */
void server_next_session(struct server *s, struct buf *out);
/*
 * server_conn_opened / server_conn_closed / server_conn_busy - connection
 * accounting for max_connections: opened, closed, and a decision under way
 * (delta +1) or done (-1). At max_connections the listeners stay on while
 * some connection is not busy (a new one evicts it, conn_evict) and pause
 * when all are.
 */
void server_conn_opened(struct server *s);
void server_conn_closed(struct server *s);
void server_conn_busy(struct server *s, int delta);
/* server_schedule_flush - after this loop turn: write the audit batch, then the
 * replies of the conns queued in the server's conn_set (conn_flush_all) */
void server_schedule_flush(struct server *s);
/*
 * server_audit_batch, server_audit_commit - build one audit record at the
 * end of the batch the next flush writes (audit_record appends to it), then
 * commit it: sealed into the audit chain (audit_seal), the newline goes on
 * and the flush is scheduled. One record at a time.
 */
struct buf *server_audit_batch(struct server *s);
void server_audit_commit(struct server *s);
/* server_log_batch - the log lines the next flush writes, after the replies */
struct log_batch *server_log_batch(struct server *s);
/* server_read_buffer - scratch space for one read(2) of 64 KiB (loop thread only) */
char *server_read_buffer(struct server *s);
/*
 * server_reload - load the config file again; a bad one is refused, the old
 * stays. Decisions in flight finish under the snapshot they started with.
 */
int server_reload(struct server *s);
/* server_reopen_audit - reopen the audit file (log rotation); 0, or -1 (logged) */
int server_reopen_audit(struct server *s);
/* server_free - close open connections and listeners, free the snapshot and the sinks; clears *sp */
void server_free(struct server **sp);

#endif
