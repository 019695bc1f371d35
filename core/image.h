/*
 * Image logic shared by the ECR API operations and the registry: one
 * function puts a manifest, one finds an image, one deletes (STYLE.md 3).
 */
#ifndef ECRD_CORE_IMAGE_H
#define ECRD_CORE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"

struct json_object;
struct manifest;
#include "store/store.h"

/* "sha512:" and 128 hex digits, and the NUL. */
#define CORE_DIGEST_SIZE 136

/* sha256 (or sha512) of bytes as "sha256:<hex>" into dst. */
void core_digest_of(const void *bytes, size_t len, bool sha512, char *dst);

/* Whether ECR refuses to move tag in repo (its mutability and filters). */
bool core_tag_is_immutable(const struct store_repo *repo, const char *tag);

/* ImageNotFoundException in ECR's words; "null" for a missing part. */
int core_fail_image_not_found(struct call *, const struct store_repo *repo,
    const char *digest, const char *tag);

struct core_image_put {
	const char *manifest; /* the exact bytes */
	size_t len;
	const char *media_type; /* given by the caller, or NULL */
	const char *tag;        /* or NULL */
	const char *digest;     /* expected digest, or NULL */
};

struct core_image_result {
	char digest[CORE_DIGEST_SIZE];
	char media_type[STORE_MEDIA_TYPE_MAX + 1];
	char subject[CORE_DIGEST_SIZE]; /* "" when none */
};

/*
 * PutImage and the registry's manifest PUT (docs/ecr-behaviour.md 3.2): digest
 * over the exact bytes, media type, reference checks (relaxed by
 * --relax-references), the images quota, tag immutability, re-tagging
 * that leaves the old image untagged, and ImageAlreadyExists for an
 * identical put. Runs in call->txn. 0 with *out filled, or -1 with
 * call->err set.
 */
int core_image_put(struct call *, const struct store_repo *repo,
    const struct core_image_put *in, struct core_image_result *out);
/*
 * The same for bytes already parsed (with in->media_type) into *parsed,
 * whose digest is in->digest, so that neither is done again: a
 * replication copy of a stored image, parsed once for its destinations.
 */
int core_image_put_parsed(struct call *, const struct store_repo *repo,
    const struct core_image_put *in, const struct manifest *parsed,
    struct core_image_result *out);

/* core_image_find: the tag names another digest than the one asked. */
#define CORE_IMAGE_TAG_MISMATCH (-100)
/*
 * The image a tag, a digest or both name: STORE_OK with *out filled
 * (release it), STORE_NOTFOUND, CORE_IMAGE_TAG_MISMATCH, or a STORE_* code.
 */
int core_image_find(struct call *, uint64_t repo_id, const char *digest,
    const char *tag, struct store_image *out);

/*
 * BatchDeleteImage's rule, shared with lifecycle expiry and the registry's
 * DELETE: with tag, remove that tag, and the image too if it was its last;
 * with tag NULL, delete the image and all its tags. Blobs stay for the GC.
 * Returns 0; CORE_IMAGE_BUSY, with nothing written, when a manifest list or
 * index in the repository still refers to the image (the caller words
 * ImageReferencedByManifestList); or -1 with call->err set.
 */
#define CORE_IMAGE_BUSY (-101)
int core_image_delete(struct call *, const struct store_image *img,
    const char *tag);

/* Media types a client accepts; n == 0 accepts any. */
struct core_accept {
	const char **types;
	size_t n;
};
bool core_accept_has(const struct core_accept *, const char *media_type);
/*
 * Content negotiation, for BatchGetImage and the registry's manifest GET
 * (docs/ecr-behaviour.md 3.2): the stored manifest if its type is
 * accepted; else, only by tag, an index's child (linux/amd64 first) or the
 * Docker v2 / OCI twin. Returns the bytes (caller frees) and sets digest
 * (CORE_DIGEST_SIZE bytes), *type (lives as long as the call) and *len;
 * NULL if nothing fits.
 */
char *core_image_negotiate(struct call *, const struct core_accept *,
    const struct store_image *img, bool by_tag, char *digest, const char **type,
    size_t *len);

/* The "annotations" of an image's manifest (referrer listings). */
void core_image_annotations_write(struct call *, struct jw *,
    const struct store_image *img);
/*
 * Start a layer upload in repo (InitiateLayerUpload and the registry's
 * POST): a fresh id, an empty file, a record with a fresh running hash.
 * 0 with *up filled, or -1 with call->err set. core_upload_files_open, a
 * files_open for these ops, has the empty file made (and synced, with its
 * directory) in the worker pool before the run, which then takes its id;
 * a file the run did not record is removed when the call is freed, and
 * one whose record's commit failed is the GC's orphan.
 */
