/* summary - Postfix-style decision lines; see summary.h */
#include "autoconfig.h"

#include <string.h>

#include "core/engine/summary.h"

/* summary_plain - bytes copied as they are: not C0, DEL or 0xc2 (the lead byte of C1) */
static const unsigned char summary_plain[256] = {
#define SP4(c) [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1
#define SP16(c) SP4(c), SP4(c + 4), SP4(c + 8), SP4(c + 12)
	SP16(0x20), SP16(0x30), SP16(0x40), SP16(0x50), SP16(0x60), SP4(0x70), SP4(0x74),
	SP4(0x78), [0x7c] = 1, [0x7d] = 1, [0x7e] = 1, /* 0x7f */
	SP16(0x80), SP16(0x90), SP16(0xa0), SP16(0xb0), [0xc0] = 1, [0xc1] = 1, /* 0xc2 */
	[0xc3] = 1, SP4(0xc4), SP4(0xc8), SP4(0xcc), SP16(0xd0), SP16(0xe0), SP16(0xf0),
#undef SP16
#undef SP4
};

/* summary_text - s with control characters (C0, DEL, C1 as UTF-8) as '?' */
static void summary_text(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	for (;;) {
		const unsigned char *run = p;

		while (summary_plain[*p])
			p++;
		buf_append(out, run, (size_t)(p - run));
		if (*p == '\0')
			return;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_putc(out, '?');	/* U+0080..U+009F */
			p += 2;
		} else {
			buf_putc(out, *p == 0xc2 ? 0xc2 : '?');
			p++;
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
