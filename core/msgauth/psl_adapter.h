/*
 * psl_adapter - organizational domains from the Public Suffix List (libpsl).
 *
 * The list is Debian's publicsuffix data (ICANN and private sections):
 * psl_adapter_new(NULL) loads /usr/share/publicsuffix/public_suffix_list.dat
 * (falling back to libpsl's built-in/latest list), or the file given.
 * psl_adapter_org_domain has struct align_env's org_domain signature.
 *
 * Threads: the loaded list is immutable; lookups may run on any thread.
 * Errors: psl_adapter_new returns NULL with a message in *err.
 */
#ifndef RW_PSL_ADAPTER_H
#define RW_PSL_ADAPTER_H

#include "core/util/buf.h"

#define PSL_ADAPTER_DEFAULT_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

struct psl_adapter;

/* psl_adapter_new - load the list at path (NULL: the default file) */
struct psl_adapter *psl_adapter_new(const char *path, struct buf *err);
/* psl_adapter_org_domain - the registrable domain of domain (a pointer into
 * domain, lower-case input expected), NULL for a public suffix or a bad name;
 * ctx is the struct psl_adapter */
const char *psl_adapter_org_domain(void *ctx, const char *domain);
void psl_adapter_free(struct psl_adapter **pp);

#endif
