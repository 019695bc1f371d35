/*
 * Declarations shared inside store/: the environment and txn handles, the
 * key builders (keys.c), the value codecs (codec.c) and the LMDB helpers
 * (store.c). Nothing here is for use outside store/ except by its tests.
 */
#ifndef ECRD_STORE_STORE_INT_H
#define ECRD_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <stdatomic.h>

#include <lmdb.h>

#include "common/buf.h"
#include "store/store.h"

/* The schema version this ecrd writes and reads (SCHEMA.md). */
#define STORE_SCHEMA_VERSION 6

/* One named DBI per record kind (SCHEMA.md). */
enum store_dbi {
	STORE_DBI_META,
	STORE_DBI_REPOS,
	STORE_DBI_REPO_IDS,
	STORE_DBI_REPO_COUNTS,
	STORE_DBI_IMAGES,
	STORE_DBI_MANIFESTS,
	STORE_DBI_TAGS,
	STORE_DBI_LAYERS,
	STORE_DBI_BLOBS,
	STORE_DBI_UPLOADS,
	STORE_DBI_REFERRERS,
	STORE_DBI_PARENTS,
	STORE_DBI_IMAGE_COUNTS,
	STORE_DBI_LAYER_GC,
	STORE_DBI_BLOB_GC,
	STORE_DBI_REPO_DOCS,
	STORE_DBI_REGISTRY_DOCS,
	STORE_DBI_TEMPLATES,
	STORE_DBI_BURIED,
	/* Replication (schema 5): its own block. */
	STORE_DBI_REPL_JOBS,
	STORE_DBI_REPL_STATUS,
	/* Image scans (scan.c; schema 5). */
	STORE_DBI_SCANS,
	STORE_DBI_SCAN_FINDINGS,
	STORE_DBI_SCAN_JOBS,
	STORE_DBI_SCAN_COUNTS,
	/* Deferred image work: restores and signings (work.c; schema 5). */
	STORE_DBI_RESTORES,
	STORE_DBI_SIGNINGS,
	STORE_DBI_SIGN_STATUS,
	STORE_DBI__COUNT
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DBI__COUNT];
	size_t key_max;            /* mdb_env_get_maxkeysize() */
	char *dir;                 /* the store directory */
	bool is_ephemeral;         /* STORE_EPHEMERAL: no fsync */
	int lock_fd;               /* holds <dir>/lock; -1 none */
	size_t chunk_max;          /* manifest bytes that fit a page */
	char io_cause[512];        /* store_io_cause() */
	pthread_mutex_t files_mtx; /* store_files_lock() */
	char **pins;               /* store_*_pin, under files_mtx */
	size_t n_pins;
	size_t pins_size;
	struct store_writer *writer; /* store_writer_start(); NULL none */
	/*
	 * A finished top-level read txn, reset (mdb_txn_reset: no snapshot
	 * held, its reader slot kept), for the next store_txn_begin to renew;
	 * NULL none. Most requests read once, and mdb_txn_begin's allocation
	 * and reader-table lock showed in their profiles.
	 */
	_Atomic(struct store_txn *) idle_read;
};

/*
 * blobfile.c: whether digest (or upload id: the two never look alike, a
 * digest has a colon) is pinned; files_mtx held.
 */
bool store_blob_is_pinned(const struct store *, const char *digest);

struct store_txn {
	struct store *store;
	MDB_txn *txn;
	bool is_lent; /* a top-level write txn of the writer thread */
	bool is_read; /* a top-level read txn: store_txn_abort keeps it */
};

/*
 * writer.c, for store.c: wait for the writer's next txn and lend it (0 or
 * an LMDB code); hand it back to commit (fn NULL: wait and return LMDB's
 * code; else fn runs from store_writer_run_done) or to abort (no wait).
 */
int store_writer_lend(struct store *, MDB_txn **out);
int store_writer_commit(struct store *, store_commit_fn fn, void *arg);
void store_writer_abort(struct store *);
/* An LMDB commit's code as a STORE_* code, noting the cause of a failure. */
int store_commit_result(struct store *, int mrc);

/*
 * A key under construction. STORE_KEY_SIZE is LMDB's default maximum key
 * size; store.c also checks each key against the environment's.
 */
#define STORE_KEY_SIZE 511
struct store_key {
	unsigned char data[STORE_KEY_SIZE];
	size_t len;
};

/* Meta record names (keys of the meta DBI). */
#define STORE_META_SCHEMA "schema"
#define STORE_META_SERVER_KEY "server_key"
#define STORE_META_NEXT_REPO_ID "next_repo_id"
#define STORE_META_BLOB_BYTES "blob_bytes"

/* store.c: LMDB plumbing. */
int store_err(int mdb_rc);
/*
 * Note in s->io_cause that call on path failed with errno e, and return
 * its code: STORE_NOSPACE for ENOSPC and EDQUOT, else STORE_IO.
 */
