/*
 * redis_int - what redis.c shares with redis_async.c and redis_sync.c.
 * Not for use outside the redis module.
 */
#ifndef RW_REDIS_INT_H
#define RW_REDIS_INT_H

#include <stdint.h>
#include <sys/time.h>

#include <hiredis/async.h>

#include "core/redis/redis.h"

/* One address: TCP host + port, or a unix socket path (host NULL). */
struct redis_addr {
	char *host;
	int port;
	char *path;
};

/* redis_addr_parse - "host:port", "[v6]:port", "host", "/path"; 0 or -1 */
int redis_addr_parse(const char *s, int default_port, struct redis_addr *a,
		     const char **error_r);
/* redis_addr_copy - deep copy of src into dst (dst released first) */
void redis_addr_copy(struct redis_addr *dst, const struct redis_addr *src);
/* redis_addr_format - "host:port" or the path, for log lines */
void redis_addr_format(const struct redis_addr *a, struct buf *out);
void redis_addr_release(struct redis_addr *a);

/* redis_settings_copy - deep copy (dst must be uninitialised or released) */
void redis_settings_copy(struct redis_settings *dst,
			 const struct redis_settings *src);
/* redis_ms_tv - milliseconds as a struct timeval */
struct timeval redis_ms_tv(unsigned ms);
/* redis_reply_status - OK, ERROR or NOSCRIPT for a reply */
enum redis_status redis_reply_status(const redisReply *r);
/* redis_reply_error_is - error reply whose text starts with the word code */
int redis_reply_error_is(const redisReply *r, const char *code);
/* redis_role_is_master - a ROLE reply saying "master" */
int redis_role_is_master(const redisReply *r);
/* redis_sentinel_reply - [host, port] of SENTINEL get-master-addr-by-name
 * into *out (released first); 0, or -1 (out untouched) when it is not two
 * non-empty strings without NUL bytes, the second a port 1-65535 */
int redis_sentinel_reply(const redisReply *r, struct redis_addr *out);
/*
 * redis_evloop_attach - drive ac from base (core/redis/redis_evloop.c): reads on
 * readiness, commands written once per loop turn; -1 if ac has a loop
 */
int redis_evloop_attach(redisAsyncContext *ac, struct event_base *base);

/* redis_format_evalsha - the formatted EVALSHA command; its length or -1 */
long redis_format_evalsha(const struct redis_script *s, int nkeys, int argc,
			  const char **argv, const size_t *argvlen,
			  char **cmd_r);
/* redis_sync_connect_addr - blocking connect; I/O bounded by io_ms */
redisContext *redis_sync_connect_addr(const struct redis_addr *a,
				      unsigned connect_ms, unsigned io_ms,
				      struct buf *err);
/* redis_discover - ask the sentinels in order for the master; 0 or -1 */
int redis_discover(const struct redis_settings *s, struct redis_addr *out,
		   struct buf *err);

enum req_phase { REQ_PLAIN, REQ_EVAL, REQ_LOAD, REQ_RETRY };
enum conn_state { CONN_DOWN, CONN_WAIT, CONN_CONNECTING, CONN_UP };

/* The async client (redis_async.c, redis_conn.c). */
struct redis_req {
	uint64_t id;
	struct redis_req *hnext;	/* pending table chain */
	struct redis_async *client;
	redis_cb *cb;
	void *arg;
	struct event *timer;		/* the deadline */
	uint64_t started_us;		/* now_mono_us at redis_req_new */
	enum redis_status early;	/* failed before sending: deliver this */
	enum req_phase phase;
	const struct redis_script *script;	/* evalsha: borrowed */
	char *cmd;			/* formatted: evalsha's retry, a waiting request's send */
	size_t cmdlen;
	struct redis_req *wnext, **wprev;	/* waiting for a connection; wprev NULL: not */
	redis_late_cb *late;		/* redis_async_keep_late: the reply after all */
	void *late_arg;
	int is_late;			/* cb ran (timeout) or was cancelled: late only */
};

struct redis_conn {
	struct redis_async *client;
	redisAsyncContext *ac;		/* NULL unless CONNECTING or UP */
	enum conn_state state;
	unsigned pending;		/* request replies outstanding */
	unsigned handshake;		/* handshake replies outstanding */
	unsigned backoff_ms;
	unsigned gen;			/* the target generation it connected to */
	int established;		/* handshake done since the last failure */
	int up_before;			/* was up once: the next up is a reconnect */
	int attempted;			/* a connect was started (the first wait is over) */
	struct event *timer;		/* backoff wait, then connect deadline */
};

struct redis_async {
	struct event_base *base;
	struct redis_settings set;
	struct redis_conn *conns;
	unsigned nconns;
	unsigned rr;			/* round-robin start among equals */
	struct redis_req **table;	/* pending requests by id */
	size_t tsize, count;		/* count: in the table, late ones too */
	size_t late;			/* requests only late callbacks wait for */
	uint64_t next_id;
	struct redis_addr target;	/* where connections go */
	int have_target;
	unsigned target_gen;		/* bumped whenever target changes */
	int rediscover;			/* Sentinel: ask again before connecting */
	long long discover_failed_ms;	/* monotonic time of the last failure */
	size_t server_idx;
	struct redis_req *waiting;	/* commands issued while a connection was being made */
	int freeing;
};

/* redis_req_finish - free the request, then run its callback (once) */
void redis_req_finish(struct redis_req *r, enum redis_status st,
		      const redisReply *reply);
/* redis_async_conn_changed - a connection came up or failed: the waiting commands go or fail */
void redis_async_conn_changed(struct redis_async *c);
/* redis_conn_start - set up a pool connection; it connects from the loop */
void redis_conn_start(struct redis_conn *conn, struct redis_async *c);
/* redis_conn_close - drop it for good, failing its requests */
void redis_conn_close(struct redis_conn *conn);
/* redis_conn_readonly - the master answered READONLY: drop all, rediscover */
void redis_conn_readonly(struct redis_async *c);

#endif
