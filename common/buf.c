/* Capped growable buffer; see buf.h. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->max = max;
	b->is_failed = false;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->is_failed = false;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
	b->is_failed = false;
}

void
buf_fail(struct buf *b)
{
	buf_release(b);
	b->is_failed = true;
}

bool
buf_failed(const struct buf *b)
{
	return b->is_failed;
}

static int
buf_grow(struct buf *b, size_t add)
{
	size_t need, size;

	if (b->is_failed)
		return BUF_TOOBIG;
	if (add > b->max || b->len > b->max - add) {
		buf_fail(b);
		return BUF_TOOBIG;
	}
	need = b->len + add + 1;
	if (need <= b->size)
		return 0;
	size = b->size == 0 ? 64 : b->size;
	while (size < need)
		size *= 2;
	b->data = xrealloc(b->data, size);
	b->size = size;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t len)
{
	if (buf_grow(b, len) != 0)
		return BUF_TOOBIG;
	if (len != 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

char *
buf_reserve(struct buf *b, size_t len)
{
	if (buf_grow(b, len) != 0)
		return NULL;
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t len)
{
	if (b->is_failed)
		return;
	b->len += len;
	b->data[b->len] = '\0';
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf_fail(b);
		return BUF_TOOBIG;
	}
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

char *
buf_take(struct buf *b, size_t *lenp)
{
	char *p;

	if (b->is_failed) {
		buf_release(b);
		if (lenp != NULL)
			*lenp = 0;
		return NULL;
	}
	if (b->data == NULL)
		b->data = xcalloc(1, 1);
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	return p;
}
