/*
 * The events' sinks (events.h): core's committed events become
 * EventBridge JSON here and go out through events_publish, the one place
 * every event leaves by: the --events-file, then each HTTP sink.
 */
#include "server/events.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/event_http.h"
#include "server/linefile.h"
#include "server/server.h"

struct events {
	struct server *srv;
	const char *path;               /* --events-file; NULL none */
	struct linefile *file;          /* JSON lines, one write per event */
	struct event_http *const *http; /* event_http.c; main's */
	size_t n_http;
};

/* Core's sink: a committed event, in commit order. */
static void
on_event(void *arg, const struct core_event *ev)
{
	struct json_object *envelope;

	envelope = event_envelope(ev);
	events_publish(arg, envelope);
	json_object_put(envelope);
}

struct events *
events_new(struct server *srv, const struct events_config *cfg, char **cause)
{
	struct events *e;

	*cause = NULL;
	if (cfg->file == NULL && cfg->n_http == 0)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->srv = srv;
	e->path = cfg->file;
	e->http = cfg->http;
	e->n_http = cfg->n_http;
	/* Each event is written whole at once: a reader tails it live. */
	if (cfg->file != NULL && (e->file = linefile_open(srv->base, cfg->file,
	                              LINEFILE_EACH, cause)) == NULL) {
		events_free(e);
		return NULL;
	}
	core_ctx_set_event_sink(srv->api, on_event, e);
	return e;
}

void
events_publish(struct events *e, struct json_object *envelope)
{
	char *line;
	size_t len, i;

	if (e == NULL)
		return;
	if (e->file != NULL) {
		/* Bounded by its strings (names, tags, a scan's tags). */
		if ((line = jrender(envelope, &len)) == NULL)
			log_error("events: an event over the render limit");
		else {
			linefile_add(e->file, line, len);
			free(line);
		}
	}
	for (i = 0; i < e->n_http; i++)
		event_http_send(e->http[i], envelope);
}

void
events_reopen(struct events *e)
{
	char *cause = NULL;

	if (e == NULL || e->file == NULL)
		return;
	if (linefile_reopen(e->file, &cause) != 0) {
		log_error("SIGHUP: keeping the old events file: %s", cause);
		free(cause);
		return;
	}
	log_info("SIGHUP: events file %s reopened", e->path);
}

void
events_free(struct events *e)
{
	if (e == NULL)
		return;
	if (e->srv->api != NULL)
		core_ctx_set_event_sink(e->srv->api, NULL, NULL);
	linefile_free(e->file);
	free(e);
}
