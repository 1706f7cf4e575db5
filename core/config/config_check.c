/*
 * config_check - parse-time value checks for relaywarden.conf (libconfuse
 * validate callbacks named in the option table, config_table.c); ranges
 * and keywords come from the option's entry in its section; see
 * config_int.h.
 * Each runs while the parser stands on the value, so its error names the
 * value's line; each records that line through config_note.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <assert.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#include <confuse.h>

#include "core/engine/cidr.h"
#include "core/config/config_int.h"
#include "core/config/config_table.h"
#include "core/engine/domainset.h"
#include "core/engine/fprint.h"
#include "core/util/mem.h"
#include "core/engine/sender_login.h"

static const struct config_facility {
	const char *name;
	int value;
} config_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* config_opt_fail - a validator's error at the parser's position; returns -1 */
static int __attribute__((format(printf, 3, 4)))
config_opt_fail(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&m, fmt, ap);
	va_end(ap);
	if (config_current() != NULL)
		config_fail(config_current(), cfg->filename, cfg->line, cfg, opt->name, "%s", m.data);
	buf_release(&m);
	return -1;
}

/* config_str - note and return the string value being validated */
static const char *config_str(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, config_note(cfg, opt));

	return s != NULL ? s : "";
}

/* config_v_word - non-empty, printable ASCII, no white space */
int config_v_word(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);

	if (*s == '\0')
		return config_opt_fail(cfg, opt, "empty value");
	if (strlen(s) > 255)
		return config_opt_fail(cfg, opt, "longer than 255 characters");
	for (const char *p = s; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return config_opt_fail(cfg, opt, "'%s': white space or a non-ASCII byte", s);
	return 0;
}

/* config_v_text - non-empty, no control characters */
int config_v_text(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);

	if (*s == '\0')
		return config_opt_fail(cfg, opt, "empty value");
	if (strlen(s) > 1024)
		return config_opt_fail(cfg, opt, "longer than 1024 characters");
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return config_opt_fail(cfg, opt, "control character in value");
	return 0;
}

/* config_v_note - no check: only remember where the value was set */
int config_v_note(cfg_t *cfg, cfg_opt_t *opt)
{
	config_note(cfg, opt);
	return 0;
}

/* config_entry - the table entry of the option being validated (it has one) */
static const struct config_option *config_entry(const cfg_t *cfg, const cfg_opt_t *opt)
{
	const struct config_option *t = config_table_find(cfg->name, opt->name);

	assert(t != NULL);
	return t;
}

/* config_v_enum - one of the option's keywords (in its section) */
int config_v_enum(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);
	const struct config_option *t = config_entry(cfg, opt);
	struct buf list = BUF_INIT;
	int r;

	for (size_t j = 0; t->values[j] != NULL; j++)
		if (strcmp(s, t->values[j]) == 0)
			return 0;
	for (size_t j = 0; t->values[j] != NULL; j++)
		buf_printf(&list, "%s%s", j > 0 ? ", " : "", t->values[j]);
	r = config_opt_fail(cfg, opt, "'%s' is not one of: %s", s, buf_cstr(&list));
	buf_release(&list);
	return r;
}

/* config_mode - the mode keyword of option opt of sec, which config_v_enum accepted */
enum rw_mode config_mode(cfg_t *sec, const char *opt)
{
	enum rw_mode m = MODE_OFF;
	int r = mode_parse(cfg_getstr(sec, opt), &m);

	assert(r == 0);	/* every keyword of a mode option is a mode */
	(void)r;
	return m;
}

/* config_v_int - within the option's range (in its section) */
int config_v_int(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, config_note(cfg, opt));
	const struct config_option *t = config_entry(cfg, opt);

	if (v < t->min || v > t->max)
		return config_opt_fail(cfg, opt, "%ld is out of range %lld-%lld", v, t->min, t->max);
	return 0;
}

/* config_v_domain - a domain name domainset accepts */
int config_v_domain(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	struct domainset *ds = domainset_new();
	int r = domainset_add(ds, s, &e);

	domainset_free(&ds);
	return r < 0 ? config_opt_fail(cfg, opt, "bad domain '%s': %s", s, e) : 0;
}

/* config_v_file - a usable file name ("" only where the table says it means none) */
int config_v_file(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);

	if (*s == '\0' && !(config_entry(cfg, opt)->flags & CONFIG_EMPTY_OK))
		return config_opt_fail(cfg, opt, "empty file name");
	if (strlen(s) >= PATH_MAX)
		return config_opt_fail(cfg, opt, "file name too long");
	return 0;
}

