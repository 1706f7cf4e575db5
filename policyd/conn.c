/* conn - one policy client connection; see conn.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/util/log.h"
#include "core/engine/decid.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"
#include "core/engine/proto.h"
#include "core/engine/summary.h"
#include "policyd/conn.h"
#include "policyd/decision.h"
#include "policyd/server.h"
#include "core/util/sockbuf.h"

/* Stop reading while this much reply data waits for a slow client. */
#define CONN_OUTPUT_HIGH (256 * 1024)
/* Bytes read from the socket per read(2). */
#define CONN_READ_CHUNK (64 * 1024)

/* The open connections, and those with replies to write after this loop turn. */
struct conn_set {
	struct conn *head;		/* every open connection */
	struct conn *flush_head;	/* conns with output, in conn_flush_all's order */
};

struct conn {
	struct conn_set *set;
	struct server *server;
	evutil_socket_t fd;
	struct event *ev_read;		/* persistent, with the idle timeout */
	struct event *ev_write;		/* only while a write would block */
	struct event *ev_deadline;	/* request_timeout after a request's first byte */
	int partial;			/* a request has begun and is not complete */
	uint64_t since;			/* monotonic ms: that first byte, else the last
					 * request completed (or the connect) */
	struct proto_parser *parser;
	struct buf out;			/* replies not yet written */
	size_t out_off;			/* written part of out */
	int reading;			/* ev_read is added */
	int waiting;			/* a decision waits for the limiter */
	struct decision dec;		/* the current request's decision */
	struct spf_txn spf;		/* SPF results of the current transaction */
	struct buf in_pending;		/* bytes read while waiting */
	int dead;			/* closed; freed at the next flush */
	struct buf session;
	char *peer;
	unsigned long requests;
	uint64_t started_us;		/* now_mono_us when the current request was complete */
	struct conn *next;		/* the set's list of open connections */
	struct conn **pprev;
	struct conn *flush_next;	/* the set's list of conns with output */
	int flush_queued;
};

/* conn_unlink - out of the open-connection list */
static void conn_unlink(struct conn *c)
{
	if ((*c->pprev = c->next) != NULL)
		c->next->pprev = c->pprev;
}

/* conn_free - release everything and close the socket */
static void conn_free(struct conn *c)
{
	conn_unlink(c);
	if (c->waiting)
		server_conn_busy(c->server, -1);
	decision_cancel(&c->dec);
	decision_release(&c->dec);
	spf_txn_release(&c->spf);
	buf_release(&c->in_pending);
	server_conn_closed(c->server);
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_deadline);
	evutil_closesocket(c->fd);
	proto_free(&c->parser);
	buf_release(&c->out);
	buf_release(&c->session);
	free(c->peer);
	free(c);
}

/*
 * conn_close - stop all I/O now; the memory goes at the next flush if the
 * conn is queued there (so the flush list never holds a freed pointer).
 */
static void conn_close(struct conn *c)
{
	if (c->flush_queued) {
		event_del(c->ev_read);
		event_del(c->ev_write);
		event_del(c->ev_deadline);
		decision_cancel(&c->dec);
		c->dead = 1;
		return;
	}
	conn_free(c);
}

/* conn_queue_flush - have the server write our replies after this loop turn */
static void conn_queue_flush(struct conn *c)
{
	if (c->flush_queued)
		return;
	c->flush_queued = 1;
	c->flush_next = c->set->flush_head;
	c->set->flush_head = c;
	server_schedule_flush(c->server);
}

/* conn_log_decision - the operational log line for one decision (debug) */
static void conn_log_decision(struct conn *c, const struct rw_txn *t,
			      const struct rw_verdict *v, const struct buf *reply)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "session=%s stage=%s client=", buf_cstr(&c->session),
		   txn_stage_name(t->stage));
	log_quote(&b, t->client_address);
	buf_puts(&b, " sasl_username=");
	log_quote(&b, t->sasl_username);
	buf_puts(&b, " sender=");
	log_quote(&b, t->sender);
	buf_puts(&b, " recipient=");
	log_quote(&b, t->recipient);
	buf_printf(&b, " verdict=%s rule=", verdict_action_name(v->action));
	log_quote(&b, v->rule ? v->rule : "-");
	buf_puts(&b, " reply=");
	log_quote(&b, reply->len ? buf_cstr(reply) : "-");
	log_debug("%s", buf_cstr(&b));
	buf_release(&b);
}

/* conn_log_summary - the Postfix-style line of a decision (core/engine/summary.h), batched */
static void conn_log_summary(struct conn *c, const struct rw_txn *t, const struct rw_verdict *v,
			     const struct buf *reply)
{
	struct log_batch *lb = server_log_batch(c->server);
	struct buf *b = log_batch_begin(lb, LOG_L_INFO);

	if (b == NULL)
		return;
	summary_line(t, v, reply, b);
	log_batch_end(lb);
}

