/* nodelay - TCP_NODELAY and TCP_QUICKACK on the milter's sockets; see nodelay.h */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/util/mem.h"
#include "core/util/now.h"
#include "milter/nodelay.h"

#define NODELAY_PORTS 4			/* listening sockets remembered */
#define NODELAY_QUEUE 256		/* pending acks; more are dropped (only slower) */

static unsigned short nd_ports[NODELAY_PORTS];	/* network order; set before threads */
static size_t nd_nports;
static pthread_mutex_t nd_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long *nd_claimed;		/* inodes of claimed sockets */
static size_t nd_nclaimed, nd_capclaimed;

static struct nd_ack {
	int fd;
	struct timespec when;		/* CLOCK_MONOTONIC */
} nd_queue[NODELAY_QUEUE];
static size_t nd_head, nd_len;
static pthread_mutex_t nd_qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nd_qcond = PTHREAD_COND_INITIALIZER;
static pthread_once_t nd_once = PTHREAD_ONCE_INIT;
static int nd_helper;			/* the helper runs */

/* nodelay_int_opt - getsockopt of an int option; -1 on failure */
static int nodelay_int_opt(int fd, int level, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, opt, &v, &len) < 0 ? -1 : v;
}

/* nodelay_tcp_port - the local port of TCP socket fd (network order), 0 when not one */
static unsigned short nodelay_tcp_port(int fd, int *listening)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u = { .in6 = { .sin6_family = AF_UNSPEC } };
	socklen_t len = sizeof(u);
	int domain = nodelay_int_opt(fd, SOL_SOCKET, SO_DOMAIN);

	if ((domain != AF_INET && domain != AF_INET6) ||
	    nodelay_int_opt(fd, SOL_SOCKET, SO_TYPE) != SOCK_STREAM ||
	    getsockname(fd, &u.sa, &len) < 0 || u.sa.sa_family != domain)
		return 0;
	*listening = nodelay_int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
	return domain == AF_INET ? u.in.sin_port : u.in6.sin6_port;
}

/* nodelay_fd_of - the descriptor of a /proc/self/fd entry, -1 when none */
static int nodelay_fd_of(const struct dirent *e, DIR *d)
{
	char *end;
	long fd = strtol(e->d_name, &end, 10);

	return *e->d_name == '.' || *end != '\0' || fd == dirfd(d) ? -1 : (int)fd;
}

/* nodelay_listeners - see nodelay.h */
int nodelay_listeners(struct buf *err)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int one = 1, n = 0, fd, listening = 0;
	unsigned short port;

	if (d == NULL) {
		buf_printf(err, "cannot list /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if ((fd = nodelay_fd_of(e, d)) < 0 ||
		    (port = nodelay_tcp_port(fd, &listening)) == 0 || !listening)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			buf_printf(err, "TCP_NODELAY on descriptor %d: %s", fd, strerror(errno));
			n = -1;
			break;
		}
		if (nd_nports < NODELAY_PORTS)
			nd_ports[nd_nports++] = port;
		n++;
	}
	closedir(d);
	return n;
}

/* nodelay_inode - the socket inode behind fd, 0 when unknown */
static unsigned long nodelay_inode(int fd)
{
	char path[64], link[64];	/* "/proc/self/fd/N", "socket:[N]" */
	ssize_t n;
	unsigned long ino = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%lu]", &ino) == 1 ? ino : 0;
}

/* nodelay_is_claimed - a session holds the socket (nd_lock held) */
static int nodelay_is_claimed(unsigned long ino)
{
	for (size_t i = 0; i < nd_nclaimed; i++)
		if (nd_claimed[i] == ino)
			return 1;
	return 0;
}

/* nodelay_ours - fd is a connection accepted on one of our listening ports */
static int nodelay_ours(int fd)
{
	int listening = 0;
	unsigned short port = nodelay_tcp_port(fd, &listening);

	for (size_t i = 0; port != 0 && !listening && i < nd_nports; i++)
		if (nd_ports[i] == port)
			return 1;
	return 0;
}

/* nodelay_claim_add - remember ino as claimed (nd_lock held) */
static void nodelay_claim_add(unsigned long ino)
{
	if (nd_nclaimed == nd_capclaimed) {
		nd_capclaimed = nd_capclaimed ? 2 * nd_capclaimed : 16;
		nd_claimed = rw_realloc(nd_claimed, nd_capclaimed * sizeof(*nd_claimed));
	}
	nd_claimed[nd_nclaimed++] = ino;
}

/* nodelay_session_claim - see nodelay.h */
int nodelay_session_claim(unsigned long *inode)
{
	DIR *d;
	struct dirent *e;
	int fd, found = -1;
	unsigned long ino;

	*inode = 0;
	if (nd_nports == 0 || (d = opendir("/proc/self/fd")) == NULL)
		return -1;
	pthread_mutex_lock(&nd_lock);
	while (found < 0 && (e = readdir(d)) != NULL) {
		if ((fd = nodelay_fd_of(e, d)) < 0 || !nodelay_ours(fd) ||
		    (ino = nodelay_inode(fd)) == 0 || nodelay_is_claimed(ino))
			continue;
		nodelay_claim_add(ino);
		*inode = ino;
		found = fd;
	}
	pthread_mutex_unlock(&nd_lock);
	closedir(d);
	return found;
}

/* nodelay_session_release - see nodelay.h */
void nodelay_session_release(unsigned long inode)
{
	pthread_mutex_lock(&nd_lock);
	for (size_t i = 0; inode != 0 && i < nd_nclaimed; i++) {
		if (nd_claimed[i] == inode) {
			nd_claimed[i] = nd_claimed[--nd_nclaimed];
			break;
		}
	}
	pthread_mutex_unlock(&nd_lock);
}

/* nodelay_helper - set TCP_QUICKACK on each queued socket when its time comes */
static void *nodelay_helper(void *arg)
{
	int one = 1;

	(void)arg;
	for (;;) {
		struct nd_ack a;

		pthread_mutex_lock(&nd_qlock);
		while (nd_len == 0)
			pthread_cond_wait(&nd_qcond, &nd_qlock);
		a = nd_queue[nd_head];
		nd_head = (nd_head + 1) % NODELAY_QUEUE;
		nd_len--;
		pthread_mutex_unlock(&nd_qlock);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a.when, NULL) == EINTR)
			;
		(void)setsockopt(a.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	}
	return NULL;
}

/* nodelay_start - the helper thread, detached, signals blocked as the caller's */
static void nodelay_start(void)
{
	pthread_t t;
	pthread_attr_t at;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	nd_helper = pthread_create(&t, &at, nodelay_helper, NULL) == 0;
	pthread_attr_destroy(&at);
}

/* nodelay_ack_soon - see nodelay.h */
void nodelay_ack_soon(int fd)
{
	struct nd_ack a = { fd, { 0, 0 } };

	if (fd < 0 || pthread_once(&nd_once, nodelay_start) != 0 || !nd_helper)
		return;
	now_mono_after(NODELAY_ACK_US, &a.when);
	pthread_mutex_lock(&nd_qlock);
	if (nd_len < NODELAY_QUEUE) {
		nd_queue[(nd_head + nd_len) % NODELAY_QUEUE] = a;
		nd_len++;
		pthread_cond_signal(&nd_qcond);
	}
	pthread_mutex_unlock(&nd_qlock);
}
