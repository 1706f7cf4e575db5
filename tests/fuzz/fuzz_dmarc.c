/*
 * fuzz_dmarc - the DMARC record parser (align_dmarc_parse) over arbitrary
 * TXT record bytes (NULs included: a TXT string may hold any octet).
 *
 * Contract checked: 0 with a found record whose modes, policies and pct
 * are in range (pct <= 100), or -1 with a non-empty static message; the
 * same bytes parse the same way again, and a record that parses keeps
 * parsing when it is cut just before a trailing ';' or WSP (the grammar
 * allows both). Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_parse - one parse whose result must keep the contract; its rc */
static int fuzz_parse(const char *rec, size_t len, struct align_dmarc *d)
{
	const char *err = NULL;
	int rc;

	memset(d, 0xa5, sizeof(*d));
	rc = align_dmarc_parse(rec, len, d, &err);
	if (rc == 0) {
		if (!d->found || d->pct > 100 || d->adkim > ALIGN_STRICT || d->aspf > ALIGN_STRICT ||
		    d->p > ALIGN_P_REJECT || d->sp > ALIGN_P_REJECT || d->p == ALIGN_P_ABSENT)
			abort();
	} else if (rc != -1 || err == NULL || *err == '\0') {
		abort();
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rec = (const char *)data;
	struct align_dmarc a, b;
	int rc = fuzz_parse(rec, size, &a);

	if (fuzz_parse(rec, size, &b) != rc || (rc == 0 && memcmp(&a, &b, sizeof(a)) != 0))
		abort();
	if (rc == 0 && size > 8 && (rec[size - 1] == ';' || rec[size - 1] == ' ') &&
	    rec[size - 2] != ';' && rec[size - 2] != ' ' && rec[size - 2] != '\t' &&
	    fuzz_parse(rec, size - 1, &b) != 0)
		abort();
	return 0;
}
