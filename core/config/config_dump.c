/*
 * config_dump - the effective settings of a snapshot in relaywarden.conf
 * syntax: every option with its default filled in, file names resolved,
 * what each included file contributed as a count in a comment, and the
 * digest. The output loads again as a config with the same meaning. Strings
 * are quoted with '"', '\', '$' and control bytes escaped (\xHH), so no
 * value is re-interpreted (libconfuse expands ${VAR} in strings).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/limits/customers.h"
#include "core/engine/fprint.h"
#include "core/limits/limits.h"
#include "core/engine/policy.h"

/* dump_quote - s as a double-quoted libconfuse string */
static void dump_quote(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || *p == '$')
			buf_printf(out, "\\x%02x", *p);
		else
			buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

/* dump_list - NAME = { "a", "b" } without the newline */
static void dump_list(struct buf *out, const char *indent, const char *name,
		      const struct strvec *v)
{
	buf_printf(out, "%s%s = {", indent, name);
	for (size_t i = 0; i < v->n; i++) {
		buf_puts(out, i > 0 ? ", " : " ");
		dump_quote(out, v->v[i]);
	}
	buf_puts(out, " }");
}

/* dump_srclist - the list, "# + N from FILE" per file, then the _files option */
static void dump_srclist(struct buf *out, const char *indent, const char *name,
			 const char *files_name, const struct config_srclist *l)
{
	struct strvec files = STRVEC_INIT;

	if (name != NULL) {
		dump_list(out, indent, name, &l->values);
		for (size_t i = 0; i < l->n_files; i++)
			buf_printf(out, "%s+ %zu from %s", i == 0 ? "  # " : ", ",
				   l->files[i].n, l->files[i].path);
		buf_putc(out, '\n');
	}
	for (size_t i = 0; i < l->n_files; i++)
		strvec_add(&files, l->files[i].path);
	dump_list(out, indent, files_name, &files);
	for (size_t i = 0; name == NULL && i < l->n_files; i++)
		buf_printf(out, "%s%zu from %s", i == 0 ? "  # " : ", ", l->files[i].n,
			   l->files[i].path);
	buf_putc(out, '\n');
	strvec_release(&files);
}

/* dump_sasl - the options of a sasl rule */
static void dump_sasl(struct buf *out, const struct rw_rule *r)
{
	dump_list(out, "\t", "listeners", &r->listeners);
	buf_puts(out, "\n\tports = {");
	for (size_t i = 0; i < r->n_ports; i++)
		buf_printf(out, "%s%u", i > 0 ? ", " : " ", r->ports[i]);
	buf_printf(out, " }\n\trequire_tls = %s\n\tsender_login = %s\n",
		   r->require_tls ? "true" : "false",
		   r->enforce_sender_login ? "enforce" : "any");
}

/* dump_fps - a fingerprint list in canonical form (no source record) */
static void dump_fps(struct buf *out, const char *name, const struct rw_fprint *v, size_t n)
{
	char text[FPRINT_MAX * 3];

	buf_printf(out, "\t%s = {", name);
	for (size_t i = 0; i < n; i++) {
		fprint_format(&v[i], text);
		buf_puts(out, i > 0 ? ", " : " ");
		dump_quote(out, text);
	}
	buf_puts(out, " }\n");
}

/* dump_rule - one relay section */
static void dump_rule(struct buf *out, const struct rw_rule *r, const struct config_srcrule *s)
{
	static const char *const kinds[] = {
		[RULE_SASL] = "sasl", [RULE_NETWORK] = "network", [RULE_CERT] = "certificate",
	};

	buf_puts(out, "relay ");
	dump_quote(out, r->name);
	buf_printf(out, " {\n\ttype = %s\n", kinds[r->kind]);
	if (r->kind == RULE_SASL) {
		dump_sasl(out, r);
	} else if (r->kind == RULE_NETWORK && s != NULL) {
		dump_srclist(out, "\t", "networks", "networks_files", &s->networks);
	} else if (r->kind == RULE_NETWORK) {
		buf_printf(out, "\t# %zu networks (source not kept)\n",
			   cidr_table_size(r->networks));
	} else if (s != NULL) {
		dump_srclist(out, "\t", "fingerprints", "fingerprints_files", &s->fingerprints);
		dump_srclist(out, "\t", "pubkey_fingerprints", "pubkey_fingerprints_files",
			     &s->pubkey_fingerprints);
	} else {
		dump_fps(out, "fingerprints", r->fingerprints, r->n_fingerprints);
		dump_fps(out, "pubkey_fingerprints", r->pubkey_fingerprints,
			 r->n_pubkey_fingerprints);
	}
	if (r->kind == RULE_CERT && r->subject != NULL) {
		buf_puts(out, "\tsubject = ");
		dump_quote(out, r->subject);
		buf_puts(out, "\n\tissuer = ");
		dump_quote(out, r->issuer);
		buf_putc(out, '\n');
	}
	buf_puts(out, "}\n");
}

