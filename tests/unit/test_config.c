/*
 * test_config - relaywarden.conf loading: broken configs (each written into
 * a fresh directory under /tmp, whose name is removed from the message) with
 * the exact "file:line: option 'x'" each must produce; good configs checked
 * through the compiled policy, defaults, digest, dump round trip; and
 * schema/config-reference.md against the option table.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config/config.h"
#include "core/config/config_int.h"
#include "core/util/mem.h"

#include "tests/unit/config_tdir.h"

#define FP32 "3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D"
#define FP20 "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"



static const struct bad_case bad_cases[] = {
	{ "unknown top-level option", "instance = \"a\"\nbogus = 1\n", { 0 },
	  "relaywarden.conf:2: option 'bogus': unknown option", NULL },
	{ "unknown option in a section", "relay \"a\" {\n\ttype = sasl\n\tbogus = 1\n}\n", { 0 },
	  "relaywarden.conf:3: option 'bogus' in relay 'a': unknown option", NULL },
	{ "unknown option in policyd", "policyd {\n\tlisten_on = \"x\"\n}\n", { 0 },
	  "relaywarden.conf:2: option 'listen_on' in policyd: unknown option", NULL },
	{ "unknown section", "\n\nfrobnicate {\n}\n", { 0 },
	  "relaywarden.conf:3: option 'frobnicate': unknown option", NULL },
	{ "bad CIDR", "relay \"o\" {\n\ttype = network\n\tnetworks = { \"192.0.2.0/24\",\n"
	  "\t\t\"192.0.2.0/33\" }\n}\n", { 0 },
	  "relaywarden.conf:4: option 'networks' in relay 'o': bad CIDR '192.0.2.0/33'", NULL },
	{ "host bits", "relay \"o\" {\n\ttype = network\n\tnetworks = { \"10.0.0.1/8\" }\n}\n",
	  { 0 }, "relaywarden.conf:3: option 'networks' in relay 'o': bad CIDR '10.0.0.1/8'",
	  NULL },
	{ "bad fingerprint", "relay \"p\" {\n\ttype = certificate\n\tfingerprints = { \"AB:CD\" }\n}\n",
	  { 0 }, "relaywarden.conf:3: option 'fingerprints' in relay 'p': bad fingerprint 'AB:CD'",
	  NULL },
	{ "bad pubkey fingerprint", "relay \"p\" {\n\ttype = certificate\n"
	  "\tpubkey_fingerprints = { \"zz\" }\n}\n", { 0 },
	  "relaywarden.conf:3: option 'pubkey_fingerprints' in relay 'p': bad fingerprint", NULL },
	{ "bad type", "relay \"a\" {\n\ttype = cert\n}\n", { 0 },
	  "relaywarden.conf:2: option 'type' in relay 'a': 'cert' is not one of: sasl, network, "
	  "certificate", NULL },
	{ "missing type", "relay \"a\" {\n\tlisteners = { \"x\" }\n}\n", { 0 },
	  "relaywarden.conf:", "option 'type' in relay 'a': missing" },
	{ "bad listen scheme", "policyd {\n\tlisten = { \"tcp:127.0.0.1:25\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'listen' in policyd: bad listen address 'tcp:127.0.0.1:25'",
	  NULL },
	{ "listen v6 without brackets", "policyd {\n\tlisten = { \"inet:::1:25\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'listen' in policyd: bad listen address", "brackets" },
	{ "listen relative unix path", "policyd {\n\tlisten = { \"unix:run/p.sock\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'listen' in policyd: bad listen address", "absolute" },
	{ "listen port 0", "policyd {\n\tlisten = { \"inet:127.0.0.1:0\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'listen' in policyd: bad listen address 'inet:127.0.0.1:0'",
	  "1-65535" },
	{ "listen port 70000", "policyd {\n\n\tlisten = { \"inet:[::1]:70000\" }\n}\n", { 0 },
	  "relaywarden.conf:3: option 'listen' in policyd: bad listen address", "1-65535" },
	{ "no listen address", "policyd {\n\tlisten = { }\n}\n", { 0 },
	  "relaywarden.conf:", "option 'listen' in policyd: no listen address" },
	{ "ports 0", "relay \"s\" {\n\ttype = sasl\n\tports = { 587, 0 }\n}\n", { 0 },
	  "relaywarden.conf:3: option 'ports' in relay 's': 0 is out of range 1-65535", NULL },
	{ "ports 70000", "relay \"s\" {\n\ttype = sasl\n\tports = {\n 587,\n 70000 }\n}\n", { 0 },
	  "relaywarden.conf:5: option 'ports' in relay 's': 70000 is out of range 1-65535", NULL },
	{ "ports not a number", "relay \"s\" {\n\ttype = sasl\n\tports = { smtp }\n}\n", { 0 },
	  "relaywarden.conf:3: option 'ports' in relay 's': not an integer", NULL },
	{ "duplicate relay name", "relay \"a\" {\n\ttype = sasl\n}\n\nrelay \"a\" {\n"
	  "\ttype = sasl\n}\n", { 0 }, "relaywarden.conf:5: option 'relay': 'a' is defined twice",
	  NULL },
	{ "duplicate sender_login", "sender_login \"bob\" {\n\tsenders = { \"@b.test\" }\n}\n"
	  "sender_login \"bob\" {\n\tsenders = { \"@c.test\" }\n}\n", { 0 },
	  "relaywarden.conf:4: option 'sender_login': 'bob' is defined twice", NULL },
	{ "missing include file", "relay \"o\" {\n\ttype = network\n"
	  "\tnetworks_files = { \"missing.cidr\" }\n}\n", { 0 },
	  "relaywarden.conf:3: option 'networks_files' in relay 'o': cannot read 'missing.cidr'",
	  "No such file" },
	{ "bad entry in an included file", "relay \"office\" {\n\ttype = network\n"
	  "\tnetworks_files = { \"office.cidr\" }\n}\n",
	  { "office.cidr", "# office\n192.0.2.0/24\n10.0.0.1/33 OK\n" },
	  "office.cidr:3: option 'networks_files' in relay 'office': bad CIDR '10.0.0.1/33'", NULL },
	{ "included cidr file with a REJECT action", "relay \"office\" {\n\ttype = network\n"
	  "\tnetworks_files = { \"office.cidr\" }\n}\n",
	  { "office.cidr", "192.0.2.0/24 OK\n198.51.100.0/24 REJECT\n" },
	  "office.cidr:2: option 'networks_files' in relay 'office': unexpected 'REJECT'", NULL },
	{ "bad included fingerprint", "relay \"p\" {\n\ttype = certificate\n"
	  "\tfingerprints_files = { \"p.fp\" }\n}\n", { "p.fp", FP32 "\n\nnot-hex\n" },
	  "p.fp:3: option 'fingerprints_files' in relay 'p': bad fingerprint 'not-hex'", NULL },
	{ "sender login file without senders", "sender_login_files = { \"logins\" }\n",
	  { "logins", "alice alice@a.test, @a.example\nbob\n" },
	  "logins:2: option 'sender_login_files': login 'bob' has no senders", NULL },
	{ "sender login file bad sender", "sender_login_files = { \"logins\" }\n",
	  { "logins", "# x\nalice alice@a.test foo@bar@baz\n" },
	  "logins:2: option 'sender_login_files': login 'alice': bad sender 'foo@bar@baz'", NULL },
	{ "unbalanced brace: missing", "relay \"a\" {\n\ttype = sasl\n\n", { 0 },
	  "relaywarden.conf:3: syntax error: premature end of file", NULL },
	{ "unbalanced brace: extra", "relay \"a\" {\n\ttype = sasl\n}\n}\n", { 0 },
	  "relaywarden.conf:4: syntax error: unexpected closing brace", NULL },
	{ "unterminated list", "local_domains = { \"a.test\"\n", { 0 },
	  "relaywarden.conf:", "premature end of file" },
	{ "unterminated comment", "instance = \"a\"\n/* x\n", { 0 },
	  "relaywarden.conf:2: syntax error: premature end of file", NULL },
	{ "missing equal sign", "instance \"a\"\n", { 0 },
	  "relaywarden.conf:1: option 'instance': expected '='", NULL },
	{ "sasl rule with networks", "relay \"s\" {\n\ttype = sasl\n\tnetworks = { \"10.0.0.0/8\" }\n"
	  "}\n", { 0 }, "relaywarden.conf:3: option 'networks' in relay 's': not allowed with "
	  "type = sasl", NULL },
	{ "sasl rule with subject", "relay \"s\" {\n\tsubject = \"x\"\n\ttype = sasl\n}\n", { 0 },
	  "relaywarden.conf:2: option 'subject' in relay 's': not allowed with type = sasl", NULL },
	{ "network rule with require_tls", "relay \"n\" {\n\ttype = network\n"
	  "\tnetworks = { \"10.0.0.0/8\" }\n\trequire_tls = true\n}\n", { 0 },
	  "relaywarden.conf:4: option 'require_tls' in relay 'n': not allowed with type = network",
	  NULL },
	{ "certificate rule with listeners", "relay \"c\" {\n\ttype = certificate\n"
	  "\tfingerprints = { \"" FP32 "\" }\n\tlisteners = { \"smtp\" }\n}\n", { 0 },
	  "relaywarden.conf:4: option 'listeners' in relay 'c': not allowed with type = "
	  "certificate", NULL },
	{ "network rule without networks", "relay \"n\" {\n\ttype = network\n}\n", { 0 },
	  "relaywarden.conf:2: option 'type' in relay 'n': a network rule needs networks", NULL },
	{ "certificate rule without anything", "relay \"c\" {\n\ttype = certificate\n}\n", { 0 },
	  "relaywarden.conf:2: option 'type' in relay 'c': a certificate rule needs", NULL },
	{ "subject without issuer", "relay \"c\" {\n\ttype = certificate\n\tsubject = \"mx\"\n}\n",
	  { 0 }, "relaywarden.conf:3: option 'subject' in relay 'c': needs issuer too", NULL },
	{ "issuer without subject", "relay \"c\" {\n\ttype = certificate\n\tfingerprints = { \""
	  FP32 "\" }\n\tissuer = \"CA\"\n}\n", { 0 },
	  "relaywarden.conf:4: option 'issuer' in relay 'c': needs subject too", NULL },
	{ "bad boolean", "relay \"s\" {\n\ttype = sasl\n\trequire_tls = maybe\n}\n", { 0 },
	  "relaywarden.conf:3: option 'require_tls' in relay 's': not a boolean", NULL },
	{ "bad sender_login mode", "relay \"s\" {\n\ttype = sasl\n\tsender_login = off\n}\n", { 0 },
	  "relaywarden.conf:3: option 'sender_login' in relay 's': 'off' is not one of: enforce, "
	  "any", NULL },
	{ "bad domain", "local_domains = { \"example.test\", \"exa mple.test\" }\n", { 0 },
	  "relaywarden.conf:1: option 'local_domains': bad domain 'exa mple.test'", NULL },
	{ "bad relay domain", "relay_domains = { \"a..b\" }\n", { 0 },
	  "relaywarden.conf:1: option 'relay_domains': bad domain 'a..b'", NULL },
	{ "bad sender", "sender_login \"alice\" {\n\tsenders = { \"alice@\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'senders' in sender_login 'alice': bad sender 'alice@'",
	  NULL },
	{ "login without senders", "sender_login \"alice\" {\n}\n", { 0 },
	  "relaywarden.conf:", "option 'senders' in sender_login 'alice': no senders" },
	{ "socket_mode not octal", "policyd {\n\tsocket_mode = \"0990\"\n}\n", { 0 },
	  "relaywarden.conf:2: option 'socket_mode' in policyd: '0990': expected an octal mode",
	  NULL },
	{ "socket_mode too wide", "policyd {\n\tsocket_mode = \"1777\"\n}\n", { 0 },
	  "relaywarden.conf:2: option 'socket_mode' in policyd: '1777'", NULL },
	{ "max_connections 0", "policyd {\n\tmax_connections = 0\n}\n", { 0 },
	  "relaywarden.conf:2: option 'max_connections' in policyd: 0 is out of range 1-1000000",
	  NULL },
	{ "idle_timeout too long", "policyd {\n\tidle_timeout = 86401\n}\n", { 0 },
	  "relaywarden.conf:2: option 'idle_timeout' in policyd: 86401 is out of range 1-86400",
	  NULL },
	{ "line longer than request", "policyd {\n\tmax_line_length = 8192\n"
	  "\tmax_request_size = 4096\n}\n", { 0 },
	  "relaywarden.conf:2: option 'max_line_length' in policyd: 8192 is larger than "
	  "max_request_size", NULL },
	{ "bad facility", "log {\n\tfacility = local8\n}\n", { 0 },
	  "relaywarden.conf:2: option 'facility' in log: 'local8' is not one of", NULL },
	{ "bad log target", "log {\n\ttarget = file\n}\n", { 0 },
	  "relaywarden.conf:2: option 'target' in log: 'file' is not one of: syslog, stderr", NULL },
	{ "instance with a space", "instance = \"mx 1\"\n", { 0 },
	  "relaywarden.conf:1: option 'instance': 'mx 1'", NULL },
	{ "keyword of checks.spf, not of the spf section", "checks {\n\tspf = reject\n}\n", { 0 },
	  "relaywarden.conf:2: option 'spf' in checks: 'reject' is not one of: off, shadow, enforce",
	  NULL },
	{ "empty dkim_key_file (only audit file names may be empty)",
	  "audit {\n\tfile = \"\"\n}\nchecks {\n\tdkim_key_file = \"\"\n}\n", { 0 },
	  "relaywarden.conf:5: option 'dkim_key_file' in checks: empty file name", NULL },
	{ "empty file name", "sender_login_files = { \"\" }\n", { 0 },
	  "relaywarden.conf:1: option 'sender_login_files': empty file name", NULL },
	{ "append to a scalar", "instance += \"a\"\n", { 0 },
	  "relaywarden.conf:1: option 'instance': '+=' on an option that is not a list", NULL },
};

/* test_bad_configs - every broken config fails with its exact prefix */
static void test_bad_configs(void **state)
{
	(void)state;
	run_bad_cases(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* test_missing_main_file - the file itself is named */
static void test_missing_main_file(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	assert_null(config_load("/nonexistent/relaywarden.conf", &err));
	assert_string_equal(err.data, "/nonexistent/relaywarden.conf: cannot read: "
			    "No such file or directory");
	buf_release(&err);
}

/* test_empty_file - valid: default deny, every default filled in */
static void test_empty_file(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text("", NULL, &err);
	char host[256] = "";

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->policy->n_rules, 0);
	assert_int_equal(domainset_size(c->policy->local_domains), 0);
	assert_int_equal(domainset_size(c->policy->relay_domains), 0);
	assert_int_equal(sender_login_size(c->policy->sender_login), 0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_string_equal(c->instance_name, host);
	assert_int_equal(c->policyd.listen.n, 1);
	assert_string_equal(c->policyd.listen.v[0], "inet:127.0.0.1:10040");
	assert_int_equal(c->policyd.socket_mode, 0660);
	assert_int_equal(c->policyd.max_connections, 10000);
	assert_int_equal(c->policyd.idle_timeout, 330);
	assert_int_equal(c->policyd.request_timeout, 10);
	assert_int_equal(c->policyd.max_line_length, 4096);
	assert_int_equal(c->policyd.max_attributes, 100);
	assert_int_equal(c->policyd.max_request_size, 65536);
	assert_null(c->audit.file);
	assert_false(c->audit.syslog);	/* the records' JSON only when asked (cheap default) */
	assert_false(c->audit.fsync);
	assert_int_equal(c->log.target, LOG_TO_SYSLOG);
	assert_int_equal(c->log.facility, LOG_MAIL);
	assert_false(c->log.debug);
	assert_false(c->log.decisions);
	assert_null(c->milter.metrics);
	assert_int_equal(strspn(c->digest, "0123456789abcdef"), 64);
	assert_string_not_equal(c->digest,	/* not the SHA-256 of the file's bytes */
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	config_unref(&c);
	buf_release(&err);
}

/* ip - parse or fail */
static struct rw_ip ip(const char *s)
{
	struct rw_ip a;

	assert_int_equal(cidr_parse_ip(s, &a), 0);
	return a;
}

/* test_example_config - deploy/relaywarden.conf (the packaged conffile) relays nothing */
static void test_example_config(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = config_load(TEST_SRCDIR "/../deploy/relaywarden.conf", &err);

	(void)state;
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_int_equal(c->policy->n_rules, 0);
	assert_null(domainset_match(c->policy->local_domains, "example.com"));
	assert_int_equal(c->policyd.listen.n, 1);
	assert_string_equal(c->policyd.listen.v[0],
			    "unix:/var/spool/postfix/relaywarden/policyd.sock");
	assert_string_equal(c->milter.listen, "unix:/var/spool/postfix/relaywarden/milter.sock");
	assert_int_equal(c->policyd.socket_mode, 0660);
	assert_int_equal(c->milter.socket_mode, 0660);
	assert_null(c->user);
	assert_string_equal(c->audit.file, "/var/log/relaywarden/audit.jsonl");
	assert_false(c->audit.syslog);
	config_unref(&c);
	buf_release(&err);
}

#define FILES_CONF TEST_SRCDIR "/data/config/files.conf"

/* test_files_config - tables from files, relative to the config's directory */
static void test_files_config(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c, *again;
	const struct rw_rule *r;
	struct rw_ip a;
	const char *e, *pat;
	char cwd[4096];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);	/* relative names must not follow the cwd */
	c = config_load(FILES_CONF, &err);
	assert_int_equal(chdir(cwd), 0);
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(c->instance_name, "mx2.example.test");
	assert_non_null(domainset_match(c->policy->local_domains, "a.example.test"));
	assert_non_null(domainset_match(c->policy->relay_domains, "backup.test"));
	assert_true(sender_login_owns(c->policy->sender_login, "alice", "x@alice.example", &e));
	assert_true(sender_login_owns(c->policy->sender_login, "BOB", "bob@example.test", &e));
	assert_true(sender_login_owns(c->policy->sender_login, "carol", "z@carol.test", &e));
	assert_false(sender_login_owns(c->policy->sender_login, "bob", "alice@example.test", &e));
	assert_int_equal(c->policy->n_rules, 3);
	r = &c->policy->rules[0];
	assert_int_equal(cidr_table_size(r->networks), 3);
	a = ip("127.0.0.2");
	assert_true(cidr_table_match(r->networks, &a, &pat));
	a = ip("192.0.2.9");
	assert_true(cidr_table_match(r->networks, &a, &pat));
	assert_string_equal(pat, "192.0.2.0/24");
	a = ip("127.0.0.3");
	assert_false(cidr_table_match(r->networks, &a, &pat));
	r = &c->policy->rules[1];
	assert_int_equal(r->n_fingerprints, 1);
	assert_int_equal(r->fingerprints[0].len, 20);
	assert_int_equal(r->n_pubkey_fingerprints, 1);
	assert_int_equal(r->pubkey_fingerprints[0].len, 32);
	assert_string_equal(r->subject, "mx.partner.test");
	assert_string_equal(r->issuer, "Partner CA");
	r = &c->policy->rules[2];
	assert_false(r->enforce_sender_login);
	assert_false(r->require_tls);
	assert_int_equal(r->n_ports, 2);
	assert_int_equal(r->ports[1], 465);
	assert_int_equal(c->policyd.listen.n, 2);
	assert_int_equal(c->policyd.socket_mode, 0600);
	assert_string_equal(c->audit.file, TEST_SRCDIR "/data/config/audit.jsonl");
	assert_true(c->audit.fsync);
	assert_int_equal(c->log.target, LOG_TO_STDERR);
	assert_int_equal(c->log.facility, LOG_LOCAL3);
	assert_true(c->log.debug);
	/* the digest does not follow the working directory (test_config_digest) */
	again = config_load(FILES_CONF, &err);
	assert_non_null(again);
	assert_string_equal(again->digest, c->digest);
	config_unref(&again);
	config_unref(&c);
	buf_release(&err);
}

/* test_dump - counts of file entries, the digest, and the dump loads again */
static void test_dump(void **state)
{
	struct buf err = BUF_INIT, out = BUF_INIT, again_err = BUF_INIT, line = BUF_INIT;
	struct rw_config *c, *again;
	struct tdir d;

	(void)state;
	c = config_load(FILES_CONF, &err);
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	config_dump(c, &out);
	buf_truncate(&line, 0);
	buf_printf(&line, "# digest sha256:%s\n", c->digest);
	assert_non_null(strstr(out.data, line.data));
	assert_non_null(strstr(out.data, "networks = { \"127.0.0.2/32\" }  # + 2 from "));
	assert_non_null(strstr(out.data, "office.cidr\n"));
	assert_non_null(strstr(out.data, "pubkey_fingerprints = { }  # + 1 from "));
	assert_non_null(strstr(out.data, "# 2 from "));	/* two logins in the file */
	assert_non_null(strstr(out.data, "sender_login = any\n"));
	assert_non_null(strstr(out.data, "socket_mode = \"0600\"\n"));
	assert_non_null(strstr(out.data, "facility = local3\n"));
	/* the dump is a config with the same meaning (file names are absolute) */
	tdir_make(&d, (const struct tfile[]){ { "dump.conf", out.data } }, 1);
	again = config_load(d.files.v[0], &again_err);
	if (again == NULL)
		fail_msg("dump does not load: %s\n%s", buf_cstr(&again_err), out.data);
	assert_int_equal(again->policy->n_rules, c->policy->n_rules);
	assert_int_equal(cidr_table_size(again->policy->rules[0].networks), 3);
	assert_int_equal(again->policy->rules[1].n_pubkey_fingerprints, 1);
	assert_int_equal(sender_login_size(again->policy->sender_login),
			 sender_login_size(c->policy->sender_login));
	assert_int_equal(again->policyd.socket_mode, 0600);
	assert_string_equal(again->audit.file, c->audit.file);
	config_unref(&again);
	config_unref(&c);
	tdir_remove(&d);
	buf_release(&err);
	buf_release(&out);
	buf_release(&again_err);
	buf_release(&line);
}

/* test_refcount - the snapshot lives until its last reference */
static void test_refcount(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text("instance = \"x\"\n", NULL, &err), *c2;

	(void)state;
	assert_non_null(c);
	c2 = config_ref(c);
	assert_ptr_equal(c, c2);
	assert_int_equal(c->refs, 2);
	config_unref(&c);
	assert_null(c);
	assert_int_equal(c2->refs, 1);
	assert_string_equal(c2->instance_name, "x");
	config_unref(&c2);
	assert_null(c2);
	config_unref(&c2);	/* NULL: no-op */
	buf_release(&err);
}

/* reference_names - option names listed in schema/config-reference.md */
static void reference_names(struct strvec *out)
{
	FILE *f = fopen(TEST_SRCDIR "/../schema/config-reference.md", "r");
	char *line = NULL, section[64] = "";
	size_t cap = 0;

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		char *a, *b;

		if (strncmp(line, "## ", 3) == 0) {
			a = strchr(line, '`');
			b = a ? strchr(a + 1, '`') : NULL;
			section[0] = '\0';
			if (a != NULL && b != NULL && b - a - 1 < (long)sizeof(section))
				memcpy(section, a + 1, (size_t)(b - a - 1)), section[b - a - 1] = '\0';
		} else if (strncmp(line, "| `", 3) == 0 && (b = strchr(line + 3, '`')) != NULL) {
			*b = '\0';
			strvec_addf(out, "%s%s%s", section, *section ? "." : "", line + 3);
		}
	}
	free(line);
	fclose(f);
}

/* strvec_has - s is in v */
static int strvec_has(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

/* test_reference_agrees - every option documented, nothing documented that is not one */
static void test_reference_agrees(void **state)
{
	struct strvec table = STRVEC_INIT, doc = STRVEC_INIT;

	(void)state;
	config_option_names(&table);
	reference_names(&doc);
	assert_true(table.n > 30);
	for (size_t i = 0; i < table.n; i++)
		if (!strvec_has(&doc, table.v[i]))
			fail_msg("option '%s' is not in schema/config-reference.md", table.v[i]);
	for (size_t i = 0; i < doc.n; i++)
		if (!strvec_has(&table, doc.v[i]))
			fail_msg("schema/config-reference.md lists '%s', which is no option",
				 doc.v[i]);
	assert_int_equal(doc.n, table.n);
	strvec_release(&table);
	strvec_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_missing_main_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_files_config),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_reference_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
