/*
 * dns - the libunbound resolver; see dns.h.
 *
 * Every query, synchronous or not, is a ub_resolve_async on the one
 * context (libunbound's background *thread*, ub_ctx_async(ctx, 1), so the
 * cache is shared and nothing forks). Each query has a record here
 * (struct dns_rec) on the resolver's live list, guarded by r->lock:
 *  - dns_ub_done is libunbound's callback. It runs in whichever thread
 *    calls ub_process (a dns_query waiter or the event loop), with no
 *    libunbound lock held; it stores the answer and wakes the owner: a
 *    sync query's eventfd, or the async done queue (+ r->wake_fd when it
 *    ran off the loop's own ub_process), so user callbacks always run on
 *    the loop thread.
 *  - A timed-out or cancelled query is ub_cancel'ed. In thread mode that
 *    only marks libunbound's query: UB_NOERROR means our callback will
 *    never run and the record is freed at once; UB_NOID means the answer
 *    is already being delivered, so the record stays (cancelled) and
 *    dns_ub_done frees it.
 * Records left at dns_free are freed there (ub_ctx_delete first).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>

#include "core/dns/dns.h"
#include "core/dns/dns_cache.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"

#define DNS_DEFAULT_TIMEOUT_MS 2000
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

enum dns_kind { DNS_SYNC, DNS_ASYNC };

struct dns_rec {
	struct dns_resolver *r;
	enum dns_kind kind;
	enum dns_type type;
	char *name;		/* as asked, for dns_packet_answer */
	uint64_t id;
	int ub_id;
	uint64_t started_us;	/* now_mono_us when asked */
	int in_ub;		/* libunbound may still call dns_ub_done */
	int cancelled;		/* nobody wants the answer any more */
	int queued;		/* async: on the done queue */
	struct dns_answer *ans;	/* set once the answer is in */
	int efd;		/* sync: signalled when ans is set */
	dns_callback *cb;	/* async */
	void *arg;
	struct event *timer;	/* async: the deadline (loop thread only) */
	struct dns_rec *prev, *next;	/* live list */
	struct dns_rec *qnext;		/* done queue */
};

struct dns_resolver {
	struct ub_ctx *ctx;
	unsigned timeout_ms;
	struct dns_cache *cache;	/* thread-safe on its own */
	pthread_mutex_t lock;	/* the fields below */
	struct dns_rec *live;
	struct dns_rec *qhead, *qtail;
	uint64_t next_id;
	struct event_base *base;
	struct event *ub_ev, *wake_ev;
	int wake_fd;
};

/* the resolver whose loop handler is inside ub_process on this thread */
static __thread struct dns_resolver *dns_pumping;

static const char *const dns_ub_options[][2] = {
	{ "do-not-query-localhost:", "no" },	/* 127.0.0.1@5353 upstreams */
	{ "module-config:", "iterator" },	/* no DNSSEC validation */
	{ "qname-minimisation:", "no" },
	{ "infra-host-ttl:", "60" },		/* forget a dead upstream soon */
	{ "infra-keep-probing:", "yes" },	/* and keep asking it */
	/* the upstream answers for private and special-use names, not us */
	{ "unblock-lan-zones:", "yes" },
	{ "local-zone:", "test. transparent" },
	{ "local-zone:", "home.arpa. transparent" },
};

/* dns_upstream_ok - "IP" or "IP@PORT" (IPv4 or IPv6, port 1..65535) */
static int dns_upstream_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	unsigned char ipbuf[16];
	char *ip, *end;
	unsigned long port = 53;
	int ok;

	if (at != NULL) {
		if (at[1] < '0' || at[1] > '9')
			return 0;
		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (*end != '\0' || errno != 0)
			return 0;
	}
	ip = rw_strndup(s, at ? (size_t)(at - s) : strlen(s));
	ok = inet_pton(AF_INET, ip, ipbuf) == 1 || inet_pton(AF_INET6, ip, ipbuf) == 1;
	free(ip);
	return ok && port >= 1 && port <= 65535;
}

