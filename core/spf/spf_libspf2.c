/* spf_libspf2 - libspf2 behind the spf_check interface; see spf_libspf2.h */
#include "autoconfig.h"

#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>

#include "core/util/mem.h"
#include "core/spf/spf_libspf2.h"

static pthread_once_t spf2_once = PTHREAD_ONCE_INIT;
static __thread jmp_buf *spf2_jump;		/* the evaluation in progress */
static __thread char spf2_fatal[256];		/* its fatal error message */

/* spf2_on_error - libspf2's fatal error: leave the evaluation (never abort) */
static void __attribute__((noreturn)) spf2_on_error(const char *file, int line,
						   const char *msg)
{
	(void)file;
	(void)line;
	snprintf(spf2_fatal, sizeof(spf2_fatal), "libspf2: %s", msg != NULL ? msg : "error");
	if (spf2_jump != NULL)
		longjmp(*spf2_jump, 1);
	abort();	/* libspf2 called outside spf_libspf2_check: cannot happen */
}

/* spf2_on_message - warnings, info, debug: dropped (libspf2 would print them) */
static void spf2_on_message(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* spf2_handlers - ours instead of libspf2's printing ones */
static void spf2_handlers(void)
{
	SPF_error_handler = spf2_on_error;
	SPF_warning_handler = spf2_on_message;
	SPF_info_handler = spf2_on_message;
	SPF_debug_handler = spf2_on_message;
}

/* spf2_herrno - our status as the h_errno libspf2 expects */
static SPF_dns_stat_t spf2_herrno(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NODATA:
		return NO_DATA;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	default:
		return TRY_AGAIN;
	}
}

/* spf2_put_str - one string record */
static int spf2_put_str(SPF_dns_rr_t *rr, int i, const char *s, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, i, len + 1) != SPF_E_SUCCESS)
		return -1;
	memcpy(rr->rr[i]->txt, s, len);
	rr->rr[i]->txt[len] = '\0';
	return 0;
}

/* spf2_put_txt - one TXT record: its strings glued, cut at a NUL as libspf2 does */
static int spf2_put_txt(SPF_dns_rr_t *rr, int i, const struct dns_txt *t)
{
	size_t len = 0;
	char *s;
	int rc;

	for (size_t k = 0; k < t->n; k++)
		len += t->s[k].len;
	s = rw_malloc(len + 1);
	len = 0;
	for (size_t k = 0; k < t->n; k++) {
		memcpy(s + len, t->s[k].data, t->s[k].len);
		len += t->s[k].len;
	}
	s[len] = '\0';
	rc = spf2_put_str(rr, i, s, strlen(s));
	free(s);
	return rc;
}

/* spf2_put - record i of a into rr */
static int spf2_put(SPF_dns_rr_t *rr, int i, const struct dns_answer *a)
{
	switch (a->type) {
	case DNS_T_A:
		if (SPF_dns_rr_buf_realloc(rr, i, sizeof(struct in_addr)) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[i]->a, a->ip[i].b, 4);
		return 0;
	case DNS_T_AAAA:
		if (SPF_dns_rr_buf_realloc(rr, i, sizeof(struct in6_addr)) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[i]->aaaa, a->ip[i].b, 16);
		return 0;
	case DNS_T_MX:
		return spf2_put_str(rr, i, a->mx[i].name, strlen(a->mx[i].name));
	case DNS_T_PTR:
		return spf2_put_str(rr, i, a->name[i], strlen(a->name[i]));
	default:
		return spf2_put_txt(rr, i, &a->txt[i]);
	}
}

/* spf2_lookup - libspf2's DNS layer over env->query */
static SPF_dns_rr_t *spf2_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
				 int should_cache)
{
	const struct spf_env *env = layer->hook;
	struct dns_answer *a;
	SPF_dns_rr_t *rr;

	(void)should_cache;
	a = env->query(env->ctx, domain, (enum dns_type)type);
	rr = SPF_dns_rr_new_init(layer, domain, type, 300, spf2_herrno(a->status));
	if (rr != NULL && a->status == DNS_OK) {
		for (size_t i = 0; i < a->n; i++) {
			if (spf2_put(rr, (int)i, a) < 0)
				break;
			rr->num_rr = (int)i + 1;
		}
	}
	env->release(env->ctx, a);
	return rr;
}

