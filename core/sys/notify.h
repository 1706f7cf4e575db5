/*
 * notify - tell the service manager how the daemon is (systemd's
 * sd_notify(3), libsystemd): ready once it serves, reloading while a new
 * configuration is read, stopping on the way out, and a one-line status.
 * Without $NOTIFY_SOCKET (not started by systemd with Type=notify) every
 * call does nothing. Thread-safe (sd_notify is).
 */
#ifndef RW_NOTIFY_H
#define RW_NOTIFY_H

/* notify_ready - serving; status is shown by systemctl status */
void notify_ready(const char *config_digest);
/* notify_reloading - a reload has begun; notify_ready follows whatever its outcome */
void notify_reloading(void);
/* notify_stopping - the daemon is shutting down */
void notify_stopping(void);

#endif
