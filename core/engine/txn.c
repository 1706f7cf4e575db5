/* txn - transaction helpers; see txn.h */
#include "autoconfig.h"

#include <string.h>

#include "core/engine/txn.h"

static const char *const stage_names[] = {
	[STAGE_UNKNOWN] = "UNKNOWN",
	[STAGE_CONNECT] = "CONNECT",
	[STAGE_EHLO] = "EHLO",
	[STAGE_HELO] = "HELO",
	[STAGE_MAIL] = "MAIL",
	[STAGE_RCPT] = "RCPT",
	[STAGE_DATA] = "DATA",
	[STAGE_EOM] = "END-OF-MESSAGE",
	[STAGE_VRFY] = "VRFY",
	[STAGE_ETRN] = "ETRN",
};

/* txn_stage_parse - protocol_state name to enum */
enum rw_stage txn_stage_parse(const char *s)
{
	if (s == NULL)
		return STAGE_UNKNOWN;
	for (size_t i = 1; i < sizeof(stage_names) / sizeof(stage_names[0]); i++)
		if (strcmp(s, stage_names[i]) == 0)
			return (enum rw_stage)i;
	return STAGE_UNKNOWN;
}

/* txn_stage_name - enum to protocol_state name */
const char *txn_stage_name(enum rw_stage st)
{
	if ((size_t)st >= sizeof(stage_names) / sizeof(stage_names[0]))
		return "UNKNOWN";
	return stage_names[st];
}

/* txn_has - s is non-NULL and non-empty */
int txn_has(const char *s)
{
	return s != NULL && *s != '\0';
}
