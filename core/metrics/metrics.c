/* metrics - the process's Prometheus series; see metrics.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/config/config.h"
#include "core/dns/dns.h"
#include "core/limits/limits.h"
#include "core/util/log.h"
#include "core/metrics/metrics.h"
#include "core/redis/redis.h"

#define METRICS_STAGES (STAGE_ETRN + 1)
#define METRICS_ACTIONS (ACT_DEFER + 1)
#define METRICS_BUCKETS 16
#define METRICS_REDIS_KINDS (REDIS_ST_DISCONNECTED + 1)
#define METRICS_DNS_KINDS (DNS_TIMEOUT + 1)

/* histogram bucket bounds, microseconds (le="0.0001" ... le="10") */
static const uint64_t metrics_le_us[METRICS_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

struct metrics_hist {
	unsigned long bucket[METRICS_BUCKETS];	/* not cumulative; +Inf = count */
	unsigned long count;
	unsigned long long sum_us;
};

/* a configured name: a rule, or a limit or quota (kind) */
struct metrics_name {
	const char *name;		/* owned, never freed (the series outlive reloads) */
	int limit_kind;			/* 0: a relay rule; LIMIT_RATE, LIMIT_QUOTA */
	unsigned long decisions[METRICS_ACTIONS];	/* rule_decisions_total */
	unsigned long refusals;		/* limit_refusals_total */
};

static struct {
	const char *component;
	unsigned long counter[MC_COUNT];
	unsigned long decisions[METRICS_STAGES][METRICS_ACTIONS];
	unsigned long no_rule[METRICS_ACTIONS];		/* rule="none" */
	unsigned long other_rule[METRICS_ACTIONS];	/* a name past METRICS_MAX_NAMES */
	unsigned long refusals[REASON_COUNT];
	unsigned long redis_errors[METRICS_REDIS_KINDS];
	unsigned long dns_failures[METRICS_DNS_KINDS];
	unsigned long audit_written, audit_lost;
	struct metrics_hist decision, redis, dns;
	pthread_mutex_t lock;		/* metrics_configure's writers */
	size_t n_names;			/* published with release; entries below are immutable */
	struct metrics_name names[METRICS_MAX_NAMES];
} M = { .component = "relaywarden", .lock = PTHREAD_MUTEX_INITIALIZER };

/* metrics_add - a relaxed atomic add */
static inline void metrics_add(unsigned long *p, unsigned long n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

/* metrics_get - a relaxed atomic read */
static inline unsigned long metrics_get(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* metrics_observe - one observation of usec into h */
static void metrics_observe(struct metrics_hist *h, uint64_t usec)
{
	size_t i = 0;

	while (i < METRICS_BUCKETS && usec > metrics_le_us[i])
		i++;
	if (i < METRICS_BUCKETS)
		metrics_add(&h->bucket[i], 1);
	metrics_add(&h->count, 1);
	__atomic_fetch_add(&h->sum_us, (unsigned long long)usec, __ATOMIC_RELAXED);
}

void metrics_init(const char *component)
{
	M.component = component;
}

/* metrics_find - the registered name of kind (0: rule), or NULL */
static struct metrics_name *metrics_find(const char *name, int limit_kind)
{
	size_t n = __atomic_load_n(&M.n_names, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < n; i++)
		if (M.names[i].limit_kind == limit_kind && strcmp(M.names[i].name, name) == 0)
			return &M.names[i];
	return NULL;
}

/* metrics_register - add name of kind unless known (M.lock held) */
static void metrics_register(const char *name, int limit_kind)
{
	size_t n = M.n_names;

	if (name == NULL || metrics_find(name, limit_kind) != NULL || n == METRICS_MAX_NAMES)
		return;
	M.names[n].name = strdup(name);
	if (M.names[n].name == NULL)
		return;
	M.names[n].limit_kind = limit_kind;
	__atomic_store_n(&M.n_names, n + 1, __ATOMIC_RELEASE);
}

void metrics_configure(const struct rw_config *cfg)
{
	const struct rw_policy *p = cfg->policy;

	pthread_mutex_lock(&M.lock);
	for (size_t i = 0; i < p->n_rules; i++)
		metrics_register(p->rules[i].name, 0);
	for (size_t i = 0; i < p->n_limits; i++) {
		metrics_register(p->limits[i].name, 0);	/* a limit decides as a rule */
		metrics_register(p->limits[i].name, (int)p->limits[i].kind);
	}
	pthread_mutex_unlock(&M.lock);
}

void metrics_count(enum metrics_counter c)
{
	metrics_add(&M.counter[c], 1);
}

void metrics_decision(const struct rw_txn *t, const struct rw_verdict *v,
		      const struct limit_plan *plan, const struct limit_result *results,
		      uint64_t usec)
{
	struct metrics_name *n;

	metrics_add(&M.decisions[t->stage < METRICS_STAGES ? t->stage : 0][v->action], 1);
	if (v->rule == NULL)
		metrics_add(&M.no_rule[v->action], 1);
	else if ((n = metrics_find(v->rule, 0)) != NULL)
		metrics_add(&n->decisions[v->action], 1);
	else
		metrics_add(&M.other_rule[v->action], 1);
	if (v->reason != REASON_NONE)
		metrics_add(&M.refusals[v->reason < REASON_COUNT ? v->reason : REASON_OTHER], 1);
	if ((v->reason == REASON_LIMIT || v->reason == REASON_QUOTA) && v->rule != NULL &&
	    (n = metrics_find(v->rule, v->reason == REASON_QUOTA ? LIMIT_QUOTA : LIMIT_RATE)) != NULL)
		metrics_add(&n->refusals, 1);
	for (size_t i = 0; plan != NULL && results != NULL && i < plan->n; i++)
		if (results[i].degraded && plan->v[i].limit->on_failure == FAIL_LOCAL) {
			metrics_count(MC_LOCAL_FALLBACK);
			break;
		}
	metrics_observe(&M.decision, usec);
}

void metrics_redis(int st, uint64_t usec)
{
	if (st > REDIS_ST_OK && st < METRICS_REDIS_KINDS)
		metrics_add(&M.redis_errors[st], 1);
	metrics_observe(&M.redis, usec);
}

void metrics_dns(int st, uint64_t usec)
{
	if ((st == DNS_SERVFAIL || st == DNS_TIMEOUT) && st < METRICS_DNS_KINDS)
		metrics_add(&M.dns_failures[st], 1);
	metrics_observe(&M.dns, usec);
}

void metrics_audit(unsigned long written, unsigned long lost)
{
	if (written > 0)
		metrics_add(&M.audit_written, written);
	if (lost > 0)
		metrics_add(&M.audit_lost, lost);
}

void metrics_gauges_set(struct metrics_gauges *g, const char *store, const char *digest)
{
	snprintf(g->store, sizeof(g->store), "%s", store != NULL ? store : "local");
	snprintf(g->config_digest, sizeof(g->config_digest), "%s", digest != NULL ? digest : "");
}

int metrics_store_ready(const struct rw_config *cfg, int degraded)
{
	const struct rw_policy *p = cfg->policy;

	for (size_t i = 0; degraded && i < p->n_limits; i++)
		if (p->limits[i].mode == MODE_ENFORCE && p->limits[i].on_failure == FAIL_TEMPFAIL)
			return 0;
	return 1;
}

/* --- exposition ---------------------------------------------------------- */

/* metrics_family - the HELP and TYPE lines of one family */
static void metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP relaywarden_%s %s\n# TYPE relaywarden_%s %s\n", name, help, name,
		   type);
}

/* metrics_label - key="value" with \, " and newline escaped, after a comma unless first */
static void metrics_label(struct buf *out, int first, const char *key, const char *s)
{
	buf_printf(out, "%s%s=\"", first ? "" : ",", key);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(out, '\\');
		if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

/* metrics_sample - "relaywarden_name{labels} v" (labels "" for none) */
static void metrics_sample(struct buf *out, const char *name, const char *labels,
			   unsigned long v)
{
	buf_printf(out, "relaywarden_%s%s%s%s %lu\n", name, *labels ? "{" : "", labels,
		   *labels ? "}" : "", v);
}

/* metrics_one - a family with one unlabelled sample */
static void metrics_one(struct buf *out, const char *name, const char *type, const char *help,
			unsigned long v)
{
	metrics_family(out, name, type, help);
	metrics_sample(out, name, "", v);
}

/* metrics_hist_format - a histogram family in seconds */
static void metrics_hist_format(struct buf *out, const char *name, const char *help,
				const struct metrics_hist *h)
{
	unsigned long cum = 0;

	metrics_family(out, name, "histogram", help);
	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cum += metrics_get(&h->bucket[i]);
		buf_printf(out, "relaywarden_%s_bucket{le=\"%g\"} %lu\n", name,
			   (double)metrics_le_us[i] / 1e6, cum);
	}
	buf_printf(out, "relaywarden_%s_bucket{le=\"+Inf\"} %lu\n", name, metrics_get(&h->count));
	buf_printf(out, "relaywarden_%s_sum %.6f\n", name,
		   (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6);
	buf_printf(out, "relaywarden_%s_count %lu\n", name, metrics_get(&h->count));
}

/* metrics_decisions_format - decisions by stage and verdict, by rule and verdict */
static void metrics_decisions_format(struct buf *out, size_t n_names)
{
	struct buf l = BUF_INIT;

	metrics_family(out, "decisions_total", "counter",
		       "Decisions answered, by protocol stage and verdict.");
	for (int st = 0; st < METRICS_STAGES; st++)
		for (int a = 0; a < METRICS_ACTIONS; a++) {
			buf_truncate(&l, 0);
			metrics_label(&l, 1, "stage", txn_stage_name(st));
			metrics_label(&l, 0, "verdict", verdict_action_name(a));
			metrics_sample(out, "decisions_total", buf_cstr(&l), metrics_get(&M.decisions[st][a]));
		}
	metrics_family(out, "rule_decisions_total", "counter",
		       "Decisions by the rule, limit or quota that decided (none: the default).");
	for (int a = 0; a < METRICS_ACTIONS; a++) {
		for (size_t i = 0; i < n_names; i++) {
			if (M.names[i].limit_kind != 0)
				continue;
			buf_truncate(&l, 0);
			metrics_label(&l, 1, "rule", M.names[i].name);
			metrics_label(&l, 0, "verdict", verdict_action_name(a));
			metrics_sample(out, "rule_decisions_total", buf_cstr(&l),
				       metrics_get(&M.names[i].decisions[a]));
		}
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "rule", "none");
		metrics_label(&l, 0, "verdict", verdict_action_name(a));
		metrics_sample(out, "rule_decisions_total", buf_cstr(&l), metrics_get(&M.no_rule[a]));
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "rule", "other");
		metrics_label(&l, 0, "verdict", verdict_action_name(a));
		metrics_sample(out, "rule_decisions_total", buf_cstr(&l), metrics_get(&M.other_rule[a]));
	}
	buf_release(&l);
}

