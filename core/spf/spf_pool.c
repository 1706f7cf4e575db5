/*
 * spf_pool - worker threads for SPF evaluations; see spf_pool.h.
 *
 * Jobs move todo -> running[i] -> done under p->lock. A worker pops from
 * todo, evaluates without the lock, appends to done and signals the
 * eventfd; the loop's event handler takes the done list and runs the
 * callbacks of jobs not cancelled. A cancelled job still queued is freed at
 * once; one running or done is marked and freed unanswered when it reaches
 * the loop.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/spf/spf_pool.h"
#include "core/util/strvec.h"

struct spf_job {
	uint64_t id;
	struct spf_request *reqs;
	size_t n;
	struct strvec strs;		/* the requests' strings (copies) */
	unsigned budget_ms;
	uint64_t deadline;		/* monotonic ms */
	struct spf_outcome *outs;
	int cancelled;
	spf_pool_cb *cb;
	void *arg;
	struct spf_job *next;
};

struct spf_worker {
	struct spf_pool *p;
	unsigned idx;
	pthread_t tid;
};

struct spf_pool {
	struct dns_resolver *dns;
	struct dns_config cfg;		/* as given, for spf_pool_same_dns */
	struct spf_worker *workers;
	unsigned n_workers;
	pthread_mutex_t lock;		/* the fields down to stopping */
	pthread_cond_t cond;
	struct spf_job *todo, *todo_tail;
	struct spf_job **running;	/* per worker */
	struct spf_job *done, *done_tail;
	int stopping;
	int efd;
	struct event *ev;
	uint64_t next_id;		/* loop thread only */
	size_t pending;			/* loop thread only */
};

struct spf_pool_env {
	struct dns_resolver *dns;
	uint64_t deadline;
};

/* spf_pool_left - ms to the deadline, at least 1 (0 would mean "the default") */
static unsigned spf_pool_left(uint64_t deadline)
{
	uint64_t now = now_mono_ms();

	return now + 1 < deadline ? (unsigned)(deadline - now) : 1;
}

/* spf_pool_query - spf_env.query: a look-up that never waits past the deadline */
static struct dns_answer *spf_pool_query(void *ctx, const char *name, enum dns_type type)
{
	struct spf_pool_env *e = ctx;

	return dns_query_timeout(e->dns, name, type, spf_pool_left(e->deadline));
}

/* spf_pool_release - spf_env.release */
static void spf_pool_release(void *ctx, struct dns_answer *ans)
{
	(void)ctx;
	dns_answer_free(&ans);
}

/* spf_pool_env_now - spf_env.now_ms */
static uint64_t spf_pool_env_now(void *ctx)
{
	(void)ctx;
	return now_mono_ms();
}

/* spf_pool_env_time - spf_env.time_s */
static uint64_t spf_pool_env_time(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

/* spf_pool_too_late - the job's deadline passed before this request: temperror */
static void spf_pool_too_late(const struct spf_job *job, const struct spf_request *req,
			      struct spf_outcome *out)
{
	const char *at = strrchr(req->sender, '@');

	out->result = SPF_TEMPERROR;
	buf_puts(&out->domain, *req->sender == '\0' ? req->helo : at ? at + 1 : req->sender);
	buf_printf(&out->problem, "time budget of %u ms spent before the check started",
		   job->budget_ms);
}

/* spf_pool_run - evaluate every request of job (worker thread, no lock held) */
static void spf_pool_run(struct spf_pool *p, struct spf_job *job)
{
	struct spf_pool_env e = { p->dns, job->deadline };
	struct spf_env env = {
		.query = spf_pool_query, .release = spf_pool_release,
		.now_ms = spf_pool_env_now, .time_s = spf_pool_env_time, .ctx = &e,
	};

	job->outs = rw_calloc(job->n ? job->n : 1, sizeof(*job->outs));
	for (size_t i = 0; i < job->n; i++) {
		if (now_mono_ms() >= job->deadline) {
			spf_pool_too_late(job, &job->reqs[i], &job->outs[i]);
			continue;
		}
		env.budget_ms = spf_pool_left(job->deadline);
		spf_check(&env, &job->reqs[i], &job->outs[i]);
	}
}

/* spf_pool_worker - pop, evaluate, hand back; until the pool stops */
static void *spf_pool_worker(void *arg)
{
	struct spf_worker *w = arg;
	struct spf_pool *p = w->p;
	struct spf_job *job;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && p->todo == NULL)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stopping)
			break;
		job = p->todo;
		if ((p->todo = job->next) == NULL)
			p->todo_tail = NULL;
		job->next = NULL;
		p->running[w->idx] = job;
		pthread_mutex_unlock(&p->lock);
		spf_pool_run(p, job);
		pthread_mutex_lock(&p->lock);
		p->running[w->idx] = NULL;
		if (p->done_tail != NULL)
			p->done_tail->next = job;
		else
			p->done = job;
		p->done_tail = job;
		if (eventfd_write(p->efd, 1) < 0)
			abort();	/* cannot happen: counter far from overflow */
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* spf_job_free - a job and what it holds */
static void spf_job_free(struct spf_job *job)
{
	for (size_t i = 0; job->outs != NULL && i < job->n; i++)
		spf_outcome_release(&job->outs[i]);
	free(job->outs);
	free(job->reqs);
	strvec_release(&job->strs);
	free(job);
}