/* spf2_result - libspf2's result as ours */
static enum spf_result spf2_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:
		return SPF_NEUTRAL;
	case SPF_RESULT_PASS:
		return SPF_PASS;
	case SPF_RESULT_FAIL:
		return SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPF_SOFTFAIL;
	case SPF_RESULT_NONE:
		return SPF_NONE;
	case SPF_RESULT_TEMPERROR:
		return SPF_TEMPERROR;
	default:
		return SPF_PERMERROR;
	}
}

/* spf2_printable - s with everything but printable ASCII dropped, into b */
static void spf2_printable(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s >= 0x20 && *s < 0x7f)
			buf_putc(b, *s);
}

/* spf2_outcome - the response into out */
static void spf2_outcome(SPF_response_t *rp, struct spf_outcome *out)
{
	out->result = spf2_result(SPF_response_result(rp));
	if (out->result == SPF_FAIL)
		spf2_printable(&out->explanation, SPF_response_get_explanation(rp));
	for (int i = 0; i < SPF_response_messages(rp) && out->problem.len == 0; i++)
		spf2_printable(&out->problem, SPF_error_message(SPF_response_message(rp, i)));
}

/* spf2_request - the request's address and identities into sr; -1 if refused */
static int spf2_request(SPF_request_t *sr, const struct spf_request *req, struct buf *from)
{
	char ip[INET6_ADDRSTRLEN];
	SPF_errcode_t e;

	inet_ntop(req->ip.family == 4 ? AF_INET : AF_INET6, req->ip.b, ip, sizeof(ip));
	e = req->ip.family == 4 ? SPF_request_set_ipv4_str(sr, ip) : SPF_request_set_ipv6_str(sr, ip);
	if (e != SPF_E_SUCCESS || SPF_request_set_helo_dom(sr, req->helo) != SPF_E_SUCCESS)
		return -1;
	if (*req->sender != '\0')
		buf_puts(from, req->sender);
	else
		buf_printf(from, "postmaster@%s", req->helo);
	return SPF_request_set_env_from(sr, buf_cstr(from)) == 0 ? 0 : -1;
}

/* spf2_domain - the identity's domain, for out->domain */
static void spf2_domain(const struct spf_request *req, struct spf_outcome *out)
{
	const char *at = strrchr(req->sender, '@');

	buf_puts(&out->domain, *req->sender == '\0' ? req->helo : at ? at + 1 : req->sender);
}

/* spf2_run - one evaluation (inside the jump) */
static void spf2_run(const struct spf_env *env, const struct spf_request *req,
		     struct spf_outcome *out)
{
	SPF_dns_server_t layer = { .lookup = spf2_lookup, .name = "relaywarden",
				   .hook = (void *)env };
	SPF_server_t *server = SPF_server_new_dns(&layer, 0);
	SPF_request_t *sr = server != NULL ? SPF_request_new(server) : NULL;
	SPF_response_t *rp = NULL;
	struct buf from = BUF_INIT;

	if (server != NULL && req->receiver != NULL)
		SPF_server_set_rec_dom(server, req->receiver);
	if (sr == NULL || spf2_request(sr, req, &from) < 0) {
		out->result = SPF_PERMERROR;
		buf_puts(&out->problem, "libspf2 refused the request");
	} else {
		SPF_request_query_mailfrom(sr, &rp);
		if (rp != NULL)
			spf2_outcome(rp, out);
		else
			out->result = SPF_TEMPERROR;
	}
	if (rp != NULL)
		SPF_response_free(rp);
	if (sr != NULL)
		SPF_request_free(sr);
	if (server != NULL)
		SPF_server_free(server);
	buf_release(&from);
}

/* spf_libspf2_check - see spf_libspf2.h */
void spf_libspf2_check(const struct spf_env *env, const struct spf_request *req,
		       struct spf_outcome *out)
{
	jmp_buf jump;

	pthread_once(&spf2_once, spf2_handlers);
	spf2_domain(req, out);
	spf2_jump = &jump;
	if (setjmp(jump) == 0) {
		spf2_run(env, req, out);
	} else {
		out->result = SPF_TEMPERROR;
		buf_truncate(&out->problem, 0);
		buf_puts(&out->problem, spf2_fatal);
	}
	spf2_jump = NULL;
}