/* metrics_refusals_format - refusals by reason; limit and quota refusals by name */
static void metrics_refusals_format(struct buf *out, size_t n_names)
{
	struct buf l = BUF_INIT;

	metrics_family(out, "refusals_total", "counter",
		       "Refusals (reject or defer) by reason.");
	for (int r = REASON_OTHER; r < REASON_COUNT; r++) {
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "reason", verdict_reason_name(r));
		metrics_sample(out, "refusals_total", buf_cstr(&l), metrics_get(&M.refusals[r]));
	}
	metrics_family(out, "limit_refusals_total", "counter",
		       "Refusals by a rate limit or quota (its fail mode included), by name.");
	for (size_t i = 0; i < n_names; i++) {
		if (M.names[i].limit_kind == 0)
			continue;
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "kind", M.names[i].limit_kind == LIMIT_QUOTA ? "quota" : "limit");
		metrics_label(&l, 0, "name", M.names[i].name);
		metrics_sample(out, "limit_refusals_total", buf_cstr(&l),
			       metrics_get(&M.names[i].refusals));
	}
	buf_release(&l);
}

/* metrics_kinds_format - a counter family labelled kind=<status name> */
static void metrics_kinds_format(struct buf *out, const char *name, const char *help,
				 const unsigned long *v, const int *kinds, size_t n,
				 const char *(*kind_name)(int))
{
	struct buf l = BUF_INIT;

	metrics_family(out, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "kind", kind_name(kinds[i]));
		metrics_sample(out, name, buf_cstr(&l), metrics_get(&v[kinds[i]]));
	}
	buf_release(&l);
}

