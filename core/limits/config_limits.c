/*
 * config_limits - the rate-limit part of relaywarden.conf into the
 * snapshot: timezone, charge_at, customer sections and customer_files,
 * limit and quota sections, the redis section; see config_int.h and
 * schema/config-reference.md.
 *
 * customer_files grammar (blank lines and '#' lines ignored):
 *   ID  KIND:VALUE  [# comment]
 * KIND is user, domain, network or fingerprint (core/limits/customers.h); one
 * mapping per line. An error names the file and its line.
 *
 * Cross-field rules: prefix4/prefix6 only with charge = client_prefix;
 * local_share only with on_store_failure = local; a limit and a quota may
 * not share a name; servers and sentinels exclude each other, sentinels
 * need master_name and master_name needs sentinels; without servers or
 * sentinels every limit and quota that is not mode = off must say
 * on_store_failure = local.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/limits/customers.h"
#include "core/limits/limits.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"

#define LC_NAME_MAX 64
#define LC_TOLERANCE_MAX UINT64_C(1000000000000000)	/* 10^15 us: ~31 years */

/* fail at a section's first option (else its closing brace); evaluates to -1 */
#define LC_SEC_FAIL(x, sec, ...)						\
	(config_fail((x), (sec)->filename, lc_sec_line((x), (sec)), (sec), NULL, __VA_ARGS__), -1)

/* fail at the line where value idx of option name was set; evaluates to -1 */
#define LC_FAIL(x, sec, name, idx, ...)						\
	(config_fail((x), (sec)->filename, config_line_of((x), (sec), (name), (idx)),	\
		     (sec), (name), __VA_ARGS__), -1)

static const char *const lc_fails[] = { [FAIL_TEMPFAIL] = "tempfail", [FAIL_ACCEPT] = "accept",
					[FAIL_LOCAL] = "local" };
static const char *const lc_units[] = { [UNIT_MESSAGES] = "messages",
					[UNIT_RECIPIENTS] = "recipients", [UNIT_BYTES] = "bytes" };
static const char *const lc_windows[] = { [WINDOW_HOUR] = "hour", [WINDOW_DAY] = "day",
					  [WINDOW_MONTH] = "month" };

/* lc_sec_line - the first line a value of sec was set on, else sec's own line */
static int lc_sec_line(const struct config_ctx *x, const cfg_t *sec)
{
	int line = 0;

	for (size_t i = 0; i < x->n_lines; i++)
		if (x->lines[i].sec == sec && (line == 0 || x->lines[i].line < line))
			line = x->lines[i].line;
	return line > 0 ? line : sec->line;
}

/* lc_index - position of s in names[1..n-1] (validated keywords), 1 if absent */
static int lc_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return 1;
}
#define LC_INDEX(names, s) lc_index((names), sizeof(names) / sizeof((names)[0]), (s))

/* lc_charge - the charge keyword's enum (validated) */
static enum limit_charge lc_charge(const char *s)
{
	for (int c = CHARGE_SASL_USER; c <= CHARGE_SENDER_DOMAIN; c++)
		if (strcmp(limits_charge_name((enum limit_charge)c), s) == 0)
			return (enum limit_charge)c;
	return CHARGE_SASL_USER;
}

/* lc_name_ok - a limit or quota name: [A-Za-z0-9._-]{1,64}, a letter or digit first */
static int lc_name_ok(const char *s)
{
	const char *e;

	return strlen(s) <= LC_NAME_MAX && customers_id_check(s, &e) == 0;
}

