/*
 * mem - allocation that never returns NULL.
 *
 * Contract: every function aborts the process with a message on stderr when
 * memory is exhausted (Postfix mymalloc.c), so callers carry no untestable
 * NULL branches. Pure: libc only.
 */
#ifndef RW_MEM_H
#define RW_MEM_H

#include <stddef.h>

void *rw_malloc(size_t n);
void *rw_calloc(size_t n, size_t size);
void *rw_realloc(void *p, size_t n);
char *rw_strdup(const char *s);
char *rw_strndup(const char *s, size_t n);
/* rw_free_ptr - free *pp and clear it */
void rw_free_ptr(void *pp);

#endif
