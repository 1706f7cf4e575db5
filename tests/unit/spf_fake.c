/*
 * spf_fake - a table-driven spf_env for tests; see spf_fake.h.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/util/strvec.h"
#include "tests/unit/spf_fake.h"

struct fake_row {
	char *name;
	enum dns_type type;	/* 0: any */
	enum dns_status st;
	int has_value;
	struct rw_ip ip;
	unsigned pref;
	char *host;
	struct strvec strs;	/* TXT strings (binary-safe through lens) */
	size_t *lens;
};

struct spf_fake {
	struct fake_row *rows;
	size_t n;
	unsigned queries, delay_ms;
	int outstanding;
	uint64_t clock;
};

/* fake_norm - a lower-case copy of name without its trailing dot */
static char *fake_norm(const char *name)
{
	char *s = rw_strdup(name);
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* spf_fake_new - an empty table */
struct spf_fake *spf_fake_new(void)
{
	return rw_calloc(1, sizeof(struct spf_fake));
}

/* fake_row_new - append a row */
static struct fake_row *fake_row_new(struct spf_fake *f, const char *name, enum dns_type type,
				     enum dns_status st)
{
	struct fake_row *r;

	f->rows = rw_realloc(f->rows, (f->n + 1) * sizeof(*f->rows));
	r = &f->rows[f->n++];
	memset(r, 0, sizeof(*r));
	r->name = fake_norm(name);
	r->type = type;
	r->st = st;
	return r;
}

/* fake_txt_add - one TXT string of n bytes */
static void fake_txt_add(struct fake_row *r, const char *s, size_t n)
{
	strvec_add(&r->strs, "");
	free(r->strs.v[r->strs.n - 1]);
	r->strs.v[r->strs.n - 1] = rw_malloc(n + 1);
	memcpy(r->strs.v[r->strs.n - 1], s, n);
	r->strs.v[r->strs.n - 1][n] = '\0';
	r->lens = rw_realloc(r->lens, r->strs.n * sizeof(*r->lens));
	r->lens[r->strs.n - 1] = n;
}

/* fake_value - parse a value into the row; -1 if malformed */
static int fake_value(struct fake_row *r, const char *v)
{
	char host[256];

	r->has_value = 1;
	switch (r->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		r->ip.family = r->type == DNS_T_A ? 4 : 6;
		return inet_pton(r->type == DNS_T_A ? AF_INET : AF_INET6, v, r->ip.b) == 1 ? 0 : -1;
	case DNS_T_MX:
		if (sscanf(v, "%u %255s", &r->pref, host) < 1)
			return -1;
		r->host = fake_norm(strchr(v, ' ') ? host : "");
		return 0;
	case DNS_T_PTR:
		r->host = fake_norm(v);
		return 0;
	case DNS_T_TXT:
	case DNS_T_SPF:
		fake_txt_add(r, v, strlen(v));
		return 0;
	}
	return -1;
}

/* spf_fake_add - one row (value NULL: a status row) */
void spf_fake_add(struct spf_fake *f, const char *name, enum dns_type type,
		  enum dns_status st, const char *value)
{
	struct fake_row *r = fake_row_new(f, name, type, st);

	if (value != NULL && fake_value(r, value) < 0) {
		fprintf(stderr, "spf_fake: bad value '%s' for %s\n", value, name);
		abort();
	}
}

/* fake_unhex - append the bytes of hex text s[0..n) as one TXT string */
static int fake_unhex(struct fake_row *r, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	unsigned v;

	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		buf_putc(&b, (int)v);
	}
	fake_txt_add(r, buf_cstr(&b), b.len);
	buf_release(&b);
	return 0;
}

/* fake_txt_hex - "-" or comma-separated hex strings */
static int fake_txt_hex(struct fake_row *r, const char *v)
{
	r->has_value = 1;
	if (strcmp(v, "-") == 0)
		return 0;
	for (;;) {
		const char *c = strchr(v, ',');
		size_t n = c ? (size_t)(c - v) : strlen(v);

		if (fake_unhex(r, v, n) < 0)
			return -1;
		if (c == NULL)
			return 0;
		v = c + 1;
	}
}

/* fake_parse_enum - index of s in names, or -1 */
static int fake_parse_enum(const char *s, const char *const *names, const int *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return vals[i];
	return -1;
}

/* fake_load_line - one NAME TYPE STATUS VALUE row */
static int fake_load_line(struct spf_fake *f, char *line)
{
	static const char *const tn[] = { "A", "AAAA", "MX", "PTR", "TXT", "ANY" };
	static const int tv[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_PTR, DNS_T_TXT, 0 };
	static const char *const sn[] = { "OK", "NODATA", "NXDOMAIN", "SERVFAIL", "TIMEOUT" };
	static const int sv[] = { DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_SERVFAIL, DNS_TIMEOUT };
	char *field[4] = { NULL, NULL, NULL, NULL }, *save = NULL;
	int type, st;
	struct fake_row *r;

	for (int i = 0; i < 4; i++)
		field[i] = strtok_r(i ? NULL : line, "\t\n", &save);
	if (field[2] == NULL)
		return -1;
	type = fake_parse_enum(field[1], tn, tv, 6);
	st = fake_parse_enum(field[2], sn, sv, 5);
	if (type < 0 || st < 0)
		return -1;
	r = fake_row_new(f, field[0], (enum dns_type)type, (enum dns_status)st);
	if (st != DNS_OK)
		return 0;
	if (type == DNS_T_TXT)
		return fake_txt_hex(r, field[3] ? field[3] : "");
	return field[3] ? fake_value(r, field[3]) : -1;
}

