/* server - listeners, config snapshot, audit sinks; see server.h */
#include "autoconfig.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "core/sys/fdlimit.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "policyd/conn.h"
#include "policyd/decision.h"
#include "core/spf/spf_pool.h"
#include "core/limits/limit_client.h"
#include "policyd/limiter.h"
#include "core/metrics/metrics.h"
#include "core/metrics/metrics_http.h"
#include "policyd/server.h"

#define SERVER_BACKLOG 1024
#define SERVER_READ_BUFFER (64 * 1024)
/* SPF evaluations running at once (core/spf/spf_pool.h says why threads) */
#define SERVER_SPF_THREADS 2
/*
 * descriptors kept for listeners, the metrics endpoint's connections
 * (METRICS_MAX_CONNECTIONS), audit file, Redis, DNS, SPF threads, libevent
 */
#define SERVER_FD_RESERVE 64
/* accepting stops this long after accept(2) fails (EMFILE...) */
#define SERVER_ACCEPT_BACKOFF_MS 500
/* workers = 0: one per online CPU, at most this many */
#define SERVER_AUTO_WORKERS 8

struct listener {
	struct evconnlistener *evl;
	char *spec;		/* "inet:..." or "unix:..." as configured */
	char *unix_path;	/* to unlink at exit */
};

struct server {
	struct event_base *base;
	char *config_path;
	struct rw_config *cfg;
	struct audit *audit;
	struct limiter *limiter;
	struct spf_pool *spf;	/* created when a config first enables SPF */
	struct listener *listeners;
	size_t n_listeners;
	unsigned conns;
	unsigned busy;		/* conns whose decision is under way: not evictable */
	struct conn_set *conn_set;	/* the open connections (conn.c) */
	struct event *flush_ev;	/* runs after the I/O callbacks of a loop turn */
	struct buf audit_batch;	/* records of this loop turn */
	size_t audit_record_start;	/* where the record being built begins */
	struct log_batch log_batch;	/* summary lines of this loop turn */
	struct event *log_ev;	/* lines wait for room at the syslog daemon */
	char *read_buf;
	int paused;		/* at max_connections, every conn busy: none to evict */
	int backoff;		/* accept(2) failed: waiting for backoff_ev */
	int listening;		/* listeners enabled: !paused && !backoff */
	struct event *backoff_ev;
	struct event *tick_ev;	/* once a second: an idle writer's checkpoint */
	struct metrics_http *metrics;	/* NULL: no metrics endpoint */
	time_t started;
	/* workers (server_new_worker): the first's listeners are shared */
	const struct server *first;	/* NULL: this is the first (signals, metrics) */
	unsigned loops;			/* event loops in the process (workers at start) */
	evutil_socket_t ctl_fd;		/* eventfd: server_post wakes the loop */
	struct event *ctl_ev;
	pthread_mutex_t ctl_lock;	/* the posted work below */
	pthread_cond_t ctl_cond;	/* ctl_done moved */
	struct rw_config *ctl_cfg;	/* a snapshot to apply (a reference) */
	int ctl_reopen, ctl_stop;
	unsigned long ctl_posted, ctl_done;	/* posts made, and done by the loop */
};

/* process-wide, so that workers never share a session id and the gauges count them all */
static unsigned long server_sessions;
static unsigned server_connections;

/* server_max_conns - this loop's share of max_connections (each loop its share, rounded up) */
static unsigned server_max_conns(const struct server *s)
{
	unsigned n = s->loops;

	return (s->cfg->policyd.max_connections + n - 1) / n;
}

