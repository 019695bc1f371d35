/*
 * The fixture the api/ operation tests share: an api context over a fresh
 * mkdtemp store (store_fixture.c), and calls run through the dispatcher
 * as server/routes.c runs them (prepare, then run alone or as a batch of
 * one, then render), without HTTP. Request bodies in tests are written
 * with ' for " to stay readable; answers come back parsed.
 */
#ifndef ECRD_TEST_API_FIXTURE_H
#define ECRD_TEST_API_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct core_ctx;
struct fx;
struct json_object;

#define AFX_ACCOUNT "123456789012"
#define AFX_REGION "us-east-1"
#define AFX_NOW_MS INT64_C(1700000000000)

struct afx {
	struct fx *fx;
	struct core_ctx *ctx;
	int64_t now_ms; /* the clock calls get */
	/* SigV4 scope of the caller; NULL for unsigned calls. */
	const char *access_key;
	const char *region;
};

/* cmocka set-up and tear-down: a context in permissive mode. */
int afx_setup(void **state);
int afx_teardown(void **state);

/*
 * A restart: the context freed, the store closed and opened again, and a
 * new context over it.
 */
void afx_restart(struct afx *);
/*
 * The records, of every repository, of the DBIs keyed by a repository's
 * id (images, manifests, tags, layers, referrers, parents, image counts,
 * documents): what a deleted repository leaves to reap.
 */
size_t afx_child_records(struct afx *);

/* A body: text with ' for ", parsed (must parse; caller owns). */
struct json_object *afx_in(const char *text);
/*
 * Run op with owned_in (NULL: an empty body) and return the answer's
 * status, __type (NULL on success, borrowed from the error table) and
 * parsed body (caller owns).
 */
struct json_object *afx_run(struct afx *, const char *op,
    struct json_object *owned_in, int *status, const char **type);
/* Run and assert 200; the body (caller owns). */
struct json_object *afx_ok(struct afx *, const char *op, const char *text);
struct json_object *afx_ok_in(struct afx *, const char *op,
    struct json_object *owned_in);
/* Run and assert this error: status, __type and exact message. */
void afx_fail(struct afx *, const char *op, const char *text, int status,
    const char *type, const char *message);
void afx_fail_in(struct afx *, const char *op, struct json_object *owned_in,
    int status, const char *type, const char *message);
/* Run, assert 200 and drop the body. */
void afx_do(struct afx *, const char *op, const char *text);

/* A member by JSON pointer ("/repository/repositoryName"); must exist. */
const char *afx_str(struct json_object *, const char *ptr);
int64_t afx_i64(struct json_object *, const char *ptr);
/* A number, integer or not (timestamps are epoch seconds, 3 decimals). */
double afx_num(struct json_object *, const char *ptr);
size_t afx_len(struct json_object *, const char *ptr);
/* Is there a member at ptr? */
int afx_has(struct json_object *, const char *ptr);
/* Assert o equals the JSON in text (' for "). */
void afx_equal(struct json_object *o, const char *text);

/* "sha256:<hex>" of data (72 bytes with the NUL). */
void afx_digest(const void *data, size_t len, char out[72]);
/* Create repository name with default settings. */
void afx_repo(struct afx *, const char *name);
/*
 * Upload data as one layer of repository (Initiate, one UploadLayerPart,
 * Complete) and write its digest.
 */
void afx_layer(struct afx *, const char *repo, const void *data, size_t len,
    char digest[72]);
/*
 * A Docker v2 image whose config and one layer are made from seed and
 * uploaded to repo: writes the manifest text (caller frees) and its
 * digest. Nothing is put.
 */
char *afx_image(struct afx *, const char *repo, const char *seed,
    char digest[72]);
/* PutImage of manifest (tag NULL: by digest only); the answer's image. */
struct json_object *afx_put(struct afx *, const char *repo,
    const char *manifest, const char *tag);

#endif
