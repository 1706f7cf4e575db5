/*
 * config_tdir - helpers of the config tests (test_config, test_config_limits):
 * configs written into fresh directories under /tmp. Static: each test includes it once, after <cmocka.h>
 * (the helpers assert) and <stdio.h>, <stdlib.h>, <string.h>, <unistd.h>.
 */
#ifndef RW_TEST_CONFIG_TDIR_H
#define RW_TEST_CONFIG_TDIR_H

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/util/strvec.h"

struct tfile {
	const char *name;
	const char *text;
};

struct tdir {
	char path[64];
	struct strvec files;
};

/* tdir_make - a fresh directory holding the files (first one: relaywarden.conf) */
static void tdir_make(struct tdir *d, const struct tfile *files, size_t n)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->path, "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	for (size_t i = 0; i < n && files[i].name != NULL; i++) {
		struct buf p = BUF_INIT;
		FILE *f;

		buf_printf(&p, "%s/%s", d->path, files[i].name);
		f = fopen(p.data, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(files[i].text, 1, strlen(files[i].text), f),
				 strlen(files[i].text));
		assert_int_equal(fclose(f), 0);
		strvec_add(&d->files, p.data);
		buf_release(&p);
	}
}

/* tdir_remove - delete the files and the directory */
static void tdir_remove(struct tdir *d)
{
	for (size_t i = 0; i < d->files.n; i++)
		unlink(d->files.v[i]);
	rmdir(d->path);
	strvec_release(&d->files);
}

/* load_text - load main (plus an extra file, if named) from a fresh directory */
static struct rw_config *load_text(const char *main_text, const struct tfile *extra,
				   struct buf *err)
{
	struct tfile files[2] = { { "relaywarden.conf", main_text } };
	struct rw_config *c;
	struct buf path = BUF_INIT;
	struct tdir d;

	if (extra != NULL && extra->name != NULL)
		files[1] = *extra;
	tdir_make(&d, files, 2);
	buf_printf(&path, "%s/relaywarden.conf", d.path);
	c = config_load(path.data, err);
	/* strip every "DIR/" so expectations need not know the directory */
	for (char *p; (p = strstr(buf_cstr(err), d.path)) != NULL;) {
		size_t n = strlen(d.path) + 1;

		memmove(p, p + n, strlen(p + n) + 1);
		err->len -= n;
	}
	buf_release(&path);
	tdir_remove(&d);
	return c;
}

/* A config that must not load, and the error it must give. */
struct bad_case {
	const char *what;
	const char *conf;
	struct tfile extra;
	const char *prefix;	/* the whole message starts with this */
	const char *contains;	/* and contains this, if set */
};

/* run_bad_cases - every broken config fails with its exact prefix, on one line */
static __attribute__((unused)) void run_bad_cases(const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *t = &cases[i];
		struct buf err = BUF_INIT;
		struct rw_config *c = load_text(t->conf, &t->extra, &err);

		if (c != NULL || strncmp(err.data ? err.data : "", t->prefix, strlen(t->prefix)) != 0 ||
		    (t->contains != NULL && strstr(buf_cstr(&err), t->contains) == NULL))
			fail_msg("case '%s': got %s '%s'", t->what, c ? "a config and" : "error",
				 buf_cstr(&err));
		assert_null(strchr(buf_cstr(&err), '\n'));
		config_unref(&c);
		buf_release(&err);
	}
}

#endif
