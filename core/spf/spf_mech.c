/*
 * spf_mech - the SPF mechanisms that compare addresses: all, a, mx, ptr,
 * ip4, ip6, exists (RFC 7208 section 5); include lives in spf.c.
 *
 * DNS outcomes: an address look-up that fails with SERVFAIL or a timeout
 * is a temperror (5.3, 5.4, 5.7), except inside ptr, where a failed PTR
 * look-up is a no-match and a failed validation look-up skips that name
 * (5.5). NXDOMAIN or an empty answer for the mechanism's own look-up is a
 * void look-up (4.6.4). More than 10 MX names is a permerror; only the
 * first 10 PTR names are considered. A target that expands to an invalid
 * DNS name (empty or over-long label) matches nothing.
 */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/util/mem.h"
#include "core/spf/spf_int.h"

/* mech_in_net - ip lies in net/prefix (same family) */
static int mech_in_net(const struct rw_ip *ip, const struct rw_ip *net, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;

	if (ip->family != net->family)
		return 0;
	if (memcmp(ip->b, net->b, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((ip->b[bytes] ^ net->b[bytes]) & (0xff << (8 - bits)) & 0xff) == 0;
}

/* mech_prefix - the term's prefix for the client's family */
static int mech_prefix(const struct spf_eval *ev, const struct spf_term *t)
{
	if (ev->ip.family == 4)
		return t->cidr4 < 0 ? 32 : t->cidr4;
	return t->cidr6 < 0 ? 128 : t->cidr6;
}

/* mech_addr_type - A for an IPv4 client, AAAA for IPv6 */
static enum dns_type mech_addr_type(const struct spf_eval *ev)
{
	return ev->ip.family == 4 ? DNS_T_A : DNS_T_AAAA;
}

/* mech_dns_error - a temperror for a failed look-up */
static int mech_dns_error(struct spf_eval *ev, const char *what, const char *name,
			  enum dns_status st)
{
	return spf_error(ev, SPF_TEMPERROR, "%s: DNS %s for %s", what, spf_dns_status(st), name);
}

/* mech_hosts - name has an address in the client's network (a, mx hosts) */
static int mech_hosts(struct spf_eval *ev, const char *name, int prefix, int count_void,
		      const char *what)
{
	struct dns_answer *ans = NULL;
	enum dns_status st = spf_lookup(ev, name, mech_addr_type(ev), &ans);
	int rc = SPF_NOMATCH;

	if (st == DNS_OK && ans->n > 0) {
		for (size_t i = 0; i < ans->n && rc == SPF_NOMATCH; i++)
			if (mech_in_net(&ev->ip, &ans->ip[i], prefix))
				rc = SPF_MATCH;
	} else if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN) {
		rc = count_void ? spf_void(ev) : SPF_NOMATCH;
	} else {
		rc = mech_dns_error(ev, what, name, st);
	}
	spf_answer_release(ev, &ans);
	return rc;
}

/* mech_mx - any address of any MX host of name in the client's network */
static int mech_mx(struct spf_eval *ev, const char *name, int prefix)
{
	struct dns_answer *ans = NULL;
	enum dns_status st = spf_lookup(ev, name, DNS_T_MX, &ans);
	int rc = SPF_NOMATCH;

	if (st == DNS_OK && ans->n > SPF_MAX_MX) {
		rc = spf_error(ev, SPF_PERMERROR, "mx: more than %d MX names for %s",
			       SPF_MAX_MX, name);
	} else if (st == DNS_OK && ans->n > 0) {
		for (size_t i = 0; i < ans->n && rc == SPF_NOMATCH; i++) {
			const char *host = ans->mx[i].name;

			if (host != NULL && host[0] != '\0' && strcmp(host, ".") != 0)
				rc = mech_hosts(ev, host, prefix, 0, "mx");
		}
	} else if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN) {
		rc = spf_void(ev);
	} else {
		rc = mech_dns_error(ev, "mx", name, st);
	}
	spf_answer_release(ev, &ans);
	return rc;
}

/* mech_validated - name resolves back to the client's address (5.5) */
static int mech_validated(struct spf_eval *ev, const char *name)
{
	struct dns_answer *ans = NULL;
	int ok = 0;

	if (spf_lookup(ev, name, mech_addr_type(ev), &ans) == DNS_OK) {
		for (size_t i = 0; i < ans->n && !ok; i++)
			ok = mech_in_net(&ev->ip, &ans->ip[i], ev->ip.family == 4 ? 32 : 128);
	}
	spf_answer_release(ev, &ans);
	return ok;
}

