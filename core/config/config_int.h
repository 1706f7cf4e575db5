/*
 * config_int - private to core/config/config.c, config_compile.c, config_dump.c.
 *
 * config.c owns the load context; config_table.c the option table the
 * libconfuse options are built from; config_check.c the parse-time
 * validators; config_compile.c turns a parsed cfg_t into a snapshot
 * (policy, included files, cross-field checks); config_dump.c prints one.
 *
 * The load context records, for every value a validator saw, the line it
 * was on, so checks made after parsing still name the right line. Only the
 * first error is kept; it has the form
 *   FILE:LINE: option 'NAME'[ in SECTION['TITLE']]: MESSAGE
 * Not thread-safe: libconfuse's lexer has global state.
 */
#ifndef RW_CONFIG_INT_H
#define RW_CONFIG_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <confuse.h>
#include <openssl/evp.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/util/strvec.h"

#define CONFIG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct config_line {		/* where one value of an option was set */
	const cfg_t *sec;
	const char *name;
	unsigned idx;
	int line;
};

struct config_ctx {
	struct buf *err;
	int failed;		/* an error has been recorded */
	char *dir;		/* the main file's directory */
	EVP_MD_CTX *md;		/* the digest: settings, then included files (config_digest.c) */
	struct config_line *lines;
	size_t n_lines;
	size_t cap_lines;
};

struct config_filecount {	/* one included file and the entries it gave */
	char *path;
	size_t n;
};

struct config_srclist {		/* a list option as written, plus its files */
	struct strvec values;
	struct config_filecount *files;
	size_t n_files;
};

struct config_srcrule {
	struct config_srclist networks;
	struct config_srclist fingerprints;
	struct config_srclist pubkey_fingerprints;
};

struct config_srccustomer {	/* one customer section as written */
	struct strvec users;
	struct strvec sender_domains;
	struct strvec networks;
	struct strvec fingerprints;
};

/* what config_dump shows that the compiled policy cannot give back */
struct config_src {
	struct strvec local_domains;
	struct strvec relay_domains;
	struct strvec logins;		/* sender_login section titles */
	struct strvec *senders;		/* their senders, parallel to logins */
	struct config_srclist login_files;	/* sender_login_files */
	struct config_srcrule *rules;	/* parallel to policy->rules */
	size_t n_rules;
	struct strvec customer_ids;	/* customer section titles */
	struct config_srccustomer *customers;	/* parallel to customer_ids */
	struct config_srclist customer_files;
};

/* one entry line of an included file; 0, or -1 with the message in msg */
typedef int config_line_fn(void *arg, char *line, struct buf *msg);

