/*
 * domainset - a set of domain names for local_domains / relay_domains.
 *
 * Entries are normalised (lower-case, no trailing dot). "example.test"
 * matches exactly that domain; ".example.test" matches every subdomain of
 * example.test but not example.test itself (Postfix parent-domain style).
 * Lookups take an already-normalised domain. Immutable after building; may
 * be shared across threads. Pure: libc only.
 */
#ifndef RW_DOMAINSET_H
#define RW_DOMAINSET_H

#include <stddef.h>

struct domainset;

struct domainset *domainset_new(void);
/* domainset_add - 0 or -1 with static *error_r (empty, bad characters, too long) */
int domainset_add(struct domainset *ds, const char *domain, const char **error_r);
/* domainset_match - the matching entry or NULL */
const char *domainset_match(const struct domainset *ds, const char *domain);
size_t domainset_size(const struct domainset *ds);
void domainset_free(struct domainset **ds);

#endif
