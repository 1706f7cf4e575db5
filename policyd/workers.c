/* workers - policyd's event loops past the first; see workers.h */
#include "autoconfig.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>

#include <event2/event.h>

#include "core/util/log.h"
#include "core/util/mem.h"
#include "policyd/workers.h"

/* how long a reload or reopen waits for each loop before it goes on */
#define WORKERS_WAIT_MS 10000

struct worker {
	struct event_base *base;
	struct server *server;	/* freed by its thread once the loop exits */
	pthread_t thread;
	int started;
};

struct workers {
	struct worker *v;
	unsigned n;
};

struct workers *workers_new(const struct server *first, unsigned n, struct buf *err)
{
	struct workers *w = rw_calloc(1, sizeof(*w));

	w->v = rw_calloc(n ? n : 1, sizeof(*w->v));
	for (; w->n < n; w->n++) {
		struct worker *k = &w->v[w->n];

		if ((k->base = event_base_new()) == NULL) {
			buf_puts(err, "policyd: cannot create a worker's event base");
			break;
		}
		if ((k->server = server_new_worker(k->base, first, err)) == NULL) {
			event_base_free(k->base);
			k->base = NULL;
			break;
		}
	}
	if (w->n < n) {
		workers_stop(&w);
		return NULL;
	}
	return w;
}

/* worker_main - the loop until server_post stops it, then the worker's own shutdown */
static void *worker_main(void *arg)
{
	struct worker *k = arg;

	if (event_base_dispatch(k->base) < 0)
		log_err("event=worker_failed error=\"event loop\"");
	server_free(&k->server);
	return NULL;
}

/*
 * workers_start - the threads block every signal: the main thread takes
 * them, and blocks them itself for its last flush at stop (a signal that
 * reached another thread then would take its default action)
 */
int workers_start(struct workers *w, struct buf *err)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < w->n && rc == 0; i++) {
		int e = pthread_create(&w->v[i].thread, NULL, worker_main, &w->v[i]);

		if (e != 0) {
			buf_printf(err, "policyd: cannot start a worker thread: %s", strerror(e));
			rc = -1;
		} else {
			w->v[i].started = 1;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* workers_post - post to every loop, then wait for each (bounded: a stuck loop is logged) */
static void workers_post(struct workers *w, struct rw_config *cfg, int reopen)
{
	unsigned long *ticket;

	if (w == NULL || w->n == 0)
		return;
	ticket = rw_calloc(w->n, sizeof(*ticket));
	for (unsigned i = 0; i < w->n; i++)
		ticket[i] = server_post(w->v[i].server, cfg != NULL ? config_ref(cfg) : NULL, reopen, 0);
	for (unsigned i = 0; i < w->n; i++)
		if (server_wait(w->v[i].server, ticket[i], WORKERS_WAIT_MS) < 0)
			log_warn("event=worker_slow worker=%u waited_ms=%u note=\"it goes on when its "
				 "loop turns\"", i + 1, WORKERS_WAIT_MS);
	free(ticket);
}

void workers_reload(struct workers *w, struct rw_config *cfg)
{
	workers_post(w, cfg, 0);
}

void workers_reopen(struct workers *w)
{
	workers_post(w, NULL, 1);
}

void workers_stop(struct workers **wp)
{
	struct workers *w = *wp;

	if (w == NULL)
		return;
	for (unsigned i = 0; i < w->n; i++)
		if (w->v[i].started)
			server_post(w->v[i].server, NULL, 0, 1);
	for (unsigned i = 0; i < w->n; i++) {
		struct worker *k = &w->v[i];

		if (k->started)
			pthread_join(k->thread, NULL);
		else
			server_free(&k->server);
		if (k->base != NULL)
			event_base_free(k->base);
	}
	free(w->v);
	free(w);
	*wp = NULL;
}
