/*
 * quota_parse - `relaywarden quota` value syntax: counts, rates and
 * durations, spelt as in relaywarden.conf (schema/config-reference.md:
 * `rate`, `burst`, sizes); see cli/quota.h.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "cli/quota.h"

#define QUOTA_MAX_COUNT (UINT64_C(1) << 53)
#define QUOTA_MAX_PERIOD_S (366 * 86400)
#define QUOTA_MAX_EXPIRE_S (3660 * INT64_C(86400))

static const char quota_units[] = "smhd";
static const uint64_t quota_unit_s[] = { 1, 60, 3600, 86400 };

/* quota_parse_count - N[K|M|G], binary multiples, at most 2^53 */
int quota_parse_count(const char *s, uint64_t *v, const char **error_r)
{
	static const char sfx[] = "kmg";
	size_t n = strspn(s, "0123456789");
	uint64_t mult = 1;

	*error_r = "expected a number with an optional K, M or G suffix";
	if (n == 0 || n > 16)
		return -1;
	if (s[n] != '\0') {
		const char *p = strchr(sfx, s[n] | 0x20);

		if (p == NULL || s[n + 1] != '\0')
			return -1;
		mult = UINT64_C(1) << (10 * (p - sfx + 1));
	}
	*v = strtoull(s, NULL, 10);
	if (*v > QUOTA_MAX_COUNT / mult) {
		*error_r = "larger than 2^53";
		return -1;
	}
	*v *= mult;
	return 0;
}

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

/* quota_parse_rate - N/DURATION */
int quota_parse_rate(const char *s, uint64_t *n, uint64_t *period_s, const char **error_r)
{
	const char *slash = strchr(s, '/');
	char num[32];
	size_t len = slash ? (size_t)(slash - s) : 0;

	*error_r = "expected N/PERIOD, e.g. 100/1h, 10/30s, 5000/1d (N >= 1)";
	if (slash == NULL || len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (quota_parse_count(num, n, error_r) < 0 || *n == 0)
		return -1;
	if (quota_parse_span(slash + 1, 0, period_s) < 0) {
		*error_r = "expected a period: [N]s, [N]m, [N]h or [N]d after '/'";
		return -1;
	}
	if (*period_s > QUOTA_MAX_PERIOD_S) {
		*error_r = "the period is longer than 366 days (use a quota)";
		return -1;
	}
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