/* config_v_sender - a sender the section's login may own */
int config_v_sender(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	struct sender_login *sl = sender_login_new();
	int r = sender_login_add(sl, cfg->title != NULL ? cfg->title : "", s, &e);

	sender_login_free(&sl);
	return r < 0 ? config_opt_fail(cfg, opt, "bad sender '%s': %s", s, e) : 0;
}

/* config_v_cidr - a network cidr_table accepts */
int config_v_cidr(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	struct cidr_table *t = cidr_table_new();
	int r = cidr_table_add(t, s, &e);

	cidr_table_free(&t);
	return r < 0 ? config_opt_fail(cfg, opt, "bad CIDR '%s': %s", s, e) : 0;
}

/* config_v_fprint - a certificate or public-key fingerprint */
int config_v_fprint(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	struct rw_fprint fp;

	if (fprint_parse(s, &fp, &e) < 0)
		return config_opt_fail(cfg, opt, "bad fingerprint '%s': %s", s, e);
	return 0;
}

/* config_check_port - decimal 1-65535 */
static int config_check_port(const char *p, const char **error_r)
{
	size_t n = strspn(p, "0123456789");

	if (n == 0 || n > 5 || p[n] != '\0' || atol(p) < 1 || atol(p) > 65535) {
		*error_r = "port must be a number 1-65535";
		return -1;
	}
	return 0;
}

/* config_check_inet - HOST:PORT or [IPV6]:PORT after "inet:" */
static int config_check_inet(const char *h, const char **error_r)
{
	const char *colon, *end;
	char *v6;
	int ok;

	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL || end[1] != ':') {
			*error_r = "expected inet:[IPV6]:PORT";
			return -1;
		}
		v6 = rw_strndup(h + 1, (size_t)(end - h - 1));
		ok = inet_pton(AF_INET6, v6, &(struct in6_addr){ 0 }) == 1;
		free(v6);
		*error_r = "bad IPv6 address";
		return ok ? config_check_port(end + 2, error_r) : -1;
	}
	colon = strrchr(h, ':');
	if (colon != NULL && memchr(h, ':', (size_t)(colon - h)) != NULL) {
		*error_r = "an IPv6 address must be in brackets: inet:[::1]:PORT";
		return -1;
	}
	if (colon == NULL || colon == h) {
		*error_r = "expected inet:HOST:PORT";
		return -1;
	}
	if (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
	    (size_t)(colon - h)) {
		*error_r = "bad host name";
		return -1;
	}
	return config_check_port(colon + 1, error_r);
}

/* config_v_listen - inet:HOST:PORT, inet:[V6]:PORT or unix:/PATH */
int config_v_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	int r;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			e = "a unix socket path must be absolute";
		else if (strlen(s + 5) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			e = "unix socket path too long";
		r = e != NULL ? -1 : 0;
	} else if (strncmp(s, "inet:", 5) == 0) {
		r = config_check_inet(s + 5, &e);
	} else {
		e = "expected inet:HOST:PORT, inet:[IPV6]:PORT or unix:/PATH";
		r = -1;
	}
	return r < 0 ? config_opt_fail(cfg, opt, "bad listen address '%s': %s", s, e) : 0;
}

/* config_v_user - "" (stay as started) or a user name that exists */
int config_v_user(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);

	if (*s == '\0' || getpwnam(s) != NULL)
		return 0;
	return config_opt_fail(cfg, opt, "no such user '%s'", s);
}

/* config_v_metrics - "" (off) or inet:HOST:PORT */
int config_v_metrics(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = "expected inet:HOST:PORT or \"\"";

	if (*s == '\0' || (strncmp(s, "inet:", 5) == 0 && config_check_inet(s + 5, &e) == 0))
		return 0;
	return config_opt_fail(cfg, opt, "bad metrics address '%s': %s", s, e);
}

/* config_v_mode - an octal file mode no wider than 0777 */
int config_v_mode(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);
	size_t n = strspn(s, "01234567");

	if (n == 0 || n > 4 || s[n] != '\0' || strtoul(s, NULL, 8) > 0777)
		return config_opt_fail(cfg, opt, "'%s': expected an octal mode 0000-0777", s);
	return 0;
}

/* config_parse_size - N[K|M|G], binary multiples, at most 2^53 */
int config_parse_size(const char *s, uint64_t *v, const char **error_r)
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
	if (*v > (UINT64_C(1) << 53) / mult) {
		*error_r = "larger than 2^53";
		return -1;
	}
	*v *= mult;
	return 0;
}

