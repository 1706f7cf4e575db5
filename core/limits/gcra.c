/* gcra - generic cell rate algorithm with a caller's clock; see gcra.h */
#include "autoconfig.h"

#include <stdint.h>

#include "core/limits/gcra.h"

/* gcra_sat_add - a + b, UINT64_MAX on overflow */
uint64_t gcra_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* gcra_sat_mul - a * b, UINT64_MAX on overflow */
uint64_t gcra_sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

/* gcra_room - units of emission that fit in tolerance after used µs */
static uint64_t gcra_room(uint64_t used_us, uint64_t emission_us, uint64_t tolerance_us)
{
	if (emission_us == 0)
		return UINT64_MAX;
	if (used_us > tolerance_us)
		return 0;
	return (tolerance_us - used_us) / emission_us;
}

/* gcra_update - one GCRA step; see gcra.h */
void gcra_update(uint64_t *tat_us, uint64_t now_us, uint64_t emission_us,
		 uint64_t tolerance_us, uint64_t cost, int apply, struct gcra_result *out)
{
	uint64_t base = *tat_us > now_us ? *tat_us : now_us;
	uint64_t inc = gcra_sat_mul(cost, emission_us);
	uint64_t new_tat = gcra_sat_add(base, inc);
	uint64_t used = new_tat - now_us;
	int overflow = inc == UINT64_MAX || base > UINT64_MAX - inc;

	out->never_fits = inc > tolerance_us;
	out->allowed = !overflow && used <= tolerance_us;
	if (out->allowed) {
		out->new_tat_us = new_tat;
		out->remaining = gcra_room(used, emission_us, tolerance_us);
		out->retry_after_us = 0;
		if (apply)
			*tat_us = new_tat;
		return;
	}
	out->new_tat_us = *tat_us;
	out->remaining = gcra_room(base - now_us, emission_us, tolerance_us);
	out->retry_after_us = used > tolerance_us ? used - tolerance_us : UINT64_MAX;
}

/* gcra_params - rate/period/burst to emission and tolerance in µs */
int gcra_params(uint64_t rate, uint64_t period_s, uint64_t burst,
		uint64_t *emission_us, uint64_t *tolerance_us)
{
	uint64_t period_us;

	if (rate == 0 || period_s == 0)
		return -1;
	period_us = gcra_sat_mul(period_s, 1000000);
	*emission_us = period_us / rate + (period_us % rate != 0);
	if (*emission_us == 0)
		*emission_us = 1;
	*tolerance_us = gcra_sat_mul(burst, *emission_us);
	return 0;
}
