/* relay - the relay decision for one recipient; see relay.h */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/engine/addr.h"
#include "core/engine/relay.h"

/* relay_tls - the session is encrypted */
static int relay_tls(const struct rw_txn *t)
{
	return txn_has(t->tls_protocol) || txn_has(t->tls_cipher);
}

/* relay_listener_ok - the SASL rule's listener and port conditions hold */
static int relay_listener_ok(const struct rw_rule *r, const struct rw_txn *t,
			     struct rw_verdict *v)
{
	size_t i;

	if (r->listeners.n > 0) {
		for (i = 0; i < r->listeners.n; i++)
			if (txn_has(t->listener) && strcmp(r->listeners.v[i], t->listener) == 0)
				break;
		if (i == r->listeners.n) {
			verdict_trace(v, "rule %s: listener '%s' not in the rule's listeners",
				      r->name, txn_has(t->listener) ? t->listener : "");
			return 0;
		}
	}
	if (r->n_ports > 0) {
		for (i = 0; i < r->n_ports; i++)
			if (r->ports[i] == t->server_port)
				break;
		if (i == r->n_ports) {
			verdict_trace(v, "rule %s: server port %u not in the rule's ports",
				      r->name, t->server_port);
			return 0;
		}
	}
	return 1;
}

/* relay_sasl_matches - rule r accepts this session's SASL identity; traced into v (NULL: none) */
static int relay_sasl_matches(const struct rw_rule *r, const struct rw_txn *t,
			      struct rw_verdict *v)
{
	if (!txn_has(t->sasl_username)) {
		verdict_trace(v, "rule %s: client not authenticated", r->name);
		return 0;
	}
	if (!relay_listener_ok(r, t, v))
		return 0;
	if (r->require_tls && !relay_tls(t)) {
		verdict_trace(v, "rule %s: authenticated without TLS, rule requires TLS", r->name);
		return 0;
	}
	return 1;
}

/* relay_network_matches - client address in the rule's allowlist */
static int relay_network_matches(const struct rw_rule *r, const struct rw_txn *t,
				 struct rw_verdict *v)
{
	struct rw_ip ip;
	const char *pattern;

	if (!txn_has(t->client_address) || cidr_parse_ip(t->client_address, &ip) < 0) {
		verdict_trace(v, "rule %s: client address '%s' unusable", r->name,
			      t->client_address ? t->client_address : "");
		return 0;
	}
	if (!cidr_table_match(r->networks, &ip, &pattern)) {
		verdict_trace(v, "rule %s: client %s not in networks", r->name, t->client_address);
		return 0;
	}
	verdict_trace(v, "rule %s: client %s matches %s", r->name, t->client_address, pattern);
	return 1;
}

