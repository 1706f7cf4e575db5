/* fdlimit - the open-files limit; see fdlimit.h */
#include "autoconfig.h"

#include <limits.h>
#include <sys/resource.h>

#include "core/sys/fdlimit.h"

#define FDLIMIT_UNLIMITED 1048576	/* Linux's default fs.nr_open */

unsigned long fdlimit_raise(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	want = rl.rlim_max == RLIM_INFINITY ? FDLIMIT_UNLIMITED : rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return rl.rlim_cur == RLIM_INFINITY ? ULONG_MAX : (unsigned long)rl.rlim_cur;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	return (unsigned long)rl.rlim_cur;
}
