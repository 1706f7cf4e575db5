/*
 * quota_target - `relaywarden quota`: the identity named on the command
 * line as the daemons would plan it, and the Redis connection; see
 * cli/quota.h.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/quota.h"
#include "core/engine/cidr.h"
#include "core/limits/customers.h"
#include "core/engine/fprint.h"
#include "core/limits/limit_store.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"

/* quota_fail - print the message with the command's prefix; returns rc */
int quota_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("relaywarden: quota: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

/* quota_find_limit - by name among limits and quotas */
const struct rw_limit *quota_find_limit(const struct rw_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_limits; i++)
		if (strcmp(p->limits[i].name, name) == 0)
			return &p->limits[i];
	return NULL;
}

/* quota_printable - non-empty, no control characters */
static int quota_printable(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* quota_target_cidr - "ADDR/LEN" of --network: the txn address and the prefix */
static int quota_target_cidr(struct quota_target *t, const char *s)
{
	const char *slash = strchr(s, '/');
	char *addr = rw_strndup(s, (size_t)(slash - s)), *end;
	unsigned long len = strtoul(slash + 1, &end, 10);
	struct rw_ip ip;
	int ok = cidr_parse_ip(addr, &ip) == 0 && slash[1] != '\0' && *end == '\0' &&
		 len <= (ip.family == 4 ? 32u : 128u);

	if (ok) {
		strvec_add(&t->store, addr);
		t->txn.client_address = t->store.v[t->store.n - 1];
		t->net_family = ip.family;
		t->net_prefix = (unsigned)len;
	}
	free(addr);
	return ok ? 0 : quota_fail(QUOTA_EXIT_USAGE, "--network '%s': not a CIDR prefix "
				   "(ADDRESS/LENGTH) or a network relay rule name", s);
}

/* quota_target_network - a network relay rule by name, else a CIDR prefix */
static int quota_target_network(const struct rw_policy *p, struct quota_target *t,
				const char *s)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		if (p->rules[i].kind == RULE_NETWORK && strcmp(p->rules[i].name, s) == 0) {
			t->rule = &p->rules[i];
			return 0;
		}
	}
	if (strchr(s, '/') == NULL)
		return quota_fail(QUOTA_EXIT_USAGE, "--network '%s': no relay rule of type "
				  "network has that name (and it is not ADDRESS/LENGTH)", s);
	return quota_target_cidr(t, s);
}

/* quota_target_txn - the one transaction field the identity fills */
static int quota_target_txn(const struct rw_policy *p, const struct quota_opts *o,
			    struct quota_target *t)
{
	const char *v = o->id_value, *e;
	struct rw_fprint fp;
	struct rw_ip ip;

	if (!quota_printable(v))
		return quota_fail(QUOTA_EXIT_USAGE, "empty identity or control characters in it");
	switch (o->id) {
	case QID_USER:
		t->txn.sasl_username = v;
		return 0;
	case QID_ADDRESS:
		if (cidr_parse_ip(v, &ip) < 0)
			return quota_fail(QUOTA_EXIT_USAGE, "--address '%s': not an IP address", v);
		t->txn.client_address = v;
		return 0;
	case QID_NETWORK:
		return quota_target_network(p, t, v);
	case QID_CERT:
		if (fprint_parse(v, &fp, &e) < 0)
			return quota_fail(QUOTA_EXIT_USAGE, "--cert '%s': %s", v, e);
		t->txn.cert_fingerprint = v;
		return 0;
	case QID_SENDER:
		t->txn.sender = v;
		return 0;
	case QID_SENDER_DOMAIN:
		strvec_addf(&t->store, "postmaster@%s", v);
		t->txn.sender = t->store.v[t->store.n - 1];
		return 0;
	default:
		return 0;	/* QID_CUSTOMER: no transaction field */
	}
}

/* quota_customer_ok - a customer id, or "-" (no customer) */
static int quota_customer_ok(const char *id)
{
	const char *e;

	if (strcmp(id, "-") == 0 || customers_id_check(id, &e) == 0)
		return 0;
	return quota_fail(QUOTA_EXIT_USAGE, "--customer '%s': %s", id, e);
}

/* quota_target_customer - the option's customer, or the one the identity maps to */
static int quota_target_customer(const struct rw_policy *p, const struct quota_opts *o,
				 struct quota_target *t)
{
	const char *id;

