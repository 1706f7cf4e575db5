#include "autoconfig.h"

#include <stdlib.h>

#include <libpsl.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/msgauth/psl_adapter.h"

struct psl_adapter {
	psl_ctx_t *psl;
};

/* psl_adapter_new - load the list (NULL: Debian's file, else libpsl's latest) */
struct psl_adapter *psl_adapter_new(const char *path, struct buf *err)
{
	struct psl_adapter *p = rw_calloc(1, sizeof(*p));

	p->psl = psl_load_file(path != NULL ? path : PSL_ADAPTER_DEFAULT_FILE);
	if (p->psl == NULL && path == NULL)
		p->psl = psl_latest(NULL);
	if (p->psl == NULL) {
		buf_printf(err, "psl: cannot load the public suffix list %s",
			   path != NULL ? path : PSL_ADAPTER_DEFAULT_FILE);
		free(p);
		return NULL;
	}
	return p;
}

/* psl_adapter_org_domain - the registrable domain of domain, or NULL */
const char *psl_adapter_org_domain(void *ctx, const char *domain)
{
	struct psl_adapter *p = ctx;

	if (domain == NULL || *domain == '\0')
		return NULL;
	return psl_registrable_domain(p->psl, domain);
}

/* psl_adapter_free - free the list */
void psl_adapter_free(struct psl_adapter **pp)
{
	struct psl_adapter *p = *pp;

	if (p == NULL)
		return;
	psl_free(p->psl);
	free(p);
	*pp = NULL;
}
