/*
 * quota_read - what `relaywarden quota show` reads for each check: the
 * script's peek (the daemons' own arithmetic: ok, remaining, retry-after,
 * block), the state behind it (GCRA TAT, the window's counter), overrides
 * and blocks with their TTLs, and the effective parameters; see
 * cli/quota_show.h.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "cli/quota_show.h"
#include "core/limits/limit_store.h"
#include "core/util/mem.h"

static const char *const quota_ovr_fields[QF_N] = {
	[QF_EMISSION] = "emission_us", [QF_TOLERANCE] = "tolerance_us",
	[QF_CAP_M] = "cap_m", [QF_CAP_R] = "cap_r", [QF_CAP_B] = "cap_b",
};

/* quota_ovr_field_name - the override hash field of f */
const char *quota_ovr_field_name(enum quota_field f)
{
	return quota_ovr_fields[f];
}

/* quota_lua_number - tonumber(s) as the script reads a field; -1 when it ignores it */
static double quota_lua_number(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end != '\0' || !(v >= 0))
		return -1;
	return v < 9007199254740992.0 ? (double)(uint64_t)v : 9007199254740992.0;
}

/* quota_read_ttl - PTTL: -1 no expiry, -2 no key */
static int quota_read_ttl(struct quota_conn *c, const char *key, long long *ttl)
{
	const char *argv[2] = { "PTTL", key };
	redisReply *r = quota_cmd(c, 2, argv);

	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	*ttl = r->type == REDIS_REPLY_INTEGER ? r->integer : -2;
	freeReplyObject(r);
	return 0;
}

/* quota_read_hash - an override hash: its numeric fields and TTL */
int quota_read_hash(struct quota_conn *c, const char *key, struct quota_hash *h)
{
	const char *argv[2] = { "HGETALL", key };
	redisReply *r = quota_cmd(c, 2, argv);

	memset(h, 0, sizeof(*h));
	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		redisReply *k = r->element[i], *v = r->element[i + 1];

		h->exists = 1;
		for (int f = 0; f < QF_N && k->type == REDIS_REPLY_STRING; f++) {
			if (strcmp(k->str, quota_ovr_fields[f]) == 0 &&
			    v->type == REDIS_REPLY_STRING &&
			    (h->v[f] = quota_lua_number(v->str)) >= 0)
				h->has[f] = 1;
		}
	}
	freeReplyObject(r);
	return h->exists ? quota_read_ttl(c, key, &h->ttl_ms) : 0;
}

/* quota_read_block - a block key: its reason and TTL */
int quota_read_block(struct quota_conn *c, const char *key, struct quota_blockinfo *b)
{
	const char *argv[2] = { "GET", key };
	redisReply *r = quota_cmd(c, 2, argv);

	memset(b, 0, sizeof(*b));
	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	if (r->type == REDIS_REPLY_STRING) {
		b->exists = 1;
		b->reason = rw_strndup(r->str, r->len);
	}
	freeReplyObject(r);
	return b->exists ? quota_read_ttl(c, key, &b->ttl_ms) : 0;
}

/* quota_read_now - Redis TIME in microseconds (the script's clock) */
static int quota_read_now(struct quota_conn *c, uint64_t *now_us)
{
	const char *argv[1] = { "TIME" };
	redisReply *r = quota_cmd(c, 1, argv);
	int ok;

	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	     r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING;
	if (ok)
		*now_us = strtoull(r->element[0]->str, NULL, 10) * 1000000u +
			  strtoull(r->element[1]->str, NULL, 10);
	freeReplyObject(r);
	return ok ? 0 : quota_fail(QUOTA_EXIT_REDIS, "%s: TIME: unexpected reply", c->where);
}

/* quota_read_peek - the limits script with charge 0: nothing is written */
static int quota_read_peek(struct quota_conn *c, struct quota_target *t,
			   struct limit_result *res)
{
	struct strvec cmd = STRVEC_INIT;
	struct redis_script script;
	redisReply *r = NULL;
	const char *err = "no reply";
	enum redis_status st;
	int rc = 0;

	redis_script_init(&script, limit_store_lua, limit_store_lua_len);
	limit_store_command(NULL, &t->keys, &t->args, &cmd);
	st = redis_sync_evalsha(c->redis, &script, (int)t->keys.n, (int)cmd.n,
				(const char **)cmd.v, NULL, &r);
	if (st != REDIS_ST_OK && st != REDIS_ST_ERROR)
		rc = quota_fail(QUOTA_EXIT_REDIS, "%s: EVALSHA %s: %s", c->where,
				redis_status_name(st), redis_sync_error(c->redis));
	else if (limit_store_parse(r, &t->plan, res, NULL, &err) != LIMIT_STORE_OK)
		rc = quota_fail(QUOTA_EXIT_REDIS, "%s: limits script: %s%s%s", c->where, err,
				r && r->type == REDIS_REPLY_ERROR ? ": " : "",
				r && r->type == REDIS_REPLY_ERROR ? r->str : "");
	if (r != NULL)
		freeReplyObject(r);
	strvec_release(&cmd);
	redis_script_release(&script);
	return rc;
}

