#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "core/util/buf.h"
#include "core/msgauth/dkimv.h"
#include "core/msgauth/dkimv_int.h"
#include "core/util/mem.h"
#include "core/msgauth/msgcheck.h"

#define DKIMV_SIG_NAME "DKIM-Signature"
#define DKIMV_SIG_NAME_LEN (sizeof(DKIMV_SIG_NAME) - 1)

struct dkimv {
	DKIM_LIB *lib;
	unsigned min_rsa_bits;
	unsigned max_signatures;
};

struct dkimv_msg {
	struct dkimv *d;
	DKIM *dkim;
	DKIM_STAT stat;		/* dkim_eom's status, else dkim_eoh's, else
				 * the first failing dkim_header's */
	int bad_field;		/* dkim_header refused a field (a malformed
				 * DKIM-Signature: the library drops it) */
	unsigned sig_fields;	/* DKIM-Signature fields seen: 0 = unsigned */
	int eoh_done;
	int eom_done;
	int stopped;		/* the library refused: feed it nothing more */
	struct buf field;	/* scratch: a header field with CRLF line ends */
	struct mc_dkim_sig *sigs;
	size_t n_sigs;
};

/* dkimv_opt - set one libopendkim option; 0 or -1 */
static int dkimv_opt(DKIM_LIB *lib, int opt, void *val, size_t len)
{
	return dkim_options(lib, DKIM_OP_SETOPT, opt, val, len) == DKIM_STAT_OK ? 0 : -1;
}

/* dkimv_prescreen - ignore the signatures beyond max_signatures */
static DKIM_CBSTAT dkimv_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkimv_msg *m = dkim_get_user_context(dkim);

	for (int i = 0; m != NULL && i < nsigs; i++)
		if ((unsigned)i >= m->d->max_signatures)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* dkimv_setup - options of a new library handle; 0 or -1 with *err */
static int dkimv_setup(struct dkimv *d, const struct dkimv_config *cfg, struct buf *err)
{
	unsigned flags = DKIM_LIBFLAGS_NONE;
	unsigned bits = d->min_rsa_bits;
	dkim_query_t qm = DKIM_QUERY_FILE;
	uint64_t fixed = cfg->fixed_time;

	if (cfg->fix_crlf)
		flags |= DKIM_LIBFLAGS_FIXCRLF;
	if (dkimv_opt(d->lib, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) < 0 ||
	    dkimv_opt(d->lib, DKIM_OPTS_MINKEYBITS, &bits, sizeof(bits)) < 0 ||
	    (fixed != 0 && dkimv_opt(d->lib, DKIM_OPTS_FIXEDTIME, &fixed, sizeof(fixed)) < 0) ||
	    dkim_set_prescreen(d->lib, dkimv_prescreen) != DKIM_STAT_OK) {
		buf_puts(err, "dkim: cannot set libopendkim options");
		return -1;
	}
	if (cfg->key_file != NULL) {
		if (dkimv_opt(d->lib, DKIM_OPTS_QUERYMETHOD, &qm, sizeof(qm)) < 0 ||
		    dkimv_opt(d->lib, DKIM_OPTS_QUERYINFO, (void *)cfg->key_file,
			      strlen(cfg->key_file)) < 0) {
			buf_printf(err, "dkim: cannot use key file %s", cfg->key_file);
			return -1;
		}
	} else if (cfg->dns != NULL) {
		dkimv_dns_install(d->lib, cfg->dns);
	} else {
		buf_puts(err, "dkim: neither a resolver nor a key file");
		return -1;
	}
	return 0;
}

/* dkimv_new - a verifier for cfg */
struct dkimv *dkimv_new(const struct dkimv_config *cfg, struct buf *err)
{
	struct dkimv *d = rw_calloc(1, sizeof(*d));

	d->min_rsa_bits = cfg->min_rsa_bits ? cfg->min_rsa_bits : 1024;
	d->max_signatures = cfg->max_signatures ? cfg->max_signatures : 16;
	d->lib = dkim_init(NULL, NULL);
	if (d->lib == NULL) {
		buf_puts(err, "dkim: libopendkim initialisation failed");
		dkimv_free(&d);
		return NULL;
	}
	if (dkimv_setup(d, cfg, err) < 0) {
		dkimv_free(&d);
		return NULL;
	}
	return d;
}