/* mech_name_in - name equals domain or ends in "." domain, ignoring case and a trailing dot */
static int mech_name_in(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (d > 0 && domain[d - 1] == '.')
		d--;
	if (d == 0 || n < d || strncasecmp(name + n - d, domain, d) != 0)
		return 0;
	return n == d || name[n - d - 1] == '.';
}

/* mech_ptr_names - the PTR names of the client (at most 10); status of the look-up */
static enum dns_status mech_ptr_names(struct spf_eval *ev, struct strvec *names)
{
	struct buf rev = BUF_INIT;
	struct dns_answer *ans = NULL;
	enum dns_status st;

	spf_macro_reverse_name(&ev->ip, &rev);
	st = spf_lookup(ev, buf_cstr(&rev), DNS_T_PTR, &ans);
	if (st == DNS_OK)
		for (size_t i = 0; i < ans->n && i < SPF_MAX_PTR; i++)
			if (ans->name[i] != NULL)
				strvec_add(names, ans->name[i]);
	if (st == DNS_OK && ans->n == 0)
		st = DNS_NODATA;
	spf_answer_release(ev, &ans);
	buf_release(&rev);
	return st;
}

/* mech_ptr - a validated PTR name of the client in target */
static int mech_ptr(struct spf_eval *ev, const char *target)
{
	struct strvec names = STRVEC_INIT;
	enum dns_status st = mech_ptr_names(ev, &names);
	int rc = SPF_NOMATCH;

	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		rc = spf_void(ev);
	for (size_t i = 0; i < names.n && rc == SPF_NOMATCH; i++)
		if (mech_name_in(names.v[i], target) && mech_validated(ev, names.v[i]))
			rc = SPF_MATCH;
	strvec_release(&names);
	return rc;
}

/* spf_ptr_name - %{p}, computed once per evaluation */
const char *spf_ptr_name(void *arg, const char *domain)
{
	struct spf_eval *ev = arg;
	struct strvec names = STRVEC_INIT;

	if (!ev->ptr_done) {
		ev->ptr_done = 1;
		mech_ptr_names(ev, &names);
		for (size_t i = 0; i < names.n; i++)
			if (mech_validated(ev, names.v[i]))
				strvec_add(&ev->ptr_names, names.v[i]);
		strvec_release(&names);
	}
	for (size_t i = 0; i < ev->ptr_names.n; i++)
		if (mech_name_in(ev->ptr_names.v[i], domain))
			return ev->ptr_names.v[i];
	return ev->ptr_names.n > 0 ? ev->ptr_names.v[0] : NULL;
}

/* mech_exists - target has an A record */
static int mech_exists(struct spf_eval *ev, const char *name)
{
	struct dns_answer *ans = NULL;
	enum dns_status st = spf_lookup(ev, name, DNS_T_A, &ans);
	int rc;

	if (st == DNS_OK && ans->n > 0)
		rc = SPF_MATCH;
	else if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN)
		rc = spf_void(ev);
	else
		rc = mech_dns_error(ev, "exists", name, st);
	spf_answer_release(ev, &ans);
	return rc;
}

/* mech_ip - ip4: / ip6: */
static int mech_ip(const struct spf_eval *ev, const struct spf_term *t)
{
	int prefix = t->mech == SPF_MECH_IP4 ? (t->cidr4 < 0 ? 32 : t->cidr4)
					     : (t->cidr6 < 0 ? 128 : t->cidr6);

	return mech_in_net(&ev->ip, &t->net, prefix) ? SPF_MATCH : SPF_NOMATCH;
}

/* mech_dns_term - a, mx, ptr, exists on their expanded target */
static int mech_dns_term(struct spf_eval *ev, const struct spf_term *t, const char *name)
{
	switch (t->mech) {
	case SPF_MECH_A:
		return mech_hosts(ev, name, mech_prefix(ev, t), 1, "a");
	case SPF_MECH_MX:
		return mech_mx(ev, name, mech_prefix(ev, t));
	case SPF_MECH_PTR:
		return mech_ptr(ev, name);
	case SPF_MECH_EXISTS:
		return mech_exists(ev, name);
	default:
		return SPF_NOMATCH;
	}
}

/* spf_mech_match - one mechanism (not include) for the current domain */
int spf_mech_match(struct spf_eval *ev, const struct spf_term *t, const char *domain)
{
	struct buf name = BUF_INIT;
	int rc;

	if (t->mech == SPF_MECH_ALL)
		return SPF_MATCH;
	if (t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6)
		return mech_ip(ev, t);
	rc = spf_target(ev, t->domain, domain, &name);
	if (rc == 0)
		rc = mech_dns_term(ev, t, buf_cstr(&name));
	else if (rc == 1)
		rc = SPF_NOMATCH;
	buf_release(&name);
	return rc;
}
