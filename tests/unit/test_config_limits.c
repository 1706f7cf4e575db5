/*
 * test_config_limits - the rate-limit part of relaywarden.conf: limit,
 * quota, customer, customer_files, redis, timezone and charge_at. Broken
 * configs with the exact "file:line: option 'x'" each must produce; the
 * defaults; a config setting every option, checked through the compiled
 * policy, the customer map, the digest and a dump round trip.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config/config.h"
#include "core/limits/customers.h"
#include "core/limits/limits.h"
#include "core/util/mem.h"

#include "tests/unit/config_tdir.h"

#define FP20 "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"

/* the head of a limit: name and charge (line 1-2) */
#define LIM_HEAD "limit \"l\" {\n\tcharge = sasl_user\n"
/* a complete local limit, open: the next option is on line 6 */
#define LIM_OK LIM_HEAD "\tunit = messages\n\trate = \"10/1m\"\n\ton_store_failure = local\n"

static const struct bad_case bad_cases[] = {
	{ "limit: bad charge", "limit \"l\" {\n\tcharge = user\n}\n", { 0 },
	  "relaywarden.conf:2: option 'charge' in limit 'l': 'user' is not one of: sasl_user, "
	  "cert, client_address, client_prefix, network, customer, sender, sender_domain", NULL },
	{ "limit: missing charge", "limit \"l\" {\n\tunit = messages\n\trate = \"1/1s\"\n}\n",
	  { 0 }, "relaywarden.conf:", "option 'charge' in limit 'l': missing: what the limit "
	  "charges" },
	{ "limit: missing unit", LIM_HEAD "\trate = \"1/1s\"\n}\n", { 0 },
	  "relaywarden.conf:", "option 'unit' in limit 'l': missing" },
	{ "limit: bad unit", LIM_HEAD "\tunit = mails\n}\n", { 0 },
	  "relaywarden.conf:3: option 'unit' in limit 'l': 'mails' is not one of: messages, "
	  "recipients, bytes", NULL },
	{ "limit: missing rate", LIM_HEAD "\tunit = bytes\n}\n", { 0 },
	  "relaywarden.conf:", "option 'rate' in limit 'l': missing" },
	{ "limit: rate without period", LIM_HEAD "\tunit = bytes\n\trate = \"100\"\n}\n", { 0 },
	  "relaywarden.conf:4: option 'rate' in limit 'l': '100': expected N/DURATION", NULL },
	{ "limit: rate 0", LIM_HEAD "\tunit = bytes\n\trate = \"0/1h\"\n}\n", { 0 },
	  "relaywarden.conf:4: option 'rate' in limit 'l': '0/1h': expected N/DURATION", NULL },
	{ "limit: rate in weeks", LIM_HEAD "\tunit = bytes\n\trate = \"10/1w\"\n}\n", { 0 },
	  "relaywarden.conf:4: option 'rate' in limit 'l': '10/1w': expected a duration", NULL },
	{ "limit: rate period 0", LIM_HEAD "\tunit = bytes\n\trate = \"10/0s\"\n}\n", { 0 },
	  "relaywarden.conf:4: option 'rate' in limit 'l': '10/0s': expected a duration", NULL },
	{ "limit: rate period too long", LIM_HEAD "\tunit = bytes\n\trate = \"1/367d\"\n}\n",
	  { 0 }, "relaywarden.conf:4: option 'rate' in limit 'l': '1/367d': the period is longer "
	  "than 366 days", NULL },
	{ "limit: bad burst", LIM_HEAD "\tunit = bytes\n\trate = \"1/1d\"\n\tburst = 1X\n}\n",
	  { 0 }, "relaywarden.conf:5: option 'burst' in limit 'l': '1X': expected a number", NULL },
	{ "limit: burst 0", LIM_HEAD "\tunit = bytes\n\trate = \"1/1d\"\n\tburst = 0\n}\n",
	  { 0 }, "relaywarden.conf:5: option 'burst' in limit 'l': must be at least 1", NULL },
	{ "limit: burst too long", LIM_HEAD "\tunit = bytes\n\trate = \"1/366d\"\n"
	  "\tburst = 1000\n}\n", { 0 },
	  "relaywarden.conf:5: option 'burst' in limit 'l': burst x period / rate is over 31 "
	  "years", NULL },
	{ "limit: bad mode", LIM_HEAD "\tmode = dry-run\n}\n", { 0 },
	  "relaywarden.conf:3: option 'mode' in limit 'l': 'dry-run' is not one of: enforce, "
	  "shadow, off", NULL },
	{ "limit: bad reply", LIM_HEAD "\treply = soft\n}\n", { 0 },
	  "relaywarden.conf:3: option 'reply' in limit 'l': 'soft' is not one of: temporary, "
	  "permanent", NULL },
	{ "limit: bad on_store_failure", LIM_HEAD "\ton_store_failure = ignore\n}\n", { 0 },
	  "relaywarden.conf:3: option 'on_store_failure' in limit 'l': 'ignore' is not one of: "
	  "tempfail, accept, local", NULL },
	{ "limit: local_share without local", LIM_OK "\ton_store_failure = accept\n"
	  "\tlocal_share = 50\n}\nredis {\n\tservers = { \"127.0.0.1:6379\" }\n}\n", { 0 },
	  "relaywarden.conf:7: option 'local_share' in limit 'l': only with on_store_failure = "
	  "local", NULL },
	{ "limit: local_share 0", LIM_OK "\tlocal_share = 0\n}\n", { 0 },
	  "relaywarden.conf:6: option 'local_share' in limit 'l': 0 is out of range 1-100", NULL },
	{ "limit: prefix4 without client_prefix", LIM_OK "\tprefix4 = 16\n}\n", { 0 },
	  "relaywarden.conf:6: option 'prefix4' in limit 'l': only with charge = client_prefix",
	  NULL },
	{ "limit: prefix6 129", "limit \"l\" {\n\tcharge = client_prefix\n\tprefix6 = 129\n}\n",
	  { 0 }, "relaywarden.conf:3: option 'prefix6' in limit 'l': 129 is out of range 0-128",
	  NULL },
	{ "limit: bad name", "limit \"a b\" {\n\tcharge = sasl_user\n}\n", { 0 },
	  "relaywarden.conf:", " in limit 'a b': bad name: 1-64 characters" },
	{ "limit: no redis, tempfail", "limit \"l\" {\n\tcharge = sasl_user\n\tunit = messages\n"
	  "\trate = \"10/1m\"\n}\n", { 0 }, "relaywarden.conf:",
	  "option 'on_store_failure' in limit 'l': no redis servers or sentinels" },
	{ "limit: no redis, accept", LIM_HEAD "\tunit = messages\n\trate = \"10/1m\"\n"
	  "\ton_store_failure = accept\n}\n", { 0 }, "relaywarden.conf:5: option "
	  "'on_store_failure' in limit 'l': no redis servers or sentinels", NULL },
	{ "limit: twice", LIM_OK "}\n" LIM_OK "}\n", { 0 },
	  "relaywarden.conf:7: option 'limit': 'l' is defined twice", NULL },
	{ "quota: missing window", "quota \"q\" {\n\tcharge = customer\n\tmessages = 10\n}\n",
	  { 0 }, "relaywarden.conf:", "option 'window' in quota 'q': missing" },
	{ "quota: bad window", "quota \"q\" {\n\tcharge = customer\n\twindow = week\n}\n", { 0 },
	  "relaywarden.conf:3: option 'window' in quota 'q': 'week' is not one of: hour, day, "
	  "month", NULL },
	{ "quota: nothing capped", "quota \"q\" {\n\tcharge = customer\n\twindow = day\n}\n",
	  { 0 }, "relaywarden.conf:", " in quota 'q': a quota needs messages, recipients or bytes" },
	{ "quota: negative messages", "quota \"q\" {\n\tcharge = customer\n\tmessages = -1\n}\n",
	  { 0 }, "relaywarden.conf:3: option 'messages' in quota 'q': -1 is out of range", NULL },
	{ "quota: bad bytes", "quota \"q\" {\n\tcharge = customer\n\tbytes = 10X\n}\n", { 0 },
	  "relaywarden.conf:3: option 'bytes' in quota 'q': '10X': expected a number", NULL },
	{ "quota: bytes over 2^53", "quota \"q\" {\n\tcharge = customer\n"
	  "\tbytes = 9000000000G\n}\n", { 0 },
	  "relaywarden.conf:3: option 'bytes' in quota 'q': '9000000000G': larger than 2^53", NULL },
	{ "quota: same name as a limit", LIM_OK "}\nquota \"l\" {\n\tcharge = customer\n"
	  "\twindow = day\n\tmessages = 5\n\ton_store_failure = local\n}\n", { 0 },
	  "relaywarden.conf:", " in quota 'l': a limit has the same name" },
	{ "quota: no redis", "quota \"q\" {\n\tcharge = customer\n\twindow = day\n"
	  "\tmessages = 5\n}\n", { 0 }, "relaywarden.conf:",
	  "option 'on_store_failure' in quota 'q': no redis servers" },
	{ "timezone: unknown", "timezone = \"Mars/Olympus_Mons\"\n", { 0 },
	  "relaywarden.conf:1: option 'timezone': 'Mars/Olympus_Mons': unknown time zone", NULL },
	{ "timezone: dot-dot", "timezone = \"../../etc/passwd\"\n", { 0 },
	  "relaywarden.conf:1: option 'timezone': '../../etc/passwd': not a time zone name", NULL },
	{ "timezone: absolute", "timezone = \"/etc/localtime\"\n", { 0 },
	  "relaywarden.conf:1: option 'timezone': '/etc/localtime': not a time zone name", NULL },
	{ "timezone: a directory", "timezone = \"Europe\"\n", { 0 },
	  "relaywarden.conf:1: option 'timezone': 'Europe': unknown time zone", NULL },
	{ "charge_at: bad", "charge_at = postfix\n", { 0 },
	  "relaywarden.conf:1: option 'charge_at': 'postfix' is not one of: policyd, milter", NULL },
	{ "customer: bad id", "customer \"a:b\" {\n\tusers = { \"x\" }\n}\n", { 0 },
	  "relaywarden.conf:", " in customer 'a:b': bad id: a customer id is 1-64 characters" },
	{ "customer: maps nothing", "customer \"acme\" {\n}\n", { 0 },
	  "relaywarden.conf:", " in customer 'acme': maps nothing" },
	{ "customer: user of two customers", "customer \"a\" {\n\tusers = { \"Alice\" }\n}\n"
	  "customer \"b\" {\n\tusers = { \"x\",\n\t\"alice\" }\n}\n", { 0 },
	  "relaywarden.conf:6: option 'users' in customer 'b': 'alice' already belongs to "
	  "customer 'a'", NULL },
	{ "customer: bad network", "customer \"a\" {\n\tnetworks = { \"192.0.2.1/24\" }\n}\n",
	  { 0 }, "relaywarden.conf:2: option 'networks' in customer 'a': bad CIDR", NULL },
	{ "customer: bad domain", "customer \"a\" {\n\tsender_domains = { \"a..b\" }\n}\n",
	  { 0 }, "relaywarden.conf:2: option 'sender_domains' in customer 'a': bad domain", NULL },
	{ "customer: bad fingerprint", "customer \"a\" {\n\tfingerprints = { \"AB\" }\n}\n",
	  { 0 }, "relaywarden.conf:2: option 'fingerprints' in customer 'a': bad fingerprint",
	  NULL },
	{ "customer file: bad kind", "customer_files = { \"customers\" }\n",
	  { "customers", "# x\nacme user:alice\nacme mail:bob@acme.test\n" },
	  "customers:3: option 'customer_files': customer 'acme': 'mail:bob@acme.test': expected "
	  "user:LOGIN", NULL },
	{ "customer file: no value", "customer_files = { \"customers\" }\n",
	  { "customers", "acme\n" },
	  "customers:1: option 'customer_files': customer 'acme': expected ID KIND:VALUE", NULL },
	{ "customer file: two values", "customer_files = { \"customers\" }\n",
	  { "customers", "acme user:a user:b\n" },
	  "customers:1: option 'customer_files': unexpected 'user:b' after the mapping", NULL },
	{ "customer file: bad id", "customer_files = { \"customers\" }\n",
	  { "customers", "\n{acme} user:a\n" },
	  "customers:2: option 'customer_files': customer '{acme}': 'user:a': a customer id", NULL },
	{ "customer file: conflict with a section", "customer \"a\" {\n\tsender_domains = "
	  "{ \"a.test\" }\n}\ncustomer_files = { \"customers\" }\n",
	  { "customers", "b domain:A.test\n" },
	  "customers:1: option 'customer_files': customer 'b': 'domain:A.test' already belongs "
	  "to customer 'a'", NULL },
	{ "redis: servers and sentinels", "redis {\n\tservers = { \"127.0.0.1:6379\" }\n"
	  "\tsentinels = { \"127.0.0.1:26379\" }\n\tmaster_name = \"m\"\n}\n", { 0 },
	  "relaywarden.conf:3: option 'sentinels' in redis: give servers or sentinels, not both",
	  NULL },
	{ "redis: sentinels without master_name", "redis {\n"
	  "\tsentinels = { \"127.0.0.1:26379\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'sentinels' in redis: sentinels need master_name", NULL },
	{ "redis: master_name without sentinels", "redis {\n\tmaster_name = \"m\"\n}\n", { 0 },
	  "relaywarden.conf:2: option 'master_name' in redis: only with sentinels", NULL },
	{ "redis: server without port", "redis {\n\tservers = { \"localhost\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'servers' in redis: bad address 'localhost'", NULL },
	{ "redis: v6 server without brackets", "redis {\n\tservers = { \"::1:6379\" }\n}\n",
	  { 0 }, "relaywarden.conf:2: option 'servers' in redis: bad address '::1:6379'", NULL },
	{ "redis: relative unix server", "redis {\n\tservers = { \"unix:redis.sock\" }\n}\n",
	  { 0 }, "relaywarden.conf:2: option 'servers' in redis: bad address 'unix:redis.sock': "
	  "a unix socket path must be absolute", NULL },
	{ "redis: unix sentinel", "redis {\n\tsentinels = { \"unix:/run/s.sock\" }\n}\n", { 0 },
	  "relaywarden.conf:2: option 'sentinels' in redis: bad address 'unix:/run/s.sock'", NULL },
	{ "redis: timeout_ms 0", "redis {\n\ttimeout_ms = 0\n}\n", { 0 },
	  "relaywarden.conf:2: option 'timeout_ms' in redis: 0 is out of range 1-5000", NULL },
	{ "redis: timeout_ms 5001", "redis {\n\ttimeout_ms = 5001\n}\n", { 0 },
	  "relaywarden.conf:2: option 'timeout_ms' in redis: 5001 is out of range 1-5000", NULL },
	{ "redis: connections 65", "redis {\n\tconnections = 65\n}\n", { 0 },
	  "relaywarden.conf:2: option 'connections' in redis: 65 is out of range 1-64", NULL },
	{ "redis: connect_timeout_ms 0", "redis {\n\tconnect_timeout_ms = 0\n}\n", { 0 },
	  "relaywarden.conf:2: option 'connect_timeout_ms' in redis: 0 is out of range", NULL },
	{ "redis: database -1", "redis {\n\tdatabase = -1\n}\n", { 0 },
	  "relaywarden.conf:2: option 'database' in redis: -1 is out of range 0-1023", NULL },
	{ "redis: empty password", "redis {\n\tpassword = \"\"\n}\n", { 0 },
	  "relaywarden.conf:2: option 'password' in redis: empty value", NULL },
};

