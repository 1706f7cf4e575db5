/*
 * domainset - a set of domain names; see domainset.h.
 *
 * Storage: an open-addressing hash set (FNV-1a, linear probing, at most
 * half full) of normalised entries, parent entries kept with their leading
 * dot. A lookup of a.b.example.test probes "a.b.example.test", then
 * ".b.example.test", ".example.test", ".test": one probe per label, so the
 * most specific entry wins and the cost does not grow with the set.
 *
 * Entry syntax (after lower-casing and dropping one trailing dot): an
 * optional leading '.', then labels of letters, digits, '-' or UTF-8 octets
 * (no empty label, at most 63 octets each), at most 255 octets without the
 * leading dot. Adding an entry twice is not an error; it is stored once.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine/addr.h"
#include "core/engine/domainset.h"
#include "core/util/mem.h"

#define DOMAINSET_MAX_DOMAIN 255
#define DOMAINSET_MAX_LABEL  63

struct domainset {
	char **slots;		/* NULL: free */
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

/* domainset_hash - FNV-1a of a C string */
static uint64_t domainset_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* domainset_find - the slot holding s, or the free slot where it belongs */
static size_t domainset_find(char *const *slots, size_t cap, const char *s)
{
	size_t i = (size_t)domainset_hash(s) & (cap - 1);

	while (slots[i] != NULL && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* domainset_grow - double the table and re-insert every entry */
static void domainset_grow(struct domainset *ds)
{
	size_t cap = ds->cap ? ds->cap * 2 : 16;
	char **slots = rw_calloc(cap, sizeof(*slots));

	for (size_t i = 0; i < ds->cap; i++)
		if (ds->slots[i] != NULL)
			slots[domainset_find(slots, cap, ds->slots[i])] = ds->slots[i];
	free(ds->slots);
	ds->slots = slots;
	ds->cap = cap;
}

/* domainset_check - syntax of a normalised entry */
static int domainset_check(const char *s, const char **error_r)
{
	size_t label = 0;

	if (*s == '.')
		s++;
	if (*s == '\0') {
		*error_r = "empty domain";
		return -1;
	}
	if (strlen(s) > DOMAINSET_MAX_DOMAIN) {
		*error_r = "domain too long";
		return -1;
	}
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.' && (label == 0 || s[1] == '\0')) {
			*error_r = "empty label in domain";
			return -1;
		}
		label = c == '.' ? 0 : label + 1;
		if (label > DOMAINSET_MAX_LABEL) {
			*error_r = "domain label too long";
			return -1;
		}
		if (c != '.' && c != '-' && c < 0x80 && !((c >= 'a' && c <= 'z') ||
							  (c >= '0' && c <= '9'))) {
			*error_r = "bad character in domain";
			return -1;
		}
	}
	return 0;
}

/* domainset_new - an empty set */
struct domainset *domainset_new(void)
{
	return rw_calloc(1, sizeof(struct domainset));
}

/* domainset_add - normalise, check and insert one entry */
int domainset_add(struct domainset *ds, const char *domain, const char **error_r)
{
	char *s;
	size_t i;

	if (strlen(domain) > DOMAINSET_MAX_DOMAIN + 2) {
		*error_r = "domain too long";
		return -1;
	}
	s = rw_strdup(domain);
	addr_domain_normalise(s);
	if (domainset_check(s, error_r) < 0) {
		free(s);
		return -1;
	}
	if (2 * (ds->n + 1) > ds->cap)
		domainset_grow(ds);
	i = domainset_find(ds->slots, ds->cap, s);
	if (ds->slots[i] != NULL) {
		free(s);
		return 0;
	}
	ds->slots[i] = s;
	ds->n++;
	return 0;
}

/* domainset_lookup - the stored entry equal to s, or NULL */
static const char *domainset_lookup(const struct domainset *ds, const char *s)
{
	if (ds->n == 0)
		return NULL;
	return ds->slots[domainset_find(ds->slots, ds->cap, s)];
}

/* domainset_match - exact entry, else the nearest ".parent" entry */
const char *domainset_match(const struct domainset *ds, const char *domain)
{
	const char *hit;

	if (domain == NULL || *domain == '\0' || *domain == '.')
		return NULL;
	if ((hit = domainset_lookup(ds, domain)) != NULL)
		return hit;
	for (const char *p = strchr(domain + 1, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((hit = domainset_lookup(ds, p)) != NULL)
			return hit;
	return NULL;
}

/* domainset_size - number of distinct entries */
size_t domainset_size(const struct domainset *ds)
{
	return ds->n;
}

/* domainset_free - free all and clear *dsp */
void domainset_free(struct domainset **dsp)
{
	struct domainset *ds = *dsp;

	if (ds == NULL)
		return;
	for (size_t i = 0; i < ds->cap; i++)
		free(ds->slots[i]);
	free(ds->slots);
	free(ds);
	*dsp = NULL;
}