/* server_accept - a new client: hand it to conn */
static void server_accept(struct evconnlistener *evl, evutil_socket_t fd,
			  struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	char host[NI_MAXHOST] = "unix";
	int one = 1;

	if (sa->sa_family != AF_UNIX) {
		getnameinfo(sa, (socklen_t)salen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		/* a reply is one write that the client waits for: never hold it back */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	metrics_count(MC_CONNECTIONS);
	if (s->conns >= server_max_conns(s))
		conn_evict(s->conn_set);	/* server_cap_update: there is one to evict */
	conn_start(s->conn_set, s, evconnlistener_get_base(evl), fd, host);
}

/* server_gauges - what /metrics, /health and /ready read at each request */
static void server_gauges(void *arg, struct metrics_gauges *g)
{
	struct server *s = arg;

	const char *state = limiter_store_state(s->limiter);
	int degraded = limiter_degraded(s->limiter);

	/* several loops: the store as the latest Redis call of any of them saw it */
	if (s->loops > 1 && strcmp(state, "local") != 0)
		limit_client_latest(&state, &degraded);
	g->connections = __atomic_load_n(&server_connections, __ATOMIC_RELAXED);
	metrics_gauges_set(g, state, s->cfg->digest);
	g->degraded = degraded;
	g->ready = metrics_store_ready(s->cfg, g->degraded);
}

/* server_listen_update - listeners on unless at max_connections or backing off */
static void server_listen_update(struct server *s)
{
	int on = !s->paused && !s->backoff;

	if (on == s->listening)
		return;
	s->listening = on;
	for (size_t i = 0; i < s->n_listeners; i++) {
		if (on)
			evconnlistener_enable(s->listeners[i].evl);
		else
			evconnlistener_disable(s->listeners[i].evl);
	}
}

/*
 * server_accept_log_due - one accept_failed line per pause for the process:
 * the descriptor limit is the process's, so every loop's accept(2) fails
 * (and pauses) at once
 */
static int server_accept_log_due(void)
{
	static uint64_t last;	/* now_mono_ms of the last line, 0: none */
	uint64_t now = now_mono_ms(), seen = __atomic_load_n(&last, __ATOMIC_RELAXED);

	return (seen == 0 || now - seen >= SERVER_ACCEPT_BACKOFF_MS) &&
	       __atomic_compare_exchange_n(&last, &seen, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * server_accept_error - accept(2) failed in a way libevent does not retry
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM): the connection stays in the listen
 * queue and the listener would fire again at once, so stop accepting for
 * SERVER_ACCEPT_BACKOFF_MS. One log line per pause (of every loop), never a busy loop.
 */
static void server_accept_error(struct evconnlistener *evl, void *arg)
{
	static const struct timeval backoff = { 0, SERVER_ACCEPT_BACKOFF_MS * 1000 };
	struct server *s = arg;
	int err = errno;

	(void)evl;
	metrics_count(MC_ACCEPT_FAILURES);
	if (s->backoff)
		return;
	s->backoff = 1;
	server_listen_update(s);
	event_add(s->backoff_ev, &backoff);
	if (server_accept_log_due())
		log_warn("event=accept_failed error=\"%s\" connections=%u action=pause_accept ms=%d",
			 strerror(err), __atomic_load_n(&server_connections, __ATOMIC_RELAXED),
			 SERVER_ACCEPT_BACKOFF_MS);
}

/* server_backoff_end - accept again after a failed accept(2) */
static void server_backoff_end(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	s->backoff = 0;
	server_listen_update(s);
}

/*
 * server_fd_limit - lift the open-files limit (core/sys/fdlimit.h) and warn
 * when max_connections cannot fit under it
 */
static void server_fd_limit(const struct rw_config *cfg)
{
	unsigned long lim = fdlimit_raise();
	unsigned long want = (unsigned long)cfg->policyd.max_connections + SERVER_FD_RESERVE;

	if (lim != 0 && lim < want)
		log_warn("event=fd_limit open_files=%lu max_connections=%u note=\"connections past "
			 "about %lu wait in the listen queue: raise the limit (LimitNOFILE) or "
			 "lower max_connections\"", lim, cfg->policyd.max_connections,
			 lim > SERVER_FD_RESERVE ? lim - SERVER_FD_RESERVE : 0);
}

/* server_parse_inet - "HOST:PORT" or "[V6]:PORT" into a socket address */
static int server_parse_inet(const char *hp, struct sockaddr_storage *ss, int *len)
{
	int slen = (int)sizeof(*ss);

	return evutil_parse_sockaddr_port(hp, (struct sockaddr *)ss, &slen) == 0 ?
		(*len = slen, 0) : -1;
}

/*
 * server_bind_unix - a unix-domain listening socket at path with mode: the
 * mode is set as bind(2) creates the socket (umask), because a chmod by
 * path afterwards would follow whatever the path names by then
 */
static evutil_socket_t server_bind_unix(const char *path, unsigned mode, struct buf *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	evutil_socket_t fd;
	mode_t mask;
	int bound;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		buf_printf(err, "unix:%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);	/* a stale socket of an earlier run */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		buf_printf(err, "unix:%s: %s", path, strerror(errno));
		return -1;
	}
	mask = umask(~(mode_t)mode & 0777);
	bound = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	umask(mask);
	if (!bound || listen(fd, SERVER_BACKLOG) < 0) {
		buf_printf(err, "unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* server_shared_unix - a worker's copy of the first's unix socket for spec (no SO_REUSEPORT there) */
static evutil_socket_t server_shared_unix(const struct server *first, const char *spec,
					  struct buf *err)
{
	for (size_t i = 0; i < first->n_listeners; i++) {
		evutil_socket_t fd;

		if (strcmp(first->listeners[i].spec, spec) != 0)
			continue;
		if ((fd = fcntl(evconnlistener_get_fd(first->listeners[i].evl), F_DUPFD_CLOEXEC, 0)) < 0)
			buf_printf(err, "%s: %s", spec, strerror(errno));
		return fd;
	}
	buf_printf(err, "%s: not a listener of the first worker", spec);
	return -1;
}

/*
 * server_bind - a listener on spec ("inet:HOST:PORT", "inet:[V6]:PORT" or
 * "unix:PATH") calling cb(arg) for each connection; NULL with *err
 */
static struct evconnlistener *server_bind(struct server *s, const char *spec,
					  evconnlistener_cb cb, void *arg, struct buf *err)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
	struct evconnlistener *evl;

	/* workers: one socket each, the kernel spreads connections (SO_REUSEPORT) */
	if (cb != NULL && s->loops > 1)
		flags |= LEV_OPT_REUSEABLE_PORT;
	if (strncmp(spec, "unix:", 5) == 0) {
		evutil_socket_t fd = s->first != NULL ? server_shared_unix(s->first, spec, err)
						      : server_bind_unix(spec + 5, s->cfg->policyd.socket_mode, err);

		if (fd < 0)
			return NULL;
		evl = evconnlistener_new(s->base, cb, arg, flags, -1, fd);
	} else {
		struct sockaddr_storage ss;
		int len;

		if (strncmp(spec, "inet:", 5) != 0 || server_parse_inet(spec + 5, &ss, &len) < 0) {
			buf_printf(err, "%s: not inet:HOST:PORT or unix:PATH", spec);
			return NULL;
		}
		evl = evconnlistener_new_bind(s->base, cb, arg, flags, SERVER_BACKLOG,
					      (struct sockaddr *)&ss, len);
	}
	if (evl == NULL)
		buf_printf(err, "%s: %s", spec, strerror(errno));
	return evl;
}

/* server_listen_one - open one configured listener */
static int server_listen_one(struct server *s, const char *spec, struct buf *err)
{
	struct evconnlistener *evl = server_bind(s, spec, server_accept, s, err);
	struct listener *l;

	if (evl == NULL)
		return -1;
	evconnlistener_set_error_cb(evl, server_accept_error);
	s->listeners = rw_realloc(s->listeners, (s->n_listeners + 1) * sizeof(*s->listeners));
	l = &s->listeners[s->n_listeners++];
	l->evl = evl;
	l->spec = rw_strdup(spec);
	/* the first unlinks the socket at exit */
	l->unix_path = strncmp(spec, "unix:", 5) == 0 && s->first == NULL ? rw_strdup(spec + 5) : NULL;
	return 0;
}

/* server_metrics_start - the /metrics endpoint on cfg's address */
static void server_metrics_start(struct server *s, const char *spec, struct buf *err)
{
	struct evconnlistener *evl = server_bind(s, spec, NULL, NULL, err);

	if (evl != NULL)
		s->metrics = metrics_http_start(s->base, evl, server_gauges, s, err);
}

/*
 * server_timezone - quota windows are computed in the process time zone
 * (core/limits/limits.h): set it to the configuration's.
 */
static void server_timezone(const struct rw_config *cfg)
{
	setenv("TZ", cfg->policy->timezone, 1);
	tzset();
}

/* server_flush_audit - write the queued audit records to the current sinks */
static void server_flush_audit(struct server *s)
{
	unsigned long lost;

	if (s->audit_batch.len > 0 &&
	    audit_write_lines(s->audit, s->audit_batch.data, s->audit_batch.len) < 0) {
		int e = errno;

		metrics_count(MC_AUDIT_WRITE_FAILURES);
		if (audit_failure(s->audit, &lost))
			log_err("event=audit_write_failed error=\"%s\" records_lost=%lu",
				strerror(e), lost);
	}
	buf_truncate(&s->audit_batch, 0);
}

/* server_audit_tick - once a second: a checkpoint when the audit writer idles (audit_tick) */
static void server_audit_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	server_flush_audit(s);	/* sealed records before the checkpoint over them */
	audit_tick(s->audit);
}

static void server_flush_log(struct server *s);

/* server_log_writable - the syslog daemon's queue has room again */
static void server_log_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_flush_log(arg);
}

/* server_flush_log - the batch's lines; those the daemon cannot take now wait for its socket */
static void server_flush_log(struct server *s)
{
	int fd;

	if (!log_batch_flush(&s->log_batch)) {
		if (s->log_ev != NULL)
			event_del(s->log_ev);	/* nothing waits: no wake-up for an old socket */
		return;
	}
	if (s->log_ev != NULL)
		event_free(s->log_ev);	/* the socket may be another since */
	s->log_ev = NULL;
	if ((fd = log_batch_fd()) >= 0 &&
	    (s->log_ev = event_new(s->base, fd, EV_WRITE, server_log_writable, s)) != NULL)
		event_add(s->log_ev, NULL);
}

/*
 * server_flush - once per loop turn with output: the audit records first
 * (one write), then every queued connection's replies, then the log lines
 * (one write or sendmmsg).
 */
static void server_flush(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	server_flush_audit(s);
	conn_flush_all(s->conn_set);
	server_flush_log(s);
}

void server_schedule_flush(struct server *s)
{
	event_active(s->flush_ev, 0, 0);
}

struct buf *server_audit_batch(struct server *s)
{
	s->audit_record_start = s->audit_batch.len;
	return &s->audit_batch;
}

void server_audit_commit(struct server *s)
{
	audit_seal(s->audit, &s->audit_batch, s->audit_record_start);
	buf_putc(&s->audit_batch, '\n');
	server_schedule_flush(s);
}

struct log_batch *server_log_batch(struct server *s)
{
	server_schedule_flush(s);
	return &s->log_batch;
}

char *server_read_buffer(struct server *s)
{
	return s->read_buf;
}

/*
 * server_spf_setup - the SPF pool once a config enables SPF. The resolver
 * settings (dns section) take effect at the pool's creation: a reload that
 * changes them is logged, not applied (stopping the pool would wait for
 * its running evaluations). 0, or -1 with *err.
 */
static int server_spf_setup(struct server *s, const struct rw_config *cfg, struct buf *err)
{
	struct dns_config dns = { .upstreams = cfg->dns.upstreams,
				  .timeout_ms = cfg->dns.timeout_ms };

	if (cfg->spf.inbound == MODE_OFF && cfg->spf.egress == MODE_OFF)
		return 0;
	if (s->spf != NULL) {
		if (!spf_pool_same_dns(s->spf, &dns))
			log_warn("event=reload note=\"dns settings change only at restart\"");
		return 0;
	}
	s->spf = spf_pool_new(s->base, &dns, SERVER_SPF_THREADS, err);
	return s->spf != NULL ? 0 : -1;
}

struct spf_pool *server_spf_pool(struct server *s)
{
	return s->spf;
}

void server_decision_env(struct server *s, struct decision_env *env)
{
	*env = (struct decision_env){ .cfg = s->cfg, .limiter = s->limiter, .spf_pool = s->spf };
}

/* server_workers - the event loops cfg asks for: workers, or one per online CPU (at most 8) */
unsigned server_workers(const struct rw_config *cfg)
{
	long n = cfg->policyd.workers;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) > SERVER_AUTO_WORKERS)
		n = SERVER_AUTO_WORKERS;
	return n < 1 ? 1 : (unsigned)n;
}

static void server_on_ctl(evutil_socket_t fd, short what, void *arg);

/*
 * server_init - what every worker has: its loop's events, the control
 * channel, the limiter, the SPF pool and its listeners (the first binds
 * them, a worker shares them); the first also the metrics endpoint and the
 * process-wide settings. cfg and audit are taken over.
 */
static struct server *server_init(struct event_base *base, const char *config_path,
				  struct rw_config *cfg, struct audit *audit,
				  const struct server *first, struct buf *err)
{
	struct server *s = rw_calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	s->base = base;
	s->first = first;
	s->config_path = rw_strdup(config_path);
	s->cfg = cfg;
	s->audit = audit;
	s->started = first != NULL ? first->started : time(NULL);
	s->loops = first != NULL ? first->loops : server_workers(cfg);
	pthread_mutex_init(&s->ctl_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* server_wait's bound: no clock jumps */
	pthread_cond_init(&s->ctl_cond, &ca);
	pthread_condattr_destroy(&ca);
	s->read_buf = rw_malloc(SERVER_READ_BUFFER);
	s->conn_set = conn_set_new();
	s->flush_ev = event_new(base, -1, 0, server_flush, s);
	s->backoff_ev = evtimer_new(base, server_backoff_end, s);
	s->tick_ev = event_new(base, -1, EV_PERSIST, server_audit_tick, s);
	if (s->tick_ev != NULL)
		event_add(s->tick_ev, &(struct timeval){ 1, 0 });
	if ((s->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0 &&
	    (s->ctl_ev = event_new(base, s->ctl_fd, EV_READ | EV_PERSIST, server_on_ctl, s)) != NULL)
		event_add(s->ctl_ev, NULL);
	if (s->flush_ev == NULL || s->backoff_ev == NULL || s->tick_ev == NULL || s->ctl_ev == NULL)
		buf_puts(err, "policyd: cannot create the flush, back-off or control event");
	if (first == NULL) {
		metrics_configure(cfg);
		server_timezone(cfg);
		server_fd_limit(cfg);
	}
	if (err->len == 0 && (s->limiter = limiter_new(base, cfg, err)) != NULL)
		limiter_local_parts(s->limiter, s->loops);	/* the share is the process's */
	if (err->len == 0)
		server_spf_setup(s, cfg, err);
	if (cfg->policyd.listen.n == 0 && err->len == 0)
		buf_puts(err, "policyd: no listen address configured");
	for (size_t i = 0; i < cfg->policyd.listen.n && err->len == 0; i++)
		server_listen_one(s, cfg->policyd.listen.v[i], err);
	s->listening = 1;	/* evconnlistener_new enables */
	if (err->len == 0 && first == NULL && cfg->policyd.metrics != NULL)
		server_metrics_start(s, cfg->policyd.metrics, err);
	if (err->len > 0) {
		server_free(&s);
		return NULL;
	}
	return s;
}

/* server_new - the first worker: bind all listeners */
struct server *server_new(struct event_base *base, const char *config_path,
			  struct rw_config *cfg, struct audit *audit, struct buf *err)
{
	return server_init(base, config_path, cfg, audit, NULL, err);
}

/* server_new_worker - another worker on base beside first (same snapshot, its own audit chain) */
struct server *server_new_worker(struct event_base *base, const struct server *first,
				 struct buf *err)
{
	struct audit *audit = audit_open(first->cfg, err);

	if (audit == NULL)
		return NULL;
	return server_init(base, first->config_path, config_ref(first->cfg), audit, first, err);
}

struct rw_config *server_config(struct server *s)
{
	return s->cfg;
}

struct limiter *server_limiter(struct server *s)
{
	return s->limiter;
}

struct audit *server_audit(struct server *s)
{
	return s->audit;
}

/* server_next_session - start time and a sequence number, hex */
void server_next_session(struct server *s, struct buf *out)
{
	buf_printf(out, "%lx.%lx", (unsigned long)s->started,
		   __atomic_add_fetch(&server_sessions, 1, __ATOMIC_RELAXED));
}

/*
 * server_cap_update - at max_connections keep accepting while some
 * connection can be evicted (conn_evict: stalled or idle clients cannot
 * keep Postfix out); pause when every one is waiting for its decision
 */
static void server_cap_update(struct server *s)
{
	int paused = s->conns >= server_max_conns(s) && s->busy >= s->conns;

	if (s->paused == paused)
		return;
	s->paused = paused;
	server_listen_update(s);
	if (paused)
		log_warn("event=max_connections connections=%u action=pause_accept", s->conns);
	else
		log_info("event=resume_accept connections=%u", s->conns);
}

void server_conn_opened(struct server *s)
{
	s->conns++;
	__atomic_add_fetch(&server_connections, 1, __ATOMIC_RELAXED);
	server_cap_update(s);
}

void server_conn_busy(struct server *s, int delta)
{
	s->busy += (unsigned)delta;
	server_cap_update(s);
}

void server_conn_closed(struct server *s)
{
	s->conns--;
	__atomic_sub_fetch(&server_connections, 1, __ATOMIC_RELAXED);
	server_cap_update(s);
}

/* server_same_listen - the listen set is unchanged */
static int server_same_listen(const struct rw_config *a, const struct rw_config *b)
{
	if (a->policyd.listen.n != b->policyd.listen.n)
		return 0;
	for (size_t i = 0; i < a->policyd.listen.n; i++)
		if (strcmp(a->policyd.listen.v[i], b->policyd.listen.v[i]) != 0)
			return 0;
	return 1;
}

/* server_refuse - a reload refused for *err (released): the old snapshot stays; -1 */
static int server_refuse(struct server *s, struct buf *err)
{
	metrics_count(MC_RELOADS_REFUSED);
	log_err("event=reload_refused error=\"%s\" config_digest=%s", buf_cstr(err),
		s->cfg->digest);
	buf_release(err);
	return -1;
}

/*
 * server_apply - make cfg (a reference, taken over) this worker's
 * snapshot: its audit sinks and limiter are opened beside the old ones and
 * swapped in on success; 0, or -1 (logged, the old stays)
 */
static int server_apply(struct server *s, struct rw_config *cfg)
{
	struct buf err = BUF_INIT;
	struct audit *audit = audit_open(cfg, &err);
	struct limiter *limiter = NULL;

	if (audit == NULL)
		config_unref(&cfg);
	if (cfg != NULL && !limiter_same_store(s->limiter, cfg) &&
	    (limiter = limiter_new(s->base, cfg, &err)) == NULL) {
		audit_close(&audit);
		config_unref(&cfg);
	}
	if (limiter != NULL)
		limiter_local_parts(limiter, s->loops);
	if (cfg != NULL && server_spf_setup(s, cfg, &err) < 0) {
		limiter_free(&limiter);
		audit_close(&audit);
		config_unref(&cfg);
	}
	if (cfg == NULL)
		return server_refuse(s, &err);
	if (s->first == NULL) {
		if (!server_same_listen(s->cfg, cfg))
			log_warn("event=reload note=\"listen addresses change only at restart\"");
		if ((s->cfg->policyd.metrics == NULL) != (cfg->policyd.metrics == NULL) ||
		    (cfg->policyd.metrics != NULL &&
		     strcmp(s->cfg->policyd.metrics, cfg->policyd.metrics) != 0))
			log_warn("event=reload note=\"the metrics address changes only at restart\"");
		if (s->loops != server_workers(cfg))
			log_warn("event=reload note=\"workers change only at restart\"");
		metrics_count(MC_RELOADS_OK);
		metrics_configure(cfg);
	}
	server_flush_audit(s);	/* records decided under the old config go to its sinks */
	audit_close(&s->audit);
	s->audit = audit;
	config_unref(&s->cfg);
	s->cfg = cfg;
	if (s->first == NULL) {
		server_timezone(cfg);
		server_fd_limit(cfg);
	}
	if (limiter != NULL) {	/* the old store's requests finish on the local fallback */
		struct limiter *old = s->limiter;

		s->limiter = limiter;
		limiter_free(&old);
	}
	buf_release(&err);
	return 0;
}

/* server_reload - build the new snapshot beside the old, swap on success */
int server_reload(struct server *s)
{
	struct buf err = BUF_INIT;
	struct rw_config *cfg = config_load(s->config_path, &err);

	if (cfg == NULL)
		return server_refuse(s, &err);
	buf_release(&err);
	return server_apply(s, cfg);
}

/* server_on_ctl - work server_post left for this loop */
static void server_on_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct rw_config *cfg;
	unsigned long posted;
	uint64_t n;
	int reopen, stop;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("event=worker_control_failed error=\"%s\"", strerror(errno));
	pthread_mutex_lock(&s->ctl_lock);
	cfg = s->ctl_cfg;
	reopen = s->ctl_reopen;
	stop = s->ctl_stop;
	posted = s->ctl_posted;
	s->ctl_cfg = NULL;
	s->ctl_reopen = s->ctl_stop = 0;
	pthread_mutex_unlock(&s->ctl_lock);
	if (cfg != NULL)
		server_apply(s, cfg);
	if (reopen)
		server_reopen_audit(s);
	if (stop)
		event_base_loopexit(s->base, NULL);
	pthread_mutex_lock(&s->ctl_lock);
	s->ctl_done = posted;
	pthread_cond_broadcast(&s->ctl_cond);
	pthread_mutex_unlock(&s->ctl_lock);
}

/* server_wait - see server.h */
int server_wait(struct server *s, unsigned long ticket, unsigned timeout_ms)
{
	struct timespec until;
	int rc = 0;

	now_mono_after((uint64_t)timeout_ms * 1000u, &until);	/* ctl_cond waits on CLOCK_MONOTONIC */
	pthread_mutex_lock(&s->ctl_lock);
	while (rc == 0 && s->ctl_done < ticket)
		rc = pthread_cond_timedwait(&s->ctl_cond, &s->ctl_lock, &until);
	rc = s->ctl_done >= ticket ? 0 : -1;
	pthread_mutex_unlock(&s->ctl_lock);
	return rc;
}

/* server_post - see server.h */
unsigned long server_post(struct server *s, struct rw_config *cfg, int reopen, int stop)
{
	uint64_t one = 1;
	unsigned long ticket;

	pthread_mutex_lock(&s->ctl_lock);
	if (cfg != NULL) {
		if (s->ctl_cfg != NULL)
			config_unref(&s->ctl_cfg);	/* a newer one came first */
		s->ctl_cfg = cfg;
	}
	s->ctl_reopen |= reopen;
	s->ctl_stop |= stop;
	ticket = ++s->ctl_posted;
	pthread_mutex_unlock(&s->ctl_lock);
	if (write(s->ctl_fd, &one, sizeof(one)) < 0)
		log_err("event=worker_control_failed error=\"%s\"", strerror(errno));
	return ticket;
}

/* server_reopen_audit - after rotation; 0, or -1 (logged) */
int server_reopen_audit(struct server *s)
{
	struct buf err = BUF_INIT;
	int rc;

	server_flush_audit(s);	/* sealed records before the rotation's checkpoint */
	if ((rc = audit_reopen(s->audit, &err)) < 0)
		log_err("event=audit_reopen_failed error=\"%s\"", buf_cstr(&err));
	buf_release(&err);
	return rc;
}

/* server_free - close everything */
void server_free(struct server **sp)
{
	struct server *s = *sp;

	if (s == NULL)
		return;
	if (s->flush_ev != NULL) {
		server_flush(-1, 0, s);	/* what this turn decided is recorded and answered */
		event_free(s->flush_ev);
	}
	if (s->backoff_ev != NULL)
		event_free(s->backoff_ev);
	if (s->tick_ev != NULL)
		event_free(s->tick_ev);
	if (s->log_ev != NULL)
		event_free(s->log_ev);
	if (s->ctl_ev != NULL)
		event_free(s->ctl_ev);
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->ctl_cfg != NULL)
		config_unref(&s->ctl_cfg);
	pthread_cond_destroy(&s->ctl_cond);
	pthread_mutex_destroy(&s->ctl_lock);
	conn_set_free(&s->conn_set);
	metrics_http_free(&s->metrics);
	spf_pool_free(&s->spf);
	limiter_free(&s->limiter);
	for (size_t i = 0; i < s->n_listeners; i++) {
		evconnlistener_free(s->listeners[i].evl);
		if (s->listeners[i].unix_path)
			unlink(s->listeners[i].unix_path);
		free(s->listeners[i].unix_path);
		free(s->listeners[i].spec);
	}
	free(s->listeners);
	audit_close(&s->audit);
	config_unref(&s->cfg);
	buf_release(&s->audit_batch);
	log_batch_release(&s->log_batch);
	free(s->read_buf);
	free(s->config_path);
	free(s);
	*sp = NULL;
}