	if (o->id == QID_CUSTOMER || o->customer != NULL) {
		id = o->id == QID_CUSTOMER ? o->id_value : o->customer;
		if (quota_customer_ok(id) != 0)
			return QUOTA_EXIT_USAGE;
		t->customer = rw_strdup(id);
		t->customer_source = o->id == QID_CUSTOMER ? "identity" : "option";
		return 0;
	}
	id = customers_lookup(p->customers, &t->txn, NULL);
	t->customer = rw_strdup(id != NULL ? id : "-");
	t->customer_source = id != NULL ? "config" : "none";
	return 0;
}

/* quota_dim_match - c's dimension is one the identity option names */
static int quota_dim_match(const struct quota_opts *o, const struct quota_target *t,
			   const struct limit_check *c)
{
	const struct rw_limit *l = c->limit;
	int blocking = o->action == QUOTA_BLOCK || o->action == QUOTA_UNBLOCK;

	switch (o->id) {
	case QID_USER:
		return l->charge == CHARGE_SASL_USER;
	case QID_CUSTOMER:
		return l->charge == CHARGE_CUSTOMER;
	case QID_ADDRESS:
		return l->charge == CHARGE_CLIENT_ADDRESS ||
		       (l->charge == CHARGE_CLIENT_PREFIX && !blocking);
	case QID_NETWORK:
		if (t->rule != NULL)
			return l->charge == CHARGE_NETWORK;
		return l->charge == CHARGE_CLIENT_PREFIX &&
		       (t->net_family == 4 ? l->prefix4 : l->prefix6) == t->net_prefix;
	case QID_CERT:
		return l->charge == CHARGE_CERT;
	case QID_SENDER:
		return l->charge == CHARGE_SENDER;
	case QID_SENDER_DOMAIN:
		return l->charge == CHARGE_SENDER_DOMAIN;
	default:
		return 0;
	}
}

/* quota_target_filter - keep the checks of the identity (and --limit) */
static void quota_target_filter(const struct quota_opts *o, struct quota_target *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->plan.n; i++) {
		struct limit_check *c = &t->plan.v[i];

		if (quota_dim_match(o, t, c) &&
		    (o->limit == NULL || strcmp(o->limit, c->limit->name) == 0)) {
			t->plan.v[k++] = *c;
			continue;
		}
		free(c->customer);	/* the plan owns these two (core/limits/limits.h) */
		free(c->identity);
	}
	t->plan.n = k;
}

/* quota_target_label - "sasl_user alice" for messages */
static void quota_target_label(const struct quota_opts *o, struct quota_target *t)
{
	static const char *const names[] = {
		[QID_USER] = "user", [QID_CUSTOMER] = "customer", [QID_ADDRESS] = "address",
		[QID_NETWORK] = "network", [QID_CERT] = "cert", [QID_SENDER] = "sender",
		[QID_SENDER_DOMAIN] = "sender domain",
	};
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s %s", names[o->id], o->id_value);
	t->label = buf_detach(&b);
}

/* quota_target_build - see quota.h */
int quota_target_build(const struct rw_config *cfg, const struct quota_opts *o,
		       struct quota_target *t)
{
	const struct rw_policy *p = cfg->policy;
	const char *cust, *e;
	int rc;

	memset(t, 0, sizeof(*t));
	quota_target_label(o, t);
	if ((rc = quota_target_txn(p, o, t)) != 0 || (rc = quota_target_customer(p, o, t)) != 0)
		return rc;
	if (o->limit != NULL && quota_find_limit(p, o->limit) == NULL)
		return quota_fail(QUOTA_EXIT_USAGE, "no limit or quota named '%s' in %s",
				  o->limit, cfg->path);
	cust = strcmp(t->customer, "-") == 0 ? NULL : t->customer;
	limits_plan(p, &t->txn, t->rule, cust, 0, (int64_t)time(NULL), &t->plan);
	quota_target_filter(o, t);
	if (limit_store_marshal(&t->plan, &t->keys, &t->args, &e) < 0)
		return quota_fail(QUOTA_EXIT_USAGE, "cannot marshal the plan: %s", e);
	return 0;
}

