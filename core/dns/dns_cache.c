/* dns_cache - in-process answer cache; see dns_cache.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dns/dns_cache.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"

struct dns_cache_entry {
	char *name;		/* NULL: empty slot */
	enum dns_type type;
	enum dns_status status;
	uint64_t expires_ms;
	size_t n;
	char **data;		/* n rdata items */
	int *len;
};

struct dns_cache {
	pthread_mutex_t lock;
	struct dns_cache_entry slot[DNS_CACHE_SLOTS];
};

/* dns_cache_hash - FNV-1a over type and the case-folded name */
static size_t dns_cache_hash(enum dns_type type, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;

		h = (h ^ c) * 16777619u;
	}
	return h % DNS_CACHE_SLOTS;
}

/* dns_cache_clear - empty one slot */
static void dns_cache_clear(struct dns_cache_entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->data[i]);
	free(e->data);
	free(e->len);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

struct dns_cache *dns_cache_new(void)
{
	struct dns_cache *c = rw_calloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* dns_cache_put - see dns_cache.h */
void dns_cache_put(struct dns_cache *c, enum dns_type type, const char *name,
		   enum dns_status st, char *const *data, const int *len, size_t n,
		   unsigned ttl_s, uint64_t now_ms)
{
	struct dns_cache_entry *e;
	unsigned cap = st == DNS_OK ? DNS_CACHE_MAX_TTL_S : DNS_CACHE_NEG_TTL_S;

	if ((st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN) || ttl_s == 0)
		return;
	pthread_mutex_lock(&c->lock);
	e = &c->slot[dns_cache_hash(type, name)];
	dns_cache_clear(e);
	e->name = rw_strdup(name);
	e->type = type;
	e->status = st;
	e->expires_ms = now_ms + (uint64_t)(ttl_s < cap ? ttl_s : cap) * 1000u;
	e->n = st == DNS_OK ? n : 0;
	e->data = rw_calloc(e->n ? e->n : 1, sizeof(*e->data));
	e->len = rw_calloc(e->n ? e->n : 1, sizeof(*e->len));
	for (size_t i = 0; i < e->n; i++) {
		e->len[i] = len[i] > 0 ? len[i] : 0;
		e->data[i] = rw_malloc((size_t)e->len[i] + 1);
		memcpy(e->data[i], data[i], (size_t)e->len[i]);
	}
	pthread_mutex_unlock(&c->lock);
}

/* dns_cache_get - see dns_cache.h */
struct dns_answer *dns_cache_get(struct dns_cache *c, enum dns_type type, const char *name,
				 uint64_t now_ms)
{
	struct dns_cache_entry *e;
	struct dns_answer *a = NULL;

	pthread_mutex_lock(&c->lock);
	e = &c->slot[dns_cache_hash(type, name)];
	if (e->name != NULL && e->type == type && strcasecmp(e->name, name) == 0) {
		if (now_ms >= e->expires_ms)
			dns_cache_clear(e);
		else if (e->status == DNS_OK)
			a = dns_answer_parse(type, e->data, e->len, e->n);
		else
			a = dns_answer_new(type, e->status);
	}
	pthread_mutex_unlock(&c->lock);
	return a;
}

void dns_cache_free(struct dns_cache **cp)
{
	struct dns_cache *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < DNS_CACHE_SLOTS; i++)
		dns_cache_clear(&c->slot[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}
