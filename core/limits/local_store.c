/* local_store - in-process GCRA and quota fallback; see local_store.h */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/limits/gcra.h"
#include "core/limits/limits.h"
#include "core/limits/local_store.h"
#include "core/util/mem.h"

#define LS_MIN_ENTRIES 16

struct lentry {
	struct lentry *hnext;		/* bucket chain */
	struct lentry *prev, *next;	/* LRU list, head = most recent */
	uint64_t hash;
	char *key;
	size_t keylen;
	uint64_t value;			/* rate: TAT µs; quota: units used */
	uint64_t expires_us;		/* quota: window end; rate: unused */
};

struct local_store {
	struct lentry **buckets;
	size_t nbuckets;		/* a power of two */
	struct lentry *head, *tail;
	size_t count, max;
	unsigned parts;			/* stores sharing the local share (>= 1) */
};

/* one check under evaluation */
struct lpend {
	struct buf key;
	uint64_t hash;
	int local;			/* takes part (FAIL_LOCAL) */
	int allowed;
	uint64_t value;			/* the state after this check */
};

/* local_store_new - empty table */
struct local_store *local_store_new(size_t max_entries)
{
	struct local_store *ls = rw_calloc(1, sizeof(*ls));

	ls->max = max_entries < LS_MIN_ENTRIES ? LS_MIN_ENTRIES : max_entries;
	ls->parts = 1;
	ls->nbuckets = 16;
	while (ls->nbuckets < ls->max)
		ls->nbuckets *= 2;
	ls->buckets = rw_calloc(ls->nbuckets, sizeof(*ls->buckets));
	return ls;
}

/* local_store_set_parts - see local_store.h */
void local_store_set_parts(struct local_store *ls, unsigned parts)
{
	ls->parts = parts < 1 ? 1 : parts;
}

/* local_store_free - free every entry and the table */
void local_store_free(struct local_store **lsp)
{
	struct local_store *ls = *lsp;

	if (ls == NULL)
		return;
	for (struct lentry *e = ls->head, *next; e != NULL; e = next) {
		next = e->next;
		free(e->key);
		free(e);
	}
	free(ls->buckets);
	free(ls);
	*lsp = NULL;
}

/* local_store_count - entries held */
size_t local_store_count(const struct local_store *ls)
{
	return ls->count;
}

/* ls_hash - FNV-1a over the key bytes */
static uint64_t ls_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ls_unlink - take e out of the LRU list */
static void ls_unlink(struct local_store *ls, struct lentry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		ls->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		ls->tail = e->prev;
	e->prev = e->next = NULL;
}

/* ls_push - put e at the head of the LRU list */
static void ls_push(struct local_store *ls, struct lentry *e)
{
	e->next = ls->head;
	e->prev = NULL;
	if (ls->head)
		ls->head->prev = e;
	ls->head = e;
	if (ls->tail == NULL)
		ls->tail = e;
}