/* conn_audit - one audit record for a decision, batched by the server */
static void conn_audit(struct conn *c, const struct decision *d, const struct buf *reply)
{
	struct audit_ctx ctx = {
		.component = "policyd",
		.host = d->env.cfg->instance_name,
		.session = buf_cstr(&c->session),
		.config_digest = d->env.cfg->digest,
		.reply = reply,
	};

	gettimeofday(&ctx.now, NULL);
	decide_audit(&d->dec, &ctx);
	audit_record(&ctx, &d->t, &d->dec.v, server_audit_batch(c->server));
	server_audit_commit(c->server);
}

/* conn_answer - the decision is complete: reply, audit, log, next request */
static void conn_answer(struct conn *c)
{
	struct decision *d = &c->dec;
	struct rw_verdict *v = &d->dec.v;
	int audited = decide_audited(&d->dec);
	struct buf reply = BUF_INIT;

	if (v->action == ACT_REJECT || v->action == ACT_DEFER || audited)
		decid_next(v->id);
	verdict_reply(v, &reply);
	decide_action(&d->dec, &reply, &c->out);
	buf_append(&c->out, BUF_LIT("\n\n"));
	metrics_decision(&d->t, v, &d->dec.plan, d->dec.results, now_mono_us() - c->started_us);
	if (audited)
		conn_audit(c, d, &reply);
	if (v->action == ACT_REJECT || v->action == ACT_DEFER ||
	    (d->env.cfg->log.decisions && audited))
		conn_log_summary(c, &d->t, v, &reply);
	if (log_enabled(LOG_L_DEBUG))
		conn_log_decision(c, &d->t, v, &reply);
	c->requests++;
	buf_release(&reply);
	decision_release(d);
	proto_reset(c->parser);
}

static int conn_feed(struct conn *c, const char *data, size_t len);

/* conn_set_waiting - a decision waits for the limiter (the conn cannot be evicted) or not */
static void conn_set_waiting(struct conn *c, int on)
{
	if (c->waiting == on)
		return;
	c->waiting = on;
	server_conn_busy(c->server, on ? 1 : -1);
}

/* conn_request_begun - bytes of a request that is not complete: its deadline runs */
static void conn_request_begun(struct conn *c)
{
	struct timeval tv = { .tv_sec = server_config(c->server)->policyd.request_timeout };

	if (c->partial)
		return;
	c->partial = 1;
	c->since = now_mono_ms();
	event_add(c->ev_deadline, &tv);
}

/* conn_request_done - the request is complete: no deadline until the next one begins */
static void conn_request_done(struct conn *c)
{
	c->partial = 0;
	c->since = now_mono_ms();
	event_del(c->ev_deadline);
}

/* conn_on_deadline - a request was not complete request_timeout after its first byte */
static void conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	metrics_count(MC_REQUEST_TIMEOUTS);
	log_info("session=%s event=request_timeout peer=%s seconds=%u action=close_without_reply",
		 buf_cstr(&c->session), c->peer, server_config(c->server)->policyd.request_timeout);
	conn_close(c);
}

/* conn_on_decided - a decision that waited for the limiter is complete */
static void conn_on_decided(struct decision *d, void *arg)
{
	struct conn *c = arg;
	struct buf rest = c->in_pending;

	(void)d;
	conn_set_waiting(c, 0);
	conn_answer(c);
	conn_queue_flush(c);
	c->in_pending = (struct buf)BUF_INIT;
	if (!c->dead && conn_feed(c, rest.data, rest.len) < 0)
		conn_close(c);
	buf_release(&rest);
}

/* conn_feed - parse bytes; answer complete requests; -1 if the conn must close */
static int conn_feed(struct conn *c, const char *data, size_t len)
{
	const char *err;

	while (len > 0) {
		size_t used = 0;
		enum proto_status st;

		if (c->waiting) {	/* requests are answered in order: keep the rest */
			buf_append(&c->in_pending, data, len);
			break;
		}
		st = proto_feed(c->parser, data, len, &used, &err);
		if (st == PROTO_ERROR) {
			metrics_count(MC_BAD_REQUESTS);
			log_warn("session=%s event=bad_request peer=%s error=\"%s\" "
				 "action=close_without_reply", buf_cstr(&c->session), c->peer, err);
			return -1;
		}
		if (st == PROTO_REQUEST) {
			struct decision_env env;

			conn_request_done(c);
			server_decision_env(c->server, &env);
			c->dec.spf_txn = &c->spf;
			c->started_us = now_mono_us();
			if (decision_start(&c->dec, &env, c->parser, conn_on_decided, c))
				conn_answer(c);
			else
				conn_set_waiting(c, 1);
		} else if (used == 0) {
			break;	/* the parser promises to consume; never spin */
		} else {
			conn_request_begun(c);
		}
		data += used;
		len -= used;
	}
	return 0;
}

/* conn_set_reading - add or remove the read event (backpressure) */
static void conn_set_reading(struct conn *c, int on)
{
	struct timeval idle = { .tv_sec = server_config(c->server)->policyd.idle_timeout };

	if (on == c->reading)
		return;
	c->reading = on;
	if (on)
		event_add(c->ev_read, &idle);
	else
		event_del(c->ev_read);
}

