/*
 * Growable byte buffer with a hard cap (curl's dynbuf): appending past the
 * cap fails and empties the buffer, so the caller has nothing to clean up.
 */
#ifndef ECRD_COMMON_BUF_H
#define ECRD_COMMON_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 size;
	size_t	 max;		/* largest len allowed */
};

#define BUF_TOOBIG	(-2)

void	 buf_init(struct buf *, size_t max);
void	 buf_release(struct buf *);
void	 buf_reset(struct buf *);
/* Append; 0, or BUF_TOOBIG (buffer released) when len would pass max. */
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Make room for len more bytes and return where they go (NULL, buffer
 * released, when len would pass max); buf_commit(b, n) then counts the n
 * bytes written there. Together they let a writer fill the buffer directly.
 */
char	*buf_reserve(struct buf *, size_t len);
void	 buf_commit(struct buf *, size_t len);
/* Hand the data to the caller (never NULL) and reset the buffer. */
char	*buf_take(struct buf *, size_t *lenp);

#endif