/* quota_no_checks - nothing of the plan applies: say why; exit status 2 */
int quota_no_checks(const struct rw_config *cfg, const struct quota_opts *o,
		      const struct quota_target *t)
{
	const struct rw_limit *l = o->limit ? quota_find_limit(cfg->policy, o->limit) : NULL;

	if (l != NULL && l->mode == MODE_OFF)
		return quota_fail(QUOTA_EXIT_USAGE, "%s '%s' has mode = off", l->kind == LIMIT_RATE
				  ? "limit" : "quota", l->name);
	if (l != NULL)
		return quota_fail(QUOTA_EXIT_USAGE, "%s '%s' charges %s: it does not apply to %s"
				  "%s", l->kind == LIMIT_RATE ? "limit" : "quota", l->name,
				  limits_charge_name(l->charge), t->label,
				  o->customer_wide || o->action == QUOTA_RESET ? ""
				  : " (see --customer-wide)");
	return quota_fail(QUOTA_EXIT_USAGE, "no limit or quota in %s applies to %s", cfg->path,
			  t->label);
}

/* quota_target_release - free everything the target owns */
void quota_target_release(struct quota_target *t)
{
	limit_plan_release(&t->plan);
	strvec_release(&t->keys);
	strvec_release(&t->args);
	strvec_release(&t->store);
	free(t->customer);
	free(t->label);
	memset(t, 0, sizeof(*t));
}

/* quota_conn_settings - cfg's redis section as client settings (as policyd maps it) */
static void quota_conn_settings(const struct rw_config *cfg, struct redis_settings *s)
{
	redis_settings_from_config(s, cfg);
	s->timeout_ms = cfg->redis.timeout_ms > QUOTA_MIN_TIMEOUT_MS ? cfg->redis.timeout_ms
								     : QUOTA_MIN_TIMEOUT_MS;
	s->connect_timeout_ms = cfg->redis.connect_timeout_ms > QUOTA_MIN_TIMEOUT_MS
				? cfg->redis.connect_timeout_ms : QUOTA_MIN_TIMEOUT_MS;
	s->connections = 1;
}

/* quota_conn_where - "redis A, B" or "redis master M via sentinels A, B" */
static char *quota_conn_where(const struct redis_settings *s)
{
	const struct strvec *v = s->sentinels.n ? &s->sentinels : &s->servers;
	struct buf b = BUF_INIT;

	buf_puts(&b, "redis ");
	if (s->sentinels.n)
		buf_printf(&b, "master %s via sentinels ", s->master_name ? s->master_name : "?");
	for (size_t i = 0; i < v->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", v->v[i]);
	return buf_detach(&b);
}

/* quota_conn_open - see quota.h */
int quota_conn_open(const struct rw_config *cfg, struct quota_conn *c)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (cfg->redis.servers.n == 0 && cfg->redis.sentinels.n == 0)
		return quota_fail(QUOTA_EXIT_USAGE, "%s has no redis servers or sentinels: "
				  "limits count in each process alone, there is nothing to "
				  "manage", cfg->path);
	quota_conn_settings(cfg, &s);
	c->where = quota_conn_where(&s);
	c->redis = redis_sync_new(&s, &err);
	if (c->redis == NULL)
		rc = quota_fail(QUOTA_EXIT_USAGE, "%s: %s", c->where, buf_cstr(&err));
	redis_settings_release(&s);
	buf_release(&err);
	return rc;
}

/* quota_conn_close - free the client */
void quota_conn_close(struct quota_conn *c)
{
	redis_sync_free(&c->redis);
	free(c->where);
	c->where = NULL;
}

/* quota_cmd - run argv; NULL after printing the failure */
redisReply *quota_cmd(struct quota_conn *c, int argc, const char **argv)
{
	redisReply *r = NULL;
	enum redis_status st = redis_sync_command(c->redis, argc, argv, NULL, &r);

	if (st == REDIS_ST_OK)
		return r;
	quota_fail(QUOTA_EXIT_REDIS, "%s: %s %s: %s", c->where, argv[0], redis_status_name(st),
		   st == REDIS_ST_ERROR && r != NULL ? r->str : redis_sync_error(c->redis));
	if (r != NULL)
		freeReplyObject(r);
	return NULL;
}

/* quota_cmd_ok - run argv, discard the reply */
int quota_cmd_ok(struct quota_conn *c, int argc, const char **argv)
{
	redisReply *r = quota_cmd(c, argc, argv);

	if (r == NULL)
		return QUOTA_EXIT_REDIS;
	freeReplyObject(r);
	return 0;
}
