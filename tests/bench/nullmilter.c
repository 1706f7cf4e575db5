/*
 * rw-nullmilter - a libmilter filter that does nothing, for the milter
 * bench's floor: it negotiates the protocol steps relaywarden-milter asks
 * for when its message checks are on (headers, end of headers and body with
 * no replies, connect/helo/mail without replies, unknown and DATA skipped,
 * header leading spaces) and answers CONTINUE where a reply is due (RCPT,
 * EOM). What Postfix + this filter achieve is what libmilter's per-command
 * cost leaves for any filter that needs the message.
 *
 * usage: rw-nullmilter SOCKET   (libmilter syntax: inet:PORT@HOST, unix:PATH)
 */
#include "autoconfig.h"

#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>

static const unsigned long steps = SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN |
				   SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR |
				   SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC;

static sfsistat nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = steps & f1;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

static sfsistat nm_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_NOREPLY;
}

static sfsistat nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_NOREPLY;
}

static sfsistat nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

static sfsistat nm_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_NOREPLY;
}

static sfsistat nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_NOREPLY;
}

static sfsistat nm_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = (char *)"rw-nullmilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_connect = nm_connect,
		.xxfi_helo = nm_helo,
		.xxfi_envfrom = nm_envfrom,
		.xxfi_envrcpt = nm_envrcpt,
		.xxfi_header = nm_header,
		.xxfi_eoh = nm_eoh,
		.xxfi_body = nm_body,
		.xxfi_eom = nm_eom,
		.xxfi_negotiate = nm_negotiate,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: rw-nullmilter SOCKET\n");
		return 2;
	}
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "rw-nullmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
