/*
 * The HTTP side of `pgreach serve` on libmicrohttpd: one thread per
 * connection (a probe blocks its scrape's thread, never the others), a
 * bounded number of connections and of probes, and the exporter's routes.
 */
#ifndef PGR_SERVE_HTTP_H
#define PGR_SERVE_HTTP_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "serve/config.h"
#include "serve/metrics.h"
#include "serve/webconfig.h"

/* A loaded configuration, shared by the scrapes that started under it. */
struct pgr_serve_cfgref {
	struct pgr_serve_config	 c;
	int			 refs;
};

struct pgr_server {
	const char		*progname;
	const char		*config_path;
	struct pgr_webconfig	 web;
	int			 max_concurrent;
	unsigned		 conn_timeout_s;	/* idle client, headers included */
	unsigned		 max_connections;
	double			 scrape_offset_s;	/* kept off the scrape timeout */

	pthread_mutex_t		 mu;		/* cfg, in_flight, queued, draining */
	pthread_cond_t		 slot;		/* a probe finished, or draining */
	pthread_mutex_t		 reload_mu;	/* one reload at a time */
	struct pgr_serve_cfgref	*cfg;
	int			 in_flight, queued;
	bool			 draining;

	struct pgr_serve_metrics metrics;
	struct MHD_Daemon	*daemon;
};

/* The configuration now in use, with a reference; release with _put. */
struct pgr_serve_cfgref *pgr_server_cfg_get(struct pgr_server *s);
void	pgr_server_cfg_put(struct pgr_server *s, struct pgr_serve_cfgref *r);
/* Load the file again: 0 and swapped, or -1 with err and the old kept. */
int	pgr_server_reload(struct pgr_server *s, char *err, size_t errlen);

/* Start listening on sa; 0, or -1 with err. */
int	pgr_http_start(struct pgr_server *s, const struct sockaddr *sa,
	    char *err, size_t errlen);
/* Stop accepting connections; requests already in keep running. */
void	pgr_http_quiesce(struct pgr_server *s);
void	pgr_http_stop(struct pgr_server *s);

#endif
