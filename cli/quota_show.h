/*
 * quota_show - the rows `relaywarden quota show` prints, one per check of
 * the target's plan, read by cli/quota_read.c and printed (table or JSON)
 * by cli/quota_show.c. Internal to the quota command; see cli/quota.h.
 *
 * Ownership: a row borrows its check and keys from the target and owns
 * the block reasons and the peek's result (quota_rows_release).
 */
#ifndef RW_CLI_QUOTA_SHOW_H
#define RW_CLI_QUOTA_SHOW_H

#include <stddef.h>
#include <stdint.h>

#include "cli/quota.h"

/* the numeric override fields the script reads (schema/redis-keys.md) */
enum quota_field { QF_EMISSION, QF_TOLERANCE, QF_CAP_M, QF_CAP_R, QF_CAP_B, QF_N };

struct quota_hash {		/* an override hash */
	int exists;
	long long ttl_ms;	/* -1: no expiry */
	int has[QF_N];		/* the field is there and the script would use it */
	double v[QF_N];
};

struct quota_blockinfo {	/* a block key */
	int exists;
	char *reason;		/* owned */
	long long ttl_ms;	/* -1: no expiry */
};

struct quota_row {
	const struct limit_check *c;
	char **keys;		/* LIMIT_STORE_KEYS_PER_CHECK: state, ovr, ovr_cust, block, block_cust */
	struct limit_result res;	/* the peek (one more unit) */
	struct quota_hash ovr[2];	/* identity, customer-wide */
	struct quota_blockinfo blk[2];	/* identity, customer-wide */
	uint64_t state;		/* rate: TAT in µs (0 absent); quota: the window's counter */
	uint64_t em, tol;	/* rate: effective emission and tolerance, µs */
	uint64_t cap;		/* quota: effective cap, 0 = not capped */
	const char *from;	/* NULL, "identity" or "customer": who overrides */
	uint64_t used;		/* units used: rate ceil((TAT - now) / emission) */
	uint64_t remaining;	/* units that fit now (2^53: unlimited) */
};

/* quota_read_all - TIME, the peek, then every row's state, overrides and blocks */
int quota_read_all(struct quota_conn *c, struct quota_target *t, struct quota_row *rows,
		   uint64_t *now_us);
/* quota_read_hash - HGETALL + PTTL of an override hash */
int quota_read_hash(struct quota_conn *c, const char *key, struct quota_hash *h);
/* quota_read_block - GET + PTTL of a block key */
int quota_read_block(struct quota_conn *c, const char *key, struct quota_blockinfo *b);
/* quota_ovr_field_name - "emission_us", "cap_m", ... */
const char *quota_ovr_field_name(enum quota_field f);
void quota_rows_release(struct quota_row *rows, size_t n);

#endif
