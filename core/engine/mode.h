/*
 * mode - what a check or a limit does with what it finds. One type for the
 * SPF directions of policyd (core/spf/spf_policy.h), the milter's message
 * checks (config `checks`) and limits and quotas (core/limits/limits.h); each
 * option allows the keywords that make sense for it (core/config/config_table.c).
 * Pure: libc only, no state.
 */
#ifndef RW_MODE_H
#define RW_MODE_H

enum rw_mode {
	MODE_OFF = 0,	/* not checked */
	MODE_SHADOW,	/* checked, recorded ("would refuse"), accepted */
	MODE_TAG,	/* checked, the result added to the message, accepted (SPF) */
	MODE_DEFER,	/* a failure refused temporarily (SPF: 451 4.7.24) */
	MODE_ENFORCE,	/* a failure refused: keyword "enforce", SPF's "reject" */
};

/* mode_name - the keyword: "off", "shadow", "tag", "defer", "enforce" */
const char *mode_name(enum rw_mode m);
/* mode_parse - a keyword into *m ("reject" is enforce); 0, or -1 if it is none */
int mode_parse(const char *s, enum rw_mode *m);

#endif
