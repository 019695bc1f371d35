/*
 * A layer blob as a stream of tar bytes: plain, gzip (zlib, every member
 * of a multi-member file) or zstd (every frame), read in fixed chunks and
 * counted against the scan's limits so a decompression bomb ends the
 * read instead of the scan ending the server (docs/scanning.md, "Limits").
 */
#include "core/scan_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "common/xalloc.h"

#define ZIO_CHUNK (128 * 1024)
/*
 * zstd's default largest window (128 MiB), stated: a frame asking for
 * more is refused rather than allowed that memory.
 */
#define ZIO_ZSTD_WINDOW_LOG_MAX 27

enum zio_kind { ZIO_PLAIN, ZIO_GZIP, ZIO_ZSTD };

struct scan_zio {
	int fd;
	enum zio_kind kind;
	const struct scan_limits *limits;
	uint64_t *total_out; /* over every layer of the scan */
	uint64_t in_total, out_total;
	unsigned char *in;
	size_t in_len, in_pos;
	unsigned char *sink; /* what skipping decompresses */
	bool is_in_eof;
	bool is_end; /* gzip: the stream is over; zstd: a frame just ended */
	z_stream zs;
	bool has_zs;
	ZSTD_DStream *zd;
};

static const unsigned char gzip_magic[2] = {0x1f, 0x8b};
static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

/* Refill the input buffer when it is empty; -1 on a read error. */
static int
fill(struct scan_zio *z, char **reason)
{
	ssize_t n;

	if (z->in_pos < z->in_len || z->is_in_eof)
		return 0;
	do
		n = read(z->fd, z->in, ZIO_CHUNK);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		*reason =
		    xasprintf("cannot read the layer: %s", strerror(errno));
		return -1;
	}
	z->in_len = (size_t)n;
	z->in_pos = 0;
	z->in_total += (uint64_t)n;
	if (n == 0)
		z->is_in_eof = true;
	return 0;
}

/*
 * The compression, from the media type when it names one, else from the
 * first bytes (Docker's own layers say gzip in their media type).
 */
static enum zio_kind
kind_of(struct scan_zio *z, const char *media_type)
{
	size_t avail = z->in_len - z->in_pos;
	const unsigned char *p = z->in + z->in_pos;

	if (media_type != NULL && strstr(media_type, "zstd") != NULL)
		return ZIO_ZSTD;
	if (media_type != NULL && strstr(media_type, "gzip") != NULL)
		return ZIO_GZIP;
	if (avail >= 4 && memcmp(p, zstd_magic, 4) == 0)
		return ZIO_ZSTD;
	if (avail >= 2 && memcmp(p, gzip_magic, 2) == 0)
		return ZIO_GZIP;
	return ZIO_PLAIN;
}

static int
start_decoder(struct scan_zio *z, char **reason)
{
	if (z->kind == ZIO_GZIP) {
		/* 15 + 32: a window of 32 KiB, gzip or zlib header. */
		if (inflateInit2(&z->zs, 15 + 32) != Z_OK) {
			*reason = xstrdup("cannot start zlib");
			return -1;
		}
		z->has_zs = true;
	} else if (z->kind == ZIO_ZSTD) {
		if ((z->zd = ZSTD_createDStream()) == NULL ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(z->zd,
		        ZSTD_d_windowLogMax, ZIO_ZSTD_WINDOW_LOG_MAX))) {
			*reason = xstrdup("cannot start zstd");
			return -1;
		}
	}
	return 0;
}

struct scan_zio *
scan_zio_open(const struct scan_layer *layer, const struct scan_limits *l,
    uint64_t *total_out, char **reason)
{
	struct scan_zio *z = xcalloc(1, sizeof(*z));

	z->limits = l;
	z->total_out = total_out;
	z->in = xmalloc(ZIO_CHUNK);
	if ((z->fd = open(layer->path, O_RDONLY | O_CLOEXEC)) == -1) {
		*reason =
		    xasprintf("cannot open the layer: %s", strerror(errno));
		goto fail;
	}
	if (fill(z, reason) != 0)
		goto fail;
	z->kind = kind_of(z, layer->media_type);
	if (start_decoder(z, reason) != 0)
		goto fail;
	/* No zstd frame has begun: the file may end here. */
	z->is_end = z->kind == ZIO_ZSTD;
	return z;
fail:
	scan_zio_close(z);
	return NULL;
}

void
scan_zio_close(struct scan_zio *z)
{
	if (z == NULL)
		return;
	if (z->fd != -1)
		close(z->fd);
	if (z->has_zs)
		inflateEnd(&z->zs);
	ZSTD_freeDStream(z->zd);
	free(z->in);
	free(z->sink);
	free(z);
}

/* Count n more decompressed bytes against the limits. */
static int
count_out(struct scan_zio *z, uint64_t n, char **reason)
{
	const struct scan_limits *l = z->limits;

	z->out_total += n;
	*z->total_out += n;
	if (*z->total_out > l->max_total_bytes) {
		*reason = xasprintf("the image decompresses to more than "
		                    "%llu bytes",
		    (unsigned long long)l->max_total_bytes);
		return -1;
	}
	if (l->max_ratio > 0 && z->out_total > l->ratio_after &&
	    z->out_total / l->max_ratio > z->in_total) {
		*reason = xasprintf("the layer decompresses to more than %llu "
		                    "times its size",
		    (unsigned long long)l->max_ratio);
		return -1;
	}
	return 0;
}