/* dump_top - instance, domains, sender logins */
static void dump_top(struct buf *out, const struct rw_config *c)
{
	const struct config_src *s = c->src;

	buf_puts(out, "instance = ");
	dump_quote(out, c->instance_name != NULL ? c->instance_name : "");
	buf_puts(out, "\nuser = ");
	dump_quote(out, c->user != NULL ? c->user : "");
	buf_puts(out, c->user != NULL ? "\n" : "  # the daemons keep the user they were started as\n");
	if (s == NULL) {
		buf_printf(out, "# %zu local_domains, %zu relay_domains, %zu sender logins"
			   " (source not kept)\n", domainset_size(c->policy->local_domains),
			   domainset_size(c->policy->relay_domains),
			   sender_login_size(c->policy->sender_login));
		return;
	}
	dump_list(out, "", "local_domains", &s->local_domains);
	dump_list(out, "\n", "relay_domains", &s->relay_domains);
	buf_putc(out, '\n');
	dump_srclist(out, "", NULL, "sender_login_files", &s->login_files);
	for (size_t i = 0; i < s->logins.n; i++) {
		buf_puts(out, "sender_login ");
		dump_quote(out, s->logins.v[i]);
		buf_puts(out, " {\n");
		dump_list(out, "\t", "senders", &s->senders[i]);
		buf_puts(out, "\n}\n");
	}
}

/* dump_daemon - policyd, audit, log */
static void dump_daemon(struct buf *out, const struct rw_config *c)
{
	buf_puts(out, "policyd {\n");
	dump_list(out, "\t", "listen", &c->policyd.listen);
	buf_printf(out, "\n\tsocket_mode = \"%04o\"\n\tmax_connections = %u\n\tworkers = %u\n"
		   "\tidle_timeout = %u\n\trequest_timeout = %u\n\tmax_line_length = %zu\n"
		   "\tmax_attributes = %zu\n\tmax_request_size = %zu\n\tmetrics = ",
		   c->policyd.socket_mode, c->policyd.max_connections, c->policyd.workers,
		   c->policyd.idle_timeout,
		   c->policyd.request_timeout,
		   c->policyd.max_line_length, c->policyd.max_attributes,
		   c->policyd.max_request_size);
	dump_quote(out, c->policyd.metrics != NULL ? c->policyd.metrics : "");
	buf_puts(out, c->policyd.metrics != NULL ? "\n}\n" : "  # no metrics endpoint\n}\n");
	config_milter_dump(c, out);
	config_spf_dump(c, out);
	buf_puts(out, "audit {\n\tfile = ");
	dump_quote(out, c->audit.file != NULL ? c->audit.file : "");
	buf_printf(out, "%s\n\tsyslog = %s\n\tfsync = %s\n\thmac_key_file = ",
		   c->audit.file != NULL ? "" : "  # no file sink",
		   c->audit.syslog ? "true" : "false", c->audit.fsync ? "true" : "false");
	dump_quote(out, c->audit.hmac_key_file != NULL ? c->audit.hmac_key_file : "");
	buf_puts(out, c->audit.hmac_key_file != NULL ? "\n\tsigning_key_file = " : "  # no mac\n\tsigning_key_file = ");
	dump_quote(out, c->audit.signing_key_file != NULL ? c->audit.signing_key_file : "");
	buf_printf(out, "%s\n\tcheckpoint_records = %u\n\tcheckpoint_seconds = %u\n}\n",
		   c->audit.signing_key_file != NULL ? "" : "  # no signed checkpoints",
		   c->audit.checkpoint_records, c->audit.checkpoint_seconds);
	buf_printf(out, "log {\n\ttarget = %s\n\tfacility = %s\n\tdebug = %s\n\tdecisions = %s\n}\n",
		   c->log.target == LOG_TO_STDERR ? "stderr" : "syslog",
		   config_facility_name(c->log.facility), c->log.debug ? "true" : "false",
		   c->log.decisions ? "true" : "false");
}

/* dump_period - a rate's period as its largest exact unit */
static void dump_period(struct buf *out, uint64_t s)
{
	static const struct { uint64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};

	for (size_t i = 0; i < CONFIG_NELEM(units); i++) {
		if (s % units[i].secs == 0) {
			buf_printf(out, "%llu%c", (unsigned long long)(s / units[i].secs),
				   units[i].unit);
			return;
		}
	}
}

