/*
 * config - relaywarden.conf: config_load and the parser's context; see
 * config.h. The options are in config_table.c, their value checks in
 * config_check.c; cross-field checks and policy compilation are in
 * config_compile.c, the dump in config_dump.c, the digest in
 * config_digest.c.
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

#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/config/config_table.h"
#include "core/util/mem.h"

#define CONFIG_MAX_FILE (64u << 20)	/* bytes in one config or included file */

static struct config_ctx *config_cur;	/* the load in progress */

/* config_current - the load in progress, for the validators */
struct config_ctx *config_current(void)
{
	return config_cur;
}

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
	assert(x->lines != NULL && x->n_lines < x->cap_lines);
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

/*
 * config_after_secret - the secret option whose value the parser just took
 * on this line, else NULL. An unquoted secret with a blank in it
 * (password = two words) makes the lexer take its second word for an
 * option name or a token, which libconfuse's message would repeat.
 */
static const char *config_after_secret(const struct config_ctx *x, const cfg_t *cfg)
{
	const struct config_line *l = x->n_lines > 0 ? &x->lines[x->n_lines - 1] : NULL;
	const struct config_option *o;

	if (l == NULL || l->line != cfg->line)
		return NULL;
	o = config_table_find(l->sec->name, l->name);
	return o != NULL && (o->flags & CONFIG_SECRET) ? l->name : NULL;
}

/* config_errfunc - libconfuse's errors into the load's error buffer */
static void __attribute__((format(printf, 2, 0)))
config_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct config_ctx *x = config_cur;
	struct buf m = BUF_INIT;
	const char *name;

	if (x == NULL)
		return;
	if ((name = config_after_secret(x, cfg)) != NULL) {
		config_fail(x, cfg->filename, cfg->line, cfg, name,
			    "syntax error after the value (a secret, not shown): quote it");
		return;
	}
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
	const struct config_option *t = config_table_find(sec->name, o->name);

	return t != NULL && (t->flags & CONFIG_SECRET) != 0;
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

/* config_names_walk - append the names of t, prefixed */
static void config_names_walk(const struct config_option *t, const char *prefix,
			      struct strvec *out)
{
	for (; t->name != NULL; t++) {
		strvec_addf(out, "%s%s%s", prefix, *prefix ? "." : "", t->name);
		if (t->sub != NULL)
			config_names_walk(t->sub, t->name, out);
	}
}

/* config_option_names - every option, "NAME" or "SECTION.NAME" */
void config_option_names(struct strvec *out)
{
	config_names_walk(config_table, "", out);
}

/* config_new_cfg - a libconfuse context over the option table, our error function */
static cfg_t *config_new_cfg(void)
{
	cfg_opt_t *opts = config_table_build(config_table);
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);	/* copies the options */

	config_table_free(&opts);
	if (cfg == NULL) {	/* libconfuse failed to allocate */
		fputs("relaywarden: fatal: out of memory\n", stderr);
		abort();
	}
	cfg_set_error_function(cfg, config_errfunc);
	return cfg;
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
	cfg = config_new_cfg();
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
		cfg = config_new_cfg();
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
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);	/* policyd's workers share snapshots */
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
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(c->path);
	free(c->instance_name);
	policy_free(&c->policy);
	config_src_free(&c->src);
	strvec_release(&c->policyd.listen);
	free(c->milter.listen);
	free(c->milter.metrics);
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
	free(c->audit.signing_key_file);
	free(c->user);
	free(c->policyd.metrics);
	free(c);
}
