/*
 * quota_show - `relaywarden quota show`: one row per check of the
 * identity's plan, as an aligned table or as JSON (with the Redis keys and
 * the script arguments of each check); see cli/quota_show.h.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/quota_show.h"
#include "cli/termsafe.h"
#include "core/util/json.h"
#include "core/limits/limit_store.h"
#include "core/util/mem.h"

#define QUOTA_UNLIMITED UINT64_C(9007199254740992)
#define QUOTA_COLS 9

static const char *const quota_heads[QUOTA_COLS] = {
	"LIMIT", "TYPE", "UNIT", "CONFIGURED", "OVERRIDE", "USED", "REMAINING", "RETRY", "STATUS",
};

/* quota_fmt_rate - "N/PERIOD burst B" of emission and tolerance over period
 * (N rounded: emission intervals are whole microseconds) */
static void quota_fmt_rate(uint64_t em, uint64_t tol, uint64_t period_s, struct buf *b)
{
	uint64_t period_us = period_s * 1000000u;

	if (em == 0) {
		buf_puts(b, "unlimited");
		return;
	}
	buf_printf(b, "%llu/", (unsigned long long)((period_us + em / 2) / em));
	quota_format_period(period_s, b);
	buf_printf(b, " burst %llu", (unsigned long long)(tol / em));
}

/* quota_fmt_cap - "N/WINDOW" or "unlimited" */
static void quota_fmt_cap(uint64_t cap, const struct rw_limit *l, struct buf *b)
{
	if (cap == 0)
		buf_puts(b, "unlimited");
	else
		buf_printf(b, "%llu/%s", (unsigned long long)cap, limits_window_name(l->window));
}

/* quota_fmt_ttl - "permanent" or "Ns left" */
static void quota_fmt_ttl(long long ttl_ms, struct buf *b)
{
	if (ttl_ms < 0)
		buf_puts(b, "permanent");
	else
		buf_printf(b, "%llds left", (ttl_ms + 999) / 1000);
}

/* quota_fmt_override - the effective values and who set them, or "-" */
static void quota_fmt_override(const struct quota_row *w, struct buf *b)
{
	const struct rw_limit *l = w->c->limit;

	if (w->from == NULL) {
		buf_puts(b, "-");
		return;
	}
	if (l->kind == LIMIT_RATE)
		quota_fmt_rate(w->em, w->tol, l->period_s, b);
	else
		quota_fmt_cap(w->cap, l, b);
	buf_printf(b, " [%s, ", w->from);
	quota_fmt_ttl(w->ovr[strcmp(w->from, "identity") == 0 ? 0 : 1].ttl_ms, b);
	buf_putc(b, ']');
}

/* quota_fmt_status - ok, exhausted, never fits, blocked (+ shadow) */
static void quota_fmt_status(const struct quota_row *w, struct buf *b)
{
	const struct limit_result *r = &w->res;

	buf_puts(b, r->blocked ? "blocked" : r->never_fits ? "never fits"
		    : r->ok ? "ok" : "exhausted");
	if (w->c->limit->mode == MODE_SHADOW)
		buf_puts(b, " (shadow)");
}

/* quota_cells - the table cells of one row */
static void quota_cells(const struct quota_row *w, struct buf cell[QUOTA_COLS])
{
	const struct limit_check *c = w->c;
	const struct rw_limit *l = c->limit;

	buf_puts(&cell[0], l->name);
	if (l->kind == LIMIT_RATE) {
		buf_puts(&cell[1], "rate");
		buf_printf(&cell[3], "%llu/", (unsigned long long)l->rate);
		quota_format_period(l->period_s, &cell[3]);
		buf_printf(&cell[3], " burst %llu", (unsigned long long)l->burst);
	} else {
		buf_printf(&cell[1], "quota %s", c->window_id);
		quota_fmt_cap(c->cap, l, &cell[3]);
	}
	buf_puts(&cell[2], limits_unit_name(c->unit));
	quota_fmt_override(w, &cell[4]);
	buf_printf(&cell[5], "%llu", (unsigned long long)w->used);
	if (w->remaining >= QUOTA_UNLIMITED)
		buf_puts(&cell[6], "unlimited");
	else
		buf_printf(&cell[6], "%llu", (unsigned long long)w->remaining);
	if (w->res.retry_after_ms == 0)
		buf_puts(&cell[7], "-");
	else
		buf_printf(&cell[7], "%llus",
			   (unsigned long long)((w->res.retry_after_ms + 999) / 1000));
	quota_fmt_status(w, &cell[8]);
}

