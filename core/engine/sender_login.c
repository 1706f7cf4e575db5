/*
 * sender_login - which envelope senders each SASL login may use; see
 * sender_login.h.
 *
 * Storage: one open-addressing hash set (FNV-1a, linear probing, at most
 * half full) of (login, sender) pairs. The key is the login lower-cased
 * (ASCII), a NUL, then the sender's normal form: "local@domain" lower-cased
 * for an address, "@domain" for a domain entry. A question costs two probes
 * (the address, then its domain) whatever the size of the map, so maps with
 * 100k logins stay O(1) per lookup.
 *
 * Entries: the login is non-empty and free of control characters; the
 * sender is "@domain" (a domain as addr_parse accepts it, no literal) or an
 * address that addr_parse accepts with a domain and no relay trick. The
 * null sender is refused as an entry: every login owns it already. Adding a
 * pair twice (or two spellings of one pair) stores it once; the first
 * spelling is the one reported. sender_login_size counts distinct pairs.
 *
 * Questions: the sender is the raw envelope sender ("<Alice@Example.TEST>"
 * works); one that does not parse, has no domain or carries a relay trick is
 * never owned. The null sender is owned by every (non-empty) login, reported
 * as the entry "<>".
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/engine/sender_login.h"

struct sl_pair {
	char *key;		/* login NUL normalised sender */
	size_t keylen;
	char *entry;		/* the sender as added */
};

