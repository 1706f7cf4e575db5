/*
 * decide - one policy request decided as relaywarden-policyd decides it
 * (core/engine/decide.c: relay, SPF, limits), with no side effects: shared by
 * explain and replay. Without live (NULL) nothing is fetched: the SPF and
 * limit steps are planned and traced as not run, so the verdict is the
 * relay step's. With live (cli/live.h) the SPF checks run and the limits
 * are peeked in Redis (read-only: nothing is charged, also at
 * END-OF-MESSAGE).
 *
 * The transaction borrows from the parser and the store: both live in the
 * struct cli_decision until cli_decision_release.
 */
#ifndef RW_CLI_DECIDE_H
#define RW_CLI_DECIDE_H

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/engine/decide.h"
#include "core/engine/proto.h"
#include "core/spf/spf_policy.h"
#include "core/util/strvec.h"
#include "core/engine/txn.h"

struct cli_live;

struct cli_decision {
	struct proto_parser *parser;
	struct strvec store;
	struct rw_txn t;
	struct spf_txn spf;		/* the SPF cache of this one request */
	int spf_planned;		/* the SPF step was asked for (spf_dir, spf_addrs) */
	enum spf_dir spf_dir;
	struct strvec spf_addrs;	/* the addresses it evaluates (or would) */
	int limits_peeked;		/* the limits were peeked in Redis */
	struct decide dec;		/* dec.v is the verdict */
};

/*
 * cli_decide - parse req (attribute lines and the empty line that ends a
 * request), decide with cfg; a request without protocol_state is taken as
 * RCPT. 0, or -1 with *err (a malformed request); release d either way.
 */
int cli_decide(const struct rw_config *cfg, const struct buf *req, struct cli_live *live,
	       struct cli_decision *d, const char **err);
void cli_decision_release(struct cli_decision *d);

#endif