int core_upload_create(struct call *, const struct store_repo *repo,
    struct store_upload *up);
void core_upload_files_open(struct call *);
void core_upload_new_free(struct call *);

/*
 * The maximum layer size (ECR's 52,000 MiB, or --max-layer-size): may
 * upload id, holding received bytes, take more? 0, or -1 with
 * LimitExceededException set.
 */
int core_upload_check_size(struct call *, const char *id, uint64_t received,
    uint64_t more);

/*
 * Count a part of len bytes just written to the upload's file, with the
 * running hash after it, or NULL when the stream had none to go on (the
 * caller then stores *up).
 */
struct sha256_state;
void core_upload_count_part(struct call *, struct store_upload *up,
    uint64_t len, const struct sha256_state *hash);
/*
 * The upload's running hash (upload.c keeps it in memory, never in the
 * store), for a stream that goes on from up->received: true with *out,
 * or false when none covers exactly that much (after a restart): the
 * stream then hashes nothing and core_upload_digest reads the file.
 */
bool core_upload_hash_get(const struct core_ctx *,
    const struct store_upload *up, struct sha256_state *out);
/* Forget the upload's running hash (it completed or was cancelled). */
void core_upload_hash_drop(struct core_ctx *, const char *id);
/*
 * The digest of the upload's received bytes, "sha256:" (from the running
 * hash, or else from the file) or with is_sha512 "sha512:" (from the file)
 * and hex digits: 0, or -1 with call->err set.
 */
int core_upload_digest(struct call *, const struct store_upload *up,
    bool is_sha512, char digest[CORE_DIGEST_SIZE]);
/*
 * The same from the upload file of id's first len bytes, or for sha256
 * from the running hash *from when not NULL: STORE_OK or a STORE_* code.
 * It touches no api state, so a worker thread may run it.
 */
int core_upload_hash_file(struct store *, const char *id, uint64_t len,
    bool is_sha512, const struct sha256_state *from,
    char digest[CORE_DIGEST_SIZE]);
/*
 * A blob upload's finish in two steps (finish.c): core_finish_open, on
 * the loop, notes the upload's first len bytes, their running hash if
 * there is one (else NULL) and the digest wanted, and gives the call file
 * work (call_set_files) that hashes them if needed and, if the digest
 * matches, syncs the file and
 * links it durably as the blob file (pinned against GC until the call is
 * freed). With lease_owner non-NULL it also takes the upload's lease for
 * that owner until the call is freed, and false says another holds it;
 * otherwise the caller holds the upload. The exec then takes the digest
 * with core_finish_digest (false: the work did not run or the upload
 * moved on; hash it yourself) and places the file with core_finish_place
 * (only the upload's name left to drop, or the whole of
 * store_upload_file_finish if the work did not get that far).
 */
struct core_finish;
bool core_finish_open(struct call *, const char *id, uint64_t len,
    const char *want, const struct sha256_state *hash, const void *lease_owner);
bool core_finish_digest(const struct call *, const struct store_upload *up,
    char digest[CORE_DIGEST_SIZE]);
int core_finish_place(struct call *, const struct store_upload *up,
    const char *digest);
void core_finish_free(struct core_finish *);
/*
 * Remove upload id's file once the call's commit is over, in the worker
 * pool (call_take_after), and only if the call has not failed: its record
 * then names the file still.
 */
void core_upload_remove_after(struct call *, const char *id);

/*
 * A stream writing into an upload's file (an UploadLayerPart body, a
 * registry PATCH or PUT) holds the upload's lease until its call ends, so
 * that no second stream writes the same bytes and nothing finishes the
 * upload (moving its file into the blob store) from under it; so does a
 * finish whose file work is in the pool (core_finish_open). owner is the
 * stream's state. lease is false when the upload is leased already. A
 * lease pins the upload (store_upload_pin): the GC leaves its record and
 * file alone, and the registry's upload DELETE refuses it (issue 12).
 */
bool core_upload_lease(struct core_ctx *, const char *id, const void *owner);
/* Drop owner's lease on id, if it holds it. */
void core_upload_unlease(struct core_ctx *, const char *id, const void *owner);
/* Is id leased by a stream other than owner (NULL: by any)? */
bool core_upload_leased_by_other(const struct core_ctx *, const char *id,
    const void *owner);

#endif
