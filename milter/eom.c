/* eom - end-of-message message checks of the milter; see eom.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/msgauth/authres.h"
#include "core/util/mem.h"
#include "core/util/now.h"
#include "core/util/strvec.h"
#include "milter/eom.h"
#include "milter/eom_int.h"
#include "milter/state.h"

#define EOM_AR "Authentication-Results"

struct eom_msg {
	struct snap *sn;		/* the snapshot the message is checked under */
	struct dkimv_msg *dk;		/* NULL: DKIM not evaluated */
	struct strvec froms;		/* every From value, header order */
	unsigned n_ar;			/* Authentication-Results fields seen */
	int *forged;			/* their 1-based indexes claiming our id */
	size_t n_forged;
	struct buf field;		/* scratch: one header field for DKIM */
	char *oversized;		/* the first field over EOM_FIELD_MAX: its name */
	size_t oversized_len;		/* and its length */
	/* results (eom_check) */
	int checked;
	struct spf_dir_results spf;
	enum spf_dir spf_dir;
	struct align_outcome align;
	int align_done;
	struct buf authres;		/* our header value, "" when none */
	struct audit_message audit;
};

/* eom_wants_message - see eom.h */
int eom_wants_message(const struct rw_config *cfg)
{
	return cfg->checks.dkim != MODE_OFF || cfg->checks.spf != MODE_OFF ||
	       cfg->checks.alignment != MODE_OFF;
}

/* eom_actions - see eom.h */
unsigned long eom_actions(const struct rw_config *cfg)
{
	return eom_wants_message(cfg) ? SMFIF_ADDHDRS | SMFIF_CHGHDRS : 0;
}

/* eom_authserv_id - ours: checks.authserv_id, else the instance name */
static const char *eom_authserv_id(const struct rw_config *cfg)
{
	if (cfg->checks.authserv_id != NULL)
		return cfg->checks.authserv_id;
	return cfg->instance_name != NULL ? cfg->instance_name : "localhost";
}

/* eom_msg_new - a message checked under sn (a reference is taken); NULL when checks are off */
static struct eom_msg *eom_msg_new(struct snap *sn)
{
	struct eom_msg *m;

	if (sn == NULL || sn->checks == NULL)
		return NULL;
	m = rw_calloc(1, sizeof(*m));
	m->sn = state_ref(sn);
	if (sn->checks->dkim != NULL)
		m->dk = dkimv_msg_new(sn->checks->dkim, "milter");
	return m;
}

/* eom_start - the message state, made at the first header under the current snapshot */
static struct eom_msg *eom_start(struct eom_msg **mp)
{
	struct snap *sn;

	if (*mp == NULL) {
		sn = state_get();
		*mp = eom_msg_new(sn);
		state_put(&sn);
	}
	return *mp;
}

/*
 * eom_field_oversized - name: value is over EOM_FIELD_MAX: the first such
 * field is remembered (its name printable, at most 64 bytes, for the reply)
 */
static int eom_field_oversized(struct eom_msg *m, const char *name, const char *value)
{
	size_t len = strlen(name) + 1 + strlen(value);

	if (len <= EOM_FIELD_MAX)
		return 0;
	if (m->oversized == NULL) {
		m->oversized = rw_strndup(name, 64);
		for (char *p = m->oversized; *p; p++)
			if (*p <= ' ' || *p >= 0x7f)
				*p = '?';
		m->oversized_len = len;
	}
	return 1;
}

/* eom_header - see eom.h */
void eom_header(struct eom_msg **mp, const char *name, const char *value, int leadspc)
{
	struct eom_msg *m = eom_start(mp);
	const char *v = value + (leadspc && (*value == ' ' || *value == '\t'));

	if (m == NULL)
		return;
	if (eom_field_oversized(m, name, value))
		return;
	if (m->dk != NULL) {
		buf_truncate(&m->field, 0);
		buf_printf(&m->field, "%s:%s%s", name, leadspc ? "" : " ", value);
		dkimv_header(m->dk, m->field.data, m->field.len);
	}
	if (strcasecmp(name, "From") == 0)
		strvec_add(&m->froms, value);
	if (strcasecmp(name, EOM_AR) != 0)
		return;
	m->n_ar++;
	if (authres_is_ours(v, strlen(v), eom_authserv_id(m->sn->cfg))) {
		m->forged = rw_realloc(m->forged, (m->n_forged + 1) * sizeof(*m->forged));
		m->forged[m->n_forged++] = (int)m->n_ar;
	}
}

