/* strvec - vector of owned strings; see strvec.h */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/util/strvec.h"

/* strvec_push - append an already-owned string */
static void strvec_push(struct strvec *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = rw_realloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

/* strvec_add - append a copy of s */
void strvec_add(struct strvec *sv, const char *s)
{
	strvec_push(sv, rw_strdup(s));
}

/* strvec_vaddf - append formatted text */
void strvec_vaddf(struct strvec *sv, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	buf_grow(&b, 127);	/* one allocation for a typical line (a trace step) */
	buf_vprintf(&b, fmt, ap);
	strvec_push(sv, buf_detach(&b));
}

/* strvec_addf - append formatted text */
void strvec_addf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strvec_vaddf(sv, fmt, ap);
	va_end(ap);
}

/* strvec_equal - same strings in the same order */
int strvec_equal(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* strvec_release - free all elements and the array */
void strvec_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
