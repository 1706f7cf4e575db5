/*
 * rw-loadgen - load generator for Postfix policy servers.
 *
 * usage: rw-loadgen -t HOST:PORT|unix:PATH -c CONNS -n TOTAL [-d MAX_SECONDS] [-s STATE]
 *
 * Opens CONNS persistent connections; each sends one policy request at a
 * time (as Postfix's smtpd does) and waits for the "action=...\n\n" reply
 * before the next. Requests are full Postfix 3.7 RCPT-state requests with
 * varied client addresses (a few /24s), senders, recipients (some in the
 * local domain example.test) and a SASL login on about a third of them.
 * Stops after TOTAL replies or MAX_SECONDS (default 60), whichever first,
 * then prints one line:
 *   conns=16 requests=200000 seconds=3.10 rps=64516 p50_us=.. p99_us=..
 *   p999_us=.. errors=0 OK=.. REJECT=.. DUNNO=.. other=..
 * where REJECT counts "action=REJECT ..." and "action=5NN ..." replies and
 * other everything else (DEFER, 4NN, PREPEND, ...).
 * Exit status 1 on a protocol error, a closed connection or a lost reply.
 * Single-threaded (one libevent loop), plain non-blocking sockets.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#define LG_NREQ 997		/* request variants; prime, so no lockstep with conns */
#define LG_MAX_REPLY 65536	/* a reply longer than this is a protocol error */

enum lg_action { ACT_OK, ACT_REJECT, ACT_DUNNO, ACT_OTHER, ACT_COUNT };

struct lg;

struct lg_conn {
	struct lg *lg;
	int fd;
	struct event *ev;
	char *rbuf;		/* reply bytes so far */
	size_t rlen, rcap;
	uint64_t sent_ns;	/* 0: idle */
	unsigned long next;	/* next request variant */
};

struct lg {
	struct event_base *base;
	struct lg_conn *conns;
	int nconns, open;
	unsigned long total, sent, done, errors;
	unsigned long actions[ACT_COUNT];
	uint64_t *lat;		/* per-request latency, ns */
	size_t nlat, latcap;
	uint64_t start_ns, end_ns;
	int stopping;
	char *reqs[LG_NREQ];
	size_t req_len[LG_NREQ];
};

/* lg_now - monotonic nanoseconds */
static uint64_t lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* lg_xrealloc - realloc or exit */
static void *lg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "rw-loadgen: out of memory\n");
		exit(1);
	}
	return q;
}

/* lg_build_requests - the request variants */
static void lg_build_requests(struct lg *lg, const char *state)
{
	static const char *const nets[] = { "192.0.2", "198.51.100", "203.0.113", "10.20.30" };
	static const char *const users[] = { "alice@example.test", "bob@example.test",
					     "carol@example.test", "mallory@example.test" };
	static const char *const rdom[] = { "example.org", "example.net", "example.com" };

	for (unsigned i = 0; i < LG_NREQ; i++) {
		const char *user = i % 3 == 0 ? users[(i / 3) % 4] : "";
		char *sender = NULL, *rcpt = NULL;
		int n;

		if (*user != '\0' && i % 2 == 0)
			n = asprintf(&sender, "%s", user);	/* the user's own address */
		else
			n = asprintf(&sender, "user%u@%s", i % 50, i % 4 ? "example.test" : "other.test");
		if (n < 0 || (i % 5 == 0 ? asprintf(&rcpt, "local%u@example.test", i % 30)
					 : asprintf(&rcpt, "rcpt%u@%s", i % 70, rdom[i % 3])) < 0)
			exit(1);
		n = asprintf(&lg->reqs[i],
			     "request=smtpd_access_policy\nprotocol_state=%s\nprotocol_name=ESMTP\n"
			     "helo_name=client%u.example.net\nqueue_id=%05X%05X\nsender=%s\n"
			     "recipient=%s\nrecipient_count=%u\nclient_address=%s.%u\n"
			     "client_name=client%u.example.net\nreverse_client_name=client%u.example.net\n"
			     "instance=%x.%x.%x.0\nsasl_method=%s\nsasl_username=%s\nsasl_sender=\n"
			     "size=%u\nccert_subject=\nccert_issuer=\nccert_fingerprint=\n"
			     "encryption_protocol=%s\nencryption_cipher=%s\nencryption_keysize=%s\n"
			     "etrn_domain=\nstress=\nccert_pubkey_fingerprint=\nclient_port=%u\n"
			     "policy_context=%s\nserver_address=127.0.0.1\nserver_port=%s\n"
			     "compatibility_level=3.6\nmail_version=3.7.11\n\n",
			     state, i, i * 7919u & 0xfffff, i, sender, rcpt, i % 3,
			     nets[i % 4], 1 + (i * 37) % 250, i, i, i, i * 31, i * 17,
			     *user ? "PLAIN" : "", user, 1000 + i * 113,
			     *user ? "TLSv1.3" : "", *user ? "TLS_AES_256_GCM_SHA384" : "",
			     *user ? "256" : "0", 40000 + i, *user ? "submission" : "",
			     *user ? "587" : "25");
		if (n < 0)
			exit(1);
		lg->req_len[i] = (size_t)n;
		free(sender);
		free(rcpt);
	}
}