/* config_fail - record "FILE:LINE: option 'OPT'[ in SEC]: msg" (first error only) */
void config_fail(struct config_ctx *x, const char *file, int line, const cfg_t *sec,
		 const char *opt, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* config_line_of - line of value idx of option name in sec (any index, else sec's) */
int config_line_of(const struct config_ctx *x, const cfg_t *sec, const char *name,
		   unsigned idx);
/* config_is_set - a validator saw a value for name in sec */
int config_is_set(const struct config_ctx *x, const cfg_t *sec, const char *name);
/* config_resolve - file name relative to the main file's directory */
char *config_resolve(const struct config_ctx *x, const char *name);
/* config_read_file - whole file into out, fed to the digest; -1 with errno */
int config_read_file(struct config_ctx *x, const char *path, struct buf *out);
/* config_files - feed every file named by list option opt of sec to fn, line by
 * line (blank and '#' lines skipped), recording each file in src; 0 or -1 */
int config_files(struct config_ctx *x, cfg_t *sec, const char *opt, config_line_fn *fn,
		 void *arg, struct config_srclist *src);
/* config_split - cut the first blank-separated column off line; returns the rest */
char *config_split(char *line);
/* config_facility_name - "mail", "local3", ... for a LOG_* facility */
const char *config_facility_name(int facility);
/* config_facility_value - LOG_* facility of a keyword the validator accepted */
int config_facility_value(const char *name);
/* config_option_names - every option as "NAME" or "SECTION.NAME", table order */
void config_option_names(struct strvec *out);

/* config_opt_secret - option o of sec holds a secret: never in the digest, logs or dump */
int config_opt_secret(const cfg_t *sec, const cfg_opt_t *o);
/* config_digest_start - the digest's tag and the effective settings, secrets left out */
void config_digest_start(struct config_ctx *x, cfg_t *cfg);
/* config_digest_file - one included file's bytes into the digest */
void config_digest_file(struct config_ctx *x, const struct buf *text);
/* config_digest_finish - the hex digest into c->digest */
void config_digest_finish(struct config_ctx *x, struct rw_config *c);

/* config_mode - the mode keyword of option opt of sec (validated) */
enum rw_mode config_mode(cfg_t *sec, const char *opt);

/* config_current - the load in progress (validators have no user pointer) */
struct config_ctx *config_current(void);
/* config_note - record the line of the value just set; returns its index */
unsigned config_note(cfg_t *cfg, cfg_opt_t *opt);

/* validate callbacks (config_check.c): 0, or -1 after config_fail */
int config_v_word(cfg_t *cfg, cfg_opt_t *opt);
int config_v_text(cfg_t *cfg, cfg_opt_t *opt);
int config_v_note(cfg_t *cfg, cfg_opt_t *opt);
int config_v_enum(cfg_t *cfg, cfg_opt_t *opt);
int config_v_int(cfg_t *cfg, cfg_opt_t *opt);
int config_v_domain(cfg_t *cfg, cfg_opt_t *opt);
int config_v_file(cfg_t *cfg, cfg_opt_t *opt);
int config_v_sender(cfg_t *cfg, cfg_opt_t *opt);
int config_v_cidr(cfg_t *cfg, cfg_opt_t *opt);
int config_v_fprint(cfg_t *cfg, cfg_opt_t *opt);
int config_v_listen(cfg_t *cfg, cfg_opt_t *opt);
int config_v_metrics(cfg_t *cfg, cfg_opt_t *opt);
int config_v_user(cfg_t *cfg, cfg_opt_t *opt);
int config_v_mode(cfg_t *cfg, cfg_opt_t *opt);
int config_v_size(cfg_t *cfg, cfg_opt_t *opt);
int config_v_rate(cfg_t *cfg, cfg_opt_t *opt);
int config_v_tz(cfg_t *cfg, cfg_opt_t *opt);
int config_v_redis(cfg_t *cfg, cfg_opt_t *opt);
/* config_v_milter_listen - inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH (config_milter.c) */
int config_v_milter_listen(cfg_t *cfg, cfg_opt_t *opt);
/* config_v_upstream - "IP" or "IP@PORT" (config_spf.c) */
int config_v_upstream(cfg_t *cfg, cfg_opt_t *opt);
/* config_v_ip - one IPv4 or IPv6 address, no prefix (config_spf.c) */
int config_v_ip(cfg_t *cfg, cfg_opt_t *opt);

/* config_compile - snapshot from a parsed cfg; NULL after config_fail */
struct rw_config *config_compile(struct config_ctx *x, cfg_t *cfg, const char *path);
void config_src_free(struct config_src **sp);
/* config_limits_compile - timezone, charge_at, customers, limits, quotas,
 * redis (config_limits.c); 0, or -1 after config_fail */
int config_limits_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c);
/* config_milter_compile - the milter section (config_milter.c); 0, or -1 after config_fail */
int config_milter_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c);
/* config_milter_release - free what config_milter_compile set in c (checks included) */
void config_milter_release(struct rw_config *c);
/* config_milter_dump - the milter and checks sections in relaywarden.conf syntax */
void config_milter_dump(const struct rw_config *c, struct buf *out);
/* config_spf_compile - the dns and spf sections (config_spf.c); 0, or -1 after config_fail */
int config_spf_compile(struct config_ctx *x, cfg_t *cfg, struct rw_config *c);
/* config_spf_dump - the dns and spf sections in relaywarden.conf syntax */
void config_spf_dump(const struct rw_config *c, struct buf *out);
/* config_spf_release - free what config_spf_compile set in c */
void config_spf_release(struct rw_config *c);
/* config_limits_src_free - the customer part of a config_src */
void config_limits_src_free(struct config_src *s);

#endif