/* dns_ctx_setup - options and upstreams of a fresh context; -1 with *err */
static int dns_ctx_setup(struct ub_ctx *ctx, const struct dns_config *cfg, struct buf *err)
{
	size_t i;

	for (i = 0; i < sizeof(dns_ub_options) / sizeof(dns_ub_options[0]); i++) {
		if (ub_ctx_set_option(ctx, dns_ub_options[i][0], dns_ub_options[i][1]) != 0) {
			buf_printf(err, "dns: libunbound refused option %s", dns_ub_options[i][0]);
			return -1;
		}
	}
	if (cfg->tcp_only && ub_ctx_set_option(ctx, "tcp-upstream:", "yes") != 0) {
		buf_puts(err, "dns: libunbound refused tcp-upstream");
		return -1;
	}
	for (i = 0; i < cfg->upstreams.n; i++) {
		const char *u = cfg->upstreams.v[i];

		if (!dns_upstream_ok(u) || ub_ctx_set_fwd(ctx, u) != 0) {
			buf_printf(err, "dns: bad upstream \"%s\" (want IP or IP@PORT)", u);
			return -1;
		}
	}
	if (cfg->upstreams.n == 0 && ub_ctx_resolvconf(ctx, NULL) != 0) {
		buf_puts(err, "dns: cannot use /etc/resolv.conf for upstreams");
		return -1;
	}
	if (ub_ctx_async(ctx, 1) != 0) {
		buf_puts(err, "dns: libunbound cannot resolve in a thread");
		return -1;
	}
	return 0;
}

/* dns_new - a resolver from cfg; NULL with *err */
struct dns_resolver *dns_new(const struct dns_config *cfg, struct buf *err)
{
	struct dns_resolver *r = rw_calloc(1, sizeof(*r));

	r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	r->wake_fd = -1;
	r->next_id = 1;
	r->cache = dns_cache_new();
	pthread_mutex_init(&r->lock, NULL);
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		buf_puts(err, "dns: cannot create a libunbound context");
		dns_free(&r);
		return NULL;
	}
	if (dns_ctx_setup(r->ctx, cfg, err) < 0) {
		dns_free(&r);
		return NULL;
	}
	return r;
}

/*
 * dns_answer_from_packet - libunbound said SERVFAIL, but its own parser may
 * be the one that failed (a TXT record of no strings): when the message it
 * got says NOERROR, read the records from it (core/dns/dns_packet.c).
 */
static struct dns_answer *dns_answer_from_packet(enum dns_type type, const char *name,
						 const struct ub_result *res)
{
	struct dns_answer *a;

	if (res->answer_packet == NULL || res->answer_len <= 0)
		return dns_answer_new(type, DNS_SERVFAIL);
	a = dns_packet_answer(type, name, res->answer_packet, (size_t)res->answer_len);
	if (a->status == DNS_OK || a->status == DNS_NODATA)
		return a;
	dns_answer_free(&a);
	return dns_answer_new(type, DNS_SERVFAIL);
}

/* dns_answer_from_ub - map libunbound's result to a typed answer */
static struct dns_answer *dns_answer_from_ub(enum dns_type type, const char *name, int err,
					     const struct ub_result *res)
{
	size_t n = 0;

	if (err != 0 || res == NULL)
		return dns_answer_new(type, DNS_SERVFAIL);
	if (res->rcode == DNS_RCODE_NXDOMAIN)
		return dns_answer_new(type, DNS_NXDOMAIN);
	if (res->rcode == DNS_RCODE_SERVFAIL && !res->bogus)
		return dns_answer_from_packet(type, name, res);
	if (res->rcode != 0 || res->bogus)
		return dns_answer_new(type, DNS_SERVFAIL);
	if (!res->havedata || res->data == NULL || res->len == NULL)
		return dns_answer_new(type, DNS_NODATA);
	while (res->data[n] != NULL)
		n++;
	return dns_answer_parse(type, res->data, res->len, n);
}

/* dns_rec_new - a live record with a fresh id */
static struct dns_rec *dns_rec_new(struct dns_resolver *r, enum dns_kind kind,
				   enum dns_type type, const char *name)
{
	struct dns_rec *q = rw_calloc(1, sizeof(*q));