static const char *metrics_redis_kind(int st)
{
	return redis_status_name((enum redis_status)st);
}

static const char *metrics_dns_kind(int st)
{
	return dns_status_name((enum dns_status)st);
}

/* metrics_store_format - the store's state as a one-hot gauge, degraded and ready */
static void metrics_store_format(const struct metrics_gauges *g, struct buf *out)
{
	static const char *const states[] = { "redis", "failing", "breaker_open", "local" };
	const char *s = *g->store ? g->store : "local";
	const char *now = strstr(s, "breaker") ? "breaker_open" :
			  strstr(s, "failing") || strstr(s, "degraded") ? "failing" :
			  strncmp(s, "redis", 5) == 0 ? "redis" : "local";
	struct buf l = BUF_INIT;

	metrics_family(out, "store_state", "gauge",
		       "The rate-limit store: 1 for the state it is in now.");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		buf_truncate(&l, 0);
		metrics_label(&l, 1, "state", states[i]);
		metrics_sample(out, "store_state", buf_cstr(&l), strcmp(now, states[i]) == 0);
	}
	metrics_one(out, "store_degraded", "gauge",
		    "1 while the rate-limit store is failing and limits apply their fail mode.",
		    (unsigned long)g->degraded);
	metrics_one(out, "ready", "gauge",
		    "1 when ready to serve (0 while a failing store makes limits defer).",
		    (unsigned long)g->ready);
	buf_release(&l);
}

