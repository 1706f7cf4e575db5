/* milter_fake - recording fakes of the libmilter calls; see milter_fake.h */
#include "autoconfig.h"

#include <string.h>

#include "tests/unit/milter_fake.h"

#define FC(ctx) ((struct fake_ctx *)(void *)(ctx))

/* fake_getsymval - from the macro list */
static char *fake_getsymval(SMFICTX *ctx, char *name)
{
	const char *const *m = FC(ctx)->macros;

	for (size_t i = 0; m != NULL && m[i] != NULL; i += 2)
		if (strcmp(m[i], name) == 0)
			return (char *)m[i + 1];
	return NULL;
}

/* fake_setreply - record "CODE XCODE TEXT" */
static int fake_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *message)
{
	struct fake_ctx *fc = FC(ctx);

	fc->replies++;
	buf_truncate(&fc->reply, 0);
	buf_printf(&fc->reply, "%s %s %s", rcode, xcode ? xcode : "-", message ? message : "");
	return MI_SUCCESS;
}

static int fake_addheader(SMFICTX *ctx, char *name, char *value)
{
	strvec_addf(&FC(ctx)->headers, "add %s: %s", name, value);
	return MI_SUCCESS;
}

static int fake_insheader(SMFICTX *ctx, int idx, char *name, char *value)
{
	strvec_addf(&FC(ctx)->headers, "ins %d %s: %s", idx, name, value);
	return MI_SUCCESS;
}

static int fake_chgheader(SMFICTX *ctx, char *name, int idx, char *value)
{
	strvec_addf(&FC(ctx)->headers, "chg %s %d: %s", name, idx, value ? value : "(delete)");
	return MI_SUCCESS;
}

static int fake_setpriv(SMFICTX *ctx, void *priv)
{
	FC(ctx)->priv = priv;
	return MI_SUCCESS;
}

static void *fake_getpriv(SMFICTX *ctx)
{
	return FC(ctx)->priv;
}

static int fake_setsymlist(SMFICTX *ctx, int stage, char *macros)
{
	strvec_addf(&FC(ctx)->symlists, "%d:%s", stage, macros);
	return MI_SUCCESS;
}

const struct milter_ops fake_ops = {
	.getsymval = fake_getsymval,
	.setreply = fake_setreply,
	.addheader = fake_addheader,
	.insheader = fake_insheader,
	.chgheader = fake_chgheader,
	.setpriv = fake_setpriv,
	.getpriv = fake_getpriv,
	.setsymlist = fake_setsymlist,
};

/* fake_release - free what was recorded */
void fake_release(struct fake_ctx *fc)
{
	buf_release(&fc->reply);
	strvec_release(&fc->symlists);
	strvec_release(&fc->headers);
}
