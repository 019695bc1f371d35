/*
 * The ecrd metadata store: one LMDB environment holding repositories and
 * their child records. Pure: no logging, clock or environment; every
 * function returns 0 (STORE_OK) or a negative STORE_* code.
 */
#ifndef ECRD_STORE_STORE_H
#define ECRD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct store;
struct store_txn;

/*
 * Result codes. Any code other than STORE_OK, STORE_NOTFOUND, STORE_EXISTS
 * and STORE_TOOBIG from a function that writes may leave the transaction
 * unusable: the caller must then abort it.
 */
enum {
	STORE_OK = 0,
	STORE_NOTFOUND = -1, /* no such record */
	STORE_EXISTS = -2,   /* a create found the record already there */
	STORE_FULL = -3,     /* the map (or a txn's page budget) is full */
	STORE_CORRUPT = -4,  /* a record or the environment is damaged */
	STORE_VERSION = -5,  /* written by a newer ecrd or LMDB format */
	STORE_IO = -6,       /* system error, or misuse (EINVAL, EACCES) */
	STORE_TOOBIG = -7,   /* a key or value exceeds its limit */
	STORE_BUSY = -8,     /* transiently unavailable; retrying may work */
	STORE_LOCKED = -9,   /* another process has the store open */
	STORE_NOSPACE = -10, /* the file system is full (ENOSPC, EDQUOT) */
};

/* store_open() flags. */
#define STORE_EPHEMERAL 0x1 /* no fsync (MDB_NOSYNC): tests only */

/* Limits of the fields stored in a repository record (the ECR model's). */
#define STORE_REGISTRY_ID_MAX 12
#define STORE_REGION_MAX 32
#define STORE_REPO_NAME_MAX 256
#define STORE_REPO_TAGS_MAX 50
#define STORE_TAG_KEY_MAX 128
#define STORE_TAG_VALUE_MAX 256
#define STORE_EXCLUSION_FILTERS_MAX 5
#define STORE_FILTER_TYPE_MAX 15
#define STORE_FILTER_MAX 128
#define STORE_TAG_MUTABILITY_MAX 31
#define STORE_ENCRYPTION_TYPE_MAX 15
#define STORE_KMS_KEY_MAX 2048

/* Longest image digest a key may hold ("sha512:" and 128 hex digits fit). */
#define STORE_DIGEST_MAX 255
/* The server key's record may hold at most this many bytes. */
#define STORE_SERVER_KEY_MAX 256

/* Static text for a STORE_* code; "unknown store error" for other values. */
const char *store_strerror(int rc);

/*
 * The map: its default size, and the smallest a caller may ask for (the
 * empty store takes a few dozen pages).
 */
#define STORE_MAP_SIZE_DEFAULT ((uint64_t)1 << 40) /* 1 TiB, sparse */
#define STORE_MAP_SIZE_MIN ((uint64_t)1 << 20)
/*
 * The reserve: a file of this many bytes, <dir>/reserve, kept allocated
 * so that deletes and the GC can still commit on a full file system
 * (store_reserve_release).
 */
#define STORE_RESERVE_SIZE ((uint64_t)4 << 20)

/*
 * Open the store in the existing directory dir: the LMDB environment is the
 * single file <dir>/meta.lmdb (MDB_NOSUBDIR) with its lock file
 * <dir>/meta.lmdb-lock. A missing file is created and stamped with the
 * current schema version; an existing one is opened as it is and never
 * reinitialised. Flags: STORE_EPHEMERAL; other bits must be 0.
 *
 * First the process takes an exclusive flock on <dir>/lock, held until
 * store_close, and writes its pid there (best effort: a full disk does not
 * stop it). If another open file description holds it (another process, or
 * the same one opening the store twice), the result is STORE_LOCKED with
 * *cause naming dir and, when the file says, the holder's pid.
 *
 * map_size is the map's size in bytes (at least STORE_MAP_SIZE_MIN): the
 * most the environment file may grow to, after which writes are
 * STORE_FULL. 0 asks for STORE_MAP_SIZE_DEFAULT, or a smaller size where
 * the address space refuses it (as under valgrind); a size given is used
 * as it is or the open fails.
 *
 * The reserve file (STORE_RESERVE_SIZE) is made if it is missing and the
 * disk has room for it; its absence never fails the open.
 *
 * Returns STORE_OK and sets *out (free with store_close()), or:
 *   STORE_VERSION  the store's schema version (or LMDB data format) is
 *                  newer than this ecrd supports; the file is not written
 *   STORE_CORRUPT  the file is not an LMDB environment, is damaged, or is
 *                  an LMDB environment that is not an ecrd store
 *   STORE_LOCKED   another process (or open) holds <dir>/lock
 *   STORE_IO       dir is missing or unusable, or another system error
 *   STORE_FULL, STORE_BUSY  as mapped from LMDB
 * On failure, if cause is not NULL, *cause is set to a message the caller
 * frees; *out is left as it was.
 *
 * The map is sparse: only address space is spent on it until the file
 * grows, and its size does not change while open.
 */
int store_open(const char *dir, unsigned flags, uint64_t map_size,
    struct store **out, char **cause);
/* Close the environment and drop the lock. NULL is ignored. */
void store_close(struct store *);

/*
 * What the last file operation, or txn commit, that failed with STORE_IO
 * or STORE_NOSPACE went wrong on, for a log line: the call, the path and
 * strerror ("pwrite <dir>/uploads/<id>: No space left on device"); "" when
 * none has. Borrowed until the next call on the store.
 */
const char *store_io_cause(const struct store *);

/*
 * Free the reserve so that a write which frees space (a delete, the GC)
 * can commit on a full file system. STORE_OK if it was held and is now
 * released, STORE_NOTFOUND if there was none, STORE_IO.
 * store_reserve_restore makes it again if it is missing and the file
 * system has room to spare for it (so that it never takes the last of
 * what a delete freed); STORE_OK if it is held afterwards, else
 * STORE_NOSPACE or STORE_IO.
 */
int store_reserve_release(struct store *);
int store_reserve_restore(struct store *);

