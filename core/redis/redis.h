/*
 * redis - relaywarden's Redis client: transport only, no limit semantics.
 *
 * Two clients share one settings struct:
 *  - struct redis_async, for policyd's libevent loop (hiredis + its libevent
 *    adapter): commands from many callers are pipelined over a small pool of
 *    connections (the up connection with the fewest replies outstanding,
 *    round-robin among equals).
 *  - struct redis_sync, blocking, for the CLI and the milter (one client per
 *    thread; a client is never shared between threads).
 *
 * Async contract:
 *  - redis_async_command returns a request id, never 0 (except while the
 *    client is being freed, see below). Its callback runs exactly once, from
 *    the event loop and never from inside the call that issued the command,
 *    unless redis_async_cancel(id) ran first: after cancel it never runs.
 *  - Every command has a deadline (settings.timeout_ms) kept by our own
 *    evtimer, because hiredis 0.14 has no async timeout. Replies are matched
 *    to requests by id in the client's pending table, never by a pointer: a
 *    reply arriving after the deadline fired or after cancel finds no entry
 *    and is dropped.
 *  - The reply given to the callback is borrowed from hiredis for the
 *    duration of the callback: copy what you keep. It is non-NULL for
 *    REDIS_ST_OK, REDIS_ST_ERROR and REDIS_ST_NOSCRIPT, NULL otherwise.
 *  - When no connection is up, commands fail fast: the callback runs on the
 *    next loop iteration with REDIS_ST_DISCONNECTED -- unless a connection
 *    is being made (connecting, or the pool's first connect not yet
 *    started): then the command waits for it within its own deadline (and
 *    fails with DISCONNECTED when that connect fails). So the first
 *    commands after start are not taken for a failure of the store, and
 *    nothing waits longer than its deadline.
 *  - A dropped connection fails its outstanding commands with
 *    REDIS_ST_DISCONNECTED and is re-established after backoff_min_ms,
 *    doubling up to backoff_max_ms while attempts fail. On every (re)connect
 *    AUTH (password set), SELECT (database > 0) and ROLE (must say "master")
 *    run before the connection takes commands; connect + handshake must end
 *    within connect_timeout_ms.
 *  - Servers mode (settings.servers): the first server is used; a failed
 *    connect or handshake (ROLE not master) or a READONLY reply moves on to
 *    the next one in the list; a connection that was up and dropped retries
 *    the same server first.
 *  - Sentinel mode (settings.sentinels non-empty): the master is asked of
 *    the sentinels in order (SENTINEL get-master-addr-by-name) and confirmed
 *    with ROLE. A READONLY error, a failed connect or handshake, or a lost
 *    connection marks the master for rediscovery; a READONLY error also
 *    drops every connection of the pool. Discovery uses the synchronous
 *    hiredis API: it blocks the loop for at most 2 x connect_timeout_ms per
 *    sentinel tried (connect, then the reply), and runs only when a
 *    connection is being re-established, i.e. at most once per backoff step.
 *  - Host names are resolved by hiredis with a blocking getaddrinfo(3):
 *    configure IP addresses (or a unix socket path beginning with '/').
 *  - Callbacks may issue commands and cancel requests; they must not free
 *    the client. redis_async_free runs every outstanding callback with
 *    REDIS_ST_DISCONNECTED before it returns; commands issued from those
 *    callbacks return 0 and their callbacks never run.
 *  - Not thread-safe: one client per event loop.
 *
 * Sync contract:
 *  - redis_sync_new only checks and copies the settings; the first command
 *    connects (same discovery and handshake as above, blocking, bounded by
 *    connect_timeout_ms per address). Every socket read and write is
 *    bounded by timeout_ms (redisSetTimeout); after a timeout the connection
 *    is closed by the next command (a late reply must never be taken for
 *    the next command's) -- unless redis_sync_late reads that reply first.
 *  - A connection found closed before sending is silently re-opened. A
 *    connection error during a command, or a READONLY reply, closes it and
 *    retries the command once on a fresh connection (rediscovering the
 *    master in Sentinel mode). Caveat: if the server executed the command
 *    and died before answering, the retry runs it a second time.
 *  - *reply_r receives the reply (caller frees it with freeReplyObject) for
 *    REDIS_ST_OK, REDIS_ST_ERROR and REDIS_ST_NOSCRIPT, NULL otherwise;
 *    redis_sync_error tells why a command failed.
 *
 * Scripts: EVALSHA first; on NOSCRIPT, SCRIPT LOAD then EVALSHA once more
 * (async: all under the one deadline of the request). A second NOSCRIPT is
 * reported as REDIS_ST_NOSCRIPT. argv holds the nkeys KEYS followed by the
 * ARGV values. A script must stay valid until its request's callback ran or
 * the request was cancelled (sync: until the call returns).
 *
 * Settings: owned strings; redis_settings_init sets the defaults,
 * redis_settings_check validates (-1 with a static message); the clients
 * copy them, so the caller may release its struct after _new.
 * Argument vectors are borrowed for the duration of the call; argvlen may be
 * NULL (then every argument is a C string), as in hiredis.
 */