	q->r = r;
	q->name = rw_strdup(name);
	q->kind = kind;
	q->type = type;
	q->started_us = now_mono_us();
	q->efd = -1;
	q->in_ub = 1;
	pthread_mutex_lock(&r->lock);
	q->id = r->next_id++;
	q->next = r->live;
	if (r->live != NULL)
		r->live->prev = q;
	r->live = q;
	pthread_mutex_unlock(&r->lock);
	return q;
}

/* dns_rec_free - unlink and free q (r->lock held, or the resolver is dying) */
static void dns_rec_free(struct dns_resolver *r, struct dns_rec *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->live = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	if (q->timer != NULL)
		event_free(q->timer);
	if (q->efd >= 0)
		close(q->efd);
	dns_answer_free(&q->ans);
	free(q->name);
	free(q);
}

/* dns_rec_complete - q->ans is set: wake its owner (r->lock held) */
static void dns_rec_complete(struct dns_resolver *r, struct dns_rec *q)
{
	metrics_dns((int)q->ans->status, now_mono_us() - q->started_us);
	if (q->kind == DNS_SYNC) {
		if (q->efd >= 0 && eventfd_write(q->efd, 1) < 0)
			abort();	/* cannot happen: counter far from overflow */
		return;
	}
	q->queued = 1;
	q->qnext = NULL;
	if (r->qtail != NULL)
		r->qtail->qnext = q;
	else
		r->qhead = q;
	r->qtail = q;
	if (dns_pumping != r && eventfd_write(r->wake_fd, 1) < 0)
		abort();
}

/* dns_rec_fail - q ends without libunbound with status st */
static void dns_rec_fail(struct dns_resolver *r, struct dns_rec *q, enum dns_status st)
{
	pthread_mutex_lock(&r->lock);
	q->in_ub = 0;
	q->ans = dns_answer_new(q->type, st);
	dns_rec_complete(r, q);
	pthread_mutex_unlock(&r->lock);
}

/* dns_cache_result - remember libunbound's plain answers (never failures) */
static void dns_cache_result(struct dns_resolver *r, const struct dns_rec *q, int err,
			     const struct ub_result *res)
{
	size_t n = 0;

	if (err != 0 || res == NULL || res->bogus || res->ttl <= 0)
		return;
	if (res->rcode == DNS_RCODE_NXDOMAIN) {
		dns_cache_put(r->cache, q->type, q->name, DNS_NXDOMAIN, NULL, NULL, 0,
			      (unsigned)res->ttl, now_mono_ms());
		return;
	}
	if (res->rcode != 0)
		return;
	if (!res->havedata || res->data == NULL || res->len == NULL) {
		dns_cache_put(r->cache, q->type, q->name, DNS_NODATA, NULL, NULL, 0,
			      (unsigned)res->ttl, now_mono_ms());
		return;
	}
	while (res->data[n] != NULL)
		n++;
	dns_cache_put(r->cache, q->type, q->name, DNS_OK, res->data, res->len, n,
		      (unsigned)res->ttl, now_mono_ms());
}

/* dns_ub_done - libunbound's callback, in any thread calling ub_process */
static void dns_ub_done(void *arg, int err, struct ub_result *res)
{
	struct dns_rec *q = arg;
	struct dns_resolver *r = q->r;
	struct dns_answer *ans = dns_answer_from_ub(q->type, q->name, err, res);

	if (ans->status == DNS_OK || ans->status == DNS_NODATA || ans->status == DNS_NXDOMAIN)
		dns_cache_result(r, q, err, res);

	ub_resolve_free(res);
	pthread_mutex_lock(&r->lock);
	q->in_ub = 0;
	if (q->cancelled) {
		dns_answer_free(&ans);
		dns_rec_free(r, q);
	} else {
		q->ans = ans;
		dns_rec_complete(r, q);
	}
	pthread_mutex_unlock(&r->lock);
}