/*
 * Begin a transaction. With parent NULL: a read-only (write false) or write
 * txn; one write txn at a time per store, a second one blocks until the
 * first ends. Read-only txns are not tied to a thread (MDB_NOTLS), so a
 * thread may hold several, and may hold them while its write txn is open. With
 * parent non-NULL: a nested write txn (write must be true; a read-only child is
 * STORE_IO). While a child is open its parent must not be used; end every child
 * before its parent. A child's commit merges into the parent and is durable
 * only when the top-level txn commits, so a server may run many requests as
 * children of one parent (group commit). Returns STORE_OK and sets *out, or a
 * STORE_* code leaving *out as it was.
 */
int store_txn_begin(struct store *, struct store_txn *parent, bool write,
    struct store_txn **out);
/* Commit and free txn whatever the result; STORE_OK or a STORE_* code. */
int store_txn_commit(struct store_txn *);
/* Abort and free txn. NULL is ignored. */
void store_txn_abort(struct store_txn *);

/*
 * The writer thread (issue 12): once started, every top-level write txn is
 * begun, committed and aborted by a thread of the store's own, and lent to
 * the caller in between, so that the commit's writes and syncs (LMDB's
 * durable commit, unchanged) never run on the caller's thread. The writer
 * begins the next txn as soon as one ends, so store_txn_begin only waits
 * while a commit is under way. store_txn_commit waits for the commit;
 * store_txn_commit_async does not: fn(arg, rc) runs, in commit order, from
 * store_writer_run_done on the thread that calls it, which the writer asks
 * for by calling wake(wake_arg) from its own thread after each one. Without
 * a writer (or for a child txn) store_txn_commit_async commits at once and
 * calls fn before it returns. store_writer_start returns STORE_OK or
 * STORE_IO (store_io_cause says why); store_writer_stop waits for the
 * commit under way and runs the completions not yet run. Call both from
 * the thread that uses the txns, with no txn lent.
 */
typedef void (*store_commit_fn)(void *arg, int rc);
int store_writer_start(struct store *, void (*wake)(void *), void *wake_arg);
void store_writer_run_done(struct store *);
void store_writer_stop(struct store *);
/*
 * Whether an asynchronous commit is under way, so that store_txn_begin of
 * a top-level write txn would wait for it, and wake will be called once it
 * has ended: false without a writer.
 */
bool store_writer_is_busy(struct store *);
void store_txn_commit_async(struct store_txn *, store_commit_fn, void *arg);
/* Flush the environment to disk (also under STORE_EPHEMERAL). */
int store_sync(struct store *);
/*
 * The bytes of the map in use (pages up to the last one written) and the
 * map's size, for metrics; no txn needed. STORE_OK or a STORE_* code.
 */
int store_map_used(struct store *, uint64_t *bytes, uint64_t *map_size);

/*
 * The server's secret key, created once. If the key record exists, copy its
 * len bytes to out; otherwise store the len bytes at candidate as the key
 * and copy them to out. wtxn must be a write txn. Returns STORE_OK,
 * STORE_TOOBIG (len is 0 or over STORE_SERVER_KEY_MAX), STORE_CORRUPT (the
 * stored key does not have len bytes) or another STORE_* code; out is
 * written only on STORE_OK. candidate and out may be the same buffer.
 */
int store_key_get_or_create(struct store_txn *wtxn,
    const unsigned char *candidate, size_t len, unsigned char *out);

/*
 * Empty every record kind (moto's /moto-api/reset): repositories, their
 * counters and id index, all child records, blob and upload records. Keeps
 * the schema version, the server key and the repository id counter, so ids
 * are never reused. Blob and upload files stay, as orphans that
 * store_gc_files sweeps once they are old enough.
 */
int store_reset(struct store_txn *wtxn);

/* A resource tag. */
struct store_tag {
	char key[STORE_TAG_KEY_MAX + 1];
	char value[STORE_TAG_VALUE_MAX + 1];
};

/* An imageTagMutabilityExclusionFilters entry. */
struct store_exclusion_filter {
	char filter_type[STORE_FILTER_TYPE_MAX + 1]; /* "WILDCARD" */
	char filter[STORE_FILTER_MAX + 1];
};

/*
 * A repository. Every string is NUL-terminated within its array; the store
 * does not validate values against ECR's rules (api/ does), it only refuses
 * strings and counts that do not fit (STORE_TOOBIG).
 */
struct store_repo {
	uint64_t id; /* set by store_repo_create, never reused */
	char registry_id[STORE_REGISTRY_ID_MAX + 1];
	char region[STORE_REGION_MAX + 1];
	char name[STORE_REPO_NAME_MAX + 1];
	int64_t created_at_ms;
	/* "MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", ... */
	char tag_mutability[STORE_TAG_MUTABILITY_MAX + 1];
	size_t n_exclusion_filters;
	struct store_exclusion_filter
	    exclusion_filters[STORE_EXCLUSION_FILTERS_MAX];
	bool scan_on_push;
	char encryption_type[STORE_ENCRYPTION_TYPE_MAX + 1];
	char kms_key[STORE_KMS_KEY_MAX + 1]; /* "" when none */
	size_t n_tags; /* resource tags, in insertion order */
	struct store_tag tags[STORE_REPO_TAGS_MAX];
};

/*
 * Repositories are partitioned by registry (the 12-digit account id) and
 * region; names are unique within a partition and compared bytewise.
 */

/*
 * Create repo, keyed by its registry_id, region and name, and set repo->id
 * to a fresh id (ids count up from 1 and are never reused, even after
 * delete or reset). Returns STORE_OK, STORE_EXISTS (the name is taken in
 * that partition; nothing is written and repo->id is unchanged),
 * STORE_TOOBIG, or another STORE_* code.
 */
int store_repo_create(struct store_txn *, struct store_repo *repo);
/*
 * Look up one repository and copy it into *out, which the caller owns.
 * Returns STORE_OK, STORE_NOTFOUND, STORE_TOOBIG (an argument is longer
 * than its field), STORE_CORRUPT, or another STORE_* code; *out is written
 * only on STORE_OK.
 */
int store_repo_get(struct store_txn *, const char *registry_id,
    const char *region, const char *name, struct store_repo *out);
/*
 * Replace the stored repository with the same registry_id, region and name
 * by *repo. repo->id must match the stored id, which never changes: a
 * missing repository or a different id (it was deleted and created again)
 * is STORE_NOTFOUND. Also STORE_TOOBIG, STORE_CORRUPT, or another code.
 */