/* spf_pool_on_done - finished jobs are in (loop thread) */
static void spf_pool_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct spf_pool *p = arg;
	struct spf_job *job, *next;
	eventfd_t v;

	(void)what;
	(void)eventfd_read(fd, &v);
	pthread_mutex_lock(&p->lock);
	job = p->done;
	p->done = p->done_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	for (; job != NULL; job = next) {
		next = job->next;
		if (!job->cancelled) {
			struct spf_outcome *outs = job->outs;

			job->outs = NULL;
			p->pending--;
			job->cb(outs, job->n, job->arg);
		}
		spf_job_free(job);
	}
}

/* spf_pool_start - the eventfd, its event and the threads; -1 with *err */
static int spf_pool_start(struct spf_pool *p, struct event_base *base, struct buf *err)
{
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd >= 0)
		p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, spf_pool_on_done, p);
	if (p->ev == NULL || event_add(p->ev, NULL) < 0) {
		buf_puts(err, "spf: cannot set up the result event");
		return -1;
	}
	for (unsigned i = 0; i < p->n_workers; i++) {
		p->workers[i].p = p;
		p->workers[i].idx = i;
		if (pthread_create(&p->workers[i].tid, NULL, spf_pool_worker, &p->workers[i]) != 0) {
			buf_puts(err, "spf: cannot start a worker thread");
			p->n_workers = i;
			return -1;
		}
	}
	return 0;
}

/* spf_pool_new - resolver, threads, result event */
struct spf_pool *spf_pool_new(struct event_base *base, const struct dns_config *dns,
			      unsigned threads, struct buf *err)
{
	struct spf_pool *p = rw_calloc(1, sizeof(*p));

	p->efd = -1;
	p->next_id = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (size_t i = 0; i < dns->upstreams.n; i++)
		strvec_add(&p->cfg.upstreams, dns->upstreams.v[i]);
	p->cfg.timeout_ms = dns->timeout_ms;
	p->cfg.tcp_only = dns->tcp_only;
	p->n_workers = threads ? threads : 1;
	p->workers = rw_calloc(p->n_workers, sizeof(*p->workers));
	p->running = rw_calloc(p->n_workers, sizeof(*p->running));
	p->dns = dns_new(dns, err);
	if (p->dns == NULL)
		p->n_workers = 0;	/* no thread to join */
	if (p->dns == NULL || spf_pool_start(p, base, err) < 0) {
		spf_pool_free(&p);
		return NULL;
	}
	return p;
}

/* spf_pool_same_dns - same upstreams, timeout and transport */
int spf_pool_same_dns(const struct spf_pool *p, const struct dns_config *dns)
{
	if (p->cfg.upstreams.n != dns->upstreams.n || p->cfg.timeout_ms != dns->timeout_ms ||
	    p->cfg.tcp_only != dns->tcp_only)
		return 0;
	for (size_t i = 0; i < dns->upstreams.n; i++)
		if (strcmp(p->cfg.upstreams.v[i], dns->upstreams.v[i]) != 0)
			return 0;
	return 1;
}

