/* nodelay - TCP_NODELAY on the milter's listening socket; see nodelay.h */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "milter/nodelay.h"

/* nodelay_is_tcp_listener - fd is a listening AF_INET/AF_INET6 stream socket */
static int nodelay_is_tcp_listener(int fd)
{
	int domain = 0, type = 0, listening = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return 0;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return 0;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return 0;
	return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
}

/* nodelay_listeners - see nodelay.h */
int nodelay_listeners(struct buf *err)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int one = 1, n = 0;

	if (d == NULL) {
		buf_printf(err, "cannot list /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*e->d_name == '.' || *end != '\0' || fd == dirfd(d) ||
		    !nodelay_is_tcp_listener((int)fd))
			continue;
		if (setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			buf_printf(err, "TCP_NODELAY on descriptor %ld: %s", fd, strerror(errno));
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}