/* dkimv_free - close the library handle */
void dkimv_free(struct dkimv **dp)
{
	struct dkimv *d = *dp;

	if (d == NULL)
		return;
	if (d->lib != NULL)
		dkim_close(d->lib);
	free(d);
	*dp = NULL;
}

/* dkimv_note - remember a failing status; stop feeding when fatal */
static void dkimv_note(struct dkimv_msg *m, DKIM_STAT st, int fatal)
{
	if (st == DKIM_STAT_OK)
		return;
	if (m->stat == DKIM_STAT_OK || fatal)
		m->stat = st;
	if (fatal)
		m->stopped = 1;
	else
		m->bad_field = 1;
}

/* dkimv_msg_new - start verifying one message */
struct dkimv_msg *dkimv_msg_new(struct dkimv *d, const char *id)
{
	struct dkimv_msg *m = rw_calloc(1, sizeof(*m));
	DKIM_STAT st = DKIM_STAT_OK;

	m->d = d;
	m->dkim = dkim_verify(d->lib, (const unsigned char *)(id ? id : "-"), NULL, &st);
	if (m->dkim == NULL) {
		m->stat = st != DKIM_STAT_OK ? st : DKIM_STAT_NORESOURCE;
		m->stopped = 1;
		return m;
	}
	dkim_set_user_context(m->dkim, m);
	return m;
}

/* dkimv_header - one header field; bare LF become CRLF */
void dkimv_header(struct dkimv_msg *m, const char *field, size_t len)
{
	if (m->stopped || m->eoh_done)
		return;
	if (len > DKIMV_SIG_NAME_LEN && strncasecmp(field, DKIMV_SIG_NAME, DKIMV_SIG_NAME_LEN) == 0 &&
	    (field[DKIMV_SIG_NAME_LEN] == ':' || field[DKIMV_SIG_NAME_LEN] == ' ' ||
	     field[DKIMV_SIG_NAME_LEN] == '\t'))
		m->sig_fields++;
	buf_truncate(&m->field, 0);
	for (size_t i = 0; i < len; i++) {
		if (field[i] == '\n' && (i == 0 || field[i - 1] != '\r'))
			buf_putc(&m->field, '\r');
		buf_putc(&m->field, field[i]);
	}
	/* libopendkim reads but does not change the field */
	dkimv_note(m, dkim_header(m->dkim, (u_char *)m->field.data, m->field.len), 0);
}

/* dkimv_header_nv - a header field from libmilter's name and value */
void dkimv_header_nv(struct dkimv_msg *m, const char *name, const char *value)
{
	struct buf f = BUF_INIT;

	buf_printf(&f, "%s:%s", name, value);
	dkimv_header(m, f.data, f.len);
	buf_release(&f);
}

/* dkimv_eoh - end of the header block, once */
static void dkimv_eoh(struct dkimv_msg *m)
{
	if (m->eoh_done)
		return;
	m->eoh_done = 1;
	if (!m->stopped)
		dkimv_note(m, dkim_eoh(m->dkim), 1);
}

/* dkimv_body - a body chunk */
void dkimv_body(struct dkimv_msg *m, const unsigned char *p, size_t len)
{
	dkimv_eoh(m);
	if (m->stopped || m->eom_done || len == 0)
		return;
	/* libopendkim reads but does not change the chunk */
	dkimv_note(m, dkim_body(m->dkim, (u_char *)(uintptr_t)p, len), 1);
}

