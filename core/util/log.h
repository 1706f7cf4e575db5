/*
 * log - operational log lines: "key=value key=value" to syslog or stderr.
 *
 * One process-wide sink, set once at start-up (log_open) and on reload.
 * Values that may hold spaces or untrusted bytes are written through
 * log_quote, which escapes quotes, backslashes and non-printables.
 * Never log secrets (passwords, SASL payloads). Thread-safe: each line is
 * one datagram or one write(2).
 *
 * Syslog is our own client of /dev/log (RFC 3164 lines, as syslog(3)
 * writes them), for two reasons syslog(3) cannot serve: with no syslog
 * daemon listening, syslog(3) creates, connects and closes a socket on
 * every call (we retry the connection at most once a second and drop the
 * lines meanwhile), and with a daemon that falls behind it blocks the
 * caller, which here is policyd's event loop or a libmilter thread (we
 * never block: a line the socket cannot take now is dropped and counted,
 * log_dropped).
 */
#ifndef RW_LOG_H
#define RW_LOG_H

#include "core/util/buf.h"

enum log_level { LOG_L_ERR, LOG_L_WARN, LOG_L_INFO, LOG_L_DEBUG };

/* log_open - ident for syslog; to_stderr selects stderr; facility LOG_* */
void log_open(const char *ident, int to_stderr, int facility, int debug);
/* log_enabled - lines at lv would be written (skip building debug lines) */
int log_enabled(enum log_level lv);
void log_msg(enum log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * log_syslog - one line, prefix then text[0..len), at syslog priority prio
 * (LOG_INFO...) with the ident and facility of log_open, whatever the
 * log's target (the audit records' syslog sink)
 */
void log_syslog(int prio, const char *prefix, const char *text, size_t len);
/* log_dropped - syslog lines dropped so far (no daemon, or it fell behind) */
unsigned long log_dropped(void);
/*
 * log_plain - like log_msg, without the "level=NAME " that starts a
 * key=value line: for lines in another program's format (Postfix-style
 * decision summaries, core/engine/summary.h)
 */
void log_plain(enum log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * log_batch - lines collected during one turn of an event loop and written
 * together at its end (policyd's decision summaries): one write(2) for
 * stderr, one sendmmsg(2) per 64 lines for /dev/log. A batch belongs to one
 * thread. Lines the syslog daemon's queue cannot take now stay in the
 * batch (at most 4096; older ones are dropped and counted in log_dropped)
 * until the next flush, which the caller makes when log_batch_fd is
 * writable: nothing blocks, and a burst is not lost to a queue of ten
 * datagrams (Linux's default net.unix.max_dgram_qlen without systemd).
 * Lines are formatted for the sink of the moment they are begun; a line
 * begun after log_open changed the sink writes the earlier ones first.
 *
 *   struct buf *b = log_batch_begin(&lb, LOG_L_INFO);
 *   if (b != NULL) { ...append the text to b...; log_batch_end(&lb); }
 *   ...
 *   if (log_batch_flush(&lb)) ...wait until log_batch_fd() is writable, flush again...
 */
struct log_batch {
	struct buf text;	/* the lines with their headers ('\n'-ended for stderr) */
	size_t *ends;		/* end offset of each line in text */
	size_t n, cap;
	int to_stderr;		/* the sink the lines are formatted for */
};
#define LOG_BATCH_INIT { BUF_INIT, NULL, 0, 0, 0 }

/* log_batch_begin - start a line at lv (its header written); NULL when lv is not logged */
struct buf *log_batch_begin(struct log_batch *lb, enum log_level lv);
/* log_batch_end - the line begun last is complete */
void log_batch_end(struct log_batch *lb);
/* log_batch_flush - write the complete lines; 1 when some wait for the syslog daemon, else 0 */
int log_batch_flush(struct log_batch *lb);
/* log_batch_fd - the socket waiting lines wait for (-1: none) */
int log_batch_fd(void);
/* log_batch_release - free the storage; lines still waiting are dropped (counted) */
void log_batch_release(struct log_batch *lb);

/* log_quote - append s as a log value: bare if safe, else "..." escaped */
void log_quote(struct buf *out, const char *s);

#define log_err(...)   log_msg(LOG_L_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_L_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

#endif
