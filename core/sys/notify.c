/* notify - the service manager's readiness protocol; see notify.h */
#include "autoconfig.h"

#include <systemd/sd-daemon.h>

#include "core/sys/notify.h"

void notify_ready(const char *config_digest)
{
	sd_notifyf(0, "READY=1\nSTATUS=serving, config sha256 %.12s", config_digest);
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
