/*
 * config_milter - the `milter` section of relaywarden.conf: the libmilter
 * socket of relaywarden-milter, its mode and the MTA timeout; see
 * config_int.h. The option table itself is in config.c.
 *
 * listen grammar (libmilter's smfi_setconn, restricted):
 *   inet:PORT@HOST     HOST an IPv4 address or a host name (no INADDR_ANY
 *                      shorthand: "inet:PORT" alone is refused)
 *   inet6:PORT@HOST    HOST an IPv6 address, without brackets
 *   unix:/PATH         (also local:/PATH) an absolute socket path
 * PORT is 1-65535. No white space, quotes or backslashes anywhere.
 *
 * Also the `checks` section: the end-of-message message checks of the
 * milter (milter/eom.c), all off by default:
 *   checks { dkim = off|shadow|enforce  spf = ...  alignment = ...
 *            authserv_id = "mx.example.test"  alignment_default = relaxed|strict
 *            org_domain = treewalk|psl
 *            signed_domains = { "example.test" }  dkim_min_rsa_bits = 1024
 *            dkim_key_file = "keys.txt" }
 * authserv_id defaults to the instance name; dkim_key_file (tests) is
 * resolved against the config file's directory.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <confuse.h>

#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/engine/domainset.h"
#include "core/util/mem.h"

#define CONFIG_MILTER_HOSTCHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"

/* config_milter_port - 1-65535, digits only, up to the '@' */
static int config_milter_port(const char *s, size_t n, const char **error_r)
{
	unsigned long port = 0;

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n) {
		*error_r = "expected a port number before '@'";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		port = port * 10 + (unsigned long)(s[i] - '0');
	if (port < 1 || port > 65535) {
		*error_r = "port out of range 1-65535";
		return -1;
	}
	return 0;
}

/* config_milter_inet - "PORT@HOST" of inet: (v6 = 0) or inet6: (v6 = 1) */
static int config_milter_inet(const char *s, int v6, const char **error_r)
{
	const char *at = strchr(s, '@');
	unsigned char addr[16];

	if (at == NULL) {
		*error_r = "expected PORT@HOST (name the address to bind, e.g. 127.0.0.1)";
		return -1;
	}
	if (config_milter_port(s, (size_t)(at - s), error_r) < 0)
		return -1;
	if (v6 && inet_pton(AF_INET6, at + 1, addr) != 1) {
		*error_r = "inet6: needs an IPv6 address after '@' (no brackets)";
		return -1;
	}
	if (!v6 && (at[1] == '\0' || strlen(at + 1) > 253 ||
		    strspn(at + 1, CONFIG_MILTER_HOSTCHARS) != strlen(at + 1))) {
		*error_r = "bad host after '@'";
		return -1;
	}
	return 0;
}

/* config_milter_unix - an absolute path that fits a sockaddr_un */
static int config_milter_unix(const char *path, const char **error_r)
{
	if (path[0] != '/')
		*error_r = "a unix socket path must be absolute";
	else if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		*error_r = "unix socket path too long";
	else
		return 0;
	return -1;
}

/* config_milter_listen_check - one listen value; 0 or -1 with *error_r */
static int config_milter_listen_check(const char *s, const char **error_r)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\') {
			*error_r = "white space, a quote, a backslash or a non-ASCII byte";
			return -1;
		}
	}
	if (strncmp(s, "unix:", 5) == 0)
		return config_milter_unix(s + 5, error_r);
	if (strncmp(s, "local:", 6) == 0)
		return config_milter_unix(s + 6, error_r);
	if (strncmp(s, "inet:", 5) == 0)
		return config_milter_inet(s + 5, 0, error_r);
	if (strncmp(s, "inet6:", 6) == 0)
		return config_milter_inet(s + 6, 1, error_r);
	*error_r = "expected inet:PORT@HOST, inet6:PORT@HOST or unix:/PATH";
	return -1;
}

/* config_v_milter_listen - the validator of milter.listen */
int config_v_milter_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, config_note(cfg, opt)), *e = NULL;

	if (s == NULL)
		s = "";
	if (config_milter_listen_check(s, &e) == 0)
		return 0;
	if (config_current() != NULL)
		config_fail(config_current(), cfg->filename, cfg->line, cfg, opt->name,
			    "bad listen address '%s': %s", s, e);
	return -1;
}

