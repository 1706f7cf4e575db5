/*
 * gcra - the generic cell rate algorithm, one integer of state. Pure.
 *
 * State is the theoretical arrival time (TAT) in microseconds; an absent
 * key is TAT 0. Parameters come with every call (emission interval = period
 * / rate, tolerance = burst * emission), so a changed limit never resets
 * state. The clock is passed in: callers use Redis TIME, tests a simulated
 * clock. Semantics (schema/limits.lua implements the same arithmetic):
 *
 *   base     = max(tat, now)
 *   new_tat  = base + cost * emission
 *   allowed  = new_tat - now <= tolerance   (burst units fit from empty)
 *   never    = cost * emission > tolerance  (cannot fit even when idle)
 *
 * Arithmetic saturates at UINT64_MAX instead of wrapping, and a TAT that
 * would pass 2^64 µs is refused (retry_after UINT64_MAX), so huge costs or
 * parameters refuse rather than pass. emission 0 means no rate
 * (everything fits, remaining UINT64_MAX). Thread-safe (no state).
 */
#ifndef RW_GCRA_H
#define RW_GCRA_H

#include <stdint.h>

struct gcra_result {
	int allowed;		/* the cost fits now */
	int never_fits;		/* the cost exceeds the whole burst */
	uint64_t new_tat_us;	/* TAT after the call (unchanged when refused) */
	/* units that still fit: after this cost when allowed, before it when
	 * refused (0 when not even one fits) */
	uint64_t remaining;
	uint64_t retry_after_us; /* refused: new_tat - now - tolerance; else 0 */
};

/*
 * gcra_update - evaluate cost units at now_us against *tat_us; *tat_us is
 * written only when apply && allowed (apply 0 is a peek).
 */
void gcra_update(uint64_t *tat_us, uint64_t now_us, uint64_t emission_us,
		 uint64_t tolerance_us, uint64_t cost, int apply, struct gcra_result *out);

/*
 * gcra_params - emission = ceil(period_s * 1e6 / rate) (at least 1; rounding
 * up never lets more than the configured rate through),
 * tolerance = burst * emission (saturating); -1 when rate or period is 0.
 * The one conversion shared by the planner and `relaywarden quota set`.
 */
int gcra_params(uint64_t rate, uint64_t period_s, uint64_t burst,
		uint64_t *emission_us, uint64_t *tolerance_us);

/* gcra_sat_add, gcra_sat_mul - saturating uint64 arithmetic */
uint64_t gcra_sat_add(uint64_t a, uint64_t b);
uint64_t gcra_sat_mul(uint64_t a, uint64_t b);

#endif