#ifndef RW_REDIS_H
#define RW_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "core/util/buf.h"
#include "core/util/strvec.h"

struct event_base;

struct redis_settings {
	struct strvec servers;		/* "host:port", "[v6]:port", "/unix/path" */
	struct strvec sentinels;	/* "host:port"; non-empty = Sentinel mode */
	char *master_name;		/* Sentinel mode: the monitored master */
	char *password;			/* AUTH when set (never logged) */
	unsigned database;		/* SELECT when > 0 */
	unsigned timeout_ms;		/* per command deadline; sync: per I/O */
	unsigned connect_timeout_ms;	/* connect + handshake, per address */
	unsigned connections;		/* async pool size */
	unsigned backoff_min_ms;	/* first reconnect delay */
	unsigned backoff_max_ms;	/* reconnect delay cap */
};

#define REDIS_DEFAULT_PORT 6379
#define REDIS_DEFAULT_SENTINEL_PORT 26379

/* redis_settings_init - defaults: 100 ms, 500 ms, 2 connections, 50..2000 ms */
void redis_settings_init(struct redis_settings *s);
struct rw_config;
/*
 * redis_settings_from_config - the config's redis section as client
 * settings (core/redis/redis_config.c): "unix:/path" servers become "/path",
 * unset numbers keep redis_settings_init's defaults
 */
void redis_settings_from_config(struct redis_settings *s, const struct rw_config *cfg);
/* redis_settings_check - 0, or -1 with *error_r naming what is wrong */
int redis_settings_check(const struct redis_settings *s, const char **error_r);
void redis_settings_release(struct redis_settings *s);
/* redis_resp_array, redis_resp_bulk - a command in RESP: "*N", then N bulks */
void redis_resp_array(struct buf *b, size_t n);
void redis_resp_bulk(struct buf *b, const char *s, size_t n);
/*
 * redis_resp_evalsha - the head of "EVALSHA sha nkeys" followed by nargs
 * more bulks (the KEYS and ARGV the caller appends)
 */
void redis_resp_evalsha(struct buf *b, const char *sha, size_t nkeys, size_t nargs);
/*
 * redis_settings_same - a and b reach the same Redis the same way: servers,
 * sentinels, master name, password, database and deadlines (not the pool
 * size or the backoff: a front-end that sizes a pool compares connections
 * itself)
 */
int redis_settings_same(const struct redis_settings *a, const struct redis_settings *b);

enum redis_status {
	REDIS_ST_OK = 0,	/* a reply that is not an error (may be nil) */
	REDIS_ST_ERROR,		/* an error reply: reply->str */
	REDIS_ST_NOSCRIPT,	/* NOSCRIPT, even after SCRIPT LOAD */
	REDIS_ST_TIMEOUT,	/* no reply before the deadline */
	REDIS_ST_DISCONNECTED,	/* no connection up, or it dropped */
};

/* redis_status_name - "ok", "error", "noscript", "timeout", "disconnected" */
const char *redis_status_name(enum redis_status st);

struct redis_script {
	char *text;
	size_t len;
	char sha1[41];		/* lower-case hex, computed from text */
};

