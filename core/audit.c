/* audit - one JSON line per decision; see audit.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/mem.h"

#define AUDIT_SCHEMA_VERSION 1

struct audit {
	char *path;	/* NULL: no file sink */
	int fd;
	int syslog;
	int fsync;
};

/* audit_open_file - (re)open the file sink */
static int audit_open_file(struct audit *a, struct buf *err)
{
	int fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0) {
		buf_printf(err, "audit file %s: %s", a->path, strerror(errno));
		return -1;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	return 0;
}

/* audit_open - sinks from the config */
struct audit *audit_open(const struct rw_config *c, struct buf *err)
{
	struct audit *a = rw_calloc(1, sizeof(*a));

	a->fd = -1;
	a->syslog = c->audit.syslog;
	a->fsync = c->audit.fsync;
	if (c->audit.file != NULL) {
		a->path = rw_strdup(c->audit.file);
		if (audit_open_file(a, err) < 0) {
			audit_close(&a);
			return NULL;
		}
	}
	return a;
}

/* audit_reopen - reopen the file after rotation */
int audit_reopen(struct audit *a, struct buf *err)
{
	return a->path ? audit_open_file(a, err) : 0;
}

/* audit_close - close sinks, free, clear *ap */
void audit_close(struct audit **ap)
{
	struct audit *a = *ap;

	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a->path);
	free(a);
	*ap = NULL;
}

/* audit_str - JSON string for s (NULL -> null); invalid UTF-8 bytes become '?' */
static json_t *audit_str(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = rw_strdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* audit_opt - like audit_str but "" is null too (for optional attributes) */
static json_t *audit_opt(const char *s)
{
	return audit_str(txn_has(s) ? s : NULL);
}

/* audit_time - ISO 8601 UTC with microseconds */
static json_t *audit_time(const struct timeval *tv)
{
	char ts[32], out[48];
	struct tm tm;
	time_t sec = tv->tv_sec;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", gmtime_r(&sec, &tm));
	snprintf(out, sizeof(out), "%s.%06ldZ", ts, (long)tv->tv_usec);
	return json_string(out);
}

/* audit_trace - the rule trace as a JSON array */
static json_t *audit_trace(const struct rw_verdict *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < v->trace.n; i++)
		json_array_append_new(arr, audit_str(v->trace.v[i]));
	return arr;
}

/* audit_tls - the TLS and client certificate part */
static json_t *audit_tls(const struct rw_txn *t)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
			 "protocol", audit_opt(t->tls_protocol),
			 "cipher", audit_opt(t->tls_cipher),
			 "cert_fingerprint", audit_opt(t->cert_fingerprint),
			 "cert_pubkey_fingerprint", audit_opt(t->cert_pubkey_fingerprint),
			 "cert_subject", audit_opt(t->cert_subject),
			 "cert_issuer", audit_opt(t->cert_issuer),
			 "cert_verified", t->cert_verified != 0);
}

/* audit_reply - the SMTP reply, or null for DUNNO/OK */
static json_t *audit_reply(const struct rw_verdict *v)
{
	struct buf b = BUF_INIT;
	json_t *j;

	verdict_reply(v, &b);
	j = b.len ? audit_str(buf_cstr(&b)) : json_null();
	buf_release(&b);
	return j;
}

/* audit_record - build the record; the layout is schema/audit-record.schema.json */
void audit_record(const struct audit_ctx *ctx, const struct rw_txn *t,
		  const struct rw_verdict *v, struct buf *out)
{
	json_t *rec;
	char *s;

	rec = json_pack("{s:i, s:o, s:o, s:s, s:o, s:o, s:o, s:s,"
			" s:{s:o, s:o, s:o}, s:o, s:{s:o, s:o}, s:o, s:{s:o, s:o},"
			" s:o, s:o, s:I, s:I,"
			" s:s, s:o, s:o, s:o, s:o}",
			"v", AUDIT_SCHEMA_VERSION,
			"time", audit_time(&ctx->now),
			"host", audit_str(ctx->host),
			"component", ctx->component,
			"session", audit_opt(ctx->session),
			"instance", audit_opt(t->instance),
			"queue_id", audit_opt(t->queue_id),
			"stage", txn_stage_name(t->stage),
			"client", "address", audit_opt(t->client_address),
			"name", audit_opt(t->client_name),
			"reverse_name", audit_opt(t->reverse_client_name),
			"helo", audit_opt(t->helo_name),
			"listener", "name", audit_opt(t->listener),
			"port", t->server_port ? json_integer(t->server_port) : json_null(),
			"tls", audit_tls(t),
			"sasl", "username", audit_opt(t->sasl_username),
			"method", audit_opt(t->sasl_method),
			"sender", audit_str(t->sender),
			"recipient", audit_str(t->recipient),
			"recipient_count", (json_int_t)t->recipient_count,
			"size", (json_int_t)t->size,
			"verdict", verdict_action_name(v->action),
			"reply", audit_reply(v),
			"rule", audit_str(v->rule),
			"trace", audit_trace(v),
			"config_digest", audit_str(ctx->config_digest));
	if (rec == NULL)
		abort();	/* a format/argument mismatch: programming error */
	s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(rec);
	if (s == NULL)
		abort();
	buf_puts(out, s);
	free(s);
}

/* audit_write_all - write the whole buffer to fd */
static int audit_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* audit_write - append the record to every sink */
int audit_write(struct audit *a, const struct buf *record)
{
	struct buf line = BUF_INIT;
	int rc = 0;

	if (a->fd >= 0) {
		buf_append(&line, record->data, record->len);
		buf_putc(&line, '\n');
		if (audit_write_all(a->fd, line.data, line.len) < 0 ||
		    (a->fsync && fsync(a->fd) < 0))
			rc = -1;
		buf_release(&line);
	}
	if (a->syslog)
		syslog(LOG_INFO, "audit: %s", buf_cstr(record));
	return rc;
}
