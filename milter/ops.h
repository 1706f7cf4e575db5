/*
 * ops - the libmilter calls the milter makes, as a table of functions.
 *
 * Production uses ops_smfi (milter/ops_smfi.c: each entry is the smfi_*
 * function of the same name); the unit tests install a table of fakes that
 * record replies and header changes and answer getsymval from a macro
 * table. The table is chosen once, before the first callback
 * (callbacks_init); nothing in the production code asks whether it is
 * under test. Return values are libmilter's: MI_SUCCESS / MI_FAILURE.
 * Strings passed in are borrowed for the call.
 */
#ifndef RW_MILTER_OPS_H
#define RW_MILTER_OPS_H

#include <libmilter/mfapi.h>

struct milter_ops {
	char *(*getsymval)(SMFICTX *ctx, char *name);
	int (*setreply)(SMFICTX *ctx, char *rcode, char *xcode, char *message);
	int (*addheader)(SMFICTX *ctx, char *name, char *value);
	int (*insheader)(SMFICTX *ctx, int idx, char *name, char *value);
	int (*chgheader)(SMFICTX *ctx, char *name, int idx, char *value);
	int (*setpriv)(SMFICTX *ctx, void *priv);
	void *(*getpriv)(SMFICTX *ctx);
	int (*setsymlist)(SMFICTX *ctx, int stage, char *macros);
};

/* the libmilter table (milter/ops_smfi.c, linked into the daemon only) */
extern const struct milter_ops ops_smfi;

#endif
