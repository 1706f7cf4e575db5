/*
 * config - relaywarden.conf: the option table, parse-time value checks and
 * config_load; see config.h. Cross-field checks and policy compilation are
 * in config_compile.c, value checks in config_check.c, the dump in
 * config_dump.c.
 *
 * Every value check runs as a libconfuse validate callback while the parser
 * stands on the value, so errors carry the offending line; the callback
 * also records that line for the checks made after parsing. libconfuse's
 * callbacks carry no user pointer and its lexer is global, so the load in
 * progress is one static pointer: config_load is not reentrant.
 */
#include "autoconfig.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>
#include <openssl/evp.h>

#include "core/config.h"
#include "core/config_int.h"
#include "core/mem.h"

#define CONFIG_MAX_FILE (64u << 20)	/* bytes in one config or included file */

static struct config_ctx *config_cur;	/* the load in progress */

/* config_current - the load in progress, for the validators */
struct config_ctx *config_current(void)
{
	return config_cur;
}

/* The option table. Keep schema/config-reference.md in agreement (test_config checks). */
#define O_STR(n, d, v)	{ .name = n, .type = CFGT_STR, .def.string = d, .validcb = v }
#define O_REQ(n, v)	{ .name = n, .type = CFGT_STR, .flags = CFGF_NODEFAULT, .validcb = v }
#define O_LIST(n, d, v)	{ .name = n, .type = CFGT_STR, .flags = CFGF_LIST, .def.parsed = d, .validcb = v }
#define O_INT(n, d)	{ .name = n, .type = CFGT_INT, .def.number = d, .validcb = config_v_int }
#define O_INTS(n)	{ .name = n, .type = CFGT_INT, .flags = CFGF_LIST, .validcb = config_v_int }
#define O_BOOL(n, d)	{ .name = n, .type = CFGT_BOOL, .def.boolean = d, .validcb = config_v_note }
#define O_SEC(n, s, f)	{ .name = n, .type = CFGT_SEC, .flags = f, .subopts = s }
#define O_OPT(n, v)	O_REQ(n, v)	/* no default: unset is told apart from any value */
#define O_TITLED	(CFGF_TITLE | CFGF_MULTI | CFGF_NO_TITLE_DUPES)

static cfg_opt_t config_login_opts[] = {
	O_LIST("senders", NULL, config_v_sender),
	CFG_END()
};

static cfg_opt_t config_relay_opts[] = {
	O_REQ("type", config_v_enum),
	O_LIST("listeners", NULL, config_v_word),
	O_INTS("ports"),
	O_BOOL("require_tls", cfg_false),
	O_STR("sender_login", "enforce", config_v_enum),
	O_LIST("networks", NULL, config_v_cidr),
	O_LIST("networks_files", NULL, config_v_file),
	O_LIST("fingerprints", NULL, config_v_fprint),
	O_LIST("pubkey_fingerprints", NULL, config_v_fprint),
	O_LIST("fingerprints_files", NULL, config_v_file),
	O_LIST("pubkey_fingerprints_files", NULL, config_v_file),
	O_STR("subject", NULL, config_v_text),
	O_STR("issuer", NULL, config_v_text),
	CFG_END()
};

static cfg_opt_t config_policyd_opts[] = {
	O_LIST("listen", "{\"inet:127.0.0.1:10040\"}", config_v_listen),
	O_STR("socket_mode", "0660", config_v_mode),
	O_INT("max_connections", 10000),
	O_INT("idle_timeout", 330),
	O_INT("max_line_length", 4096),
	O_INT("max_attributes", 100),
	O_INT("max_request_size", 65536),
	O_STR("metrics", "", config_v_metrics),
	CFG_END()
};

static cfg_opt_t config_milter_opts[] = {
	O_STR("listen", "inet:10041@127.0.0.1", config_v_milter_listen),
	O_STR("socket_mode", "0660", config_v_mode),
	O_INT("mta_timeout", 300),
	CFG_END()
};

static cfg_opt_t config_checks_opts[] = {
	O_STR("dkim", "off", config_v_enum),
	O_STR("spf", "off", config_v_enum),
	O_STR("alignment", "off", config_v_enum),
	O_STR("authserv_id", NULL, config_v_word),
	O_STR("alignment_default", "relaxed", config_v_enum),
	O_LIST("signed_domains", NULL, config_v_domain),
	O_INT("dkim_min_rsa_bits", 1024),
	O_STR("dkim_key_file", NULL, config_v_file),
	CFG_END()
};