/* dns_start - hand q to libunbound; a bad name or a refusal ends it at once */
static void dns_start(struct dns_resolver *r, struct dns_rec *q, const char *name)
{
	struct buf qname = BUF_INIT;
	int rc, ub_id = 0;

	if (dns_name_to_query(name, &qname) < 0) {
		buf_release(&qname);
		dns_rec_fail(r, q, DNS_NXDOMAIN);
		return;
	}
	rc = ub_resolve_async(r->ctx, buf_cstr(&qname), (int)q->type, 1, q,
			      dns_ub_done, &ub_id);
	buf_release(&qname);
	if (rc != 0) {
		dns_rec_fail(r, q, DNS_SERVFAIL);
		return;
	}
	pthread_mutex_lock(&r->lock);
	q->ub_id = ub_id;
	pthread_mutex_unlock(&r->lock);
}

/* dns_abandon - stop waiting for q (r->lock held); 1 if q was freed */
static int dns_abandon(struct dns_resolver *r, struct dns_rec *q)
{
	q->cancelled = 1;
	if (q->timer != NULL) {
		event_free(q->timer);
		q->timer = NULL;
	}
	if (q->in_ub && ub_cancel(r->ctx, q->ub_id) == UB_NOERROR)
		q->in_ub = 0;
	if (q->in_ub || q->queued)
		return 0;	/* dns_ub_done or dns_drain frees it */
	dns_rec_free(r, q);
	return 1;
}

/* dns_sync_take - q's answer if it is in (and q freed), else NULL */
static struct dns_answer *dns_sync_take(struct dns_resolver *r, struct dns_rec *q,
					int give_up)
{
	struct dns_answer *ans = NULL;

	pthread_mutex_lock(&r->lock);
	if (q->ans != NULL) {
		ans = q->ans;
		q->ans = NULL;
		dns_rec_free(r, q);
	} else if (give_up) {
		ans = dns_answer_new(q->type, DNS_TIMEOUT);
		dns_abandon(r, q);
	}
	pthread_mutex_unlock(&r->lock);
	return ans;
}

/* dns_sync_wait - wait for libunbound or q's wake-up; -1 at the deadline */
static int dns_sync_wait(struct dns_resolver *r, struct dns_rec *q, uint64_t deadline)
{
	struct pollfd pfd[2];
	uint64_t now = now_mono_ms();

	if (now >= deadline)
		return -1;
	pfd[0].fd = ub_fd(r->ctx);
	pfd[0].events = POLLIN;
	pfd[1].fd = q->efd;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now)) > 0 &&
	    (pfd[0].revents & POLLIN))
		ub_process(r->ctx);
	return 0;
}

/* dns_query - synchronous look-up with the resolver's timeout */
struct dns_answer *dns_query(struct dns_resolver *r, const char *name, enum dns_type type)
{
	return dns_query_timeout(r, name, type, 0);
}

/* dns_query_timeout - synchronous look-up; always an answer */
struct dns_answer *dns_query_timeout(struct dns_resolver *r, const char *name,
				     enum dns_type type, unsigned timeout_ms)
{
	uint64_t deadline = now_mono_ms() + (timeout_ms != 0 && timeout_ms < r->timeout_ms ?
					     timeout_ms : r->timeout_ms);
	struct dns_answer *ans = dns_cache_get(r->cache, type, name, now_mono_ms());
	struct dns_rec *q;

	if (ans != NULL)
		return ans;
	q = dns_rec_new(r, DNS_SYNC, type, name);

	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0)
		dns_rec_fail(r, q, DNS_SERVFAIL);
	else
		dns_start(r, q, name);
	while ((ans = dns_sync_take(r, q, 0)) == NULL) {
		if (dns_sync_wait(r, q, deadline) < 0)
			return dns_sync_take(r, q, 1);
	}
	return ans;
}

