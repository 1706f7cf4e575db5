/* breaker - circuit breaker state machine; see breaker.h */
#include "autoconfig.h"

#include <stdint.h>

#include "core/limits/breaker.h"
#include "core/limits/gcra.h"

/* breaker_init - a closed breaker */
void breaker_init(struct breaker *b, unsigned threshold, uint64_t backoff_min_us,
		  uint64_t backoff_max_us)
{
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->threshold = threshold ? threshold : 1;
	b->backoff_min_us = backoff_min_us;
	b->backoff_max_us = backoff_max_us < backoff_min_us ? backoff_min_us : backoff_max_us;
	b->backoff_us = b->backoff_min_us;
	b->until_us = 0;
}

/* breaker_open - open now for the current backoff */
static void breaker_open(struct breaker *b, uint64_t now_us)
{
	b->state = BREAKER_OPEN;
	b->until_us = gcra_sat_add(now_us, b->backoff_us);
}

/* breaker_allow - may this request go to the store? */
int breaker_allow(struct breaker *b, uint64_t now_us)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		return 1;
	case BREAKER_OPEN:
		if (now_us < b->until_us)
			return 0;
		break;
	case BREAKER_HALF_OPEN:
		if (now_us < b->until_us)
			return 0;	/* a probe is out */
		break;
	}
	b->state = BREAKER_HALF_OPEN;
	b->until_us = gcra_sat_add(now_us, b->backoff_max_us);
	return 1;
}

/* breaker_success - close and forget failures */
void breaker_success(struct breaker *b)
{
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->backoff_us = b->backoff_min_us;
	b->until_us = 0;
}

/* breaker_failure - count; open at the threshold, or re-open after a failed probe */
void breaker_failure(struct breaker *b, uint64_t now_us)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		if (++b->failures >= b->threshold)
			breaker_open(b, now_us);
		break;
	case BREAKER_HALF_OPEN:
		b->backoff_us = gcra_sat_mul(b->backoff_us, 2);
		if (b->backoff_us > b->backoff_max_us)
			b->backoff_us = b->backoff_max_us;
		breaker_open(b, now_us);
		break;
	case BREAKER_OPEN:
		break;		/* a late failure of a request sent before opening */
	}
}

/* breaker_state_name - for logs and metrics */
const char *breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_CLOSED:
		return "closed";
	case BREAKER_OPEN:
		return "open";
	case BREAKER_HALF_OPEN:
		return "half-open";
	}
	return "unknown";
}