/* relay_fprint_in - fingerprint text s parses and is one of set[0..n) */
static int relay_fprint_in(const char *s, const struct rw_fprint *set, size_t n)
{
	struct rw_fprint fp;
	const char *err;

	if (!txn_has(s) || fprint_parse(s, &fp, &err) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (fprint_equal(&fp, &set[i]))
			return 1;
	return 0;
}

/* relay_cert_matches - client certificate pinned, or verified subject+issuer */
static int relay_cert_matches(const struct rw_rule *r, const struct rw_txn *t,
			      struct rw_verdict *v)
{
	if (relay_fprint_in(t->cert_fingerprint, r->fingerprints, r->n_fingerprints)) {
		verdict_trace(v, "rule %s: certificate fingerprint %s pinned", r->name,
			      t->cert_fingerprint);
		return 1;
	}
	if (relay_fprint_in(t->cert_pubkey_fingerprint, r->pubkey_fingerprints,
			    r->n_pubkey_fingerprints)) {
		verdict_trace(v, "rule %s: public key fingerprint %s pinned", r->name,
			      t->cert_pubkey_fingerprint);
		return 1;
	}
	if (r->subject != NULL && r->issuer != NULL && t->cert_verified &&
	    txn_has(t->cert_subject) && txn_has(t->cert_issuer) &&
	    strcasecmp(r->subject, t->cert_subject) == 0 &&
	    strcasecmp(r->issuer, t->cert_issuer) == 0) {
		verdict_trace(v, "rule %s: verified certificate subject '%s' issuer '%s'",
			      r->name, t->cert_subject, t->cert_issuer);
		return 1;
	}
	if (!txn_has(t->cert_fingerprint) && !txn_has(t->cert_pubkey_fingerprint) &&
	    !txn_has(t->cert_subject))
		verdict_trace(v, "rule %s: no client certificate", r->name);
	else
		verdict_trace(v, "rule %s: client certificate not allowed", r->name);
	return 0;
}

/* relay_rule_permits - rule r permits relaying for this session; each step traced into v (NULL: none) */
static int relay_rule_permits(const struct rw_rule *r, const struct rw_txn *t,
			      struct rw_verdict *v)
{
	switch (r->kind) {
	case RULE_SASL:
		if (!relay_sasl_matches(r, t, v))
			return 0;
		verdict_trace(v, "rule %s: authenticated as %s", r->name, t->sasl_username);
		return 1;
	case RULE_NETWORK:
		return relay_network_matches(r, t, v);
	case RULE_CERT:
		return relay_cert_matches(r, t, v);
	}
	return 0;
}

/* relay_check_recipient - parse the recipient; refuse syntax errors and tricks */
static int relay_check_recipient(const struct rw_txn *t, struct rw_addr *rcpt,
				 struct rw_verdict *v)
{
	const char *err, *trick;
	const char *r = t->recipient ? t->recipient : "";

	if (!txn_has(t->recipient)) {
		verdict_trace(v, "recipient: missing");
		verdict_set(v, ACT_REJECT, 554, "5.7.1", "<>: Relay access denied");
		verdict_reason(v, REASON_RELAY);
		return -1;
	}
	if (addr_parse(r, strlen(r), rcpt, &err) < 0) {
		verdict_trace(v, "recipient: bad syntax: %s", err);
		verdict_set(v, ACT_REJECT, 501, "5.1.3", "<%s>: Bad recipient address syntax", r);
		verdict_reason(v, REASON_SYNTAX);
		return -1;
	}
	if ((trick = addr_trick(rcpt)) != NULL) {
		verdict_trace(v, "recipient: relay trick: %s", trick);
		verdict_set(v, ACT_REJECT, 554, "5.7.1",
			    "<%s>: Relay access denied (%s not allowed)", r, trick);
		verdict_reason(v, REASON_RELAY);
		return -1;
	}
	if (rcpt->flags & ADDR_F_NO_DOMAIN) {
		verdict_trace(v, "recipient: no domain");
		verdict_set(v, ACT_REJECT, 501, "5.1.3",
			    "<%s>: Recipient address must include a domain", r);
		verdict_reason(v, REASON_SYNTAX);
		return -1;
	}
	return 0;
}

/* relay_check_sender - an authenticated user must own the envelope sender */
static int relay_check_sender(const struct rw_policy *p, const struct rw_txn *t,
			      struct rw_verdict *v)
{
	const struct rw_rule *r = NULL;
	const char *entry, *sender = t->sender ? t->sender : "";

	if (!txn_has(t->sasl_username))
		return 0;
	for (size_t i = 0; i < p->n_rules && r == NULL; i++)
		if (p->rules[i].kind == RULE_SASL && relay_sasl_matches(&p->rules[i], t, NULL))
			r = &p->rules[i];
	if (r == NULL || !r->enforce_sender_login)
		return 0;
	if (sender_login_owns(p->sender_login, t->sasl_username, sender, &entry)) {
		verdict_trace(v, "sender: <%s> owned by %s (%s)", sender, t->sasl_username,
			      entry);
		return 0;
	}
	verdict_trace(v, "sender: <%s> not owned by %s (rule %s enforces sender login)",
		      sender, t->sasl_username, r->name);
	verdict_rule(v, r->name);
	verdict_set(v, ACT_REJECT, 553, "5.7.1",
		    "<%s>: Sender address rejected: not owned by user %s", sender,
		    t->sasl_username);
	verdict_reason(v, REASON_SENDER);
	return -1;
}

/* relay_local - the recipient domain is ours: not relay */
static int relay_local(const struct rw_policy *p, const struct rw_addr *rcpt,
		       struct rw_verdict *v)
{
	const char *m;

	if ((m = domainset_match(p->local_domains, rcpt->domain)) != NULL)
		verdict_trace(v, "recipient domain %s is local (local_domains %s): not relay",
			      rcpt->domain, m);
	else if ((m = domainset_match(p->relay_domains, rcpt->domain)) != NULL)
		verdict_trace(v, "recipient domain %s is ours (relay_domains %s): not relay",
			      rcpt->domain, m);
	if (m == NULL)
		return 0;
	verdict_set(v, ACT_OK, 0, NULL, NULL);
	return 1;
}

/* relay_decide - the decision; see relay.h */
void relay_decide(const struct rw_policy *p, const struct rw_txn *t, struct rw_verdict *v)
{
	struct rw_addr rcpt = { 0 };

	if (t->stage != STAGE_RCPT && t->stage != STAGE_VRFY) {
		verdict_trace(v, "stage %s: no relay decision", txn_stage_name(t->stage));
		verdict_set(v, ACT_DUNNO, 0, NULL, NULL);
		return;
	}
	if (relay_check_recipient(t, &rcpt, v) < 0 || relay_check_sender(p, t, v) < 0 ||
	    relay_local(p, &rcpt, v))
		goto done;
	verdict_trace(v, "recipient domain %s is not ours: relay", rcpt.domain);
	for (size_t i = 0; i < p->n_rules; i++) {
		if (relay_rule_permits(&p->rules[i], t, v)) {
			verdict_rule(v, p->rules[i].name);
			verdict_set(v, ACT_OK, 0, NULL, NULL);
			goto done;
		}
	}
	verdict_trace(v, p->n_rules ? "no relay rule permits: default deny"
				    : "no relay rules configured: default deny");
	verdict_set(v, ACT_REJECT, 554, "5.7.1", "<%s>: Relay access denied", t->recipient);
	verdict_reason(v, REASON_RELAY);
done:
	addr_release(&rcpt);
}

/* relay_permitter - the first rule that permits this session, or NULL */
const struct rw_rule *relay_permitter(const struct rw_policy *p, const struct rw_txn *t)
{
	const struct rw_rule *r = NULL;

	for (size_t i = 0; i < p->n_rules && r == NULL; i++)
		if (relay_rule_permits(&p->rules[i], t, NULL))	/* the answer, no trace */
			r = &p->rules[i];
	return r;
}
