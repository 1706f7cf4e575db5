/* conn - one policy client connection; see conn.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/proto.h"
#include "core/relay.h"
#include "core/request.h"
#include "policyd/conn.h"

/* Stop reading while this much reply data waits for a slow client. */
#define CONN_OUTPUT_HIGH (256 * 1024)

struct conn {
	struct server *server;
	struct bufferevent *bev;
	struct proto_parser *parser;
	struct buf session;
	char *peer;
	unsigned long requests;
	struct conn *next;	/* the server's list of open connections */
	struct conn **pprev;
};

/* conn_free - release everything; the socket closes with the bufferevent */
static void conn_free(struct conn *c)
{
	if ((*c->pprev = c->next) != NULL)
		c->next->pprev = c->pprev;
	server_conn_closed(c->server);
	bufferevent_free(c->bev);
	proto_free(&c->parser);
	buf_release(&c->session);
	free(c->peer);
	free(c);
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

/* conn_audit - one audit record for a relay decision */
static void conn_audit(struct conn *c, const struct rw_config *cfg, const struct rw_txn *t,
		       const struct rw_verdict *v)
{
	struct audit_ctx ctx = {
		.component = "policyd",
		.host = cfg->instance_name,
		.session = buf_cstr(&c->session),
		.config_digest = cfg->digest,
	};
	struct buf rec = BUF_INIT;

	gettimeofday(&ctx.now, NULL);
	audit_record(&ctx, t, v, &rec);
	if (audit_write(server_audit(c->server), &rec) < 0)
		log_err("session=%s event=audit_write_failed error=%m", buf_cstr(&c->session));
	buf_release(&rec);
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

	if (reply->len == 0) {
		buf_printf(out, "action=%s\n\n", verdict_action_name(act));
		return;
	}
	/* "554 5.7.1 <rcpt>: text": p is the space before the address */
	p = strchr(text + 4, ' ');
	if (p != NULL && rlen > 0 && p[1] == '<' && strncmp(p + 2, t->recipient, rlen) == 0 &&
	    strncmp(p + 2 + rlen, ">: ", 3) == 0)
		buf_printf(out, "action=%.*s%s\n\n", (int)(p + 1 - text), text, p + 2 + rlen + 3);
	else
		buf_printf(out, "action=%s\n\n", text);
}

/* conn_handle - decide one complete request and queue its reply */
static void conn_handle(struct conn *c)
{
	struct rw_config *cfg = server_config(c->server);
	struct rw_verdict v = VERDICT_INIT;
	struct buf reply = BUF_INIT, out = BUF_INIT;
	struct rw_txn t;

	request_to_txn(c->parser, &t);
	relay_decide(cfg->policy, &t, &v);
	verdict_reply(&v, &reply);
	conn_action(&t, &reply, v.action, &out);
	bufferevent_write(c->bev, out.data, out.len);
	if (t.stage == STAGE_RCPT || t.stage == STAGE_VRFY)
		conn_audit(c, cfg, &t, &v);
	conn_log_decision(c, &t, &v, &reply);
	c->requests++;
	verdict_release(&v);
	buf_release(&reply);
	buf_release(&out);
}

/* conn_read - parse what arrived; answer every complete request */
static void conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const char *err;

	while (evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec vec;
		size_t used = 0;
		enum proto_status st;

		if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1)
			break;
		st = proto_feed(c->parser, vec.iov_base, vec.iov_len, &used, &err);
		evbuffer_drain(in, used);
		if (st == PROTO_ERROR) {
			log_warn("session=%s event=bad_request peer=%s error=\"%s\" "
				 "action=close_without_reply", buf_cstr(&c->session), c->peer, err);
			conn_free(c);
			return;
		}
		if (st == PROTO_REQUEST) {
			conn_handle(c);
			proto_reset(c->parser);
		} else if (used == 0) {
			break;	/* the parser promises to consume; never spin */
		}
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) > CONN_OUTPUT_HIGH)
		bufferevent_disable(bev, EV_READ);
}

/* conn_write - output drained: resume reading if we paused */
static void conn_write(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_enable(bev, EV_READ);
}

/* conn_event - EOF, error or idle timeout: close */
static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("session=%s event=idle_timeout peer=%s", buf_cstr(&c->session), c->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("session=%s event=socket_error peer=%s error=\"%s\"",
			  buf_cstr(&c->session), c->peer, strerror(errno));
	log_debug("session=%s event=disconnect peer=%s requests=%lu", buf_cstr(&c->session),
		  c->peer, c->requests);
	conn_free(c);
}

/* conn_start - wrap an accepted socket */
void conn_start(struct server *s, struct event_base *base, evutil_socket_t fd,
		const char *peer)
{
	const struct rw_config *cfg = server_config(s);
	struct proto_limits lim = {
		.max_line = cfg->policyd.max_line_length,
		.max_attributes = cfg->policyd.max_attributes,
		.max_request = cfg->policyd.max_request_size,
	};
	struct timeval idle = { .tv_sec = cfg->policyd.idle_timeout };
	struct conn *c = rw_calloc(1, sizeof(*c));

	c->server = s;
	c->peer = rw_strdup(peer);
	c->parser = proto_new(&lim);
	server_next_session(s, &c->session);
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_err("event=bufferevent_failed peer=%s", peer);
		evutil_closesocket(fd);
		proto_free(&c->parser);
		buf_release(&c->session);
		free(c->peer);
		free(c);
		return;
	}
	c->pprev = server_conn_head(s);
	if ((c->next = *c->pprev) != NULL)
		c->next->pprev = &c->next;
	*c->pprev = c;
	server_conn_opened(s);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("session=%s event=connect peer=%s", buf_cstr(&c->session), peer);
}

/* conn_close_all - free every open connection */
void conn_close_all(struct server *s)
{
	struct conn **head = server_conn_head(s);

	while (*head != NULL)
		conn_free(*head);
}
