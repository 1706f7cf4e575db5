/* align_walk - the RFC 9989 DNS Tree Walk; see align_int.h */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/msgauth/align.h"
#include "core/msgauth/align_int.h"
#include "core/util/buf.h"
#include "core/util/mem.h"

#define ALIGN_DNS_NAME_MAX 253		/* octets of a name in text, no final dot */
#define ALIGN_LABEL_MAX 63
#define ALIGN_SHORTCUT 7		/* labels left after the first query (4.10 step 4) */

/* align_walk_init - see align_int.h */
void align_walk_init(struct align_walk *w, const struct align_env *env)
{
	memset(w, 0, sizeof(*w));
	w->env = env;
}

/* align_walk_release - free every entry */
void align_walk_release(struct align_walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i]->domain);
		free(w->v[i]);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* align_walk_txt - one TXT record's strings, joined */
static void align_walk_txt(const struct dns_txt *t, struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < t->n; i++)
		buf_append(out, t->s[i].data, t->s[i].len);
}

/* align_walk_ask - the look-up of _dmarc.<domain> into e (4.10 steps 1-2, 5-6) */
static void align_walk_ask(struct align_walk *w, struct align_memo_ent *e)
{
	struct buf name = BUF_INIT, rec = BUF_INIT;
	struct dns_answer *a;
	size_t cand = 0, which = 0;
	const char *err;

	e->status = ALIGN_LK_NONE;
	buf_printf(&name, "_dmarc.%s", e->domain);
	if (w->env->query == NULL || name.len > ALIGN_DNS_NAME_MAX)
		goto out;	/* no DNS, or a name the DNS cannot hold: nothing there */
	w->queries++;
	a = w->env->query(w->env->ctx, buf_cstr(&name), DNS_T_TXT);
	if (a->status == DNS_SERVFAIL || a->status == DNS_TIMEOUT)
		e->status = ALIGN_LK_TEMP;
	for (size_t i = 0; a->status == DNS_OK && i < a->n; i++) {
		align_walk_txt(&a->txt[i], &rec);
		if (align_dmarc_is_v1(rec.data, rec.len))
			cand++, which = i;
	}
	if (cand == 1) {	/* several: all discarded */
		align_walk_txt(&a->txt[which], &rec);
		if (align_dmarc_parse_9989(rec.data, rec.len, &e->d, &err) == 0)
			e->status = ALIGN_LK_FOUND;
	}
	w->env->release(w->env->ctx, a);
out:
	buf_release(&name);
	buf_release(&rec);
}

/* align_walk_lookup - the memo's entry for domain, asked once */
static const struct align_memo_ent *align_walk_lookup(struct align_walk *w, const char *domain)
{
	struct align_memo_ent *e;

	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i]->domain, domain) == 0)
			return w->v[i];
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = rw_realloc(w->v, w->cap * sizeof(*w->v));
	}
	e = rw_calloc(1, sizeof(*e));
	e->domain = rw_strdup(domain);
	align_walk_ask(w, e);
	w->v[w->n++] = e;
	return e;
}

/* align_walk_labels - where each label of d starts; the count, 0 when d is no DNS name */
static size_t align_walk_labels(const char *d, size_t *starts, size_t max)
{
	size_t n = 0, i = 0, len = strlen(d);

	if (len == 0 || len > ALIGN_DNS_NAME_MAX)
		return 0;
	while (i <= len) {
		size_t e = i;

		while (e < len && d[e] != '.')
			e++;
		if (e == i || e - i > ALIGN_LABEL_MAX || n == max)
			return 0;
		starts[n++] = i;
		i = e + 1;
	}
	return n;
}

/* align_walk_org - the Organizational Domain from the records found (4.10.2) */
static const char *align_walk_org(const char *domain, const size_t *starts, size_t x,
				  const struct align_walk_result *r)
{
	const struct align_memo_ent *last;
	size_t k;

	if (r->n == 0)
		return domain;			/* no record: the name itself */
	last = r->rec[r->n - 1];
	k = x;					/* labels of last's name */
	while (k > 0 && strcmp(domain + starts[x - k], last->domain) != 0)
		k--;
	if (k == 0)
		return domain;			/* not one of domain's names: the walk asked only those */
	if (last->d.psd == 'y' && k < x)	/* one label below the PSD */
		return domain + starts[x - k - 1];
	return domain + starts[x - k];		/* psd=n, or the fewest labels */
}

/* align_walk_run - see align_int.h */
void align_walk_run(struct align_walk *w, const char *domain, struct align_walk_result *r)
{
	size_t starts[ALIGN_DNS_NAME_MAX / 2 + 1];
	size_t x = align_walk_labels(domain, starts, sizeof(starts) / sizeof(starts[0]));
	size_t m = x;				/* labels of the current target */

	memset(r, 0, sizeof(*r));
	r->org = domain;
	while (m > 0) {
		const struct align_memo_ent *e = align_walk_lookup(w, domain + starts[x - m]);

		if (e->status == ALIGN_LK_TEMP) {
			r->temp = 1;
			r->org = NULL;
			return;
		}
		if (e->status == ALIGN_LK_FOUND && r->n < ALIGN_WALK_MAX) {
			r->rec[r->n++] = e;
			if (e->d.psd == 'y' || e->d.psd == 'n')
				break;
		}
		m = m == x && x > ALIGN_SHORTCUT ? ALIGN_SHORTCUT : m - 1;
	}
	r->org = align_walk_org(domain, starts, x, r);
}

/* align_walk_exists - an A look-up of domain: NXDOMAIN or not (RFC 9989 A.4) */
int align_walk_exists(struct align_walk *w, const char *domain)
{
	struct dns_answer *a;
	int r;

	if (w->env->query == NULL)
		return -1;
	a = w->env->query(w->env->ctx, domain, DNS_T_A);
	r = a->status == DNS_NXDOMAIN ? 0 :
	    a->status == DNS_OK || a->status == DNS_NODATA ? 1 : -1;
	w->env->release(w->env->ctx, a);
	return r;
}
