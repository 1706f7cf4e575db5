/* safefile - open files in directories others may write; see safefile.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sys/safefile.h"

/* safefile_user - the service user's uid and gid into *uid, *gid; 0, or -1 if none */
static int safefile_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *pwp = NULL;
	char scratch[4096];

	if (user == NULL || *user == '\0' || getpwnam_r(user, &pw, scratch, sizeof(scratch), &pwp) != 0 ||
	    pwp == NULL)
		return -1;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* safefile_kind - what st is, for an error message */
static const char *safefile_kind(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return "a device";
	return "not a regular file";
}

/* safefile_check - the opened file st is one we may use; 0, or -1 with *err */
static int safefile_check(const char *path, const struct stat *st, int have_user, uid_t uid,
			  struct buf *err)
{
	if (!S_ISREG(st->st_mode)) {
		buf_printf(err, "%s: refused: %s", path, safefile_kind(st));
		return -1;
	}
	if (geteuid() != 0)
		return 0;	/* what we can open we could change anyway */
	if (st->st_nlink != 1) {
		buf_printf(err, "%s: refused: %lu hard links (another name for the same file)", path,
			   (unsigned long)st->st_nlink);
		return -1;
	}
	if (st->st_uid != 0 && !(have_user && st->st_uid == uid)) {
		buf_printf(err, "%s: refused: owned by uid %lu, not by root or the service user", path,
			   (unsigned long)st->st_uid);
		return -1;
	}
	return 0;
}

int safefile_open(const char *path, int flags, mode_t mode, const char *user, struct buf *err)
{
	/* O_TRUNC waits for the checks: it would cut a hard-linked file at open */
	int fd = open(path, (flags & ~O_TRUNC) | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, mode);
	int have_user;
	struct stat st;
	uid_t uid = 0;
	gid_t gid = 0;

	if (fd < 0) {
		if (errno == ELOOP)
			buf_printf(err, "%s: refused: a symbolic link", path);
		else
			buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	have_user = safefile_user(user, &uid, &gid) == 0;
	if (fstat(fd, &st) < 0) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (safefile_check(path, &st, have_user, uid, err) < 0) {
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    ((flags & O_TRUNC) && ftruncate(fd, 0) < 0) ||
	    ((flags & O_ACCMODE) != O_RDONLY && have_user && geteuid() == 0 && st.st_uid == 0 &&
	     fchown(fd, uid, gid) < 0)) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int safefile_pidfile(const char *path, struct buf *err)
{
	int fd = safefile_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL, err);
	struct buf text = BUF_INIT;
	int rc = 0;

	if (fd < 0)
		return -1;
	buf_printf(&text, "%ld\n", (long)getpid());
	if (write(fd, text.data, text.len) != (ssize_t)text.len) {
		buf_printf(err, "%s: %s", path, errno != 0 ? strerror(errno) : "short write");
		rc = -1;
	}
	if (close(fd) < 0 && rc == 0) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	buf_release(&text);
	return rc;
}
