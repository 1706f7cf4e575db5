/*
 * relaywarden-policyd - Postfix policy delegation server.
 *
 * Usage: relaywarden-policyd [-e] [-d] [-c FILE] [-P PIDFILE]
 *   -c FILE     configuration (default SYSCONFDIR/relaywarden/relaywarden.conf)
 *   -e          log to stderr whatever the configuration says
 *   -d          debug logging (one line per decision)
 *   -P PIDFILE  write the process id there; removed at exit
 * Runs in the foreground (systemd supervises). Signals: SIGHUP reloads the
 * configuration (a bad one is refused and the old one stays), SIGUSR1
 * reopens the audit file, SIGTERM/SIGINT stop.
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/util/log.h"
#include "core/metrics/metrics.h"
#include "core/sys/notify.h"
#include "core/sys/privdrop.h"
#include "core/sys/safefile.h"
#include "policyd/server.h"
#include "policyd/workers.h"

#define DEFAULT_CONFIG SYSCONFDIR "/relaywarden/relaywarden.conf"

struct options {
	const char *config;
	const char *pidfile;
	int to_stderr;
	int debug;
};

/* usage - print usage and exit 2 */
static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: relaywarden-policyd [-e] [-d] [-c FILE] [-P PIDFILE]\n");
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

/* open_log - logging per config, overridden by the command line */
static void open_log(const struct options *o, const struct rw_config *cfg)
{
	log_open("relaywarden-policyd", o->to_stderr || cfg->log.target == LOG_TO_STDERR,
		 cfg->log.facility, o->debug || cfg->log.debug);
}

struct signal_ctx {
	struct server *server;
	struct workers *workers;
	struct event_base *base;
	const struct options *opts;
};

/* on_signal - HUP reload, USR1 reopen audit, TERM/INT stop */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct signal_ctx *sc = arg;
	int rc;

	(void)what;
	switch (sig) {
	case SIGHUP:
		log_info("event=signal signal=HUP action=reload");
		notify_reloading();
		if (server_reload(sc->server) == 0) {
			open_log(sc->opts, server_config(sc->server));
			workers_reload(sc->workers, server_config(sc->server));
			log_info("event=reloaded config_digest=%s rules=%zu",
				 server_config(sc->server)->digest,
				 server_config(sc->server)->policy->n_rules);
		}
		notify_ready(server_config(sc->server)->digest);	/* the old config stays on refusal */
		break;
	case SIGUSR1:
		rc = server_reopen_audit(sc->server);
		workers_reopen(sc->workers);	/* a failure is logged by its loop */
		if (rc == 0)
			log_info("event=audit_reopened");
		break;
	default:
		log_info("event=signal signal=%d action=stop", (int)sig);
		notify_stopping();
		event_base_loopexit(sc->base, NULL);
	}
}

/* drop_privileges - become the configured user now that everything is bound; 0 or -1 (logged) */
static int drop_privileges(const struct rw_config *cfg)
{
	struct buf err = BUF_INIT;
	int rc = 0;

	if (cfg->user != NULL && (rc = privdrop(cfg->user, &err)) < 0)
		log_err("event=start_failed error=\"%s\"", buf_cstr(&err));
	else if (cfg->user != NULL)
		log_info("event=privileges user=%s uid=%ld gid=%ld", cfg->user, (long)getuid(),
			 (long)getgid());
	buf_release(&err);
	return rc;
}

/* start - load config, open sinks, bind; NULL after logging why */
static struct server *start(struct event_base *base, const struct options *o)
{
	struct buf err = BUF_INIT;
	struct rw_config *cfg = config_load(o->config, &err);
	struct audit *audit = NULL;
	struct server *s = NULL;

	if (cfg == NULL) {
		fprintf(stderr, "relaywarden-policyd: %s\n", buf_cstr(&err));
		goto out;
	}
	open_log(o, cfg);
	if ((audit = audit_open(cfg, &err)) == NULL) {
		log_err("event=start_failed error=\"%s\"", buf_cstr(&err));
		config_unref(&cfg);
		goto out;
	}
	if (cfg->audit.file == NULL && !cfg->audit.syslog)
		log_warn("event=config note=\"no audit sink configured: decisions are not recorded\"");
	if ((s = server_new(base, o->config, cfg, audit, &err)) == NULL)
		log_err("event=start_failed error=\"%s\"", buf_cstr(&err));
out:
	buf_release(&err);
	return s;
}

int main(int argc, char **argv)
{
	struct buf perr = BUF_INIT;
	static const int sigs[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	struct options o = { 0 };
	struct signal_ctx sc = { 0 };
	struct event_base *base;
	struct workers *w = NULL;
	sigset_t stopping;
	struct server *s;
	int rc = 1;

	parse_options(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* past a file size limit the audit write fails, we go on */
	log_open("relaywarden-policyd", 1, LOG_MAIL, o.debug);
	metrics_init("policyd");
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "relaywarden-policyd: cannot create event base\n");
		return 1;
	}
	if ((s = start(base, &o)) == NULL)
		goto out;
	/* the other loops bind and open now, while we may; they run once unprivileged */
	if ((w = workers_new(s, server_workers(server_config(s)) - 1, &perr)) == NULL ||
	    drop_privileges(server_config(s)) < 0 || workers_start(w, &perr) < 0) {
		if (perr.len > 0)
			log_err("event=start_failed error=\"%s\"", buf_cstr(&perr));
		workers_stop(&w);
		server_free(&s);
		goto out;
	}
	if (o.pidfile && safefile_pidfile(o.pidfile, &perr) < 0)
		log_warn("event=pidfile_failed error=\"%s\"", buf_cstr(&perr));
	sc = (struct signal_ctx){ s, w, base, &o };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(base, sigs[i], on_signal, &sc);
		event_add(sigev[i], NULL);
	}
	log_info("event=ready config=%s config_digest=%s rules=%zu workers=%u", o.config,
		 server_config(s)->digest, server_config(s)->policy->n_rules,
		 server_workers(server_config(s)));
	notify_ready(server_config(s)->digest);
	rc = event_base_dispatch(base) < 0 ? 1 : 0;
	/*
	 * A second TERM must not cut the last flush short: block the signals
	 * before event_free restores their default actions (one that arrives
	 * now stays pending, unseen), then ignore them.
	 */
	sigemptyset(&stopping);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&stopping, sigs[i]);
	sigprocmask(SIG_BLOCK, &stopping, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_IGN);
	workers_stop(&w);	/* each flushes, answers and records what it decided */
	server_free(&s);
	if (o.pidfile)
		unlink(o.pidfile);
	log_info("event=stopped");
out:
	event_base_free(base);
	buf_release(&perr);
	return rc;
}