/* config_checks_compile - the checks section into c->checks */
static void config_checks_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *sec = cfg_getsec(cfg, "checks");
	const char *id = cfg_getstr(sec, "authserv_id"), *kf = cfg_getstr(sec, "dkim_key_file");
	const char *e = NULL;

	c->checks.dkim = config_mode(sec, "dkim");
	c->checks.spf = config_mode(sec, "spf");
	c->checks.alignment = config_mode(sec, "alignment");
	c->checks.authserv_id = id != NULL ? rw_strdup(id) : NULL;
	c->checks.alignment_strict = strcmp(cfg_getstr(sec, "alignment_default"), "strict") == 0;
	c->checks.org_psl = strcmp(cfg_getstr(sec, "org_domain"), "psl") == 0;
	c->checks.dkim_min_rsa_bits = (unsigned)cfg_getint(sec, "dkim_min_rsa_bits");
	c->checks.dkim_key_file = kf != NULL ? config_resolve(x, kf) : NULL;
	c->checks.signed_domains = domainset_new();
	for (unsigned i = 0; i < cfg_size(sec, "signed_domains"); i++) {
		domainset_add(c->checks.signed_domains, cfg_getnstr(sec, "signed_domains", i), &e);
		strvec_add(&c->checks.signed_list, cfg_getnstr(sec, "signed_domains", i));
	}
}

/* config_milter_release - see config_int.h */
void config_milter_release(struct rw_config *c)
{
	rw_free_ptr(&c->checks.authserv_id);
	rw_free_ptr(&c->checks.dkim_key_file);
	domainset_free(&c->checks.signed_domains);
	strvec_release(&c->checks.signed_list);
}

/* config_milter_compile - the milter and checks sections into c */
int config_milter_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *sec = cfg_getsec(cfg, "milter");
	const char *listen = cfg_getstr(sec, "listen"), *e = NULL;

	if (listen == NULL || config_milter_listen_check(listen, &e) < 0) {
		config_fail(x, sec->filename, config_line_of(x, sec, "listen", 0), sec, "listen",
			    "bad listen address '%s': %s", listen ? listen : "", e ? e : "empty");
		return -1;
	}
	c->milter.listen = rw_strdup(listen);
	c->milter.socket_mode = (unsigned)strtoul(cfg_getstr(sec, "socket_mode"), NULL, 8);
	c->milter.mta_timeout = (unsigned)cfg_getint(sec, "mta_timeout");
	if (*cfg_getstr(sec, "metrics") != '\0')
		c->milter.metrics = rw_strdup(cfg_getstr(sec, "metrics"));
	config_checks_compile(x, cfg, c);
	return 0;
}

/* config_milter_dump - the effective milter section */
void config_milter_dump(const struct rw_config *c, struct buf *out)
{
	buf_printf(out, "milter {\n\tlisten = \"%s\"\n\tsocket_mode = \"%04o\"\n"
		   "\tmta_timeout = %u\n\tmetrics = \"%s\"%s\n}\n",
		   c->milter.listen ? c->milter.listen : "", c->milter.socket_mode,
		   c->milter.mta_timeout, c->milter.metrics ? c->milter.metrics : "",
		   c->milter.metrics ? "" : "  # no metrics endpoint");
	buf_printf(out, "checks {\n\tdkim = %s\n\tspf = %s\n\talignment = %s\n",
		   mode_name(c->checks.dkim), mode_name(c->checks.spf),
		   mode_name(c->checks.alignment));
	if (c->checks.authserv_id != NULL)
		buf_printf(out, "\tauthserv_id = \"%s\"\n", c->checks.authserv_id);
	else
		buf_puts(out, "\t# authserv_id: the instance name\n");
	buf_printf(out, "\talignment_default = %s\n\torg_domain = %s\n\tsigned_domains = {",
		   c->checks.alignment_strict ? "strict" : "relaxed",
		   c->checks.org_psl ? "psl" : "treewalk");
	for (size_t i = 0; i < c->checks.signed_list.n; i++)
		buf_printf(out, "%s\"%s\"", i ? ", " : " ", c->checks.signed_list.v[i]);
	buf_printf(out, " }\n\tdkim_min_rsa_bits = %u\n", c->checks.dkim_min_rsa_bits);
	if (c->checks.dkim_key_file != NULL)
		buf_printf(out, "\tdkim_key_file = \"%s\"\n", c->checks.dkim_key_file);
	buf_puts(out, "}\n");
}
