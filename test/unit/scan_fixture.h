/*
 * Layers for basic scanning's tests (test/unit/scan_fixture.c): tar
 * streams built in memory, written plain, gzip or zstd into a temporary
 * directory that scan_fixture_release removes.
 */
#ifndef ECRD_TEST_SCAN_FIXTURE_H
#define ECRD_TEST_SCAN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "core/scan.h"

#define FIX_LAYERS_MAX 8

/* FIX_GZIP2, FIX_ZSTD2: two gzip members, two zstd frames (halves). */
enum fix_compression { FIX_PLAIN, FIX_GZIP, FIX_ZSTD, FIX_GZIP2, FIX_ZSTD2 };

struct scan_fixture {
	char dir[512];
	char *paths[FIX_LAYERS_MAX];
	struct scan_layer layers[FIX_LAYERS_MAX];
	size_t n_layers;
};

/* A tar stream being built (the buffer holds its bytes). */
void fix_tar_init(struct buf *);
/* A member: ustar, with a pax header first when name passes 100 bytes. */
void fix_tar_add(struct buf *, const char *name, char type, const char *data,
    size_t len, const char *link);
void fix_tar_file(struct buf *, const char *name, const char *text);
/* A member whose name comes in a GNU long-name ('L') header. */
void fix_tar_gnu_long(struct buf *, const char *name, const char *text);
/* A header for a member of size bytes, without its data. */
void fix_tar_header(struct buf *, const char *name, char type, uint64_t size,
    const char *link);
/* The end-of-archive marker. */
void fix_tar_end(struct buf *);

void scan_fixture_init(struct scan_fixture *);
/* Remove the layers and the directory. */
void scan_fixture_release(struct scan_fixture *);
/* Add a layer of the tar bytes, compressed as asked; returns its index. */
size_t fix_layer(struct scan_fixture *, const struct buf *tar,
    enum fix_compression);
/* A gzip layer: the tar bytes, then n zero bytes (a bomb). */
size_t fix_layer_zeros(struct scan_fixture *, const struct buf *tar,
    uint64_t n_zeros);
/* Cut a layer's file to len bytes. */
void fix_layer_truncate(struct scan_fixture *, size_t i, size_t len);
/* A layer's file size. */
size_t fix_layer_size(const struct scan_fixture *, size_t i);

#endif
