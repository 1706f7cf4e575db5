/* decide - one request through the relay engine; see decide.h */
#include "autoconfig.h"

#include "cli/decide.h"
#include "core/relay.h"
#include "core/request.h"

int cli_decide(const struct rw_config *cfg, const struct buf *req, struct cli_decision *d,
	       const char **err)
{
	size_t used;
	enum proto_status st;

	*d = (struct cli_decision){ .store = STRVEC_INIT, .v = VERDICT_INIT };
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
	relay_decide(cfg->policy, &d->t, &d->v);
	return 0;
}

void cli_decision_release(struct cli_decision *d)
{
	verdict_release(&d->v);
	strvec_release(&d->store);
	proto_free(&d->parser);
}
