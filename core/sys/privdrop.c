/* privdrop - become an unprivileged user for good; see privdrop.h */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "core/sys/privdrop.h"

int privdrop(const char *user, struct buf *err)
{
	struct passwd pw, *pwp = NULL;
	char scratch[4096];
	int e = getpwnam_r(user, &pw, scratch, sizeof(scratch), &pwp);

	if (pwp == NULL) {
		buf_printf(err, "user %s: %s", user, e != 0 ? strerror(e) : "no such user");
		return -1;
	}
	if (getuid() == pw.pw_uid && geteuid() == pw.pw_uid)
		return 0;	/* started as user (systemd User=) */
	if (geteuid() != 0) {
		buf_printf(err, "user %s: cannot become it: not started as root", user);
		return -1;
	}
	if (initgroups(pw.pw_name, pw.pw_gid) < 0 || setgid(pw.pw_gid) < 0 ||
	    setuid(pw.pw_uid) < 0) {
		buf_printf(err, "user %s: %s", user, strerror(errno));
		return -1;
	}
	if (pw.pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		buf_printf(err, "user %s: root could be regained", user);
		return -1;
	}
	return 0;
}
