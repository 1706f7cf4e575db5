/* audit - one JSON line per decision; see audit.h */
#include "autoconfig.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/audit/audit.h"
#include "core/audit/audit_mac.h"
#include "core/audit/audit_sign.h"
#include "core/util/json.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/msgauth/msgcheck.h"
#include "core/util/now.h"
#include "core/sys/safefile.h"
#include "core/spf/spf_policy.h"

#define AUDIT_SCHEMA_VERSION "1"	/* the schema's "v" */
#define AUDIT_FAILURE_LOG_MS 1000	/* audit_failure: one line a second at most */

struct audit {
	char *path;	/* NULL: no file sink */
	char *user;	/* the service user the file is handed to; NULL: none */
	int fd;
	int syslog;
	int fsync;
	int torn;	/* the file ends inside a record: the next write starts a line */
	unsigned long lost;	/* records not written since audit_failure last said so */
	uint64_t quiet_until;	/* now_mono_ms before which audit_failure stays quiet */
	struct audit_mac *mac;	/* NULL: records carry no mac */
	struct audit_key *sign;	/* NULL: no signed checkpoints */
	char *chain_id;		/* NULL: records are not chained (neither key) */
	uint64_t seq;		/* of the next line sealed */
	char prev[AUDIT_MAC_HEX + 1];	/* MAC of the last line sealed */
	/* signed checkpoints (audit_sign.h), with sign only */
	struct audit_hash hash;	/* the running hash over the lines sealed */
	char *host;		/* instance name, in each checkpoint */
	unsigned long cp_records;	/* checkpoint after this many records ... */
	uint64_t cp_ms;			/* ... or after the first one this late */
	unsigned long since_cp;		/* records sealed since the last checkpoint */
	uint64_t cp_due;		/* now_mono_ms when time is up */
	unsigned long cp_sealed;	/* checkpoints audit_seal appended, not yet written */
};

static void audit_checkpoint(struct audit *a, struct buf *b, const char *reason);
static void audit_checkpoint_now(struct audit *a, const char *reason);
static void audit_sign_off(struct audit *a);

/* audit_chain_start - a new chain: an id no other writer or start shares */
static void audit_chain_start(struct audit *a, const struct rw_config *c)
{
	static unsigned long opened;	/* chains this process has started */
	struct buf id = BUF_INIT;

	buf_printf(&id, "%s:%ld.%lx.%lu", c->instance_name, (long)getpid(),
		   (unsigned long)time(NULL), __atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED));
	a->chain_id = buf_detach(&id);
	a->seq = 0;
	memset(a->prev, '0', AUDIT_MAC_HEX);
	a->prev[AUDIT_MAC_HEX] = '\0';
}

/* audit_ends_torn - 1 when the open file fd ends without a newline */
static int audit_ends_torn(int fd)
{
	struct stat st;
	char last;

	return fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	       last != '\n';
}

/*
 * audit_open_file - (re)open the file sink: the service user owns the
 * audit directory, so never through a link or as another kind of file
 * (safefile.h); read as well as append, to see whether the file ends torn
 */
