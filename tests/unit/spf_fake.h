/*
 * spf_fake - a table-driven struct spf_env for tests: no network, no clock.
 *
 * Records are (name, type, status, value). A query for (name, type) answers
 * the status of the first row with that name and type, with every value of
 * those rows; a name with rows of other types only is NODATA; an unknown
 * name is NXDOMAIN. A row with type 0 and a status (DNS_TIMEOUT,
 * DNS_SERVFAIL) answers that status for every type of its name.
 * Values: A/AAAA an address, MX "PREF NAME", PTR a name, TXT one string
 * (spf_fake_add) or, in files, "-" (no strings) or comma-separated hex
 * strings. Names are compared case-insensitively, without a trailing dot.
 *
 * Zone files (spf_fake_load): one row a line, NAME TAB TYPE TAB STATUS TAB
 * VALUE, TYPE one of A AAAA MX PTR TXT ANY, STATUS OK NODATA NXDOMAIN
 * SERVFAIL TIMEOUT. The clock advances by delay_ms per query.
 */
#ifndef RW_TEST_SPF_FAKE_H
#define RW_TEST_SPF_FAKE_H

#include "core/spf/spf.h"

struct spf_fake;

struct spf_fake *spf_fake_new(void);
void spf_fake_add(struct spf_fake *f, const char *name, enum dns_type type,
		  enum dns_status st, const char *value);
/* spf_fake_load - rows from a zone file; -1 with a message on stderr */
int spf_fake_load(struct spf_fake *f, const char *path);
/* spf_fake_env - an env over f (budget_ms 0) */
void spf_fake_env(struct spf_fake *f, struct spf_env *env);
void spf_fake_set_delay(struct spf_fake *f, unsigned delay_ms);
/* spf_fake_queries - queries asked so far; spf_fake_outstanding - answers not released */
unsigned spf_fake_queries(const struct spf_fake *f);
int spf_fake_outstanding(const struct spf_fake *f);
void spf_fake_free(struct spf_fake **fp);

#endif