static cfg_opt_t config_dns_opts[] = {
	O_LIST("upstreams", NULL, config_v_upstream),
	O_INT("timeout_ms", 2000),
	CFG_END()
};

static cfg_opt_t config_spf_opts[] = {
	O_STR("inbound", "off", config_v_enum),
	O_STR("egress", "off", config_v_enum),
	O_LIST("egress_addresses", NULL, config_v_ip),
	O_INT("budget_ms", 3000),
	O_STR("receiver", NULL, config_v_word),
	CFG_END()
};

static cfg_opt_t config_audit_opts[] = {
	O_STR("file", "", config_v_file),
	O_BOOL("syslog", cfg_true),
	O_BOOL("fsync", cfg_false),
	O_STR("hmac_key_file", "", config_v_file),
	CFG_END()
};

static cfg_opt_t config_log_opts[] = {
	O_STR("target", "syslog", config_v_enum),
	O_STR("facility", "mail", config_v_enum),
	O_BOOL("debug", cfg_false),
	CFG_END()
};

static cfg_opt_t config_customer_opts[] = {
	O_LIST("users", NULL, config_v_text),
	O_LIST("sender_domains", NULL, config_v_domain),
	O_LIST("networks", NULL, config_v_cidr),
	O_LIST("fingerprints", NULL, config_v_fprint),
	CFG_END()
};

/* options a limit and a quota share */
#define O_LIMIT_COMMON								\
	O_REQ("charge", config_v_enum),						\
	O_INT("prefix4", 24),							\
	O_INT("prefix6", 64),							\
	O_STR("mode", "enforce", config_v_enum),				\
	O_STR("reply", "temporary", config_v_enum),				\
	O_STR("on_store_failure", "tempfail", config_v_enum),			\
	O_INT("local_share", 100)

static cfg_opt_t config_limit_opts[] = {
	O_LIMIT_COMMON,
	O_REQ("unit", config_v_enum),
	O_REQ("rate", config_v_rate),
	O_OPT("burst", config_v_size),
	CFG_END()
};

static cfg_opt_t config_quota_opts[] = {
	O_LIMIT_COMMON,
	O_REQ("window", config_v_enum),
	O_INT("messages", 0),
	O_INT("recipients", 0),
	O_STR("bytes", "0", config_v_size),
	CFG_END()
};

static cfg_opt_t config_redis_opts[] = {
	O_LIST("servers", NULL, config_v_redis),
	O_LIST("sentinels", NULL, config_v_redis),
	O_STR("master_name", NULL, config_v_word),
	O_STR("password", NULL, config_v_text),
	O_INT("database", 0),
	O_INT("timeout_ms", 50),
	O_INT("connect_timeout_ms", 200),
	O_INT("connections", 2),
	CFG_END()
};

static cfg_opt_t config_opts[] = {
	O_STR("instance", NULL, config_v_word),
	O_STR("user", "", config_v_user),
	O_LIST("local_domains", NULL, config_v_domain),
	O_LIST("relay_domains", NULL, config_v_domain),
	O_LIST("sender_login_files", NULL, config_v_file),
	O_SEC("sender_login", config_login_opts, O_TITLED),
	O_SEC("relay", config_relay_opts, O_TITLED),
	O_SEC("policyd", config_policyd_opts, CFGF_NONE),
	O_SEC("milter", config_milter_opts, CFGF_NONE),
	O_SEC("checks", config_checks_opts, CFGF_NONE),
	O_SEC("dns", config_dns_opts, CFGF_NONE),
	O_SEC("spf", config_spf_opts, CFGF_NONE),
	O_SEC("audit", config_audit_opts, CFGF_NONE),
	O_SEC("log", config_log_opts, CFGF_NONE),
	O_STR("timezone", "UTC", config_v_tz),
	O_STR("charge_at", "policyd", config_v_enum),
	O_LIST("customer_files", NULL, config_v_file),
	O_SEC("customer", config_customer_opts, O_TITLED),
	O_SEC("limit", config_limit_opts, O_TITLED),
	O_SEC("quota", config_quota_opts, O_TITLED),
	O_SEC("redis", config_redis_opts, CFGF_NONE),
	CFG_END()
};

