/*
 * eom_int - private to milter/eom.c and milter/eom_env.c: the per-snapshot
 * environment of the message checks and the synchronous SPF and DMARC
 * look-ups over it.
 *
 * Time: one deadline per message (start + spf.budget_ms, eom_check); every
 * query waits at most what is left of it, so the DKIM key, SPF and DMARC
 * look-ups of a message together end within the budget (then temperror).
 */
#ifndef RW_MILTER_EOM_INT_H
#define RW_MILTER_EOM_INT_H

#include <stdint.h>

#include "core/msgauth/align.h"
#include "core/msgauth/dkimv.h"
#include "core/dns/dns.h"
#include "core/msgauth/psl_adapter.h"
#include "core/spf/spf_policy.h"
#include "core/engine/txn.h"

struct eom_env {
	struct dns_resolver *dns;
	struct psl_adapter *psl;	/* NULL unless checks.org_domain = psl */
	struct dkimv *dkim;		/* NULL when neither dkim nor alignment is on */
};

/* eom_spf_run - evaluate dir for t into *r (zeroed); 0 when no address is usable */
size_t eom_spf_run(const struct eom_env *env, const struct rw_config *cfg,
		   const struct rw_txn *t, enum spf_dir dir, uint64_t deadline,
		   struct spf_dir_results *r);
/* eom_align_run - align_check over the resolver and the PSL */
void eom_align_run(const struct eom_env *env, const struct align_input *in,
		   uint64_t deadline, struct align_outcome *out);

#endif
