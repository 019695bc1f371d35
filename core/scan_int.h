/* Declarations shared inside basic scanning's library (core/scan*.c). */
#ifndef ECRD_CORE_SCAN_INT_H
#define ECRD_CORE_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/scan.h"

/*
 * A file the layer reader kept: its path (normalised, without a leading
 * '/'), and its bytes or, for a symbolic link, its target.
 */
struct scan_file {
	char *path;
	char *data; /* NUL-terminated; NULL for a link */
	size_t len;
	char *link; /* NULL unless a symbolic link */
	size_t layer;
};

/* The kept files of an image, as its last layer leaves them. */
struct scan_fs {
	struct scan_file *files;
	size_t n, size;
	size_t kept_bytes; /* of every file kept, for max_file_bytes */
};

/*
 * Read layers[0..n) in order into fs (empty, owned by the caller, who
 * releases it with scan_fs_release even on failure), applying whiteouts,
 * keeping the regular files and links whose normalised path want
 * accepts. Returns 0, or -1
 * with *reason (to free) when a layer is unreadable, corrupt, escapes
 * the root or passes a limit.
 */
int scan_layers_read(const struct scan_layer *, size_t n,
    const struct scan_limits *, bool (*want)(const char *path),
    struct scan_fs *fs, char **reason);
void scan_fs_release(struct scan_fs *);
/*
 * The kept file at path, following symbolic links among the kept files
 * (8 at most); NULL if there is none. Borrowed from fs.
 */
const struct scan_file *scan_fs_get(const struct scan_fs *, const char *path);
/*
 * Normalise a tar member's name in place: no leading '/' or "./", no
 * empty or "." components, no trailing '/'. Returns 0, or -1 when a
 * component is "..".
 */
int scan_path_normalise(char *path);

/*
 * One layer as a stream of tar bytes (scan_zio.c), decompressed as its
 * media type or first bytes say, with every byte out counted in
 * *total_out and against the limits. open returns the stream, or NULL
 * with *reason (to free). read fills buf with 1 to n bytes, or *got = 0
 * at the end; skip passes n bytes, with *is_short when the layer ends
 * first. Both return 0, or -1 with *reason when the layer is unreadable,
 * corrupt, truncated inside a compressed stream, or over a limit.
 */
struct scan_zio;
struct scan_zio *scan_zio_open(const struct scan_layer *,
    const struct scan_limits *, uint64_t *total_out, char **reason);
int scan_zio_read(struct scan_zio *, void *buf, size_t n, size_t *got,
    char **reason);
int scan_zio_skip(struct scan_zio *, uint64_t n, bool *is_short,
    char **reason);
void scan_zio_close(struct scan_zio *);

#endif
