/* log - operational key=value log lines; see log.h */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"

static struct {
	const char *ident;
	int to_stderr;
	int debug;
} log_state = { "relaywarden", 1, 0 };

/* log_open - choose the sink */
void log_open(const char *ident, int to_stderr, int facility, int debug)
{
	if (!log_state.to_stderr)
		closelog();
	log_state.ident = ident;
	log_state.to_stderr = to_stderr;
	log_state.debug = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* log_level_name - level as text */
static const char *log_level_name(enum log_level lv)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	return names[lv];
}

/* log_enabled - debug lines only when asked for */
int log_enabled(enum log_level lv)
{
	return lv != LOG_L_DEBUG || log_state.debug;
}

/* log_msg - one line to the sink */
void log_msg(enum log_level lv, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	struct buf b = BUF_INIT;
	va_list ap;

	if (lv == LOG_L_DEBUG && !log_state.debug)
		return;
	if (log_state.to_stderr) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		buf_printf(&b, "%s %s[%ld]: level=%s ", ts, log_state.ident, (long)getpid(),
			   log_level_name(lv));
	} else {
		buf_printf(&b, "level=%s ", log_level_name(lv));
	}
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (log_state.to_stderr) {
		buf_putc(&b, '\n');
		if (write(STDERR_FILENO, b.data, b.len) < 0) {
			/* nowhere left to report it */
		}
	} else {
		syslog(prio[lv], "%s", buf_cstr(&b));
	}
	buf_release(&b);
}

/* log_quote - s as a log value, quoted and escaped when needed */
void log_quote(struct buf *out, const char *s)
{
	int plain;

	if (s == NULL)
		s = "";
	plain = *s != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '=')
			plain = 0;
	if (plain) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < ' ' || *p >= 0x7f)
			buf_printf(out, "\\x%02x", *p);
		else
			buf_putc(out, *p);
	}
	buf_putc(out, '"');
}