static int audit_open_file(struct audit *a, struct buf *err)
{
	struct buf why = BUF_INIT;
	int fd = safefile_open(a->path, O_RDWR | O_APPEND | O_CREAT, 0640, a->user, &why);

	if (fd < 0) {
		buf_printf(err, "audit file %s", buf_cstr(&why));
		buf_release(&why);
		return -1;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->torn = audit_ends_torn(fd);	/* a crash or a full disk cut the last record */
	return 0;
}

/* audit_open - sinks from the config */
struct audit *audit_open(const struct rw_config *c, struct buf *err)
{
	struct audit *a = rw_calloc(1, sizeof(*a));

	a->fd = -1;
	a->syslog = c->audit.syslog;
	a->fsync = c->audit.fsync;
	if (c->audit.hmac_key_file != NULL) {
		if ((a->mac = audit_mac_load(c->audit.hmac_key_file, c->user, err)) == NULL) {
			audit_close(&a);
			return NULL;
		}
	}
	if (c->audit.signing_key_file != NULL &&
	    (a->sign = audit_key_load_private(c->audit.signing_key_file, c->user, err)) == NULL) {
		audit_close(&a);
		return NULL;
	}
	if (a->mac != NULL || a->sign != NULL)
		audit_chain_start(a, c);
	if (a->sign != NULL) {
		audit_hash_init(&a->hash);
		a->host = rw_strdup(c->instance_name);
		a->cp_records = c->audit.checkpoint_records;
		a->cp_ms = (uint64_t)c->audit.checkpoint_seconds * 1000;
		a->cp_due = now_mono_ms() + a->cp_ms;
	}
	if (c->audit.file != NULL) {
		a->path = rw_strdup(c->audit.file);
		a->user = c->user != NULL && *c->user != '\0' ? rw_strdup(c->user) : NULL;
		if (audit_open_file(a, err) < 0) {
			audit_sign_off(a);	/* a chain that never started ends unsaid */
			audit_close(&a);
			return NULL;
		}
	}
	audit_checkpoint_now(a, "start");
	return a;
}

/* audit_reopen - reopen the file after rotation; the old one ends with a checkpoint */
int audit_reopen(struct audit *a, struct buf *err)
{
	audit_checkpoint_now(a, "rotate");
	return a->path ? audit_open_file(a, err) : 0;
}

/* audit_close - close sinks, free, clear *ap */
void audit_close(struct audit **ap)
{
	struct audit *a = *ap;

	if (a == NULL)
		return;
	audit_checkpoint_now(a, "close");
	if (a->fd >= 0)
		close(a->fd);
	audit_sign_off(a);
	audit_mac_free(&a->mac);
	free(a->chain_id);
	free(a->host);
	free(a->path);
	free(a->user);
	free(a);
	*ap = NULL;
}

/* audit_opt - key and an optional attribute: "" and NULL are null */
static inline __attribute__((always_inline)) void audit_opt(struct buf *b, const char *key,
								 const char *s)
{
	json_key(b, key);
	json_str(b, txn_has(s) ? s : NULL);
	buf_putc(b, ',');
}

/* audit_time - "time": ISO 8601 UTC with microseconds */
static void audit_time(struct buf *b, const struct timeval *tv)
{
	static __thread char ts[32];	/* the last second formatted, per thread */
	static __thread time_t ts_sec = -1;
	struct tm tm;
	time_t sec = tv->tv_sec;

	char us[8];
	long u = (long)tv->tv_usec;

	if (sec != ts_sec) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", gmtime_r(&sec, &tm));
		ts_sec = sec;
	}
	us[0] = '.';
	for (int i = 6; i >= 1; i--, u /= 10)
		us[i] = (char)('0' + (u < 0 ? 0 : u % 10));
	us[7] = 'Z';
	buf_append(b, BUF_LIT("\"time\":\""));
	buf_puts(b, ts);
	buf_append(b, us, sizeof(us));
	buf_append(b, BUF_LIT("\","));
}

/* audit_tls - "tls": the TLS and client certificate part */
static void audit_tls(struct buf *b, const struct rw_txn *t)
{
	buf_puts(b, "\"tls\":{");
	audit_opt(b, "protocol", t->tls_protocol);
	audit_opt(b, "cipher", t->tls_cipher);
	if (!txn_has(t->cert_fingerprint) && !txn_has(t->cert_pubkey_fingerprint) &&
	    !txn_has(t->cert_subject) && !txn_has(t->cert_issuer) && !t->cert_verified) {
		/* no client certificate, most sessions: what the lines below write then */
		buf_append(b, BUF_LIT("\"cert_fingerprint\":null,\"cert_pubkey_fingerprint\":null,"
				      "\"cert_subject\":null,\"cert_issuer\":null,"
				      "\"cert_verified\":false},"));
		return;
	}
	audit_opt(b, "cert_fingerprint", t->cert_fingerprint);
	audit_opt(b, "cert_pubkey_fingerprint", t->cert_pubkey_fingerprint);
	audit_opt(b, "cert_subject", t->cert_subject);
	audit_opt(b, "cert_issuer", t->cert_issuer);
	json_key(b, "cert_verified");
	json_bool(b, t->cert_verified);
	buf_append(b, BUF_LIT("},"));
}

