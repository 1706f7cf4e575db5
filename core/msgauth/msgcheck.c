#include "autoconfig.h"

#include <stddef.h>

#include "core/util/mem.h"
#include "core/msgauth/msgcheck.h"

/* mc_dkim_result_name - RFC 8601 word for r */
const char *mc_dkim_result_name(enum mc_dkim_result r)
{
	switch (r) {
	case MC_DKIM_NONE:
		return "none";
	case MC_DKIM_PASS:
		return "pass";
	case MC_DKIM_FAIL:
		return "fail";
	case MC_DKIM_NEUTRAL:
		return "neutral";
	case MC_DKIM_POLICY:
		return "policy";
	case MC_DKIM_TEMPERROR:
		return "temperror";
	case MC_DKIM_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* mc_dkim_sig_aligns - a full pass, usable for alignment */
int mc_dkim_sig_aligns(const struct mc_dkim_sig *sig)
{
	return sig->result == MC_DKIM_PASS && !sig->partial;
}

/* mc_dkim_rank - precedence of a signature result for the message word */
static int mc_dkim_rank(enum mc_dkim_result r)
{
	static const int rank[] = {
		[MC_DKIM_NONE] = 0, [MC_DKIM_POLICY] = 1, [MC_DKIM_NEUTRAL] = 2,
		[MC_DKIM_TEMPERROR] = 3, [MC_DKIM_PERMERROR] = 4,
		[MC_DKIM_FAIL] = 5, [MC_DKIM_PASS] = 6,
	};

	return (unsigned)r < sizeof(rank) / sizeof(rank[0]) ? rank[r] : 0;
}

/* mc_dkim_message_result - one word for the whole message */
enum mc_dkim_result mc_dkim_message_result(const struct mc_dkim_sig *sigs, size_t n)
{
	enum mc_dkim_result best = MC_DKIM_NONE;

	for (size_t i = 0; i < n; i++)
		if (mc_dkim_rank(sigs[i].result) > mc_dkim_rank(best))
			best = sigs[i].result;
	return best;
}

/* mc_dkim_sig_release - free the strings of sig */
void mc_dkim_sig_release(struct mc_dkim_sig *sig)
{
	rw_free_ptr(&sig->domain);
	rw_free_ptr(&sig->selector);
	rw_free_ptr(&sig->algorithm);
}
