/* limit_store - limits.lua marshalling and reply parsing; see limit_store.h */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "core/util/buf.h"
#include "core/limits/limit_keys.h"
#include "core/limits/limit_store.h"
#include "core/limits/limits.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/redis/redis.h"
#include "core/util/strvec.h"

/* limit_store_script_sha - SHA1 of the embedded script, as EVALSHA wants it */
void limit_store_script_sha(char sha[LIMIT_STORE_SHA_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memset(sha, '0', LIMIT_STORE_SHA_HEX);
	sha[LIMIT_STORE_SHA_HEX] = '\0';
	if (!EVP_Digest(limit_store_lua, limit_store_lua_len, md, &mdlen, EVP_sha1(), NULL) ||
	    mdlen * 2 != LIMIT_STORE_SHA_HEX)
		return;		/* EVALSHA of zeros: NOSCRIPT, then EVAL works */
	for (unsigned i = 0; i < mdlen; i++) {
		sha[2 * i] = hex[md[i] >> 4];
		sha[2 * i + 1] = hex[md[i] & 15];
	}
}

/* limit_store_field - the one-letter unit, NULL when unknown */
static const char *limit_store_field(enum limit_unit u)
{
	switch (u) {
	case UNIT_MESSAGES:
		return "m";
	case UNIT_RECIPIENTS:
		return "r";
	case UNIT_BYTES:
		return "b";
	}
	return NULL;
}

/*
 * The marshalling writes each KEY and ARGV through an emitter, so that the
 * same code fills the strvecs (limit_store_marshal: relaywarden quota,
 * tests) and the RESP command (limit_store_resp: policyd's hot path and
 * limit_sync, the milter's and explain --live's).
 */
typedef void limit_store_emit(void *ctx, const char *s, size_t n);

/* limit_store_emit_strvec - append to the strvec ctx */
static void limit_store_emit_strvec(void *ctx, const char *s, size_t n)
{
	(void)n;	/* keys and numbers hold no NUL */
	strvec_add(ctx, s);
}

/* limit_store_emit_resp - append a RESP bulk string to the buf ctx */
static void limit_store_emit_resp(void *ctx, const char *s, size_t n)
{
	redis_resp_bulk(ctx, s, n);
}

/* limit_store_key - emit the key built in b, then empty b */
static void limit_store_key(limit_store_emit *emit, void *ctx, struct buf *b)
{
	emit(ctx, buf_cstr(b), b->len);
	buf_truncate(b, 0);
}

/* limit_store_keys - the 5 KEYS of one check */
static void limit_store_keys(const struct limit_check *c, limit_store_emit *emit, void *ctx,
			     struct buf *b)
{
	const char *name = c->limit->name;

	limit_keys_state(c, b);
	limit_store_key(emit, ctx, b);
	limit_keys_override(c->customer, name, c->dimension, c->identity ? c->identity : "", b);
	limit_store_key(emit, ctx, b);
	limit_keys_override(c->customer, name, NULL, NULL, b);
	limit_store_key(emit, ctx, b);
	limit_keys_block(c->customer, c->dimension, c->identity ? c->identity : "", b);
	limit_store_key(emit, ctx, b);
	limit_keys_block(c->customer, NULL, NULL, b);
	limit_store_key(emit, ctx, b);
}

/* limit_store_str - emit a constant string */
static void limit_store_str(limit_store_emit *emit, void *ctx, const char *s)
{
	emit(ctx, s, strlen(s));
}

/* limit_store_num - emit v in decimal (no printf on the decision path) */
static void limit_store_num(limit_store_emit *emit, void *ctx, uint64_t v)
{
	char d[BUF_U64_SIZE];

	limit_store_str(emit, ctx, buf_u64_text(v, d));
}

/* limit_store_args - the 6 ARGV of one check */
static void limit_store_args(const struct limit_check *c, limit_store_emit *emit, void *ctx)
{
	int quota = c->limit->kind == LIMIT_QUOTA;

	limit_store_str(emit, ctx, quota ? "quota" : "rate");
	limit_store_str(emit, ctx, c->limit->mode == MODE_SHADOW ? "s" : "e");
	if (quota) {
		limit_store_num(emit, ctx, c->cap);
		limit_store_num(emit, ctx, c->window_end > 0 ? (uint64_t)c->window_end : 0);
	} else {
		limit_store_num(emit, ctx, c->emission_us);
		limit_store_num(emit, ctx, c->tolerance_us);
	}
	limit_store_num(emit, ctx, c->cost);
	limit_store_str(emit, ctx, limit_store_field(c->unit));
}

/* limit_store_check_plan - 0, or -1 when a check is malformed */
static int limit_store_check_plan(const struct limit_plan *plan, const char **error_r)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct limit_check *c = &plan->v[i];

		if (c->limit == NULL || c->limit->name == NULL || c->dimension == NULL) {
			*error_r = "limit check without limit, name or dimension";
			return -1;
		}
		if (c->limit->kind != LIMIT_RATE && c->limit->kind != LIMIT_QUOTA) {
			*error_r = "limit check of unknown kind";
			return -1;
		}
		if (limit_store_field(c->unit) == NULL) {
			*error_r = "limit check of unknown unit";
			return -1;
		}
	}
	return 0;
}

