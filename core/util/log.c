/* log - operational key=value log lines; see log.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/util/now.h"

#define LOG_DEV "/dev/log"
#define LOG_RETRY_MS 1000	/* no daemon: connect again after this long */

static struct {
	const char *ident;
	int to_stderr;
	int debug;
	int facility;
	pthread_mutex_t lock;	/* fd and retry_at */
	int fd;			/* connected to /dev/log, or -1 */
	uint64_t retry_at;	/* now_mono_ms before which we do not connect */
	unsigned long dropped;
} log_state = { "relaywarden", 1, 0, LOG_MAIL, PTHREAD_MUTEX_INITIALIZER, -1, 0, 0 };

/* log_open - choose the sink */
void log_open(const char *ident, int to_stderr, int facility, int debug)
{
	pthread_mutex_lock(&log_state.lock);
	log_state.ident = ident;
	log_state.to_stderr = to_stderr;
	log_state.debug = debug;
	log_state.facility = facility;
	log_state.retry_at = 0;	/* a reload may follow a syslog daemon's start */
	pthread_mutex_unlock(&log_state.lock);
}

/* log_connect - the /dev/log socket, connected now (lock held); -1 until LOG_RETRY_MS passed */
static int log_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint64_t now;

	if (log_state.fd >= 0)
		return log_state.fd;
	if ((now = now_mono_ms()) < log_state.retry_at)
		return -1;
	log_state.retry_at = now + LOG_RETRY_MS;
	memcpy(sun.sun_path, LOG_DEV, sizeof(LOG_DEV));
	log_state.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_state.fd >= 0 && connect(log_state.fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(log_state.fd);
		log_state.fd = -1;
	}
	return log_state.fd;
}

/* log_syslog - see log.h */
void log_syslog(int prio, const char *prefix, const char *text, size_t len)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct buf b = BUF_INIT;
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	localtime_r(&now, &tm);
	buf_printf(&b, "<%d>%s %2d %02d:%02d:%02d %s[%ld]: ", log_state.facility | prio,
		   months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		   log_state.ident, (long)getpid());
	buf_puts(&b, prefix);
	buf_append(&b, text, len);
	pthread_mutex_lock(&log_state.lock);
	if ((fd = log_connect()) < 0 || send(fd, b.data, b.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		log_state.dropped++;
		if (fd >= 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			close(log_state.fd);	/* the daemon went: connect again later */
			log_state.fd = -1;
		}
	}
	pthread_mutex_unlock(&log_state.lock);
	buf_release(&b);
}

/* log_dropped - see log.h */
unsigned long log_dropped(void)
{
	unsigned long n;

	pthread_mutex_lock(&log_state.lock);
	n = log_state.dropped;
	pthread_mutex_unlock(&log_state.lock);
	return n;
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

/* log_vline - one line to the sink, after "level=NAME " when leveled */
static void log_vline(enum log_level lv, int leveled, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	struct buf b = BUF_INIT;

	if (lv == LOG_L_DEBUG && !log_state.debug)
		return;
	if (log_state.to_stderr) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		buf_printf(&b, "%s %s[%ld]: ", ts, log_state.ident, (long)getpid());
	}
	if (leveled)
		buf_printf(&b, "level=%s ", log_level_name(lv));
	buf_vprintf(&b, fmt, ap);
	if (log_state.to_stderr) {
		buf_putc(&b, '\n');
		if (write(STDERR_FILENO, b.data, b.len) < 0) {
			/* nowhere left to report it */
		}
	} else {
		log_syslog(prio[lv], "", b.data, b.len);
	}
	buf_release(&b);
}

/* log_msg - one key=value line to the sink */
void log_msg(enum log_level lv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(lv, 1, fmt, ap);
	va_end(ap);
}

/* log_plain - one line as given, without level= */
void log_plain(enum log_level lv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(lv, 0, fmt, ap);
	va_end(ap);
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
