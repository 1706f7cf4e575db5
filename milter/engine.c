/* engine - RCPT and EOM decisions of the milter; see engine.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/audit/audit.h"
#include "core/engine/decide.h"
#include "core/util/log.h"
#include "core/engine/decid.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "core/util/now.h"
#include "core/engine/summary.h"
#include "milter/engine.h"
#include "milter/eom.h"
#include "milter/state.h"

#define ENGINE_MAX_REPLY 980	/* libmilter's MAXREPLYLEN */

struct engine_dec {
	struct snap *sn;
	struct rw_txn t;
	struct decide dec;		/* dec.v is the verdict */
	uint64_t started_us;		/* now_mono_us when the decision began */
};

/*
 * engine_decide - core/engine/decide.c with the fetches done here, synchronously:
 * the limits on the store, the message checks at EOM (eom_check)
 */
static void engine_decide(struct engine_dec *d, struct session *s)
{
	enum decide_need need;

	decide_start(&d->dec, d->sn->cfg, DECIDE_MILTER, &d->t, NULL, (int64_t)time(NULL));
	while ((need = decide_next(&d->dec)) != DECIDE_DONE) {
		if (need == DECIDE_NEED_LIMITS) {
			struct limit_result *res = rw_calloc(d->dec.plan.n, sizeof(*res));

			limit_sync_run(d->sn->store, &d->dec.plan, res);
			decide_limits_done(&d->dec, res);
		} else if (need == DECIDE_NEED_CHECKS) {
			eom_check(&s->msg.checks, d->sn, &d->t, s->msg.relayed, &d->dec.v);
			decide_checks_done(&d->dec);
		} else {	/* SPF at RCPT is policyd's: no cache given, never asked */
			decide_skip(&d->dec, "spf: not at RCPT in the milter");
		}
	}
}