int store_io_fail(struct store *s, const char *call, const char *path, int e);
/* Point v at k after checking k against the environment's key limit. */
int store_db_key(struct store_txn *, struct store_key *k, MDB_val *v);
/* Get a value; it borrows from the map until the next write or txn end. */
int store_db_get(struct store_txn *, enum store_dbi, struct store_key *,
    MDB_val *out);
/* Put len bytes (flags: 0 or MDB_NOOVERWRITE). */
int store_db_put(struct store_txn *, enum store_dbi, struct store_key *,
    const void *, size_t len, unsigned flags);
int store_db_del(struct store_txn *, enum store_dbi, struct store_key *);
/* Delete every record whose key starts with prefix. */
int store_db_del_prefix(struct store_txn *, enum store_dbi,
    struct store_key *prefix);
/*
 * The same, stopping once *budget records are deleted: *budget is lowered
 * by each one, so that several calls share one budget.
 */
int store_db_del_prefix_some(struct store_txn *, enum store_dbi,
    struct store_key *prefix, size_t *budget);
/* Set *out to whether any key starts with prefix. */
int store_db_has_prefix(struct store_txn *, enum store_dbi,
    struct store_key *prefix, bool *out);
/* Put the one-byte marker value (SCHEMA.md) that index records hold. */
int store_db_put_marker(struct store_txn *, enum store_dbi, struct store_key *);
/*
 * Add delta (+1 or -1 for counts, a blob's size for blob_bytes) to the
 * u64 counter under k; a counter that falls to 0 is deleted, and one that
 * would fall below 0 is STORE_CORRUPT.
 */
int store_db_counter_add(struct store_txn *, enum store_dbi, struct store_key *,
    int64_t delta);
/* Read a counter; a missing one is 0. */
int store_db_counter_get(struct store_txn *, enum store_dbi, struct store_key *,
    uint64_t *out);
/*
 * Copy the first key that starts with prefix (which may be empty) to
 * found: 1 if there is one, 0 if not, or a negative STORE_* code.
 */
int store_db_first(struct store_txn *, enum store_dbi, struct store_key *prefix,
    struct store_key *found);
/*
 * Put c on the first key at or after start (strictly after it when
 * is_after), filling key and val: LMDB's code (0, MDB_NOTFOUND...). start
 * has passed store_db_key.
 */
int store_db_seek(MDB_cursor *, struct store_key *start, bool is_after,
    MDB_val *key, MDB_val *val);
/* Open a cursor on dbi; the caller closes it. */
int store_db_cursor(struct store_txn *, enum store_dbi, MDB_cursor **);

/* scan.c: remove an image's scan, findings and queued scan. */
int store_scan_drop(struct store_txn *, uint64_t repo_id, const char *digest);

/*
 * keys.c: the only place keys are built. Each returns STORE_OK, or
 * STORE_TOOBIG when a component is longer than its field.
 */
int store_keys_meta(struct store_key *, const char *record);
int store_keys_repo(struct store_key *, const char *registry_id,
    const char *region, const char *name);
int store_keys_repo_partition(struct store_key *, const char *registry_id,
    const char *region);
int store_keys_repo_name(const struct store_key *partition, const void *key,
    size_t len, char *name, size_t name_size);
int store_keys_repo_id(struct store_key *, uint64_t id);
/* Split a repo_ids or buried key: STORE_OK or STORE_CORRUPT. */
int store_keys_repo_id_split(const void *key, size_t len, uint64_t *id);
int store_keys_repo_count(struct store_key *, const char *registry_id,
    const char *region);
int store_keys_repo_children(struct store_key *, uint64_t repo_id);
/* <repo_id><digest>: the images, manifests and layers DBIs. */
int store_keys_repo_digest(struct store_key *, uint64_t repo_id,
    const char *digest);
/*
 * A chunk of a manifest too big for one page (image.c):
 * <repo_id><digest>\0<be32 n>, or with is_prefix the part before n.
 */
int store_keys_manifest_chunk(struct store_key *, uint64_t repo_id,
    const char *digest, uint32_t n, bool is_prefix);
int store_keys_tag(struct store_key *, uint64_t repo_id, const char *tag);
/* repo_docs: <repo_id><kind u8>; registry_docs: <registry>\0<region>\0<kind> */
int store_keys_repo_doc(struct store_key *, uint64_t repo_id, unsigned kind);
int store_keys_registry_doc(struct store_key *, const char *registry_id,
    const char *region, unsigned kind);
/*
 * templates: <registry>\0<region>\0<kind u8><prefix>; with prefix NULL,
 * the part before the prefix (every record of that kind).
 */
