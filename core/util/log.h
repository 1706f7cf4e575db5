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
/* log_quote - append s as a log value: bare if safe, else "..." escaped */
void log_quote(struct buf *out, const char *s);

#define log_err(...)   log_msg(LOG_L_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_L_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

#endif
