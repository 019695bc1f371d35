/*
 * An append-only file of lines (--events-file, --audit-log): JSON lines
 * written with O_APPEND, never fsync'd (they are logs, not the store; a
 * crash may lose what the page cache held). A LINEFILE_EACH file writes
 * every line at once, so a reader sees it as soon as it is added; a
 * LINEFILE_BATCH file gathers lines and writes them in one write()
 * LINEFILE_BATCH_MS after the first of them, or at once past a high-water
 * mark, so a busy loop pays one system call per interval, not per line
 * or per loop turn; a reader polls for what it waits for. linefile_free
 * writes what is left.
 * SIGHUP's linefile_reopen follows a rotated path (logrotate's rename).
 */
#ifndef ECRD_SERVER_LINEFILE_H
#define ECRD_SERVER_LINEFILE_H

#include <stddef.h>

struct event_base;
struct linefile;

#define LINEFILE_BATCH_MS 50

enum linefile_mode {
	LINEFILE_EACH,  /* one write per line */
	LINEFILE_BATCH, /* one write per LINEFILE_BATCH_MS */
};

/* Open (create, mode 0640) path for appending; NULL and *cause if not. */
struct linefile *linefile_open(struct event_base *, const char *path,
    enum linefile_mode, char **cause);
/* Append line (without its newline, which is added). */
void linefile_add(struct linefile *, const char *line, size_t len);
/* Write what is gathered now. */
void linefile_flush(struct linefile *);
/* Flush, then open the path again; the old file is kept if it fails. */
int linefile_reopen(struct linefile *, char **cause);
/* Lines that could not be written (disk full, I/O error), for metrics. */
unsigned long long linefile_n_lost(const struct linefile *);
/* Flush and close; NULL is ignored. */
void linefile_free(struct linefile *);

#endif
