/*
 * quota - internals of `relaywarden quota` (cli/cmd_quota.c and
 * cli/quota_*.c); the command's contract is the comment in cmd_quota.c and
 * the QUOTA section of relaywarden(1).
 *
 * A target is one identity named on the command line turned into what the
 * daemons would see: a synthetic transaction carrying only that identity,
 * the customer it maps to, and the limit plan (limits_plan, a peek) cut
 * down to the checks whose dimension the option names. Every key comes
 * from core/limits/limit_keys.h (through limit_store_marshal for the plan).
 *
 * Ownership: struct quota_target owns its plan and strings
 * (quota_target_release); struct quota_conn owns the Redis client.
 * Errors are printed on stderr as "relaywarden: quota: ..." by the
 * function that detects them; functions return the exit status to use
 * (QUOTA_EXIT_*) or 0. Not thread-safe.
 */
#ifndef RW_CLI_QUOTA_H
#define RW_CLI_QUOTA_H

#include <stdint.h>

#include <hiredis/hiredis.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"
#include "core/redis/redis.h"
#include "core/util/strvec.h"
#include "core/engine/txn.h"

#define QUOTA_EXIT_OK 0
#define QUOTA_EXIT_REDIS 1
#define QUOTA_EXIT_USAGE 2

/* the CLI waits at least this long for Redis (the daemons' 50 ms is for them) */
#define QUOTA_MIN_TIMEOUT_MS 1000

enum quota_action {
	QUOTA_SHOW = 1, QUOTA_SET, QUOTA_UNSET, QUOTA_BLOCK, QUOTA_UNBLOCK, QUOTA_RESET,
};

enum quota_id {
	QID_NONE = 0, QID_USER, QID_CUSTOMER, QID_ADDRESS, QID_NETWORK, QID_CERT,
	QID_SENDER, QID_SENDER_DOMAIN,
};

struct quota_opts {
	enum quota_action action;
	const char *config;
	int json;
	enum quota_id id;
	const char *id_value;
	const char *customer;		/* --customer with another identity */
	const char *limit;		/* --limit NAME */
	/* set */
	int have_rate;
	uint64_t rate, period_s, burst;	/* burst 0: the rate's N */
	int have_cap[3];		/* --messages, --recipients, --bytes */
	uint64_t cap[3];
	int64_t expire_s;		/* 0: no expiry */
	int customer_wide;
	const char *reason;		/* block */
};

struct quota_target {
	struct rw_txn txn;
	const struct rw_rule *rule;	/* --network NAME: the network relay rule */
	int net_family;			/* --network CIDR: 4 or 6, and its length */
	unsigned net_prefix;
	char *customer;			/* "-" when none maps */
	const char *customer_source;	/* "config", "option", "identity", "none" */
	char *label;			/* "sasl_user alice" for messages */
	struct limit_plan plan;		/* the selected checks, in config order */
	struct strvec keys;		/* 5 per check: state, ovr, ovr_cust, block, block_cust */
	struct strvec args;		/* the script's ARGV for a peek */
	struct strvec store;		/* strings txn points into */
};

struct quota_conn {
	struct redis_sync *redis;
	char *where;			/* "redis 127.0.0.1:6379" (no password) */
};

/* quota_target_build - the identity of o under cfg; QUOTA_EXIT_USAGE when it
 * is malformed or no configured limit applies to it */
int quota_target_build(const struct rw_config *cfg, const struct quota_opts *o,
		       struct quota_target *t);
void quota_target_release(struct quota_target *t);
/* quota_no_checks - print why no check of the plan applies; QUOTA_EXIT_USAGE */
int quota_no_checks(const struct rw_config *cfg, const struct quota_opts *o,
		    const struct quota_target *t);
/* quota_find_limit - the configured limit or quota named name, or NULL */
const struct rw_limit *quota_find_limit(const struct rw_policy *p, const char *name);

/* quota_conn_open - the sync client for cfg's redis section; QUOTA_EXIT_USAGE without one */
int quota_conn_open(const struct rw_config *cfg, struct quota_conn *c);
void quota_conn_close(struct quota_conn *c);
/* quota_cmd - run argv; the reply (caller frees) or NULL after printing why */
redisReply *quota_cmd(struct quota_conn *c, int argc, const char **argv);
/* quota_cmd_ok - run argv, discard the reply; 0 or QUOTA_EXIT_REDIS */
int quota_cmd_ok(struct quota_conn *c, int argc, const char **argv);
/* quota_fail - print "relaywarden: quota: ..." on stderr; returns rc */
int quota_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* quota_show - the show action */
int quota_show(const struct rw_config *cfg, const struct quota_opts *o, struct quota_target *t,
	       struct quota_conn *c);
/* quota_set, quota_unset, quota_block, quota_unblock, quota_reset - the writes */
int quota_set(const struct rw_config *cfg, const struct quota_opts *o, struct quota_target *t,
	      struct quota_conn *c);
int quota_unset(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c);
int quota_block(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c);
int quota_unblock(const struct rw_config *cfg, const struct quota_opts *o,
		  struct quota_target *t, struct quota_conn *c);
int quota_reset(const struct rw_config *cfg, const struct quota_opts *o,
		struct quota_target *t, struct quota_conn *c);

/* quota_parse_duration - N[s|m|h|d] (plain N: seconds), 1 s .. 3660 days */
int quota_parse_duration(const char *s, int64_t *secs, const char **error_r);
/* quota_format_period - "1h", "30s", "2d": the largest exact unit */
void quota_format_period(uint64_t s, struct buf *out);

#endif