/* quota_read_state - the TAT (rate) or the window's counter (quota) */
static int quota_read_state(struct quota_conn *c, struct quota_row *w)
{
	static const char *const fields[] = {
		[UNIT_MESSAGES] = "m", [UNIT_RECIPIENTS] = "r", [UNIT_BYTES] = "b",
	};
	int rate = w->c->limit->kind == LIMIT_RATE;
	const char *argv[3] = { rate ? "GET" : "HGET", w->keys[0], fields[w->c->unit] };
	redisReply *r = quota_cmd(c, rate ? 2 : 3, argv);

	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	w->state = r->type == REDIS_REPLY_STRING ? strtoull(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	return 0;
}

/* quota_pick - the identity's field, else the customer's, else the config's */
static uint64_t quota_pick(const struct quota_row *w, enum quota_field f, uint64_t dflt,
			   const char **from)
{
	for (int i = 0; i < 2; i++) {
		if (w->ovr[i].has[f]) {
			if (*from == NULL || i == 0)
				*from = i == 0 ? "identity" : "customer";
			return w->ovr[i].v[f] >= 9007199254740992.0 ? UINT64_C(9007199254740992)
								    : (uint64_t)w->ovr[i].v[f];
		}
	}
	return dflt;
}

/* quota_effective - the parameters the script uses, and the units used */
static void quota_effective(struct quota_row *w, uint64_t now_us)
{
	const struct limit_check *k = w->c;

	w->from = NULL;
	if (k->limit->kind == LIMIT_RATE) {
		w->em = quota_pick(w, QF_EMISSION, k->emission_us, &w->from);
		w->tol = quota_pick(w, QF_TOLERANCE, k->tolerance_us, &w->from);
		w->used = w->state > now_us && w->em > 0
			  ? (w->state - now_us + w->em - 1) / w->em : 0;
		return;
	}
	w->cap = quota_pick(w, QF_CAP_M + (k->unit - UNIT_MESSAGES), k->cap, &w->from);
	w->used = w->state;
}

/* quota_remaining - units that fit now: the peek asked for one more unit
 * and reports what is left after it when it fits, before it when not (a
 * block hides which: a refused check always has a retry-after) */
static void quota_remaining(struct quota_row *w)
{
	const struct limit_result *r = &w->res;
	int fitted = r->ok || (r->blocked && r->retry_after_ms == 0);

	w->remaining = r->remaining;
	if (fitted && r->remaining < UINT64_C(9007199254740992))
		w->remaining++;
}

/* quota_read_row - everything show prints about one check */
static int quota_read_row(struct quota_conn *c, struct quota_row *w, uint64_t now_us)
{
	int rc;

	if ((rc = quota_read_state(c, w)) != 0 ||
	    (rc = quota_read_hash(c, w->keys[1], &w->ovr[0])) != 0 ||
	    (rc = quota_read_hash(c, w->keys[2], &w->ovr[1])) != 0 ||
	    (rc = quota_read_block(c, w->keys[3], &w->blk[0])) != 0 ||
	    (rc = quota_read_block(c, w->keys[4], &w->blk[1])) != 0)
		return rc;
	quota_effective(w, now_us);
	quota_remaining(w);
	return 0;
}

/* quota_read_all - rows[i] for plan check i */
int quota_read_all(struct quota_conn *c, struct quota_target *t, struct quota_row *rows,
		   uint64_t *now_us)
{
	struct limit_result *res = rw_calloc(t->plan.n, sizeof(*res));
	int rc = quota_read_now(c, now_us);

	if (rc == 0)
		rc = quota_read_peek(c, t, res);
	for (size_t i = 0; i < t->plan.n; i++) {
		rows[i].c = &t->plan.v[i];
		rows[i].keys = &t->keys.v[LIMIT_STORE_KEYS_PER_CHECK * i];
		rows[i].res = res[i];
		if (rc == 0)
			rc = quota_read_row(c, &rows[i], *now_us);
	}
	free(res);
	return rc;
}

/* quota_rows_release - the reasons the rows own */
void quota_rows_release(struct quota_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		limit_result_release(&rows[i].res);
		free(rows[i].blk[0].reason);
		free(rows[i].blk[1].reason);
	}
}
