/* test_summary - the Postfix-style decision line and decision ids */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine/decid.h"
#include "core/engine/summary.h"

/* line - the summary of t decided as v, as a string the caller frees */
static char *line(const struct rw_txn *t, struct rw_verdict *v)
{
	struct buf reply = BUF_INIT, out = BUF_INIT;

	verdict_reply(v, &reply);
	summary_line(t, v, &reply, &out);
	buf_release(&reply);
	return buf_detach(&out);
}

static void test_refusal(void **state)
{
	struct rw_txn t = { .stage = STAGE_RCPT, .client_address = "192.0.2.9",
			    .client_name = "unknown", .sender = "x@remote.test",
			    .recipient = "bob@remote.test" };
	struct rw_verdict v = VERDICT_INIT;
	char *s;

	(void)state;
	verdict_set(&v, ACT_REJECT, 554, "5.7.1", "<bob@remote.test>: Relay access denied");
	strcpy(v.id, "3f2a9c1b5d07");
	s = line(&t, &v);
	assert_string_equal(s, "NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 "
			    "<bob@remote.test>: Relay access denied (id 3f2a9c1b5d07); "
			    "from=<x@remote.test> to=<bob@remote.test> rule=- id=3f2a9c1b5d07");
	free(s);
	verdict_release(&v);
}

static void test_deferred_with_queue_id_and_sasl(void **state)
{
	struct rw_txn t = { .stage = STAGE_EOM, .queue_id = "4AB1C2D3E",
			    .client_address = "2001:db8::1", .client_name = "mx.example.test",
			    .sasl_username = "alice", .sender = "alice@example.test" };
	struct rw_verdict v = VERDICT_INIT;
	char *s;

	(void)state;
	verdict_set(&v, ACT_DEFER, 450, "4.7.1", "Rate limit exceeded");
	verdict_rule(&v, "user-msgs");
	s = line(&t, &v);
	assert_string_equal(s, "4AB1C2D3E: reject: END-OF-MESSAGE from mx.example.test[2001:db8::1]: "
			    "450 4.7.1 Rate limit exceeded; sasl=alice from=<alice@example.test> "
			    "to=<> rule=user-msgs");
	free(s);
	verdict_release(&v);
}

static void test_permit_and_hostile_text(void **state)
{
	/* C0, DEL and C1 (U+0085, U+009B as UTF-8) from the client: never a second line */
	struct rw_txn t = { .stage = STAGE_RCPT, .client_address = "127.0.0.2",
			    .client_name = "a\nb", .sender = "x\r\x7f@y", .recipient =
			    "r\xc2\x85@s\xc2\x9b" };
	struct rw_verdict v = VERDICT_INIT;
	char *s;

	(void)state;
	verdict_set(&v, ACT_OK, 0, NULL, NULL);
	verdict_rule(&v, "office");
	s = line(&t, &v);
	assert_string_equal(s, "NOQUEUE: permit: RCPT from a?b[127.0.0.2]: OK; from=<x??@y> "
			    "to=<r?@s?> rule=office");
	free(s);
	verdict_release(&v);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_decid(void **state)
{
	enum { N = 20000 };
	char (*ids)[DECID_LEN + 1] = calloc(N, sizeof(*ids));

	(void)state;
	for (int i = 0; i < N; i++) {
		decid_next(ids[i]);
		assert_int_equal(strlen(ids[i]), DECID_LEN);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"), DECID_LEN);
	}
	qsort(ids, N, sizeof(*ids), cmp);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_deferred_with_queue_id_and_sasl),
		cmocka_unit_test(test_permit_and_hostile_text),
		cmocka_unit_test(test_decid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
