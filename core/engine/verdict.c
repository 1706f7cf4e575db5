/* verdict - the decision type; see verdict.h */
#include "autoconfig.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/engine/verdict.h"

/* verdict_set - set action and, for refusals, the reply */
void verdict_set(struct rw_verdict *v, enum rw_action act, unsigned code,
		 const char *dsn, const char *fmt, ...)
{
	va_list ap;

	v->action = act;
	v->reason = act == ACT_REJECT || act == ACT_DEFER ? REASON_OTHER : REASON_NONE;
	buf_truncate(&v->text, 0);
	if (act != ACT_REJECT && act != ACT_DEFER) {
		v->code = 0;
		v->dsn[0] = '\0';
		return;
	}
	assert(code >= 400 && code <= 599 && dsn != NULL && strlen(dsn) < sizeof(v->dsn));
	assert(dsn[0] == (act == ACT_REJECT ? '5' : '4'));
	v->code = code;
	strcpy(v->dsn, dsn);
	va_start(ap, fmt);
	buf_vprintf(&v->text, fmt, ap);
	va_end(ap);
}

/* verdict_reason - name why the refusal refuses */
void verdict_reason(struct rw_verdict *v, enum rw_reason r)
{
	assert(v->action == ACT_REJECT || v->action == ACT_DEFER);
	assert(r > REASON_NONE && r < REASON_COUNT);
	v->reason = r;
}

/* verdict_reason_name - the reason as a metric label and log word */
const char *verdict_reason_name(enum rw_reason r)
{
	static const char *const names[REASON_COUNT] = {
		[REASON_NONE] = "", [REASON_OTHER] = "other", [REASON_SYNTAX] = "syntax",
		[REASON_RELAY] = "relay", [REASON_SENDER] = "sender", [REASON_LIMIT] = "limit",
		[REASON_QUOTA] = "quota", [REASON_STORE] = "store", [REASON_SPF] = "spf",
		[REASON_DKIM] = "dkim", [REASON_ALIGNMENT] = "alignment",
	};

	return r < REASON_COUNT ? names[r] : "other";
}

/* verdict_rule - name the deciding rule */
void verdict_rule(struct rw_verdict *v, const char *name)
{
	free(v->rule);
	v->rule = name ? rw_strdup(name) : NULL;
}

/* verdict_trace_str - append a trace step as it is */
void verdict_trace_str(struct rw_verdict *v, const char *step)
{
	if (v == NULL)
		return;
	strvec_add(&v->trace, step);
}

/* verdict_trace - append a trace step */
void verdict_trace(struct rw_verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v == NULL)
		return;
	va_start(ap, fmt);
	strvec_vaddf(&v->trace, fmt, ap);
	va_end(ap);
}

/* verdict_action_name - action as text */
const char *verdict_action_name(enum rw_action act)
{
	switch (act) {
	case ACT_OK:
		return "OK";
	case ACT_REJECT:
		return "REJECT";
	case ACT_DEFER:
		return "DEFER";
	case ACT_DUNNO:
	default:
		return "DUNNO";
	}
}

/* verdict_reply - "554 5.7.1 text" for refusals, "" otherwise; controls become '?' */
void verdict_reply(const struct rw_verdict *v, struct buf *out)
{
	if (v->action != ACT_REJECT && v->action != ACT_DEFER)
		return;
	size_t start = out->len;

	char code[4] = { (char)('0' + v->code / 100 % 10), (char)('0' + v->code / 10 % 10),
			 (char)('0' + v->code % 10), ' ' };

	buf_append(out, code, sizeof(code));	/* 400..599: verdict_set asserts it */
	buf_puts(out, v->dsn);
	buf_putc(out, ' ');
	buf_append(out, v->text.data, v->text.len);
	for (size_t i = start; i < out->len; i++) {
		unsigned char c = (unsigned char)out->data[i];

		if (c < 0x20 || c == 0x7f)
			out->data[i] = '?';
	}
	if (v->id[0] != '\0') {
		buf_append(out, BUF_LIT(" (id "));
		buf_puts(out, v->id);
		buf_putc(out, ')');
	}
}

/* verdict_release - free and reset to DUNNO */
void verdict_release(struct rw_verdict *v)
{
	buf_release(&v->text);
	strvec_release(&v->trace);
	free(v->rule);
	v->rule = NULL;
	v->action = ACT_DUNNO;
	v->code = 0;
	v->dsn[0] = '\0';
	v->id[0] = '\0';
	v->reason = REASON_NONE;
}