/* config_fail - record the first error as FILE:LINE: option 'OPT'[ in SEC]: msg */
void config_fail(struct config_ctx *x, const char *file, int line, const cfg_t *sec,
		 const char *opt, const char *fmt, ...)
{
	int in_sec = sec != NULL && sec->name != NULL && strcmp(sec->name, "root") != 0;
	size_t start = x->err->len;
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	buf_printf(x->err, "%s:", file != NULL ? file : "(defaults)");
	if (line > 0)
		buf_printf(x->err, "%d:", line);
	buf_puts(x->err, opt != NULL ? " option '" : (in_sec ? " in " : " "));
	if (opt != NULL)
		buf_printf(x->err, "%s'%s", opt, in_sec ? " in " : "");
	if (in_sec)
		buf_printf(x->err, sec->title != NULL ? "%s '%s'" : "%s", sec->name, sec->title);
	buf_puts(x->err, opt != NULL || in_sec ? ": " : "");
	va_start(ap, fmt);
	buf_vprintf(x->err, fmt, ap);
	va_end(ap);
	for (size_t i = start; i < x->err->len; i++)
		if ((unsigned char)x->err->data[i] < 0x20 || x->err->data[i] == 0x7f)
			x->err->data[i] = '?';
}

/* config_note - record the line of the value just set; returns its index */
unsigned config_note(cfg_t *cfg, cfg_opt_t *opt)
{
	struct config_ctx *x = config_cur;
	unsigned idx = opt->nvalues > 0 ? opt->nvalues - 1 : 0;
	struct config_line *last;

	if (x == NULL || cfg->filename == NULL)
		return idx;	/* a default from the table */
	last = x->n_lines > 0 ? &x->lines[x->n_lines - 1] : NULL;
	if (last != NULL && last->sec == cfg && last->idx == idx &&
	    strcmp(last->name, opt->name) == 0)
		return idx;	/* a list's closing brace re-validates its last value */
	if (x->n_lines == x->cap_lines) {
		x->cap_lines = x->cap_lines ? 2 * x->cap_lines : 32;
		x->lines = rw_realloc(x->lines, x->cap_lines * sizeof(*x->lines));
	}
	x->lines[x->n_lines++] = (struct config_line){ cfg, opt->name, idx, cfg->line };
	return idx;
}

/* config_line_of - line of a value, else of the option, else of the section */
int config_line_of(const struct config_ctx *x, const cfg_t *sec, const char *name,
		   unsigned idx)
{
	int any = 0;

	for (size_t i = 0; i < x->n_lines; i++) {
		const struct config_line *l = &x->lines[i];

		if (l->sec != sec || strcmp(l->name, name) != 0)
			continue;
		if (l->idx == idx)
			return l->line;
		if (any == 0)
			any = l->line;
	}
	return any > 0 ? any : sec->line;
}

/* config_is_set - a validator saw a value of name in sec */
int config_is_set(const struct config_ctx *x, const cfg_t *sec, const char *name)
{
	for (size_t i = 0; i < x->n_lines; i++)
		if (x->lines[i].sec == sec && strcmp(x->lines[i].name, name) == 0)
			return 1;
	return 0;
}

/* config_title_owner - which titled section already has this title */
static const char *config_title_owner(cfg_t *cfg, const char *title)
{
	for (cfg_opt_t *o = cfg->opts; o->name != NULL; o++)
		if (o->type == CFGT_SEC && (o->flags & CFGF_TITLE) &&
		    cfg_opt_gettsec(o, title) != NULL)
			return o->name;
	return "section";
}

/* libconfuse messages whose argument is an option name */
static const struct config_msg {
	const char *fmt;
	const char *msg;	/* NULL: duplicate title */
} config_msgs[] = {
	{ "no such option '%s'", "unknown option" },
	{ "missing equal sign after option '%s'", "expected '=' after the name" },
	{ "invalid integer value for option '%s'", "not an integer" },
	{ "integer value for option '%s' is out of range", "integer out of range" },
	{ "invalid boolean value for option '%s'", "not a boolean (true or false)" },
	{ "attempt to append to non-list option '%s'", "'+=' on an option that is not a list" },
	{ "missing opening brace for section '%s'", "expected '{' after the section name" },
	{ "missing title for section '%s'", "expected a quoted name after the section name" },
	{ "found duplicate title '%s'", NULL },
};