/* config_parse_rate - N/DURATION: "100/1h", "10/30s", "5000/d", "50M/1d" */
int config_parse_rate(const char *s, uint64_t *n, uint64_t *period_s, const char **error_r)
{
	static const char units[] = "smhd";
	static const uint64_t secs[] = { 1, 60, 3600, 86400 };
	const char *slash = strchr(s, '/'), *u;
	char *num = slash ? rw_strndup(s, (size_t)(slash - s)) : NULL;
	size_t digits;
	int r = num != NULL ? config_parse_size(num, n, error_r) : -1;

	free(num);
	if (r < 0 || *n == 0) {
		*error_r = "expected N/DURATION, e.g. \"100/1h\", \"10/30s\", \"5000/1d\" (N >= 1)";
		return -1;
	}
	digits = strspn(slash + 1, "0123456789");
	u = slash + 1 + digits;
	*period_s = digits > 0 && digits < 9 ? strtoull(slash + 1, NULL, 10) : 1;
	if (digits >= 9 || *u == '\0' || u[1] != '\0' || strchr(units, *u) == NULL ||
	    *period_s == 0) {
		*error_r = "expected a duration: [N]s, [N]m, [N]h or [N]d after '/'";
		return -1;
	}
	*period_s *= secs[strchr(units, *u) - units];
	if (*period_s > 366 * 86400u) {
		*error_r = "the period is longer than 366 days (use a quota)";
		return -1;
	}
	return 0;
}

/* config_v_size - a number with an optional K/M/G suffix */
int config_v_size(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	uint64_t v;

	if (config_parse_size(s, &v, &e) < 0)
		return config_opt_fail(cfg, opt, "'%s': %s", s, e);
	return 0;
}

/* config_v_rate - N/DURATION */
int config_v_rate(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	uint64_t n, period;

	if (config_parse_rate(s, &n, &period, &e) < 0)
		return config_opt_fail(cfg, opt, "'%s': %s", s, e);
	return 0;
}

/* config_tz_dir - where zone files are: $TZDIR, else /usr/share/zoneinfo */
static const char *config_tz_dir(void)
{
	const char *d = getenv("TZDIR");

	return d != NULL && *d == '/' ? d : "/usr/share/zoneinfo";
}

/* config_v_tz - "UTC", or a zone file name below the zoneinfo directory */
int config_v_tz(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt);
	struct buf path = BUF_INIT;
	char magic[4] = "";
	FILE *f;
	int ok;

	if (strcmp(s, "UTC") == 0)
		return 0;
	if (*s == '\0' || *s == '/' || strstr(s, "..") != NULL || strlen(s) > 255 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-.")
	    != strlen(s))
		return config_opt_fail(cfg, opt, "'%s': not a time zone name (e.g. "
				       "\"Europe/Berlin\")", s);
	buf_printf(&path, "%s/%s", config_tz_dir(), s);
	f = fopen(path.data, "re");
	ok = f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f != NULL)
		fclose(f);
	buf_release(&path);
	if (!ok)
		return config_opt_fail(cfg, opt, "'%s': unknown time zone (no zone file in %s)",
				       s, config_tz_dir());
	return 0;
}

/* config_v_redis - servers: HOST:PORT, [V6]:PORT or unix:/PATH; sentinels: no unix */
int config_v_redis(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_str(cfg, opt), *e = NULL;
	int r;

	if (strncmp(s, "unix:", 5) == 0 && strcmp(opt->name, "servers") == 0) {
		if (s[5] != '/')
			e = "a unix socket path must be absolute";
		else if (strlen(s + 5) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			e = "unix socket path too long";
		r = e != NULL ? -1 : 0;
	} else {
		r = config_check_inet(s, &e);
	}
	if (r < 0)
		return config_opt_fail(cfg, opt, "bad address '%s': %s (expected HOST:PORT, "
				       "[IPV6]:PORT%s)", s, e,
				       strcmp(opt->name, "servers") == 0 ? " or unix:/PATH" : "");
	return 0;
}

/* config_facility_name - the keyword of a LOG_* facility */
const char *config_facility_name(int facility)
{
	for (size_t i = 0; i < CONFIG_NELEM(config_facilities); i++)
		if (config_facilities[i].value == facility)
			return config_facilities[i].name;
	return "mail";
}

/* config_facility_value - the LOG_* facility of a keyword (validated) */
int config_facility_value(const char *name)
{
	for (size_t i = 0; i < CONFIG_NELEM(config_facilities); i++)
		if (strcmp(config_facilities[i].name, name) == 0)
			return config_facilities[i].value;
	return LOG_MAIL;
}