int store_repo_update(struct store_txn *, const struct store_repo *repo);
/*
 * Delete a repository: its record, its id index entry, its counter share
 * and every child record keyed by its id (images, manifests, tags, layers,
 * referrer and parent entries, its image count) and its upload records.
 * Each layer record removed gives up its use of the blob (store_blob_get),
 * so that the GC can collect blobs left with no user. The name is reusable
 * at once. Returns STORE_OK, STORE_NOTFOUND, STORE_TOOBIG, STORE_CORRUPT,
 * or another STORE_* code.
 */
int store_repo_delete(struct store_txn *, const char *registry_id,
    const char *region, const char *name);
/*
 * Delete a repository in two parts, for a repository too big to delete in
 * one short txn (issue 12). store_repo_bury does at once what others can
 * see: it removes the record, the id index entry, the counter share, the
 * repository's documents and upload records, and leaves a tombstone (the
 * buried DBI) under its id; the name is reusable at once, and the new
 * repository has a new id, so it never sees the old records. Same codes
 * as store_repo_delete.
 *
 * store_repo_reap then removes, in the caller's txn, up to max child
 * records of buried repositories, oldest id first (layers give up their
 * blobs as with store_repo_delete), and a tombstone once its repository
 * has none left. *n_removed says how many; *is_done is set when no
 * tombstone is left. Run it until *is_done, in as many txns as wanted; a
 * store closed midway keeps its tombstones, for the next run.
 */
int store_repo_bury(struct store_txn *, const char *registry_id,
    const char *region, const char *name);
int store_repo_reap(struct store_txn *, size_t max, size_t *n_removed,
    bool *is_done);

/*
 * Callback for store_repo_foreach. The repository is borrowed until the
 * callback returns. Return 0 to continue, 1 (or any positive value) to
 * stop, foreach then returning STORE_OK, or a negative code to stop with
 * that code.
 */
typedef int (*store_repo_cb)(const struct store_repo *, void *arg);
/*
 * Call cb for each repository of (registry_id, region) whose name sorts
 * after after_name (exclusive; NULL starts at the first), in ascending byte
 * order of name. The cost is that of the repositories visited, never of the
 * whole store. cb must not write through txn. Returns STORE_OK when the
 * partition is exhausted or cb returned 1, cb's negative code, STORE_TOOBIG,
 * STORE_CORRUPT, or another STORE_* code.
 */
int store_repo_foreach(struct store_txn *, const char *registry_id,
    const char *region, const char *after_name, store_repo_cb cb, void *arg);
/* Set *out to the number of repositories in (registry_id, region), in O(1). */
int store_repo_count(struct store_txn *, const char *registry_id,
    const char *region, uint64_t *out);
/* Set *out to whether repository repo_id has any image record. */
int store_repo_has_images(struct store_txn *, uint64_t repo_id, bool *out);

/*
 * Images (docs/ecr-behaviour.md 3.2). An image is a manifest in one repository,
 * keyed by (repo_id, digest). The store keeps these invariants itself:
 *   - the tags DBI and each image's tag list agree: a tag names exactly one
 *     image of its repository, and appears in that image's list once;
 *   - each image's refs (layer and config digests of an image manifest,
 *     or the child manifest digests of a list or index) are counted: every
 *     layer record carries the number of images of its repository that
 *     refer to it, and every child image knows it has a parent;
 *   - an image with a subject is listed under that subject (referrers);
 *   - a repository's image count is exact, in O(1).
 * The store does not parse manifests; api/ fills the record.
 */
#define STORE_MEDIA_TYPE_MAX 255
#define STORE_IMAGE_TAG_MAX 300
#define STORE_IMAGE_TAGS_MAX 1000 /* ECR's tags-per-image quota */
#define STORE_IMAGE_REFS_MAX 4096 /* layers + config, or children */
#define STORE_MANIFEST_MAX (4 * 1024 * 1024)

enum store_image_status {
	STORE_IMAGE_ACTIVE = 0,
	STORE_IMAGE_ARCHIVED = 1,
	STORE_IMAGE_ACTIVATING = 2,
};

/* What an image's refs are. */
enum store_image_kind {
	STORE_IMAGE_MANIFEST = 0, /* refs are layer and config blobs */
	STORE_IMAGE_INDEX = 1,    /* refs are child manifests */
};

/*
 * An image record. tags and refs are owned arrays of owned strings (free
 * with store_image_release); a zeroed struct is an empty image.
 */
struct store_image {
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	uint8_t kind;              /* enum store_image_kind */
	uint8_t status;            /* enum store_image_status */
	int64_t pushed_at_ms;      /* first push */
	int64_t last_pulled_at_ms; /* 0: never */
	int64_t archived_at_ms;    /* 0: never */
	int64_t activated_at_ms;   /* 0: never restored */
	uint64_t size;             /* imageSizeInBytes */
	uint64_t manifest_len;     /* bytes of the manifest */
	char manifest_media_type[STORE_MEDIA_TYPE_MAX + 1];
	char artifact_media_type[STORE_MEDIA_TYPE_MAX + 1];
	char subject_digest[STORE_DIGEST_MAX + 1]; /* "" none */
	size_t n_tags; /* in the order they were set */
	char **tags;
	size_t n_refs; /* digests, no duplicates */
	char **refs;
};

/* Free what img owns and zero it; a zeroed struct is fine. */
void store_image_release(struct store_image *img);
/* Append a copy of tag / ref to img's list (no check for duplicates). */
void store_image_add_tag(struct store_image *img, const char *tag);
void store_image_add_ref(struct store_image *img, const char *digest);

/*
 * Create image img (its tags list must be empty: tag it afterwards with
 * store_tag_set) with its manifest bytes, in repository img->repo_id
 * (which must exist: STORE_NOTFOUND otherwise). The stored manifest_len is
 * manifest_len; img->manifest_len is ignored. A non-empty tags list, an
 * empty digest or an empty ref is STORE_IO (misuse), with nothing written.
 * Counts its refs: for STORE_IMAGE_MANIFEST each ref's layer record in the
 * repository gains a reference (a missing layer record is STORE_NOTFOUND,
 * as are missing children of an index; api/ checks first, with ECR's
 * errors); for STORE_IMAGE_INDEX each child gains a parent. Lists the image
 * under its subject. Returns STORE_OK, STORE_EXISTS (the digest is already
 * an image there: nothing written), STORE_NOTFOUND, STORE_TOOBIG (a field,
 * the manifest or a list is over its limit) or another STORE_* code.
 */