void metrics_format(const struct metrics_gauges *g, struct buf *out)
{
	static const int redis_kinds[] = { REDIS_ST_ERROR, REDIS_ST_NOSCRIPT, REDIS_ST_TIMEOUT,
					   REDIS_ST_DISCONNECTED };
	static const int dns_kinds[] = { DNS_SERVFAIL, DNS_TIMEOUT };
	size_t n_names = __atomic_load_n(&M.n_names, __ATOMIC_ACQUIRE);
	struct buf l = BUF_INIT;

	metrics_decisions_format(out, n_names);
	metrics_refusals_format(out, n_names);
	metrics_hist_format(out, "decision_duration_seconds",
			    "From a complete request to its answer.", &M.decision);
	metrics_one(out, "local_fallback_decisions_total", "counter",
		    "Decisions whose limits ran on the in-process fallback store.",
		    metrics_get(&M.counter[MC_LOCAL_FALLBACK]));
	metrics_hist_format(out, "redis_command_duration_seconds",
			    "Redis commands, from sending to the reply (or the deadline).", &M.redis);
	metrics_kinds_format(out, "redis_errors_total", "Redis commands that failed, by kind.",
			     M.redis_errors, redis_kinds, 4, metrics_redis_kind);
	metrics_one(out, "redis_reconnects_total", "counter",
		    "Redis connections established again after one was lost or failed.",
		    metrics_get(&M.counter[MC_REDIS_RECONNECTS]));
	metrics_store_format(g, out);
	metrics_hist_format(out, "dns_query_duration_seconds",
			    "DNS queries sent (cache hits not counted), to their answer.", &M.dns);
	metrics_kinds_format(out, "dns_failures_total", "DNS queries that failed, by kind.",
			     M.dns_failures, dns_kinds, 2, metrics_dns_kind);
	metrics_family(out, "audit_records_total", "counter",
		       "Audit records that reached the audit file, or were lost.");
	metrics_sample(out, "audit_records_total", "result=\"written\"", metrics_get(&M.audit_written));
	metrics_sample(out, "audit_records_total", "result=\"lost\"", metrics_get(&M.audit_lost));
	metrics_one(out, "audit_write_failures_total", "counter",
		    "Audit file writes that failed (records lost; see the log).",
		    metrics_get(&M.counter[MC_AUDIT_WRITE_FAILURES]));
	metrics_family(out, "reloads_total", "counter", "Configuration reloads, by result.");
	metrics_sample(out, "reloads_total", "result=\"ok\"", metrics_get(&M.counter[MC_RELOADS_OK]));
	metrics_sample(out, "reloads_total", "result=\"refused\"",
		       metrics_get(&M.counter[MC_RELOADS_REFUSED]));
	metrics_family(out, "config_info", "gauge", "The configuration in effect (its digest).");
	metrics_label(&l, 1, "config_digest", g->config_digest);
	metrics_sample(out, "config_info", buf_cstr(&l), 1);
	buf_truncate(&l, 0);
	metrics_family(out, "build_info", "gauge", "The program and its version.");
	metrics_label(&l, 1, "component", M.component);
	metrics_label(&l, 0, "version", PACKAGE_VERSION);
	metrics_sample(out, "build_info", buf_cstr(&l), 1);
	metrics_one(out, "log_lines_dropped_total", "counter",
		    "Syslog lines dropped: no syslog daemon listening, or it fell behind.",
		    log_dropped());
	metrics_one(out, "connections", "gauge", "MTA connections (milter: sessions) open now.",
		    g->connections);
	metrics_one(out, "connections_total", "counter", "MTA connections accepted.",
		    metrics_get(&M.counter[MC_CONNECTIONS]));
	metrics_one(out, "bad_requests_total", "counter",
		    "Malformed or oversized requests (connection closed, no reply).",
		    metrics_get(&M.counter[MC_BAD_REQUESTS]));
	metrics_one(out, "accept_failures_total", "counter",
		    "accept(2) failures (EMFILE...), each followed by a pause.",
		    metrics_get(&M.counter[MC_ACCEPT_FAILURES]));
	metrics_one(out, "request_timeouts_total", "counter",
		    "Connections closed because a request was not complete in request_timeout.",
		    metrics_get(&M.counter[MC_REQUEST_TIMEOUTS]));
	metrics_one(out, "evictions_total", "counter",
		    "Connections closed at max_connections to let a new one in.",
		    metrics_get(&M.counter[MC_EVICTIONS]));
	buf_release(&l);
}
