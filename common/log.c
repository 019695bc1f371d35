/*
 * Leveled logging with an ISO-8601 UTC timestamp per line. Each line goes
 * out in one write. The event loop may gather its info and debug lines
 * (one access line per request) and write them once per loop turn
 * (log_batch): a write per request cost a system call each. Errors and
 * warnings, and every line of other threads, are written at once, after
 * whatever is gathered, so lines keep their order.
 */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/buf.h"
#include "common/xalloc.h"

/* A line formatted on the stack up to this; longer ones are allocated. */
#define LOG_LINE_STACK 512
/* Gathered lines are written at once past this, whatever the turn. */
#define LOG_BATCH_HIGH_WATER (64 * 1024)
/* What may be gathered: a line that would pass it is not. */
#define LOG_BATCH_MAX (4 * LOG_BATCH_HIGH_WATER)

static enum log_level log_threshold = LOG_LEVEL_INFO;
static FILE *log_stream;

static const char *const log_names[] = {"error", "warn", "info", "debug"};

/* The loop's gathered lines; mu orders them with other threads' lines. */
static struct {
	pthread_mutex_t mu;
	bool is_on;
	pthread_t owner; /* the thread whose lines are gathered */
	void (*wake)(void *);
	void *wake_arg;
	struct buf lines;
} batch = {.mu = PTHREAD_MUTEX_INITIALIZER};

void
log_init(enum log_level level, FILE *fp)
{
	log_threshold = level;
	log_stream = fp;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

static FILE *
log_fp(void)
{
	return log_stream != NULL ? log_stream : stderr;
}

static void
log_write(const char *data, size_t len)
{
	FILE *fp = log_fp();

	if (len == 0)
		return;
	(void)fwrite(data, 1, len, fp);
	(void)fflush(fp);
}

/* With batch.mu held. */
static void
batch_flush_locked(void)
{
	log_write(batch.lines.data, batch.lines.len);
	buf_reset(&batch.lines);
}

/*
 * Queue a line of the owner thread's (true), or write it after what is
 * queued (false). *must_wake: the queue was empty, so a flush is due.
 */
static bool
batch_take(enum log_level level, const char *line, size_t len, bool *must_wake)
{
	*must_wake = false;
	if (!batch.is_on || level < LOG_LEVEL_INFO ||
	    !pthread_equal(pthread_self(), batch.owner)) {
		batch_flush_locked();
		return false;
	}
	/* A line too long to gather goes out after what is gathered. */
	if (batch.lines.len + len > LOG_BATCH_MAX) {
		batch_flush_locked();
		return false;
	}
	*must_wake = batch.lines.len == 0;
	(void)buf_add(&batch.lines, line, len);
	if (batch.lines.len >= LOG_BATCH_HIGH_WATER) {
		batch_flush_locked();
		*must_wake = false;
	}
	return true;
}

static void
log_emit(enum log_level level, const char *line, size_t len)
{
	bool must_wake, is_queued;

	pthread_mutex_lock(&batch.mu);
	is_queued = batch_take(level, line, len, &must_wake);
	if (!is_queued)
		log_write(line, len);
	pthread_mutex_unlock(&batch.mu);
	if (must_wake)
		batch.wake(batch.wake_arg);
}

void
log_batch(void (*wake)(void *), void *arg)
{
	pthread_mutex_lock(&batch.mu);
	batch_flush_locked();
	buf_release(&batch.lines);
	batch.is_on = wake != NULL;
	if (batch.is_on) {
		batch.owner = pthread_self();
		batch.wake = wake;
		batch.wake_arg = arg;
		buf_init(&batch.lines, LOG_BATCH_MAX);
	}
	pthread_mutex_unlock(&batch.mu);
}

void
log_flush(void)
{
	pthread_mutex_lock(&batch.mu);
	batch_flush_locked();
	pthread_mutex_unlock(&batch.mu);
}

/* "2026-12-08T01:02:03.456Z info ": the line's prefix, into dst. */
static size_t
log_prefix(enum log_level level, char *dst, size_t size)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(dst, size, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(dst + n, size - n, ".%03dZ %s ",
	    (int)(tv.tv_usec / 1000), log_names[level]);
	return n;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char stack[LOG_LINE_STACK], *line = stack;
	size_t n, size = sizeof stack;
	va_list ap;
	int m;

	if (!log_enabled(level))
		return;
	n = log_prefix(level, stack, sizeof stack);
	va_start(ap, fmt);
	m = vsnprintf(stack + n, size - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	/* Too long for the stack (with its newline): format it again. */
	if (n + (size_t)m + 1 >= size) {
		size = n + (size_t)m + 2;
		line = xmalloc(size);
		memcpy(line, stack, n);
		va_start(ap, fmt);
		(void)vsnprintf(line + n, size - n, fmt, ap);
		va_end(ap);
	}
	n += (size_t)m;
	line[n++] = '\n';
	log_emit(level, line, n);
	if (line != stack)
		free(line);
}
