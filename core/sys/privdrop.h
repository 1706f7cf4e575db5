/*
 * privdrop - give up root for good once the daemon has bound its sockets
 * and opened its files.
 *
 * privdrop(user) makes the process user's uid, its primary gid and its
 * supplementary groups, and checks that root cannot be regained. Started
 * as user already: nothing to do. Started as anyone else but root: an
 * error (it cannot become user). The files it must open again later as
 * user (the audit file, on every reload) were handed to user when root
 * opened them (safefile.h: by descriptor, never by path); the rest it
 * reads later (the configuration, the HMAC key) and the audit directory
 * (rotation) must be readable or writable by user.
 */
#ifndef RW_PRIVDROP_H
#define RW_PRIVDROP_H

#include "core/util/buf.h"

/* privdrop - become user for good; 0, or -1 with *err naming the user and why */
int privdrop(const char *user, struct buf *err);

#endif
