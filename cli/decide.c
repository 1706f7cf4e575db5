/* decide - one request through core/engine/decide.c, fetched or not; see decide.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <time.h>

#include "cli/decide.h"
#include "cli/live.h"
#include "core/util/mem.h"
#include "core/engine/request.h"

/* cli_decide_spf - note the SPF plan; evaluate it (live) or skip it */
static void cli_decide_spf(struct cli_decision *d, struct cli_live *live)
{
	const struct spf_dir_results *r = d->dec.spf_checks;
	struct spf_request *reqs;
	struct spf_outcome *outs;

	d->spf_planned = 1;
	d->spf_dir = d->dec.spf_dir;
	for (size_t i = 0; i < r->n; i++)
		strvec_add(&d->spf_addrs, r->v[i].ip_text);
	if (live == NULL) {
		decide_skip(&d->dec, "spf: not checked (no --live)");
		return;
	}
	reqs = rw_calloc(r->n, sizeof(*reqs));
	decide_spf_requests(&d->dec, reqs);
	outs = live_spf(live, reqs, r->n, d->dec.cfg->spf.budget_ms);
	decide_spf_done(&d->dec, outs, r->n);
	free(reqs);
}

/* cli_decide_limits - peek the plan (live) or skip it */
static void cli_decide_limits(struct cli_decision *d, struct cli_live *live)
{
	struct limit_result *res;
	const char *why = NULL;

	if (live == NULL) {
		decide_skip(&d->dec, "limits: usage not peeked (no --live)");
		return;
	}
	res = rw_calloc(d->dec.plan.n, sizeof(*res));
	if (live_limits(live, &d->dec.plan, res, &why) < 0) {
		free(res);
		decide_skip(&d->dec, why);
		return;
	}
	d->limits_peeked = 1;
	decide_limits_done(&d->dec, res);
}

/* cli_decide - see decide.h */
int cli_decide(const struct rw_config *cfg, const struct buf *req, struct cli_live *live,
	       struct cli_decision *d, const char **err)
{
	enum decide_need need;
	enum proto_status st;
	size_t used;

	*d = (struct cli_decision){ .store = STRVEC_INIT, .spf_addrs = STRVEC_INIT };
	d->parser = proto_new(&(struct proto_limits){ 0 });
	st = proto_feed(d->parser, req->data, req->len, &used, err);
	if (st != PROTO_REQUEST) {
		if (st != PROTO_ERROR)
			*err = "incomplete request";
		return -1;
	}
	request_to_txn(d->parser, &d->t, &d->store);
	if (proto_get(d->parser, "protocol_state") == NULL)
		d->t.stage = STAGE_RCPT;
	decide_start(&d->dec, cfg, DECIDE_POLICYD, &d->t, &d->spf, (int64_t)time(NULL));
	while ((need = decide_next(&d->dec)) != DECIDE_DONE) {
		if (need == DECIDE_NEED_SPF)
			cli_decide_spf(d, live);
		else if (need == DECIDE_NEED_LIMITS)
			cli_decide_limits(d, live);
		else
			decide_skip(&d->dec, "message checks: not in policyd");
	}
	return 0;
}

/* cli_decision_release - free everything */
void cli_decision_release(struct cli_decision *d)
{
	decide_release(&d->dec);
	spf_txn_release(&d->spf);
	strvec_release(&d->spf_addrs);
	strvec_release(&d->store);
	proto_free(&d->parser);
}
