/*
 * config_spf - the `dns` and `spf` sections of relaywarden.conf: the shared
 * resolver's upstreams and timeout, and what policyd does with SPF results;
 * see config_int.h and schema/config-reference.md. The option table itself
 * is in config.c.
 *
 *   dns { upstreams = { "127.0.0.1@5353" }  timeout_ms = 2000 }
 *   spf { inbound = off|shadow|tag|defer|reject  egress = ...
 *         egress_addresses = { "192.0.2.10", "2001:db8::10" }
 *         budget_ms = 3000  receiver = "mx.example.test" }
 *
 * upstreams: "IP" or "IP@PORT" (IPv4 or IPv6 address, port 1-65535); none:
 * /etc/resolv.conf. egress_addresses: plain addresses (no prefix, no
 * duplicates). receiver: a host name. Cross-field: egress other than off needs egress_addresses.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "core/engine/cidr.h"
#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/util/mem.h"
#include "core/spf/spf_policy.h"

#define CONFIG_SPF_HOSTCHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

/* config_spf_fail - an error at the parser's position; returns -1 */
static int config_spf_fail(cfg_t *cfg, cfg_opt_t *opt, const char *s, const char *why)
{
	if (config_current() != NULL)
		config_fail(config_current(), cfg->filename, cfg->line, cfg, opt->name,
			    "'%s': %s", s, why);
	return -1;
}

/* config_spf_value - note and return the value being validated */
static const char *config_spf_value(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, config_note(cfg, opt));

	return s != NULL ? s : "";
}

/* config_spf_upstream_ok - "IP" or "IP@PORT" */
static int config_spf_upstream_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	struct rw_ip ip;
	char *host, *end;
	unsigned long port = 53;
	int ok;

	if (at != NULL) {
		if (at[1] < '0' || at[1] > '9' || strlen(at + 1) > 5)
			return 0;
		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (*end != '\0' || errno != 0)
			return 0;
	}
	host = rw_strndup(s, at != NULL ? (size_t)(at - s) : strlen(s));
	ok = strchr(host, '/') == NULL && cidr_parse_ip(host, &ip) == 0;
	free(host);
	return ok && port >= 1 && port <= 65535;
}

/* config_v_upstream - "IP" or "IP@PORT" */
int config_v_upstream(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_spf_value(cfg, opt);

	if (!config_spf_upstream_ok(s))
		return config_spf_fail(cfg, opt, s, "not IP or IP@PORT (port 1-65535)");
	return 0;
}

/* config_v_ip - one IPv4 or IPv6 address */
int config_v_ip(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = config_spf_value(cfg, opt);
	struct rw_ip ip;

	if (strchr(s, '/') != NULL || cidr_parse_ip(s, &ip) < 0)
		return config_spf_fail(cfg, opt, s, "not an IPv4 or IPv6 address");
	return 0;
}

/* config_spf_egress - egress_addresses, no duplicates; 0 or -1 */
static int config_spf_egress(struct config_ctx *x, cfg_t *sec, struct rw_config *c)
{
	unsigned n = cfg_size(sec, "egress_addresses");

	c->spf.egress_addresses = rw_calloc(n ? n : 1, sizeof(*c->spf.egress_addresses));
	for (unsigned i = 0; i < n; i++) {
		struct rw_ip *ip = &c->spf.egress_addresses[i];

		cidr_parse_ip(cfg_getnstr(sec, "egress_addresses", i), ip);
		for (size_t k = 0; k < c->spf.n_egress; k++) {
			if (memcmp(&c->spf.egress_addresses[k], ip, sizeof(*ip)) == 0) {
				config_fail(x, sec->filename,
					    config_line_of(x, sec, "egress_addresses", i), sec,
					    "egress_addresses", "'%s' is listed twice",
					    cfg_getnstr(sec, "egress_addresses", i));
				return -1;
			}
		}
		c->spf.n_egress++;
	}
	return 0;
}

/* config_spf_compile - the dns and spf sections */
int config_spf_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *dns = cfg_getsec(cfg, "dns"), *sec = cfg_getsec(cfg, "spf");
	const char *receiver = cfg_getstr(sec, "receiver");

	for (unsigned i = 0; i < cfg_size(dns, "upstreams"); i++)
		strvec_add(&c->dns.upstreams, cfg_getnstr(dns, "upstreams", i));
	c->dns.timeout_ms = (unsigned)cfg_getint(dns, "timeout_ms");
	c->spf.inbound = config_mode(sec, "inbound");
	c->spf.egress = config_mode(sec, "egress");
	c->spf.budget_ms = (unsigned)cfg_getint(sec, "budget_ms");
	c->spf.receiver = receiver != NULL ? rw_strdup(receiver) : NULL;
	if (receiver != NULL && strspn(receiver, CONFIG_SPF_HOSTCHARS) != strlen(receiver)) {
		config_fail(x, sec->filename, config_line_of(x, sec, "receiver", 0), sec,
			    "receiver", "'%s': not a host name (letters, digits, '.', '-', '_')",
			    receiver);
		return -1;
	}
	if (config_spf_egress(x, sec, c) < 0)
		return -1;
	if (c->spf.egress != MODE_OFF && c->spf.n_egress == 0) {
		config_fail(x, sec->filename, config_line_of(x, sec, "egress", 0), sec, "egress",
			    "'%s' needs egress_addresses (the addresses receivers see "
			    "our relayed mail come from)", spf_policy_mode_name(c->spf.egress));
		return -1;
	}
	return 0;
}

/* config_spf_dump - the dns and spf sections in relaywarden.conf syntax */
void config_spf_dump(const struct rw_config *c, struct buf *out)
{
	char ip[INET6_ADDRSTRLEN];

	buf_puts(out, "dns {\n\tupstreams = {");
	for (size_t i = 0; i < c->dns.upstreams.n; i++)
		buf_printf(out, "%s\"%s\"", i ? ", " : " ", c->dns.upstreams.v[i]);
	buf_printf(out, " }%s\n\ttimeout_ms = %u\n}\n",
		   c->dns.upstreams.n ? "" : "  # none: /etc/resolv.conf", c->dns.timeout_ms);
	buf_printf(out, "spf {\n\tinbound = %s\n\tegress = %s\n\tegress_addresses = {",
		   spf_policy_mode_name(c->spf.inbound), spf_policy_mode_name(c->spf.egress));
	for (size_t i = 0; i < c->spf.n_egress; i++) {
		const struct rw_ip *a = &c->spf.egress_addresses[i];

		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, ip, sizeof(ip));
		buf_printf(out, "%s\"%s\"", i ? ", " : " ", ip);
	}
	buf_printf(out, " }\n\tbudget_ms = %u\n", c->spf.budget_ms);
	if (c->spf.receiver != NULL)
		buf_printf(out, "\treceiver = \"%s\"\n", c->spf.receiver);
	else
		buf_puts(out, "\t# receiver: the instance name\n");
	buf_puts(out, "}\n");
}

/* config_spf_release - free the dns and spf settings */
void config_spf_release(struct rw_config *c)
{
	strvec_release(&c->dns.upstreams);
	free(c->spf.egress_addresses);
	free(c->spf.receiver);
	c->spf.egress_addresses = NULL;
	c->spf.receiver = NULL;
}