/* quota_print_line - one aligned line */
static void quota_print_line(struct buf cell[QUOTA_COLS], const size_t width[QUOTA_COLS])
{
	for (int k = 0; k + 1 < QUOTA_COLS; k++)
		printf("%-*s  ", (int)width[k], buf_cstr(&cell[k]));
	printf("%s\n", buf_cstr(&cell[QUOTA_COLS - 1]));
}

/* quota_safe - s with control characters shown as '?' (reasons come from Redis; cli/termsafe.h) */
static const char *quota_safe(const char *s, struct buf *out)
{
	buf_truncate(out, 0);
	termsafe_append(out, s, "");
	return buf_cstr(out);
}

/* quota_print_blocks - the distinct block keys that exist */
static void quota_print_blocks(const struct quota_target *t, const struct quota_row *rows)
{
	struct buf ttl = BUF_INIT, why = BUF_INIT;
	int any = 0;

	for (size_t i = 0; i < t->plan.n; i++) {
		for (int k = 0; k < 2; k++) {
			const struct quota_blockinfo *b = &rows[i].blk[k];
			int dup = 0;

			for (size_t j = 0; j < i; j++)
				dup |= strcmp(rows[j].keys[3 + k], rows[i].keys[3 + k]) == 0;
			if (!b->exists || dup)
				continue;
			buf_truncate(&ttl, 0);
			quota_fmt_ttl(b->ttl_ms, &ttl);
			printf("blocked: %s %s: \"%s\" (%s)\n",
			       k == 0 ? rows[i].c->dimension : "customer",
			       k == 0 ? rows[i].c->identity : t->customer, quota_safe(b->reason, &why),
			       buf_cstr(&ttl));
			any = 1;
		}
	}
	if (!any)
		printf("blocked: no\n");
	buf_release(&ttl);
	buf_release(&why);
}

/* quota_print_table - header line, aligned table, blocks */
static void quota_print_table(const struct quota_target *t, const struct quota_row *rows)
{
	size_t n = t->plan.n, width[QUOTA_COLS] = { 0 };
	struct buf *cells = rw_calloc((n + 1) * QUOTA_COLS, sizeof(*cells));

	for (int k = 0; k < QUOTA_COLS; k++)
		buf_puts(&cells[k], quota_heads[k]);
	for (size_t i = 0; i < n; i++)
		quota_cells(&rows[i], &cells[(i + 1) * QUOTA_COLS]);
	for (size_t i = 0; i < (n + 1) * QUOTA_COLS; i++)
		if (cells[i].len > width[i % QUOTA_COLS])
			width[i % QUOTA_COLS] = cells[i].len;
	if (strcmp(t->customer_source, "identity") == 0)
		printf("%s\n", t->label);
	else
		printf("%s: customer %s (%s)\n", t->label, t->customer,
		       strcmp(t->customer_source, "config") == 0 ? "from the customer maps"
		       : strcmp(t->customer_source, "none") == 0 ? "none maps" : "as given");
	for (size_t i = 0; i <= n; i++)
		quota_print_line(&cells[i * QUOTA_COLS], width);
	quota_print_blocks(t, rows);
	for (size_t i = 0; i < (n + 1) * QUOTA_COLS; i++)
		buf_release(&cells[i]);
	free(cells);
}

/* quota_json_ttl - "ttl_ms": N or null */
static void quota_json_ttl(struct buf *b, long long ttl_ms)
{
	json_key(b, "ttl_ms");
	if (ttl_ms < 0)
		buf_puts(b, "null");
	else
		json_uint(b, (uint64_t)ttl_ms);
}

