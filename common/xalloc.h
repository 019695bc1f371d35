/* Allocation wrappers that abort on failure (STYLE.md 5). */
#ifndef ECRD_COMMON_XALLOC_H
#define ECRD_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
void *xmemdup(const void *, size_t);
/* size bytes aligned to align (a power of two, a multiple of a pointer). */
void *xmalloc_aligned(size_t align, size_t size);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
