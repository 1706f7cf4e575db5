/* test_dns - shared by the resolver's integration test files */
#ifndef RW_TEST_DNS_H
#define RW_TEST_DNS_H

#include "core/dns/dns.h"

extern unsigned test_port, test_hole, test_servfail;

/* new_resolver - a resolver whose only upstream is 127.0.0.1@port */
struct dns_resolver *new_resolver(unsigned port, unsigned timeout_ms, int tcp_only);

void test_threads(void **state);
void test_async_many(void **state);
void test_async_cancel(void **state);
void test_async_cancel_each_other(void **state);
void test_async_timeout(void **state);
void test_async_mixed_threads(void **state);

#endif
