/*
 * EventBridge events (docs/observability.md, "Events"): core hands the
 * facts of each committed event to events.c, which builds EventBridge's
 * JSON (event_json.c) and sends it to every sink: --events-file (JSON
 * lines) and the HTTP sinks (event_http.c).
 */
#ifndef ECRD_SERVER_EVENTS_H
#define ECRD_SERVER_EVENTS_H

#include <stddef.h>

struct core_event;
struct json_object;
struct server;

/* What main.c read from the flags; NULL members: that sink is off. */
struct events_config {
	const char *file; /* --events-file */
	/* --events-webhook, --eventbridge-endpoint (borrowed; main's) */
	struct event_http *const *http;
	size_t n_http;
};

/*
 * Open the configured sinks and hang the events off srv->api (so core
 * records events): NULL and *cause (caller frees) if a sink cannot be
 * opened; NULL and no cause when no sink is configured (events are off,
 * and cost nothing).
 */
struct events *events_new(struct server *, const struct events_config *,
    char **cause);
/*
 * The one place every event goes out: write envelope (borrowed; an
 * EventBridge event, event_envelope's) to each sink. NULL is ignored.
 */
void events_publish(struct events *, struct json_object *envelope);
/* SIGHUP: reopen --events-file at its path (rotated); NULL is ignored. */
void events_reopen(struct events *);
/* Close the sinks (flushing what they hold); NULL is ignored. */
void events_free(struct events *);

/*
 * event_json.c: the EventBridge event for ev (version "0", a fresh id,
 * detail-type, source, account, time, region, resources, detail), with
 * ECR's detail fields for its type; the caller puts it.
 */
struct json_object *event_envelope(const struct core_event *ev);

#endif
