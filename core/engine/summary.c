/* summary - Postfix-style decision lines; see summary.h */
#include "autoconfig.h"

#include <string.h>

#include "core/engine/summary.h"

/* summary_text - s with control characters (C0, DEL, C1 as UTF-8) as '?' */
static void summary_text(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_putc(out, '?');	/* U+0080..U+009F */
			p++;
		} else {
			buf_putc(out, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
		}
	}
}

/* summary_action - Postfix's word for the action */
static const char *summary_action(enum rw_action a)
{
	switch (a) {
	case ACT_REJECT:
	case ACT_DEFER:
		return "reject";
	case ACT_OK:
		return "permit";
	case ACT_DUNNO:
		break;
	}
	return "dunno";
}

void summary_line(const struct rw_txn *t, const struct rw_verdict *v, const struct buf *reply,
		  struct buf *out)
{
	summary_text(out, txn_has(t->queue_id) ? t->queue_id : "NOQUEUE");
	buf_puts(out, ": ");
	buf_puts(out, summary_action(v->action));
	buf_puts(out, ": ");
	buf_puts(out, txn_stage_name(t->stage));
	buf_puts(out, " from ");
	summary_text(out, txn_has(t->client_name) ? t->client_name : "unknown");
	buf_putc(out, '[');
	summary_text(out, t->client_address);
	buf_puts(out, "]: ");
	if (reply->len > 0)
		summary_text(out, buf_cstr(reply));
	else
		buf_puts(out, v->action == ACT_OK ? "OK" : "DUNNO");
	buf_putc(out, ';');
	if (txn_has(t->sasl_username)) {
		buf_puts(out, " sasl=");
		summary_text(out, t->sasl_username);
	}
	buf_puts(out, " from=<");
	summary_text(out, t->sender);
	buf_puts(out, "> to=<");
	summary_text(out, t->recipient);
	buf_puts(out, "> rule=");
	summary_text(out, v->rule != NULL ? v->rule : "-");
	if (v->id[0] != '\0') {
		buf_puts(out, " id=");
		buf_puts(out, v->id);
	}
}
