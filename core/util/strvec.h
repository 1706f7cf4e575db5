/*
 * strvec - a growable vector of owned NUL-terminated strings.
 *
 * Contract: strvec_add copies its argument; strvec_release frees every
 * element and the array, leaving an empty vector. Pure: libc only.
 */
#ifndef RW_STRVEC_H
#define RW_STRVEC_H

#include <stdarg.h>
#include <stddef.h>

struct strvec {
	char **v;
	size_t n;
	size_t cap;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_add(struct strvec *sv, const char *s);
void strvec_addf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strvec_vaddf(struct strvec *sv, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void strvec_release(struct strvec *sv);
/* strvec_equal - same strings in the same order */
int strvec_equal(const struct strvec *a, const struct strvec *b);

#endif