/* limit_store_emit_keys, limit_store_emit_args - every KEY, every ARGV of plan */
static void limit_store_emit_keys(const struct limit_plan *plan, limit_store_emit *emit,
				  void *ctx)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < plan->n; i++)
		limit_store_keys(&plan->v[i], emit, ctx, &b);
	buf_release(&b);
}

static void limit_store_emit_args(const struct limit_plan *plan, limit_store_emit *emit,
				  void *ctx)
{
	limit_store_str(emit, ctx, LIMIT_STORE_PROTO);
	limit_store_str(emit, ctx, plan->charge ? "charge" : "peek");
	limit_store_num(emit, ctx, LIMIT_STORE_QUOTA_MARGIN_S);
	limit_store_num(emit, ctx, plan->charge ? plan->deadline_us : 0);
	for (size_t i = 0; i < plan->n; i++)
		limit_store_args(&plan->v[i], emit, ctx);
}

/* limit_store_marshal - KEYS and ARGV of plan; see limit_store.h */
int limit_store_marshal(const struct limit_plan *plan, struct strvec *keys,
			struct strvec *args, const char **error_r)
{
	if (limit_store_check_plan(plan, error_r) < 0)
		return -1;
	limit_store_emit_keys(plan, limit_store_emit_strvec, keys);
	limit_store_emit_args(plan, limit_store_emit_strvec, args);
	return 0;
}

/* limit_store_resp - the whole EVALSHA in RESP; see limit_store.h */
int limit_store_resp(const struct limit_plan *plan, const char *sha, struct buf *out,
		     const char **error_r)
{
	size_t nkeys = plan->n * LIMIT_STORE_KEYS_PER_CHECK;
	size_t nargs = LIMIT_STORE_ARGS_HEAD + plan->n * LIMIT_STORE_ARGS_PER_CHECK;

	if (limit_store_check_plan(plan, error_r) < 0)
		return -1;
	buf_grow(out, 512 * (plan->n + 1));	/* a check takes 400 bytes or so: one allocation */
	redis_resp_evalsha(out, sha, nkeys, nkeys + nargs);
	limit_store_emit_keys(plan, limit_store_emit_resp, out);
	limit_store_emit_args(plan, limit_store_emit_resp, out);
	return 0;
}

/* limit_store_command - EVALSHA sha numkeys KEYS ARGV */
void limit_store_command(const char *sha, const struct strvec *keys,
			 const struct strvec *args, struct strvec *cmd)
{
	if (sha != NULL) {
		strvec_add(cmd, "EVALSHA");
		strvec_add(cmd, sha);
		strvec_addf(cmd, "%zu", keys->n);
	}
	for (size_t i = 0; i < keys->n; i++)
		strvec_add(cmd, keys->v[i]);
	for (size_t i = 0; i < args->n; i++)
		strvec_add(cmd, args->v[i]);
}

/* limit_store_prefix - the error reply starts with word */
static int limit_store_prefix(const redisReply *r, const char *word)
{
	size_t n = strlen(word);

	return r->str != NULL && r->len >= n && memcmp(r->str, word, n) == 0;
}

/* limit_store_error - classify an error reply */
static enum limit_store_rc limit_store_error(const redisReply *r, const char **error_r)
{
	if (limit_store_prefix(r, "NOSCRIPT")) {
		*error_r = "store: script not loaded (NOSCRIPT)";
		return LIMIT_STORE_NOSCRIPT;
	}
	if (limit_store_prefix(r, "READONLY"))
		*error_r = "store: server is a read-only replica (READONLY)";
	else if (limit_store_prefix(r, "RWPROTO") || strstr(r->str ? r->str : "", "RWPROTO"))
		*error_r = "store: script speaks another protocol version";
	else if (strstr(r->str ? r->str : "", "RWARGS"))
		*error_r = "store: script refused its arguments";
	else if (strstr(r->str ? r->str : "", "RWLATE"))
		*error_r = "store: charge arrived after its deadline, nothing charged";
	else
		*error_r = "store: error reply";
	return LIMIT_STORE_FAIL;
}

