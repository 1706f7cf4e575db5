/*
 * quota_parse - `relaywarden quota` durations and period formatting; counts
 * and rates are parsed by the config's own parsers (core/config/config.h), so the
 * command takes exactly relaywarden.conf's syntax; see cli/quota.h.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "cli/quota.h"

#define QUOTA_MAX_EXPIRE_S (3660 * INT64_C(86400))

static const char quota_units[] = "smhd";
static const uint64_t quota_unit_s[] = { 1, 60, 3600, 86400 };

/* quota_parse_span - [N]U with U one of s, m, h, d (N defaults to 1) */
static int quota_parse_span(const char *s, int need_n, uint64_t *secs)
{
	size_t digits = strspn(s, "0123456789");
	const char *u = s + digits, *p;

	if (digits >= 9 || (digits == 0 && need_n))
		return -1;
	*secs = digits > 0 ? strtoull(s, NULL, 10) : 1;
	if (*u == '\0' && need_n)
		return *secs > 0 ? 0 : -1;	/* plain seconds */
	if (*u == '\0' || u[1] != '\0' || (p = strchr(quota_units, *u)) == NULL || *secs == 0)
		return -1;
	*secs *= quota_unit_s[p - quota_units];
	return 0;
}

/* quota_parse_duration - N[s|m|h|d], plain N is seconds */
int quota_parse_duration(const char *s, int64_t *secs, const char **error_r)
{
	uint64_t v;

	*error_r = "expected a duration: N (seconds), Ns, Nm, Nh or Nd, N >= 1";
	if (quota_parse_span(s, 1, &v) < 0)
		return -1;
	if (v > (uint64_t)QUOTA_MAX_EXPIRE_S) {
		*error_r = "longer than 3660 days";
		return -1;
	}
	*secs = (int64_t)v;
	return 0;
}

/* quota_format_period - the largest exact unit */
void quota_format_period(uint64_t s, struct buf *out)
{
	for (int i = 3; i >= 0; i--) {
		if (s % quota_unit_s[i] == 0 || i == 0) {
			buf_printf(out, "%llu%c", (unsigned long long)(s / quota_unit_s[i]),
				   quota_units[i]);
			return;
		}
	}
}
