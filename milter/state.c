/* state - the current snapshot, reload, audit; see state.h */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/limits/limit_store.h"
#include "core/util/log.h"
#include "core/util/mem.h"
#include "core/metrics/metrics.h"
#include "milter/eom.h"
#include "milter/state.h"

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap *state_cur;		/* under state_lock */
static char *state_path;		/* control thread only */

/* state_snap_new - a snapshot of cfg; NULL with *err when a sink or the store fails */
static struct snap *state_snap_new(struct rw_config *cfg, struct limit_sync *keep, struct buf *err)
{
	struct snap *sn = rw_calloc(1, sizeof(*sn));

	sn->refs = 1;
	sn->cfg = cfg;
	pthread_mutex_init(&sn->audit_lock, NULL);
	sn->audit = audit_open(cfg, err);
	if (sn->audit != NULL)
		sn->store = keep != NULL ? limit_sync_ref(keep)
					 : limit_sync_new(cfg, limit_store_log_note, NULL, err);
	if (sn->audit == NULL || sn->store == NULL || eom_env_new(cfg, &sn->checks, err) < 0) {
		state_put(&sn);
		return NULL;
	}
	return sn;
}

/* state_snap_free - the last reference went */
static void state_snap_free(struct snap *sn)
{
	eom_env_free(&sn->checks);
	audit_close(&sn->audit);
	limit_sync_unref(&sn->store);
	config_unref(&sn->cfg);
	pthread_mutex_destroy(&sn->audit_lock);
	free(sn);
}

/* state_timezone - quota windows use the process time zone (core/limits/limits.h) */
static void state_timezone(const struct rw_config *cfg)
{
	setenv("TZ", cfg->policy->timezone, 1);
	tzset();
}

/* state_start - see state.h */
int state_start(const char *config_path, struct rw_config *cfg, struct buf *err)
{
	struct snap *sn = state_snap_new(cfg, NULL, err);

	if (sn == NULL)
		return -1;
	state_timezone(cfg);
	metrics_configure(cfg);
	free(state_path);
	state_path = rw_strdup(config_path);
	pthread_mutex_lock(&state_lock);
	state_cur = sn;
	pthread_mutex_unlock(&state_lock);
	return 0;
}

/* state_get - see state.h */
struct snap *state_get(void)
{
	struct snap *sn;

	pthread_mutex_lock(&state_lock);
	sn = state_cur;
	if (sn != NULL)
		sn->refs++;
	pthread_mutex_unlock(&state_lock);
	return sn;
}

/* state_ref - see state.h */
struct snap *state_ref(struct snap *sn)
{
	pthread_mutex_lock(&state_lock);
	sn->refs++;
	pthread_mutex_unlock(&state_lock);
	return sn;
}

/* state_put - see state.h */
void state_put(struct snap **sp)
{
	struct snap *sn = *sp;
	int last;

	*sp = NULL;
	if (sn == NULL)
		return;
	pthread_mutex_lock(&state_lock);
	last = --sn->refs == 0;
	pthread_mutex_unlock(&state_lock);
	if (last)
		state_snap_free(sn);
}

/* state_notes - what a reload cannot change */
static void state_notes(const struct rw_config *old, const struct rw_config *cfg)
{
	if (strcmp(old->milter.listen, cfg->milter.listen) != 0)
		log_warn("event=reload note=\"milter listen address changes only at restart\"");
	if (strcmp(old->policy->timezone, cfg->policy->timezone) != 0)
		log_warn("event=reload note=\"timezone changes only at restart\"");
}

/* state_reload - see state.h */
int state_reload(void)
{
	struct buf err = BUF_INIT;
	struct rw_config *cfg = config_load(state_path, &err);
	struct snap *old = state_get(), *sn = NULL;
	struct limit_sync *keep;

	if (cfg != NULL) {
		keep = limit_sync_same(old->store, cfg) ? old->store : NULL;
		sn = state_snap_new(cfg, keep, &err);
		if (sn == NULL)
			cfg = NULL;	/* freed with the snapshot */
	}
	if (sn == NULL) {
		metrics_count(MC_RELOADS_REFUSED);
		log_err("event=reload_refused error=\"%s\" config_digest=%s", buf_cstr(&err),
			old->cfg->digest);
		buf_release(&err);
		state_put(&old);
		return -1;
	}
	state_notes(old->cfg, cfg);
	metrics_configure(cfg);
	metrics_count(MC_RELOADS_OK);
	pthread_mutex_lock(&state_lock);
	state_cur = sn;
	old->refs--;	/* the reference state_cur held: the one state_get took remains */
	pthread_mutex_unlock(&state_lock);
	log_info("event=reloaded config_digest=%s rules=%zu limits=%zu store=%s", cfg->digest,
		 cfg->policy->n_rules, cfg->policy->n_limits, limit_sync_state(sn->store));
	state_put(&old);	/* the reference state_get took */
	buf_release(&err);
	return 0;
}

/* state_reopen_audit - see state.h */
void state_reopen_audit(void)
{
	struct snap *sn = state_get();
	struct buf err = BUF_INIT;
	int rc;

	if (sn == NULL)
		return;
	pthread_mutex_lock(&sn->audit_lock);
	rc = audit_reopen(sn->audit, &err);
	pthread_mutex_unlock(&sn->audit_lock);
	if (rc < 0)
		log_err("event=audit_reopen_failed error=\"%s\"", buf_cstr(&err));
	else
		log_info("event=audit_reopened");
	buf_release(&err);
	state_put(&sn);
}

/* state_audit_tick - see state.h */
void state_audit_tick(void)
{
	struct snap *sn = state_get();

	if (sn == NULL)
		return;
	pthread_mutex_lock(&sn->audit_lock);
	audit_tick(sn->audit);
	pthread_mutex_unlock(&sn->audit_lock);
	state_put(&sn);
}

/* state_audit - see state.h */
void state_audit(struct snap *sn, const struct buf *record)
{
	unsigned long lost = 0;
	int say = 0, e = 0;

	pthread_mutex_lock(&sn->audit_lock);
	if (audit_write(sn->audit, record) < 0) {
		e = errno;
		metrics_count(MC_AUDIT_WRITE_FAILURES);
		say = audit_failure(sn->audit, &lost);
	}
	pthread_mutex_unlock(&sn->audit_lock);
	if (say)
		log_err("event=audit_write_failed error=\"%s\" records_lost=%lu", strerror(e), lost);
}

/* state_stop - see state.h */
void state_stop(void)
{
	struct snap *sn;

	pthread_mutex_lock(&state_lock);
	sn = state_cur;
	state_cur = NULL;
	pthread_mutex_unlock(&state_lock);
	state_put(&sn);
	rw_free_ptr(&state_path);
}
