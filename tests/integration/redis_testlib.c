/* redis_testlib - Redis processes and client helpers for tests; see .h */
#include "autoconfig.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "core/redis/redis.h"

#include "tests/integration/redis_testlib.h"

/* rsrv_now_ms - monotonic milliseconds */
long long rsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rsrv_on_path - name is an executable in PATH */
static int rsrv_on_path(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* rsrv_available - both binaries present */
int rsrv_available(void)
{
	return rsrv_on_path("redis-server") && rsrv_on_path("redis-sentinel");
}

/* rsrv_free_port - bind port 0 on loopback, read it back, close */
int rsrv_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* rsrv_spawn - fork/exec argv with output to dir/log */
static pid_t rsrv_spawn(const char *dir, char *const argv[])
{
	char log[128];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/log", dir);
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* rsrv_prepare - port and temp dir */
static int rsrv_prepare(struct rsrv *s)
{
	if (s->port <= 0)
		s->port = rsrv_free_port();
	if (!s->dir[0]) {
		snprintf(s->dir, sizeof(s->dir), "/tmp/rw-redis-XXXXXX");
		if (!mkdtemp(s->dir)) {
			s->dir[0] = '\0';
			return -1;
		}
	}
	return s->port > 0 ? 0 : -1;
}

/* rsrv_redis_start - see header */
int rsrv_redis_start(struct rsrv *s, int master_port)
{
	char port[16], replicaof[32];
	char *argv[20];
	int n = 0;

	if (rsrv_prepare(s) < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(replicaof, sizeof(replicaof), "127.0.0.1 %d", master_port);
	argv[n++] = "redis-server";
	argv[n++] = "--port", argv[n++] = port;
	argv[n++] = "--bind", argv[n++] = "127.0.0.1";
	argv[n++] = "--save", argv[n++] = "";
	argv[n++] = "--appendonly", argv[n++] = "no";
	argv[n++] = "--dir", argv[n++] = s->dir;
	argv[n++] = "--enable-debug-command", argv[n++] = "yes";
	if (master_port > 0)
		argv[n++] = "--replicaof", argv[n++] = replicaof;
	argv[n] = NULL;
	s->pid = rsrv_spawn(s->dir, argv);
	if (s->pid < 0)
		return s->pid = 0, -1;
	return rsrv_wait_ping(s->port, 10000);
}

/* rsrv_sentinel_start - write the config, start, wait for PING */
int rsrv_sentinel_start(struct rsrv *s, int master_port)
{
	char conf[128];
	char *argv[3] = { "redis-sentinel", conf, NULL };
	FILE *f;

	if (rsrv_prepare(s) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", s->dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
		"sentinel monitor mymaster 127.0.0.1 %d 1\n"
		"sentinel down-after-milliseconds mymaster 500\n"
		"sentinel failover-timeout mymaster 2000\n",
		s->port, s->dir, master_port);
	fclose(f);
	s->pid = rsrv_spawn(s->dir, argv);
	if (s->pid < 0)
		return s->pid = 0, -1;
	return rsrv_wait_ping(s->port, 10000);
}

/* rsrv_kill - SIGKILL and reap */
void rsrv_kill(struct rsrv *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* rsrv_destroy - kill, empty and remove the dir */
void rsrv_destroy(struct rsrv *s)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	rsrv_kill(s);
	if (!s->dir[0])
		return;
	d = opendir(s->dir);
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(s->dir);
	s->dir[0] = '\0';
}

/* rsrv_ping - one PING; 0 if PONG */
static int rsrv_ping(int port)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r = NULL;
	int ok = 0;

	if (c && !c->err) {
		redisSetTimeout(c, tv);
		r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
	}
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return ok ? 0 : -1;
}

/* rsrv_wait_ping - bounded wait for PONG */
int rsrv_wait_ping(int port, unsigned max_ms)
{
	long long end = rsrv_now_ms() + max_ms;

	while (rsrv_ping(port) < 0) {
		if (rsrv_now_ms() > end)
			return -1;
		usleep(20000);
	}
	return 0;
}

struct event_base *test_base;

/* res_cb - record what the callback got (copying the borrowed reply) */
void res_cb(enum redis_status st, const redisReply *r, void *arg)
{
	struct res *res = arg;

	res->calls++;
	res->st = st;
	res->type = r ? r->type : 0;
	res->integer = r ? r->integer : 0;
	res->str[0] = '\0';
	if (r && r->str)
		snprintf(res->str, sizeof(res->str), "%s", r->str);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->str)	/* CONFIG GET port */
		snprintf(res->str, sizeof(res->str), "%s", r->element[1]->str);
}

/* pump - run the loop for about ms */
void pump(unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(test_base, &tv);
	event_base_dispatch(test_base);
}

/* wait_calls - pump until *calls >= n, at most max_ms; 0 if reached */
int wait_calls(const int *calls, int n, unsigned max_ms)
{
	long long end = rsrv_now_ms() + max_ms;

	while (*calls < n && rsrv_now_ms() < end)
		pump(5);
	return *calls >= n ? 0 : -1;
}

/* wait_connected - pump until n pool connections are up */
int wait_connected(struct redis_async *c, unsigned n, unsigned max_ms)
{
	long long end = rsrv_now_ms() + max_ms;

	while (redis_async_connected(c) < n && rsrv_now_ms() < end)
		pump(10);
	return redis_async_connected(c) >= n ? 0 : -1;
}

/* settings_port - one server on loopback */
void settings_port(struct redis_settings *s, int port, unsigned conns,
			  unsigned timeout_ms)
{
	redis_settings_init(s);
	strvec_addf(&s->servers, "127.0.0.1:%d", port);
	s->connections = conns;
	s->timeout_ms = timeout_ms;
}

/* new_async - an async client, connected */
struct redis_async *new_async(int port, unsigned conns, unsigned tmo)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;
	struct redis_async *c;

	settings_port(&s, port, conns, tmo);
	c = redis_async_new(test_base, &s, &err);
	redis_settings_release(&s);
	assert_non_null(c);
	assert_int_equal(wait_connected(c, conns, 10000), 0);
	return c;
}

/* new_sync - a sync client */
struct redis_sync *new_sync(int port, unsigned tmo)
{
	struct redis_settings s;
	struct buf err = BUF_INIT;
	struct redis_sync *c;

	settings_port(&s, port, 1, tmo);
	c = redis_sync_new(&s, &err);
	redis_settings_release(&s);
	assert_non_null(c);
	return c;
}

/* acmd - one async command, waited for */
void acmd(struct redis_async *c, struct res *res, int argc,
		 const char **argv)
{
	memset(res, 0, sizeof(*res));
	assert_true(redis_async_command(c, argc, argv, NULL, res_cb, res) != 0);
	assert_int_equal(res->calls, 0);	/* never from inside the call */
	assert_int_equal(wait_calls(&res->calls, 1, 10000), 0);
}

/* scmd - one sync command; the reply's string (or "") into out */
enum redis_status scmd(struct redis_sync *c, int argc, const char **argv,
			      char *out, size_t outlen)
{
	redisReply *r = NULL;
	enum redis_status st = redis_sync_command(c, argc, argv, NULL, &r);

	if (out)
		snprintf(out, outlen, "%s", r && r->str ? r->str : "");
	if (r)
		freeReplyObject(r);
	return st;
}

