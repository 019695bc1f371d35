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
int scan_zio_skip(struct scan_zio *, uint64_t n, bool *is_short, char **reason);
void scan_zio_close(struct scan_zio *);

/*
 * The OSV index (osv.c builds it, osv_match.c reads it). Versions are
 * ordered by dpkg's or apk's rules, by the ecosystem's family.
 */
enum osv_family { OSV_FAMILY_NONE, OSV_FAMILY_DPKG, OSV_FAMILY_APK };

enum osv_event_kind { OSV_INTRODUCED, OSV_FIXED, OSV_LAST_AFFECTED };

struct osv_event {
	enum osv_event_kind kind;
	char *version; /* NULL: introduced "0", before every version */
};

/* An ECOSYSTEM range, its events sorted by the ecosystem's ordering. */
struct osv_range {
	struct osv_event *events;
	size_t n_events;
};

/* What a record or one of its packages says of severity. */
struct osv_severity {
	char *cvss3_vector; /* NULL when none */
	double cvss3_score; /* < 0 when none */
	const char *level;  /* from a distro's own rating; NULL when none */
};

struct osv_record {
	char *id;
	char *name; /* the CVE alias, else the id */
	char *description;
	char *advisory_uri; /* a reference of type ADVISORY, or NULL */
	char *first_uri;    /* the first reference, or NULL */
	struct osv_severity severity;
	int64_t modified_ms;
	bool is_dropped; /* replaced, withdrawn or without packages */
};

/* One affected package of a record: the index's entries. */
struct osv_affected {
	size_t rec;
	const char
	    *ecosystem; /* interned in the vulndb: "Debian:12", "Debian" */
	char *name;
	enum osv_family family;
	struct osv_range *ranges;
	size_t n_ranges;
	char **versions;
	size_t n_versions;
	struct osv_severity severity;
};

struct vulndb {
	struct osv_record *recs;
	size_t n_recs, recs_size;
	struct osv_affected *aff; /* sorted by ecosystem, then name */
	size_t n_aff, aff_size;
	char **ecosystems; /* interned */
	size_t n_ecosystems;
	int64_t updated_at_ms;
	size_t n_records, n_skipped;
};

/* The family of an ecosystem ("Debian:12", "Alpine"...). */
enum osv_family osv_family_of(const char *ecosystem);
/* Compare versions by the family's ordering. */
int osv_version_cmp(enum osv_family, const char *, const char *);
/* The first index entry of (ecosystem, name), or n_aff if none. */
size_t osv_find(const struct vulndb *, const char *ecosystem, const char *name);

#endif
