/* callbacks - thin libmilter callbacks; see callbacks.h */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/metrics/metrics.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "milter/callbacks.h"
#include "milter/engine.h"
#include "milter/eom.h"
#include "milter/nodelay.h"
#include "milter/session.h"
#include "milter/state.h"

static const struct milter_ops *cb_ops;
static unsigned cb_active;		/* atomic */

/* the macros the engine reads, per stage (smfi_setsymlist) */
static const char *const cb_macros[] = {
	[SMFIM_CONNECT] = "j {daemon_name} {daemon_port} {client_addr} v _",
	[SMFIM_HELO] = "{tls_version} {cipher} {cert_subject} {cert_issuer} {verify} "
		       "{cert_md5} {cert_fp}",
	[SMFIM_ENVFROM] = "i {auth_type} {auth_authen}",
	[SMFIM_ENVRCPT] = "i",
	[SMFIM_EOM] = "i",
};

/* callbacks_init - see callbacks.h */
void callbacks_init(const struct milter_ops *ops)
{
	cb_ops = ops;
}

/* callbacks_active - see callbacks.h */
unsigned callbacks_active(void)
{
	return __atomic_load_n(&cb_active, __ATOMIC_RELAXED);
}

/* callbacks_macros - see callbacks.h */
const char *callbacks_macros(int stage)
{
	if (stage < 0 || (size_t)stage >= sizeof(cb_macros) / sizeof(cb_macros[0]))
		return NULL;
	return cb_macros[stage];
}

/* cb_getsym - getsymval for session_macros */
static char *cb_getsym(void *ctx, char *name)
{
	return cb_ops->getsymval(ctx, name);
}

/* cb_session - the connection's session, made on first use */
static struct session *cb_session(SMFICTX *ctx)
{
	struct session *s = cb_ops->getpriv(ctx);

	if (s == NULL) {
		s = session_new();
		if (cb_ops->setpriv(ctx, s) != MI_SUCCESS)
			log_warn("session=%s event=setpriv_failed", s->id);
		__atomic_add_fetch(&cb_active, 1, __ATOMIC_RELAXED);
		metrics_count(MC_CONNECTIONS);
	}
	return s;
}

/* cb_cont - continue, without a reply when the MTA agreed to none for this step */
static sfsistat cb_cont(const struct session *s, unsigned long noreply_flag)
{
	return (s->steps & noreply_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_wants_size - a limit charged here counts bytes: headers and body are needed */
static int cb_wants_size(const struct rw_config *cfg)
{
	const struct rw_policy *p = cfg->policy;

	if (p->charge_at != CHARGE_AT_MILTER)
		return 0;
	for (size_t i = 0; i < p->n_limits; i++) {
		const struct rw_limit *l = &p->limits[i];

		if (l->mode != MODE_OFF && ((l->kind == LIMIT_RATE && l->unit == UNIT_BYTES) ||
					    (l->kind == LIMIT_QUOTA && l->max_bytes > 0)))
			return 1;
	}
	return 0;
}

/* cb_steps - the protocol steps (SMFIP_*) to ask for under cfg */
static unsigned long cb_steps(const struct rw_config *cfg)
{
	unsigned long want = SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_HELO |
			     SMFIP_NR_MAIL;

	if (cfg != NULL && (eom_wants_message(cfg) || cb_wants_size(cfg)))
		want |= SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;
	else
		want |= SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY;
	if (cfg != NULL && eom_wants_message(cfg))
		want |= SMFIP_HDR_LEADSPC;	/* DKIM needs the header bytes as sent */
	return want;
}

/* cb_negotiate - ask for our macros, drop the steps we do not need */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct session *s = cb_session(ctx);
	struct snap *sn = state_get();

	(void)f2;
	(void)f3;
	*pf0 = (SMFIF_SETSYMLIST | (sn != NULL ? eom_actions(sn->cfg) : 0)) & f0;
	*pf1 = cb_steps(sn != NULL ? sn->cfg : NULL) & f1;
	*pf2 = *pf3 = 0;
	s->steps = *pf1;
	for (int st = 0; (*pf0 & SMFIF_SETSYMLIST) && st <= SMFIM_EOM; st++)
		if (cb_macros[st] != NULL &&
		    cb_ops->setsymlist(ctx, st, (char *)cb_macros[st]) != MI_SUCCESS)
			log_warn("session=%s event=setsymlist_failed stage=%d", s->id, st);
	state_put(&sn);
	return SMFIS_CONTINUE;
}

/* cb_hostaddr - the connect address as text (IPv4-mapped IPv6 as IPv4) */
static void cb_hostaddr(struct session *s, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const void *a = NULL;
	int af = 0;

	if (sa != NULL && sa->sa_family == AF_INET) {
		af = AF_INET;
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		af = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
		a = af == AF_INET ? (const void *)&a6->s6_addr[12] : (const void *)a6;
	}
	if (a != NULL && inet_ntop(af, a, text, sizeof(text)) != NULL)
		session_set(&s->client_hostaddr, text);
}

/* cb_connect - client name and address, connect macros */
static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct session *s = cb_session(ctx);

	if (s->tcp_fd < 0 && s->tcp_inode == 0)	/* once: our end of the connection */
		s->tcp_fd = nodelay_session_claim(&s->tcp_inode);
	session_set(&s->client_name, hostname);
	cb_hostaddr(s, hostaddr);
	session_macros(s, cb_getsym, ctx);
	return cb_cont(s, SMFIP_NR_CONN);
}

