/* log - operational key=value log lines; see log.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/util/now.h"

#define LOG_DEV "/dev/log"
#define LOG_RETRY_MS 1000	/* no daemon: connect again after this long */
#define LOG_MMSG 64		/* lines per sendmmsg(2) of a batch */
#define LOG_BATCH_KEEP 4096	/* lines a batch keeps while the syslog daemon is behind */

static struct {
	char tag[128];		/* "ident[pid]: ", set by log_open */
	int to_stderr;
	int debug;
	int facility;
	pthread_mutex_t lock;	/* fd and retry_at */
	int fd;			/* connected to /dev/log, or -1 */
	uint64_t retry_at;	/* now_mono_ms before which we do not connect */
	unsigned long dropped;
} log_state = { "relaywarden: ", 1, 0, LOG_MAIL, PTHREAD_MUTEX_INITIALIZER, -1, 0, 0 };

static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* log_open - choose the sink */
void log_open(const char *ident, int to_stderr, int facility, int debug)
{
	char tag[sizeof(log_state.tag)];

	snprintf(tag, sizeof(tag), "%s[%ld]: ", ident, (long)getpid());
	pthread_mutex_lock(&log_state.lock);
	if (strcmp(tag, log_state.tag) != 0)	/* other threads read it without the lock */
		memcpy(log_state.tag, tag, sizeof(tag));
	log_state.to_stderr = to_stderr;
	log_state.debug = debug;
	log_state.facility = facility;
	log_state.retry_at = 0;	/* a reload may follow a syslog daemon's start */
	pthread_mutex_unlock(&log_state.lock);
}

/*
 * log_clock - this second as the two sinks write it, formatted once a
 * second per thread: stderr "2026-12-07T21:53:17Z" (UTC), syslog
 * "Dec  7 21:53:17" (local time, RFC 3164)
 */
static __thread struct {
	time_t sec;
	char iso[32];
	char bsd[32];
} log_clock = { (time_t)-1, "", "" };