/* eom_body - see eom.h */
void eom_body(struct eom_msg **mp, const unsigned char *p, size_t len)
{
	struct eom_msg *m = eom_start(mp);

	if (m != NULL && m->dk != NULL)
		dkimv_body(m->dk, p, len);
}

/* eom_merge - v refuses with tmp's reply unless it refuses already; traces move over */
static void eom_merge(struct rw_verdict *v, struct rw_verdict *tmp)
{
	for (size_t i = 0; i < tmp->trace.n; i++)
		verdict_trace_str(v, tmp->trace.v[i]);
	if (v->action == ACT_DUNNO && (tmp->action == ACT_REJECT || tmp->action == ACT_DEFER)) {
		verdict_set(v, tmp->action, tmp->code, tmp->dsn, "%s", buf_cstr(&tmp->text));
		verdict_reason(v, tmp->reason);
	}
	verdict_release(tmp);
}

/* eom_dkim_bad - the first signature that failed, or NULL */
static const struct mc_dkim_sig *eom_dkim_bad(const struct mc_dkim_sig *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].result != MC_DKIM_PASS && s[i].result != MC_DKIM_POLICY)
			return &s[i];
	return NULL;
}

/* eom_dkim_verdict - DKIM: a message whose signatures all fail is refused when enforced */
static void eom_dkim_verdict(struct eom_msg *m, enum rw_mode mode, struct rw_verdict *v)
{
	struct rw_verdict tmp = VERDICT_INIT;
	enum mc_dkim_result r = dkimv_result(m->dk);
	size_t n;
	const struct mc_dkim_sig *s = dkimv_sigs(m->dk, &n), *bad = eom_dkim_bad(s, n);
	int refuse = r == MC_DKIM_FAIL || r == MC_DKIM_PERMERROR || r == MC_DKIM_TEMPERROR;

	verdict_trace(&tmp, "dkim (%s): %s, %zu signature%s", mode_name(mode),
		      mc_dkim_result_name(r), n, n == 1 ? "" : "s");
	if (!refuse || bad == NULL || mode == MODE_OFF)
		goto out;
	if (mode == MODE_SHADOW) {
		verdict_trace(&tmp, "dkim: %s would refuse; mode shadow accepts",
			      mc_dkim_result_name(r));
	} else if (r == MC_DKIM_TEMPERROR) {
		verdict_set(&tmp, ACT_DEFER, 451, "4.4.3", "DKIM key of d=%s s=%s could not be "
			    "fetched (temperror); try again later", bad->domain, bad->selector);
		verdict_reason(&tmp, REASON_DKIM);
	} else {
		verdict_set(&tmp, ACT_REJECT, 550, "5.7.20", "DKIM signature d=%s s=%s does not "
			    "verify (%s%s%s); sign again with a valid key or remove the broken "
			    "signature", bad->domain, bad->selector, mc_dkim_result_name(bad->result),
			    *bad->reason ? ": " : "", bad->reason);
		verdict_reason(&tmp, REASON_DKIM);
	}
out:
	eom_merge(v, &tmp);
}

/* eom_oversized_verdict - a header field over EOM_FIELD_MAX: refused when a check is enforced */
static void eom_oversized_verdict(struct eom_msg *m, const struct rw_config *cfg,
				  struct rw_verdict *v)
{
	struct rw_verdict tmp = VERDICT_INIT;
	int enforced = cfg->checks.dkim == MODE_ENFORCE || cfg->checks.spf == MODE_ENFORCE ||
		       cfg->checks.alignment == MODE_ENFORCE;

	verdict_trace(&tmp, "header field %s: %zu bytes, over the bound of %d", m->oversized,
		      m->oversized_len, EOM_FIELD_MAX);
	if (enforced)
		verdict_set(&tmp, ACT_REJECT, 552, "5.6.0", "header field %s is too long (%zu "
			    "bytes, at most %d); shorten it", m->oversized, m->oversized_len,
			    EOM_FIELD_MAX);
	else
		verdict_trace(&tmp, "header field too long would refuse; checks in shadow accept");
	eom_merge(v, &tmp);
}

/* eom_spf - SPF for the message in its direction; traced, refused when enforced */
static void eom_spf(struct eom_msg *m, const struct rw_txn *t, int relayed, uint64_t deadline,
		    struct rw_verdict *v)
{
	const struct rw_config *cfg = m->sn->cfg;
	enum rw_mode mode = cfg->checks.spf;
	struct rw_verdict tmp = VERDICT_INIT;