/* spf_fake_load - a zone file */
int spf_fake_load(struct spf_fake *f, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[8192];
	unsigned no = 0;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		no++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (fake_load_line(f, line) < 0) {
			fprintf(stderr, "%s:%u: bad zone row\n", path, no);
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return 0;
}

/* fake_fill - the answer's records from the matching rows */
static void fake_fill(const struct spf_fake *f, const char *name, struct dns_answer *a)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct fake_row *r = &f->rows[i];

		if (r->type != a->type || !r->has_value || strcmp(r->name, name) != 0)
			continue;
		if (a->type == DNS_T_A || a->type == DNS_T_AAAA) {
			a->ip = rw_realloc(a->ip, (a->n + 1) * sizeof(*a->ip));
			a->ip[a->n] = r->ip;
		} else if (a->type == DNS_T_MX) {
			a->mx = rw_realloc(a->mx, (a->n + 1) * sizeof(*a->mx));
			a->mx[a->n].pref = r->pref;
			a->mx[a->n].name = rw_strdup(r->host);
		} else if (a->type == DNS_T_PTR) {
			a->name = rw_realloc(a->name, (a->n + 1) * sizeof(*a->name));
			a->name[a->n] = rw_strdup(r->host);
		} else {
			a->txt = rw_realloc(a->txt, (a->n + 1) * sizeof(*a->txt));
			a->txt[a->n].n = r->strs.n;
			a->txt[a->n].s = rw_calloc(r->strs.n + 1, sizeof(*a->txt[a->n].s));
			for (size_t k = 0; k < r->strs.n; k++) {
				a->txt[a->n].s[k].data = (const unsigned char *)r->strs.v[k];
				a->txt[a->n].s[k].len = r->lens[k];
			}
		}
		a->n++;
	}
}

/* fake_query - spf_env.query */
static struct dns_answer *fake_query(void *ctx, const char *qname, enum dns_type type)
{
	struct spf_fake *f = ctx;
	struct dns_answer *a = rw_calloc(1, sizeof(*a));
	char *name = fake_norm(qname);
	int name_seen = 0, type_seen = 0;

	f->queries++;
	f->outstanding++;
	f->clock += f->delay_ms;
	a->type = type;
	for (size_t i = 0; i < f->n; i++) {
		const struct fake_row *r = &f->rows[i];

		if (strcmp(r->name, name) != 0)
			continue;
		if (r->type == 0) {
			a->status = r->st;
			free(name);
			return a;
		}
		name_seen = 1;
		if (r->type == type && !type_seen) {
			type_seen = 1;
			a->status = r->st;
		}
	}
	if (!type_seen)
		a->status = name_seen ? DNS_NODATA : DNS_NXDOMAIN;
	if (a->status == DNS_OK)
		fake_fill(f, name, a);
	free(name);
	return a;
}

/* fake_release - spf_env.release */
static void fake_release(void *ctx, struct dns_answer *a)
{
	struct spf_fake *f = ctx;

	f->outstanding--;
	for (size_t i = 0; a->type == DNS_T_MX && i < a->n; i++)
		free(a->mx[i].name);
	for (size_t i = 0; a->type == DNS_T_PTR && i < a->n; i++)
		free(a->name[i]);
	for (size_t i = 0; (a->type == DNS_T_TXT || a->type == DNS_T_SPF) && i < a->n; i++)
		free(a->txt[i].s);
	free(a->ip);
	free(a->mx);
	free(a->name);
	free(a->txt);
	free(a);
}

/* fake_now - spf_env.now_ms */
static uint64_t fake_now(void *ctx)
{
	return ((struct spf_fake *)ctx)->clock;
}

/* fake_time - spf_env.time_s: a fixed instant */
static uint64_t fake_time(void *ctx)
{
	(void)ctx;
	return 1400000000;
}

/* spf_fake_env - an env over f */
void spf_fake_env(struct spf_fake *f, struct spf_env *env)
{
	memset(env, 0, sizeof(*env));
	env->query = fake_query;
	env->release = fake_release;
	env->now_ms = fake_now;
	env->time_s = fake_time;
	env->ctx = f;
}

/* spf_fake_set_delay - each query advances the clock by ms */
void spf_fake_set_delay(struct spf_fake *f, unsigned ms)
{
	f->delay_ms = ms;
}

/* spf_fake_queries - queries so far */
unsigned spf_fake_queries(const struct spf_fake *f)
{
	return f->queries;
}

/* spf_fake_outstanding - answers not released */
int spf_fake_outstanding(const struct spf_fake *f)
{
	return f->outstanding;
}

/* spf_fake_free - free the table */
void spf_fake_free(struct spf_fake **fp)
{
	struct spf_fake *f = *fp;

	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->rows[i].name);
		free(f->rows[i].host);
		free(f->rows[i].lens);
		strvec_release(&f->rows[i].strs);
	}
	free(f->rows);
	free(f);
	*fp = NULL;
}
