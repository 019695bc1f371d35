/*
 * Growable byte buffer with a hard cap (curl's dynbuf): appending past the
 * cap fails and empties the buffer, so the caller has nothing to clean up.
 * Failure is sticky: every later append does nothing and fails too, so a
 * writer may ignore each append and check buf_failed() once at the end; a
 * failure midway can never leave a buffer that looks whole but is not.
 */
#ifndef ECRD_COMMON_BUF_H
#define ECRD_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t size;
	size_t max;     /* largest len allowed */
	bool is_failed; /* an append failed: see buf_failed */
};

#define BUF_TOOBIG (-2)

void buf_init(struct buf *, size_t max);
/* Free the data; the buffer is empty and usable again, not failed. */
void buf_release(struct buf *);
/* Empty the buffer, keeping its memory; it is not failed afterwards. */
void buf_reset(struct buf *);
/*
 * Append; 0, or BUF_TOOBIG when len would pass max or an earlier append
 * failed. The first failure releases the data and marks the buffer failed.
 */
int buf_add(struct buf *, const void *, size_t);
int buf_addstr(struct buf *, const char *);
int buf_addf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Make room for len more bytes and return where they go (NULL, as
 * buf_add fails, when len would pass max or the buffer has failed);
 * buf_commit(b, n) then counts the n bytes written there. Together they let
 * a writer fill the buffer directly.
 */
char *buf_reserve(struct buf *, size_t len);
void buf_commit(struct buf *, size_t len);
/* Make the buffer failed, as an append past the cap does. */
void buf_fail(struct buf *);
/* Whether an append failed since buf_init, buf_release or buf_reset. */
bool buf_failed(const struct buf *);
/*
 * Hand the data to the caller and reset the buffer: never NULL unless the
 * buffer has failed (then NULL, and the buffer is reset all the same).
 */
char *buf_take(struct buf *, size_t *lenp);

#endif
