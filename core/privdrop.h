/*
 * privdrop - give up root for good once the daemon has bound its sockets
 * and opened its files (DESIGN.md: privileges dropped after binding).
 *
 * privdrop(user) makes the process user's uid, its primary gid and its
 * supplementary groups, and checks that root cannot be regained. Started
 * as user already: nothing to do. Started as anyone else but root: an
 * error (it cannot become user). The files it must open again later as
 * user (the audit file, on every reload) are handed to user first (own);
 * the rest it reads later (the configuration, the HMAC key) and the audit
 * directory (rotation) must be readable or writable by user.
 */
#ifndef RW_PRIVDROP_H
#define RW_PRIVDROP_H

#include "core/buf.h"

/*
 * privdrop - give each existing path of own (NULL-terminated; NULL for
 * none; never following a symlink) to user, then become user; 0, or -1
 * with *err naming the user or the file and why
 */
int privdrop(const char *user, const char *const *own, struct buf *err);

#endif
