/*
 * Append-only line files (linefile.h). The gathered lines live in an
 * evbuffer; a failed write drops them and counts them lost rather than
 * growing without bound or stopping the server over a log.
 */
#include "server/linefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"

#define HIGH_WATER (256 * 1024) /* bytes gathered before a write at once */

/* libevent fails only out of memory, which xalloc treats the same way. */
#define MUST(x)                                                                \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

struct linefile {
	char *path;
	int fd;
	enum linefile_mode mode;
	struct evbuffer *pending;
	struct event *flush_ev; /* LINEFILE_BATCH: the interval's timer */
	unsigned long long n_lost;
	size_t n_pending_lines;
};

static int
open_append(const char *path, char **cause)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	return fd;
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	linefile_flush(arg);
}

struct linefile *
linefile_open(struct event_base *base, const char *path,
    enum linefile_mode mode, char **cause)
{
	struct linefile *lf;
	int fd;

	if ((fd = open_append(path, cause)) == -1)
		return NULL;
	lf = xcalloc(1, sizeof *lf);
	lf->path = xstrdup(path);
	lf->fd = fd;
	lf->mode = mode;
	MUST((lf->pending = evbuffer_new()) != NULL);
	if (mode == LINEFILE_BATCH)
		MUST((lf->flush_ev = evtimer_new(base, flush_cb, lf)) != NULL);
	return lf;
}

void
linefile_add(struct linefile *lf, const char *line, size_t len)
{
	struct timeval after = {0, LINEFILE_BATCH_MS * 1000};

	MUST(evbuffer_add(lf->pending, line, len) == 0 &&
	     evbuffer_add(lf->pending, "\n", 1) == 0);
	lf->n_pending_lines++;
	if (lf->mode == LINEFILE_EACH ||
	    evbuffer_get_length(lf->pending) >= HIGH_WATER)
		linefile_flush(lf);
	else if (!evtimer_pending(lf->flush_ev, NULL))
		evtimer_add(lf->flush_ev, &after);
}

void
linefile_flush(struct linefile *lf)
{
	ssize_t n;

	while (evbuffer_get_length(lf->pending) > 0) {
		n = evbuffer_write(lf->pending, lf->fd);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		log_error("%s: lines lost: %s", lf->path,
		    n == 0 ? "short write" : strerror(errno));
		lf->n_lost += lf->n_pending_lines;
		evbuffer_drain(lf->pending, evbuffer_get_length(lf->pending));
		break;
	}
	lf->n_pending_lines = 0;
}

int
linefile_reopen(struct linefile *lf, char **cause)
{
	int fd;

	linefile_flush(lf);
	if ((fd = open_append(lf->path, cause)) == -1)
		return -1;
	close(lf->fd);
	lf->fd = fd;
	return 0;
}

unsigned long long
linefile_n_lost(const struct linefile *lf)
{
	return lf->n_lost;
}

void
linefile_free(struct linefile *lf)
{
	if (lf == NULL)
		return;
	linefile_flush(lf);
	if (lf->flush_ev != NULL)
		event_free(lf->flush_ev);
	evbuffer_free(lf->pending);
	close(lf->fd);
	free(lf->path);
	free(lf);
}