/* lg_maybe_finish - leave the loop when nothing is outstanding */
static void lg_maybe_finish(struct lg *lg)
{
	for (int i = 0; i < lg->nconns; i++)
		if (lg->conns[i].fd >= 0 && lg->conns[i].sent_ns != 0)
			return;
	lg->end_ns = lg_now();
	event_base_loopbreak(lg->base);
}

/* lg_fail - a connection failed: count it and drop the connection */
static void lg_fail(struct lg_conn *c, const char *why)
{
	fprintf(stderr, "rw-loadgen: connection %d: %s\n", (int)(c - c->lg->conns), why);
	c->lg->errors++;
	event_free(c->ev);
	c->ev = NULL;
	close(c->fd);
	c->fd = -1;
	c->sent_ns = 0;
	c->lg->open--;
	lg_maybe_finish(c->lg);
}

/* lg_send - write the next request, all of it; -1 on error */
static int lg_send(struct lg_conn *c)
{
	struct lg *lg = c->lg;
	unsigned long k = c->next;
	size_t off = 0;

	c->next = (c->next + (unsigned long)lg->nconns) % LG_NREQ;
	lg->sent++;
	c->sent_ns = lg_now();
	while (off < lg->req_len[k]) {
		ssize_t n = send(c->fd, lg->reqs[k] + off, lg->req_len[k] - off, MSG_NOSIGNAL);
		struct pollfd pfd = { c->fd, POLLOUT, 0 };

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			poll(&pfd, 1, 1000);
		else if (n < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* lg_classify - count the action of a complete reply; -1 if it has none */
static int lg_classify(struct lg *lg, const char *r, size_t len)
{
	static const struct {
		const char *word;
		enum lg_action act;
	} words[] = { { "OK", ACT_OK }, { "REJECT", ACT_REJECT }, { "DUNNO", ACT_DUNNO } };
	size_t w;

	if (len < 8 || strncmp(r, "action=", 7) != 0)
		return -1;
	r += 7;
	w = strcspn(r, " \t\n");
	if (w == 3 && r[0] == '5' && isdigit((unsigned char)r[1]) && isdigit((unsigned char)r[2])) {
		lg->actions[ACT_REJECT]++;	/* "5NN text" rejects, as REJECT does */
		return 0;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (w == strlen(words[i].word) && strncasecmp(r, words[i].word, w) == 0) {
			lg->actions[words[i].act]++;
			return 0;
		}
	lg->actions[ACT_OTHER]++;
	return 0;
}

/* lg_reply - one complete reply of len bytes arrived on c */
static void lg_reply(struct lg_conn *c, size_t len)
{
	struct lg *lg = c->lg;
	uint64_t now = lg_now();

	if (c->rlen != len) {
		lg_fail(c, "reply bytes beyond the reply");
		return;
	}
	if (lg_classify(lg, c->rbuf, len) < 0) {
		lg_fail(c, "reply without action=");
		return;
	}
	c->rlen = 0;
	if (lg->nlat == lg->latcap) {
		lg->latcap = lg->latcap ? lg->latcap * 2 : 65536;
		lg->lat = lg_xrealloc(lg->lat, lg->latcap * sizeof(*lg->lat));
	}
	lg->lat[lg->nlat++] = now - c->sent_ns;
	lg->done++;
	c->sent_ns = 0;
	if (!lg->stopping && lg->sent < lg->total) {
		if (lg_send(c) < 0)
			lg_fail(c, strerror(errno));
		return;
	}
	lg_maybe_finish(lg);
}

/* lg_read - bytes from the server */
static void lg_read(evutil_socket_t fd, short what, void *arg)
{
	struct lg_conn *c = arg;
	const char *end;
	ssize_t n;

	(void)what;
	if (c->rcap - c->rlen < 4096) {
		c->rcap = c->rcap ? c->rcap * 2 : 8192;
		c->rbuf = lg_xrealloc(c->rbuf, c->rcap);
	}
	n = recv(fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		lg_fail(c, n == 0 ? "closed by server" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	c->rlen += (size_t)n;
	c->rbuf[c->rlen] = '\0';
	if (c->sent_ns == 0) {
		lg_fail(c, "unsolicited reply");
		return;
	}
	end = memmem(c->rbuf, c->rlen, "\n\n", 2);
	if (end != NULL)
		lg_reply(c, (size_t)(end - c->rbuf) + 2);
	else if (c->rlen > LG_MAX_REPLY)
		lg_fail(c, "reply too long");
}

/* lg_connect_to - a connected socket for spec ("HOST:PORT" or "unix:PATH") */
static int lg_connect_to(const char *spec)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof(ss), fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		if (strlen(spec + 5) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, spec + 5, strlen(spec + 5) + 1);
		len = (int)sizeof(*un);
	} else if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &len) < 0) {
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* lg_deadline - MAX_SECONDS reached: stop sending, give replies 2s more */
static void lg_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct lg *lg = arg;
	struct timeval grace = { 2, 0 };

	(void)fd;
	(void)what;
	if (lg->stopping) {	/* the grace period ended too */
		for (int i = 0; i < lg->nconns; i++)
			if (lg->conns[i].fd >= 0 && lg->conns[i].sent_ns != 0)
				lg_fail(&lg->conns[i], "no reply within 2s of the deadline");
		lg->end_ns = lg_now();
		event_base_loopbreak(lg->base);
		return;
	}
	lg->stopping = 1;
	lg->end_ns = lg_now();
	event_base_once(lg->base, -1, EV_TIMEOUT, lg_deadline, lg, &grace);
	lg_maybe_finish(lg);
}

/* lg_cmp - for qsort */
static int lg_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* lg_pct - the q-quantile latency in microseconds */
static double lg_pct(const struct lg *lg, double q)
{
	if (lg->nlat == 0)
		return 0;
	return (double)lg->lat[(size_t)(q * (double)(lg->nlat - 1))] / 1000.0;
}

/* lg_report - the result line */
static void lg_report(struct lg *lg)
{
	double secs = (double)(lg->end_ns - lg->start_ns) / 1e9;

	if (lg->nlat > 0)
		qsort(lg->lat, lg->nlat, sizeof(*lg->lat), lg_cmp);
	printf("conns=%d requests=%lu seconds=%.2f rps=%.0f p50_us=%.1f p99_us=%.1f "
	       "p999_us=%.1f errors=%lu OK=%lu REJECT=%lu DUNNO=%lu other=%lu\n",
	       lg->nconns, lg->done, secs, secs > 0 ? (double)lg->done / secs : 0.0,
	       lg_pct(lg, 0.50), lg_pct(lg, 0.99), lg_pct(lg, 0.999), lg->errors,
	       lg->actions[ACT_OK], lg->actions[ACT_REJECT], lg->actions[ACT_DUNNO],
	       lg->actions[ACT_OTHER]);
}

/* lg_usage - print usage and exit 2 */
static void __attribute__((noreturn)) lg_usage(void)
{
	fprintf(stderr, "usage: rw-loadgen -t HOST:PORT|unix:PATH -c CONNS -n TOTAL "
			"[-d MAX_SECONDS] [-s STATE]\n");
	exit(2);
}

/* lg_start - connect everything and send the first requests; -1 on failure */
static int lg_start(struct lg *lg, const char *target)
{
	for (int i = 0; i < lg->nconns; i++) {
		struct lg_conn *c = &lg->conns[i];

		c->lg = lg;
		c->next = (unsigned long)i % LG_NREQ;
		c->fd = lg_connect_to(target);
		if (c->fd < 0) {
			fprintf(stderr, "rw-loadgen: connect %s: %s\n", target, strerror(errno));
			return -1;
		}
		c->ev = event_new(lg->base, c->fd, EV_READ | EV_PERSIST, lg_read, c);
		event_add(c->ev, NULL);
		lg->open++;
	}
	lg->start_ns = lg_now();
	for (int i = 0; i < lg->nconns && lg->sent < lg->total; i++)
		if (lg_send(&lg->conns[i]) < 0)
			lg_fail(&lg->conns[i], strerror(errno));
	return 0;
}

/* lg_free - close and free everything */
static void lg_free(struct lg *lg)
{
	for (int i = 0; lg->conns != NULL && i < lg->nconns; i++) {
		if (lg->conns[i].ev != NULL)
			event_free(lg->conns[i].ev);
		if (lg->conns[i].fd >= 0)
			close(lg->conns[i].fd);
		free(lg->conns[i].rbuf);
	}
	for (int i = 0; i < LG_NREQ; i++)
		free(lg->reqs[i]);
	free(lg->conns);
	free(lg->lat);
	if (lg->base != NULL)
		event_base_free(lg->base);
}

int main(int argc, char **argv)
{
	struct lg lg;
	const char *target = NULL, *state = "RCPT";
	struct timeval limit = { 60, 0 };
	int opt, rc = 1;

	memset(&lg, 0, sizeof(lg));
	lg.nconns = 1;
	while ((opt = getopt(argc, argv, "t:c:n:d:s:")) != -1) {
		if (opt == 't')
			target = optarg;
		else if (opt == 'c')
			lg.nconns = atoi(optarg);
		else if (opt == 'n')
			lg.total = strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			limit.tv_sec = atol(optarg);
		else if (opt == 's')
			state = optarg;
		else
			lg_usage();
	}
	if (target == NULL || lg.nconns < 1 || lg.total < 1 || limit.tv_sec < 1 || optind != argc)
		lg_usage();
	signal(SIGPIPE, SIG_IGN);
	lg_build_requests(&lg, state);
	lg.base = event_base_new();
	lg.conns = lg_xrealloc(NULL, (size_t)lg.nconns * sizeof(*lg.conns));
	memset(lg.conns, 0, (size_t)lg.nconns * sizeof(*lg.conns));
	for (int i = 0; i < lg.nconns; i++)
		lg.conns[i].fd = -1;
	if (lg.base != NULL && lg_start(&lg, target) == 0) {
		event_base_once(lg.base, -1, EV_TIMEOUT, lg_deadline, &lg, &limit);
		if (lg.open > 0)
			event_base_dispatch(lg.base);
		else
			lg.end_ns = lg_now();
		lg_report(&lg);
		rc = lg.errors > 0 || lg.done == 0 ? 1 : 0;
	}
	lg_free(&lg);
	return rc;
}