	m->spf_dir = relayed ? SPF_DIR_EGRESS : SPF_DIR_INBOUND;
	if (eom_spf_run(m->sn->checks, cfg, t, m->spf_dir, deadline, &m->spf) == 0) {
		verdict_trace(v, "spf %s: %s: not checked", spf_policy_dir_name(m->spf_dir),
			      relayed ? "no egress_addresses" : "client address unusable");
		return;
	}
	spf_policy_apply(mode == MODE_ENFORCE ? MODE_ENFORCE : MODE_SHADOW, m->spf_dir,
			 &m->spf, &tmp);
	eom_merge(v, &tmp);
}

/* eom_align - alignment of the From field; refused when enforced */
static void eom_align(struct eom_msg *m, int relayed, uint64_t deadline, struct rw_verdict *v)
{
	const struct rw_config *cfg = m->sn->cfg;
	const struct spf_check_result *c = spf_policy_decisive(m->spf_dir, &m->spf);
	enum rw_mode mode = cfg->checks.alignment;
	struct align_input in = {
		.from = (const char *const *)m->froms.v, .n_from = m->froms.n,
		.spf = c != NULL ? c->out.result : SPF_NONE,
		.spf_domain = c != NULL ? buf_cstr(&c->out.domain) : NULL,
		.planned = relayed ? cfg->checks.signed_domains : NULL,
		.adkim = cfg->checks.alignment_strict ? ALIGN_STRICT : ALIGN_RELAXED,
		.aspf = cfg->checks.alignment_strict ? ALIGN_STRICT : ALIGN_RELAXED,
		.org = cfg->checks.org_psl ? ALIGN_ORG_PSL : ALIGN_ORG_TREEWALK,
	};
	struct rw_verdict tmp = VERDICT_INIT;

	if (m->dk != NULL)
		in.sigs = dkimv_sigs(m->dk, &in.n_sigs);
	eom_align_run(m->sn->checks, &in, deadline, &m->align);
	m->align_done = 1;
	verdict_trace(&tmp, "alignment (%s): %s: %s", mode_name(mode),
		      align_result_name(m->align.result), buf_cstr(&m->align.reason));
	if (m->align.result == ALIGN_PASS || mode == MODE_OFF) {
		(void)0;
	} else if (mode == MODE_SHADOW) {
		verdict_trace(&tmp, "alignment: %s would refuse; mode shadow accepts",
			      align_result_name(m->align.result));
	} else if (m->align.result == ALIGN_TEMPERROR) {
		verdict_set(&tmp, ACT_DEFER, 451, "4.4.3", "the DMARC record of %s could not be "
			    "fetched (temperror); try again later", buf_cstr(&m->align.from_domain));
		verdict_reason(&tmp, REASON_ALIGNMENT);
	} else {
		verdict_set(&tmp, ACT_REJECT, 550, "5.7.1", "%s", buf_cstr(&m->align.reason));
		verdict_reason(&tmp, REASON_ALIGNMENT);
	}
	eom_merge(v, &tmp);
}

/* eom_how - what aligned, for the audit */
static const char *eom_how(const struct align_outcome *o)
{
	if (o->result != ALIGN_PASS)
		return "none";
	if (o->planned)
		return "planned";
	if (o->spf_aligned && o->dkim_aligned >= 0)
		return "dkim+spf";
	return o->spf_aligned ? "spf" : "dkim";
}