/* quota_json_hash - an override hash or null */
static void quota_json_hash(struct buf *b, const struct quota_hash *h)
{
	if (!h->exists) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '{');
	quota_json_ttl(b, h->ttl_ms);
	for (int f = 0; f < QF_N; f++) {
		if (!h->has[f])
			continue;
		buf_putc(b, ',');
		json_key(b, quota_ovr_field_name(f));
		json_uint(b, h->v[f] >= (double)QUOTA_UNLIMITED ? QUOTA_UNLIMITED
								: (uint64_t)h->v[f]);
	}
	buf_putc(b, '}');
}

/* quota_json_block - a block or null */
static void quota_json_block(struct buf *b, const struct quota_blockinfo *k)
{
	if (!k->exists) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '{');
	json_key(b, "reason");
	json_str(b, k->reason);
	buf_putc(b, ',');
	quota_json_ttl(b, k->ttl_ms);
	buf_putc(b, '}');
}

/* quota_json_u - ,"key":v */
static void quota_json_u(struct buf *b, const char *key, uint64_t v)
{
	buf_putc(b, ',');
	json_key(b, key);
	json_uint(b, v);
}

/* quota_json_config - the configured values of the check */
static void quota_json_config(struct buf *b, const struct limit_check *c)
{
	const struct rw_limit *l = c->limit;

	json_key(b, "configured");
	buf_putc(b, '{');
	json_key(b, "mode");
	json_str(b, mode_name(l->mode));
	if (l->kind == LIMIT_RATE) {
		quota_json_u(b, "rate", l->rate);
		quota_json_u(b, "period_s", l->period_s);
		quota_json_u(b, "burst", l->burst);
		quota_json_u(b, "emission_us", c->emission_us);
		quota_json_u(b, "tolerance_us", c->tolerance_us);
	} else {
		buf_putc(b, ',');
		json_key(b, "window");
		json_str(b, limits_window_name(l->window));
		buf_putc(b, ',');
		json_key(b, "window_id");
		json_str(b, c->window_id);
		quota_json_u(b, "window_start", (uint64_t)c->window_start);
		quota_json_u(b, "window_end", (uint64_t)c->window_end);
		quota_json_u(b, "cap", c->cap);
	}
	buf_puts(b, "},");
}

/* quota_json_effective - effective parameters and who overrides them */
static void quota_json_effective(struct buf *b, const struct quota_row *w)
{
	json_key(b, "override");
	buf_putc(b, '{');
	json_key(b, "identity");
	quota_json_hash(b, &w->ovr[0]);
	buf_putc(b, ',');
	json_key(b, "customer");
	quota_json_hash(b, &w->ovr[1]);
	buf_puts(b, "},");
	json_key(b, "effective");
	buf_putc(b, '{');
	json_key(b, "from");
	json_str(b, w->from != NULL ? w->from : "config");
	if (w->c->limit->kind == LIMIT_RATE) {
		quota_json_u(b, "emission_us", w->em);
		quota_json_u(b, "tolerance_us", w->tol);
		quota_json_u(b, "burst", w->em ? w->tol / w->em : QUOTA_UNLIMITED);
	} else {
		quota_json_u(b, "cap", w->cap);
	}
	buf_puts(b, "},");
}

/* quota_json_usage - used, remaining, the peek, blocks */
static void quota_json_usage(struct buf *b, const struct quota_row *w)
{
	json_key(b, "state");
	json_uint(b, w->state);
	quota_json_u(b, "used", w->used);
	quota_json_u(b, "remaining", w->remaining);
	buf_putc(b, ',');
	json_key(b, "ok");
	json_bool(b, w->res.ok);
	buf_putc(b, ',');
	json_key(b, "never_fits");
	json_bool(b, w->res.never_fits);
	quota_json_u(b, "retry_after_ms", w->res.retry_after_ms);
	buf_putc(b, ',');
	json_key(b, "blocked");
	json_bool(b, w->res.blocked);
	buf_putc(b, ',');
	json_key(b, "block");
	buf_putc(b, '{');
	json_key(b, "identity");
	quota_json_block(b, &w->blk[0]);
	buf_putc(b, ',');
	json_key(b, "customer");
	quota_json_block(b, &w->blk[1]);
	buf_puts(b, "},");
}