/* test_bad_configs - every broken config fails with its exact prefix */
static void test_bad_configs(void **state)
{
	(void)state;
	run_bad_cases(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* test_defaults - an empty file: no limits, UTC, policyd charges, redis defaults */
static void test_defaults(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text("", NULL, &err);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->policy->timezone, "UTC");
	assert_int_equal(c->policy->charge_at, CHARGE_AT_POLICYD);
	assert_int_equal(c->policy->n_limits, 0);
	assert_int_equal(customers_size(c->policy->customers), 0);
	assert_int_equal(c->redis.servers.n + c->redis.sentinels.n, 0);
	assert_null(c->redis.master_name);
	assert_null(c->redis.password);
	assert_int_equal(c->redis.database, 0);
	assert_int_equal(c->redis.timeout_ms, 50);
	assert_int_equal(c->redis.connect_timeout_ms, 200);
	assert_int_equal(c->redis.connections, 2);
	config_unref(&c);
	buf_release(&err);
}

/* test_local_limits - without redis, local limits (and off ones) load */
static void test_local_limits(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = load_text(LIM_OK "}\nlimit \"o\" {\n\tcharge = cert\n"
					"\tunit = bytes\n\trate = \"1G/1d\"\n\tmode = off\n}\n",
					NULL, &err);

	(void)state;
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_int_equal(c->policy->n_limits, 2);
	assert_int_equal(c->policy->limits[0].on_failure, FAIL_LOCAL);
	assert_int_equal(c->policy->limits[0].period_s, 60);
	assert_int_equal(c->policy->limits[1].rate, UINT64_C(1) << 30);
	assert_int_equal(c->policy->limits[1].mode, MODE_OFF);
	config_unref(&c);
	buf_release(&err);
}

#define LIMITS_CONF TEST_SRCDIR "/data/config/limits.conf"

/* check_limits - what limits.conf compiles to (also after a dump round trip) */
static void check_limits(const struct rw_config *c)
{
	const struct rw_policy *p = c->policy;
	const struct rw_limit *l = p->limits;
	const char *via;

	assert_string_equal(p->timezone, "Europe/Berlin");
	assert_int_equal(p->charge_at, CHARGE_AT_MILTER);
	assert_int_equal(p->n_limits, 5);
	assert_string_equal(l[0].name, "user-msgs");
	assert_int_equal(l[0].kind, LIMIT_RATE);
	assert_int_equal(l[0].charge, CHARGE_SASL_USER);
	assert_int_equal(l[0].unit, UNIT_MESSAGES);
	assert_int_equal(l[0].rate, 100);
	assert_int_equal(l[0].period_s, 3600);
	assert_int_equal(l[0].burst, 20);
	assert_int_equal(l[0].mode, MODE_ENFORCE);
	assert_false(l[0].permanent);
	assert_int_equal(l[0].on_failure, FAIL_TEMPFAIL);
	assert_int_equal(l[0].local_share, 100);
	assert_int_equal(l[0].prefix4, 24);
	assert_int_equal(l[1].charge, CHARGE_CLIENT_PREFIX);
	assert_int_equal(l[1].prefix4, 22);
	assert_int_equal(l[1].prefix6, 56);
	assert_int_equal(l[1].unit, UNIT_BYTES);
	assert_int_equal(l[1].rate, 500u << 20);
	assert_int_equal(l[1].period_s, 86400);
	assert_int_equal(l[1].burst, 50u << 20);
	assert_int_equal(l[1].mode, MODE_SHADOW);
	assert_true(l[1].permanent);
	assert_int_equal(l[1].on_failure, FAIL_LOCAL);
	assert_int_equal(l[1].local_share, 50);
	assert_int_equal(l[2].charge, CHARGE_SENDER_DOMAIN);
	assert_int_equal(l[2].unit, UNIT_RECIPIENTS);
	assert_int_equal(l[2].period_s, 30);
	assert_int_equal(l[2].burst, 10);	/* default: the rate's N */
	assert_int_equal(l[2].mode, MODE_OFF);
	assert_int_equal(l[2].on_failure, FAIL_ACCEPT);
	assert_string_equal(l[3].name, "customer-day");
	assert_int_equal(l[3].kind, LIMIT_QUOTA);
	assert_int_equal(l[3].charge, CHARGE_CUSTOMER);
	assert_int_equal(l[3].window, WINDOW_DAY);
	assert_int_equal(l[3].max_messages, 10000);
	assert_int_equal(l[3].max_recipients, 50000);
	assert_int_equal(l[3].max_bytes, UINT64_C(2) << 30);
	assert_int_equal(l[4].charge, CHARGE_NETWORK);
	assert_int_equal(l[4].window, WINDOW_MONTH);
	assert_int_equal(l[4].max_messages, 0);
	assert_int_equal(l[4].max_recipients, 1000000);
	assert_true(l[4].permanent);
	assert_int_equal(customers_count(p->customers), 3);
	assert_string_equal(customers_lookup(p->customers, &(struct rw_txn){
		.sasl_username = "ALICE@example.test" }, &via), "acme");
	assert_string_equal(customers_lookup(p->customers, &(struct rw_txn){
		.sender = "x@beta.test" }, &via), "beta");
	assert_string_equal(via, "sender_domain");
	assert_string_equal(customers_lookup(p->customers, &(struct rw_txn){
		.client_address = "2001:db8:be7a::1" }, &via), "beta");
	assert_string_equal(customers_lookup(p->customers, &(struct rw_txn){
		.cert_fingerprint = FP20 }, &via), "gamma");
	assert_int_equal(c->redis.servers.n, 0);
	assert_int_equal(c->redis.sentinels.n, 2);
	assert_string_equal(c->redis.sentinels.v[1], "[::1]:26380");
	assert_string_equal(c->redis.master_name, "mymaster");
	assert_int_equal(c->redis.database, 3);
	assert_int_equal(c->redis.timeout_ms, 40);
	assert_int_equal(c->redis.connect_timeout_ms, 250);
	assert_int_equal(c->redis.connections, 4);
}

/* test_limits_config - every limit, quota, customer and redis option */
static void test_limits_config(void **state)
{
	struct buf err = BUF_INIT;
	struct rw_config *c = config_load(LIMITS_CONF, &err);

	(void)state;
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	check_limits(c);
	assert_string_equal(c->redis.password, "s3cret-pw");
	config_unref(&c);
	buf_release(&err);
}

/* test_limits_dump - the dump shows every setting, hides the password, loads again */
static void test_limits_dump(void **state)
{
	struct buf err = BUF_INIT, out = BUF_INIT, again_err = BUF_INIT;
	struct rw_config *c = config_load(LIMITS_CONF, &err), *again;
	struct tdir d;

	(void)state;
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	config_dump(c, &out);
	assert_null(strstr(out.data, "s3cret"));
	assert_non_null(strstr(out.data, "# password = (set, not shown)\n"));
	assert_non_null(strstr(out.data, "timezone = \"Europe/Berlin\"\ncharge_at = milter\n"));
	assert_non_null(strstr(out.data, "limit \"user-msgs\" {\n\tcharge = sasl_user\n"
			       "\tunit = messages\n\trate = \"100/1h\"\n\tburst = 20\n"));
	assert_non_null(strstr(out.data, "\trate = \"524288000/1d\"\n\tburst = 52428800\n"));
	assert_non_null(strstr(out.data, "\tprefix4 = 22\n\tprefix6 = 56\n"));
	assert_non_null(strstr(out.data, "\trate = \"10/30s\"\n"));
	assert_non_null(strstr(out.data, "\tlocal_share = 50\n"));
	assert_non_null(strstr(out.data, "quota \"customer-day\" {\n\tcharge = customer\n"
			       "\twindow = day\n\tmessages = 10000\n\trecipients = 50000\n"
			       "\tbytes = 2147483648\n"));
	assert_non_null(strstr(out.data, "customers\" }  # 4 from "));
	assert_non_null(strstr(out.data, "users = { \"Alice@Example.TEST\", \"bob\" }"));
	assert_non_null(strstr(out.data, "master_name = \"mymaster\"\n"));
	tdir_make(&d, (const struct tfile[]){ { "dump.conf", out.data } }, 1);
	again = config_load(d.files.v[0], &again_err);
	if (again == NULL)
		fail_msg("dump does not load: %s\n%s", buf_cstr(&again_err), out.data);
	check_limits(again);
	assert_null(again->redis.password);
	config_unref(&again);
	config_unref(&c);
	tdir_remove(&d);
	buf_release(&err);
	buf_release(&out);
	buf_release(&again_err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_local_limits),
		cmocka_unit_test(test_limits_config),
		cmocka_unit_test(test_limits_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