int store_image_create(struct store_txn *, const struct store_image *img,
    const void *manifest, size_t manifest_len);
/*
 * Look up one image and fill *out (release it with store_image_release).
 * Returns STORE_OK, STORE_NOTFOUND, STORE_TOOBIG, STORE_CORRUPT or another
 * code; *out is written only on STORE_OK.
 */
int store_image_get(struct store_txn *, uint64_t repo_id, const char *digest,
    struct store_image *out);
/*
 * Rewrite an image's mutable fields: status, the three *_at_ms times other
 * than pushed_at_ms, and nothing else (tags move only through store_tag_*,
 * refs never change). STORE_OK, STORE_NOTFOUND, or another code.
 */
int store_image_update(struct store_txn *, const struct store_image *img);
/*
 * Copy an image's manifest bytes: *out (caller frees, NUL-terminated for
 * convenience) and *len. STORE_OK, STORE_NOTFOUND, or another code.
 */
int store_manifest_get(struct store_txn *, uint64_t repo_id, const char *digest,
    char **out, size_t *len);
/*
 * Delete an image with its manifest and all its tags, and undo its counts
 * (layer references, parents of children, its referrer entry). Refuses,
 * with STORE_BUSY and nothing written, an image that still has a parent
 * (ECR's ImageReferencedByManifestList). STORE_OK, STORE_NOTFOUND, or
 * another code. Layer records left with no reference stay, for the GC.
 */
int store_image_delete(struct store_txn *, uint64_t repo_id,
    const char *digest);
/* Set *out to whether some index in the repository lists digest. */
int store_image_has_parent(struct store_txn *, uint64_t repo_id,
    const char *digest, bool *out);
/* The number of images in the repository, in O(1). */
int store_image_count(struct store_txn *, uint64_t repo_id, uint64_t *out);

/*
 * Callback for the image walks: img is borrowed until it returns. Return
 * 0 to go on, a positive value to stop (the walk then returns STORE_OK),
 * or a negative code to stop with it.
 */
typedef int (*store_image_cb)(const struct store_image *img, void *arg);
/*
 * Call cb for each image of the repository whose digest sorts after
 * after_digest (NULL: from the first), in byte order of digest. Costs the
 * images visited, never the repository's size. cb must not write.
 */
int store_image_foreach(struct store_txn *, uint64_t repo_id,
    const char *after_digest, store_image_cb cb, void *arg);
/*
 * Call cb for each image of the repository whose subject is
 * subject_digest (referrers), in byte order of their digests.
 */
int store_referrer_foreach(struct store_txn *, uint64_t repo_id,
    const char *subject_digest, store_image_cb cb, void *arg);

/*
 * Tags. store_tag_get copies the digest tag names into digest_out
 * (STORE_DIGEST_MAX + 1 bytes): STORE_OK or STORE_NOTFOUND.
 * store_tag_set points tag at image digest, which must exist
 * (STORE_NOTFOUND otherwise): it is added to that image's list, and if it
 * named another image it is removed from that one's list, whose digest is
 * copied to old_digest (if not NULL; "" when the tag was new). The other
 * image stays, untagged if that was its last tag. Setting a tag on the
 * image it already names changes nothing and returns STORE_EXISTS. A tag
 * that would give one image more than STORE_IMAGE_TAGS_MAX tags, or is
 * longer than STORE_IMAGE_TAG_MAX, is STORE_TOOBIG.
 * store_tag_delete removes a tag from the DBI and its image's list, and
 * copies the image's digest to digest_out if not NULL; the image stays.
 */
int store_tag_get(struct store_txn *, uint64_t repo_id, const char *tag,
    char *digest_out);
int store_tag_set(struct store_txn *, uint64_t repo_id, const char *tag,
    const char *digest, char *old_digest);
int store_tag_delete(struct store_txn *, uint64_t repo_id, const char *tag,
    char *digest_out);

/*
 * Call cb for each tag of the repository sorting after `after` (NULL: from
 * the first), in byte order, with the digest it names; both are borrowed
 * until cb returns. cb returns 0 to go on, positive to stop (STORE_OK), or
 * a negative code to stop with it. Costs the tags visited.
 */
typedef int (*store_tag_cb)(const char *tag, const char *digest, void *arg);
int store_tag_foreach(struct store_txn *, uint64_t repo_id, const char *after,
    store_tag_cb cb, void *arg);

/*
 * Layers: blobs known to a repository (uploaded, mounted or referenced),
 * keyed (repo_id, digest). refs counts the images of the repository that
 * refer to the blob (store_image_create / _delete keep it).
 */
struct store_layer {
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	uint64_t size;
	int64_t created_at_ms;
	uint64_t refs;
	char media_type[STORE_MEDIA_TYPE_MAX + 1]; /* "" unknown */
};
/*
 * Add a layer record if the repository has none for that digest (also
 * counting one more user of the blob record, created if new with the
 * layer's size, see store_blob_get). layer->refs is ignored: a new layer
 * has none. Returns STORE_OK, STORE_EXISTS (already there: nothing
 * written), STORE_NOTFOUND (no such repository), STORE_TOOBIG (the digest
 * is not "sha256:" and 64 or "sha512:" and 128 lowercase hex digits, since
 * it names a blob file, or the media type is too long), or another code.
 */
int store_layer_add(struct store_txn *, const struct store_layer *layer);
int store_layer_get(struct store_txn *, uint64_t repo_id, const char *digest,
    struct store_layer *out);
/* Set the media type of an existing layer record (first reference). */
int store_layer_set_media_type(struct store_txn *, uint64_t repo_id,
    const char *digest, const char *media_type);

/*
 * Blobs: one record per digest across the whole store, counting the layer
 * records (in any repository or registry) that use it. The bytes are in a
 * file (store_blob_path). A blob whose count falls to 0 is garbage: its
 * record stays, with users 0, until store_gc_collect removes it (or a new
 * layer record uses it again).
 */
