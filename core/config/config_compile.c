/*
 * config_compile - a parsed relaywarden.conf into a snapshot: the relay
 * policy, the tables loaded from files, cross-field checks, daemon
 * settings; see config_int.h.
 *
 * Files are read in this order, which is also the digest's order:
 * sender_login_files, then for each relay in order its networks_files,
 * fingerprints_files, pubkey_fingerprints_files, then customer_files
 * (config_limits.c, which also holds their grammar). Grammar of every file:
 * lines; blank lines and lines whose first non-blank is '#' are ignored.
 *   networks_files, *fingerprints_files:  ENTRY [ OK ] [ # comment ]
 *     (the first column of a Postfix cidr: / check_ccert_access table; any
 *     other action than OK is refused: these files are allowlists)
 *   sender_login_files:  LOGIN  SENDER [ [,] SENDER ... ]
 * An error in a file names that file and its line.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <confuse.h>

#include "core/engine/cidr.h"
#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/config/config_table.h"
#include "core/engine/domainset.h"
#include "core/engine/fprint.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"
#include "core/engine/sender_login.h"

#define BLANKS " \t\r\v\f"

/* fail at the line where value idx of option name was set; evaluates to -1 */
#define COMPILE_FAIL(x, sec, name, idx, ...)					\
	(config_fail((x), (sec)->filename, config_line_of((x), (sec), (name), (idx)),	\
		     (sec), (name), __VA_ARGS__), -1)

struct compile_fps {		/* where fingerprint lines go */
	struct rw_fprint **v;
	size_t *n;
};

/* compile_set - the option was given a value (an empty list does not count) */
static int compile_set(const struct config_ctx *x, cfg_t *sec, const char *name)
{
	return config_is_set(x, sec, name) && cfg_size(sec, name) > 0;
}

/* compile_action_ok - what may follow an allowlist entry: nothing, OK, a comment */
static int compile_action_ok(const char *rest, struct buf *msg)
{
	size_t n;

	rest += strspn(rest, BLANKS);
	if (*rest == '\0' || *rest == '#')
		return 0;
	n = strcspn(rest, BLANKS);
	if (n == 2 && strncasecmp(rest, "OK", 2) == 0) {
		rest += n + strspn(rest + n, BLANKS);
		if (*rest == '\0' || *rest == '#')
			return 0;
	}
	buf_printf(msg, "unexpected '%s' after the entry (only OK may follow: this is an allowlist)",
		   rest);
	return -1;
}

/* config_split - cut the first column off line; returns the rest */
char *config_split(char *line)
{
	size_t n = strcspn(line, BLANKS);

	if (line[n] == '\0')
		return line + n;
	line[n] = '\0';
	return line + n + 1;
}

/* compile_cidr_line - one network of a networks_files file */
static int compile_cidr_line(void *arg, char *line, struct buf *msg)
{
	char *rest = config_split(line);
	const char *e = NULL;

	if (compile_action_ok(rest, msg) < 0)
		return -1;
	if (cidr_table_add(arg, line, &e) < 0) {
		buf_printf(msg, "bad CIDR '%s': %s", line, e);
		return -1;
	}
	return 0;
}

/* compile_fp_push - append one fingerprint */
static void compile_fp_push(struct compile_fps *f, const struct rw_fprint *fp)
{
	*f->v = rw_realloc(*f->v, (*f->n + 1) * sizeof(**f->v));
	(*f->v)[(*f->n)++] = *fp;
}

/* compile_fp_line - one fingerprint of a fingerprints file */
static int compile_fp_line(void *arg, char *line, struct buf *msg)
{
	char *rest = config_split(line);
	struct rw_fprint fp;
	const char *e = NULL;

	if (compile_action_ok(rest, msg) < 0)
		return -1;
	if (fprint_parse(line, &fp, &e) < 0) {
		buf_printf(msg, "bad fingerprint '%s': %s", line, e);
		return -1;
	}
	compile_fp_push(arg, &fp);
	return 0;
}

