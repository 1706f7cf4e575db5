/*
 * fuzz_records - the audit records the command reads back (cli/records.c):
 * arbitrary bytes as an audit log through `relaywarden audit query` (each
 * format, with every kind of filter), `audit verify` (MAC chains under a
 * fixed key) and `replay` (records turned back into policy requests and
 * decided again under a small configuration).
 *
 * The log, the key file and the configuration are files in a private
 * directory under /tmp made once. Checked: each command ends with status 0
 * or 1 (2 is a usage or configuration error, which these arguments never
 * are); the sanitizers catch the rest. The commands print to stdout and
 * stderr: libFuzzer runs with -close_fd_mask=3 (build-libfuzzer.sh).
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util/buf.h"

/* the key the seed corpus was sealed with (tests/fuzz/corpus/records) */
#define FUZZ_KEY "relaywarden-fuzz-audit-key-0123456789abcdef"
#define FUZZ_CONF "instance = \"fuzz\"\n" \
	"local_domains = { \"example.test\" }\n" \
	"relay \"office\" { type = network\n networks = { \"192.0.2.0/24\", \"2001:db8::/32\" } }\n" \
	"relay \"users\" { type = sasl }\n" \
	"sender_login \"alice@example.test\" { senders = { \"alice@example.test\" } }\n" \
	"log { target = stderr }\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf fuzz_dir = BUF_INIT, fuzz_log = BUF_INIT, fuzz_key = BUF_INIT,
	fuzz_conf = BUF_INIT;

/* fuzz_write - path := text (len bytes), mode 0600; aborts on failure */
static void fuzz_write(const char *path, const void *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len > 0 && write(fd, text, len) != (ssize_t)len) || close(fd) != 0)
		abort();
}

/* fuzz_run - one command line; its status must be 0 or 1 */
static void fuzz_run(int (*cmd)(int, char **), const char *const *args)
{
	char *argv[16];
	int argc = 0;

	while (args[argc] != NULL && argc < 15) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	if ((unsigned)cmd(argc, argv) > 1)
		abort();
}

/* fuzz_cleanup - remove the private directory at exit */
static void fuzz_cleanup(void)
{
	unlink(fuzz_log.data);
	unlink(fuzz_key.data);
	unlink(fuzz_conf.data);
	rmdir(fuzz_dir.data);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/fuzz_records.XXXXXX";

	(void)argc, (void)argv;
	if (mkdtemp(tmpl) == NULL)
		abort();
	atexit(fuzz_cleanup);
	buf_puts(&fuzz_dir, tmpl);
	buf_printf(&fuzz_log, "%s/audit.jsonl", tmpl);
	buf_printf(&fuzz_key, "%s/audit.key", tmpl);
	buf_printf(&fuzz_conf, "%s/relaywarden.conf", tmpl);
	fuzz_write(fuzz_key.data, FUZZ_KEY "\n", strlen(FUZZ_KEY) + 1);
	fuzz_write(fuzz_conf.data, FUZZ_CONF, strlen(FUZZ_CONF));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *log = fuzz_log.data;
	const char *const table[] = { "audit", "query", log, NULL };
	const char *const csv[] = { "audit", "query", "--format", "csv", "--since", "2026-01-01",
				    "--until", "2027-01-01T00:00Z", "--client", "192.0.2.0/24",
				    "--sender", "@example.test", log, NULL };
	const char *const json[] = { "audit", "query", "--format", "json", "--verdict", "REJECT",
				     "--recipient", "bob@example.net", "--user", "alice", log,
				     NULL };
	const char *const verify[] = { "audit", "verify", "-k", fuzz_key.data, log, NULL };
	const char *const replay[] = { "replay", "-c", fuzz_conf.data, "--format", "json", log,
				       NULL };

	fuzz_write(log, data, size);
	fuzz_run(cmd_audit, table);
	fuzz_run(cmd_audit, csv);
	fuzz_run(cmd_audit, json);
	fuzz_run(cmd_audit, verify);
	fuzz_run(cmd_replay, replay);
	return 0;
}
