/*
 * redis_evloop - hiredis' async context on a libevent loop, with writes
 * deferred to the end of the loop turn (see redis_int.h).
 *
 * hiredis' own libevent adapter arms an EV_WRITE event for every command
 * and disarms it once the output buffer is written: two epoll_ctl calls and
 * an extra epoll_wait per batch of commands although a loopback socket is
 * almost always writable. Here a command only activates a descriptor-less
 * event; it runs after the loop turn's other callbacks, so every command of
 * the turn leaves in one write(2). The real EV_WRITE event is armed only
 * while the socket is not connected yet or a write came back short. Both
 * descriptor events are persistent: armed until hiredis says otherwise.
 */
#include "autoconfig.h"

#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "core/util/mem.h"
#include "core/redis/redis_int.h"

struct redis_evloop {
	redisAsyncContext *ac;
	struct event *rev;	/* readable */
	struct event *wev;	/* writable: connect, or a short write */
	struct event *flush;	/* no descriptor: "write what is queued" */
	int wev_armed;
};

/* the context whose redisAsyncHandleWrite is running on this thread */
static __thread struct redis_evloop *redis_evloop_writing;

/* redis_evloop_write - let hiredis write; e may be freed inside (no use after) */
static void redis_evloop_write(struct redis_evloop *e)
{
	redisAsyncContext *ac = e->ac;

	redis_evloop_writing = e;
	redisAsyncHandleWrite(ac);
	redis_evloop_writing = NULL;
}

static void redis_evloop_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct redis_evloop *e = arg;

	(void)fd, (void)what;
	redisAsyncHandleRead(e->ac);
}

static void redis_evloop_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	redis_evloop_write(arg);
}

static void redis_evloop_add_read(void *arg)
{
	struct redis_evloop *e = arg;

	event_add(e->rev, NULL);
}

static void redis_evloop_del_read(void *arg)
{
	struct redis_evloop *e = arg;

	event_del(e->rev);
}

/* redis_evloop_add_write - hiredis has output: write at the end of the turn */
static void redis_evloop_add_write(void *arg)
{
	struct redis_evloop *e = arg;

	if (redis_evloop_writing == e || !(e->ac->c.flags & REDIS_CONNECTED)) {
		/* a short write, or connecting: wait until the socket takes more */
		if (!e->wev_armed && event_add(e->wev, NULL) == 0)
			e->wev_armed = 1;
		return;
	}
	event_active(e->flush, 0, 0);
}

static void redis_evloop_del_write(void *arg)
{
	struct redis_evloop *e = arg;

	if (e->wev_armed) {
		event_del(e->wev);
		e->wev_armed = 0;
	}
}

static void redis_evloop_cleanup(void *arg)
{
	struct redis_evloop *e = arg;

	if (redis_evloop_writing == e)
		redis_evloop_writing = NULL;
	event_free(e->rev);
	event_free(e->wev);
	event_free(e->flush);
	free(e);
}

/* redis_evloop_attach - see redis_int.h */
int redis_evloop_attach(redisAsyncContext *ac, struct event_base *base)
{
	struct redis_evloop *e;

	if (ac->ev.data != NULL)
		return -1;
	e = rw_calloc(1, sizeof(*e));
	e->ac = ac;
	/* persistent: re-adding after every readiness costs two epoll_ctl calls */
	e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, redis_evloop_on_read, e);
	e->wev = event_new(base, ac->c.fd, EV_WRITE | EV_PERSIST, redis_evloop_on_write, e);
	e->flush = event_new(base, -1, 0, redis_evloop_on_write, e);
	if (e->rev == NULL || e->wev == NULL || e->flush == NULL)
		abort();	/* out of memory in libevent */
	ac->ev.addRead = redis_evloop_add_read;
	ac->ev.delRead = redis_evloop_del_read;
	ac->ev.addWrite = redis_evloop_add_write;
	ac->ev.delWrite = redis_evloop_del_write;
	ac->ev.cleanup = redis_evloop_cleanup;
	ac->ev.data = e;
	event_add(e->rev, NULL);
	redis_evloop_add_write(e);	/* not connected yet: the first writable says so */
	return 0;
}