/* redis_script_init - copy text and compute its SHA1 */
void redis_script_init(struct redis_script *s, const char *text, size_t len);
void redis_script_release(struct redis_script *s);

/* Async client. */
struct redis_async;

typedef void redis_cb(enum redis_status st, const redisReply *reply, void *arg);

/* redis_async_new - start connecting; NULL with *err only for bad settings */
struct redis_async *redis_async_new(struct event_base *base,
				    const struct redis_settings *s,
				    struct buf *err);
/* redis_async_command - queue one command; the request id */
uint64_t redis_async_command(struct redis_async *c, int argc,
			     const char **argv, const size_t *argvlen,
			     redis_cb *cb, void *arg);
/* redis_async_evalsha - EVALSHA with NOSCRIPT reload; the request id */
uint64_t redis_async_evalsha(struct redis_async *c,
			     const struct redis_script *s, int nkeys,
			     int argc, const char **argv, const size_t *argvlen,
			     redis_cb *cb, void *arg);
/*
 * redis_async_evalsha_resp - the same for an EVALSHA of s already in RESP
 * (built with redis_resp_array/redis_resp_bulk): cmd is taken over (freed
 * with free) whatever happens
 */
uint64_t redis_async_evalsha_resp(struct redis_async *c, const struct redis_script *s,
				  char *cmd, size_t len, redis_cb *cb, void *arg);
/* redis_async_cancel - the callback will not run; 0, or -1 if already done */
int redis_async_cancel(struct redis_async *c, uint64_t id);
/*
 * redis_async_keep_late - a command whose effect matters even after its
 * caller gave up (a charge that commits just before a stall delays its
 * reply): when request id times out or is cancelled after it was sent,
 * the client keeps waiting for its reply, and late(st, reply, cmd, cmdlen,
 * arg) runs once with it (REDIS_ST_OK / ERROR / NOSCRIPT), or with
 * REDIS_ST_DISCONNECTED when the connection or the client goes first. cmd
 * is the command as sent, borrowed for the call. A request never sent, or
 * answered in time, never calls late. -1 when id is not pending.
 */
typedef void redis_late_cb(enum redis_status st, const redisReply *reply, const char *cmd,
			   size_t cmdlen, void *arg);
int redis_async_keep_late(struct redis_async *c, uint64_t id, redis_late_cb *late, void *arg);
/* redis_async_connected - how many pool connections take commands now */
unsigned redis_async_connected(const struct redis_async *c);
/* redis_async_pending - requests whose callback has not run yet (late ones not counted) */
size_t redis_async_pending(const struct redis_async *c);
void redis_async_free(struct redis_async **cp);

/* Sync client. */
struct redis_sync;

/* redis_sync_new - NULL with *err only for bad settings; does not connect */
struct redis_sync *redis_sync_new(const struct redis_settings *s,
				  struct buf *err);
/* redis_sync_command - run one command (see the contract above) */
enum redis_status redis_sync_command(struct redis_sync *c, int argc,
				     const char **argv, const size_t *argvlen,
				     redisReply **reply_r);
/* redis_sync_evalsha - EVALSHA with NOSCRIPT reload */
enum redis_status redis_sync_evalsha(struct redis_sync *c,
				     const struct redis_script *s, int nkeys,
				     int argc, const char **argv,
				     const size_t *argvlen, redisReply **reply_r);
/* redis_sync_evalsha_resp - the same for an EVALSHA of s already in RESP (cmd borrowed) */
enum redis_status redis_sync_evalsha_resp(struct redis_sync *c, const struct redis_script *s,
					  const char *cmd, size_t len, redisReply **reply_r);
/*
 * redis_sync_late - the last command timed out: wait up to wait_ms more
 * for its reply (a command whose effect must be known although its caller
 * gave up). OK / ERROR / NOSCRIPT with *reply_r (the connection is clean
 * again), or TIMEOUT / DISCONNECTED when none came (it is closed).
 */
enum redis_status redis_sync_late(struct redis_sync *c, unsigned wait_ms, redisReply **reply_r);
/* redis_sync_error - why the last command failed ("" if it did not) */
const char *redis_sync_error(const struct redis_sync *c);
void redis_sync_free(struct redis_sync **cp);

#endif