int store_keys_template(struct store_key *, const char *registry_id,
    const char *region, unsigned kind, const char *prefix);
/*
 * <repo_id><a>\0<b>: the referrers (a: subject) and parents (a: child)
 * DBIs; with b NULL, the prefix of every record under a.
 */
int store_keys_repo_pair(struct store_key *, uint64_t repo_id, const char *a,
    const char *b);
int store_keys_blob(struct store_key *, const char *digest);
/*
 * repl_jobs: <seq u64>; repl_status: <repo_id><digest>\0<registry>\0<region>,
 * or with registry NULL the prefix of every status of the image.
 */
int store_keys_repl_job(struct store_key *, uint64_t seq);
/* A repl_jobs key's seq: STORE_OK, or STORE_CORRUPT when it is not one. */
int store_keys_repl_job_split(const void *key, size_t len, uint64_t *seq);
int store_keys_repl_status(struct store_key *, uint64_t repo_id,
    const char *digest, const char *registry_id, const char *region);
int store_keys_upload(struct store_key *, const char *id);
int store_keys_layer_gc(struct store_key *, int64_t created_at_ms,
    uint64_t repo_id, const char *digest);
/*
 * Split a key found by a cursor: 1 and the rest after prefix copied to out
 * (NUL-terminated) if it starts with prefix, 0 if it does not, and
 * STORE_CORRUPT if the rest is empty, holds a NUL or is longer than max.
 */
int store_keys_suffix(const struct store_key *prefix, const void *key,
    size_t len, size_t max, char *out);
/*
 * scan_findings: <repo_id><digest>\0<be32 n>, or with is_prefix the part
 * before n; scan_counts: <registry>\0<region>\0<be64 day>, or with
 * is_prefix the part before day.
 */
int store_keys_scan_finding(struct store_key *, uint64_t repo_id,
    const char *digest, uint32_t n, bool is_prefix);
int store_keys_scan_count(struct store_key *, const char *registry_id,
    const char *region, uint64_t day, bool is_prefix);
/* Split a scans or scan_jobs key: STORE_OK or STORE_CORRUPT. */
int store_keys_repo_digest_split(const void *key, size_t len, uint64_t *repo_id,
    char *digest);
/* Split a layer_gc key: STORE_OK or STORE_CORRUPT. */
int store_keys_layer_gc_split(const void *key, size_t len,
    int64_t *created_at_ms, uint64_t *repo_id, char *digest);
/* "sha256:" and 64, or "sha512:" and 128, lowercase hex digits. */
bool store_digest_is_valid(const char *digest);
/* 1 to STORE_UPLOAD_ID_MAX of [0-9A-Za-z-]. */
bool store_upload_id_is_valid(const char *id);

/*
 * codec.c: value formats. Encoders initialise the caller's buf (capped at
 * STORE_VALUE_MAX) and fill it, returning STORE_OK (the caller then
 * releases it) or STORE_TOOBIG (it is already released). Decoders return
 * STORE_OK or STORE_CORRUPT and write their output only on STORE_OK.
 */
#define STORE_VALUE_MAX 65536 /* cap of any encoded value but these: */
/* An image record: 1000 tags of 300 bytes and 4096 refs of 255 fit. */
#define STORE_IMAGE_VALUE_MAX (2 * 1024 * 1024)
#define STORE_MANIFEST_VALUE_MAX (STORE_MANIFEST_MAX + 1)
#define STORE_FORMAT_V1 1 /* the format-version byte of every value */
/*
 * The upload record's, since schema 3: version 1 held OpenSSL's SHA256_CTX
 * bytes, which are read past and never written (SCHEMA.md).
 */
#define STORE_FORMAT_UPLOAD_V2 2
int store_codec_repo_encode(const struct store_repo *, struct buf *);
int store_codec_repo_decode(const void *, size_t, struct store_repo *);
/* The exception: straight into a scratch record, left partial on failure. */
int store_codec_repo_decode_into(const void *, size_t, struct store_repo *);
int store_codec_repo_peek_id(const void *, size_t, uint64_t *);
int store_codec_u64_encode(uint64_t, struct buf *);
int store_codec_u64_decode(const void *, size_t, uint64_t *);
int store_codec_schema_encode(uint32_t, struct buf *);
int store_codec_schema_decode(const void *, size_t, uint32_t *);
int store_codec_bytes_encode(const void *, size_t, struct buf *);
int store_codec_bytes_decode(const void *, size_t, const void **, size_t *);
/* The value of index records: the format-version byte alone. */
int store_codec_marker_encode(struct buf *);
int store_codec_marker_decode(const void *, size_t);
/*
 * Image records hold everything but the key fields (repo_id, digest),
 * which decode leaves as they were; decode fills out's tags and refs with
 * new lists, so out must own none (zeroed or released).
 */
