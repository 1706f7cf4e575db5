/*
 * decide - one policy request through the engine, as relaywarden-policyd's
 * relay step would decide it, with no side effects: shared by explain and
 * replay. The transaction borrows from the parser and the store: both live
 * in the struct cli_decision until cli_decision_release.
 */
#ifndef RW_CLI_DECIDE_H
#define RW_CLI_DECIDE_H

#include "core/buf.h"
#include "core/config.h"
#include "core/proto.h"
#include "core/strvec.h"
#include "core/txn.h"
#include "core/verdict.h"

struct cli_decision {
	struct proto_parser *parser;
	struct strvec store;
	struct rw_txn t;
	struct rw_verdict v;
};

/*
 * cli_decide - parse req (attribute lines and the empty line that ends a
 * request), decide with cfg; a request without protocol_state is taken as
 * RCPT. 0, or -1 with *err (a malformed request); release d either way.
 */
int cli_decide(const struct rw_config *cfg, const struct buf *req, struct cli_decision *d,
	       const char **err);
void cli_decision_release(struct cli_decision *d);

#endif