/* log_header - the start of a line for the sink: time, and for syslog the priority first */
static void log_header(struct buf *b, int to_stderr, int prio)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);

	if (now != log_clock.sec) {
		struct tm tm;

		strftime(log_clock.iso, sizeof(log_clock.iso), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime_r(&now, &tm));
		localtime_r(&now, &tm);
		snprintf(log_clock.bsd, sizeof(log_clock.bsd), "%s %2d %02d:%02d:%02d",
			 months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		log_clock.sec = now;
	}
	if (to_stderr) {
		buf_puts(b, log_clock.iso);
	} else {
		buf_putc(b, '<');
		buf_put_u64(b, (uint64_t)(log_state.facility | prio));
		buf_putc(b, '>');
		buf_puts(b, log_clock.bsd);
	}
	buf_putc(b, ' ');
	buf_puts(b, log_state.tag);
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

/* log_send_failed - n lines not sent on fd (-1: not connected); lock held */
static void log_send_failed(int fd, size_t n)
{
	log_state.dropped += n;
	if (fd >= 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		close(log_state.fd);	/* the daemon went: connect again later */
		log_state.fd = -1;
	}
}

/* log_syslog - see log.h */
void log_syslog(int prio, const char *prefix, const char *text, size_t len)
{
	struct buf b = BUF_INIT;
	int fd;

	log_header(&b, 0, prio);
	buf_puts(&b, prefix);
	buf_append(&b, text, len);
	pthread_mutex_lock(&log_state.lock);
	if ((fd = log_connect()) < 0 || send(fd, b.data, b.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_send_failed(fd, 1);
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
	struct buf b = BUF_INIT;

	if (lv == LOG_L_DEBUG && !log_state.debug)
		return;
	if (log_state.to_stderr)
		log_header(&b, 1, log_prio[lv]);
	if (leveled)
		buf_printf(&b, "level=%s ", log_level_name(lv));
	buf_vprintf(&b, fmt, ap);
	if (log_state.to_stderr) {
		buf_putc(&b, '\n');
		if (write(STDERR_FILENO, b.data, b.len) < 0) {
			/* nowhere left to report it */
		}
	} else {
		log_syslog(log_prio[lv], "", b.data, b.len);
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

/* log_batch_drop - forget the first n lines (sent or dropped) */
static void log_batch_drop(struct log_batch *lb, size_t n)
{
	size_t off = n == 0 ? 0 : lb->ends[n - 1];

	if (n == 0)
		return;
	if (n == lb->n) {
		buf_truncate(&lb->text, 0);
		lb->n = 0;
		return;
	}
	memmove(lb->text.data, lb->text.data + off, lb->text.len - off);
	buf_truncate(&lb->text, lb->text.len - off);
	for (size_t i = n; i < lb->n; i++)
		lb->ends[i - n] = lb->ends[i] - off;
	lb->n -= n;
}

/* log_batch_begin - see log.h */
struct buf *log_batch_begin(struct log_batch *lb, enum log_level lv)
{
	int to_stderr = log_state.to_stderr;

	if (!log_enabled(lv))
		return NULL;
	if (lb->n > 0 && lb->to_stderr != to_stderr && log_batch_flush(lb)) {
		pthread_mutex_lock(&log_state.lock);
		log_state.dropped += lb->n;	/* log_open changed the sink: kept lines go */
		pthread_mutex_unlock(&log_state.lock);
		log_batch_drop(lb, lb->n);
	}
	lb->to_stderr = to_stderr;
	log_header(&lb->text, to_stderr, log_prio[lv]);
	return &lb->text;
}

/* log_batch_end - see log.h */
void log_batch_end(struct log_batch *lb)
{
	if (lb->to_stderr)
		buf_putc(&lb->text, '\n');
	if (lb->n == lb->cap) {
		lb->cap = lb->cap ? lb->cap * 2 : 64;
		lb->ends = rw_realloc(lb->ends, lb->cap * sizeof(*lb->ends));
	}
	lb->ends[lb->n++] = lb->text.len;
}

/*
 * log_batch_syslog - the lines as datagrams, LOG_MMSG per sendmmsg(2);
 * lock held. Returns how many are gone (sent, or dropped when there is no
 * daemon); the rest wait for room in the daemon's queue.
 */
static size_t log_batch_syslog(const struct log_batch *lb)
{
	struct mmsghdr msgs[LOG_MMSG];
	struct iovec iov[LOG_MMSG];
	int fd = log_connect();
	size_t i = 0;

	if (fd < 0) {
		log_send_failed(fd, lb->n);
		return lb->n;
	}
	while (i < lb->n) {
		unsigned k = 0;
		int sent;

		for (; k < LOG_MMSG && i + k < lb->n; k++) {
			size_t start = i + k == 0 ? 0 : lb->ends[i + k - 1];

			iov[k] = (struct iovec){ lb->text.data + start, lb->ends[i + k] - start };
			msgs[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		sent = sendmmsg(fd, msgs, k, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return i;	/* the daemon's queue is full: the rest wait */
			log_send_failed(fd, lb->n - i);	/* the daemon went */
			return lb->n;
		}
		i += (size_t)sent;
	}
	return i;
}

/* log_batch_flush - see log.h */
int log_batch_flush(struct log_batch *lb)
{
	size_t gone;

	if (lb->n == 0)
		return 0;
	if (lb->to_stderr) {
		size_t off = 0;

		while (off < lb->text.len) {
			ssize_t w = write(STDERR_FILENO, lb->text.data + off, lb->text.len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;	/* nowhere left to report it */
			off += (size_t)w;
		}
		log_batch_drop(lb, lb->n);
		return 0;
	}
	pthread_mutex_lock(&log_state.lock);
	gone = log_batch_syslog(lb);
	if (lb->n - gone > LOG_BATCH_KEEP) {
		log_state.dropped += lb->n - gone - LOG_BATCH_KEEP;	/* the oldest go */
		gone = lb->n - LOG_BATCH_KEEP;
	}
	pthread_mutex_unlock(&log_state.lock);
	log_batch_drop(lb, gone);
	return lb->n > 0;
}

/* log_batch_fd - see log.h */
int log_batch_fd(void)
{
	int fd;

	pthread_mutex_lock(&log_state.lock);
	fd = log_state.fd;
	pthread_mutex_unlock(&log_state.lock);
	return fd;
}

/* log_batch_release - see log.h */
void log_batch_release(struct log_batch *lb)
{
	if (lb->n > 0) {
		pthread_mutex_lock(&log_state.lock);
		log_state.dropped += lb->n;
		pthread_mutex_unlock(&log_state.lock);
	}
	buf_release(&lb->text);
	free(lb->ends);
	*lb = (struct log_batch)LOG_BATCH_INIT;
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
