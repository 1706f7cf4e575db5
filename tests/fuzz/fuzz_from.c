/*
 * fuzz_from - the From field parser (align_from_parse) over the From
 * fields of a message as the milter collects them.
 *
 * The input is split on LF into at most FUZZ_FROM_MAX field values (NUL
 * bytes end a value, as libmilter's C strings do). Contract checked:
 * no field gives "no From", more than one "multiple From headers"; one
 * field gives one of the other statuses, and a domain exactly when OK:
 * lower-case, no '.' at either end, no empty label, at most 253 octets,
 * no byte that cannot be in a host name label (CR, LF, NUL, space, '@',
 * '<', '>'). The parse is deterministic. Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/util/strvec.h"

#define FUZZ_FROM_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_domain_ok - what an OK domain must look like */
static int fuzz_domain_ok(const struct buf *d)
{
	if (d->len == 0 || d->len > 253 || d->data[0] == '.' || d->data[d->len - 1] == '.' ||
	    strstr(d->data, "..") != NULL || strlen(d->data) != d->len)
		return 0;
	for (size_t i = 0; i < d->len; i++)
		if ((d->data[i] >= 'A' && d->data[i] <= 'Z') || strchr(" \t\r\n@<>", d->data[i]))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec from = STRVEC_INIT;
	struct buf d = BUF_INIT, again = BUF_INIT;
	enum align_from_status st;
	size_t i = 0;

	while (i < size && from.n < FUZZ_FROM_MAX) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl != NULL ? (size_t)(nl - (data + i)) : size - i;
		char *v = rw_strndup((const char *)data + i, n);

		strvec_add(&from, v);
		free(v);
		i += n + 1;
	}
	st = align_from_parse((const char *const *)from.v, from.n, &d);
	if (st > ALIGN_FROM_UNPARSABLE || (st == ALIGN_FROM_OK) != (d.len > 0))
		abort();
	if ((from.n == 0) != (st == ALIGN_FROM_NONE) || (from.n > 1) != (st == ALIGN_FROM_MULTIPLE))
		abort();
	if (st == ALIGN_FROM_OK && !fuzz_domain_ok(&d))
		abort();
	if (align_from_parse((const char *const *)from.v, from.n, &again) != st ||
	    again.len != d.len || (d.len > 0 && memcmp(again.data, d.data, d.len) != 0))
		abort();
	if (*align_from_status_name(st) == '\0')
		abort();
	buf_release(&d);
	buf_release(&again);
	strvec_release(&from);
	return 0;
}