/*
 * A gzip member ended: go on if another member follows (pigz and
 * concatenated files), else the stream is over; any other trailing
 * bytes are ignored, as gzip(1) ignores them.
 */
static int
gzip_member_end(struct scan_zio *z, char **reason)
{
	if (fill(z, reason) != 0)
		return -1;
	if (z->in_len - z->in_pos >= 2 &&
	    memcmp(z->in + z->in_pos, gzip_magic, 2) == 0) {
		inflateReset(&z->zs);
		return 0;
	}
	z->is_end = true;
	return 0;
}

static int
read_gzip(struct scan_zio *z, unsigned char *buf, size_t n, size_t *got,
    char **reason)
{
	int zrc;

	while (*got == 0 && !z->is_end) {
		if (fill(z, reason) != 0)
			return -1;
		z->zs.next_in = z->in + z->in_pos;
		z->zs.avail_in = (uInt)(z->in_len - z->in_pos);
		z->zs.next_out = buf;
		z->zs.avail_out = (uInt)n;
		zrc = inflate(&z->zs, Z_NO_FLUSH);
		z->in_pos = z->in_len - z->zs.avail_in;
		*got = n - z->zs.avail_out;
		if (zrc == Z_STREAM_END) {
			if (gzip_member_end(z, reason) != 0)
				return -1;
		} else if (zrc == Z_BUF_ERROR && *got == 0 && z->is_in_eof) {
			/* No input left, and the member is not over. */
			*reason = xstrdup("the gzip stream is truncated");
			return -1;
		} else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			*reason = xasprintf("the gzip stream is corrupt (%s)",
			    z->zs.msg != NULL ? z->zs.msg : "zlib error");
			return -1;
		}
	}
	return 0;
}

/*
 * zstd: frames follow each other to the end of the file; the file may
 * end only where a frame does.
 */
static int
read_zstd(struct scan_zio *z, unsigned char *buf, size_t n, size_t *got,
    char **reason)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out = {buf, n, 0};
	bool is_eof;
	size_t zrc;

	while (out.pos == 0) {
		if (fill(z, reason) != 0)
			return -1;
		is_eof = z->in_pos == z->in_len;
		if (is_eof && z->is_end)
			break;
		in.src = z->in;
		in.size = z->in_len;
		in.pos = z->in_pos;
		zrc = ZSTD_decompressStream(z->zd, &out, &in);
		z->in_pos = in.pos;
		if (ZSTD_isError(zrc)) {
			*reason = xasprintf("the zstd stream is corrupt (%s)",
			    ZSTD_getErrorName(zrc));
			return -1;
		}
		z->is_end = zrc == 0;
		if (is_eof && out.pos == 0 && !z->is_end) {
			*reason = xstrdup("the zstd stream is truncated");
			return -1;
		}
	}
	*got = out.pos;
	return 0;
}

static int
read_plain(struct scan_zio *z, unsigned char *buf, size_t n, size_t *got,
    char **reason)
{
	size_t avail;

	if (fill(z, reason) != 0)
		return -1;
	avail = z->in_len - z->in_pos;
	if (avail > n)
		avail = n;
	memcpy(buf, z->in + z->in_pos, avail);
	z->in_pos += avail;
	*got = avail;
	return 0;
}

int
scan_zio_read(struct scan_zio *z, void *buf, size_t n, size_t *got,
    char **reason)
{
	int rc;

	*got = 0;
	if (n == 0)
		return 0;
	if (z->kind == ZIO_GZIP)
		rc = read_gzip(z, buf, n, got, reason);
	else if (z->kind == ZIO_ZSTD)
		rc = read_zstd(z, buf, n, got, reason);
	else
		rc = read_plain(z, buf, n, got, reason);
	if (rc != 0)
		return -1;
	return count_out(z, *got, reason);
}

/* A plain layer seeks past what is not in the buffer. */
static int
skip_plain(struct scan_zio *z, uint64_t n, bool *is_short, char **reason)
{
	size_t avail = z->in_len - z->in_pos;
	uint64_t skipped = n;
	struct stat st;
	off_t at;

	if (n > avail) {
		if (fstat(z->fd, &st) != 0 ||
		    (at = lseek(z->fd, 0, SEEK_CUR)) == -1 ||
		    (uint64_t)(st.st_size - at) < n - avail) {
			*is_short = true;
			return 0;
		}
		if (lseek(z->fd, (off_t)(n - avail), SEEK_CUR) == -1) {
			*reason = xasprintf("cannot seek in the layer: %s",
			    strerror(errno));
			return -1;
		}
		z->in_total += n - avail;
		n = avail;
	}
	z->in_pos += (size_t)n;
	return count_out(z, skipped, reason);
}

/*
 * Skip n bytes: a plain layer seeks past what is not buffered; a
 * compressed one must decompress them.
 */
int
scan_zio_skip(struct scan_zio *z, uint64_t n, bool *is_short, char **reason)
{
	size_t want, got;

	*is_short = false;
	if (z->kind == ZIO_PLAIN)
		return skip_plain(z, n, is_short, reason);
	if (z->sink == NULL)
		z->sink = xmalloc(ZIO_CHUNK);
	while (n > 0) {
		want = n < ZIO_CHUNK ? (size_t)n : ZIO_CHUNK;
		if (scan_zio_read(z, z->sink, want, &got, reason) != 0)
			return -1;
		if (got == 0) {
			*is_short = true;
			break;
		}
		n -= got;
	}
	return 0;
}
