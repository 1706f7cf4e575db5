/* ops_smfi - the milter_ops table over libmilter itself; see ops.h */
#include "autoconfig.h"

#include <libmilter/mfapi.h>

#include "milter/ops.h"

const struct milter_ops ops_smfi = {
	.getsymval = smfi_getsymval,
	.setreply = smfi_setreply,
	.addheader = smfi_addheader,
	.insheader = smfi_insheader,
	.chgheader = smfi_chgheader,
	.setpriv = smfi_setpriv,
	.getpriv = smfi_getpriv,
	.setsymlist = smfi_setsymlist,
};
