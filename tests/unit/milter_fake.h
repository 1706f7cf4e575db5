/*
 * milter_fake - a fake libmilter for the milter unit tests: a struct
 * milter_ops whose functions work on a struct fake_ctx (passed where
 * libmilter passes its SMFICTX). getsymval answers from the context's
 * macro list; setreply, header calls and setsymlist are recorded.
 */
#ifndef RW_TEST_MILTER_FAKE_H
#define RW_TEST_MILTER_FAKE_H

#include "core/util/buf.h"
#include "core/util/strvec.h"
#include "milter/ops.h"

struct fake_ctx {
	const char *const *macros;	/* name, value, name, value, ..., NULL */
	void *priv;
	unsigned replies;		/* setreply calls */
	struct buf reply;		/* the last: "CODE XCODE TEXT" */
	struct strvec symlists;		/* "STAGE:macros" */
	struct strvec headers;		/* "add NAME: VALUE", "ins IDX NAME: VALUE", ... */
};

extern const struct milter_ops fake_ops;

/* fake_smfi - the context as the callbacks take it */
#define fake_smfi(fc) ((SMFICTX *)(void *)(fc))

void fake_release(struct fake_ctx *fc);

#endif
