/* spf_policy - SPF results into verdicts and Received-SPF; see spf_policy.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/spf/spf_policy.h"

#define SPF_POLICY_VALUE_MAX 255	/* octets of one client-given value in a header */

/* spf_txn_results_release - one direction's results */
static void spf_txn_results_release(struct spf_dir_results *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].ip_text);
		spf_outcome_release(&d->v[i].out);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* spf_txn_release - free everything */
void spf_txn_release(struct spf_txn *c)
{
	spf_txn_results_release(&c->dir[SPF_DIR_INBOUND]);
	spf_txn_results_release(&c->dir[SPF_DIR_EGRESS]);
	free(c->instance);
	free(c->sender);
	c->instance = c->sender = NULL;
}

/* spf_txn_use - same transaction: keep; another: start empty */
void spf_txn_use(struct spf_txn *c, const char *instance, const char *sender)
{
	instance = instance != NULL ? instance : "";
	sender = sender != NULL ? sender : "";
	if (c->instance != NULL && *instance != '\0' && strcmp(c->instance, instance) == 0 &&
	    strcmp(c->sender, sender) == 0)
		return;
	spf_txn_release(c);
	c->instance = rw_strdup(instance);
	c->sender = rw_strdup(sender);
}

/* spf_policy_dir_name - direction as text */
const char *spf_policy_dir_name(enum spf_dir dir)
{
	return dir == SPF_DIR_EGRESS ? "egress" : "inbound";
}

/* spf_policy_mode_name - mode as text: SPF says "reject" where others say "enforce" */
const char *spf_policy_mode_name(enum rw_mode mode)
{
	return mode == MODE_ENFORCE ? "reject" : mode_name(mode);
}

/* spf_policy_refused - the table of spf_policy.h */
int spf_policy_refused(enum spf_dir dir, enum spf_result r)
{
	switch (r) {
	case SPF_FAIL:
	case SPF_PERMERROR:
	case SPF_TEMPERROR:
		return 1;
	case SPF_SOFTFAIL:
		return dir == SPF_DIR_EGRESS;
	default:
		return 0;
	}
}

/* spf_policy_decisive - the first refused check, else the first */
const struct spf_check_result *spf_policy_decisive(enum spf_dir dir,
						   const struct spf_dir_results *res)
{
	for (size_t i = 0; i < res->n; i++)
		if (spf_policy_refused(dir, res->v[i].out.result))
			return &res->v[i];
	return res->n > 0 ? &res->v[0] : NULL;
}

/* spf_policy_refuse - the refusal for check c (mode defer or reject) */
static void spf_policy_refuse(enum rw_mode mode, enum spf_dir dir,
			      const struct spf_check_result *c, struct rw_verdict *v)
{
	enum spf_result r = c->out.result;
	const char *dom = buf_cstr(&c->out.domain), *res = spf_result_name(r);
	int temp = mode == MODE_DEFER || r == SPF_TEMPERROR;
	enum rw_action act = temp ? ACT_DEFER : ACT_REJECT;
	unsigned code = temp ? 451 : 550;
	const char *dsn = temp ? "4.7.24" : r == SPF_PERMERROR ? "5.7.24" : "5.7.23";

	if (r == SPF_TEMPERROR)
		verdict_set(v, act, code, dsn, "SPF check of %s failed temporarily (temperror) "
			    "for %s; try again later", dom, c->ip_text);
	else if (r == SPF_PERMERROR)
		verdict_set(v, act, code, dsn, "the SPF record of %s is broken (permerror)%s%s",
			    dom, dir == SPF_DIR_EGRESS ? "; receivers will not see pass for "
			    "our egress address " : "", dir == SPF_DIR_EGRESS ? c->ip_text : "");
	else if (dir == SPF_DIR_EGRESS)
		verdict_set(v, act, code, dsn, "SPF of %s does not permit our egress address %s "
			    "(%s): relayed, this message would fail SPF at its destination",
			    dom, c->ip_text, res);
	else
		verdict_set(v, act, code, dsn, "SPF of %s does not permit %s to send its mail "
			    "(%s)", dom, c->ip_text, res);
	verdict_reason(v, REASON_SPF);
}

