/*
 * fdlimit - the process's open-files limit (RLIMIT_NOFILE).
 *
 * A daemon that holds a descriptor per client must not stop at the login
 * default (1024 soft): fdlimit_raise lifts the soft limit to the hard one,
 * as Postfix's master does (util/open_limit.c). It never lowers a limit.
 * The limit is per process: the last caller wins.
 */
#ifndef RW_FDLIMIT_H
#define RW_FDLIMIT_H

/*
 * fdlimit_raise - soft limit up to the hard limit (an unlimited hard limit
 * counts as 1048576, the kernel's default nr_open); the soft limit in
 * effect afterwards, or 0 when it cannot be read
 */
unsigned long fdlimit_raise(void);

#endif
