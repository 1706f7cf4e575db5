/* test_safefile - what a daemon opens in a directory others may write */
#include "autoconfig.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sys/safefile.h"

struct dir {
	char path[64];
	char target[96];	/* a file outside what the service user arranges */
	char name[96];		/* the path the daemon is configured with */
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	FILE *fp;

	snprintf(d->path, sizeof(d->path), "/tmp/rw-safefile-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->target, sizeof(d->target), "%s/target", d->path);
	snprintf(d->name, sizeof(d->name), "%s/audit.jsonl", d->path);
	assert_non_null(fp = fopen(d->target, "w"));
	fputs("keep me\n", fp);
	fclose(fp);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

/* target_intact - the target still holds exactly what setup wrote */
static void target_intact(const struct dir *d)
{
	char got[32] = "";
	FILE *fp = fopen(d->target, "r");

	assert_non_null(fp);
	assert_non_null(fgets(got, sizeof(got), fp));
	fclose(fp);
	assert_string_equal(got, "keep me\n");
}

/* refused - opening d->name for append (and truncation) fails naming why */
static void refused(const struct dir *d, const char *why)
{
	struct buf err = BUF_INIT;

	assert_int_equal(safefile_open(d->name, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0640, NULL,
				       &err), -1);
	assert_non_null(strstr(buf_cstr(&err), d->name));
	assert_non_null(strstr(buf_cstr(&err), why));
	buf_release(&err);
	target_intact(d);
}

static void test_regular_created(void **state)
{
	struct dir *d = *state;
	struct buf err = BUF_INIT;
	struct stat st;
	int fd = safefile_open(d->name, O_WRONLY | O_APPEND | O_CREAT, 0640, NULL, &err);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(err.len, 0);
}

static void test_symlink_refused(void **state)
{
	struct dir *d = *state;

	assert_int_equal(symlink(d->target, d->name), 0);
	refused(d, "refused: a symbolic link");
}

static void test_dangling_symlink_not_created(void **state)
{
	struct dir *d = *state;
	char where[128];

	snprintf(where, sizeof(where), "%s/new", d->path);
	assert_int_equal(symlink(where, d->name), 0);
	refused(d, "refused: a symbolic link");
	assert_int_equal(access(where, F_OK), -1);	/* nothing created through it */
}

static void test_fifo_refused(void **state)
{
	struct dir *d = *state;
	struct buf err = BUF_INIT;

	assert_int_equal(mkfifo(d->name, 0600), 0);
	/* read-write: a FIFO opens at once, then is refused; write-only: ENXIO, no wait */
	assert_int_equal(safefile_open(d->name, O_RDWR | O_APPEND, 0, NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "refused: a FIFO"));
	buf_release(&err);
	assert_int_equal(safefile_open(d->name, O_WRONLY | O_APPEND, 0, NULL, &err), -1);
	buf_release(&err);
}

static void test_hard_link_refused_as_root(void **state)
{
	struct dir *d = *state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(link(d->target, d->name), 0);
	refused(d, "refused: 2 hard links");	/* and O_TRUNC did not cut the target */
}

static void test_foreign_owner_refused_as_root(void **state)
{
	struct dir *d = *state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(rename(d->target, d->name), 0);
	assert_int_equal(chown(d->name, 4242, 4242), 0);
	memcpy(d->target, d->name, sizeof(d->target));
	refused(d, "refused: owned by uid 4242");
}

static void test_pidfile(void **state)
{
	struct dir *d = *state;
	struct buf err = BUF_INIT;
	char want[32], got[32] = "";
	FILE *fp;

	assert_int_equal(safefile_pidfile(d->name, &err), 0);
	assert_int_equal(safefile_pidfile(d->name, &err), 0);	/* replaced, not appended */
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_non_null(fp = fopen(d->name, "r"));
	assert_int_equal(fread(got, 1, sizeof(got) - 1, fp), strlen(want));
	fclose(fp);
	assert_string_equal(got, want);
	unlink(d->name);
	assert_int_equal(symlink(d->target, d->name), 0);
	assert_int_equal(safefile_pidfile(d->name, &err), -1);
	buf_release(&err);
	target_intact(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dangling_symlink_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_link_refused_as_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_owner_refused_as_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pidfile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