/* quota_json_keys - the check's 5 KEYS by role, and its 6 ARGV of a peek */
static void quota_json_keys(struct buf *b, const struct quota_target *t, size_t i)
{
	static const char *const roles[LIMIT_STORE_KEYS_PER_CHECK] = {
		"state", "override", "override_customer", "block", "block_customer",
	};
	char **args = &t->args.v[LIMIT_STORE_ARGS_HEAD + LIMIT_STORE_ARGS_PER_CHECK * i];

	json_key(b, "keys");
	buf_putc(b, '{');
	for (int k = 0; k < LIMIT_STORE_KEYS_PER_CHECK; k++) {
		if (k)
			buf_putc(b, ',');
		json_key(b, roles[k]);
		json_str(b, t->keys.v[LIMIT_STORE_KEYS_PER_CHECK * i + k]);
	}
	buf_puts(b, "},");
	json_key(b, "script_args");
	buf_putc(b, '[');
	for (int k = 0; k < LIMIT_STORE_ARGS_PER_CHECK; k++) {
		if (k)
			buf_putc(b, ',');
		json_str(b, args[k]);
	}
	buf_putc(b, ']');
}

/* quota_json_row - one check as an object */
static void quota_json_row(struct buf *b, const struct quota_target *t,
			   const struct quota_row *w, size_t i)
{
	const struct limit_check *c = w->c;

	buf_putc(b, '{');
	json_key(b, "limit");
	json_str(b, c->limit->name);
	buf_putc(b, ',');
	json_key(b, "type");
	json_str(b, c->limit->kind == LIMIT_RATE ? "rate" : "quota");
	buf_putc(b, ',');
	json_key(b, "unit");
	json_str(b, limits_unit_name(c->unit));
	buf_putc(b, ',');
	json_key(b, "dimension");
	json_str(b, c->dimension);
	buf_putc(b, ',');
	json_key(b, "identity");
	json_str(b, c->identity);
	buf_putc(b, ',');
	quota_json_config(b, c);
	quota_json_effective(b, w);
	quota_json_usage(b, w);
	quota_json_keys(b, t, i);
	buf_putc(b, '}');
}

/* quota_print_json - one JSON document */
static void quota_print_json(const struct rw_config *cfg, const struct quota_target *t,
			     const struct quota_row *rows, uint64_t now_us)
{
	struct buf b = BUF_INIT;

	buf_putc(&b, '{');
	json_key(&b, "config");
	json_str(&b, cfg->path);
	buf_putc(&b, ',');
	json_key(&b, "target");
	json_str(&b, t->label);
	buf_putc(&b, ',');
	json_key(&b, "customer");
	json_str(&b, t->customer);
	buf_putc(&b, ',');
	json_key(&b, "customer_source");
	json_str(&b, t->customer_source);
	quota_json_u(&b, "now_ms", now_us / 1000);
	buf_putc(&b, ',');
	json_key(&b, "limits");
	buf_putc(&b, '[');
	for (size_t i = 0; i < t->plan.n; i++) {
		if (i)
			buf_putc(&b, ',');
		quota_json_row(&b, t, &rows[i], i);
	}
	buf_puts(&b, "]}");
	printf("%s\n", buf_cstr(&b));
	buf_release(&b);
}

/* quota_show - see quota.h */
int quota_show(const struct rw_config *cfg, const struct quota_opts *o, struct quota_target *t,
	       struct quota_conn *c)
{
	struct quota_row *rows;
	uint64_t now_us = 0;
	int rc;

	if (t->plan.n == 0)
		return quota_no_checks(cfg, o, t);
	rows = rw_calloc(t->plan.n, sizeof(*rows));
	rc = quota_read_all(c, t, rows, &now_us);
	if (rc == 0 && o->json)
		quota_print_json(cfg, t, rows, now_us);
	else if (rc == 0)
		quota_print_table(t, rows);
	quota_rows_release(rows, t->plan.n);
	free(rows);
	return rc;
}