/* eom_results - the Authentication-Results value and the audit part */
static void eom_results(struct eom_msg *m, const struct rw_txn *t)
{
	const struct rw_config *cfg = m->sn->cfg;
	const struct spf_check_result *c = spf_policy_decisive(m->spf_dir, &m->spf);
	struct audit_message *a = &m->audit;
	struct authres_input in = {
		.authserv_id = eom_authserv_id(cfg), .dkim_checked = m->dk != NULL,
		.spf = c != NULL ? &c->out : NULL, .spf_mailfrom = t->sender,
		.align = m->align_done ? &m->align : NULL, .fold = "\n\t",
	};

	if (m->dk != NULL) {
		in.sigs = dkimv_sigs(m->dk, &in.n_sigs);
		a->dkim_mode = mode_name(cfg->checks.dkim);
		a->dkim = mc_dkim_result_name(dkimv_result(m->dk));
		a->sigs = in.sigs;
		a->n_sigs = in.n_sigs;
	}
	authres_build(&in, &m->authres);
	if (m->spf.done) {
		a->spf_mode = mode_name(cfg->checks.spf);
		a->spf_direction = spf_policy_dir_name(m->spf_dir);
		a->spf_result = c != NULL ? spf_result_name(c->out.result) : NULL;
		a->spf_domain = c != NULL ? buf_cstr(&c->out.domain) : NULL;
		a->spf_ip = c != NULL ? c->ip_text : NULL;
	}
	if (m->align_done) {
		a->alignment_mode = mode_name(cfg->checks.alignment);
		a->alignment = align_result_name(m->align.result);
		a->finding = align_from_status_name(m->align.from_status);
		a->from_domain = buf_cstr(&m->align.from_domain);
		a->how = eom_how(&m->align);
		a->org_method = m->align.org_method;
		a->org_domain = buf_cstr(&m->align.org_domain);
		a->dmarc_record = buf_cstr(&m->align.dmarc_name);
		a->policy = m->align.dmarc.found ? align_policy_name(m->align.dmarc.p) : NULL;
		a->policy_tag = m->align.policy_tag;
		a->testing = m->align.dmarc.testing;
	}
}

/* eom_check - see eom.h */
void eom_check(struct eom_msg **mp, struct snap *sn, const struct rw_txn *t, int relayed,
	       struct rw_verdict *v)
{
	struct eom_msg *m = *mp;
	const struct rw_config *cfg;
	uint64_t start = now_mono_ms(), deadline;

	if (m == NULL)
		m = *mp = eom_msg_new(sn);
	if (m == NULL || m->checked)
		return;
	cfg = m->sn->cfg;
	m->checked = 1;
	deadline = start + cfg->spf.budget_ms;	/* one budget for every look-up of the message */
	if (m->oversized != NULL)
		eom_oversized_verdict(m, cfg, v);
	if (m->dk != NULL) {
		dkimv_eom_by(m->dk, deadline);
		eom_dkim_verdict(m, cfg->checks.dkim, v);
	}
	if (cfg->checks.spf != MODE_OFF || cfg->checks.alignment != MODE_OFF)
		eom_spf(m, t, relayed, deadline, v);
	if (cfg->checks.alignment != MODE_OFF)
		eom_align(m, relayed, deadline, v);
	eom_results(m, t);
	m->audit.budget_ms = cfg->spf.budget_ms;
	m->audit.elapsed_ms = (unsigned long)(now_mono_ms() - start);
}

/* eom_apply - see eom.h */
int eom_apply(struct eom_msg *m, int leadspc, const struct milter_ops *ops, SMFICTX *ctx)
{
	struct buf value = BUF_INIT;
	int rc = 0;

	if (m == NULL || !m->checked)
		return 0;
	for (size_t i = m->n_forged; i > 0; i--)
		if (ops->chgheader(ctx, (char *)EOM_AR, m->forged[i - 1], NULL) != MI_SUCCESS)
			rc = -1;
	if (m->authres.len > 0) {
		buf_printf(&value, "%s%s", leadspc ? " " : "", buf_cstr(&m->authres));
		if (ops->insheader(ctx, 0, (char *)EOM_AR, value.data) != MI_SUCCESS)
			rc = -1;
	}
	buf_release(&value);
	return rc;
}

/* eom_audit - see eom.h */
const struct audit_message *eom_audit(const struct eom_msg *m)
{
	return m != NULL && m->checked ? &m->audit : NULL;
}

/* eom_authres - see eom.h */
const char *eom_authres(const struct eom_msg *m)
{
	return m != NULL ? buf_cstr(&m->authres) : "";
}

/* eom_msg_free - free and clear */
void eom_msg_free(struct eom_msg **mp)
{
	struct eom_msg *m = *mp;

	if (m == NULL)
		return;
	dkimv_msg_free(&m->dk);
	strvec_release(&m->froms);
	free(m->forged);
	buf_release(&m->field);
	free(m->oversized);
	for (size_t i = 0; i < m->spf.n; i++) {
		free(m->spf.v[i].ip_text);
		spf_outcome_release(&m->spf.v[i].out);
	}
	free(m->spf.v);
	align_outcome_release(&m->align);
	buf_release(&m->authres);
	state_put(&m->sn);
	free(m);
	*mp = NULL;
}
