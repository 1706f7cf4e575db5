/*
 * align_int - private to core/align*.c: the RFC 9989 DNS Tree Walk
 * (core/msgauth/align_walk.c) over struct align_env's TXT query.
 *
 * One struct align_walk lives for one align_check: it remembers every
 * _dmarc look-up (so walks that share ancestors ask each name once) and
 * counts the queries asked. align_walk_run walks from a name up (at most
 * ALIGN_WALK_MAX look-ups) and says what it found and the Organizational
 * Domain. Names that cannot be DNS names (an empty or 64-octet label,
 * _dmarc.<name> longer than 253 octets) are never asked: no record there.
 * Ownership: the walk owns its entries; a result points into them and
 * into the name walked, valid until align_walk_release.
 */
#ifndef RW_ALIGN_INT_H
#define RW_ALIGN_INT_H

#include <stddef.h>

#include "core/msgauth/align.h"

/* a DMARC look-up: nothing there, a record, a temporary failure, or
 * several records (RFC 7489 6.6.3: discovery stops, defaults apply) */
enum align_lookup { ALIGN_LK_NONE, ALIGN_LK_FOUND, ALIGN_LK_TEMP, ALIGN_LK_STOP };

struct align_memo_ent {
	char *domain;			/* lower-case, without "_dmarc." */
	enum align_lookup status;	/* NONE, FOUND or TEMP */
	struct align_dmarc d;		/* FOUND: the record (d.found = 0: no policy) */
};

struct align_walk {
	const struct align_env *env;
	struct align_memo_ent **v;
	size_t n, cap;
	unsigned queries;		/* TXT look-ups asked */
};

struct align_walk_result {
	const char *org;		/* the Organizational Domain, a suffix of the
					 * name walked; NULL: unknown (a look-up
					 * failed temporarily) */
	int temp;			/* a look-up failed temporarily */
	size_t n;			/* records found, longest name first */
	const struct align_memo_ent *rec[ALIGN_WALK_MAX];
};

/* align_walk_init - an empty walk over env */
void align_walk_init(struct align_walk *w, const struct align_env *env);
/* align_walk_run - the tree walk from domain (lower-case) into *r */
void align_walk_run(struct align_walk *w, const char *domain, struct align_walk_result *r);
/* align_walk_exists - domain exists (1), does not (0: NXDOMAIN), unknown (-1) */
int align_walk_exists(struct align_walk *w, const char *domain);
void align_walk_release(struct align_walk *w);

#endif
