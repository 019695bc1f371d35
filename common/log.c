/* Leveled logging with an ISO-8601 UTC timestamp per line. */
#include "common/log.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level log_threshold = LOG_LEVEL_INFO;
static FILE *log_stream;

static const char *const log_names[] = {"error", "warn", "info", "debug"};

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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	FILE *fp = log_stream != NULL ? log_stream : stderr;
	struct timeval tv;
	struct tm tm;
	char ts[32];
	va_list ap;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(fp, "%s.%03dZ %s ", ts, (int)(tv.tv_usec / 1000),
	    log_names[level]);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
	fflush(fp);
}
