/* redis - settings, addresses, scripts and Sentinel discovery; see redis.h */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/redis/redis.h"
#include "core/redis/redis_int.h"

#define REDIS_MAX_CONNECTIONS 64

/* redis_settings_init - the defaults */
void redis_settings_init(struct redis_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->timeout_ms = 100;
	s->connect_timeout_ms = 500;
	s->connections = 2;
	s->backoff_min_ms = 50;
	s->backoff_max_ms = 2000;
}

/* redis_settings_release - free the owned strings */
void redis_settings_release(struct redis_settings *s)
{
	strvec_release(&s->servers);
	strvec_release(&s->sentinels);
	rw_free_ptr(&s->master_name);
	rw_free_ptr(&s->password);
}

/* redis_same_str - equal optional strings */
static int redis_same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* redis_settings_same - see redis.h */
int redis_settings_same(const struct redis_settings *a, const struct redis_settings *b)
{
	return strvec_equal(&a->servers, &b->servers) &&
	       strvec_equal(&a->sentinels, &b->sentinels) &&
	       redis_same_str(a->master_name, b->master_name) &&
	       redis_same_str(a->password, b->password) && a->database == b->database &&
	       a->timeout_ms == b->timeout_ms && a->connect_timeout_ms == b->connect_timeout_ms;
}

/* redis_strvec_copy - append every element of src to dst */
static void redis_strvec_copy(struct strvec *dst, const struct strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		strvec_add(dst, src->v[i]);
}

/* redis_settings_copy - deep copy */
void redis_settings_copy(struct redis_settings *dst,
			 const struct redis_settings *src)
{
	*dst = *src;
	memset(&dst->servers, 0, sizeof(dst->servers));
	memset(&dst->sentinels, 0, sizeof(dst->sentinels));
	redis_strvec_copy(&dst->servers, &src->servers);
	redis_strvec_copy(&dst->sentinels, &src->sentinels);
	dst->master_name = src->master_name ? rw_strdup(src->master_name) : NULL;
	dst->password = src->password ? rw_strdup(src->password) : NULL;
}

/* redis_check_list - every element parses as an address */
static int redis_check_list(const struct strvec *v, int port,
			    const char **error_r)
{
	struct redis_addr a;

	for (size_t i = 0; i < v->n; i++) {
		if (redis_addr_parse(v->v[i], port, &a, error_r) < 0)
			return -1;
		redis_addr_release(&a);
	}
	return 0;
}

/* redis_settings_check - cross-field checks */
int redis_settings_check(const struct redis_settings *s, const char **error_r)
{
	if (s->servers.n == 0 && s->sentinels.n == 0)
		return *error_r = "redis: no servers and no sentinels", -1;
	if (s->servers.n > 0 && s->sentinels.n > 0)
		return *error_r = "redis: servers and sentinels are exclusive", -1;
	if (s->sentinels.n > 0 && (!s->master_name || !*s->master_name))
		return *error_r = "redis: sentinels need a master_name", -1;
	if (s->timeout_ms == 0 || s->connect_timeout_ms == 0)
		return *error_r = "redis: timeouts must be at least 1 ms", -1;
	if (s->connections == 0 || s->connections > REDIS_MAX_CONNECTIONS)
		return *error_r = "redis: connections must be 1..64", -1;
	if (s->backoff_min_ms == 0 || s->backoff_max_ms < s->backoff_min_ms)
		return *error_r = "redis: backoff must be 1 <= min <= max ms", -1;
	if (s->database > INT_MAX)
		return *error_r = "redis: database out of range", -1;
	if (redis_check_list(&s->servers, REDIS_DEFAULT_PORT, error_r) < 0)
		return -1;
	return redis_check_list(&s->sentinels, REDIS_DEFAULT_SENTINEL_PORT,
				error_r);
}