/* limit_store_int - element is an integer in [lo, hi] */
static int limit_store_int(const redisReply *e, long long lo, long long hi, long long *v)
{
	if (e == NULL || e->type != REDIS_REPLY_INTEGER || e->integer < lo || e->integer > hi)
		return -1;
	*v = e->integer;
	return 0;
}

/* limit_store_row - one check's 6 elements into r */
static int limit_store_row(redisReply **e, struct limit_result *r)
{
	long long ok, never, blocked, remaining, retry;

	if (limit_store_int(e[0], 0, 1, &ok) < 0 || limit_store_int(e[1], 0, 1, &never) < 0 ||
	    limit_store_int(e[2], 0, 1, &blocked) < 0 ||
	    limit_store_int(e[4], 0, INT64_MAX, &remaining) < 0 ||
	    limit_store_int(e[5], 0, INT64_MAX, &retry) < 0 || e[3] == NULL)
		return -1;
	if (blocked ? e[3]->type != REDIS_REPLY_STRING : e[3]->type != REDIS_REPLY_NIL)
		return -1;
	if (blocked && ok)
		return -1;
	r->ok = (int)ok;
	r->never_fits = (int)never;
	r->blocked = (int)blocked;
	r->reason = blocked ? rw_strndup(e[3]->str, e[3]->len) : NULL;
	r->remaining = (uint64_t)remaining;
	r->retry_after_ms = (uint64_t)retry;
	return 0;
}

/* limit_store_clear - free reasons of results[0..n) and zero them */
static void limit_store_clear(struct limit_result *results, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(results[i].reason);
		memset(&results[i], 0, sizeof(results[i]));
	}
}

/* limit_store_parse - strict reply parsing; see limit_store.h */
enum limit_store_rc limit_store_parse(const redisReply *reply, const struct limit_plan *plan,
				      struct limit_result *results, int *committed,
				      const char **error_r)
{
	long long version, commit;

	memset(results, 0, plan->n * sizeof(*results));
	if (reply == NULL) {
		*error_r = "store: no reply";
		return LIMIT_STORE_FAIL;
	}
	if (reply->type == REDIS_REPLY_ERROR)
		return limit_store_error(reply, error_r);
	if (reply->type != REDIS_REPLY_ARRAY || reply->element == NULL ||
	    reply->elements != LIMIT_STORE_REPLY_HEAD + LIMIT_STORE_REPLY_PER_CHECK * plan->n) {
		*error_r = "store: reply is not an array of the plan's size";
		return LIMIT_STORE_FAIL;
	}
	if (limit_store_int(reply->element[0], 1, 1, &version) < 0 ||
	    limit_store_int(reply->element[1], 0, 1, &commit) < 0) {
		*error_r = "store: reply header is not protocol 1";
		return LIMIT_STORE_FAIL;
	}
	for (size_t i = 0; i < plan->n; i++) {
		redisReply **row = reply->element + LIMIT_STORE_REPLY_HEAD +
				   LIMIT_STORE_REPLY_PER_CHECK * i;

		if (limit_store_row(row, &results[i]) < 0) {
			limit_store_clear(results, i);
			*error_r = "store: malformed result in reply";
			return LIMIT_STORE_FAIL;
		}
	}
	if (committed != NULL)
		*committed = (int)commit;
	return LIMIT_STORE_OK;
}

/* limit_store_bulk - the RESP bulk string at *off of cmd: its text; *off moves past it */
static int limit_store_bulk(const char *cmd, size_t len, size_t *off, const char **s, size_t *n)
{
	size_t i = *off, v = 0;

	if (i >= len || cmd[i++] != '$')
		return -1;
	for (; i < len && cmd[i] >= '0' && cmd[i] <= '9' && v < len; i++)
		v = v * 10 + (size_t)(cmd[i] - '0');
	if (i + 2 > len || cmd[i] != '\r' || cmd[i + 1] != '\n' || v > len - i - 2 ||
	    len - i - 2 - v < 2 || cmd[i + 2 + v] != '\r' || cmd[i + 3 + v] != '\n')
		return -1;
	*s = cmd + i + 2;
	*n = v;
	*off = i + 4 + v;
	return 0;
}