/* dump_limit - one limit or quota section */
static void dump_limit(struct buf *out, const struct rw_limit *l)
{
	static const char *const fails[] = { "", "tempfail", "accept", "local" };

	buf_puts(out, l->kind == LIMIT_QUOTA ? "quota " : "limit ");
	dump_quote(out, l->name);
	buf_printf(out, " {\n\tcharge = %s\n", limits_charge_name(l->charge));
	if (l->charge == CHARGE_CLIENT_PREFIX)
		buf_printf(out, "\tprefix4 = %u\n\tprefix6 = %u\n", l->prefix4, l->prefix6);
	if (l->kind == LIMIT_RATE) {
		buf_printf(out, "\tunit = %s\n\trate = \"%llu/", limits_unit_name(l->unit),
			   (unsigned long long)l->rate);
		dump_period(out, l->period_s);
		buf_printf(out, "\"\n\tburst = %llu\n", (unsigned long long)l->burst);
	} else {
		buf_printf(out, "\twindow = %s\n\tmessages = %llu\n\trecipients = %llu\n"
			   "\tbytes = %llu\n", limits_window_name(l->window),
			   (unsigned long long)l->max_messages,
			   (unsigned long long)l->max_recipients, (unsigned long long)l->max_bytes);
	}
	buf_printf(out, "\tmode = %s\n\treply = %s\n\ton_store_failure = %s\n",
		   mode_name(l->mode), l->permanent ? "permanent" : "temporary",
		   fails[l->on_failure]);
	if (l->on_failure == FAIL_LOCAL)
		buf_printf(out, "\tlocal_share = %u\n", l->local_share);
	buf_puts(out, "}\n");
}

/* dump_customers - customer sections as written, customer_files with counts */
static void dump_customers(struct buf *out, const struct rw_config *c)
{
	const struct config_src *s = c->src;

	if (s == NULL) {
		buf_printf(out, "# %zu customers, %zu mappings (source not kept)\n",
			   customers_count(c->policy->customers),
			   customers_size(c->policy->customers));
		return;
	}
	dump_srclist(out, "", NULL, "customer_files", &s->customer_files);
	for (size_t i = 0; i < s->customer_ids.n; i++) {
		const struct config_srccustomer *cu = &s->customers[i];

		buf_puts(out, "customer ");
		dump_quote(out, s->customer_ids.v[i]);
		buf_puts(out, " {\n");
		dump_list(out, "\t", "users", &cu->users);
		dump_list(out, "\n\t", "sender_domains", &cu->sender_domains);
		dump_list(out, "\n\t", "networks", &cu->networks);
		dump_list(out, "\n\t", "fingerprints", &cu->fingerprints);
		buf_puts(out, "\n}\n");
	}
}

/* dump_redis - the redis section; the password is never shown */
static void dump_redis(struct buf *out, const struct rw_config *c)
{
	buf_puts(out, "redis {\n");
	dump_list(out, "\t", "servers", &c->redis.servers);
	dump_list(out, "\n\t", "sentinels", &c->redis.sentinels);
	buf_putc(out, '\n');
	if (c->redis.master_name != NULL) {
		buf_puts(out, "\tmaster_name = ");
		dump_quote(out, c->redis.master_name);
		buf_putc(out, '\n');
	}
	if (c->redis.password != NULL)
		buf_puts(out, "\t# password = (set, not shown)\n");
	buf_printf(out, "\tdatabase = %u\n\ttimeout_ms = %u\n\tconnect_timeout_ms = %u\n"
		   "\tconnections = %u\n}\n", c->redis.database, c->redis.timeout_ms,
		   c->redis.connect_timeout_ms, c->redis.connections);
}

/* dump_limits - timezone, charge_at, customers, limits, quotas, redis */
static void dump_limits(struct buf *out, const struct rw_config *c)
{
	const struct rw_policy *p = c->policy;

	buf_puts(out, "timezone = ");
	dump_quote(out, p->timezone);
	buf_printf(out, "\ncharge_at = %s\n",
		   p->charge_at == CHARGE_AT_MILTER ? "milter" : "policyd");
	dump_customers(out, c);
	for (size_t i = 0; i < p->n_limits; i++)
		dump_limit(out, &p->limits[i]);
	dump_redis(out, c);
}

/* config_dump - the effective settings in relaywarden.conf syntax */
void config_dump(const struct rw_config *c, struct buf *out)
{
	buf_printf(out, "# relaywarden.conf: effective settings of %s\n",
		   c->path != NULL ? c->path : "(built in)");
	buf_printf(out, "# digest sha256:%s\n", c->digest);
	dump_top(out, c);
	for (size_t i = 0; i < c->policy->n_rules; i++)
		dump_rule(out, &c->policy->rules[i],
			  c->src != NULL && i < c->src->n_rules ? &c->src->rules[i] : NULL);
	if (c->policy->n_rules == 0)
		buf_puts(out, "# no relay rules: nothing relays (default deny)\n");
	dump_limits(out, c);
	dump_daemon(out, c);
}