/* audit_verdict - verdict, reply, rule, trace */
static void audit_verdict(struct buf *b, const struct rw_verdict *v, const struct buf *given)
{
	struct buf reply = BUF_INIT;

	if (given == NULL)
		verdict_reply(v, &reply);
	else
		reply = *given;	/* borrowed: not released below */
	buf_append(b, BUF_LIT("\"verdict\":\""));
	buf_puts(b, verdict_action_name(v->action));
	buf_append(b, BUF_LIT("\","));
	json_key(b, "reply");
	json_str(b, reply.len ? buf_cstr(&reply) : NULL);
	buf_putc(b, ',');
	json_key(b, "rule");
	json_str(b, v->rule);
	buf_append(b, BUF_LIT(",\"trace\":["));
	for (size_t i = 0; i < v->trace.n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		json_str(b, v->trace.v[i]);
	}
	buf_append(b, BUF_LIT("],"));
	if (given == NULL)
		buf_release(&reply);
}

/* audit_limit - one limit check and its result */
static void audit_limit(struct buf *b, const struct limit_check *c, const struct limit_result *r)
{
	buf_putc(b, '{');
	json_key(b, "name");
	json_str(b, c->limit->name);
	buf_puts(b, c->limit->kind == LIMIT_QUOTA ? ",\"kind\":\"quota\",\"unit\":\""
						      : ",\"kind\":\"rate\",\"unit\":\"");
	buf_puts(b, limits_unit_name(c->unit));
	buf_puts(b, c->limit->mode == MODE_SHADOW ? "\",\"mode\":\"shadow\","
						  : "\",\"mode\":\"enforce\",");
	json_key(b, "dimension");
	json_str(b, c->dimension);
	buf_putc(b, ',');
	json_key(b, "identity");
	json_str(b, c->identity);
	buf_putc(b, ',');
	json_key(b, "customer");
	json_str(b, c->customer);
	buf_puts(b, ",\"cost\":");
	json_uint(b, c->cost);
	buf_puts(b, ",\"ok\":");
	json_bool(b, r->ok);
	buf_puts(b, ",\"remaining\":");
	json_uint(b, r->remaining);
	buf_puts(b, ",\"retry_after_ms\":");
	json_uint(b, r->retry_after_ms);
	buf_puts(b, ",\"blocked\":");
	json_bool(b, r->blocked);
	buf_puts(b, ",\"degraded\":");
	json_bool(b, r->degraded);
	buf_putc(b, '}');
}

/* audit_limits - "charge" and "limits": the checks, when any ran */
static void audit_limits(struct buf *b, const struct audit_ctx *ctx)
{
	if (ctx->plan == NULL || ctx->results == NULL || ctx->plan->n == 0)
		return;
	buf_printf(b, "\"charge\":%s,\"limits\":[", ctx->plan->charge ? "true" : "false");
	for (size_t i = 0; i < ctx->plan->n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		audit_limit(b, &ctx->plan->v[i], &ctx->results[i]);
	}
	buf_append(b, BUF_LIT("],"));
}

/* audit_spf_check - one address's outcome */
static void audit_spf_check(struct buf *b, const struct spf_check_result *c)
{
	const struct spf_outcome *o = &c->out;

	buf_puts(b, "{\"ip\":");
	json_str(b, c->ip_text);
	buf_printf(b, ",\"result\":\"%s\",", spf_result_name(o->result));
	audit_opt(b, "mechanism", o->mechanism.len ? buf_cstr(&o->mechanism) : NULL);
	json_key(b, "problem");
	json_str(b, o->problem.len ? buf_cstr(&o->problem) : NULL);
	buf_putc(b, '}');
}

/* audit_spf - "spf": the SPF step, when one ran */
static void audit_spf(struct buf *b, const struct audit_spf *s)
{
	const struct spf_check_result *d;

	if (s == NULL || s->n == 0)
		return;
	d = &s->checks[s->decisive < s->n ? s->decisive : 0];
	buf_printf(b, "\"spf\":{\"direction\":\"%s\",\"mode\":\"%s\",\"identity\":\"%s\",",
		   s->direction, s->mode, s->helo_identity ? "helo" : "mailfrom");
	json_key(b, "domain");
	json_str(b, buf_cstr(&d->out.domain));
	buf_puts(b, ",\"ip\":");
	json_str(b, d->ip_text);
	buf_printf(b, ",\"result\":\"%s\",\"cached\":%s,\"checks\":[",
		   spf_result_name(d->out.result), s->cached ? "true" : "false");
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		audit_spf_check(b, &s->checks[i]);
	}
	buf_append(b, BUF_LIT("]},"));
}