struct sender_login {
	struct sl_pair *slots;	/* key NULL: free */
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

/* sl_hash - FNV-1a of n bytes */
static uint64_t sl_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* sl_find - the slot holding key, or the free slot where it belongs */
static size_t sl_find(const struct sl_pair *slots, size_t cap, const char *key, size_t n)
{
	size_t i = (size_t)sl_hash(key, n) & (cap - 1);

	while (slots[i].key != NULL &&
	       (slots[i].keylen != n || memcmp(slots[i].key, key, n) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

/* sl_grow - double the table and re-insert every pair */
static void sl_grow(struct sender_login *sl)
{
	size_t cap = sl->cap ? sl->cap * 2 : 64;
	struct sl_pair *slots = rw_calloc(cap, sizeof(*slots));

	for (size_t i = 0; i < sl->cap; i++) {
		const struct sl_pair *p = &sl->slots[i];

		if (p->key != NULL)
			slots[sl_find(slots, cap, p->key, p->keylen)] = *p;
	}
	free(sl->slots);
	sl->slots = slots;
	sl->cap = cap;
}

/* sl_lower_append - append s to b, ASCII lower-cased */
static void sl_lower_append(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_putc(b, (*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
}

/* sl_key_start - the key prefix: lower-cased login and a NUL */
static void sl_key_start(struct buf *key, const char *login)
{
	sl_lower_append(key, login);
	buf_putc(key, '\0');
}

/* sl_key_address - append "local@domain" lower-cased */
static void sl_key_address(struct buf *key, const struct rw_addr *a)
{
	sl_lower_append(key, a->local);
	buf_putc(key, '@');
	buf_puts(key, a->domain);
}

/* sl_check_login - non-empty, no control characters */
static int sl_check_login(const char *login, const char **error_r)
{
	if (*login == '\0') {
		*error_r = "empty login";
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)login; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*error_r = "control character in login";
			return -1;
		}
	}
	return 0;
}

/* sl_sender_key - append the normal form of an entry's sender to key */
static int sl_sender_key(struct buf *key, const char *sender, const char **error_r)
{
	struct buf probe = BUF_INIT;
	struct rw_addr a;
	int is_domain = sender[0] == '@' && strchr(sender, ':') == NULL;
	int r;

	/* "@domain" is checked as the domain of a probe address "x@domain" */
	buf_puts(&probe, is_domain ? "x" : "");
	buf_puts(&probe, sender);
	r = addr_parse(probe.data, probe.len, &a, error_r);
	buf_release(&probe);
	if (r < 0)
		return -1;
	if (a.flags & ADDR_F_NULL)
		*error_r = "the null sender needs no entry: every login owns it", r = -1;
	else if (a.flags & ADDR_F_NO_DOMAIN)
		*error_r = "sender must be an address with a domain, or @domain", r = -1;
	else if (a.flags & ADDR_F_TRICKS)
		*error_r = "sender carries a relay trick", r = -1;
	else if (is_domain)
		buf_printf(key, "@%s", a.domain);
	else
		sl_key_address(key, &a);
	addr_release(&a);
	return r;
}

/* sl_lookup - the pair stored under key, or NULL */
static const struct sl_pair *sl_lookup(const struct sender_login *sl, const struct buf *key)
{
	const struct sl_pair *p;

	if (sl->n == 0)
		return NULL;
	p = &sl->slots[sl_find(sl->slots, sl->cap, key->data, key->len)];
	return p->key != NULL ? p : NULL;
}

/* sender_login_new - an empty map */
struct sender_login *sender_login_new(void)
{
	return rw_calloc(1, sizeof(struct sender_login));
}

/* sender_login_add - login owns sender */
int sender_login_add(struct sender_login *sl, const char *login, const char *sender,
		     const char **error_r)
{
	struct buf key = BUF_INIT;
	struct sl_pair *p;

	if (sl_check_login(login, error_r) < 0)
		return -1;
	sl_key_start(&key, login);
	if (sl_sender_key(&key, sender, error_r) < 0) {
		buf_release(&key);
		return -1;
	}
	if (2 * (sl->n + 1) > sl->cap)
		sl_grow(sl);
	p = &sl->slots[sl_find(sl->slots, sl->cap, key.data, key.len)];
	if (p->key != NULL) {
		buf_release(&key);
		return 0;
	}
	p->keylen = key.len;
	p->key = buf_detach(&key);
	p->entry = rw_strdup(sender);
	sl->n++;
	return 0;
}

/* sl_owns_addr - look up the address, then its domain */
static const char *sl_owns_addr(const struct sender_login *sl, const char *login,
				const struct rw_addr *a)
{
	struct buf key = BUF_INIT;
	const struct sl_pair *p;
	size_t start;

	sl_key_start(&key, login);
	start = key.len;
	sl_key_address(&key, a);
	if ((p = sl_lookup(sl, &key)) == NULL) {
		buf_truncate(&key, start);
		buf_printf(&key, "@%s", a->domain);
		p = sl_lookup(sl, &key);
	}
	buf_release(&key);
	return p ? p->entry : NULL;
}

/* sender_login_owns - 1 and the matching entry when login owns sender */
int sender_login_owns(const struct sender_login *sl, const char *login,
		      const char *sender, const char **entry_r)
{
	struct rw_addr a;
	const char *err, *entry = NULL;

	if (login == NULL || *login == '\0' || sender == NULL)
		return 0;
	if (addr_parse(sender, strlen(sender), &a, &err) < 0)
		return 0;
	if (a.flags & ADDR_F_NULL)
		entry = "<>";
	else if ((a.flags & (ADDR_F_TRICKS | ADDR_F_NO_DOMAIN)) == 0)
		entry = sl_owns_addr(sl, login, &a);
	addr_release(&a);
	if (entry != NULL && entry_r != NULL)
		*entry_r = entry;
	return entry != NULL;
}

/* sender_login_size - number of distinct (login, sender) pairs */
size_t sender_login_size(const struct sender_login *sl)
{
	return sl->n;
}

/* sender_login_free - free all and clear *slp */
void sender_login_free(struct sender_login **slp)
{
	struct sender_login *sl = *slp;

	if (sl == NULL)
		return;
	for (size_t i = 0; i < sl->cap; i++) {
		free(sl->slots[i].key);
		free(sl->slots[i].entry);
	}
	free(sl->slots);
	free(sl);
	*slp = NULL;
}
