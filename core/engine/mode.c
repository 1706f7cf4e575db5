/*
 * mode - the mode keywords; see mode.h.
 */
#include "autoconfig.h"

#include <string.h>

#include "core/engine/mode.h"

static const char *const mode_names[] = {
	[MODE_OFF] = "off", [MODE_SHADOW] = "shadow", [MODE_TAG] = "tag",
	[MODE_DEFER] = "defer", [MODE_ENFORCE] = "enforce",
};

/* mode_name - the keyword of m */
const char *mode_name(enum rw_mode m)
{
	return (size_t)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "off";
}

/* mode_parse - a keyword into *m; "reject" (SPF's word) is enforce */
int mode_parse(const char *s, enum rw_mode *m)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum rw_mode)i;
			return 0;
		}
	}
	if (strcmp(s, "reject") != 0)
		return -1;
	*m = MODE_ENFORCE;
	return 0;
}
