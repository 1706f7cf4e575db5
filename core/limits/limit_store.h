/*
 * limit_store - run a limit plan against Redis: schema/limits.lua, its
 * KEYS/ARGV marshalling and the strict parsing of its reply.
 *
 * The script is embedded at build time (core/limits/limits_lua.c is generated from
 * schema/limits.lua by core/limits.am), so the daemons have no runtime file
 * dependency and the SHA1 the client sends always matches the text it
 * loads. Protocol (KEYS, ARGV, reply): the comment at the top of
 * schema/limits.lua and schema/redis-keys.md.
 *
 * Use: limit_store_marshal + limit_store_command -> redisCommandArgv /
 * redisAsyncCommandArgv (argvlen NULL: no argument contains a NUL), or
 * limit_store_resp -> the same command already in RESP (policyd's and
 * limit_sync's path);
 * limit_store_parse on the reply. On LIMIT_STORE_NOSCRIPT the client sends
 * SCRIPT LOAD limit_store_lua (or EVAL) and retries once.
 *
 * Ownership: strvecs are the caller's (strvec_release); parse fills
 * results[0..plan->n) and gives each an owned reason (limit_result_release);
 * on failure results are zeroed and own nothing. I/O adapter: hiredis reply
 * types and OpenSSL. Thread-safe (no state).
 */
#ifndef RW_LIMIT_STORE_H
#define RW_LIMIT_STORE_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "core/util/buf.h"
#include "core/limits/limit_client.h"
#include "core/limits/limits.h"
#include "core/util/strvec.h"

#define LIMIT_STORE_PROTO "2"
#define LIMIT_STORE_KEYS_PER_CHECK 5
#define LIMIT_STORE_ARGS_PER_CHECK 6
#define LIMIT_STORE_ARGS_HEAD 4
#define LIMIT_STORE_REPLY_PER_CHECK 6
#define LIMIT_STORE_REPLY_HEAD 2
#define LIMIT_STORE_SHA_HEX 40
/* quota hashes live this long after their window ends (clock skew, `quota show`) */
#define LIMIT_STORE_QUOTA_MARGIN_S 3600

enum limit_store_rc {
	LIMIT_STORE_FAIL = -1,		/* error reply or malformed reply: fail mode */
	LIMIT_STORE_OK = 0,
	LIMIT_STORE_NOSCRIPT = 1,	/* script not cached: load it, retry */
};

/* the script text (NUL-terminated) and its length; generated at build time */
extern const char limit_store_lua[];
extern const size_t limit_store_lua_len;

/* limit_store_script_sha - the script's SHA1, 40 lower-case hex + NUL */
void limit_store_script_sha(char sha[LIMIT_STORE_SHA_HEX + 1]);

/*
 * limit_store_marshal - append the KEYS and ARGV of plan (mode "charge" when
 * plan->charge, else "peek"). A quota check's cap 0 means not capped (as in
 * the config). -1 when a check is malformed (no limit, unknown kind or unit).
 */
int limit_store_marshal(const struct limit_plan *plan, struct strvec *keys,
			struct strvec *args, const char **error_r);

/*
 * limit_store_resp - append to out the whole "EVALSHA sha numkeys KEYS...
 * ARGV..." of plan as a RESP command (what limit_store_marshal +
 * limit_store_command + redisFormatCommandArgv give, without the copies);
 * -1 as limit_store_marshal
 */
int limit_store_resp(const struct limit_plan *plan, const char *sha, struct buf *out,
		     const char **error_r);

/*
 * limit_store_command - "EVALSHA sha numkeys KEYS... ARGV..." into cmd; with
 * sha NULL only "KEYS... ARGV..." (the argv of redis_*_evalsha, nkeys =
 * keys->n)
 */
void limit_store_command(const char *sha, const struct strvec *keys,
			 const struct strvec *args, struct strvec *cmd);

/*
 * limit_store_parse - results[i] answers plan->v[i]; *committed (may be
 * NULL) says whether the call charged. Strict: any shape or type mismatch,
 * a protocol version other than ours, an error reply -> LIMIT_STORE_FAIL with
 * a static message; NOSCRIPT -> LIMIT_STORE_NOSCRIPT. degraded is left 0.
 */
enum limit_store_rc limit_store_parse(const redisReply *reply, const struct limit_plan *plan,
				      struct limit_result *results, int *committed,
				      const char **error_r);

/*
 * limit_store_refund - the reply of a charge came after its client gave up
 * (the message was deferred): when it says the charge committed, the
 * "refund" call that gives back what it charged -- cmd (len bytes) is the
 * charge's EVALSHA in RESP as sent (limit_store_resp), the refund goes to
 * out. 1 when out holds a refund, 0 when nothing was charged, -1 when cmd
 * or the reply is not a charge's.
 */
int limit_store_refund(const redisReply *reply, const char *cmd, size_t len, struct buf *out);

/* limit_store_time - Redis's TIME reply in µs; 0, or -1 for any other reply */
int limit_store_time(const redisReply *reply, uint64_t *us);

/* limit_store_log_note - a limit_note_fn writing to the log (core/util/log.c) */
void limit_store_log_note(void *arg, enum limit_note_level level, const char *line);

#endif