/* engine_reply_text - see engine.h */
void engine_reply_text(const struct rw_verdict *v, struct buf *out)
{
	size_t max = ENGINE_MAX_REPLY - 1 - (v->id[0] != '\0' ? sizeof(" (id )") - 1 + strlen(v->id) : 0);

	for (size_t i = 0; i < v->text.len && out->len < max; i++) {
		unsigned char c = (unsigned char)v->text.data[i];

		if (c == '%')
			buf_puts(out, "%%");
		else
			buf_putc(out, c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (v->id[0] != '\0')
		buf_printf(out, " (id %s)", v->id);	/* as verdict_reply ends */
}

/* engine_reply - the verdict as the milter's answer */
static sfsistat engine_reply(const struct milter_ops *ops, SMFICTX *ctx,
			     const struct rw_verdict *v)
{
	struct buf code = BUF_INIT, text = BUF_INIT;

	if (v->action != ACT_REJECT && v->action != ACT_DEFER)
		return SMFIS_CONTINUE;
	buf_printf(&code, "%u", v->code);
	engine_reply_text(v, &text);
	if (ops->setreply(ctx, code.data, v->dsn[0] ? (char *)v->dsn : NULL, text.data) !=
	    MI_SUCCESS)
		log_warn("event=setreply_failed code=%s", code.data);
	buf_release(&code);
	buf_release(&text);
	return v->action == ACT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/*
 * engine_log - refusals (every decision with log { decisions = true }) as
 * the Postfix-style summary at info; every decision as key=value at debug
 */
static void engine_log(const struct session *s, const struct engine_dec *d)
{
	const struct rw_verdict *v = &d->dec.v;
	enum log_level lv = LOG_L_DEBUG;
	struct buf b = BUF_INIT, reply = BUF_INIT;

	verdict_reply(v, &reply);
	if (v->action == ACT_REJECT || v->action == ACT_DEFER || d->sn->cfg->log.decisions) {
		summary_line(&d->t, v, &reply, &b);
		log_plain(LOG_L_INFO, "%s", buf_cstr(&b));
		buf_truncate(&b, 0);
	}
	if (!log_enabled(lv)) {
		buf_release(&b);
		buf_release(&reply);
		return;
	}
	buf_printf(&b, "session=%s stage=%s queue_id=", s->id, txn_stage_name(d->t.stage));
	log_quote(&b, d->t.queue_id);
	buf_puts(&b, " client=");
	log_quote(&b, d->t.client_address);
	buf_puts(&b, " sasl_username=");
	log_quote(&b, d->t.sasl_username);
	buf_puts(&b, " sender=");
	log_quote(&b, d->t.sender);
	buf_puts(&b, " recipient=");
	log_quote(&b, d->t.recipient);
	buf_printf(&b, " recipients=%lu size=%lu verdict=%s rule=", d->t.recipient_count,
		   d->t.size, verdict_action_name(v->action));
	log_quote(&b, v->rule ? v->rule : "-");
	buf_puts(&b, " reply=");
	log_quote(&b, reply.len ? buf_cstr(&reply) : "-");
	log_msg(lv, "%s", buf_cstr(&b));
	buf_release(&b);
	buf_release(&reply);
}

/* engine_finish - audit, log, answer, release */
static sfsistat engine_finish(struct session *s, struct engine_dec *d,
			      const struct milter_ops *ops, SMFICTX *ctx)
{
	struct audit_ctx ac = {
		.component = "milter",
		.host = d->sn->cfg->instance_name,
		.session = s->id,
		.config_digest = d->sn->cfg->digest,
		.message = d->t.stage == STAGE_EOM ? eom_audit(s->msg.checks) : NULL,
	};
	struct buf rec = BUF_INIT;
	sfsistat rc;

	decide_audit(&d->dec, &ac);
	decid_next(d->dec.v.id);
	metrics_decision(&d->t, &d->dec.v, ac.plan, ac.results, now_mono_us() - d->started_us);
	gettimeofday(&ac.now, NULL);
	audit_record(&ac, &d->t, &d->dec.v, &rec);
	state_audit(d->sn, &rec);
	buf_release(&rec);
	engine_log(s, d);
	rc = engine_reply(ops, ctx, &d->dec.v);
	decide_release(&d->dec);
	state_put(&d->sn);
	return rc;
}

/* engine_not_ready - no configuration: try again later */
static sfsistat engine_not_ready(const struct milter_ops *ops, SMFICTX *ctx)
{
	ops->setreply(ctx, (char *)"451", (char *)"4.3.0",
		      (char *)"relaywarden-milter is not ready, try again later");
	return SMFIS_TEMPFAIL;
}

/* engine_rcpt - see engine.h */
sfsistat engine_rcpt(struct session *s, const struct milter_ops *ops, SMFICTX *ctx,
		     const char *rcpt)
{
	struct engine_dec d = { .started_us = now_mono_us() };
	const struct rw_verdict *v = &d.dec.v;

	if ((d.sn = state_get()) == NULL)
		return engine_not_ready(ops, ctx);
	session_txn(s, STAGE_RCPT, rcpt, &d.t);
	engine_decide(&d, s);
	if (v->action == ACT_OK || v->action == ACT_DUNNO)
		strvec_add(&s->msg.rcpts, rcpt);
	if (v->action == ACT_OK && v->rule != NULL)
		s->msg.relayed = 1;	/* egress SPF, planned DKIM at EOM */
	return engine_finish(s, &d, ops, ctx);
}

/* engine_eom - see engine.h */
sfsistat engine_eom(struct session *s, const struct milter_ops *ops, SMFICTX *ctx)
{
	struct engine_dec d = { .started_us = now_mono_us() };

	if ((d.sn = state_get()) == NULL)
		return engine_not_ready(ops, ctx);
	session_txn(s, STAGE_EOM, NULL, &d.t);
	engine_decide(&d, s);
	if ((d.dec.v.action == ACT_DUNNO || d.dec.v.action == ACT_OK) &&
	    eom_apply(s->msg.checks, (s->steps & SMFIP_HDR_LEADSPC) != 0, ops, ctx) < 0)
		log_warn("session=%s event=header_change_failed", s->id);
	return engine_finish(s, &d, ops, ctx);
}
