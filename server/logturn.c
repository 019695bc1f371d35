/*
 * The loop's log lines, written once per loop turn (common/log.c's
 * log_batch): the first line gathered arms a zero timer, which runs after
 * the loop's next poll and writes them all in one write().
 */
#include "server/server.h"

#include <stdlib.h>

#include <event2/event.h>

#include "common/log.h"

static struct event *logturn_ev;

static void
logturn_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

static void
logturn_wake(void *arg)
{
	struct timeval now = {0, 0};

	evtimer_add(arg, &now);
}

void
logturn_start(struct event_base *base)
{
	if ((logturn_ev = evtimer_new(base, logturn_flush_cb, NULL)) == NULL)
		return; /* each line is written at once, as before */
	log_batch(logturn_wake, logturn_ev);
}

void
logturn_stop(void)
{
	log_batch(NULL, NULL);
	if (logturn_ev != NULL)
		event_free(logturn_ev);
	logturn_ev = NULL;
}
