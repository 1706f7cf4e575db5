/*
 * quota_write - `relaywarden quota set|unset|block|unblock|reset`: the
 * override hashes, block strings and state keys of schema/redis-keys.md,
 * every name from core/limits/limit_keys.h; see cli/quota.h.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/quota.h"
#include "core/limits/gcra.h"
#include "core/limits/limit_keys.h"
#include "core/util/mem.h"

/* the config's bound on burst x emission (relaywarden.conf `burst`) */
#define QUOTA_TOLERANCE_MAX UINT64_C(1000000000000000)

/* HSET the fields, then EXPIRE (ARGV[1] > 0) or PERSIST: one atomic call */
static const char quota_set_lua[] =
	"redis.call('HSET', KEYS[1], unpack(ARGV, 2))\n"
	"if tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
	"else redis.call('PERSIST', KEYS[1]) end\n"
	"return 1\n";

static const char *const quota_cap_fields[3] = { "cap_m", "cap_r", "cap_b" };
static const char *const quota_cap_opts[3] = { "messages", "recipients", "bytes" };

/* quota_check_of - the first check of limit l in the plan, or NULL */
static const struct limit_check *quota_check_of(const struct quota_target *t,
						const struct rw_limit *l)
{
	for (size_t i = 0; i < t->plan.n; i++)
		if (t->plan.v[i].limit == l)
			return &t->plan.v[i];
	return NULL;
}

/* quota_ovr_key - the override key of l: the identity's or the customer's */
static int quota_ovr_key(const struct rw_config *cfg, const struct quota_opts *o,
			 const struct quota_target *t, const struct rw_limit *l, struct buf *key)
{
	const struct limit_check *c;

	if (o->customer_wide) {
		limit_keys_override(t->customer, l->name, NULL, NULL, key);
		return 0;
	}
	if ((c = quota_check_of(t, l)) == NULL)
		return quota_no_checks(cfg, o, t);
	limit_keys_override(c->customer, l->name, c->dimension, c->identity, key);
	return 0;
}

/* quota_set_rate - emission_us and tolerance_us from --rate/--burst */
static int quota_set_rate(const struct quota_opts *o, const struct rw_limit *l,
			  struct strvec *argv)
{
	uint64_t em, tol, burst = o->burst ? o->burst : o->rate;

	if (l->kind != LIMIT_RATE)
		return quota_fail(QUOTA_EXIT_USAGE, "'%s' is a quota: use --messages, "
				  "--recipients or --bytes", l->name);
	if (gcra_params(o->rate, o->period_s, burst, &em, &tol) < 0 ||
	    tol > QUOTA_TOLERANCE_MAX)
		return quota_fail(QUOTA_EXIT_USAGE, "burst x period / rate is above 10^15 "
				  "microseconds");
	strvec_add(argv, "emission_us");
	strvec_addf(argv, "%llu", (unsigned long long)em);
	strvec_add(argv, "tolerance_us");
	strvec_addf(argv, "%llu", (unsigned long long)tol);
	return 0;
}

/* quota_set_caps - cap_m, cap_r, cap_b: only counters the config caps are checked */
static int quota_set_caps(const struct quota_opts *o, const struct rw_limit *l,
			  struct strvec *argv)
{
	const uint64_t conf[3] = { l->max_messages, l->max_recipients, l->max_bytes };

	if (l->kind != LIMIT_QUOTA)
		return quota_fail(QUOTA_EXIT_USAGE, "'%s' is a rate limit: use --rate", l->name);
	for (int i = 0; i < 3; i++) {
		if (!o->have_cap[i])
			continue;
		if (conf[i] == 0)
			return quota_fail(QUOTA_EXIT_USAGE, "quota '%s' does not count %s in the "
					  "config: an override can only change a configured cap",
					  l->name, quota_cap_opts[i]);
		strvec_add(argv, quota_cap_fields[i]);
		strvec_addf(argv, "%llu", (unsigned long long)o->cap[i]);
	}
	return 0;
}

/* quota_set_write - the one atomic HSET + EXPIRE/PERSIST */
static int quota_set_write(struct quota_conn *c, struct strvec *argv)
{
	struct redis_script script;
	redisReply *r = NULL;
	enum redis_status st;
	int rc = 0;

	redis_script_init(&script, quota_set_lua, sizeof(quota_set_lua) - 1);
	st = redis_sync_evalsha(c->redis, &script, 1, (int)argv->n, (const char **)argv->v,
				NULL, &r);
	if (st != REDIS_ST_OK)
		rc = quota_fail(QUOTA_EXIT_REDIS, "%s: EVALSHA %s: %s", c->where,
				redis_status_name(st), st == REDIS_ST_ERROR && r ? r->str
				: redis_sync_error(c->redis));
	if (r != NULL)
		freeReplyObject(r);
	redis_script_release(&script);
	return rc;
}

/* quota_print_expiry - " (expires in N s)" or " (permanent)" */
static void quota_print_expiry(int64_t secs)
{
	if (secs > 0)
		printf(" (expires in %llds)\n", (long long)secs);
	else
		printf(" (permanent)\n");
}

/* quota_set - see quota.h */
int quota_set(const struct rw_config *cfg, const struct quota_opts *o, struct quota_target *t,
	      struct quota_conn *c)
{
	const struct rw_limit *l = quota_find_limit(cfg->policy, o->limit);
	struct strvec argv = STRVEC_INIT;
	struct buf key = BUF_INIT;
	int rc;