/* redis_parse_port - decimal 1..65535; -1 if not */
static int redis_parse_port(const char *p)
{
	char *end;
	long v;

	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* redis_addr_parse - one address from the settings */
int redis_addr_parse(const char *s, int default_port, struct redis_addr *a,
		     const char **error_r)
{
	const char *colon = strrchr(s, ':'), *host = s, *hend;

	memset(a, 0, sizeof(*a));
	if (*s == '/') {
		a->path = rw_strdup(s);
		return 0;
	}
	a->port = default_port;
	if (*s == '[') {
		host = s + 1;
		hend = strchr(host, ']');
		if (!hend || (hend[1] && hend[1] != ':'))
			return *error_r = "redis: bad [address]:port", -1;
		colon = hend[1] ? hend + 1 : NULL;
	} else if (colon && strchr(s, ':') != colon) {
		hend = s + strlen(s);	/* bare IPv6 address, no port */
		colon = NULL;
	} else {
		hend = colon ? colon : s + strlen(s);
	}
	if (hend == host)
		return *error_r = "redis: empty host in address", -1;
	if (colon && (a->port = redis_parse_port(colon + 1)) < 0)
		return *error_r = "redis: bad port in address", -1;
	a->host = rw_strndup(host, (size_t)(hend - host));
	return 0;
}

/* redis_addr_copy - deep copy */
void redis_addr_copy(struct redis_addr *dst, const struct redis_addr *src)
{
	redis_addr_release(dst);
	dst->host = src->host ? rw_strdup(src->host) : NULL;
	dst->path = src->path ? rw_strdup(src->path) : NULL;
	dst->port = src->port;
}

/* redis_addr_format - for log lines */
void redis_addr_format(const struct redis_addr *a, struct buf *out)
{
	if (a->path)
		buf_puts(out, a->path);
	else if (a->host == NULL)
		buf_puts(out, "(no address)");	/* released, or not parsed */
	else if (strchr(a->host, ':'))
		buf_printf(out, "[%s]:%d", a->host, a->port);
	else
		buf_printf(out, "%s:%d", a->host, a->port);
}

/* redis_addr_release - free and zero */
void redis_addr_release(struct redis_addr *a)
{
	rw_free_ptr(&a->host);
	rw_free_ptr(&a->path);
	a->port = 0;
}

/* redis_status_name - for log lines and audit */
const char *redis_status_name(enum redis_status st)
{
	static const char *const names[] = {
		"ok", "error", "noscript", "timeout", "disconnected"
	};

	if ((unsigned)st >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[st];
}

/* redis_script_init - copy text, compute the SHA1 EVALSHA wants */
void redis_script_init(struct redis_script *s, const char *text, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	s->text = rw_strndup(text, len);
	s->len = len;
	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		abort();	/* SHA1 is always there in OpenSSL 3 */
	for (unsigned i = 0; i < mdlen; i++) {
		s->sha1[2 * i] = "0123456789abcdef"[md[i] >> 4];
		s->sha1[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	s->sha1[40] = '\0';
}

/* redis_script_release - free the text */
void redis_script_release(struct redis_script *s)
{
	rw_free_ptr(&s->text);
	s->len = 0;
	s->sha1[0] = '\0';
}

/* redis_ms_tv - milliseconds as a timeval */
struct timeval redis_ms_tv(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* redis_reply_error_is - error reply starting with the word code */
int redis_reply_error_is(const redisReply *r, const char *code)
{
	size_t n = strlen(code);

	return r && r->type == REDIS_REPLY_ERROR && r->str &&
	       (size_t)r->len >= n && memcmp(r->str, code, n) == 0 &&
	       ((size_t)r->len == n || r->str[n] == ' ');
}

/* redis_reply_status - classify a reply */
enum redis_status redis_reply_status(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ERROR)
		return REDIS_ST_OK;
	return redis_reply_error_is(r, "NOSCRIPT") ? REDIS_ST_NOSCRIPT
						   : REDIS_ST_ERROR;
}

/* redis_role_is_master - ROLE reply: ["master", offset, replicas] */
int redis_role_is_master(const redisReply *r)
{
	const redisReply *e;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return 0;
	e = r->element[0];
	return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) &&
	       e->len == BUF_LIT_LEN("master") && memcmp(e->str, BUF_LIT("master")) == 0;
}

/* redis_resp_len - "<c><n>\r\n" (a RESP array or bulk header) */
static void redis_resp_len(struct buf *b, char c, size_t n)
{
	buf_putc(b, c);
	buf_put_u64(b, n);
	buf_append(b, BUF_LIT("\r\n"));
}

/* redis_resp_array - see redis.h */
void redis_resp_array(struct buf *b, size_t n)
{
	redis_resp_len(b, '*', n);
}

/* redis_resp_bulk - see redis.h */
void redis_resp_bulk(struct buf *b, const char *s, size_t n)
{
	redis_resp_len(b, '$', n);
	buf_append(b, s, n);
	buf_append(b, BUF_LIT("\r\n"));
}

/* redis_resp_evalsha - see redis.h */
void redis_resp_evalsha(struct buf *b, const char *sha, size_t nkeys, size_t nargs)
{
	char d[BUF_U64_SIZE];
	const char *n = buf_u64_text(nkeys, d);

	redis_resp_array(b, 3 + nargs);
	redis_resp_bulk(b, "EVALSHA", 7);
	redis_resp_bulk(b, sha, strlen(sha));
	redis_resp_bulk(b, n, strlen(n));
}

/*
 * redis_format_evalsha - EVALSHA sha nkeys argv... as RESP, in storage
 * redisFreeCommand frees (what redisFormatCommandArgv makes, without a
 * printf per argument)
 */
long redis_format_evalsha(const struct redis_script *s, int nkeys, int argc,
			  const char **argv, const size_t *argvlen,
			  char **cmd_r)
{
	struct buf b = BUF_INIT;
	size_t len;

	if (nkeys < 0 || argc < 0)
		return -1;
	redis_resp_evalsha(&b, s->sha1, (size_t)nkeys, (size_t)argc);
	for (int i = 0; i < argc; i++)
		redis_resp_bulk(&b, argv[i], argvlen ? argvlen[i] : strlen(argv[i]));
	len = b.len;
	*cmd_r = buf_detach(&b);
	return (long)len;
}

/* redis_sync_connect_addr - blocking connect bounded by connect_ms */
redisContext *redis_sync_connect_addr(const struct redis_addr *a,
				      unsigned connect_ms, unsigned io_ms,
				      struct buf *err)
{
	struct timeval tv = redis_ms_tv(connect_ms);
	redisContext *ctx;

	if (a->path)
		ctx = redisConnectUnixWithTimeout(a->path, tv);
	else
		ctx = redisConnectWithTimeout(a->host, a->port, tv);
	if (ctx && !ctx->err && redisSetTimeout(ctx, redis_ms_tv(io_ms)) == REDIS_OK)
		return ctx;
	buf_truncate(err, 0);
	buf_puts(err, "connect ");
	redis_addr_format(a, err);
	buf_printf(err, ": %s", ctx ? ctx->errstr : "out of memory");
	if (ctx)
		redisFree(ctx);
	return NULL;
}

/* redis_reply_text - a non-empty bulk string holding no NUL byte (a C string as it is) */
static int redis_reply_text(const redisReply *e)
{
	return e->type == REDIS_REPLY_STRING && e->len > 0 && memchr(e->str, '\0', e->len) == NULL;
}

/* redis_sentinel_reply - see redis_int.h */
int redis_sentinel_reply(const redisReply *r, struct redis_addr *out)
{
	int port;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    !redis_reply_text(r->element[0]) || !redis_reply_text(r->element[1]) ||
	    (port = redis_parse_port(r->element[1]->str)) < 0)
		return -1;
	redis_addr_release(out);
	out->host = rw_strndup(r->element[0]->str, (size_t)r->element[0]->len);
	out->port = port;
	return 0;
}

/* redis_ask_sentinel - one sentinel; 0 or -1 with *err */
static int redis_ask_sentinel(const struct redis_settings *s, const char *addr,
			      struct redis_addr *out, struct buf *err)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", s->master_name };
	struct redis_addr a;
	const char *e;
	redisContext *ctx;
	redisReply *r;
	int rc;

	if (redis_addr_parse(addr, REDIS_DEFAULT_SENTINEL_PORT, &a, &e) < 0)
		return buf_printf(err, "%s", e), -1;
	ctx = redis_sync_connect_addr(&a, s->connect_timeout_ms,
				      s->connect_timeout_ms, err);
	redis_addr_release(&a);
	if (!ctx)
		return -1;
	r = redisCommandArgv(ctx, 3, argv, NULL);
	rc = redis_sentinel_reply(r, out);
	if (rc < 0) {
		buf_truncate(err, 0);
		buf_printf(err, "sentinel %s: %s", addr,
			   !r ? ctx->errstr : r->type == REDIS_REPLY_ERROR ? r->str
			   : "no such master");
	}
	if (r)
		freeReplyObject(r);
	redisFree(ctx);
	return rc;
}

/* redis_discover - the first sentinel that names the master wins */
int redis_discover(const struct redis_settings *s, struct redis_addr *out,
		   struct buf *err)
{
	for (size_t i = 0; i < s->sentinels.n; i++)
		if (redis_ask_sentinel(s, s->sentinels.v[i], out, err) == 0)
			return 0;
	return -1;
}
