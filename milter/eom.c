/* eom - end-of-message checks hook; see eom.h (limits only for now) */
#include "autoconfig.h"

#include <stdlib.h>

#include "milter/eom.h"

struct eom_msg {
	size_t headers;		/* fields seen (kept for the checks to come) */
};

/* eom_wants_message - no message checks are wired in yet */
int eom_wants_message(const struct rw_config *cfg)
{
	(void)cfg;
	return 0;
}

/* eom_actions - no header changes yet */
unsigned long eom_actions(const struct rw_config *cfg)
{
	(void)cfg;
	return 0;
}

/* eom_header - nothing to keep yet */
void eom_header(struct eom_msg **mp, const char *name, const char *value)
{
	(void)name;
	(void)value;
	if (*mp != NULL)
		(*mp)->headers++;
}

/* eom_body - nothing to keep yet */
void eom_body(struct eom_msg **mp, const unsigned char *p, size_t len)
{
	(void)mp;
	(void)p;
	(void)len;
}

/* eom_check - no checks: v stays as it is */
void eom_check(struct eom_msg *m, const struct rw_config *cfg, const struct rw_txn *t,
	       struct rw_verdict *v)
{
	(void)m;
	(void)cfg;
	(void)t;
	(void)v;
}

/* eom_apply - no header changes */
int eom_apply(struct eom_msg *m, const struct milter_ops *ops, SMFICTX *ctx)
{
	(void)m;
	(void)ops;
	(void)ctx;
	return 0;
}

/* eom_msg_free - free and clear */
void eom_msg_free(struct eom_msg **mp)
{
	free(*mp);
	*mp = NULL;
}