/* compile_login_line - LOGIN SENDER [[,] SENDER ...] */
static int compile_login_line(void *arg, char *line, struct buf *msg)
{
	char *rest = config_split(line), *tok;
	const char *e = NULL;
	int n = 0;

	while ((tok = strsep(&rest, BLANKS ",")) != NULL) {
		if (*tok == '\0')
			continue;
		if (sender_login_add(arg, line, tok, &e) < 0) {
			buf_printf(msg, "login '%s': bad sender '%s': %s", line, tok, e);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		buf_printf(msg, "login '%s' has no senders", line);
		return -1;
	}
	return 0;
}

/* compile_lines - feed each entry line of text to fn; entries counted in *n */
static int compile_lines(struct config_ctx *x, const char *path, cfg_t *sec, const char *opt,
			 struct buf *text, config_line_fn *fn, void *arg, size_t *n)
{
	struct buf msg = BUF_INIT;
	char *p = text->data, *end = text->data + text->len, *nl, *line;
	int lineno = 0, r = 0;

	for (; p < end && r == 0; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl : end;
		*nl = '\0';
		line = p + strspn(p, BLANKS);
		if (strlen(p) != (size_t)(nl - p))
			buf_puts(&msg, "NUL byte in line"), r = -1;
		else if (*line != '\0' && *line != '#' && fn(arg, line, &msg) == 0)
			(*n)++;
		else if (msg.len > 0)
			r = -1;
	}
	if (r < 0)
		config_fail(x, path, lineno, sec, opt, "%s", msg.data);
	buf_release(&msg);
	return r;
}

/* config_files - load every file named by option opt of sec */
int config_files(struct config_ctx *x, cfg_t *sec, const char *opt,
		 config_line_fn *fn, void *arg, struct config_srclist *src)
{
	for (unsigned i = 0; i < cfg_size(sec, opt); i++) {
		char *path = config_resolve(x, cfg_getnstr(sec, opt, i));
		struct config_filecount *fc;
		struct buf text = BUF_INIT;
		int r = config_read_file(x, path, &text);

		if (r < 0)
			(void)COMPILE_FAIL(x, sec, opt, i, "cannot read '%s': %s", path, strerror(errno));
		src->files = rw_realloc(src->files, (src->n_files + 1) * sizeof(*src->files));
		fc = &src->files[src->n_files++];
		*fc = (struct config_filecount){ path, 0 };
		if (r == 0)
			r = compile_lines(x, path, sec, opt, &text, fn, arg, &fc->n);
		buf_release(&text);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* compile_domains - local_domains / relay_domains */
static int compile_domains(struct config_ctx *x, cfg_t *cfg, const char *name,
			   struct domainset *ds, struct strvec *src)
{
	for (unsigned i = 0; i < cfg_size(cfg, name); i++) {
		const char *s = cfg_getnstr(cfg, name, i), *e = NULL;

		if (domainset_add(ds, s, &e) < 0)
			return COMPILE_FAIL(x, cfg, name, i, "bad domain '%s': %s", s, e);
		strvec_add(src, s);
	}
	return 0;
}

/* compile_top - instance, domains */
static int compile_top(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	const char *inst = cfg_getstr(cfg, "instance");
	char host[256] = "";

	if (inst == NULL && (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0'))
		strcpy(host, "localhost");
	c->instance_name = rw_strdup(inst != NULL ? inst : host);
	if (*cfg_getstr(cfg, "user") != '\0')
		c->user = rw_strdup(cfg_getstr(cfg, "user"));
	if (compile_domains(x, cfg, "local_domains", c->policy->local_domains,
			    &c->src->local_domains) < 0)
		return -1;
	return compile_domains(x, cfg, "relay_domains", c->policy->relay_domains,
			       &c->src->relay_domains);
}

/* compile_logins - sender_login sections, then sender_login_files */
static int compile_logins(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	unsigned n = cfg_size(cfg, "sender_login");
	struct config_src *src = c->src;

	src->senders = rw_calloc(n, sizeof(*src->senders));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "sender_login", i);
		const char *login = cfg_title(sec), *e = NULL;

		strvec_add(&src->logins, login);
		if (cfg_size(sec, "senders") == 0)
			return COMPILE_FAIL(x, sec, "senders", 0, "no senders for login '%s'", login);
		for (unsigned j = 0; j < cfg_size(sec, "senders"); j++) {
			const char *s = cfg_getnstr(sec, "senders", j);

			if (sender_login_add(c->policy->sender_login, login, s, &e) < 0)
				return COMPILE_FAIL(x, sec, "senders", j, "bad sender '%s': %s", s, e);
			strvec_add(&src->senders[i], s);
		}
	}
	return config_files(x, cfg, "sender_login_files", compile_login_line,
			     c->policy->sender_login, &src->login_files);
}

static const char *const compile_kind_names[] = {
	[RULE_SASL] = "sasl", [RULE_NETWORK] = "network", [RULE_CERT] = "certificate",
};

/* compile_kind - the rule type, and no option of another type (the table's `only`) */
static int compile_kind(struct config_ctx *x, cfg_t *sec, enum rule_kind *kind)
{
	const char *type = cfg_getstr(sec, "type");

	if (type == NULL)
		return COMPILE_FAIL(x, sec, "type", 0,
				    "missing: every relay needs type = sasl, network or certificate");
	for (int k = RULE_SASL; k <= RULE_CERT; k++)
		if (strcmp(type, compile_kind_names[k]) == 0)
			*kind = (enum rule_kind)k;
	for (const struct config_option *o = config_table_find(NULL, "relay")->sub;
	     o->name != NULL; o++)
		if (o->only != NULL && strcmp(o->only, type) != 0 && compile_set(x, sec, o->name))
			return COMPILE_FAIL(x, sec, o->name, 0,
					    "not allowed with type = %s (only with type = %s)",
					    type, o->only);
	return 0;
}

/* compile_sasl - listeners, ports, require_tls, sender_login */
static void compile_sasl(cfg_t *sec, struct rw_rule *r)
{
	r->n_ports = cfg_size(sec, "ports");
	r->ports = rw_calloc(r->n_ports, sizeof(*r->ports));
	for (size_t i = 0; i < r->n_ports; i++)
		r->ports[i] = (unsigned)cfg_getnint(sec, "ports", (unsigned)i);
	for (unsigned i = 0; i < cfg_size(sec, "listeners"); i++)
		strvec_add(&r->listeners, cfg_getnstr(sec, "listeners", i));
	r->require_tls = cfg_getbool(sec, "require_tls");
	r->enforce_sender_login = strcmp(cfg_getstr(sec, "sender_login"), "enforce") == 0;
}

/* compile_network - networks and networks_files into one table */
static int compile_network(struct config_ctx *x, cfg_t *sec, struct rw_rule *r,
			   struct config_srcrule *src)
{
	r->networks = cidr_table_new();
	for (unsigned i = 0; i < cfg_size(sec, "networks"); i++) {
		const char *s = cfg_getnstr(sec, "networks", i), *e = NULL;

		if (cidr_table_add(r->networks, s, &e) < 0)
			return COMPILE_FAIL(x, sec, "networks", i, "bad CIDR '%s': %s", s, e);
		strvec_add(&src->networks.values, s);
	}
	if (!compile_set(x, sec, "networks") && !compile_set(x, sec, "networks_files"))
		return COMPILE_FAIL(x, sec, "type", 0,
				    "a network rule needs networks or networks_files");
	return config_files(x, sec, "networks_files", compile_cidr_line, r->networks,
			     &src->networks);
}

/* compile_fps - one fingerprint option and its _files option */
static int compile_fps(struct config_ctx *x, cfg_t *sec, const char *opt, const char *files,
		       struct compile_fps *f, struct config_srclist *src)
{
	struct rw_fprint fp;

	for (unsigned i = 0; i < cfg_size(sec, opt); i++) {
		const char *s = cfg_getnstr(sec, opt, i), *e = NULL;

		if (fprint_parse(s, &fp, &e) < 0)
			return COMPILE_FAIL(x, sec, opt, i, "bad fingerprint '%s': %s", s, e);
		compile_fp_push(f, &fp);
		strvec_add(&src->values, s);
	}
	return config_files(x, sec, files, compile_fp_line, f, src);
}

/* compile_cert - fingerprints, or a subject and issuer pair: never any trusted CN */
static int compile_cert(struct config_ctx *x, cfg_t *sec, struct rw_rule *r,
			struct config_srcrule *src)
{
	struct compile_fps whole = { &r->fingerprints, &r->n_fingerprints };
	struct compile_fps spki = { &r->pubkey_fingerprints, &r->n_pubkey_fingerprints };
	const char *subject = cfg_getstr(sec, "subject"), *issuer = cfg_getstr(sec, "issuer");
	int any_fp = compile_set(x, sec, "fingerprints") ||
		     compile_set(x, sec, "pubkey_fingerprints") ||
		     compile_set(x, sec, "fingerprints_files") ||
		     compile_set(x, sec, "pubkey_fingerprints_files");

	if ((subject == NULL) != (issuer == NULL))
		return COMPILE_FAIL(x, sec, subject ? "subject" : "issuer", 0,
				    "needs %s too: a certificate rule matches a subject only "
				    "together with its issuer", subject ? "issuer" : "subject");
	if (!any_fp && subject == NULL)
		return COMPILE_FAIL(x, sec, "type", 0,
				    "a certificate rule needs fingerprints, pubkey_fingerprints "
				    "(or their _files) or a subject and issuer pair");
	r->subject = subject ? rw_strdup(subject) : NULL;
	r->issuer = issuer ? rw_strdup(issuer) : NULL;
	if (compile_fps(x, sec, "fingerprints", "fingerprints_files", &whole,
			&src->fingerprints) < 0)
		return -1;
	return compile_fps(x, sec, "pubkey_fingerprints", "pubkey_fingerprints_files", &spki,
			   &src->pubkey_fingerprints);
}

/* compile_rules - relay sections in order */
static int compile_rules(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	unsigned n = cfg_size(cfg, "relay");

	c->src->rules = rw_calloc(n, sizeof(*c->src->rules));
	c->src->n_rules = n;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "relay", i);
		enum rule_kind kind = RULE_SASL;
		struct rw_rule *r;
		int rc = 0;

		if (compile_kind(x, sec, &kind) < 0)
			return -1;
		r = policy_add_rule(c->policy, cfg_title(sec), kind);
		if (kind == RULE_SASL)
			compile_sasl(sec, r);
		else if (kind == RULE_NETWORK)
			rc = compile_network(x, sec, r, &c->src->rules[i]);
		else
			rc = compile_cert(x, sec, r, &c->src->rules[i]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* compile_policyd - the policyd section */
static int compile_policyd(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *sec = cfg_getsec(cfg, "policyd");

	if (cfg_size(sec, "listen") == 0)
		return COMPILE_FAIL(x, sec, "listen", 0, "no listen address");
	for (unsigned i = 0; i < cfg_size(sec, "listen"); i++)
		strvec_add(&c->policyd.listen, cfg_getnstr(sec, "listen", i));
	c->policyd.socket_mode = (unsigned)strtoul(cfg_getstr(sec, "socket_mode"), NULL, 8);
	c->policyd.max_connections = (unsigned)cfg_getint(sec, "max_connections");
	c->policyd.workers = (unsigned)cfg_getint(sec, "workers");
	c->policyd.idle_timeout = (unsigned)cfg_getint(sec, "idle_timeout");
	c->policyd.request_timeout = (unsigned)cfg_getint(sec, "request_timeout");
	c->policyd.max_line_length = (size_t)cfg_getint(sec, "max_line_length");
	c->policyd.max_attributes = (size_t)cfg_getint(sec, "max_attributes");
	c->policyd.max_request_size = (size_t)cfg_getint(sec, "max_request_size");
	if (*cfg_getstr(sec, "metrics") != '\0')
		c->policyd.metrics = rw_strdup(cfg_getstr(sec, "metrics"));
	if (c->policyd.max_line_length > c->policyd.max_request_size)
		return COMPILE_FAIL(x, sec, "max_line_length", 0,
				    "%zu is larger than max_request_size (%zu)",
				    c->policyd.max_line_length, c->policyd.max_request_size);
	return 0;
}

/* compile_logs - the audit and log sections */
static void compile_logs(struct config_ctx *x, cfg_t *cfg, struct rw_config *c)
{
	cfg_t *audit = cfg_getsec(cfg, "audit"), *log = cfg_getsec(cfg, "log");
	const char *file = cfg_getstr(audit, "file");

	c->audit.file = file != NULL && *file != '\0' ? config_resolve(x, file) : NULL;
	c->audit.syslog = cfg_getbool(audit, "syslog");
	c->audit.fsync = cfg_getbool(audit, "fsync");
	file = cfg_getstr(audit, "hmac_key_file");
	c->audit.hmac_key_file = file != NULL && *file != '\0' ? config_resolve(x, file) : NULL;
	file = cfg_getstr(audit, "signing_key_file");
	c->audit.signing_key_file = file != NULL && *file != '\0' ? config_resolve(x, file) : NULL;
	c->audit.checkpoint_records = (unsigned)cfg_getint(audit, "checkpoint_records");
	c->audit.checkpoint_seconds = (unsigned)cfg_getint(audit, "checkpoint_seconds");
	c->log.target = strcmp(cfg_getstr(log, "target"), "stderr") == 0 ? LOG_TO_STDERR
									  : LOG_TO_SYSLOG;
	c->log.facility = config_facility_value(cfg_getstr(log, "facility"));
	c->log.debug = cfg_getbool(log, "debug");
	c->log.decisions = cfg_getbool(log, "decisions");
}

/* config_compile - the snapshot of a parsed configuration */
struct rw_config *config_compile(struct config_ctx *x, cfg_t *cfg, const char *path)
{
	struct rw_config *c = rw_calloc(1, sizeof(*c));

	c->refs = 1;
	c->path = rw_strdup(path);
	c->src = rw_calloc(1, sizeof(*c->src));
	c->policy = policy_new();
	if (compile_top(x, cfg, c) < 0 || compile_logins(x, cfg, c) < 0 ||
	    compile_rules(x, cfg, c) < 0 || compile_policyd(x, cfg, c) < 0 ||
	    config_milter_compile(x, cfg, c) < 0 || config_spf_compile(x, cfg, c) < 0 ||
	    config_limits_compile(x, cfg, c) < 0) {
		config_unref(&c);
		return NULL;
	}
	compile_logs(x, cfg, c);
	return c;
}

/* compile_srclist_free - one list option's source record */
static void compile_srclist_free(struct config_srclist *l)
{
	strvec_release(&l->values);
	for (size_t i = 0; i < l->n_files; i++)
		free(l->files[i].path);
	free(l->files);
}

/* config_src_free - free what config_dump shows and clear *sp */
void config_src_free(struct config_src **sp)
{
	struct config_src *s = *sp;

	if (s == NULL)
		return;
	strvec_release(&s->local_domains);
	strvec_release(&s->relay_domains);
	for (size_t i = 0; i < s->logins.n; i++)
		strvec_release(&s->senders[i]);
	free(s->senders);
	strvec_release(&s->logins);
	compile_srclist_free(&s->login_files);
	for (size_t i = 0; i < s->n_rules; i++) {
		compile_srclist_free(&s->rules[i].networks);
		compile_srclist_free(&s->rules[i].fingerprints);
		compile_srclist_free(&s->rules[i].pubkey_fingerprints);
	}
	free(s->rules);
	config_limits_src_free(s);
	free(s);
	*sp = NULL;
}
