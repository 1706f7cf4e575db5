/*
 * sender_login - which envelope senders each SASL login may use.
 *
 * Maps a login name (compared ASCII case-insensitively, as Postfix's
 * reject_sender_login_mismatch does) to the senders it owns: whole addresses
 * ("alice@example.test", compared case-insensitively) or whole domains
 * ("@example.test": any address in exactly that domain). The null sender is
 * owned by every login (bounces and MDNs use it, RFC 8098).
 *
 * Ownership: copies everything added. Immutable after building; shareable
 * across threads. Pure: libc only.
 */
#ifndef RW_SENDER_LOGIN_H
#define RW_SENDER_LOGIN_H

#include <stddef.h>

struct sender_login;

struct sender_login *sender_login_new(void);
/* sender_login_add - login owns sender; 0 or -1 with static *error_r */
int sender_login_add(struct sender_login *sl, const char *login, const char *sender,
		     const char **error_r);
/* sender_login_owns - 1 and the matching entry in *entry_r, or 0 */
int sender_login_owns(const struct sender_login *sl, const char *login,
		      const char *sender, const char **entry_r);
size_t sender_login_size(const struct sender_login *sl);
void sender_login_free(struct sender_login **sl);

#endif