/* lc_common - what limits and quotas share */
static int lc_common(struct config_ctx *x, cfg_t *sec, struct rw_limit *l)
{
	const char *charge = cfg_getstr(sec, "charge");

	if (!lc_name_ok(cfg_title(sec)))
		return LC_SEC_FAIL(x, sec, "bad name: 1-64 characters of A-Z a-z 0-9 . _ - "
				   "starting with a letter or digit");
	if (charge == NULL)
		return LC_FAIL(x, sec, "charge", 0, "missing: what the %s charges (sasl_user, "
			       "cert, client_address, client_prefix, network, customer, sender, "
			       "sender_domain)", sec->name);
	l->charge = lc_charge(charge);
	l->prefix4 = (unsigned)cfg_getint(sec, "prefix4");
	l->prefix6 = (unsigned)cfg_getint(sec, "prefix6");
	for (const char *const *o = (const char *const[]){ "prefix4", "prefix6", NULL }; *o; o++)
		if (l->charge != CHARGE_CLIENT_PREFIX && config_is_set(x, sec, *o))
			return LC_FAIL(x, sec, *o, 0, "only with charge = client_prefix");
	l->mode = config_mode(sec, "mode");
	l->permanent = strcmp(cfg_getstr(sec, "reply"), "permanent") == 0;
	l->on_failure = (enum limit_failmode)LC_INDEX(lc_fails,
						      cfg_getstr(sec, "on_store_failure"));
	l->local_share = (unsigned)cfg_getint(sec, "local_share");
	if (l->on_failure != FAIL_LOCAL && config_is_set(x, sec, "local_share"))
		return LC_FAIL(x, sec, "local_share", 0, "only with on_store_failure = local");
	return 0;
}

/* lc_rate - unit, rate, burst; the GCRA tolerance must stay exact in Lua */
static int lc_rate(struct config_ctx *x, cfg_t *sec, struct rw_limit *l)
{
	const char *unit = cfg_getstr(sec, "unit"), *rate = cfg_getstr(sec, "rate"), *e;
	uint64_t emission;

	if (unit == NULL)
		return LC_FAIL(x, sec, "unit", 0, "missing: every limit needs unit = messages, "
			       "recipients or bytes");
	if (rate == NULL)
		return LC_FAIL(x, sec, "rate", 0, "missing: every limit needs a rate, e.g. "
			       "rate = \"100/1h\"");
	l->unit = (enum limit_unit)LC_INDEX(lc_units, unit);
	if (config_parse_rate(rate, &l->rate, &l->period_s, &e) < 0)
		return LC_FAIL(x, sec, "rate", 0, "'%s': %s", rate, e);
	l->burst = l->rate;
	if (cfg_size(sec, "burst") > 0 &&
	    config_parse_size(cfg_getstr(sec, "burst"), &l->burst, &e) < 0)
		return LC_FAIL(x, sec, "burst", 0, "%s", e);
	if (l->burst == 0)
		return LC_FAIL(x, sec, "burst", 0, "must be at least 1");
	emission = (l->period_s * 1000000u + l->rate - 1) / l->rate;
	if (emission == 0)
		emission = 1;
	if (l->burst > LC_TOLERANCE_MAX / emission)
		return LC_FAIL(x, sec, cfg_size(sec, "burst") > 0 ? "burst" : "rate", 0,
			       "burst x period / rate is over 31 years: the GCRA state would "
			       "not stay exact");
	return 0;
}

/* lc_quota - window and caps, at least one */
static int lc_quota(struct config_ctx *x, cfg_t *sec, struct rw_limit *l)
{
	const char *window = cfg_getstr(sec, "window"), *e;

	if (window == NULL)
		return LC_FAIL(x, sec, "window", 0, "missing: every quota needs window = hour, "
			       "day or month");
	l->window = (enum quota_window)LC_INDEX(lc_windows, window);
	l->max_messages = (uint64_t)cfg_getint(sec, "messages");
	l->max_recipients = (uint64_t)cfg_getint(sec, "recipients");
	if (config_parse_size(cfg_getstr(sec, "bytes"), &l->max_bytes, &e) < 0)
		return LC_FAIL(x, sec, "bytes", 0, "%s", e);
	if (l->max_messages == 0 && l->max_recipients == 0 && l->max_bytes == 0)
		return LC_SEC_FAIL(x, sec, "a quota needs messages, recipients or bytes above 0");
	return 0;
}