/* limit_store_skip - past count bulks at *off; the text of the last */
static int limit_store_skip(const char *cmd, size_t len, size_t *off, size_t count,
			    const char **s, size_t *n)
{
	for (size_t i = 0; i < count; i++)
		if (limit_store_bulk(cmd, len, off, s, n) < 0)
			return -1;
	return 0;
}

/* limit_store_charged - the mask of checks a committed charge's reply charged; 0 when none */
static int limit_store_charged(const redisReply *reply, size_t n, struct buf *mask)
{
	int any = 0;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != LIMIT_STORE_REPLY_HEAD + LIMIT_STORE_REPLY_PER_CHECK * n)
		return -1;
	for (size_t i = 0; i < reply->elements; i++)
		if (reply->element[i] == NULL)
			return -1;
	if (reply->element[1]->type != REDIS_REPLY_INTEGER || reply->element[1]->integer != 1)
		return 0;	/* not committed: nothing was charged */
	for (size_t i = 0; i < n; i++) {
		const redisReply *ok =
			reply->element[LIMIT_STORE_REPLY_HEAD + LIMIT_STORE_REPLY_PER_CHECK * i];
		int charged = ok->type == REDIS_REPLY_INTEGER && ok->integer == 1;

		buf_putc(mask, charged ? '1' : '0');
		any |= charged;
	}
	return any;
}

/* limit_store_refund - see limit_store.h */
int limit_store_refund(const redisReply *reply, const char *cmd, size_t len, struct buf *out)
{
	struct buf mask = BUF_INIT;
	size_t off, mode_at, nkeys, n;
	const char *s, *margin;
	size_t sn, margin_n;
	int rc;

	/* *N, EVALSHA, sha, nkeys, KEYS..., proto, (mode, margin, deadline), checks... */
	s = len > 0 && cmd[0] == '*' ? memchr(cmd, '\n', len) : NULL;
	if (s == NULL)
		return -1;
	off = (size_t)(s - cmd) + 1;
	if (limit_store_skip(cmd, len, &off, 3, &s, &sn) < 0 ||
	    sn == 0 || sn > 9 || strspn(s, "0123456789") < sn)
		return -1;
	nkeys = (size_t)strtoul(s, NULL, 10);
	n = nkeys / LIMIT_STORE_KEYS_PER_CHECK;
	if (n * LIMIT_STORE_KEYS_PER_CHECK != nkeys ||
	    limit_store_skip(cmd, len, &off, nkeys + 1, &s, &sn) < 0)
		return -1;
	mode_at = off;
	if (limit_store_bulk(cmd, len, &off, &s, &sn) < 0 || sn != 6 || memcmp(s, "charge", 6) != 0 ||
	    limit_store_bulk(cmd, len, &off, &margin, &margin_n) < 0 ||
	    limit_store_bulk(cmd, len, &off, &s, &sn) < 0)
		return -1;
	rc = limit_store_charged(reply, n, &mask);
	if (rc > 0) {
		buf_append(out, cmd, mode_at);
		redis_resp_bulk(out, "refund", 6);
		redis_resp_bulk(out, margin, margin_n);
		redis_resp_bulk(out, mask.data, mask.len);
		buf_append(out, cmd + off, len - off);
	}
	buf_release(&mask);
	return rc;
}

/* limit_store_time_part - one decimal element of a TIME reply */
static int limit_store_time_part(const redisReply *e, uint64_t max, uint64_t *v)
{
	char *end;

	if (e == NULL || e->type != REDIS_REPLY_STRING || e->len < 1 || e->len > 19 ||
	    e->str[0] < '0' || e->str[0] > '9')
		return -1;
	*v = strtoull(e->str, &end, 10);
	return *end == '\0' && *v <= max ? 0 : -1;
}

/* limit_store_time - see limit_store.h */
int limit_store_time(const redisReply *reply, uint64_t *us)
{
	uint64_t s, u;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    limit_store_time_part(reply->element[0], UINT64_MAX / 1000000u - 1, &s) < 0 ||
	    limit_store_time_part(reply->element[1], 999999, &u) < 0)
		return -1;
	*us = s * 1000000u + u;
	return 0;
}

/* limit_store_log_note - see limit_store.h */
void limit_store_log_note(void *arg, enum limit_note_level level, const char *line)
{
	static const enum log_level lv[] = { LOG_L_WARN, LOG_L_INFO, LOG_L_DEBUG };

	(void)arg;
	log_msg(lv[level], "%s", line);
}
