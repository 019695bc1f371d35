/* Tar layers built in memory for basic scanning's tests. */
#include "scan_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>

#include "common/xalloc.h"

#define FIX_TAR_MAX (256U * 1024 * 1024)

void
fix_tar_init(struct buf *b)
{
	buf_init(b, FIX_TAR_MAX);
}

static void
pad(struct buf *b)
{
	static const char zeros[512];

	if (b->len % 512 != 0)
		buf_add(b, zeros, 512 - b->len % 512);
}

void
fix_tar_header(struct buf *b, const char *name, char type, uint64_t size,
    const char *link)
{
	unsigned char h[512];
	unsigned long sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link != NULL)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06lo", sum);
	buf_add(b, h, sizeof(h));
}

static void
pax_path(struct buf *b, const char *name)
{
	char rec[8192];
	size_t body = strlen(" path=\n") + strlen(name), len = body + 1;

	/* The record's length counts its own digits. */
	while ((size_t)snprintf(NULL, 0, "%zu", len) + body != len)
		len = body + (size_t)snprintf(NULL, 0, "%zu", len);
	snprintf(rec, sizeof(rec), "%zu path=%s\n", len, name);
	fix_tar_header(b, "PaxHeaders/x", 'x', strlen(rec), NULL);
	buf_add(b, rec, strlen(rec));
	pad(b);
}

void
fix_tar_add(struct buf *b, const char *name, char type, const char *data,
    size_t len, const char *link)
{
	if (strlen(name) >= 100)
		pax_path(b, name);
	fix_tar_header(b, name, type, len, link);
	if (len > 0)
		buf_add(b, data, len);
	pad(b);
}

void
fix_tar_file(struct buf *b, const char *name, const char *text)
{
	fix_tar_add(b, name, '0', text, strlen(text), NULL);
}

void
fix_tar_gnu_long(struct buf *b, const char *name, const char *text)
{
	fix_tar_header(b, "././@LongLink", 'L', strlen(name) + 1, NULL);
	buf_add(b, name, strlen(name) + 1);
	pad(b);
	fix_tar_header(b, "truncated-name", '0', strlen(text), NULL);
	buf_add(b, text, strlen(text));
	pad(b);
}

void
fix_tar_end(struct buf *b)
{
	static const char zeros[1024];

	buf_add(b, zeros, sizeof(zeros));
}

void
scan_fixture_init(struct scan_fixture *f)
{
	const char *tmp = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/scan-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
}

void
scan_fixture_release(struct scan_fixture *f)
{
	size_t i;

	for (i = 0; i < f->n_layers; i++) {
		unlink(f->paths[i]);
		free(f->paths[i]);
	}
	rmdir(f->dir);
	f->n_layers = 0;
}

static size_t
new_layer(struct scan_fixture *f, const char *media_type, FILE **fp)
{
	size_t i = f->n_layers++;

	assert_true(i < FIX_LAYERS_MAX);
	f->paths[i] = xasprintf("%s/layer%zu", f->dir, i);
	f->layers[i].path = f->paths[i];
	f->layers[i].media_type = media_type;
	assert_non_null(*fp = fopen(f->paths[i], "wb"));
	return i;
}

/* Deflate len bytes (zeros when data is NULL) into a gzip stream. */
static void
gz_feed(z_stream *zs, FILE *fp, const void *data, uint64_t len, int flush)
{
	static const unsigned char zeros[65536];
	unsigned char out[65536];
	uint64_t left = len;
	size_t n;

	do {
		n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);
		zs->next_in = data != NULL
		                  ? (const unsigned char *)data + (len - left)
		                  : zeros;
		zs->avail_in = (uInt)n;
		left -= n;
		do {
			zs->next_out = out;
			zs->avail_out = sizeof(out);
			deflate(zs, left == 0 ? flush : Z_NO_FLUSH);
			fwrite(out, 1, sizeof(out) - zs->avail_out, fp);
		} while (zs->avail_out == 0);
	} while (left > 0);
}

size_t
fix_layer_zeros(struct scan_fixture *f, const struct buf *tar, uint64_t n_zeros)
{
	z_stream zs;
	FILE *fp;
	size_t i =
	    new_layer(f, "application/vnd.oci.image.layer.v1.tar+gzip", &fp);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9,
	                     Z_DEFAULT_STRATEGY),
	    Z_OK);
	gz_feed(&zs, fp, tar->data, tar->len, Z_NO_FLUSH);
	gz_feed(&zs, fp, NULL, n_zeros, Z_FINISH);
	deflateEnd(&zs);
	fclose(fp);
	return i;
}

static void
write_gzip(FILE *fp, const char *data, size_t len)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
	                     Z_DEFAULT_STRATEGY),
	    Z_OK);
	gz_feed(&zs, fp, data, len, Z_FINISH);
	deflateEnd(&zs);
}

static void
write_zstd(FILE *fp, const char *data, size_t len)
{
	size_t bound = ZSTD_compressBound(len), n;
	void *out = xmalloc(bound);

	n = ZSTD_compress(out, bound, data, len, 3);
	assert_false(ZSTD_isError(n));
	fwrite(out, 1, n, fp);
	free(out);
}

size_t
fix_layer(struct scan_fixture *f, const struct buf *tar, enum fix_compression c)
{
	size_t half = tar->len / 2, i;
	FILE *fp;

	if (c == FIX_GZIP || c == FIX_GZIP2) {
		i = new_layer(f,
		    "application/vnd.docker.image.rootfs.diff.tar.gzip", &fp);
		if (c == FIX_GZIP)
			write_gzip(fp, tar->data, tar->len);
		else {
			write_gzip(fp, tar->data, half);
			write_gzip(fp, tar->data + half, tar->len - half);
		}
	} else if (c == FIX_ZSTD || c == FIX_ZSTD2) {
		i = new_layer(f, "application/vnd.oci.image.layer.v1.tar+zstd",
		    &fp);
		if (c == FIX_ZSTD)
			write_zstd(fp, tar->data, tar->len);
		else {
			write_zstd(fp, tar->data, half);
			write_zstd(fp, tar->data + half, tar->len - half);
		}
	} else {
		i = new_layer(f, "application/vnd.oci.image.layer.v1.tar", &fp);
		fwrite(tar->data, 1, tar->len, fp);
	}
	fclose(fp);
	return i;
}

void
fix_layer_truncate(struct scan_fixture *f, size_t i, size_t len)
{
	assert_int_equal(truncate(f->paths[i], (off_t)len), 0);
}

size_t
fix_layer_size(const struct scan_fixture *f, size_t i)
{
	struct stat st;

	assert_int_equal(stat(f->paths[i], &st), 0);
	return (size_t)st.st_size;
}
