/*
 * fuzz_addr - the envelope address parser over arbitrary bytes.
 *
 * The input is one address of exactly size bytes (NULs included). Checks:
 *  - failure: a non-empty static message and a zeroed result;
 *  - success: the input had no NUL and at most 256 bytes; the domain has no
 *    upper-case ASCII, no trailing dot and only letters, digits, '-', '.'
 *    (or UTF-8 octets) in non-empty labels unless it is a literal; the local
 *    part is non-empty and at most 64 bytes (unless the null sender);
 *    ADDR_F_PERCENT / BANG / AT_IN_LOCAL are set exactly when the local part
 *    holds '%' / '!' / '@'; NO_DOMAIN exactly when the domain is empty; the
 *    null sender carries no other flag; addr_trick agrees with ADDR_F_TRICKS;
 *  - round trip: the parsed mailbox written back (quoted when it was
 *    quoted, literal in brackets, without the source route) parses to the
 *    same local part, domain and flags (less ADDR_F_SOURCE_ROUTE).
 * Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"
#include "core/util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless cond */
static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* fuzz_has - local part holds c */
static int fuzz_has(const char *s, char c)
{
	return strchr(s, c) != NULL;
}

/* fuzz_domain_ok - normalised domain text */
static void fuzz_domain_ok(const struct rw_addr *a)
{
	const char *d = a->domain;
	size_t n = strlen(d);

	for (size_t i = 0; i < n; i++)
		fuzz_check(d[i] < 'A' || d[i] > 'Z');
	if (a->flags & ADDR_F_LITERAL) {
		fuzz_check(n > 0 && strchr(d, ']') == NULL && strchr(d, '[') == NULL);
		return;
	}
	fuzz_check(n <= 255);
	if (n == 0)
		return;
	fuzz_check(d[0] != '.' && d[n - 1] != '.' && strstr(d, "..") == NULL);
	fuzz_check(d[0] != '-' && d[n - 1] != '-');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		fuzz_check(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '.');
	}
}

/* fuzz_flags_ok - flags agree with the parsed text */
static void fuzz_flags_ok(const struct rw_addr *a)
{
	unsigned f = a->flags;

	if (f & ADDR_F_NULL) {
		fuzz_check(f == ADDR_F_NULL && a->local[0] == '\0' && a->domain[0] == '\0');
		return;
	}
	fuzz_check(a->local[0] != '\0' && strlen(a->local) <= 64);
	fuzz_check(!!(f & ADDR_F_PERCENT) == fuzz_has(a->local, '%'));
	fuzz_check(!!(f & ADDR_F_BANG) == fuzz_has(a->local, '!'));
	fuzz_check(!!(f & ADDR_F_AT_IN_LOCAL) == fuzz_has(a->local, '@'));
	fuzz_check(!!(f & ADDR_F_NO_DOMAIN) == (a->domain[0] == '\0'));
	fuzz_check(!((f & ADDR_F_NO_DOMAIN) && (f & (ADDR_F_LITERAL | ADDR_F_SOURCE_ROUTE))));
	if (!(f & ADDR_F_QUOTED))
		fuzz_check(strpbrk(a->local, " \"\\()<>[],;:\t") == NULL);
	fuzz_check((addr_trick(a) != NULL) == ((f & ADDR_F_TRICKS) != 0));
}

/* fuzz_rebuild - the mailbox of a in envelope syntax */
static void fuzz_rebuild(const struct rw_addr *a, struct buf *out)
{
	if (a->flags & ADDR_F_QUOTED) {
		buf_putc(out, '"');
		for (const char *p = a->local; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
	} else {
		buf_puts(out, a->local);
	}
	if (a->flags & ADDR_F_NO_DOMAIN)
		return;
	buf_printf(out, (a->flags & ADDR_F_LITERAL) ? "@[%s]" : "@%s", a->domain);
}

/* fuzz_round_trip - the rebuilt mailbox parses to the same result */
static void fuzz_round_trip(const struct rw_addr *a)
{
	struct buf s = BUF_INIT;
	struct rw_addr b;
	const char *err = NULL;

	if (a->flags & ADDR_F_NULL)
		return;
	fuzz_rebuild(a, &s);
	fuzz_check(addr_parse(s.data, s.len, &b, &err) == 0);
	fuzz_check(strcmp(a->local, b.local) == 0 && strcmp(a->domain, b.domain) == 0);
	fuzz_check(b.flags == (a->flags & ~ADDR_F_SOURCE_ROUTE));
	addr_release(&b);
	buf_release(&s);
}

/* fuzz_normalise - addr_domain_normalise on a C-string copy of the input */
static void fuzz_normalise(const uint8_t *data, size_t size)
{
	char *s = rw_malloc(size + 1);
	size_t n;

	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	addr_domain_normalise(s);
	fuzz_check(strlen(s) == n || (strlen(s) + 1 == n));
	for (size_t i = 0; s[i] != '\0'; i++)
		fuzz_check(s[i] < 'A' || s[i] > 'Z');
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rw_addr a;
	const char *err = NULL;

	fuzz_normalise(data, size);
	if (addr_parse((const char *)data, size, &a, &err) < 0) {
		fuzz_check(err != NULL && err[0] != '\0');
		fuzz_check(a.local == NULL && a.domain == NULL && a.flags == 0);
		addr_release(&a);
		return 0;
	}
	fuzz_check(a.local != NULL && a.domain != NULL);
	fuzz_check(size <= 256 && memchr(data, '\0', size) == NULL);
	fuzz_domain_ok(&a);
	fuzz_flags_ok(&a);
	fuzz_round_trip(&a);
	addr_release(&a);
	fuzz_check(a.local == NULL && a.domain == NULL);
	return 0;
}
