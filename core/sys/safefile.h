/*
 * safefile - open a file in a directory that another user may write, from
 * a daemon that may still be root.
 *
 * With `user = NAME` the audit directory belongs to NAME, so NAME decides
 * what the audit path names; the same holds for any path in a directory
 * the service user can write. A daemon started as root must never let
 * that choice make it write, read or change another file. So:
 *
 *   - the last component is opened without following a symlink
 *     (O_NOFOLLOW), without blocking on a FIFO (O_NONBLOCK, cleared after
 *     the checks) and without making a terminal ours (O_NOCTTY);
 *   - what was opened must be a regular file; and when we are root, one
 *     with exactly one link (a hard link names a file elsewhere), owned by
 *     root or by the service user; anything else is closed unread and
 *     unwritten, and refused (a daemon that is not root can change only
 *     what its user could change anyway);
 *   - when root opens a root-owned file for writing and the service user
 *     is known, the descriptor (never the path) is given to that user, so
 *     the daemon can reopen it after dropping privileges (reload,
 *     rotation).
 *
 * Directories above the last component are trusted: they belong to root
 * (or the service user owns the last one, which it may rename at will;
 * that is why only the last component needs the checks).
 *
 * Errors name the path and why; nothing is created unless flags say
 * O_CREAT, and then only a new regular file with mode.
 */
#ifndef RW_SAFEFILE_H
#define RW_SAFEFILE_H

#include <sys/types.h>

#include "core/util/buf.h"

/*
 * safefile_open - open(path, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
 * mode) with the checks above; user is the service user's name (NULL or
 * "" for none); the descriptor, or -1 with *err naming path and why
 */
int safefile_open(const char *path, int flags, mode_t mode, const char *user, struct buf *err);

/*
 * safefile_pidfile - truncate or create path (the checks above, mode
 * 0644) and write our pid and a newline to it; 0, or -1 with *err
 */
int safefile_pidfile(const char *path, struct buf *err);

#endif
