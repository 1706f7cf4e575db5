/* conn - one policy client connection; see conn.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/decid.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/now.h"
#include "core/proto.h"
#include "core/summary.h"
#include "policyd/conn.h"
#include "policyd/decision.h"
#include "policyd/server.h"

/* Stop reading while this much reply data waits for a slow client. */
#define CONN_OUTPUT_HIGH (256 * 1024)
/* Bytes read from the socket per read(2). */
#define CONN_READ_CHUNK (64 * 1024)

struct conn {
	struct server *server;
	evutil_socket_t fd;
	struct event *ev_read;		/* persistent, with the idle timeout */
	struct event *ev_write;		/* only while a write would block */
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
	struct conn *next;		/* the server's list of open connections */
	struct conn **pprev;
	struct conn *flush_next;	/* the server's list of conns with output */
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
	decision_cancel(&c->dec, c->server);
	decision_release(&c->dec);
	spf_txn_release(&c->spf);
	buf_release(&c->in_pending);
	server_conn_closed(c->server);
	event_free(c->ev_read);
	event_free(c->ev_write);
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
		decision_cancel(&c->dec, c->server);
		c->dead = 1;
		return;
	}
	conn_free(c);
}

/* conn_queue_flush - have the server write our replies after this loop turn */
static void conn_queue_flush(struct conn *c)
{
	struct conn **head = server_flush_head(c->server);

	if (c->flush_queued)
		return;
	c->flush_queued = 1;
	c->flush_next = *head;
	*head = c;
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

/* conn_log_summary - the Postfix-style line of a decision (core/summary.h) */
static void conn_log_summary(const struct rw_txn *t, const struct rw_verdict *v,
			     const struct buf *reply)
{
	struct buf b = BUF_INIT;

	summary_line(t, v, reply, &b);
	log_plain(LOG_L_INFO, "%s", buf_cstr(&b));
	buf_release(&b);
}

/* conn_audit - one audit record for a decision, batched by the server */
static void conn_audit(struct conn *c, const struct decision *d, const struct buf *reply)
{
	struct audit_ctx ctx = {
		.component = "policyd",
		.host = d->cfg->instance_name,
		.session = buf_cstr(&c->session),
		.config_digest = d->cfg->digest,
		.plan = &d->plan,
		.results = d->results,
		.spf = d->spf.n > 0 ? &d->spf : NULL,
		.reply = reply,
	};

	gettimeofday(&ctx.now, NULL);
	audit_record(&ctx, &d->t, &d->v, server_audit_batch(c->server));
	server_audit_commit(c->server);
}

/*
 * conn_action - the "action=" line for v. Postfix prefixes a policy
 * refusal at RCPT with "<rcpt>: Recipient address rejected: ", so the
 * engine's own leading "<rcpt>: " is dropped here to avoid saying it twice.
 */
static void conn_action(const struct rw_txn *t, const struct buf *reply, enum rw_action act,
			struct buf *out)
{
	const char *text = buf_cstr(reply), *p;
	size_t rlen = txn_has(t->recipient) ? strlen(t->recipient) : 0;

	buf_append(out, "action=", 7);
	if (reply->len == 0) {
		buf_puts(out, verdict_action_name(act));
		buf_append(out, "\n\n", 2);
		return;
	}
	/* "554 5.7.1 <rcpt>: text": p is the space before the address */
	p = strchr(text + 4, ' ');
	if (p != NULL && rlen > 0 && p[1] == '<' && strncmp(p + 2, t->recipient, rlen) == 0 &&
	    strncmp(p + 2 + rlen, ">: ", 3) == 0) {
		buf_append(out, text, (size_t)(p + 1 - text));
		buf_puts(out, p + 2 + rlen + 3);
	} else {
		buf_append(out, text, reply->len);
	}
	buf_append(out, "\n\n", 2);
}

/* conn_answer - the decision is complete: reply, audit, log, next request */
static void conn_answer(struct conn *c)
{
	struct decision *d = &c->dec;
	struct buf reply = BUF_INIT;

	if (d->v.action == ACT_REJECT || d->v.action == ACT_DEFER || decision_audited(d))
		decid_next(d->v.id);
	verdict_reply(&d->v, &reply);
	if (d->prepend.len > 0 && d->v.action == ACT_DUNNO)	/* tag mode, at DATA */
		buf_printf(&c->out, "action=PREPEND %s\n\n", buf_cstr(&d->prepend));
	else
		conn_action(&d->t, &reply, d->v.action, &c->out);
	metrics_decision(&d->t, &d->v, &d->plan, d->results, now_mono_us() - c->started_us);
	if (decision_audited(d))
		conn_audit(c, d, &reply);
	if (d->v.action == ACT_REJECT || d->v.action == ACT_DEFER ||
	    (d->cfg->log.decisions && decision_audited(d)))
		conn_log_summary(&d->t, &d->v, &reply);
	if (log_enabled(LOG_L_DEBUG))
		conn_log_decision(c, &d->t, &d->v, &reply);
	c->requests++;
	buf_release(&reply);
	decision_release(d);
	proto_reset(c->parser);
}

static int conn_feed(struct conn *c, const char *data, size_t len);

/* conn_on_decided - a decision that waited for the limiter is complete */
static void conn_on_decided(struct decision *d, void *arg)
{
	struct conn *c = arg;
	struct buf rest = c->in_pending;

	(void)d;
	c->waiting = 0;
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
			c->dec.spf_txn = &c->spf;
			c->started_us = now_mono_us();
			if (decision_start(&c->dec, c->server, c->parser, conn_on_decided, c))
				conn_answer(c);
			else
				c->waiting = 1;
		} else if (used == 0) {
			break;	/* the parser promises to consume; never spin */
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
	while (c->out_off < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(c->ev_write, NULL);
			return 0;
		}
		if (n < 0)
			return -1;
		c->out_off += (size_t)n;
	}
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
void conn_flush_all(struct server *s)
{
	struct conn **head = server_flush_head(s), *c;

	while ((c = *head) != NULL) {
		*head = c->flush_next;
		c->flush_queued = 0;
		if (c->dead || conn_write_out(c) < 0)
			conn_free(c);
	}
}

/* conn_start - take over an accepted socket */
void conn_start(struct server *s, struct event_base *base, evutil_socket_t fd,
		const char *peer)
{
	const struct rw_config *cfg = server_config(s);
	struct proto_limits lim = {
		.max_line = cfg->policyd.max_line_length,
		.max_attributes = cfg->policyd.max_attributes,
		.max_request = cfg->policyd.max_request_size,
	};
	struct conn *c = rw_calloc(1, sizeof(*c));

	evutil_make_socket_nonblocking(fd);
	c->server = s;
	c->fd = fd;
	c->peer = rw_strdup(peer);
	c->parser = proto_new(&lim);
	server_next_session(s, &c->session);
	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->ev_write = event_new(base, fd, EV_WRITE, conn_on_write, c);
	if (c->ev_read == NULL || c->ev_write == NULL) {
		fprintf(stderr, "relaywarden-policyd: fatal: out of memory (event_new)\n");
		abort();
	}
	c->pprev = server_conn_head(s);
	if ((c->next = *c->pprev) != NULL)
		c->next->pprev = &c->next;
	*c->pprev = c;
	server_conn_opened(s);
	conn_set_reading(c, 1);
	log_debug("session=%s event=connect peer=%s", buf_cstr(&c->session), peer);
}

/* conn_close_all - free every open connection (at shutdown) */
void conn_close_all(struct server *s)
{
	struct conn **head = server_conn_head(s);

	*server_flush_head(s) = NULL;
	while (*head != NULL)
		conn_free(*head);
}