/* cb_helo - HELO name, TLS macros */
static sfsistat cb_helo(SMFICTX *ctx, char *helohost)
{
	struct session *s = cb_session(ctx);

	session_set(&s->helo, helohost);
	session_macros(s, cb_getsym, ctx);
	return cb_cont(s, SMFIP_NR_HELO);
}

/* cb_envfrom - a new message: sender, queue id, SASL macros */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = cb_session(ctx);

	session_msg_reset(s);
	s->msg.active = 1;
	session_addr(&s->msg.sender, argv != NULL ? argv[0] : NULL);
	session_macros(s, cb_getsym, ctx);
	return cb_cont(s, SMFIP_NR_MAIL);
}

/* cb_envrcpt - the relay decision for one recipient */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = cb_session(ctx);
	char *rcpt = NULL;
	sfsistat rc;

	session_macros(s, cb_getsym, ctx);
	session_addr(&rcpt, argv != NULL ? argv[0] : NULL);
	rc = engine_rcpt(s, cb_ops, ctx, rcpt);
	free(rcpt);
	nodelay_ack_soon(s->tcp_fd);	/* DATA's macros may come next (milter/nodelay.h) */
	return rc;
}

/* cb_header - count it, hand it to the message checks */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = cb_session(ctx);

	int leadspc = (s->steps & SMFIP_HDR_LEADSPC) != 0;

	s->msg.size += strlen(name) + (leadspc ? 1 : 2) + strlen(value) + 2;
	eom_header(&s->msg.checks, name, value, leadspc);
	return cb_cont(s, SMFIP_NR_HDR);
}

/* cb_eoh - the empty line after the headers */
static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);

	s->msg.size += 2;
	return cb_cont(s, SMFIP_NR_EOH);
}

/* cb_body - count the chunk, hand it to the message checks */
static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct session *s = cb_session(ctx);

	s->msg.size += len;
	eom_body(&s->msg.checks, chunk, len);
	return cb_cont(s, SMFIP_NR_BODY);
}

/* cb_eom - the message decision, then forget the message */
static sfsistat cb_eom(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);
	sfsistat rc;

	session_macros(s, cb_getsym, ctx);
	rc = engine_eom(s, cb_ops, ctx);
	session_msg_reset(s);
	nodelay_ack_soon(s->tcp_fd);	/* the MTA's abort comes next (milter/nodelay.h) */
	return rc;
}

/* cb_abort - the message went away (RSET, QUIT, a refusal) */
static sfsistat cb_abort(SMFICTX *ctx)
{
	struct session *s = cb_ops->getpriv(ctx);

	if (s != NULL)
		session_msg_reset(s);
	return SMFIS_CONTINUE;
}

/* cb_close - the connection ended */
static sfsistat cb_close(SMFICTX *ctx)
{
	struct session *s = cb_ops->getpriv(ctx);

	if (s != NULL) {
		cb_ops->setpriv(ctx, NULL);
		nodelay_session_release(s->tcp_inode);
		session_free(&s);
		__atomic_sub_fetch(&cb_active, 1, __ATOMIC_RELAXED);
	}
	return SMFIS_CONTINUE;
}

/* callbacks_desc - see callbacks.h */
struct smfiDesc callbacks_desc(void)
{
	struct smfiDesc d = {
		.xxfi_name = (char *)"relaywarden",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST,
		.xxfi_connect = cb_connect,
		.xxfi_helo = cb_helo,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_envrcpt = cb_envrcpt,
		.xxfi_header = cb_header,
		.xxfi_eoh = cb_eoh,
		.xxfi_body = cb_body,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
		.xxfi_negotiate = cb_negotiate,
	};

	return d;
}
