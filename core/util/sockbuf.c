/* sockbuf - a buffer to a non-blocking socket; see sockbuf.h */
#include "autoconfig.h"

#include <errno.h>
#include <unistd.h>

#include "core/util/sockbuf.h"

/* sockbuf_write - see sockbuf.h */
int sockbuf_write(evutil_socket_t fd, const struct buf *b, size_t *off)
{
	while (*off < b->len) {
		ssize_t n = write(fd, b->data + *off, b->len - *off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -1;
		*off += (size_t)n;
	}
	return 1;
}
