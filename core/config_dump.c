/*
 * config_dump - the effective settings of a snapshot in relaywarden.conf
 * syntax: every option with its default filled in, file names resolved,
 * what each included file contributed as a count in a comment, and the
 * digest. The output loads again as a config with the same meaning. Strings
 * are quoted with '"', '\', '$' and control bytes escaped (\xHH), so no
 * value is re-interpreted (libconfuse expands ${VAR} in strings).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/config_int.h"
#include "core/fprint.h"
#include "core/policy.h"

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
	buf_putc(out, '\n');
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
	buf_printf(out, "\n\tsocket_mode = \"%04o\"\n\tmax_connections = %u\n"
		   "\tidle_timeout = %u\n\tmax_line_length = %zu\n\tmax_attributes = %zu\n"
		   "\tmax_request_size = %zu\n}\n", c->policyd.socket_mode,
		   c->policyd.max_connections, c->policyd.idle_timeout,
		   c->policyd.max_line_length, c->policyd.max_attributes,
		   c->policyd.max_request_size);
	buf_puts(out, "audit {\n\tfile = ");
	dump_quote(out, c->audit.file != NULL ? c->audit.file : "");
	buf_printf(out, "%s\n\tsyslog = %s\n\tfsync = %s\n}\n",
		   c->audit.file != NULL ? "" : "  # no file sink",
		   c->audit.syslog ? "true" : "false", c->audit.fsync ? "true" : "false");
	buf_printf(out, "log {\n\ttarget = %s\n\tfacility = %s\n\tdebug = %s\n}\n",
		   c->log.target == LOG_TO_STDERR ? "stderr" : "syslog",
		   config_facility_name(c->log.facility), c->log.debug ? "true" : "false");
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
	dump_daemon(out, c);
}
