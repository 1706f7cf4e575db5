/*
 * standalone - replay fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer.
 *
 * `make check` links each fuzz target with this driver. With no arguments it
 * replays every regular file in CORPUS_DIR (compiled in) and fails when that
 * directory is missing or holds no input, so a lost corpus fails the build's
 * tests; with arguments it replays the named files and directories (one
 * level deep). Each input is copied into a buffer of exactly its size, so
 * the sanitizers catch a target reading past it. Prints "N inputs replayed".
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util/buf.h"
#include "core/util/mem.h"

#ifndef CORPUS_DIR
#error "CORPUS_DIR must name the target's corpus directory"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* replay_file - read path whole and run the target on it; -1 on I/O error */
static int replay_file(const char *path)
{
	struct buf in = BUF_INIT;
	char chunk[8192];
	uint8_t *copy;
	size_t n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&in, chunk, n);
	if (ferror(fp)) {
		fprintf(stderr, "standalone: %s: read error\n", path);
		fclose(fp);
		buf_release(&in);
		return -1;
	}
	fclose(fp);
	copy = rw_malloc(in.len);	/* exactly the input: over-reads are caught */
	if (in.len > 0)
		memcpy(copy, in.data, in.len);
	LLVMFuzzerTestOneInput(copy, in.len);
	free(copy);
	buf_release(&in);
	return 0;
}

/* replay_dir - every regular file in dir, in name order; count into *n */
static int replay_dir(const char *dir, unsigned long *n)
{
	struct dirent **names;
	int count = scandir(dir, &names, NULL, alphasort);
	int rc = 0;

	if (count < 0) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < count; i++) {
		struct buf path = BUF_INIT;
		struct stat st;

		buf_printf(&path, "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path.data, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path.data) < 0)
				rc = -1;
			else
				(*n)++;
		}
		buf_release(&path);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* replay_path - a file or a directory */
static int replay_path(const char *path, unsigned long *n)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(path, n);
	if (replay_file(path) < 0)
		return -1;
	(*n)++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	int rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		rc = replay_path(CORPUS_DIR, &n);
		if (rc == 0 && n == 0) {
			fprintf(stderr, "standalone: %s: no inputs\n", CORPUS_DIR);
			rc = -1;
		}
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &n) < 0)
			rc = -1;
	printf("%lu inputs replayed\n", n);
	return rc < 0 ? 1 : 0;
}