/* spf_pool_copy - job->reqs from reqs, strings copied into job->strs */
static void spf_pool_copy(struct spf_job *job, const struct spf_request *reqs, size_t n)
{
	job->reqs = rw_calloc(n ? n : 1, sizeof(*job->reqs));
	job->n = n;
	for (size_t i = 0; i < n; i++) {
		const char *s[3] = { reqs[i].sender, reqs[i].helo, reqs[i].receiver };

		for (size_t k = 0; k < 3; k++)
			strvec_add(&job->strs, s[k] != NULL ? s[k] : "");
	}
	for (size_t i = 0; i < n; i++) {
		job->reqs[i].ip = reqs[i].ip;
		job->reqs[i].sender = job->strs.v[3 * i];
		job->reqs[i].helo = job->strs.v[3 * i + 1];
		job->reqs[i].receiver = reqs[i].receiver != NULL ? job->strs.v[3 * i + 2] : NULL;
	}
}

/* spf_pool_submit - queue a job; its id */
uint64_t spf_pool_submit(struct spf_pool *p, const struct spf_request *reqs, size_t n,
			 unsigned budget_ms, spf_pool_cb *cb, void *arg)
{
	struct spf_job *job = rw_calloc(1, sizeof(*job));

	spf_pool_copy(job, reqs, n);
	job->id = p->next_id++;
	job->budget_ms = budget_ms;
	job->deadline = now_mono_ms() + budget_ms;
	job->cb = cb;
	job->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->todo_tail != NULL)
		p->todo_tail->next = job;
	else
		p->todo = job;
	p->todo_tail = job;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	p->pending++;
	return job->id;
}

/* spf_pool_unqueue - remove job id from todo (lock held); the job or NULL */
static struct spf_job *spf_pool_unqueue(struct spf_pool *p, uint64_t id)
{
	struct spf_job **pp, *prev = NULL;

	for (pp = &p->todo; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		struct spf_job *job = *pp;

		if (job->id != id)
			continue;
		*pp = job->next;
		if (p->todo_tail == job)
			p->todo_tail = prev;
		return job;
	}
	return NULL;
}

/* spf_pool_mark - mark job id cancelled if running or done (lock held); 1 if found */
static int spf_pool_mark(struct spf_pool *p, uint64_t id)
{
	for (unsigned i = 0; i < p->n_workers; i++) {
		if (p->running[i] != NULL && p->running[i]->id == id && !p->running[i]->cancelled)
			return p->running[i]->cancelled = 1;
	}
	for (struct spf_job *job = p->done; job != NULL; job = job->next)
		if (job->id == id && !job->cancelled)
			return job->cancelled = 1;
	return 0;
}

/* spf_pool_cancel - the callback of id will not run */
void spf_pool_cancel(struct spf_pool *p, uint64_t id)
{
	struct spf_job *job;
	int found;

	pthread_mutex_lock(&p->lock);
	job = spf_pool_unqueue(p, id);
	found = job != NULL || spf_pool_mark(p, id);
	pthread_mutex_unlock(&p->lock);
	if (job != NULL)
		spf_job_free(job);
	if (found)
		p->pending--;
}

/* spf_pool_pending - jobs not yet answered or cancelled */
size_t spf_pool_pending(const struct spf_pool *p)
{
	return p->pending;
}

/* spf_pool_free_list - free a list of jobs unanswered */
static void spf_pool_free_list(struct spf_job *job)
{
	while (job != NULL) {
		struct spf_job *next = job->next;

		spf_job_free(job);
		job = next;
	}
}

/* spf_pool_free - stop the threads (after their current job), free all */
void spf_pool_free(struct spf_pool **pp)
{
	struct spf_pool *p = *pp;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i].tid, NULL);
	spf_pool_free_list(p->todo);
	spf_pool_free_list(p->done);
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	dns_free(&p->dns);
	strvec_release(&p->cfg.upstreams);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->workers);
	free(p->running);
	free(p);
	*pp = NULL;
}
