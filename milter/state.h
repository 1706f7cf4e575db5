/*
 * state - the milter's process-wide state: the current configuration
 * snapshot with its audit sinks and limit store, reload and audit reopen.
 *
 * A snapshot (struct snap) is immutable apart from its audit lock. Each
 * decision takes a reference (state_get) for its duration and drops it
 * (state_put); a reload builds the new snapshot beside the old one and
 * swaps the pointer under the state mutex; the old one is freed by whoever
 * drops its last reference. The limit store is kept across a reload whose
 * redis section did not change (its local counters and breaker survive).
 * The audit API is single-writer: state_audit writes under the snapshot's
 * audit lock. A changed timezone or listen address needs a restart (the
 * process time zone is set before libmilter starts threads).
 *
 * Thread-safety: state_get/state_put/state_audit from any thread;
 * state_start, state_reload, state_reopen_audit, state_audit_tick and state_stop from one
 * control thread (config_load is not reentrant).
 */
#ifndef RW_MILTER_STATE_H
#define RW_MILTER_STATE_H

#include <pthread.h>

#include "core/audit/audit.h"
#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limit_sync.h"

struct eom_env;

struct snap {
	unsigned refs;			/* under the state mutex */
	struct rw_config *cfg;
	struct audit *audit;
	pthread_mutex_t audit_lock;
	struct limit_sync *store;	/* the limit store (core/limits/limit_sync.h) */
	struct eom_env *checks;		/* message checks (milter/eom.h); NULL: all off */
};

/* state_start - cfg (its reference is taken over) becomes current; -1 with *err */
int state_start(const char *config_path, struct rw_config *cfg, struct buf *err);
/* state_get - a reference to the current snapshot */
struct snap *state_get(void);
/* state_ref - another reference to sn (which the caller holds) */
struct snap *state_ref(struct snap *sn);
/* state_put - drop a reference; clears *sp */
void state_put(struct snap **sp);
/* state_reload - load the config again and swap; 0, or -1 (logged, old one stays) */
int state_reload(void);
/* state_reopen_audit - reopen the audit file after rotation */
void state_reopen_audit(void);
/* state_audit_tick - once a second: the current snapshot's audit_tick (core/audit/audit.h) */
void state_audit_tick(void);
/* state_audit - write one record to the snapshot's sinks (locked) */
void state_audit(struct snap *sn, const struct buf *record);
/* state_stop - drop the current snapshot (freed when no decision holds it) */
void state_stop(void);

#endif
