/* The one way ecrd prints (STYLE.md 10): leveled lines to a stream. */
#ifndef ECRD_COMMON_LOG_H
#define ECRD_COMMON_LOG_H

#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(enum log_level, FILE *);
/* Parse "error", "warn", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *, enum log_level *);
int log_enabled(enum log_level);
/*
 * Gather the calling thread's info and debug lines from now on and call
 * wake(arg) when the first is gathered: it must see that log_flush runs
 * soon (the loop's next turn). NULL stops gathering, after a flush.
 */
void log_batch(void (*wake)(void *), void *arg);
/* Write the gathered lines now. */
void log_flush(void);
void log_msg(enum log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
