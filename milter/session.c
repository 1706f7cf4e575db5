/* session - per-connection and per-message contexts; see session.h */
#include "autoconfig.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "milter/eom.h"
#include "core/util/xtext.h"
#include "milter/session.h"

/* the macros copied into the session, by field */
static const struct session_macro {
	const char *name;
	size_t off;
} session_macro_tab[] = {
	{ "{client_addr}", offsetof(struct session, client_addr) },
	{ "{daemon_name}", offsetof(struct session, daemon_name) },
	{ "{daemon_port}", offsetof(struct session, daemon_port) },
	{ "{tls_version}", offsetof(struct session, tls_version) },
	{ "{cipher}", offsetof(struct session, cipher) },
	{ "{cert_subject}", offsetof(struct session, cert_subject) },
	{ "{cert_issuer}", offsetof(struct session, cert_issuer) },
	{ "{verify}", offsetof(struct session, verify) },
	{ "{cert_md5}", offsetof(struct session, cert_md5) },
	{ "{cert_fp}", offsetof(struct session, cert_fp) },
	{ "{auth_authen}", offsetof(struct session, auth_authen) },
	{ "{auth_type}", offsetof(struct session, auth_type) },
	{ "v", offsetof(struct session, mta) },
};

static unsigned long session_seq;
static time_t session_epoch;

/* session_new - an empty session, id "START.SEQ" in hex */
struct session *session_new(void)
{
	struct session *s = rw_calloc(1, sizeof(*s));
	struct buf id = BUF_INIT;
	unsigned long n = __atomic_add_fetch(&session_seq, 1, __ATOMIC_RELAXED);
	time_t zero = 0, now = time(NULL);

	__atomic_compare_exchange_n(&session_epoch, &zero, now, 0, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	buf_printf(&id, "m%lx.%lx", (unsigned long)__atomic_load_n(&session_epoch,
								     __ATOMIC_RELAXED), n);
	s->id = buf_detach(&id);
	s->tcp_fd = -1;
	return s;
}

/* session_set - replace *field with a copy of value */
void session_set(char **field, const char *value)
{
	if (*field != NULL && value != NULL && strcmp(*field, value) == 0)
		return;
	free(*field);
	*field = value != NULL ? rw_strdup(value) : NULL;
}

/* session_addr - an envelope address argument without its angle brackets */
void session_addr(char **field, const char *arg)
{
	size_t n;

	if (arg == NULL) {
		session_set(field, "");
		return;
	}
	n = strlen(arg);
	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		free(*field);
		*field = rw_strndup(arg + 1, n - 2);
		return;
	}
	session_set(field, arg);
}

/* session_msg_reset - free the message part */
void session_msg_reset(struct session *s)
{
	struct session_msg *m = &s->msg;

	rw_free_ptr(&m->queue_id);
	rw_free_ptr(&m->sender);
	strvec_release(&m->rcpts);
	eom_msg_free(&m->checks);
	m->size = 0;
	m->relayed = 0;
	m->active = 0;
}

/* session_free - everything, and clear *sp */
void session_free(struct session **sp)
{
	struct session *s = *sp;

	if (s == NULL)
		return;
	session_msg_reset(s);
	for (size_t i = 0; i < sizeof(session_macro_tab) / sizeof(session_macro_tab[0]); i++)
		free(*(char **)((char *)s + session_macro_tab[i].off));
	free(s->id);
	free(s->client_name);
	free(s->client_hostaddr);
	free(s->helo);
	free(s->subject_dec);
	free(s->issuer_dec);
	free(s);
	*sp = NULL;
}

/* session_macros - copy what the MTA defines now */
void session_macros(struct session *s, session_getsym_fn *getsym, void *ctx)
{
	const char *v;

	for (size_t i = 0; i < sizeof(session_macro_tab) / sizeof(session_macro_tab[0]); i++) {
		v = getsym(ctx, (char *)session_macro_tab[i].name);
		if (v != NULL)
			session_set((char **)((char *)s + session_macro_tab[i].off), v);
	}
	if ((v = getsym(ctx, (char *)"i")) != NULL && s->msg.active)
		session_set(&s->msg.queue_id, v);
}

/* session_is_postfix - macro v names Postfix */
int session_is_postfix(const struct session *s)
{
	return s->mta != NULL && strncasecmp(s->mta, BUF_LIT("Postfix")) == 0;
}

/* session_xtext - "+XX" hex escapes decoded; control characters refused */
char *session_xtext(const char *s)
{
	struct buf b = BUF_INIT;

	if (xtext_decode(s, &b) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* session_verified - the MTA vouches that the client cert is verified */
static int session_verified(const struct session *s)
{
	if (s->verify != NULL)
		return strcmp(s->verify, "OK") == 0;
	return session_is_postfix(s) && s->cert_subject != NULL && *s->cert_subject != '\0';
}

/* session_dn - the subject or issuer as the relay rules compare it */
static const char *session_dn(const struct session *s, const char *raw, char **dec)
{
	free(*dec);
	*dec = NULL;
	if (raw == NULL || session_is_postfix(s))
		return raw;
	*dec = session_xtext(raw);	/* Sendmail xtext-encodes the DNs */
	return *dec;
}

/* session_port - {daemon_port} as a number, 0 if absent or malformed */
static unsigned session_port(const char *p)
{
	unsigned long v;
	char *end;

	if (p == NULL || *p < '0' || *p > '9')
		return 0;
	v = strtoul(p, &end, 10);
	return *end == '\0' && v <= 65535 ? (unsigned)v : 0;
}

/* session_txn - the engine's view of this session */
void session_txn(struct session *s, enum rw_stage st, const char *recipient,
		 struct rw_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->stage = st;
	t->queue_id = s->msg.queue_id;
	t->client_address = s->client_addr != NULL && *s->client_addr != '\0' ?
			    s->client_addr : s->client_hostaddr;
	t->client_name = s->client_name;
	t->helo_name = s->helo;
	t->listener = s->daemon_name;
	t->server_port = session_port(s->daemon_port);
	t->tls_protocol = s->tls_version;
	t->tls_cipher = s->cipher;
	t->cert_fingerprint = s->cert_fp != NULL && *s->cert_fp != '\0' ? s->cert_fp : s->cert_md5;
	t->cert_subject = session_dn(s, s->cert_subject, &s->subject_dec);
	t->cert_issuer = session_dn(s, s->cert_issuer, &s->issuer_dec);
	t->cert_verified = session_verified(s);
	t->sasl_method = s->auth_type;
	t->sasl_username = s->auth_authen;
	t->sender = s->msg.sender;
	t->recipient = recipient;
	t->recipient_count = st == STAGE_EOM ? s->msg.rcpts.n : 1;
	t->size = (unsigned long)s->msg.size;
}