struct store_blob {
	char digest[STORE_DIGEST_MAX + 1];
	uint64_t size;
	uint64_t users;
};
int store_blob_get(struct store_txn *, const char *digest,
    struct store_blob *out);
/*
 * The blob records (count) and the sum of their sizes (bytes), as of the
 * txn; both kept as the records come and go, so O(1) (metrics).
 */
int store_blob_totals(struct store_txn *, uint64_t *count, uint64_t *bytes);

/*
 * Layer uploads (InitiateLayerUpload ... CompleteLayerUpload, and the
 * registry's blob uploads). The record holds the progress; the bytes are in
 * an upload file (store_upload_file_*). No hash state is kept: the api
 * keeps its running hash in memory and hashes the file again when that is
 * gone (issue 12).
 */
#define STORE_UPLOAD_ID_MAX 64
struct store_upload {
	char id[STORE_UPLOAD_ID_MAX + 1];
	uint64_t repo_id;
	int64_t created_at_ms;
	int64_t updated_at_ms;
	uint64_t received; /* bytes so far */
	uint32_t n_parts;
	uint64_t min_part;  /* smallest part but the last; 0 none */
	uint64_t last_part; /* size of the latest part */
};
/*
 * Create (STORE_EXISTS if the id is taken; STORE_NOTFOUND if repository
 * u->repo_id does not exist), get, replace (STORE_NOTFOUND if missing),
 * delete. An id must be 1 to STORE_UPLOAD_ID_MAX of [0-9A-Za-z-], since it
 * names a file: any other is STORE_TOOBIG.
 */
int store_upload_create(struct store_txn *, const struct store_upload *);
int store_upload_get(struct store_txn *, const char *id,
    struct store_upload *out);
int store_upload_update(struct store_txn *, const struct store_upload *);
int store_upload_delete(struct store_txn *, const char *id);

/*
 * Blob and upload files, under <dir>/blobs and <dir>/uploads. These do file
 * I/O, never LMDB work, and fsync (unless STORE_EPHEMERAL) before they
 * return, so that a record committed afterwards never names missing bytes
 * (STYLE.md 7.4). They return STORE_OK, STORE_NOTFOUND, STORE_NOSPACE (the
 * file system is full) or STORE_IO (store_io_cause says why), and
 * STORE_TOOBIG for a digest or upload id that is not well-formed (as for
 * store_layer_add and store_upload_create).
 *
 * store_blob_path: the file of digest into dst: <dir>/blobs/<algo>/<hex>
 * for "sha256:<64 hex>" or "sha512:<128 hex>"; any other digest is
 * STORE_TOOBIG (so no digest can name a path outside blobs/).
 * store_blob_open: open it read-only; *fd (caller closes) and *size.
 * store_upload_file_create: create the empty upload file of id
 * (STORE_EXISTS if there is one).
 * store_upload_file_write: write len bytes at offset (pwrite), truncating
 * whatever lay past offset first, then fdatasync.
 * store_upload_file_finish: move the upload file of id, whose first len
 * bytes are the blob, to the blob file of digest (truncate to len, fsync,
 * rename, fsync the directory); a file shorter than len is STORE_IO. If
 * that blob file exists already, the upload file is removed instead (same
 * digest, same bytes). Either way the blob file's time is renewed, so that
 * the orphan sweep of store_gc_files leaves it to the commit that follows.
 * store_upload_file_prepare and store_upload_file_place are its two
 * halves: prepare truncates to len and syncs (the slow part, which may run
 * on a worker thread while the upload is held); place renames (or drops the
 * upload file of a blob that exists) and syncs the directory.
 * store_upload_file_link: after prepare, on any thread, make the blob file
 * of digest a durable second name of the upload file (link, directory
 * sync), so that place, in the commit, only drops the upload's name; the
 * caller pins digest first (store_blob_pin). A blob file that exists
 * already is kept. 0, or a STORE_* code (place then renames as usual).
 * store_upload_file_remove: remove it; a missing file is STORE_OK.
 */
int store_blob_path(struct store *, const char *digest, char *dst, size_t size);
int store_blob_open(struct store *, const char *digest, int *fd,
    uint64_t *size);
int store_upload_file_create(struct store *, const char *id);
int store_upload_file_write(struct store *, const char *id, uint64_t offset,
    const void *data, size_t len);
int store_upload_file_finish(struct store *, const char *id, uint64_t len,
    const char *digest);
int store_upload_file_prepare(struct store *, const char *id, uint64_t len);
int store_upload_file_place(struct store *, const char *id, const char *digest);
int store_upload_file_link(struct store *, const char *id, const char *digest);
int store_upload_file_remove(struct store *, const char *id);
/*
 * Pins, on any thread: a blob file made ahead of the record that will name
 * it (store_upload_file_link, before its group commit) is pinned from
 * before it is made until that commit is over, and the GC's file removal
 * (store_gc_files_*) leaves the files of pinned digests alone. Pins of one
 * digest nest.
 */
void store_blob_pin(struct store *, const char *digest);
void store_blob_unpin(struct store *, const char *digest);
/*
 * The same for an upload file no upload record names (a blob pulled
 * through the cache as it arrives, recorded only once whole): pinned from
 * before it is made until it is placed or removed.
 */
void store_upload_pin(struct store *, const char *id);
void store_upload_unpin(struct store *, const char *id);

/*
 * The GC's file removal may run on another thread than the requests
 * (STYLE.md 7.7). It removes a blob file only if no record names the
 * digest, which a store_upload_file_finish about to be recorded does not
 * yet do; so whoever calls store_upload_file_finish holds this lock from
 * before that call until the txn that records the blob has committed (or
 * aborted), and store_gc_files_listed, store_gc_files_sweep and
 * store_gc_files_unused take it around each file's check and unlink. The
 * GC holds it only for LMDB reads and single file operations, so a caller
 * waits at most for one of those; a group commit holds it until its commit
 * has ended (store_txn_commit_async), so a GC worker may wait for that.
 * Recursive: the thread holding it may take it again.
 */
void store_files_lock(struct store *);
void store_files_unlock(struct store *);

