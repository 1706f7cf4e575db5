/*
 * addr - RFC 5321 envelope address parsing, and relay-trick detection.
 *
 * Input is an envelope address as Postfix passes it to a policy server or a
 * milter passes it in argv: with or without surrounding <>, possibly with a
 * source route (<@a,@b:user@c>). Grammar accepted (RFC 5321 4.1.2):
 *   Path       = "<" [ A-d-l ":" ] Mailbox ">" | Mailbox | "" | "<>"
 *   Mailbox    = Local-part "@" ( Domain | address-literal )
 *   Local-part = Dot-string | Quoted-string
 * Limits: 64 octets local part, 255 domain, 256 path (RFC 5321 4.5.3.1),
 * checked before anything is copied.
 *
 * Relay tricks are never interpreted, only reported (addr_trick): a source
 * route, '%' (percent hack) or '!' (bang path) in the local part, a quoted
 * local part holding '@', '%' or '!', an unquoted local part holding '@'
 * (user@a@b: the domain is then the text after the LAST '@' and the flag is
 * set), and an address literal. The engine decides what a trick means.
 *
 * Domains are stored lower-cased (ASCII) with one trailing dot removed, so
 * domain comparisons are strcmp. Local parts keep their case and, for quoted
 * strings, their quotes removed and quoted-pairs resolved.
 *
 * Ownership: addr_parse fills *out with heap copies; addr_release frees them.
 * Errors: addr_parse returns -1 and sets *error_r to a static message for
 * syntax errors (empty local part, unbalanced quote, bad character, too long,
 * missing '@', empty domain, NUL byte). Pure: libc only.
 */
#ifndef RW_ADDR_H
#define RW_ADDR_H

#include <stddef.h>

#define ADDR_F_NULL         0x0001u /* the null sender "" or "<>" */
#define ADDR_F_QUOTED       0x0002u /* local part was a quoted string */
#define ADDR_F_LITERAL      0x0004u /* domain is an address literal [..] */
#define ADDR_F_SOURCE_ROUTE 0x0008u /* <@a,@b:user@c> */
#define ADDR_F_PERCENT      0x0010u /* '%' in the local part */
#define ADDR_F_BANG         0x0020u /* '!' in the local part */
#define ADDR_F_AT_IN_LOCAL  0x0040u /* '@' in the local part (quoted or user@a@b) */
#define ADDR_F_NO_DOMAIN    0x0080u /* a bare local part, no '@' (e.g. "postmaster") */

#define ADDR_F_TRICKS (ADDR_F_SOURCE_ROUTE | ADDR_F_PERCENT | ADDR_F_BANG | \
		       ADDR_F_AT_IN_LOCAL | ADDR_F_LITERAL)

struct rw_addr {
	char *local;	/* "" for the null sender */
	char *domain;	/* lower-case, no trailing dot; "" for null sender / no domain;
			 * for a literal, the text inside the brackets */
	unsigned flags;	/* ADDR_F_* */
};

/* addr_parse - parse len bytes at s into *out; 0 or -1 with *error_r */
int addr_parse(const char *s, size_t len, struct rw_addr *out, const char **error_r);
/* addr_release - free what addr_parse allocated and zero *a */
void addr_release(struct rw_addr *a);
/* addr_trick - short reason for the first relay trick in a, or NULL */
const char *addr_trick(const struct rw_addr *a);
/* addr_domain_normalise - lower-case s in place and drop one trailing dot */
void addr_domain_normalise(char *s);

#endif
