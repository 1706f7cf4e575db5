/* redis_config - the config's redis section as client settings; see redis.h */
#include "autoconfig.h"

#include <string.h>

#include "core/config/config.h"
#include "core/util/mem.h"
#include "core/redis/redis.h"

/* redis_settings_from_config - defaults, then what the redis section sets */
void redis_settings_from_config(struct redis_settings *s, const struct rw_config *cfg)
{
	redis_settings_init(s);
	for (size_t i = 0; i < cfg->redis.servers.n; i++) {
		const char *srv = cfg->redis.servers.v[i];

		if (strncmp(srv, BUF_LIT("unix:")) == 0)
			srv += BUF_LIT_LEN("unix:");
		strvec_add(&s->servers, srv);
	}
	for (size_t i = 0; i < cfg->redis.sentinels.n; i++)
		strvec_add(&s->sentinels, cfg->redis.sentinels.v[i]);
	s->master_name = cfg->redis.master_name ? rw_strdup(cfg->redis.master_name) : NULL;
	s->password = cfg->redis.password ? rw_strdup(cfg->redis.password) : NULL;
	s->database = cfg->redis.database;
	if (cfg->redis.timeout_ms)
		s->timeout_ms = cfg->redis.timeout_ms;
	if (cfg->redis.connect_timeout_ms)
		s->connect_timeout_ms = cfg->redis.connect_timeout_ms;
	if (cfg->redis.connections)
		s->connections = cfg->redis.connections;
}