/*
 * Deferred image work, due at a time (issue 16): the end of an archive
 * restore (docs/ecr-behaviour.md 3.14) and a signing queued with its push
 * (3.12). text is the kind's own (NUL-terminated, may be empty). Put
 * creates or replaces; first fills *out (release it) with the earliest
 * record of kind: 1, 0 if there is none, or a negative code; del: STORE_OK
 * or STORE_NOTFOUND. A repository's records are not removed with it: the
 * worker finds the image gone and drops the record.
 */
enum store_work_kind {
	STORE_WORK_RESTORE = 1,
	STORE_WORK_SIGN = 2,
};
struct store_work {
	int64_t due_ms;
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	char *text; /* owned */
	size_t len;
};
void store_work_release(struct store_work *);
int store_work_put(struct store_txn *, enum store_work_kind,
    const struct store_work *);
int store_work_first(struct store_txn *, enum store_work_kind,
    struct store_work *out);
int store_work_del(struct store_txn *, enum store_work_kind,
    const struct store_work *);
/*
 * An image's signing status (3.12), a text the caller lays out: get fills
 * *text (owned) or answers STORE_NOTFOUND; put creates or replaces. It is
 * removed with its image or repository.
 */
int store_sign_status_get(struct store_txn *, uint64_t repo_id,
    const char *digest, char **text);
int store_sign_status_put(struct store_txn *, uint64_t repo_id,
    const char *digest, const char *text, size_t len);

/*
 * Documents: texts attached to a repository (its policy, its lifecycle
 * policy, the last lifecycle preview) or to a registry in a region (its
 * policy, settings), each with two times the caller gives meaning to
 * (e.g. set_at_ms, and lifecycle's lastEvaluatedAt). Repository documents
 * go with their repository; registry ones are emptied by store_reset.
 */
enum store_doc_kind {
	STORE_DOC_REPO_POLICY = 1,
	STORE_DOC_LIFECYCLE_POLICY = 2,
	STORE_DOC_LIFECYCLE_PREVIEW = 3,
	STORE_DOC_REGISTRY_POLICY = 16,
	STORE_DOC_REGISTRY_SETTINGS = 17,
	STORE_DOC_REPLICATION = 18,
	STORE_DOC_REGISTRY_SCANNING = 19,
	/* issue 16 */
	STORE_DOC_SIGNING = 24,
	STORE_DOC_PULL_EXCLUSIONS = 25,
};
#define STORE_DOC_MAX (8 * 1024 * 1024)
struct store_doc {
	char *text; /* owned, NUL-terminated; NULL: none */
	size_t len;
	int64_t at_ms;  /* e.g. when it was set */
	int64_t aux_ms; /* e.g. when it last ran; 0: never */
};
/* Free what doc owns and zero it. */
void store_doc_release(struct store_doc *doc);
/*
 * Get fills *out (release it): STORE_OK, STORE_NOTFOUND or another code.
 * Put creates or replaces (STORE_TOOBIG past STORE_DOC_MAX; a repository
 * document for a missing repository is STORE_NOTFOUND). Delete:
 * STORE_OK or STORE_NOTFOUND.
 */
int store_repo_doc_get(struct store_txn *, uint64_t repo_id,
    enum store_doc_kind, struct store_doc *out);
int store_repo_doc_put(struct store_txn *, uint64_t repo_id,
    enum store_doc_kind, const struct store_doc *doc);
int store_repo_doc_delete(struct store_txn *, uint64_t repo_id,
    enum store_doc_kind);
/*
 * Callback for store_repo_doc_foreach: a repository's id and its document,
 * borrowed until the callback returns. Return as for store_image_cb.
 */
typedef int (*store_repo_doc_cb)(uint64_t repo_id, const struct store_doc *doc,
    void *arg);
/*
 * Call cb for each repository document of kind, across every registry and
 * region, in ascending order of repository id, starting after
 * after_repo_id (0: from the first), so a long walk can resume in a later
 * txn. Costs the repository documents visited. cb must not write through
 * txn. Returns STORE_OK when the walk ends or cb returned a positive value,
 * cb's negative code, STORE_CORRUPT, or another STORE_* code.
 */
int store_repo_doc_foreach(struct store_txn *, enum store_doc_kind,
    uint64_t after_repo_id, store_repo_doc_cb cb, void *arg);
int store_registry_doc_get(struct store_txn *, const char *registry_id,
    const char *region, enum store_doc_kind, struct store_doc *out);
int store_registry_doc_put(struct store_txn *, const char *registry_id,
    const char *region, enum store_doc_kind, const struct store_doc *doc);
int store_registry_doc_delete(struct store_txn *, const char *registry_id,
    const char *region, enum store_doc_kind);

/*
 * Registry records named by a repository prefix: repository creation
 * templates and pull-through cache rules (docs/ecr-behaviour.md 3.9,
 * 3.10), one kind each, in a registry and region. The value is a document
 * (store_doc) whose text api/ lays out (the record as ECR answers it),
 * at_ms its creation and aux_ms its last update. They are not children of
 * a repository; store_reset empties them.
 */
enum store_template_kind {
	STORE_TEMPLATE_CREATION = 1,
	STORE_TEMPLATE_PTC_RULE = 2,
	STORE_TEMPLATE_PTC_CHECKED = 3, /* a cached tag's last check */
};
#define STORE_TEMPLATE_PREFIX_MAX 256
/*
 * Get fills *out (release it): STORE_OK, STORE_NOTFOUND or another code.
 * Create: STORE_EXISTS if that prefix has one already (nothing written).
 * Update replaces: STORE_NOTFOUND if there is none. Delete: STORE_OK or
 * STORE_NOTFOUND. A prefix longer than STORE_TEMPLATE_PREFIX_MAX or a
 * text past STORE_DOC_MAX is STORE_TOOBIG.
 */
int store_template_get(struct store_txn *, const char *registry_id,
    const char *region, enum store_template_kind, const char *prefix,
    struct store_doc *out);
int store_template_create(struct store_txn *, const char *registry_id,
    const char *region, enum store_template_kind, const char *prefix,
    const struct store_doc *doc);
int store_template_update(struct store_txn *, const char *registry_id,
    const char *region, enum store_template_kind, const char *prefix,
    const struct store_doc *doc);
