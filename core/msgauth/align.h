/*
 * align - DMARC identifier alignment (RFC 9989, or RFC 7489), before
 * relaying.
 *
 * "Will this message pass DMARC where it is going?": the RFC5322.From
 * domain against the SPF-passing MAIL FROM (or HELO) domain and the d= of
 * every DKIM signature that passed in full (mc_dkim_sig_aligns: an l=
 * partial pass never counts), relaxed (same Organizational Domain) or
 * strict (equal names).
 *
 * Organizational Domain (in->org):
 *  - ALIGN_ORG_TREEWALK (the default): RFC 9989 4.10, the DNS Tree Walk
 *    (core/msgauth/align_walk.c): _dmarc TXT look-ups from the name up, at most 8
 *    per walk (names of 8 labels or more jump to their last 7 labels after
 *    the first query), stopping at a record with psd=y or psd=n; the
 *    Organizational Domain is the psd=n name, the name one label below a
 *    psd=y name, else the shortest name with a record, else the name
 *    itself. Every look-up of one align_check is asked once (a memo), and
 *    relaxed alignment walks only for names that share a suffix with the
 *    From domain and only when the mode can be relaxed. A look-up that
 *    fails temporarily leaves the Organizational Domain unknown: relaxed
 *    matches through it are "unknown" (temperror if nothing else aligns).
 *    Policy discovery (RFC 9989 4.10.1): the record at the From domain,
 *    else at its Organizational Domain, else at its Public Suffix Domain
 *    (psd=y); records parsed per RFC 9989 (align_dmarc_parse_9989).
 *  - ALIGN_ORG_PSL: RFC 7489 (org_domain = psl): the Public Suffix List
 *    through env->org_domain (private section included), discovery at the
 *    From domain then its organizational domain, the RFC 7489 parser.
 *
 * From: exactly one From field holding exactly one address is required;
 * otherwise the outcome is a finding of its own (no From, multiple From
 * fields, multiple addresses, unparsable From) and alignment fails
 * whatever the signatures say (a second From above a signed one never
 * passes). Grammar accepted: RFC 5322 mailbox-list with display names,
 * quoted strings, comments (nested, bounded), angle-addr, obsolete group
 * syntax not (a group is "unparsable"), at most 8 KiB per field; the
 * domain is a dot-atom (or a domain-literal, which cannot align).
 *
 * Mode: adkim=/aspf= from the policy record found, else the caller's
 * defaults. Several v=DMARC1 records at one name = none there (RFC 9989
 * discards them and walks on; RFC 7489 6.6.3 stops discovery). The
 * policy reported (dmarc.p) is the one that applies to the From domain:
 * p= at the From domain itself, else sp= (an existing subdomain) or np=
 * (a subdomain that does not exist: an A look-up says NXDOMAIN; RFC 9989
 * only), falling back to p=; t=y is reported (dmarc.testing). pct= is
 * read only by the RFC 7489 parser.
 *
 * Planned alignment (outbound relay): when the From domain (relaxed: its
 * organizational domain) is one the site has signed downstream, DKIM
 * counts as aligned with planned = 1.
 *
 * Pure: DNS and the PSL come through struct align_env (core/msgauth/psl_adapter.h
 * supplies the PSL function; the milter an env query over dns_query, as
 * for SPF: the shared resolver, its cache and the message's time budget).
 * Thread-safe when env is. Ownership: struct align_outcome owns its
 * buffers; align_outcome_release frees them.
 */
#ifndef RW_ALIGN_H
#define RW_ALIGN_H

#include <stddef.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/engine/domainset.h"
#include "core/msgauth/msgcheck.h"
#include "core/spf/spf.h"

enum align_mode {
	ALIGN_RELAXED = 0,
	ALIGN_STRICT,
};

enum align_org {			/* how Organizational Domains are found */
	ALIGN_ORG_TREEWALK = 0,		/* RFC 9989 DNS Tree Walk (default) */
	ALIGN_ORG_PSL,			/* RFC 7489: the Public Suffix List */
};

#define ALIGN_WALK_MAX 8		/* look-ups per tree walk (RFC 9989 4.10) */

enum align_from_status {
	ALIGN_FROM_OK = 0,
	ALIGN_FROM_NONE,		/* "no From" */
	ALIGN_FROM_MULTIPLE,		/* "multiple From headers" */
	ALIGN_FROM_ADDRESSES,		/* "multiple addresses" */
	ALIGN_FROM_UNPARSABLE,		/* "unparsable From" */
};

