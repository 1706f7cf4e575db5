/*
 * policy - the compiled, immutable relay policy the engine decides by.
 *
 * Built once per configuration load (core/config/config.c) and never changed
 * afterwards, so decisions may read it from any thread without locks.
 * Rules are tried in configuration order; the first that permits decides.
 *
 * Ownership: the policy owns everything reachable from it; policy_free
 * releases it. Pure: libc only.
 */
#ifndef RW_POLICY_H
#define RW_POLICY_H

#include <stddef.h>

#include "core/engine/cidr.h"
#include "core/engine/domainset.h"
#include "core/engine/fprint.h"
#include "core/limits/limits.h"
#include "core/engine/sender_login.h"
#include "core/util/strvec.h"

enum rule_kind {
	RULE_SASL = 1,		/* SASL-authenticated client */
	RULE_NETWORK,		/* client address in an allowlist */
	RULE_CERT,		/* TLS client certificate */
};

struct rw_rule {
	char *name;
	enum rule_kind kind;
	/* RULE_SASL */
	struct strvec listeners;	/* empty: any listener */
	unsigned *ports;		/* n_ports == 0: any port */
	size_t n_ports;
	int require_tls;
	int enforce_sender_login;	/* sender must be owned by the user */
	/* RULE_NETWORK */
	struct cidr_table *networks;
	/* RULE_CERT */
	struct rw_fprint *fingerprints;		/* whole-certificate digests */
	size_t n_fingerprints;
	struct rw_fprint *pubkey_fingerprints;	/* SPKI digests */
	size_t n_pubkey_fingerprints;
	char *subject;		/* with issuer: a verified cert whose subject */
	char *issuer;		/* and issuer both equal these (ASCII case-insensitive) */
};

struct customers;		/* core/limits/customers.h */

enum rw_charge_at {
	CHARGE_AT_POLICYD = 0,	/* policyd charges at END-OF-MESSAGE (default) */
	CHARGE_AT_MILTER,	/* the milter charges at EOM; policyd only peeks */
};

struct rw_policy {
	struct domainset *local_domains;
	struct domainset *relay_domains;
	struct rw_rule *rules;
	size_t n_rules;
	struct sender_login *sender_login;
	struct rw_limit *limits;	/* limit sections, then quota sections, file order */
	size_t n_limits;
	struct customers *customers;	/* never NULL (empty: no customer maps) */
	char *timezone;			/* quota windows, "UTC" default; see limits_plan */
	enum rw_charge_at charge_at;
};

/* policy_new - an empty policy: no local domains, no rules: nothing relays;
 * no limits, no customers, timezone "UTC" */
struct rw_policy *policy_new(void);
/* policy_add_rule - append a zeroed rule of kind named name; returns it */
struct rw_rule *policy_add_rule(struct rw_policy *p, const char *name, enum rule_kind kind);
/* policy_add_limit - append a zeroed limit named name (defaults are the caller's) */
struct rw_limit *policy_add_limit(struct rw_policy *p, const char *name, enum limit_kind kind);
void policy_free(struct rw_policy **p);

#endif
