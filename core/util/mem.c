/* mem - allocation that never returns NULL; see mem.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"

/* mem_fail - out of memory: say so and stop (no untestable NULL branches) */
static void __attribute__((noreturn)) mem_fail(size_t n)
{
	fprintf(stderr, "relaywarden: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

/* rw_malloc - malloc or die */
void *rw_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		mem_fail(n);
	return p;
}

/* rw_calloc - calloc or die (overflow-checked by calloc) */
void *rw_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		mem_fail(n * size);
	return p;
}

/* rw_realloc - realloc or die */
void *rw_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		mem_fail(n);
	return q;
}

/* rw_strdup - strdup or die */
char *rw_strdup(const char *s)
{
	return rw_strndup(s, strlen(s));
}

/* rw_strndup - copy at most n bytes of s, NUL-terminated */
char *rw_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = rw_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* rw_free_ptr - free *pp and clear it; pp is a pointer to any pointer */
void rw_free_ptr(void *pp)
{
	void **p = pp;

	free(*p);
	*p = NULL;
}