/* audit_message_dkim - "dkim": mode, result, one object per signature */
static void audit_message_dkim(struct buf *b, const struct audit_message *m)
{
	buf_printf(b, "\"dkim\":{\"mode\":\"%s\",\"result\":\"%s\",\"signatures\":[",
		   m->dkim_mode, m->dkim);
	for (size_t i = 0; i < m->n_sigs; i++) {
		const struct mc_dkim_sig *s = &m->sigs[i];

		buf_puts(b, i > 0 ? ",{" : "{");
		audit_opt(b, "d", s->domain);
		audit_opt(b, "s", s->selector);
		audit_opt(b, "a", s->algorithm);
		buf_printf(b, "\"result\":\"%s\",", mc_dkim_result_name(s->result));
		json_key(b, "reason");
		json_str(b, txn_has(s->reason) ? s->reason : NULL);
		buf_putc(b, '}');
	}
	buf_append(b, BUF_LIT("]},"));
}

/* audit_message - "message": the EOM message checks, when any ran */
static void audit_message(struct buf *b, const struct audit_message *m)
{
	if (m == NULL)
		return;
	buf_puts(b, "\"message\":{");
	if (m->dkim_mode != NULL)
		audit_message_dkim(b, m);
	if (m->spf_mode != NULL) {
		buf_printf(b, "\"spf\":{\"mode\":\"%s\",", m->spf_mode);
		audit_opt(b, "direction", m->spf_direction);
		audit_opt(b, "result", m->spf_result);
		audit_opt(b, "domain", m->spf_domain);
		audit_opt(b, "ip", m->spf_ip);
		buf_truncate(b, b->len - 1);
		buf_append(b, BUF_LIT("},"));
	}
	if (m->alignment_mode != NULL) {
		buf_printf(b, "\"alignment\":{\"mode\":\"%s\",", m->alignment_mode);
		audit_opt(b, "result", m->alignment);
		audit_opt(b, "finding", m->finding);
		audit_opt(b, "from_domain", m->from_domain);
		audit_opt(b, "how", m->how);
		audit_opt(b, "org_method", m->org_method);
		audit_opt(b, "org_domain", m->org_domain);
		audit_opt(b, "dmarc_record", m->dmarc_record);
		audit_opt(b, "policy", m->policy);
		audit_opt(b, "policy_tag", m->policy_tag);
		buf_printf(b, "\"testing\":%s,", m->testing ? "true" : "false");
		buf_truncate(b, b->len - 1);
		buf_append(b, BUF_LIT("},"));
	}
	buf_append(b, BUF_LIT("\"budget_ms\":"));
	buf_put_u64(b, m->budget_ms);
	buf_append(b, BUF_LIT(",\"elapsed_ms\":"));
	buf_put_u64(b, m->elapsed_ms);
	buf_append(b, BUF_LIT("},"));
}

/* audit_record - build the record; the layout is schema/audit-record.schema.json */
void audit_record(const struct audit_ctx *ctx, const struct rw_txn *t,
		  const struct rw_verdict *v, struct buf *out)
{
	buf_puts(out, "{\"v\":" AUDIT_SCHEMA_VERSION ",");
	audit_time(out, &ctx->now);
	json_key(out, "host");
	json_str(out, ctx->host);
	buf_append(out, BUF_LIT(",\"component\":\""));
	buf_puts(out, ctx->component);
	buf_append(out, BUF_LIT("\","));
	audit_opt(out, "id", v->id);
	audit_opt(out, "session", ctx->session);
	audit_opt(out, "instance", t->instance);
	audit_opt(out, "queue_id", t->queue_id);
	buf_append(out, BUF_LIT("\"stage\":\""));
	buf_puts(out, txn_stage_name(t->stage));
	buf_append(out, BUF_LIT("\",\"client\":{"));
	audit_opt(out, "address", t->client_address);
	audit_opt(out, "name", t->client_name);
	audit_opt(out, "reverse_name", t->reverse_client_name);
	buf_truncate(out, out->len - 1);
	buf_append(out, BUF_LIT("},"));
	audit_opt(out, "helo", t->helo_name);
	buf_puts(out, "\"listener\":{");
	audit_opt(out, "name", t->listener);
	json_key(out, "port");
	if (t->server_port)
		json_uint(out, t->server_port);
	else
		buf_puts(out, "null");
	buf_append(out, BUF_LIT("},"));
	audit_tls(out, t);
	buf_puts(out, "\"sasl\":{");
	audit_opt(out, "username", t->sasl_username);
	audit_opt(out, "method", t->sasl_method);
	buf_truncate(out, out->len - 1);
	buf_append(out, BUF_LIT("},"));
	json_key(out, "sender");
	json_str(out, t->sender);
	buf_putc(out, ',');
	json_key(out, "recipient");
	json_str(out, t->recipient);
	buf_append(out, BUF_LIT(",\"recipient_count\":"));
	json_uint(out, t->recipient_count);
	buf_append(out, BUF_LIT(",\"size\":"));
	json_uint(out, t->size);
	buf_putc(out, ',');
	audit_verdict(out, v, ctx->reply);
	audit_limits(out, ctx);
	audit_spf(out, ctx->spf);
	audit_message(out, ctx->message);
	json_key(out, "config_digest");
	json_str(out, ctx->config_digest);
	buf_putc(out, '}');
}