/* dns_drain - deliver the async answers that are in (loop thread) */
static void dns_drain(struct dns_resolver *r)
{
	for (;;) {
		struct dns_rec *q;
		struct dns_answer *ans;
		dns_callback *cb;
		void *arg;

		pthread_mutex_lock(&r->lock);
		q = r->qhead;
		if (q == NULL) {
			pthread_mutex_unlock(&r->lock);
			return;
		}
		r->qhead = q->qnext;
		if (r->qhead == NULL)
			r->qtail = NULL;
		q->queued = 0;
		ans = q->cancelled ? NULL : q->ans;
		if (ans != NULL)
			q->ans = NULL;
		cb = q->cb;
		arg = q->arg;
		dns_rec_free(r, q);
		pthread_mutex_unlock(&r->lock);
		if (ans != NULL)
			cb(ans, arg);
	}
}

/* dns_on_ub - the libunbound fd is readable (loop thread) */
static void dns_on_ub(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;

	(void)fd;
	(void)what;
	dns_pumping = r;
	ub_process(r->ctx);
	dns_pumping = NULL;
	dns_drain(r);
}

/* dns_on_wake - another thread queued answers for the loop */
static void dns_on_wake(evutil_socket_t fd, short what, void *arg)
{
	eventfd_t v;

	(void)what;
	(void)eventfd_read(fd, &v);
	dns_drain(arg);
}

/* dns_attach - drive async queries from base (once, on the loop thread) */
int dns_attach(struct dns_resolver *r, struct event_base *base)
{
	if (r->base != NULL)
		return -1;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0)
		return -1;
	r->ub_ev = event_new(base, ub_fd(r->ctx), EV_READ | EV_PERSIST, dns_on_ub, r);
	r->wake_ev = event_new(base, r->wake_fd, EV_READ | EV_PERSIST, dns_on_wake, r);
	if (r->ub_ev == NULL || r->wake_ev == NULL ||
	    event_add(r->ub_ev, NULL) < 0 || event_add(r->wake_ev, NULL) < 0)
		return -1;
	r->base = base;
	return 0;
}

/* dns_on_timer - an async query's deadline (loop thread) */
static void dns_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_rec *q = arg;
	struct dns_resolver *r = q->r;
	dns_callback *cb = q->cb;
	void *cbarg = q->arg;
	enum dns_type type = q->type;
	int deliver;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&r->lock);
	deliver = !q->queued;	/* an answer already in is delivered by dns_drain */
	if (deliver)
		dns_abandon(r, q);
	pthread_mutex_unlock(&r->lock);
	if (deliver)
		cb(dns_answer_new(type, DNS_TIMEOUT), cbarg);
}

/* dns_query_async - start a look-up; its id (> 0) */
uint64_t dns_query_async(struct dns_resolver *r, const char *name, enum dns_type type,
			 dns_callback *cb, void *arg)
{
	struct timeval tv = { r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000 };
	struct dns_rec *q;
	uint64_t id;

	if (r->base == NULL)
		abort();	/* programming error: dns_attach first */
	q = dns_rec_new(r, DNS_ASYNC, type, name);
	id = q->id;
	q->cb = cb;
	q->arg = arg;
	q->timer = evtimer_new(r->base, dns_on_timer, q);
	if (q->timer == NULL || evtimer_add(q->timer, &tv) < 0)
		abort();	/* libevent out of memory */
	dns_start(r, q, name);
	return id;
}

/* dns_cancel - the callback of id will not run */
void dns_cancel(struct dns_resolver *r, uint64_t id)
{
	struct dns_rec *q;

	pthread_mutex_lock(&r->lock);
	for (q = r->live; q != NULL; q = q->next) {
		if (q->id == id && q->kind == DNS_ASYNC && !q->cancelled) {
			dns_abandon(r, q);
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

/* dns_free - stop libunbound, drop pending queries unanswered, free all */
void dns_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	if (r->ub_ev != NULL)
		event_free(r->ub_ev);
	if (r->wake_ev != NULL)
		event_free(r->wake_ev);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	for (struct dns_rec *q = r->live, *next; q != NULL; q = next) {
		next = q->next;		/* dns_rec_free unlinks q, frees nothing else */
		dns_rec_free(r, q);
	}
	dns_cache_free(&r->cache);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*rp = NULL;
}