int store_template_delete(struct store_txn *, const char *registry_id,
    const char *region, enum store_template_kind, const char *prefix);
/*
 * Callback for store_template_foreach: the prefix and document, borrowed
 * until it returns. Return as for store_repo_cb.
 */
typedef int (*store_template_cb)(const char *prefix,
    const struct store_doc *doc, void *arg);
/*
 * Call cb for each record of kind in (registry_id, region) whose prefix
 * sorts after after_prefix (NULL: from the first), in byte order. Costs
 * the records visited. cb must not write through txn. Returns STORE_OK
 * when the walk ends or cb returned a positive value, cb's negative code,
 * STORE_CORRUPT, or another STORE_* code.
 */
int store_template_foreach(struct store_txn *, const char *registry_id,
    const char *region, enum store_template_kind, const char *after_prefix,
    store_template_cb cb, void *arg);

/*
 * Replication (docs/ecr-behaviour.md 3.8, issue 14). A push that a
 * registry's replication configuration covers adds one job per destination
 * in its own txn, so a crash between the push and the copy loses nothing;
 * the server drains the jobs in key order. Each job has a status record
 * under its source image, a child record of the source repository.
 */
#define STORE_REPL_FAILURE_MAX 63
struct store_repl_job {
	uint64_t seq;     /* the key: store_repl_job_add sets it */
	uint64_t repo_id; /* the source repository */
	int64_t pushed_at_ms;
	char registry_id[STORE_REGISTRY_ID_MAX + 1]; /* the source's */
	char region[STORE_REGION_MAX + 1];
	char name[STORE_REPO_NAME_MAX + 1];
	char digest[STORE_DIGEST_MAX + 1];
	char tag[STORE_IMAGE_TAG_MAX + 1]; /* "" when none */
	char dest_registry_id[STORE_REGISTRY_ID_MAX + 1];
	char dest_region[STORE_REGION_MAX + 1];
};
enum store_repl_state {
	STORE_REPL_IN_PROGRESS = 0,
	STORE_REPL_COMPLETE = 1,
	STORE_REPL_FAILED = 2,
};
struct store_repl_status {
	char registry_id[STORE_REGISTRY_ID_MAX + 1]; /* the destination */
	char region[STORE_REGION_MAX + 1];
	enum store_repl_state state;
	char failure_code[STORE_REPL_FAILURE_MAX + 1]; /* "" when none */
};
/*
 * Add a job under the next sequence number (the last key plus one), set
 * job->seq: STORE_OK, STORE_TOOBIG or another code. First: the job with
 * the smallest key into *out, STORE_NOTFOUND when there is none. Delete:
 * STORE_OK or STORE_NOTFOUND.
 */
int store_repl_job_add(struct store_txn *, struct store_repl_job *job);
int store_repl_job_first(struct store_txn *, struct store_repl_job *out);
int store_repl_job_delete(struct store_txn *, uint64_t seq);
/*
 * Create or replace the status of image digest of repository repo_id for
 * st's destination (STORE_NOTFOUND if the repository does not exist).
 * Foreach calls cb with each status of the image, in key order, borrowed
 * until it returns (return as for store_image_cb).
 */
int store_repl_status_put(struct store_txn *, uint64_t repo_id,
    const char *digest, const struct store_repl_status *st);
typedef int (*store_repl_status_cb)(const struct store_repl_status *,
    void *arg);
int store_repl_status_foreach(struct store_txn *, uint64_t repo_id,
    const char *digest, store_repl_status_cb cb, void *arg);

/*
 * Streaming writes to an upload file (registry bodies arrive in pieces):
 * open at offset, cutting whatever lay past it (STORE_NOTFOUND if the file
 * is missing); add appends; close with sync true makes the bytes durable
 * (fdatasync unless STORE_EPHEMERAL) before the caller commits the record
 * that counts them, and frees the writer (NULL is ignored). STORE_OK,
 * STORE_NOSPACE (the file system is full) or STORE_IO.
 */
struct store_upload_writer;
/* Open the upload file of id read-only (for a hash the record lacks). */
int store_upload_file_open(struct store *, const char *id, int *fd);
int store_upload_writer_open(struct store *, const char *id, uint64_t offset,
    struct store_upload_writer **out);
int store_upload_writer_add(struct store_upload_writer *, const void *data,
    size_t len);
/*
 * Append n pieces in order, as add would one by one, but whole aligned
 * blocks from page-aligned buffers go to the disk in one write: a nice'd
 * worker wrote 4 MiB at a time at 1.7 times its rate at 1 MiB on a busy
 * machine (issue 13: fewer waits, each ending in a slow wake-up).
 */
int store_upload_writer_addv(struct store_upload_writer *, const struct iovec *,
    size_t n);
/*
 * Or fill the writer's own buffer: space sets *out to room for want bytes
 * (at most STORE_WRITER_SPACE_MAX), then commit counts the len written
 * there (len <= want). STORE_OK, STORE_NOSPACE or STORE_IO (the file
 * cannot take the bytes gathered before; store_io_cause says why).
 */
#define STORE_WRITER_SPACE_MAX (1024 * 1024)
int store_upload_writer_space(struct store_upload_writer *, size_t want,
    unsigned char **out);
int store_upload_writer_commit(struct store_upload_writer *, size_t len);
int store_upload_writer_close(struct store_upload_writer *, bool sync);

/*
 * Garbage collection, in two steps so that no txn is open during file I/O.
 * store_gc_collect (in a write txn): delete layer records with refs 0 that
 * were created before layer_before_ms, blob records whose users fell to 0,
 * and upload records last updated before upload_before_ms and not pinned
 * (store_upload_pin: a lease, a stream or a finish at work); appends each
 * removed blob digest and upload id to the caller's lists (start from a
 * zeroed struct; owned strings: free with store_gc_list_release), at most
 * max layers, max blobs and max uploads per call so one txn stays short
 * (the layers are found through an index, in O(max); uploads by walking
 * them, as they are few). On failure out is left as it was. Then, after
 * the commit, store_gc_files_listed removes those blob and upload files
 * (each unless a record names it again by then), and store_gc_files_sweep
 * any regular file in blobs/ and uploads/ whose name a record could have,
 * that no record names and that was last modified before file_before_ms (a
 * crash between rename and commit, or store_reset, leaves such files).
 * They check the records in read-only txns of
 * their own, hold none during file I/O, take store_files_lock around each
 * file, and leave store_io_cause alone, so they may run on any thread. They
 * go on past errors and return the first (STORE_IO for a file).
 */