enum align_result {
	ALIGN_PASS = 0,		/* aligned SPF or DKIM (or planned DKIM) */
	ALIGN_FAIL,		/* From bad, or nothing aligned */
	ALIGN_TEMPERROR,	/* nothing aligned and the DMARC look-up failed
				 * temporarily (the mode could not be known) */
};

struct align_env {
	/* org_domain - the organizational (registrable) domain of domain,
	 * lower-case, as a pointer into domain; NULL when domain is itself
	 * a public suffix or not a domain */
	const char *(*org_domain)(void *ctx, const char *domain);
	/* query - one TXT look-up (NULL: no DMARC records, defaults apply);
	 * never returns NULL */
	struct dns_answer *(*query)(void *ctx, const char *name, enum dns_type type);
	void (*release)(void *ctx, struct dns_answer *ans);
	void *ctx;
};

enum align_policy {
	ALIGN_P_ABSENT = 0,		/* no record (or sp= not given) */
	ALIGN_P_NONE,
	ALIGN_P_QUARANTINE,
	ALIGN_P_REJECT,
};

struct align_dmarc {
	int found;			/* a valid record was used */
	enum align_mode adkim, aspf;
	enum align_policy p, sp;
	unsigned pct;			/* 0..100, 100 when absent (RFC 7489 only) */
	enum align_policy np;		/* RFC 9989: non-existent subdomains */
	char psd;			/* RFC 9989: 'y', 'n', 'u' (default) */
	int testing;			/* RFC 9989: t=y */
};

struct align_input {
	const char *const *from;	/* raw value of every From field, header order */
	size_t n_from;
	enum spf_result spf;		/* SPF result ... */
	const char *spf_domain;		/* ... for this domain (MAIL FROM's, HELO's
					 * for the null sender); NULL: no SPF */
	const struct mc_dkim_sig *sigs;	/* every signature (any result) */
	size_t n_sigs;
	const struct domainset *planned;/* signed downstream; NULL: none */
	enum align_mode adkim, aspf;	/* defaults when no DMARC record */
	enum align_org org;		/* tree walk (0) or the PSL */
};

struct align_outcome {
	enum align_result result;
	enum align_from_status from_status;
	struct buf from_domain;		/* lower-case; "" unless from_status OK */
	struct align_dmarc dmarc;	/* the record used (found = 0: defaults) */
	struct buf dmarc_name;		/* "_dmarc.x" the record came from, or "" */
	int spf_aligned;		/* SPF pass and aligned */
	int dkim_aligned;		/* index of the first aligned signature, -1 */
	int planned;			/* aligned only through planned signing */
	struct buf reason;		/* one line: what failed and what to fix */
	const char *org_method;		/* "treewalk", "psl"; NULL: not checked */
	struct buf org_domain;		/* the From domain's; "" when unknown */
	const char *policy_tag;		/* "p", "sp", "np": where dmarc.p came
					 * from; NULL: no record */
	unsigned queries;		/* _dmarc look-ups asked (tree walk) */
};

/* align_check - the alignment verdict for in; *out zeroed by the caller */
void align_check(const struct align_env *env, const struct align_input *in,
		 struct align_outcome *out);
void align_outcome_release(struct align_outcome *out);

/* align_from_parse - the single From domain of the From field values;
 * ALIGN_FROM_OK with the lower-cased domain in *domain, or the finding */
enum align_from_status align_from_parse(const char *const *from, size_t n,
					struct buf *domain);
/* align_from_status_name - "ok", "no From", "multiple From headers", ... */
const char *align_from_status_name(enum align_from_status st);
/* align_dmarc_parse - one TXT record by RFC 7489; 0, or -1 with a static *error_r */
int align_dmarc_parse(const char *rec, size_t len, struct align_dmarc *out,
		      const char **error_r);
/* align_dmarc_parse_9989 - one TXT record by RFC 9989: 0 for a DMARC
 * record ("v=DMARC1" first), found = 1 when it gives a policy; -1 with a
 * static *error_r when it is no DMARC record */
int align_dmarc_parse_9989(const char *rec, size_t len, struct align_dmarc *out,
			   const char **error_r);
/* align_dmarc_is_v1 - the record starts with the v=DMARC1 tag (RFC 9989 4.8) */
int align_dmarc_is_v1(const char *rec, size_t len);
/* align_domains_align - d1 and d2 align in mode (names lower-case) */
int align_domains_align(const struct align_env *env, const char *d1,
			const char *d2, enum align_mode mode);
const char *align_result_name(enum align_result r);
/* align_policy_name - "none", "quarantine", "reject" ("" when absent) */
const char *align_policy_name(enum align_policy p);

#endif