/* audit_count_lines - the records (newlines) in p[0..n) */
static unsigned long audit_count_lines(const char *p, size_t n)
{
	unsigned long lines = 0;

	for (const char *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		lines++;
	return lines;
}

/*
 * audit_append - write lines[0..n) to the file, after a newline when the
 * file ends inside a record, so a record cut short by a full disk or a
 * size limit stays a line of its own and never swallows the next one.
 * 0, or -1 (errno set) with the records that did not reach the file added
 * to a->lost.
 */
static int audit_append(struct audit *a, const char *lines, size_t n)
{
	struct iovec iov[2] = { { (void *)"\n", 1 }, { (void *)lines, n } };
	struct iovec *v = a->torn ? iov : iov + 1;
	int cnt = a->torn ? 2 : 1;
	size_t done = 0;	/* bytes of lines written */

	while (cnt > 0) {
		ssize_t w = writev(a->fd, v, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			a->lost += audit_count_lines(lines + done, n - done);
			errno = e;
			return -1;
		}
		for (size_t left = (size_t)w; left > 0 && cnt > 0;) {
			size_t take = left < v->iov_len ? left : v->iov_len;

			if (v != iov)
				done += take;
			v->iov_base = (char *)v->iov_base + take;
			v->iov_len -= take;
			left -= take;
			if (v->iov_len == 0) {
				v++;
				cnt--;
			}
		}
		a->torn = done > 0 && lines[done - 1] != '\n';
	}
	return 0;
}

/*
 * audit_put - write lines to every sink; checkpoints of them are signed
 * checkpoint lines, which the metrics do not count as records written
 */
static int audit_put(struct audit *a, const char *lines, size_t len, unsigned long checkpoints)
{
	int rc = 0;

	if (len == 0)
		return 0;
	if (a->fd >= 0) {
		unsigned long lost = a->lost, written;

		if (audit_append(a, lines, len) < 0 || (a->fsync && fsync(a->fd) < 0))
			rc = -1;
		lost = a->lost - lost;
		written = audit_count_lines(lines, len) - lost;
		metrics_audit(written > checkpoints ? written - checkpoints : 0, lost);
	}
	for (const char *p = lines, *end = lines + len; a->syslog && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		log_syslog(LOG_INFO, "audit: ", p, n);
		p += n + 1;
	}
	return rc;
}

/* audit_write_lines - append complete "\n"-terminated records to every sink */
int audit_write_lines(struct audit *a, const char *lines, size_t len)
{
	unsigned long checkpoints = a->cp_sealed;	/* audit_seal appended them */

	a->cp_sealed = 0;
	return audit_put(a, lines, len, checkpoints);
}

/* audit_failure - see audit.h */
int audit_failure(struct audit *a, unsigned long *lost)
{
	uint64_t now = now_mono_ms();

	if (now < a->quiet_until)
		return 0;
	a->quiet_until = now + AUDIT_FAILURE_LOG_MS;
	*lost = a->lost;
	a->lost = 0;
	return 1;
}

/*
 * audit_place - append the chain place of the line b[start..] (open: no
 * closing brace) and close it: ,"chain":{"id":..,"seq":N[,"prev":..]},
 * with a checkpoint its signature, with a mac key the mac; then the line
 * goes into the running hash
 */
static void audit_place(struct audit *a, struct buf *b, size_t start, int checkpoint)
{
	char mac[AUDIT_MAC_HEX + 1];

	buf_puts(b, ",\"chain\":{\"id\":");
	json_str(b, a->chain_id);
	buf_puts(b, ",\"seq\":");
	buf_put_u64(b, a->seq);
	if (a->mac != NULL) {
		buf_puts(b, ",\"prev\":\"");
		buf_puts(b, a->prev);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
	if (checkpoint)
		audit_sign_append(a->sign, b, start);
	if (a->mac != NULL) {
		audit_mac_hex(a->mac, b->data + start, b->len - start, mac);
		buf_puts(b, ",\"mac\":\"");
		buf_puts(b, mac);
		buf_putc(b, '"');
		memcpy(a->prev, mac, sizeof(mac));
	}
	buf_putc(b, '}');
	if (a->sign != NULL)
		audit_hash_step(&a->hash, b->data + start, b->len - start);
	a->seq++;
}

/* audit_seal - see audit.h */
void audit_seal(struct audit *a, struct buf *b, size_t start)
{
	const char *reason = NULL;

	if (a->chain_id == NULL)
		return;
	assert(b->len > start && b->data[start] == '{' && b->data[b->len - 1] == '}');
	buf_truncate(b, b->len - 1);
	audit_place(a, b, start, 0);
	if (a->sign == NULL)
		return;
	if (++a->since_cp >= a->cp_records)
		reason = "records";
	else if (now_mono_ms() >= a->cp_due)
		reason = "time";
	if (reason != NULL) {
		buf_putc(b, '\n');
		audit_checkpoint(a, b, reason);
		a->cp_sealed++;
	}
}

/*
 * audit_checkpoint - append a signed checkpoint line (no newline) over
 * every line sealed so far; also to the operational log when the records
 * do not go to syslog, so a copy leaves the host either way
 */
static void audit_checkpoint(struct audit *a, struct buf *b, const char *reason)
{
	static const char *const component_prefix = "relaywarden-";
	const char *component = program_invocation_short_name;
	struct buf now = BUF_INIT;
	struct timeval tv;
	size_t start = b->len;

	if (strncmp(component, component_prefix, strlen(component_prefix)) == 0)
		component += strlen(component_prefix);
	gettimeofday(&tv, NULL);
	audit_time(&now, &tv);	/* "time":"...", */
	buf_truncate(&now, now.len - 2);
	audit_checkpoint_head(&(struct audit_checkpoint){
				      .time = buf_cstr(&now) + strlen("\"time\":\""),
				      .host = a->host,
				      .component = component,
				      .reason = reason,
				      .hash = &a->hash,
			      },
			      a->sign, b);
	audit_place(a, b, start, 1);
	a->since_cp = 0;
	a->cp_due = now_mono_ms() + a->cp_ms;
	if (!a->syslog)
		log_info("event=audit_checkpoint %.*s", (int)(b->len - start), b->data + start);
	buf_release(&now);
}

/* audit_checkpoint_now - write a checkpoint at once (start, rotation, close) */
static void audit_checkpoint_now(struct audit *a, const char *reason)
{
	struct buf line = BUF_INIT;

	if (a->sign == NULL)
		return;
	audit_checkpoint(a, &line, reason);
	buf_putc(&line, '\n');
	if (audit_put(a, line.data, line.len, 1) < 0)
		log_err("event=audit_checkpoint_failed reason=%s error=\"%s\"", reason,
			strerror(errno));
	buf_release(&line);
}

/* audit_tick - see audit.h */
void audit_tick(struct audit *a)
{
	if (a->sign != NULL && a->since_cp > 0 && now_mono_ms() >= a->cp_due)
		audit_checkpoint_now(a, "time");
}

/* audit_sign_off - no more checkpoints: free the key and the hash */
static void audit_sign_off(struct audit *a)
{
	if (a->sign == NULL)
		return;
	audit_key_free(&a->sign);
	audit_hash_release(&a->hash);
}

/* audit_write - append one record to every sink */
int audit_write(struct audit *a, const struct buf *record)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_append(&line, record->data, record->len);
	audit_seal(a, &line, 0);
	buf_putc(&line, '\n');
	rc = audit_write_lines(a, line.data, line.len);
	buf_release(&line);
	return rc;
}