struct store_gc_list {
	char **blobs;
	size_t n_blobs;
	char **uploads;
	size_t n_uploads;
	size_t n_layers; /* layer records removed */
};
int store_gc_collect(struct store_txn *, int64_t layer_before_ms,
    int64_t upload_before_ms, size_t max, struct store_gc_list *out);
int store_gc_files_listed(struct store *, const struct store_gc_list *);
int store_gc_files_sweep(struct store *, int64_t file_before_ms);
/*
 * For a store_gc_collect whose commit the full disk refused (it was
 * aborted): remove, before it is tried again, the files of the listed
 * blobs that no layer uses as committed (a record with users 0, or none),
 * since only an upload, which writes the file again, can use them anew.
 * Blobs whose last user only that txn dropped keep their file. Goes on
 * past errors and returns the first; like store_gc_files_listed, it may
 * run on any thread.
 */
int store_gc_files_unused(struct store *, const struct store_gc_list *);
void store_gc_list_release(struct store_gc_list *);

/*
 * Image scans (issue 15, docs/ecr-behaviour.md 3.7), in their own DBIs
 * (schema 5): per image, its last scan (scans) and that scan's findings,
 * one record each in the order they are answered (scan_findings); the
 * durable queue of scans to run (scan_jobs); and the scans started per
 * registry, region and UTC day (scan_counts, ECR's daily quota). All but
 * the counts are child records of the repository, and an image's go with
 * the image.
 */
enum store_scan_status {
	STORE_SCAN_IN_PROGRESS = 0,
	STORE_SCAN_COMPLETE = 1,
	STORE_SCAN_FAILED = 2,
	STORE_SCAN_UNSUPPORTED = 3, /* UNSUPPORTED_IMAGE */
};
/* CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, in that order. */
#define STORE_SCAN_SEVERITIES 6
#define STORE_SCAN_INVENTORY_MAX (8 * 1024 * 1024)
#define STORE_SCAN_FINDINGS_MAX 100000 /* per scan */
struct store_scan {
	uint8_t status;               /* enum store_scan_status */
	int64_t started_at_ms;        /* the last scan asked for */
	int64_t completed_at_ms;      /* 0 while in progress */
	int64_t source_updated_at_ms; /* the feed's; 0: no feed */
	uint32_t counts[STORE_SCAN_SEVERITIES];
	uint32_t n_findings;
	unsigned char *inventory; /* owned, opaque; NULL: none taken */
	size_t inventory_len;
};
/* Free what scan owns and zero it. */
void store_scan_release(struct store_scan *);
/*
 * Get fills *out (release it): STORE_OK, STORE_NOTFOUND or another code.
 * Put creates or replaces the image's scan (STORE_NOTFOUND if the image is
 * missing), leaving its findings as they are.
 */
int store_scan_get(struct store_txn *, uint64_t repo_id, const char *digest,
    struct store_scan *out);
int store_scan_put(struct store_txn *, uint64_t repo_id, const char *digest,
    const struct store_scan *);
/*
 * A finding. Strings are owned (NULL reads as ""); each is at most
 * UINT16_MAX bytes (STORE_TOOBIG otherwise).
 */
struct store_finding {
	char *name; /* the CVE, else the OSV id */
	char *osv_id;
	char *description;
	char *uri;
	char *severity; /* CRITICAL ... UNDEFINED */
	char *cvss3_vector;
	double cvss3_score; /* 0..10, one decimal kept; < 0 none */
	char *package_name;
	char *package_version;
	char *fixed_version; /* "" when none */
};
void store_finding_release(struct store_finding *);
/*
 * Replace the image's findings by list (n at most STORE_SCAN_FINDINGS_MAX);
 * or put list as findings from index from on, leaving the others (a long
 * list written in slices, set first).
 */
int store_scan_findings_set(struct store_txn *, uint64_t repo_id,
    const char *digest, const struct store_finding *list, size_t n);
int store_scan_findings_put(struct store_txn *, uint64_t repo_id,
    const char *digest, uint32_t from, const struct store_finding *list,
    size_t n);
/*
 * Call cb for each finding of the image from index from on, in order; f
 * is borrowed until cb returns, which returns as for store_image_cb.
 */
typedef int (*store_finding_cb)(uint32_t index, const struct store_finding *f,
    void *arg);
int store_scan_findings_foreach(struct store_txn *, uint64_t repo_id,
    const char *digest, uint32_t from, store_finding_cb cb, void *arg);
/*
 * Call cb for each scan with index after (after_repo_id, after_digest)
 * (after_digest NULL: from the first of after_repo_id, 0 from the start),
 * in key order; borrowed as above. For re-matching stored inventories.
 */
typedef int (*store_scan_cb)(uint64_t repo_id, const char *digest,
    const struct store_scan *scan, void *arg);
int store_scan_foreach(struct store_txn *, uint64_t after_repo_id,
    const char *after_digest, store_scan_cb cb, void *arg);
/*
 * The queue: put (an image queued twice is queued once), delete
 * (STORE_OK or STORE_NOTFOUND), first: the first queued image's repository
 * and digest (STORE_DIGEST_MAX + 1 bytes), or STORE_NOTFOUND when none.
 */
int store_scan_job_put(struct store_txn *, uint64_t repo_id, const char *digest,
    int64_t queued_at_ms);
int store_scan_job_delete(struct store_txn *, uint64_t repo_id,
    const char *digest);
int store_scan_job_first(struct store_txn *, uint64_t *repo_id, char *digest);
/*
 * Count one scan started in (registry_id, region) on day (days since the
 * epoch), forgetting earlier days, and set *out to the day's count.
 */
int store_scan_count_add(struct store_txn *, const char *registry_id,
    const char *region, uint64_t day, uint64_t *out);
/*
 * The repository whose id is id: STORE_OK with *out, or STORE_NOTFOUND
 * (none, or it was deleted).
 */
int store_repo_get_by_id(struct store_txn *, uint64_t id,
    struct store_repo *out);

#endif
