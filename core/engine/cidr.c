/*
 * cidr - IPv4/IPv6 network tables; see cidr.h.
 *
 * Pattern grammar: address [ "/" prefix ], where address is an IPv4
 * dotted quad, an IPv6 address, or an IPv6 address in brackets ("[::1]",
 * "[2001:db8::]/32"); prefix is 1-3 decimal digits, 0..32 or 0..128; no
 * prefix means a host (/32 or /128). Brackets around IPv4 are refused. No
 * white space is trimmed: that is the caller's job. An IPv4-mapped IPv6
 * pattern with a prefix of 96 or more (::ffff:192.0.2.0/120) is stored as
 * the IPv4 network it denotes, since mapped clients are matched as IPv4.
 *
 * Matching is a linear scan in insertion order (first match wins, as in
 * Postfix cidr: tables); tables are expected to be small.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine/cidr.h"
#include "core/util/mem.h"

struct cidr_entry {
	struct rw_ip net;
	unsigned prefix;
	char *text;		/* the pattern as written */
};

struct cidr_table {
	struct cidr_entry *v;
	size_t n;
	size_t cap;
};

static const unsigned char cidr_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* cidr_pton - parse n bytes at s, a bare v4 or v6 address */
static int cidr_pton(const char *s, size_t n, struct rw_ip *ip)
{
	char *tmp = s[n] == '\0' ? NULL : rw_strndup(s, n);
	const char *a = tmp ? tmp : s;
	int ok;

	memset(ip, 0, sizeof(*ip));
	if (memchr(s, ':', n) != NULL) {
		ip->family = 6;
		ok = inet_pton(AF_INET6, a, ip->b) == 1;
	} else {
		ip->family = 4;
		ok = inet_pton(AF_INET, a, ip->b) == 1;
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* cidr_parse_addr - n bytes at s: v4, v6 or [v6] */
static int cidr_parse_addr(const char *s, size_t n, struct rw_ip *ip)
{
	if (n > 0 && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -1;
		if (cidr_pton(s + 1, n - 2, ip) < 0 || ip->family != 6)
			return -1;
		return 0;
	}
	if (n == 0)
		return -1;
	return cidr_pton(s, n, ip);
}

/* cidr_is_mapped - ip is an IPv4-mapped IPv6 address */
static int cidr_is_mapped(const struct rw_ip *ip)
{
	return ip->family == 6 && memcmp(ip->b, cidr_mapped_prefix, 12) == 0;
}

/* cidr_unmap - turn an IPv4-mapped IPv6 address into IPv4 */
static void cidr_unmap(struct rw_ip *ip)
{
	if (!cidr_is_mapped(ip))
		return;
	ip->family = 4;
	memmove(ip->b, ip->b + 12, 4);
	memset(ip->b + 4, 0, 12);
}

/* cidr_parse_ip - parse a client address, mapped v6 as v4 */
int cidr_parse_ip(const char *s, struct rw_ip *ip)
{
	if (cidr_parse_addr(s, strlen(s), ip) < 0)
		return -1;
	cidr_unmap(ip);
	return 0;
}

/* cidr_parse_prefix - decimal digits, at most max */
static int cidr_parse_prefix(const char *s, unsigned max, unsigned *prefix,
			     const char **error_r)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > 3 || strspn(s, "0123456789") != n) {
		*error_r = "bad prefix length";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > max) {
		*error_r = "prefix length out of range";
		return -1;
	}
	*prefix = v;
	return 0;
}

/* cidr_prefix_mask - mask of the prefix bits falling in byte i */
static unsigned char cidr_prefix_mask(unsigned prefix, size_t i)
{
	if (prefix >= (i + 1) * 8)
		return 0xff;
	if (prefix <= i * 8)
		return 0;
	return (unsigned char)(0xff << (8 - (prefix - i * 8)));
}

/* cidr_same_net - a and b agree on the first prefix bits */
static int cidr_same_net(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	for (size_t i = 0; i * 8 < prefix; i++)
		if ((a[i] ^ b[i]) & cidr_prefix_mask(prefix, i))
			return 0;
	return 1;
}

/* cidr_host_bits_zero - no bit set beyond prefix */
static int cidr_host_bits_zero(const struct rw_ip *ip, unsigned prefix)
{
	size_t len = ip->family == 4 ? 4 : 16;

	for (size_t i = 0; i < len; i++)
		if (ip->b[i] & ~cidr_prefix_mask(prefix, i))
			return 0;
	return 1;
}

/* cidr_table_new - an empty table */
struct cidr_table *cidr_table_new(void)
{
	return rw_calloc(1, sizeof(struct cidr_table));
}

/* cidr_table_push - append one checked entry */
static void cidr_table_push(struct cidr_table *t, const struct rw_ip *net, unsigned prefix,
			    const char *text)
{
	struct cidr_entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->v = rw_realloc(t->v, t->cap * sizeof(*t->v));
	}
	e = &t->v[t->n++];
	e->net = *net;
	e->prefix = prefix;
	e->text = rw_strdup(text);
}

/* cidr_table_add - parse and append one pattern */
int cidr_table_add(struct cidr_table *t, const char *pattern, const char **error_r)
{
	const char *slash = strchr(pattern, '/');
	size_t alen = slash ? (size_t)(slash - pattern) : strlen(pattern);
	struct rw_ip net;
	unsigned max, prefix;

	if (pattern[0] == '\0') {
		*error_r = "empty network pattern";
		return -1;
	}
	if (cidr_parse_addr(pattern, alen, &net) < 0) {
		*error_r = "bad network address";
		return -1;
	}
	max = net.family == 4 ? 32 : 128;
	prefix = max;
	if (slash && cidr_parse_prefix(slash + 1, max, &prefix, error_r) < 0)
		return -1;
	if (cidr_is_mapped(&net) && prefix >= 96) {
		cidr_unmap(&net);
		prefix -= 96;
	}
	if (!cidr_host_bits_zero(&net, prefix)) {
		*error_r = "non-null host address bits";
		return -1;
	}
	cidr_table_push(t, &net, prefix, pattern);
	return 0;
}

/* cidr_table_match - first entry containing ip */
int cidr_table_match(const struct cidr_table *t, const struct rw_ip *ip,
		     const char **pattern_r)
{
	struct rw_ip c = *ip;

	cidr_unmap(&c);
	for (size_t i = 0; i < t->n; i++) {
		const struct cidr_entry *e = &t->v[i];

		if (e->net.family == c.family && cidr_same_net(e->net.b, c.b, e->prefix)) {
			if (pattern_r != NULL)
				*pattern_r = e->text;
			return 1;
		}
	}
	return 0;
}

/* cidr_table_size - number of patterns */
size_t cidr_table_size(const struct cidr_table *t)
{
	return t->n;
}

/* cidr_table_free - free all and clear *tp */
void cidr_table_free(struct cidr_table **tp)
{
	struct cidr_table *t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	free(t);
	*tp = NULL;
}
