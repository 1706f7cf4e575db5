/*
 * relaywarden-milter - relay policy, limits and message checks for Postfix
 * (smtpd_milters) and Sendmail (INPUT_MAIL_FILTER) over libmilter.
 *
 * Usage: relaywarden-milter [-e] [-d] [-c FILE] [-P PIDFILE]
 *   -c FILE     configuration (default SYSCONFDIR/relaywarden/relaywarden.conf)
 *   -e          log to stderr whatever the configuration says
 *   -d          debug logging (one line per decision)
 *   -P PIDFILE  write the process id there; removed at exit
 * Runs in the foreground. Signals: SIGHUP reloads (a bad configuration is
 * refused and the old one stays), SIGUSR1 reopens the audit file,
 * SIGTERM/SIGINT stop (smfi_stop; open sessions get a few seconds).
 *
 * Threads: libmilter's own signal thread treats SIGHUP as "stop", so
 * smfi_main runs in a thread of its own with HUP, TERM, INT and USR1
 * blocked (libmilter's threads inherit that), and the main thread, which
 * alone leaves them unblocked, catches them with handlers that write to a
 * self-pipe. Linux delivers a process signal to the main thread when it
 * does not block it, so libmilter's sigwait does not see them.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "core/sys/fdlimit.h"
#include "core/util/log.h"
#include "core/metrics/metrics.h"
#include "core/metrics/metrics_http.h"
#include "core/sys/notify.h"
#include "core/sys/privdrop.h"
#include "core/sys/safefile.h"
#include "milter/callbacks.h"
#include "milter/eom.h"
#include "milter/nodelay.h"
#include "milter/ops.h"
#include "milter/state.h"

#define DEFAULT_CONFIG SYSCONFDIR "/relaywarden/relaywarden.conf"
#define DRAIN_SECONDS 10	/* open sessions may finish this long after a stop */

struct options {
	const char *config;
	const char *pidfile;
	int to_stderr;
	int debug;
};

static int sig_pipe[2] = { -1, -1 };

/* usage - print usage and exit 2 */
static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: relaywarden-milter [-e] [-d] [-c FILE] [-P PIDFILE]\n");
	exit(2);
}

/* parse_options - command line into *o */
static void parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	o->config = DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "c:deP:")) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'e':
			o->to_stderr = 1;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/* on_signal - async-signal-safe: the signal number into the self-pipe */
static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (write(sig_pipe[1], &b, 1) < 0)
		(void)0;	/* the pipe is full: a wake-up is pending anyway */
	errno = saved;
}

/* signal_set - the signals the main thread handles */
static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
}

/* install_handlers - self-pipe and handlers in the main thread */
static int install_handlers(void)
{
	struct sigaction sa;
	sigset_t set;

	if (pipe2(sig_pipe, O_CLOEXEC) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* past a file size limit the audit write fails, we go on */
	signal_set(&set);
	return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

/* milter_thread - smfi_main; tells the main thread when it returns */
static void *milter_thread(void *arg)
{
	int *rc = arg;
	unsigned char b = 0;

	*rc = smfi_main();
	if (write(sig_pipe[1], &b, 1) < 0)
		log_err("event=wakeup_failed error=\"%s\"", strerror(errno));
	return NULL;
}

/* start_milter - register, bind, and run smfi_main in its own thread */
static int start_milter(const struct rw_config *cfg, pthread_t *tid, int *rc)
{
	struct smfiDesc desc = callbacks_desc();
	const char *listen = cfg->milter.listen;
	struct buf perr = BUF_INIT;
	sigset_t set, old;
	mode_t mask;
	int err, opened;

	callbacks_init(&ops_smfi);
	/* a header field over EOM_FIELD_MAX is read whole and refused (milter/eom.h) */
	smfi_setmaxdatasize(EOM_PACKET_MAX);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn((char *)listen) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter.mta_timeout) != MI_SUCCESS) {
		log_err("event=start_failed listen=%s error=\"cannot register the milter\"", listen);
		return -1;
	}
	/*
	 * A unix socket gets its mode as bind(2) creates it: a chmod by path
	 * afterwards would follow whatever the path names by then.
	 */
	mask = umask(~(mode_t)cfg->milter.socket_mode & 0777);
	opened = smfi_opensocket(1) == MI_SUCCESS;
	umask(mask);
	if (!opened) {
		log_err("event=start_failed listen=%s error=\"cannot open the milter socket\"",
			listen);
		return -1;
	}
	if (strncmp(listen, "inet", 4) == 0 && nodelay_listeners(&perr) <= 0) {	/* works, slowly */
		log_warn("event=nodelay_failed listen=%s error=\"%s\"", listen,
			 perr.len ? buf_cstr(&perr) : "no TCP listening socket found");
		buf_truncate(&perr, 0);
	}
	if (cfg->user != NULL && privdrop(cfg->user, &perr) < 0) {	/* bound: give up root */
		log_err("event=start_failed error=\"%s\"", buf_cstr(&perr));
		buf_release(&perr);
		return -1;
	}
	if (cfg->user != NULL)
		log_info("event=privileges user=%s uid=%ld gid=%ld", cfg->user, (long)getuid(),
			 (long)getgid());
	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);	/* inherited by every libmilter thread */
	err = pthread_create(tid, NULL, milter_thread, rc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		log_err("event=start_failed error=\"%s\"", strerror(err));
		return -1;
	}
	return 0;
}

