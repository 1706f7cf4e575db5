/*
 * fuzz_dns_answer - the DNS rdata parser and query-name encoder over
 * arbitrary bytes.
 *
 * Input: octet 0 picks the type (A, AAAA, TXT, MX, PTR, SPF, by its value
 * modulo 6); the rest is a sequence of records, each a 2-octet big-endian
 * length and that many octets (the last one takes what is left). The same
 * bytes, up to the first NUL, are also given to dns_name_to_query.
 * Checks:
 *  - the status is NODATA exactly for no records, else OK or SERVFAIL; a
 *    SERVFAIL answer has no records; an OK one has n records;
 *  - TXT: the strings fit in their rdata and each is followed by a NUL;
 *  - names (MX, PTR) have no upper-case ASCII, no empty label, no
 *    trailing dot, at most 253 characters;
 *  - A/AAAA: the family matches the type;
 *  - an encoded query name holds only [A-Za-z0-9_.\-] and \DDD escapes.
 * The whole input is also a DNS message for dns_packet_answer (type picked
 * by octet 0 as above, question name not checked, then checked against
 * "null.example.com"): an answer that is not OK has no records; an OK
 * one's records obey the rules above (TXT strings NUL-terminated).
 * Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_RR 64

static const enum dns_type fuzz_types[] = {
	DNS_T_A, DNS_T_AAAA, DNS_T_TXT, DNS_T_MX, DNS_T_PTR, DNS_T_SPF,
};

/* fuzz_check - abort unless cond */
static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* fuzz_name_ok - a returned name obeys the contract */
static void fuzz_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	fuzz_check(len <= 253);
	if (len == 0)
		return;
	fuzz_check(name[0] != '.' && name[len - 1] != '.' && strstr(name, "..") == NULL);
	for (i = 0; i < len; i++)
		fuzz_check(name[i] < 'A' || name[i] > 'Z');
}

/* fuzz_records - check the records of an OK answer */
static void fuzz_records(const struct dns_answer *a, const int *lens)
{
	size_t k, j;

	for (k = 0; k < a->n; k++) {
		switch (a->type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			fuzz_check(a->ip[k].family == (a->type == DNS_T_A ? 4 : 6));
			break;
		case DNS_T_TXT:
		case DNS_T_SPF: {
			size_t total = 0;

			for (j = 0; j < a->txt[k].n; j++) {
				total += a->txt[k].s[j].len + 1;
				fuzz_check(a->txt[k].s[j].data[a->txt[k].s[j].len] == '\0');
			}
			fuzz_check(total == (size_t)lens[k]);
			break;
		}
		case DNS_T_MX:
			fuzz_name_ok(a->mx[k].name);
			break;
		case DNS_T_PTR:
			fuzz_name_ok(a->name[k]);
			break;
		}
	}
}

/* fuzz_query_name - the encoder over the input as a string */
static void fuzz_query_name(const uint8_t *data, size_t size)
{
	char *s = rw_strndup((const char *)data, size);
	struct buf out = BUF_INIT;
	size_t i;

	if (dns_name_to_query(s, &out) == 0) {
		for (i = 0; i < out.len; i++) {
			char c = out.data[i];

			fuzz_check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || c == '-' || c == '_' ||
				   c == '.' || c == '\\');
		}
	}
	buf_release(&out);
	free(s);
}

/* fuzz_packet - the whole input as a DNS message */
static void fuzz_packet(enum dns_type type, const char *name, const uint8_t *data, size_t size)
{
	struct dns_answer *a = dns_packet_answer(type, name, data, size);
	size_t k, j;

	fuzz_check(a->type == type);
	if (a->status != DNS_OK)
		fuzz_check(a->n == 0 && !a->txt && !a->ip && !a->mx && !a->name);
	for (k = 0; a->status == DNS_OK && k < a->n; k++) {
		if (type == DNS_T_MX)
			fuzz_name_ok(a->mx[k].name);
		else if (type == DNS_T_PTR)
			fuzz_name_ok(a->name[k]);
		else if (type == DNS_T_TXT || type == DNS_T_SPF)
			for (j = 0; j < a->txt[k].n; j++)
				fuzz_check(a->txt[k].s[j].data[a->txt[k].s[j].len] == '\0');
		else
			fuzz_check(a->ip[k].family == (type == DNS_T_A ? 4 : 6));
	}
	dns_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rr[FUZZ_MAX_RR];
	int lens[FUZZ_MAX_RR];
	size_t n = 0, i = 1, k;
	struct dns_answer *a;
	enum dns_type type;

	if (size == 0)
		return 0;
	fuzz_query_name(data, size);
	type = fuzz_types[data[0] % 6];
	fuzz_packet(type, NULL, data, size);
	fuzz_packet(type, "null.example.com", data, size);
	while (i < size && n < FUZZ_MAX_RR) {
		size_t l = i + 2 <= size ? (size_t)data[i] << 8 | data[i + 1] : 0;

		i += 2;
		if (i > size || l > size - i)
			l = i < size ? size - i : 0;
		rr[n] = rw_malloc(l);	/* exact size: ASan sees overruns */
		memcpy(rr[n], data + (i < size ? i : size), l);
		lens[n++] = (int)l;
		i += l;
	}
	a = dns_answer_parse(type, rr, lens, n);
	fuzz_check(a->type == type);
	if (n == 0)
		fuzz_check(a->status == DNS_NODATA && a->n == 0);
	else if (a->status == DNS_SERVFAIL)
		fuzz_check(a->n == 0 && !a->txt && !a->ip && !a->mx && !a->name);
	else
		fuzz_check(a->status == DNS_OK && a->n == n);
	if (a->status == DNS_OK)
		fuzz_records(a, lens);
	dns_answer_free(&a);
	fuzz_check(a == NULL);
	for (k = 0; k < n; k++)
		free(rr[k]);
	return 0;
}
