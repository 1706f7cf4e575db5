/*
 * fuzz_authres - Authentication-Results: recognising a field that claims
 * our authserv-id (authres_is_ours, which decides which fields the milter
 * deletes as forged) and writing ours (authres_build).
 *
 * The input is an existing field's value (NULs included). Checked:
 *  - authres_is_ours ends; the id comparison ignores case, and a leading
 *    comment with whitespace changes nothing;
 *  - the input up to its first NUL, used as our authserv-id (and as every
 *    other untrusted value: d=, s=, a=, reason, MAIL FROM), gives a value
 *    of printable ASCII only (folded with "\n\t" as libmilter wants it)
 *    that authres_is_ours recognises as ours whenever that id is
 *    non-empty printable ASCII: whatever we write in our name, we also
 *    delete when it arrives forged.
 * Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgauth/authres.h"
#include "core/util/buf.h"
#include "core/util/mem.h"

#define FUZZ_ID "mx.example.test"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_printable - every byte in 0x20..0x7e, or a fold "\n\t" */
static int fuzz_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && i + 1 < n && s[i + 1] == '\t')
			continue;
		if (c == '\t' && i > 0 && s[i - 1] == '\n')
			continue;
		if (c < 0x20 || c > 0x7e)
			return 0;
	}
	return 1;
}

/* fuzz_is_ours - the forged-field test and its invariances */
static void fuzz_is_ours(const uint8_t *data, size_t size)
{
	struct buf commented = BUF_INIT;
	int ours = authres_is_ours((const char *)data, size, FUZZ_ID);

	if (authres_is_ours((const char *)data, size, "MX.Example.TEST") != ours)
		abort();
	buf_puts(&commented, " (a (nested) comment)\t");
	buf_append(&commented, data, size);
	if (authres_is_ours(commented.data, commented.len, FUZZ_ID) != ours)
		abort();
	buf_release(&commented);
}

/* fuzz_build - our own field, built from untrusted values, is ours and clean */
static void fuzz_build(const char *v)
{
	struct mc_dkim_sig sig = { (char *)v, (char *)v, (char *)v, MC_DKIM_FAIL, v, 0, 0, 0 };
	struct spf_outcome spf = { .result = SPF_SOFTFAIL };
	struct authres_input in = { v, &sig, 1, 1, &spf, v, NULL, "\n\t" };
	struct buf out = BUF_INIT;

	authres_build(&in, &out);
	if (!fuzz_printable(out.data, out.len))
		abort();
	if (*v != '\0' && fuzz_printable(v, strlen(v)) && strchr(v, '\t') == NULL &&
	    !authres_is_ours(out.data, out.len, v))
		abort();
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = rw_strndup((const char *)data, size);

	fuzz_is_ours(data, size);
	fuzz_build(v);
	free(v);
	return 0;
}