/* dkimv_lower_dup - a lower-cased copy of s ("" for NULL) */
static char *dkimv_lower_dup(const unsigned char *s)
{
	char *r = rw_strdup(s != NULL ? (const char *)s : "");

	for (char *p = r; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* dkimv_by_error - result and reason from a signature's error code */
static enum mc_dkim_result dkimv_by_error(int err, const char **reason_r)
{
	*reason_r = dkim_sig_geterrorstr(err);
	if (*reason_r == NULL)
		*reason_r = "unknown error";
	switch (err) {
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_SUBDOMAIN:
	case DKIM_SIGERROR_KEYTOOSMALL:
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
	case DKIM_SIGERROR_MBSFAILED:
		return MC_DKIM_FAIL;
	case DKIM_SIGERROR_KEYFAIL:
		return MC_DKIM_TEMPERROR;
	default:
		return MC_DKIM_PERMERROR;
	}
}

/* dkimv_key_type_ok - the key's k= names the signature's key type */
static int dkimv_key_type_ok(DKIM_SIGINFO *s, dkim_alg_t alg)
{
	const unsigned char *k = dkim_sig_gettagvalue(s, 1, (u_char *)"k");
	const char *want = alg == DKIM_SIGN_ED25519SHA256 ? "ed25519" : "rsa";

	if (k == NULL || *k == '\0')
		return strcmp(want, "rsa") == 0;	/* k= defaults to rsa */
	return strcasecmp((const char *)k, want) == 0;
}

/* dkimv_policy - our checks on a signature the library passed */
static void dkimv_policy(struct dkimv_msg *m, DKIM_SIGINFO *s, struct mc_dkim_sig *out)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	ssize_t msglen = -1, canonlen = -1, signlen = -1;

	(void)dkim_sig_getsignalg(s, &alg);
	if (alg == DKIM_SIGN_RSASHA1) {
		out->result = MC_DKIM_FAIL;
		out->reason = "rsa-sha1 not accepted (RFC 8301)";
	} else if (alg != DKIM_SIGN_ED25519SHA256 && out->key_bits < m->d->min_rsa_bits) {
		out->result = MC_DKIM_FAIL;
		out->reason = "RSA key under the minimum size (RFC 8301)";
	} else if (!dkimv_key_type_ok(s, alg)) {
		out->result = MC_DKIM_FAIL;
		out->reason = "key type (k=) does not match the signature";
	} else if (dkim_sig_getcanonlen(m->dkim, s, &msglen, &canonlen, &signlen) ==
		   DKIM_STAT_OK && signlen >= 0 && msglen > canonlen) {
		out->partial = 1;
		out->reason = "l= partial";
	}
}

/* dkimv_sig_fill - the result of one signature */
static void dkimv_sig_fill(struct dkimv_msg *m, DKIM_SIGINFO *s, struct mc_dkim_sig *out)
{
	unsigned flags = dkim_sig_getflags(s), bits = 0;
	const unsigned char *a = dkim_sig_gettagvalue(s, 0, (u_char *)"a");

	out->domain = dkimv_lower_dup(dkim_sig_getdomain(s));
	out->selector = rw_strdup(dkim_sig_getselector(s) ? (const char *)dkim_sig_getselector(s) : "");
	out->algorithm = rw_strdup(a != NULL ? (const char *)a : "");
	if (dkim_sig_getkeysize(s, &bits) == DKIM_STAT_OK)
		out->key_bits = bits;
	out->testing = (flags & DKIM_SIGFLAG_TESTKEY) != 0;
	out->reason = "";
	if (flags & DKIM_SIGFLAG_IGNORE) {
		out->result = MC_DKIM_NEUTRAL;
		out->reason = "not verified (too many signatures)";
	} else if (DKIM_SIG_CHECK(s)) {
		out->result = MC_DKIM_PASS;
		dkimv_policy(m, s, out);
	} else if (dkim_sig_geterror(s) != DKIM_SIGERROR_OK) {
		out->result = dkimv_by_error(dkim_sig_geterror(s), &out->reason);
	} else if (dkim_sig_getbh(s) == DKIM_SIGBH_MISMATCH) {
		out->result = MC_DKIM_FAIL;
		out->reason = "body hash mismatch";
	} else if (flags & DKIM_SIGFLAG_PROCESSED) {
		out->result = MC_DKIM_FAIL;
		out->reason = "signature mismatch";
	} else {
		out->result = m->stat == DKIM_STAT_KEYFAIL ? MC_DKIM_TEMPERROR : MC_DKIM_PERMERROR;
		out->reason = "not verified (message refused by the verifier)";
	}
}

/* dkimv_collect - one result per signature the library found */
static void dkimv_collect(struct dkimv_msg *m)
{
	DKIM_SIGINFO **list = NULL;
	int n = 0;

	if (m->dkim == NULL || dkim_getsiglist(m->dkim, &list, &n) != DKIM_STAT_OK ||
	    list == NULL || n <= 0)
		return;
	m->sigs = rw_calloc((size_t)n, sizeof(*m->sigs));
	for (int i = 0; i < n; i++)
		dkimv_sig_fill(m, list[i], &m->sigs[m->n_sigs++]);
}

/*
 * dkimv_unusable - signature fields the library dropped: one permerror
 * entry. An unsigned message has none, whatever the library said of its
 * header block (no From field makes dkim_eoh fail: that is the alignment
 * check's finding, not a DKIM failure).
 */
static void dkimv_unusable(struct dkimv_msg *m)
{
	struct mc_dkim_sig *s;

	if (m->n_sigs > 0 || m->sig_fields == 0 ||
	    (!m->bad_field && (m->stat == DKIM_STAT_OK || m->stat == DKIM_STAT_NOSIG)))
		return;
	s = m->sigs = rw_calloc(1, sizeof(*m->sigs));
	m->n_sigs = 1;
	s->domain = rw_strdup("");
	s->selector = rw_strdup("");
	s->algorithm = rw_strdup("");
	s->result = m->stat == DKIM_STAT_KEYFAIL ? MC_DKIM_TEMPERROR : MC_DKIM_PERMERROR;
	s->reason = m->bad_field ? "malformed DKIM-Signature or header field" : dkim_getresultstr(m->stat);
	if (s->reason == NULL)
		s->reason = "message refused by the verifier";
}

/* dkimv_eom - verify every signature */
void dkimv_eom(struct dkimv_msg *m)
{
	dkimv_eom_by(m, 0);
}

/* dkimv_eom_by - verify every signature, key look-ups ending by deadline */
void dkimv_eom_by(struct dkimv_msg *m, uint64_t deadline)
{
	_Bool testkey = 0;

	if (m->eom_done)
		return;
	dkimv_eoh(m);
	m->eom_done = 1;
	if (!m->stopped) {
		DKIM_STAT st;

		dkimv_dns_deadline(deadline);
		st = dkim_eom(m->dkim, &testkey);
		dkimv_dns_deadline(0);
		m->stat = st;
	}
	dkimv_collect(m);
	dkimv_unusable(m);
}

/* dkimv_sigs - the per-signature results */
const struct mc_dkim_sig *dkimv_sigs(const struct dkimv_msg *m, size_t *n_r)
{
	*n_r = m->n_sigs;
	return m->sigs;
}

/* dkimv_result - the message's result word */
enum mc_dkim_result dkimv_result(const struct dkimv_msg *m)
{
	return mc_dkim_message_result(m->sigs, m->n_sigs);
}

/* dkimv_status - libopendkim's status, by name */
const char *dkimv_status(const struct dkimv_msg *m)
{
	static const char *const names[] = {
		"DKIM_STAT_OK", "DKIM_STAT_BADSIG", "DKIM_STAT_NOSIG",
		"DKIM_STAT_NOKEY", "DKIM_STAT_CANTVRFY", "DKIM_STAT_SYNTAX",
		"DKIM_STAT_NORESOURCE", "DKIM_STAT_INTERNAL", "DKIM_STAT_REVOKED",
		"DKIM_STAT_INVALID", "DKIM_STAT_NOTIMPLEMENT", "DKIM_STAT_KEYFAIL",
		"DKIM_STAT_CBREJECT", "DKIM_STAT_CBINVALID", "DKIM_STAT_CBTRYAGAIN",
		"DKIM_STAT_CBERROR", "DKIM_STAT_MULTIDNSREPLY", "DKIM_STAT_SIGGEN",
	};

	if (m->stat >= 0 && (size_t)m->stat < sizeof(names) / sizeof(names[0]))
		return names[m->stat];
	return "DKIM_STAT_UNKNOWN";
}

/* dkimv_msg_free - free the message and its results */
void dkimv_msg_free(struct dkimv_msg **mp)
{
	struct dkimv_msg *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_sigs; i++)
		mc_dkim_sig_release(&m->sigs[i]);
	free(m->sigs);
	if (m->dkim != NULL)
		dkim_free(m->dkim);
	buf_release(&m->field);
	free(m);
	*mp = NULL;
}