/* lc_limits - limit sections, then quota sections, in file order */
static int lc_limits(struct config_ctx *x, cfg_t *cfg, struct rw_policy *p)
{
	static const char *const kinds[] = { [LIMIT_RATE] = "limit", [LIMIT_QUOTA] = "quota" };

	for (int k = LIMIT_RATE; k <= LIMIT_QUOTA; k++) {
		for (unsigned i = 0; i < cfg_size(cfg, kinds[k]); i++) {
			cfg_t *sec = cfg_getnsec(cfg, kinds[k], i);
			struct rw_limit *l;

			if (k == LIMIT_QUOTA && cfg_gettsec(cfg, "limit", cfg_title(sec)) != NULL)
				return LC_SEC_FAIL(x, sec, "a limit has the same name");
			l = policy_add_limit(p, cfg_title(sec), (enum limit_kind)k);
			if (lc_common(x, sec, l) < 0 ||
			    (k == LIMIT_RATE ? lc_rate(x, sec, l) : lc_quota(x, sec, l)) < 0)
				return -1;
		}
	}
	return 0;
}

/* lc_customer_list - one list option of a customer section */
static int lc_customer_list(struct config_ctx *x, cfg_t *sec, const char *opt,
			    enum customer_kind kind, struct customers *cu, struct strvec *src)
{
	for (unsigned i = 0; i < cfg_size(sec, opt); i++) {
		const char *v = cfg_getnstr(sec, opt, i), *e = NULL, *owner = NULL;

		if (customers_add(cu, cfg_title(sec), kind, v, &e, &owner) < 0)
			return owner != NULL
				? LC_FAIL(x, sec, opt, i, "'%s' already belongs to customer '%s'",
					  v, owner)
				: LC_FAIL(x, sec, opt, i, "'%s': %s", v, e);
		strvec_add(src, v);
	}
	return 0;
}

/* lc_customer - one customer section */
static int lc_customer(struct config_ctx *x, cfg_t *sec, struct customers *cu,
		       struct config_srccustomer *src)
{
	const char *e = NULL;

	if (customers_id_check(cfg_title(sec), &e) < 0)
		return LC_SEC_FAIL(x, sec, "bad id: %s", e);
	if (cfg_size(sec, "users") + cfg_size(sec, "sender_domains") +
	    cfg_size(sec, "networks") + cfg_size(sec, "fingerprints") == 0)
		return LC_SEC_FAIL(x, sec, "maps nothing: give users, sender_domains, "
				   "networks or fingerprints");
	if (lc_customer_list(x, sec, "users", CUSTOMER_USER, cu, &src->users) < 0 ||
	    lc_customer_list(x, sec, "fingerprints", CUSTOMER_FINGERPRINT, cu,
			     &src->fingerprints) < 0 ||
	    lc_customer_list(x, sec, "networks", CUSTOMER_NETWORK, cu, &src->networks) < 0)
		return -1;
	return lc_customer_list(x, sec, "sender_domains", CUSTOMER_DOMAIN, cu,
				&src->sender_domains);
}

/* lc_customer_line - "ID KIND:VALUE" of a customer file */
static int lc_customer_line(void *arg, char *line, struct buf *msg)
{
	char *rest = config_split(line), *value, *after;
	const char *e = NULL, *owner = NULL;

	value = rest + strspn(rest, " \t\r\v\f");
	after = config_split(value);
	after += strspn(after, " \t\r\v\f");
	if (*value == '\0') {
		buf_printf(msg, "customer '%s': expected ID KIND:VALUE", line);
		return -1;
	}
	if (*after != '\0' && *after != '#') {
		buf_printf(msg, "unexpected '%s' after the mapping (one per line)", after);
		return -1;
	}
	if (customers_add_entry(arg, line, value, &e, &owner) == 0)
		return 0;
	if (owner != NULL)
		buf_printf(msg, "customer '%s': '%s' already belongs to customer '%s'", line,
			   value, owner);
	else
		buf_printf(msg, "customer '%s': '%s': %s", line, value, e);
	return -1;
}

