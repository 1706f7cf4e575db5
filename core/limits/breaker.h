/*
 * breaker - a circuit breaker in front of the counter store (Redis).
 *
 * CLOSED: every request goes to the store. After `threshold` consecutive
 * failures (error, timeout, disconnect) it OPENs: requests skip the store
 * (the limit's fail mode applies at once, no deadline is waited for) until
 * the backoff has passed. Then HALF_OPEN: exactly one probe request may go
 * to the store; its success closes the breaker and resets the backoff, its
 * failure opens it again with the backoff doubled (up to backoff_max_us). A
 * probe that never reports (its caller lost it) is given up after
 * backoff_max_us and another probe is allowed.
 *
 * Pure: libc only, the clock (monotonic µs) is passed in. Not thread-safe:
 * one breaker per event loop, or a lock around it.
 */
#ifndef RW_BREAKER_H
#define RW_BREAKER_H

#include <stdint.h>

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker {
	enum breaker_state state;
	unsigned failures;		/* consecutive, while closed */
	unsigned threshold;		/* failures that open it (>= 1) */
	uint64_t backoff_min_us, backoff_max_us;
	uint64_t backoff_us;		/* the current backoff */
	uint64_t until_us;		/* OPEN: probe from then; HALF_OPEN: probe deadline */
};

/* breaker_init - closed; threshold 0 counts as 1; max below min counts as min */
void breaker_init(struct breaker *b, unsigned threshold, uint64_t backoff_min_us,
		  uint64_t backoff_max_us);
/* breaker_allow - 1 when this request may use the store now (maybe as the probe) */
int breaker_allow(struct breaker *b, uint64_t now_us);
/* breaker_success - the store answered */
void breaker_success(struct breaker *b);
/* breaker_failure - the store failed this request */
void breaker_failure(struct breaker *b, uint64_t now_us);
/* breaker_state_name - "closed", "open", "half-open" (metrics, audit) */
const char *breaker_state_name(enum breaker_state s);

#endif