int store_codec_image_encode(const struct store_image *, struct buf *);
int store_codec_image_decode(const void *, size_t, struct store_image *);
/*
 * Copy an encoded image to b with the mutable fields (status and the
 * times but pushed_at_ms) taken from img: no decoding of the lists.
 */
int store_codec_image_patch(const void *, size_t, const struct store_image *img,
    struct buf *b);
/* Manifest bytes (at most STORE_MANIFEST_MAX); decode borrows from val. */
int store_codec_manifest_encode(const void *, size_t, struct buf *);
int store_codec_manifest_decode(const void *, size_t, const void **, size_t *);
/* A tag's value: the digest it names (STORE_DIGEST_MAX + 1 bytes). */
int store_codec_doc_encode(const struct store_doc *, struct buf *);
/* Fills out (its text owned, NUL-terminated) only on STORE_OK. */
int store_codec_doc_decode(const void *, size_t, struct store_doc *out);
int store_codec_tag_encode(const char *digest, struct buf *);
int store_codec_tag_decode(const void *, size_t, char *digest);
/* Layer, blob and upload records; key fields are left as they were. */
int store_codec_layer_encode(const struct store_layer *, struct buf *);
int store_codec_layer_decode(const void *, size_t, struct store_layer *);
int store_codec_blob_encode(const struct store_blob *, struct buf *);
/*
 * Scans (their inventory, owned, is NULL when empty) and findings (owned
 * strings; decode fills a zeroed or released struct).
 */
int store_codec_scan_encode(const struct store_scan *, struct buf *);
int store_codec_scan_decode(const void *, size_t, struct store_scan *);
int store_codec_finding_encode(const struct store_finding *, struct buf *);
int store_codec_finding_decode(const void *, size_t, struct store_finding *);
int store_codec_blob_decode(const void *, size_t, struct store_blob *);
int store_codec_upload_encode(const struct store_upload *, struct buf *);
int store_codec_upload_decode(const void *, size_t, struct store_upload *);
/* Replication jobs (the key's seq is left as it was) and statuses. */
int store_codec_repl_job_encode(const struct store_repl_job *, struct buf *);
int store_codec_repl_job_decode(const void *, size_t, struct store_repl_job *);
int store_codec_repl_status_encode(const struct store_repl_status *,
    struct buf *);
int store_codec_repl_status_decode(const void *, size_t,
    struct store_repl_status *);

/*
 * Shared between the record files. Layers (layer.c): add delta (+1 or -1)
 * to the refs of a layer record (STORE_NOTFOUND if there is none), keeping
 * the layer_gc index of layers with no reference; remove a layer record
 * with its index entry and its use of the blob; remove layer records of a
 * repository, lowering *budget by each one, until it is 0 or none is left.
 */
int store_layer_ref(struct store_txn *, uint64_t repo_id, const char *digest,
    int delta);
int store_layer_remove(struct store_txn *, uint64_t repo_id,
    const char *digest);
int store_layer_drop_repo(struct store_txn *, uint64_t repo_id, size_t *budget);
/*
 * upload.c: append to *ids (n_ids of them; owned strings) the ids of the
 * upload records of repo_id, or with repo_id 0 of those last updated
 * before before_ms, until *n_ids reaches max; remove every upload record of
 * a repository.
 */
int store_upload_find(struct store_txn *, uint64_t repo_id, int64_t before_ms,
    size_t max, char ***ids, size_t *n_ids);
int store_upload_drop_repo(struct store_txn *, uint64_t repo_id);
/* Migration 2 -> 3: rewrite upload records without their hash state. */
int store_upload_migrate(struct store_txn *);
/* Schema 6: total the sizes of the blob records into blob_bytes. */
int store_blob_migrate(struct store_txn *);
/* Add (is_add) or take size from blob_bytes, as a blob record comes or goes. */
int store_blob_bytes_add(struct store_txn *, uint64_t size, bool is_add);
/*
 * image.c: replace an image record (its tag list changed). tag.c and
 * image.c share it.
 */
int store_image_put(struct store_txn *, const struct store_image *);
/* repo.c: STORE_OK if repository repo_id exists, else STORE_NOTFOUND. */
int store_repo_check_id(struct store_txn *, uint64_t repo_id);
/*
 * blobfile.c: the file directories, relative to the store directory;
 * create them at open; the path of a blob or upload file (caller frees),
 * or NULL when the digest or id is not well-formed.
 */
#define STORE_DIR_BLOBS "blobs"
#define STORE_DIR_SHA256 "blobs/sha256"
#define STORE_DIR_SHA512 "blobs/sha512"
#define STORE_DIR_UPLOADS "uploads"
int store_files_init(struct store *, char **why);
char *store_files_blob_path(struct store *, const char *digest);
char *store_files_upload_path(struct store *, const char *id);

#endif