/* conn_on_read - bytes arrived, EOF, error, or the idle timeout */
static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_debug("session=%s event=idle_timeout peer=%s", buf_cstr(&c->session), c->peer);
		conn_close(c);
		return;
	}
	n = read(fd, server_read_buffer(c->server), CONN_READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		log_debug("session=%s event=disconnect peer=%s requests=%lu%s%s",
			  buf_cstr(&c->session), c->peer, c->requests, n < 0 ? " error=" : "",
			  n < 0 ? strerror(errno) : "");
		conn_close(c);
		return;
	}
	if (conn_feed(c, server_read_buffer(c->server), (size_t)n) < 0) {
		conn_close(c);
		return;
	}
	if (c->out.len > c->out_off)
		conn_queue_flush(c);
	if (c->out.len - c->out_off > CONN_OUTPUT_HIGH || c->in_pending.len > CONN_OUTPUT_HIGH)
		conn_set_reading(c, 0);
}

/* conn_write_out - write pending replies; -1 if the conn must close */
static int conn_write_out(struct conn *c)
{
	int rc = sockbuf_write(c->fd, &c->out, &c->out_off);

	if (rc == 0)
		event_add(c->ev_write, NULL);
	if (rc <= 0)
		return rc;
	buf_truncate(&c->out, 0);
	c->out_off = 0;
	conn_set_reading(c, 1);
	return 0;
}

/* conn_on_write - the socket can take more of a large backlog */
static void conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (conn_write_out(c) < 0) {
		log_debug("session=%s event=write_error peer=%s error=\"%s\"",
			  buf_cstr(&c->session), c->peer, strerror(errno));
		conn_close(c);
	}
}

/* conn_flush_all - write every queued conn's replies (after the audit batch) */
void conn_flush_all(struct conn_set *set)
{
	struct conn *c;

	while ((c = set->flush_head) != NULL) {
		set->flush_head = c->flush_next;
		c->flush_queued = 0;
		if (c->dead || conn_write_out(c) < 0)
			conn_free(c);
	}
}

/* conn_start - take over an accepted socket */
void conn_start(struct conn_set *set, struct server *s, struct event_base *base,
		evutil_socket_t fd, const char *peer)
{
	const struct rw_config *cfg = server_config(s);
	struct proto_limits lim = {
		.max_line = cfg->policyd.max_line_length,
		.max_attributes = cfg->policyd.max_attributes,
		.max_request = cfg->policyd.max_request_size,
	};
	struct conn *c = rw_calloc(1, sizeof(*c));

	evutil_make_socket_nonblocking(fd);
	c->set = set;
	c->server = s;
	c->fd = fd;
	c->peer = rw_strdup(peer);
	c->parser = proto_new(&lim);
	server_next_session(s, &c->session);
	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->ev_write = event_new(base, fd, EV_WRITE, conn_on_write, c);
	c->ev_deadline = evtimer_new(base, conn_on_deadline, c);
	c->since = now_mono_ms();
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_deadline == NULL) {
		fprintf(stderr, "relaywarden-policyd: fatal: out of memory (event_new)\n");
		abort();
	}
	c->pprev = &set->head;
	if ((c->next = *c->pprev) != NULL)
		c->next->pprev = &c->next;
	*c->pprev = c;
	server_conn_opened(s);
	conn_set_reading(c, 1);
	log_debug("session=%s event=connect peer=%s", buf_cstr(&c->session), peer);
}

/*
 * conn_evict_victim - the connection to close at max_connections: the one
 * stalled longest in the middle of a request, else the one idle longest;
 * never one whose decision is under way. NULL when there is none.
 */
static struct conn *conn_evict_victim(struct conn_set *set)
{
	struct conn *best = NULL;

	for (struct conn *c = set->head; c != NULL; c = c->next) {
		if (c->dead || c->waiting)
			continue;
		if (best == NULL || (c->partial && !best->partial) ||
		    (c->partial == best->partial && c->since < best->since))
			best = c;
	}
	return best;
}

/* conn_evict - close the connection conn_evict_victim picks; 1, or 0 when none */
int conn_evict(struct conn_set *set)
{
	struct conn *c = conn_evict_victim(set);

	if (c == NULL)
		return 0;
	metrics_count(MC_EVICTIONS);
	log_info("session=%s event=evict peer=%s reason=%s seconds=%llu "
		 "note=\"max_connections reached: a new connection takes its place\"",
		 buf_cstr(&c->session), c->peer, c->partial ? "stalled_request" : "idle",
		 (unsigned long long)((now_mono_ms() - c->since) / 1000));
	conn_close(c);
	return 1;
}

/* conn_set_new - see conn.h */
struct conn_set *conn_set_new(void)
{
	return rw_calloc(1, sizeof(struct conn_set));
}

/* conn_set_free - free every open connection (at shutdown), then the set */
void conn_set_free(struct conn_set **sp)
{
	struct conn_set *set = *sp;

	if (set == NULL)
		return;
	set->flush_head = NULL;
	for (struct conn *c = set->head, *next; c != NULL; c = next) {
		next = c->next;		/* conn_free unlinks c and frees nothing else */
		conn_free(c);
	}
	free(set);
	*sp = NULL;
}
