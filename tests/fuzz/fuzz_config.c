/*
 * fuzz_config - config_load over arbitrary bytes as relaywarden.conf.
 *
 * The input is written to a fresh file under /tmp (mkstemp, unlinked
 * afterwards) and loaded. Either the load fails with one line naming the
 * file (or an included file and the *_files option that named it), or it
 * yields a snapshot whose invariants hold: one reference, a 64-hex-digit
 * digest, rules with what their kind needs, at least one listen address,
 * and a config_dump that shows the digest. Anything else aborts; the
 * sanitizers catch crashes and leaks. Relative included file names resolve
 * under /tmp, where an input naming one mostly finds nothing.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/buf.h"
#include "core/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless cond */
static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* fuzz_snapshot - invariants of a loaded configuration */
static void fuzz_snapshot(const struct rw_config *c)
{
	struct buf dump = BUF_INIT;

	fuzz_check(c->refs == 1);
	fuzz_check(strlen(c->digest) == 64 && strspn(c->digest, "0123456789abcdef") == 64);
	fuzz_check(c->policy != NULL && c->instance_name != NULL && c->policyd.listen.n > 0);
	for (size_t i = 0; i < c->policy->n_rules; i++) {
		const struct rw_rule *r = &c->policy->rules[i];

		fuzz_check(r->name != NULL);
		fuzz_check(r->kind != RULE_NETWORK || r->networks != NULL);
		fuzz_check(r->kind != RULE_CERT || r->n_fingerprints + r->n_pubkey_fingerprints > 0 ||
			   (r->subject != NULL && r->issuer != NULL));
		fuzz_check((r->subject == NULL) == (r->issuer == NULL));
	}
	config_dump(c, &dump);
	fuzz_check(strstr(buf_cstr(&dump), c->digest) != NULL);
	buf_release(&dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config.XXXXXX";
	struct buf err = BUF_INIT;
	struct rw_config *c;
	int fd = mkstemp(path);

	fuzz_check(fd >= 0);
	fuzz_check(write(fd, data, size) == (ssize_t)size);
	close(fd);
	c = config_load(path, &err);
	unlink(path);
	if (c == NULL) {
		fuzz_check(err.len > 0 && strchr(err.data, '\n') == NULL);
		/* the main file, or an included file with the option naming it */
		fuzz_check(strncmp(err.data, path, strlen(path)) == 0 ||
			   strstr(err.data, "_files") != NULL);
	} else {
		fuzz_check(err.len == 0);
		fuzz_snapshot(c);
	}
	config_unref(&c);
	fuzz_check(c == NULL);
	buf_release(&err);
	return 0;
}