	if ((rc = quota_ovr_key(cfg, o, t, l, &key)) == 0) {
		strvec_add(&argv, buf_cstr(&key));
		strvec_addf(&argv, "%lld", (long long)o->expire_s);
		rc = o->have_rate ? quota_set_rate(o, l, &argv) : quota_set_caps(o, l, &argv);
	}
	if (rc == 0) {
		strvec_add(&argv, "set_at");
		strvec_addf(&argv, "%lld", (long long)time(NULL));
		rc = quota_set_write(c, &argv);
	}
	if (rc == 0) {
		printf("override set: %s", buf_cstr(&key));
		for (size_t i = 2; i + 1 < argv.n; i += 2)
			printf(" %s=%s", argv.v[i], argv.v[i + 1]);
		quota_print_expiry(o->expire_s);
	}
	strvec_release(&argv);
	buf_release(&key);
	return rc;
}

/* quota_del - DEL key; *deleted counts what existed */
static int quota_del(struct quota_conn *c, const char *key, long long *deleted)
{
	const char *argv[2] = { "DEL", key };
	redisReply *r = quota_cmd(c, 2, argv);

	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	if (r->type == REDIS_REPLY_INTEGER)
		*deleted += r->integer;
	freeReplyObject(r);
	return 0;
}

/* quota_unset - see quota.h */
int quota_unset(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c)
{
	const struct rw_limit *l = quota_find_limit(cfg->policy, o->limit);
	struct buf key = BUF_INIT;
	long long n = 0;
	int rc = quota_ovr_key(cfg, o, t, l, &key);

	if (rc == 0 && (rc = quota_del(c, buf_cstr(&key), &n)) == 0)
		printf("%s: %s\n", n ? "override deleted" : "no override", buf_cstr(&key));
	buf_release(&key);
	return rc;
}

/* quota_add_unique - append s unless already there */
static void quota_add_unique(struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return;
	strvec_add(v, s);
}

/* quota_block_keys - the customer's block key, or one per dimension of the plan */
static int quota_block_keys(const struct rw_config *cfg, const struct quota_opts *o,
			    const struct quota_target *t, struct strvec *keys)
{
	struct buf key = BUF_INIT;
	int wide = o->customer_wide || o->id == QID_CUSTOMER;

	if (wide) {
		limit_keys_block(t->customer, NULL, NULL, &key);
		strvec_add(keys, buf_cstr(&key));
	}
	for (size_t i = 0; i < t->plan.n && (!wide || o->action == QUOTA_UNBLOCK); i++) {
		const struct limit_check *ck = &t->plan.v[i];

		buf_truncate(&key, 0);
		limit_keys_block(ck->customer, ck->dimension, ck->identity, &key);
		quota_add_unique(keys, buf_cstr(&key));
	}
	buf_release(&key);
	return keys->n > 0 ? 0 : quota_no_checks(cfg, o, t);
}

/* quota_block - see quota.h */
int quota_block(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c)
{
	struct strvec keys = STRVEC_INIT, ex = STRVEC_INIT;
	int rc = quota_block_keys(cfg, o, t, &keys);

	if (o->expire_s > 0)
		strvec_addf(&ex, "%lld", (long long)o->expire_s);
	for (size_t i = 0; rc == 0 && i < keys.n; i++) {
		const char *argv[5] = { "SET", keys.v[i], o->reason, "EX", ex.n ? ex.v[0] : NULL };

		if ((rc = quota_cmd_ok(c, ex.n ? 5 : 3, argv)) == 0) {
			printf("blocked: %s", keys.v[i]);
			quota_print_expiry(o->expire_s);
		}
	}
	if (rc == 0 && strcmp(t->customer, "-") == 0 && (o->customer_wide || o->id == QID_CUSTOMER))
		printf("note: customer '-' is every identity that maps to no customer\n");
	strvec_release(&keys);
	strvec_release(&ex);
	return rc;
}

/* quota_unblock - see quota.h */
int quota_unblock(const struct rw_config *cfg, const struct quota_opts *o,
		  struct quota_target *t, struct quota_conn *c)
{
	struct strvec keys = STRVEC_INIT;
	int rc = quota_block_keys(cfg, o, t, &keys);

	for (size_t i = 0; rc == 0 && i < keys.n; i++) {
		long long n = 0;

		if ((rc = quota_del(c, keys.v[i], &n)) == 0)
			printf("%s: %s\n", n ? "unblocked" : "not blocked", keys.v[i]);
	}
	strvec_release(&keys);
	return rc;
}

/* quota_reset - see quota.h */
int quota_reset(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c)
{
	struct strvec keys = STRVEC_INIT;
	struct buf key = BUF_INIT;
	int rc = 0;

	if (t->plan.n == 0)
		return quota_no_checks(cfg, o, t);
	for (size_t i = 0; i < t->plan.n; i++) {
		buf_truncate(&key, 0);
		limit_keys_state(&t->plan.v[i], &key);
		quota_add_unique(&keys, buf_cstr(&key));
	}
	for (size_t i = 0; rc == 0 && i < keys.n; i++) {
		long long n = 0;

		if ((rc = quota_del(c, keys.v[i], &n)) == 0)
			printf("%s: %s\n", n ? "reset" : "already empty", keys.v[i]);
	}
	strvec_release(&keys);
	buf_release(&key);
	return rc;
}