/* lc_customers - customer sections, then customer_files */
static int lc_customers(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	unsigned n = cfg_size(cfg, "customer");
	struct config_src *src = c->src;

	src->customers = rw_calloc(n, sizeof(*src->customers));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "customer", i);

		strvec_add(&src->customer_ids, cfg_title(sec));
		if (lc_customer(x, sec, c->policy->customers, &src->customers[i]) < 0)
			return -1;
	}
	return config_files(x, cfg, "customer_files", lc_customer_line, c->policy->customers,
			    &src->customer_files);
}

/* lc_redis_settings - copy the redis section */
static void lc_redis_settings(cfg_t *sec, struct rw_config *c)
{
	const char *master = cfg_getstr(sec, "master_name"), *pw = cfg_getstr(sec, "password");

	for (unsigned i = 0; i < cfg_size(sec, "servers"); i++)
		strvec_add(&c->redis.servers, cfg_getnstr(sec, "servers", i));
	for (unsigned i = 0; i < cfg_size(sec, "sentinels"); i++)
		strvec_add(&c->redis.sentinels, cfg_getnstr(sec, "sentinels", i));
	c->redis.master_name = master != NULL ? rw_strdup(master) : NULL;
	c->redis.password = pw != NULL ? rw_strdup(pw) : NULL;
	c->redis.database = (unsigned)cfg_getint(sec, "database");
	c->redis.timeout_ms = (unsigned)cfg_getint(sec, "timeout_ms");
	c->redis.connect_timeout_ms = (unsigned)cfg_getint(sec, "connect_timeout_ms");
	c->redis.connections = (unsigned)cfg_getint(sec, "connections");
}

/* lc_redis - the redis section and what limits need of it */
static int lc_redis(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *sec = cfg_getsec(cfg, "redis");
	const struct rw_policy *p = c->policy;

	lc_redis_settings(sec, c);
	if (c->redis.servers.n > 0 && c->redis.sentinels.n > 0)
		return LC_FAIL(x, sec, "sentinels", 0, "give servers or sentinels, not both");
	if (c->redis.sentinels.n > 0 && c->redis.master_name == NULL)
		return LC_FAIL(x, sec, "sentinels", 0, "sentinels need master_name");
	if (c->redis.sentinels.n == 0 && c->redis.master_name != NULL)
		return LC_FAIL(x, sec, "master_name", 0, "only with sentinels");
	if (c->redis.servers.n > 0 || c->redis.sentinels.n > 0)
		return 0;
	for (size_t i = 0; i < p->n_limits; i++) {
		const struct rw_limit *l = &p->limits[i];
		cfg_t *ls = cfg_gettsec(cfg, l->kind == LIMIT_QUOTA ? "quota" : "limit", l->name);

		if (l->mode != MODE_OFF && l->on_failure != FAIL_LOCAL)
			return LC_FAIL(x, ls, "on_store_failure", 0, "no redis servers or "
				       "sentinels: give a redis section, or on_store_failure = "
				       "local (in-process counting on this host only)");
	}
	return 0;
}

/* config_limits_compile - timezone, charge_at, customers, limits, quotas, redis */
int config_limits_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	struct rw_policy *p = c->policy;

	free(p->timezone);
	p->timezone = rw_strdup(cfg_getstr(cfg, "timezone"));
	p->charge_at = strcmp(cfg_getstr(cfg, "charge_at"), "milter") == 0 ? CHARGE_AT_MILTER
									   : CHARGE_AT_POLICYD;
	if (lc_customers(x, cfg, c) < 0 || lc_limits(x, cfg, p) < 0)
		return -1;
	return lc_redis(x, cfg, c);
}

/* config_limits_src_free - the customer part of a source record */
void config_limits_src_free(struct config_src *s)
{
	for (size_t i = 0; i < s->customer_ids.n && s->customers != NULL; i++) {
		strvec_release(&s->customers[i].users);
		strvec_release(&s->customers[i].sender_domains);
		strvec_release(&s->customers[i].networks);
		strvec_release(&s->customers[i].fingerprints);
	}
	free(s->customers);
	strvec_release(&s->customer_ids);
	strvec_release(&s->customer_files.values);
	for (size_t i = 0; i < s->customer_files.n_files; i++)
		free(s->customer_files.files[i].path);
	free(s->customer_files.files);
}
