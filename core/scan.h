/*
 * Basic image scanning's library (docs/scanning.md): read an image's
 * layers for its operating-system package inventory, and match
 * inventories against an index of an OSV directory. Pure and blocking:
 * no event loop, no ECR JSON; callers run it in the worker pool.
 */
#ifndef ECRD_CORE_SCAN_H
#define ECRD_CORE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One layer blob of an image, in order; media_type says gzip, zstd or tar. */
struct scan_layer {
	const char *path;
	const char *media_type; /* NULL: sniffed from the first bytes */
};

/*
 * An installed package; source is the source package (dpkg Source:, apk
 * o:), which OSV's distro records name, and source_version its version
 * (dpkg's "Source: name (version)", else the package's).
 */
struct scan_package {
	char *name, *version, *source, *source_version;
};

struct scan_inventory {
	char *os_id, *os_version_id, *os_pretty; /* /etc/os-release */
	char *ecosystem;  /* OSV: "Debian:12", "Ubuntu:22.04", "Alpine:v3.19" */
	char *pkg_format; /* "dpkg" or "apk" */
	struct scan_package *pkgs;
	size_t n_pkgs;
};

enum scan_result {
	SCAN_OK,
	SCAN_UNSUPPORTED, /* no OS package database, or an OS we cannot map */
	SCAN_FAILED       /* unreadable, corrupt, malicious or over a limit */
};

/*
 * What one read may cost (docs/scanning.md, "Limits"): decompressed
 * bytes over all layers, tar entries over all layers, the ratio of a
 * layer's decompressed to compressed bytes once past ratio_after bytes
 * (decompression bombs; 0: no ratio check), and the bytes kept of the
 * files read, all together.
 */
struct scan_limits {
	uint64_t max_total_bytes;
	uint64_t max_entries;
	uint64_t max_ratio;
	uint64_t ratio_after;
	size_t max_file_bytes;
};
#define SCAN_MAX_TOTAL_BYTES (8ULL << 30)
#define SCAN_MAX_ENTRIES 1000000
#define SCAN_MAX_RATIO 512
#define SCAN_RATIO_AFTER (64ULL << 20)
#define SCAN_MAX_FILE_BYTES (64U << 20)
/* The limits above, as a scan_limits. */
void scan_limits_default(struct scan_limits *);

/*
 * Read layers[0..n) in order, applying whiteouts, and fill *out (which
 * the caller frees with scan_inventory_free, on SCAN_OK only). Blocking;
 * bounded memory and work (scan_limits_default). On SCAN_FAILED or
 * SCAN_UNSUPPORTED, *reason is a sentence to free and *out is untouched.
 */
enum scan_result scan_inventory_read(const struct scan_layer *, size_t n,
    struct scan_inventory *out, char **reason);
/* The same with explicit limits (tests, bench). */
enum scan_result scan_inventory_read_limits(const struct scan_layer *, size_t n,
    const struct scan_limits *, struct scan_inventory *out, char **reason);
/* Free what an inventory owns and zero it; NULL members are fine. */
void scan_inventory_free(struct scan_inventory *);

/*
 * A versioned binary form of an inventory, so stored inventories can be
 * matched again (CONTINUOUS_SCAN) without the layers. encode returns
 * bytes to free and their count; decode fills *out (to free with
 * scan_inventory_free) and returns 0, or -1 on any malformed or
 * truncated input, leaving *out untouched.
 */
char *scan_inventory_encode(const struct scan_inventory *, size_t *len);
int scan_inventory_decode(const char *, size_t, struct scan_inventory *out);

/*
 * An index of an OSV directory: every *.json file under dir (two levels
 * of subdirectories at most), one record each, read once (at start and on
 * SIGHUP; callers run it in the pool). Returns the index, or NULL with
 * *err (to free) when dir cannot be read; files that are not valid OSV
 * records are skipped and counted.
 */
struct vulndb;
struct vulndb *vulndb_open(const char *dir, char **err);
void vulndb_free(struct vulndb *);
/*
 * The newest `modified` of the records indexed, in ms (0 if none). A NULL
 * vulndb (no feed) has no records, here, in vulndb_count and in
 * vulndb_match.
 */
int64_t vulndb_updated_at_ms(const struct vulndb *);
/* Records indexed, and (when n_skipped is not NULL) files skipped. */
size_t vulndb_count(const struct vulndb *, size_t *n_skipped);

struct scan_finding {
	char *name; /* CVE alias if any, else the OSV id */
	char *osv_id, *description, *uri;
	const char
	    *severity; /* CRITICAL HIGH MEDIUM LOW INFORMATIONAL UNDEFINED */
	char *cvss3_vector; /* NULL when none */
	double cvss3_score; /* < 0 when none */
	char *package_name, *package_version;
	char *fixed_version; /* NULL if none */
};

/*
 * The findings for an inventory: one per vulnerability name and source
 * package, most severe first. The index is only read: several threads
 * may match against one vulndb at once. *out is an array to free with
 * scan_findings_free (NULL when none); returns its count.
 */
size_t vulndb_match(const struct vulndb *, const struct scan_inventory *,
    struct scan_finding **out);
void scan_findings_free(struct scan_finding *, size_t n);

/* Version orderings as dpkg and apk define them: <0, 0 or >0. */
int dpkg_version_cmp(const char *, const char *);
int apk_version_cmp(const char *, const char *);
/* A CVSS v3.0/v3.1 vector's base score, or < 0 if malformed. */
double cvss3_base_score(const char *vector);
/* The band of a score (CVSS 3.1 §5; 0.0 is INFORMATIONAL, < 0 UNDEFINED). */
const char *cvss3_severity(double score);

#endif