/*
 * control_loop - signals until a stop, or until smfi_main ends by itself;
 * once a second without one, the audit writer's idle checkpoint
 */
static void control_loop(void)
{
	struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
	unsigned char b;
	ssize_t n;
	int ready;

	for (;;) {
		if ((ready = poll(&pfd, 1, 1000)) == 0) {
			state_audit_tick();
			continue;
		}
		if (ready < 0 && errno == EINTR)
			continue;
		n = read(sig_pipe[0], &b, 1);	/* a poll error fails it too: stop */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || b == 0)
			return;		/* smfi_main returned */
		if (b == SIGHUP) {
			struct snap *sn;

			log_info("event=signal signal=HUP action=reload");
			notify_reloading();
			state_reload();
			sn = state_get();	/* the old snapshot stays on refusal */
			notify_ready(sn->cfg->digest);
			state_put(&sn);
		} else if (b == SIGUSR1) {
			state_reopen_audit();
		} else {
			log_info("event=signal signal=%d action=stop", (int)b);
			notify_stopping();
			smfi_stop();
			return;
		}
	}
}

/* drain - let open sessions finish (bounded) before the state goes */
static int drain(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	for (int i = 0; i < DRAIN_SECONDS * 10 && callbacks_active() > 0; i++)
		nanosleep(&ts, NULL);
	return callbacks_active() == 0;
}

/* milter_gauges - what /metrics, /health and /ready say (the metrics thread) */
static void milter_gauges(void *arg, struct metrics_gauges *g)
{
	struct snap *sn = state_get();
	const char *st;

	(void)arg;
	g->connections = callbacks_active();
	if (sn == NULL) {	/* stopping */
		g->ready = 0;
		return;
	}
	st = limit_sync_state(sn->store);
	metrics_gauges_set(g, st, sn->cfg->digest);
	g->degraded = limit_sync_degraded(sn->store);
	g->ready = metrics_store_ready(sn->cfg, g->degraded);
	state_put(&sn);
}

/* start - load the configuration and make it current; -1 after saying why */
static int start(const struct options *o)
{
	struct buf err = BUF_INIT;
	struct rw_config *cfg = config_load(o->config, &err);
	int rc = -1;

	if (cfg == NULL) {
		fprintf(stderr, "relaywarden-milter: %s\n", buf_cstr(&err));
		buf_release(&err);
		return -1;
	}
	log_open("relaywarden-milter", o->to_stderr || cfg->log.target == LOG_TO_STDERR,
		 cfg->log.facility, o->debug || cfg->log.debug);
	if (cfg->audit.file == NULL && !cfg->audit.syslog)
		log_warn("event=config note=\"no audit sink configured: decisions are not recorded\"");
	/* one descriptor per MTA connection, as many as the MTA opens */
	log_info("event=fd_limit open_files=%lu", fdlimit_raise());
	if ((rc = state_start(o->config, cfg, &err)) < 0)	/* takes cfg over */
		log_err("event=start_failed error=\"%s\"", buf_cstr(&err));
	buf_release(&err);
	return rc;
}

int main(int argc, char **argv)
{
	struct buf perr = BUF_INIT;
	struct options o = { 0 };
	struct metrics_thread *mt = NULL;
	struct snap *sn;
	pthread_t tid;
	int rc = 1, mrc = MI_FAILURE, started;

	parse_options(argc, argv, &o);
	log_open("relaywarden-milter", 1, LOG_MAIL, o.debug);
	metrics_init("milter");
	if (install_handlers() < 0) {
		fprintf(stderr, "relaywarden-milter: cannot install signal handlers\n");
		return 1;
	}
	if (start(&o) < 0)
		return 1;
	sn = state_get();
	if (sn->cfg->milter.metrics != NULL &&
	    (mt = metrics_http_thread_start(sn->cfg->milter.metrics, milter_gauges, NULL, &perr)) == NULL)
		log_err("event=start_failed error=\"%s\"", buf_cstr(&perr));
	started = (sn->cfg->milter.metrics == NULL || mt != NULL) &&
		  start_milter(sn->cfg, &tid, &mrc) == 0;
	if (started) {
		if (o.pidfile && safefile_pidfile(o.pidfile, &perr) < 0)
			log_warn("event=pidfile_failed error=\"%s\"", buf_cstr(&perr));
		log_info("event=ready listen=%s config=%s config_digest=%s rules=%zu limits=%zu "
			 "store=%s", sn->cfg->milter.listen, o.config, sn->cfg->digest,
			 sn->cfg->policy->n_rules, sn->cfg->policy->n_limits,
			 limit_sync_state(sn->store));
		notify_ready(sn->cfg->digest);
	}
	state_put(&sn);
	if (started) {
		control_loop();
		pthread_join(tid, NULL);
		rc = mrc == MI_SUCCESS ? 0 : 1;
		if (o.pidfile)
			unlink(o.pidfile);
	}
	metrics_http_thread_stop(&mt);
	if (drain())
		state_stop();	/* else a session still runs: leave it the state */
	else
		log_warn("event=stop note=\"sessions still open after %d s\"", DRAIN_SECONDS);
	log_info("event=stopped");
	buf_release(&perr);
	return rc;
}
