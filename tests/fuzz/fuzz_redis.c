/*
 * fuzz_redis - Redis replies: RESP bytes through hiredis's reader, then every
 * reply through the code that reads replies (limit_store_parse for plans of
 * 0 to FUZZ_PLAN_MAX checks, the status and ROLE tests of the handshake,
 * the Sentinel's get-master-addr-by-name reply).
 *
 * The input is what a server (or a man in the middle) sends: at most
 * FUZZ_REPLIES replies are read. Checked: limit_store_parse gives FAIL
 * (static, non-empty message, results zeroed), NOSCRIPT (an error reply
 * only) or OK with flags 0/1, a reason exactly for a blocked check, never
 * ok and blocked at once; a Sentinel address has a non-empty host and a
 * port in 1..65535, both exactly as sent (a NUL byte inside either is not
 * cut off, the reply is refused). Any violation aborts; the sanitizers catch the rest.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "core/limits/limit_store.h"
#include "core/limits/limits.h"
#include "core/redis/redis_int.h"

#define FUZZ_REPLIES 8
#define FUZZ_PLAN_MAX 3
#define FUZZ_MAX_ELEMENTS 4096	/* fuzz_huge_array */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_store - the limits.lua reply for a plan of n checks */
static void fuzz_store(const redisReply *r, size_t n)
{
	struct limit_check checks[FUZZ_PLAN_MAX] = { { 0 } };
	struct limit_result res[FUZZ_PLAN_MAX];
	struct limit_plan plan = { checks, n, 1, 0 };
	const char *err = NULL;
	int committed = -1;
	enum limit_store_rc rc = limit_store_parse(r, &plan, res, &committed, &err);

	if (rc == LIMIT_STORE_NOSCRIPT && r->type != REDIS_REPLY_ERROR)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct limit_result *x = &res[i];

		if (rc != LIMIT_STORE_OK && (x->ok || x->blocked || x->reason != NULL))
			abort();
		if (x->ok > 1 || x->never_fits > 1 || x->blocked > 1 || x->degraded ||
		    (x->blocked && x->ok) || (x->blocked != (x->reason != NULL)))
			abort();
		limit_result_release(&res[i]);
	}
	if (rc == LIMIT_STORE_FAIL && (err == NULL || *err == '\0'))
		abort();
	if (rc == LIMIT_STORE_OK && committed != 0 && committed != 1)
		abort();
}

/* fuzz_reply - one reply through every reader */
static void fuzz_reply(const redisReply *r)
{
	struct redis_addr a = { NULL, 0, NULL };
	enum redis_status st = redis_reply_status(r);

	if ((st != REDIS_ST_OK) != (r->type == REDIS_REPLY_ERROR))
		abort();
	if (st == REDIS_ST_NOSCRIPT && !redis_reply_error_is(r, "NOSCRIPT"))
		abort();
	(void)redis_role_is_master(r);
	if (redis_sentinel_reply(r, &a) == 0 &&
	    (a.host == NULL || *a.host == '\0' || a.port < 1 || a.port > 65535 ||
	     strlen(a.host) != r->element[0]->len ||
	     strlen(r->element[1]->str) != r->element[1]->len))
		abort();
	redis_addr_release(&a);
	for (size_t n = 0; n <= FUZZ_PLAN_MAX; n++)
		fuzz_store(r, n);
}

/*
 * fuzz_huge_array - an array header ("*N" at a line's start) over
 * FUZZ_MAX_ELEMENTS: hiredis 0.14 allocates all N element pointers as it
 * reads the header (no maxelements before hiredis 1.0), so such input tests
 * the allocator, not these parsers
 */
static int fuzz_huge_array(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned long n = 0;

		if (data[i] != '*' || (i > 0 && data[i - 1] != '\n'))
			continue;
		for (size_t j = i + 1; j < size && data[j] >= '0' && data[j] <= '9'; j++)
			if ((n = n * 10 + (unsigned long)(data[j] - '0')) > FUZZ_MAX_ELEMENTS)
				return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd;
	void *reply = NULL;

	if (fuzz_huge_array(data, size))
		return 0;
	if ((rd = redisReaderCreate()) == NULL)
		abort();
	if (redisReaderFeed(rd, (const char *)data, size) == REDIS_OK) {
		for (int i = 0; i < FUZZ_REPLIES; i++) {
			if (redisReaderGetReply(rd, &reply) != REDIS_OK || reply == NULL)
				break;
			fuzz_reply(reply);
			freeReplyObject(reply);
			reply = NULL;
		}
	}
	redisReaderFree(rd);
	return 0;
}