/* spf_policy_apply - trace, and refuse in modes defer and reject */
int spf_policy_apply(enum rw_mode mode, enum spf_dir dir,
		     const struct spf_dir_results *res, struct rw_verdict *v)
{
	const struct spf_check_result *c = spf_policy_decisive(dir, res);

	for (size_t i = 0; i < res->n; i++) {
		const struct spf_outcome *o = &res->v[i].out;

		verdict_trace(v, "spf %s (%s): %s for %s: %s%s%s", spf_policy_dir_name(dir),
			      spf_policy_mode_name(mode), buf_cstr(&o->domain),
			      res->v[i].ip_text, spf_result_name(o->result),
			      o->mechanism.len ? " by " : "", buf_cstr(&o->mechanism));
	}
	if (c == NULL || !spf_policy_refused(dir, c->out.result))
		return 0;
	if (mode != MODE_DEFER && mode != MODE_ENFORCE) {
		verdict_trace(v, "spf %s: %s would refuse; mode %s accepts", spf_policy_dir_name(dir),
			      spf_result_name(c->out.result), spf_policy_mode_name(mode));
		return 0;
	}
	spf_policy_refuse(mode, dir, c, v);
	return 1;
}

/* spf_policy_put - s (n octets) with controls, non-ASCII, '"' and '\' made '?' */
static void spf_policy_put(struct buf *out, const char *s, size_t n, const char *bad)
{
	for (size_t i = 0; i < n && i < SPF_POLICY_VALUE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf_putc(out, ch < 0x20 || ch >= 0x7f || strchr(bad, ch) ? '?' : ch);
	}
}

/* spf_policy_kv - "; key=\"value\"" from client data */
static void spf_policy_kv(struct buf *out, const char *key, const char *s)
{
	buf_printf(out, " %s=\"", key);
	spf_policy_put(out, s, strlen(s), "\"\\");
	buf_puts(out, "\";");
}

/* spf_policy_comment - the "(receiver: domain of X ...)" part */
static void spf_policy_comment(enum spf_dir dir, const struct spf_check_result *c,
			       const char *receiver, const char *who, struct buf *out)
{
	static const struct {
		enum spf_result r;
		const char *text;
	} says[] = {
		{ SPF_PASS, "designates" }, { SPF_FAIL, "does not designate" },
		{ SPF_SOFTFAIL, "does not designate" }, { SPF_NEUTRAL, "makes no statement on" },
		{ SPF_NONE, "publishes no SPF record for" },
	};
	const char *verb = NULL;

	buf_putc(out, '(');
	spf_policy_put(out, receiver, strlen(receiver), "()\\");
	buf_puts(out, dir == SPF_DIR_EGRESS ? ": egress check: " : ": ");
	for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
		if (says[i].r == c->out.result)
			verb = says[i].text;
	if (verb == NULL) {
		buf_printf(out, "error in processing during lookup of ");
		spf_policy_put(out, who, strlen(who), "()\\");
		buf_puts(out, ") ");
		return;
	}
	buf_puts(out, "domain of ");
	spf_policy_put(out, who, strlen(who), "()\\");
	buf_printf(out, " %s %s%s as permitted sender) ", verb,
		   dir == SPF_DIR_EGRESS ? "our egress address " : "", c->ip_text);
}

/* spf_policy_header - Received-SPF for the decisive check */
void spf_policy_header(enum spf_dir dir, const struct spf_dir_results *res,
		       const char *receiver, const char *sender, const char *helo,
		       struct buf *out)
{
	const struct spf_check_result *c = spf_policy_decisive(dir, res);
	int mailfrom = sender != NULL && *sender != '\0';
	const char *who = mailfrom ? sender : (helo != NULL ? helo : "");

	if (c == NULL)
		return;
	buf_printf(out, "Received-SPF: %s ", spf_result_name(c->out.result));
	spf_policy_comment(dir, c, receiver, who, out);
	buf_printf(out, "client-ip=%s;", c->ip_text);
	spf_policy_kv(out, "envelope-from", mailfrom ? sender : "<>");
	spf_policy_kv(out, "helo", helo != NULL ? helo : "");
	buf_puts(out, " receiver=");
	spf_policy_put(out, receiver, strlen(receiver), "\"\\;()");
	buf_printf(out, "; identity=%s;", mailfrom ? "mailfrom" : "helo");
	if (c->out.mechanism.len > 0)
		spf_policy_kv(out, "mechanism", buf_cstr(&c->out.mechanism));
	if (c->out.problem.len > 0)
		spf_policy_kv(out, "problem", buf_cstr(&c->out.problem));
	buf_truncate(out, out->len - 1);	/* the last ';' */
}
