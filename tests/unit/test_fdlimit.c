/* test_fdlimit - the soft open-files limit is lifted to the hard one, never lowered */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sys/fdlimit.h"

static struct rlimit saved;

static int save(void **state)
{
	(void)state;
	return getrlimit(RLIMIT_NOFILE, &saved);
}

static int restore(void **state)
{
	(void)state;
	return setrlimit(RLIMIT_NOFILE, &saved);
}

/* a soft limit under the hard one goes up to it */
static void test_raises_soft_to_hard(void **state)
{
	struct rlimit rl = saved;

	(void)state;
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 65)
		skip();
	rl.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	unsigned long got = fdlimit_raise();

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(rl.rlim_cur > 64);
	assert_true(rl.rlim_max == RLIM_INFINITY || rl.rlim_cur == rl.rlim_max);
	assert_true(got == (unsigned long)rl.rlim_cur);
}

/* soft already at the hard limit: unchanged, and reported */
static void test_at_hard_limit_unchanged(void **state)
{
	struct rlimit rl = saved;

	(void)state;
	if (saved.rlim_max == RLIM_INFINITY)
		skip();
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(fdlimit_raise() == (unsigned long)rl.rlim_max);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(rl.rlim_cur == saved.rlim_max);
}

/* a lowered hard limit is respected: the soft limit stops there */
static void test_stops_at_lowered_hard_limit(void **state)
{
	struct rlimit rl = { 32, 48 };

	(void)state;
	/* lowering the hard limit is for good: do it in a child */
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)	/* valgrind keeps the hard limit */
			_exit(errno == EPERM ? 77 : 2);
		if (fdlimit_raise() != 48)
			_exit(3);
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 48 || rl.rlim_max != 48)
			_exit(4);
		_exit(0);
	}
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raises_soft_to_hard, save, restore),
		cmocka_unit_test_setup_teardown(test_at_hard_limit_unchanged, save, restore),
		cmocka_unit_test(test_stops_at_lowered_hard_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