/* config_errfunc - libconfuse's errors into the load's error buffer */
static void __attribute__((format(printf, 2, 0)))
config_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct config_ctx *x = config_cur;
	struct buf m = BUF_INIT;
	const char *name;

	if (x == NULL)
		return;
	for (size_t i = 0; i < CONFIG_NELEM(config_msgs); i++) {
		if (strcmp(fmt, config_msgs[i].fmt) != 0)
			continue;
		name = va_arg(ap, const char *);
		if (config_msgs[i].msg != NULL)
			config_fail(x, cfg->filename, cfg->line, cfg, name, "%s",
				    config_msgs[i].msg);
		else
			config_fail(x, cfg->filename, cfg->line, NULL,
				    config_title_owner(cfg, name),
				    "'%s' is defined twice", name);
		return;
	}
	buf_vprintf(&m, fmt, ap);
	config_fail(x, cfg->filename, cfg->line, cfg, NULL, "syntax error: %s", m.data);
	buf_release(&m);
}

/* config_slurp - whole file into out; -1 with errno */
static int config_slurp(const char *path, struct buf *out)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out->len + (size_t)n > CONFIG_MAX_FILE) {
			if (n > 0)
				errno = EFBIG;
			close(fd);
			return -1;
		}
		buf_append(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* config_read_file - a whole included file into out, fed to the digest; -1 with errno */
int config_read_file(struct config_ctx *x, const char *path, struct buf *out)
{
	if (config_slurp(path, out) < 0)
		return -1;
	config_digest_file(x, out);
	return 0;
}

/* config_opt_secret - option o of sec holds a secret: never in the digest, logs or dump */
int config_opt_secret(const cfg_t *sec, const cfg_opt_t *o)
{
	return strcmp(sec->name, "redis") == 0 && strcmp(o->name, "password") == 0;
}


/* config_resolve - absolute names as they are, others below the config's directory */
char *config_resolve(const struct config_ctx *x, const char *name)
{
	struct buf b = BUF_INIT;

	if (name[0] == '/' || strcmp(x->dir, ".") == 0)
		return rw_strdup(name);
	buf_printf(&b, "%s/%s", x->dir, name);
	return buf_detach(&b);
}

/* config_names_walk - append the names of opts, prefixed */
static void config_names_walk(const cfg_opt_t *opts, const char *prefix, struct strvec *out)
{
	for (const cfg_opt_t *o = opts; o->name != NULL; o++) {
		strvec_addf(out, "%s%s%s", prefix, *prefix ? "." : "", o->name);
		if (o->type == CFGT_SEC)
			config_names_walk(o->subopts, o->name, out);
	}
}

/* config_option_names - every option, "NAME" or "SECTION.NAME" */
void config_option_names(struct strvec *out)
{
	config_names_walk(config_opts, "", out);
}

/* config_set_filename - name the file in the root and its pre-made sections */
static void config_set_filename(cfg_t *cfg, const char *path)
{
	free(cfg->filename);
	cfg->filename = rw_strdup(path);
	for (cfg_opt_t *o = cfg->opts; o->name != NULL; o++)
		if (o->type == CFGT_SEC && !(o->flags & CFGF_MULTI) && cfg_opt_size(o) > 0)
			config_set_filename(cfg_opt_getnsec(o, 0), path);
}

/* config_parse_text - libconfuse over len bytes of text; its return code */
static int config_parse_text(cfg_t *cfg, const char *text, size_t len)
{
	FILE *fp;
	int rc;

	if (len == 0)
		return CFG_SUCCESS;
	fp = fmemopen((void *)text, len, "r");
	if (fp == NULL)
		return CFG_FILE_ERROR;
	errno = 0;	/* libconfuse tests errno for ERANGE without clearing it */
	rc = cfg_parse_fp(cfg, fp);
	fclose(fp);
	return rc;
}

/*
 * config_unclosed - libconfuse takes the end of the file as the end of an
 * open section or comment. Parse the text followed by "}": that succeeds
 * only if a section or a comment was left open. Run before the real parse:
 * cfg_free resets the lexer, which an open comment leaves in its state.
 */
static int config_unclosed(const struct buf *text, const char *path)
{
	struct config_ctx *saved = config_cur;
	struct buf err = BUF_INIT, again = BUF_INIT;
	struct config_ctx scratch = { .err = &err };
	cfg_t *cfg;
	int rc;

	config_cur = &scratch;
	cfg = cfg_init(config_opts, CFGF_NONE);
	if (cfg == NULL)
		abort();	/* out of memory */
	cfg_set_error_function(cfg, config_errfunc);
	config_set_filename(cfg, path);
	buf_append(&again, text->data, text->len);
	buf_puts(&again, "\n}\n");
	rc = config_parse_text(cfg, again.data, again.len);
	cfg_free(cfg);
	config_cur = saved;
	free(scratch.lines);
	buf_release(&again);
	buf_release(&err);
	return rc == CFG_SUCCESS;
}

/* config_parse - run libconfuse over the bytes already read */
static int config_parse(struct config_ctx *x, cfg_t *cfg, const char *path,
			const struct buf *text)
{
	int rc;

	config_set_filename(cfg, path);
	rc = config_parse_text(cfg, text->data, text->len);
	if (rc == CFG_FILE_ERROR)
		config_fail(x, path, 0, NULL, NULL, "cannot parse: %s", strerror(errno));
	else if (rc != CFG_SUCCESS)	/* the lexer may stop without a message */
		config_fail(x, cfg->filename, cfg->line, NULL, NULL,
			    "syntax error (unterminated string or comment?)");
	return x->failed ? -1 : 0;
}

/* config_last_line - number of the last line of text */
static int config_last_line(const struct buf *text)
{
	int n = 1;

	for (size_t i = 0; i + 1 < text->len; i++)
		n += text->data[i] == '\n';
	return n;
}

/* config_dirname - the directory part of path, "." if none */
static char *config_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return rw_strdup(".");
	return rw_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* config_load - parse, check, compile; NULL with the first error in *err */
struct rw_config *config_load(const char *path, struct buf *err)
{
	struct config_ctx x = { .err = err };
	struct buf text = BUF_INIT;
	struct rw_config *c = NULL;
	cfg_t *cfg;

	assert(config_cur == NULL);
	x.dir = config_dirname(path);
	x.md = EVP_MD_CTX_new();
	if (x.md == NULL || EVP_DigestInit_ex(x.md, EVP_sha256(), NULL) != 1)
		config_fail(&x, path, 0, NULL, NULL, "SHA-256 is not available");
	else if (config_slurp(path, &text) < 0)
		config_fail(&x, path, 0, NULL, NULL, "cannot read: %s", strerror(errno));
	else if (config_unclosed(&text, path))
		config_fail(&x, path, config_last_line(&text), NULL, NULL,
			    "syntax error: premature end of file: a '{' or '/*' is not closed");
	if (!x.failed) {
		config_cur = &x;
		cfg = cfg_init(config_opts, CFGF_NONE);
		if (cfg == NULL) {	/* libconfuse failed to allocate */
			fputs("relaywarden: fatal: out of memory\n", stderr);
			abort();
		}
		cfg_set_error_function(cfg, config_errfunc);
		if (config_parse(&x, cfg, path, &text) == 0) {
			config_digest_start(&x, cfg);
			c = config_compile(&x, cfg, path);
		}
		cfg_free(cfg);
		config_cur = NULL;
	}
	if (c != NULL)
		config_digest_finish(&x, c);
	EVP_MD_CTX_free(x.md);
	buf_release(&text);
	free(x.dir);
	free(x.lines);
	return c;
}

/* config_ref - one more reference */
struct rw_config *config_ref(struct rw_config *c)
{
	c->refs++;
	return c;
}

/* config_unref - drop a reference; free on the last; clears *cp */
void config_unref(struct rw_config **cp)
{
	struct rw_config *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	assert(c->refs > 0);
	if (--c->refs > 0)
		return;
	free(c->path);
	free(c->instance_name);
	policy_free(&c->policy);
	config_src_free(&c->src);
	strvec_release(&c->policyd.listen);
	free(c->milter.listen);
	config_milter_release(c);
	config_spf_release(c);
	strvec_release(&c->redis.servers);
	strvec_release(&c->redis.sentinels);
	free(c->redis.master_name);
	if (c->redis.password != NULL)
		explicit_bzero(c->redis.password, strlen(c->redis.password));
	free(c->redis.password);
	free(c->audit.file);
	free(c->audit.hmac_key_file);
	free(c->user);
	free(c->policyd.metrics);
	free(c);
}