/* ls_evict - drop the least recently used entry */
static void ls_evict(struct local_store *ls)
{
	struct lentry *e = ls->tail, **pp;

	for (pp = &ls->buckets[e->hash & (ls->nbuckets - 1)]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	ls_unlink(ls, e);
	free(e->key);
	free(e);
	ls->count--;
}

/* ls_find - the entry of key, or NULL */
static struct lentry *ls_find(const struct local_store *ls, const struct lpend *p)
{
	struct lentry *e = ls->buckets[p->hash & (ls->nbuckets - 1)];

	for (; e != NULL; e = e->hnext)
		if (e->hash == p->hash && e->keylen == p->key.len &&
		    memcmp(e->key, p->key.data, e->keylen) == 0)
			return e;
	return NULL;
}

/* ls_get - the entry of key, created (value 0) when absent; most recent */
static struct lentry *ls_get(struct local_store *ls, const struct lpend *p)
{
	struct lentry *e = ls_find(ls, p);
	size_t b;

	if (e != NULL) {
		ls_unlink(ls, e);
		ls_push(ls, e);
		return e;
	}
	if (ls->count >= ls->max)
		ls_evict(ls);
	e = rw_calloc(1, sizeof(*e));
	e->hash = p->hash;
	e->key = rw_malloc(p->key.len);
	memcpy(e->key, p->key.data, p->key.len);
	e->keylen = p->key.len;
	b = p->hash & (ls->nbuckets - 1);
	e->hnext = ls->buckets[b];
	ls->buckets[b] = e;
	ls_push(ls, e);
	ls->count++;
	return e;
}

/* ls_keypart - append s and a NUL separator */
static void ls_keypart(struct buf *b, const char *s)
{
	if (s != NULL)
		buf_puts(b, s);
	buf_putc(b, '\0');
}

/* ls_key - the clear-text key of check c */
static void ls_key(const struct limit_check *c, struct lpend *p)
{
	ls_keypart(&p->key, c->limit->kind == LIMIT_QUOTA ? "q" : "r");
	ls_keypart(&p->key, c->limit->name);
	ls_keypart(&p->key, c->dimension);
	ls_keypart(&p->key, c->customer);
	ls_keypart(&p->key, c->identity);
	if (c->limit->kind == LIMIT_QUOTA)
		ls_keypart(&p->key, c->window_id);
	buf_putc(&p->key, (char)('0' + c->unit));
	p->hash = ls_hash(p->key.data, p->key.len);
}

/* ls_share - the limit's local share, clamped to 1..100 percent */
static uint64_t ls_share(const struct limit_check *c)
{
	unsigned s = c->limit->local_share;

	return s == 0 ? 1 : s > 100 ? 100 : s;
}

/* ls_start - state before check i: an earlier allowed check of the same key, or the table */
static uint64_t ls_start(const struct local_store *ls, const struct lpend *pend, size_t i,
			 const struct limit_check *c, uint64_t now_us)
{
	const struct lentry *e;

	for (size_t j = i; j-- > 0;)
		if (pend[j].local && pend[j].allowed && pend[j].hash == pend[i].hash &&
		    pend[j].key.len == pend[i].key.len &&
		    memcmp(pend[j].key.data, pend[i].key.data, pend[i].key.len) == 0)
			return pend[j].value;
	e = ls_find(ls, &pend[i]);
	if (e == NULL)
		return 0;
	if (c->limit->kind == LIMIT_QUOTA && e->expires_us <= now_us)
		return 0;
	return e->value;
}

/* ls_rate - GCRA at the local share, of it this store's part (its burst kept) */
static void ls_rate(const struct local_store *ls, const struct limit_check *c, uint64_t now_us,
		    struct lpend *p, struct limit_result *r)
{
	uint64_t share = ls_share(c);
	uint64_t em = gcra_sat_mul(gcra_sat_mul(c->emission_us, 100), ls->parts) / share;
	uint64_t tol = gcra_sat_mul(gcra_sat_mul(c->tolerance_us, 100), ls->parts) / share;
	struct gcra_result g;

	gcra_update(&p->value, now_us, em, tol, c->cost, 1, &g);
	p->allowed = r->ok = g.allowed;
	r->never_fits = gcra_sat_mul(c->cost, c->emission_us) > c->tolerance_us;
	r->remaining = g.remaining;
	r->retry_after_ms = g.retry_after_us / 1000 + (g.retry_after_us % 1000 != 0);
}

/* ls_quota - a window counter at the local share, of it this store's part (at least 1) */
static void ls_quota(const struct local_store *ls, const struct limit_check *c, uint64_t now_us,
		     struct lpend *p, struct limit_result *r)
{
	uint64_t cap = c->cap == 0 ? 0 : gcra_sat_mul(c->cap, ls_share(c)) / (100 * (uint64_t)ls->parts);
	uint64_t end_ms = gcra_sat_mul(c->window_end > 0 ? (uint64_t)c->window_end : 0, 1000);
	uint64_t used = p->value;

	if (c->cap != 0 && cap == 0)
		cap = 1;
	r->never_fits = c->cap != 0 && c->cost > c->cap;
	r->ok = cap == 0 || (c->cost <= cap && used <= cap - c->cost);
	p->allowed = r->ok;
	if (cap == 0)
		r->remaining = UINT64_MAX;
	else if (r->ok)
		r->remaining = cap - used - c->cost;
	else
		r->remaining = used < cap ? cap - used : 0;
	if (r->ok)
		p->value = gcra_sat_add(used, c->cost);
	else
		r->retry_after_ms = end_ms > now_us / 1000 ? end_ms - now_us / 1000 : 0;
}

/* ls_evaluate - results for every FAIL_LOCAL check; 1 when the run may commit */
static int ls_evaluate(const struct local_store *ls, const struct limit_plan *plan,
		       uint64_t now_us, struct lpend *pend, struct limit_result *results)
{
	int commit = plan->charge;

	for (size_t i = 0; i < plan->n; i++) {
		const struct limit_check *c = &plan->v[i];
		int enforce = c->limit->mode != MODE_SHADOW;

		memset(&results[i], 0, sizeof(results[i]));
		results[i].degraded = 1;
		if (c->limit->on_failure != FAIL_LOCAL) {
			if (enforce && c->limit->on_failure == FAIL_TEMPFAIL)
				commit = 0;
			continue;
		}
		pend[i].local = 1;
		ls_key(c, &pend[i]);
		pend[i].value = ls_start(ls, pend, i, c, now_us);
		if (c->limit->kind == LIMIT_QUOTA)
			ls_quota(ls, c, now_us, &pend[i], &results[i]);
		else
			ls_rate(ls, c, now_us, &pend[i], &results[i]);
		if (!pend[i].allowed && enforce)
			commit = 0;
	}
	return commit;
}

/* local_store_run - evaluate, and charge all-or-nothing; see local_store.h */
void local_store_run(struct local_store *ls, const struct limit_plan *plan, uint64_t now_us,
		     struct limit_result *results)
{
	struct lpend *pend = rw_calloc(plan->n ? plan->n : 1, sizeof(*pend));
	int commit = ls_evaluate(ls, plan, now_us, pend, results);

	for (size_t i = 0; i < plan->n; i++) {
		const struct limit_check *c = &plan->v[i];

		if (commit && pend[i].local && pend[i].allowed) {
			struct lentry *e = ls_get(ls, &pend[i]);

			e->value = pend[i].value;
			if (c->limit->kind == LIMIT_QUOTA)
				e->expires_us = gcra_sat_mul((uint64_t)(c->window_end > 0 ?
									c->window_end : 0),
							     1000000);
		}
		buf_release(&pend[i].key);
	}
	free(pend);
}
