/*
 * The registry (OCI Distribution / Docker Registry HTTP API V2) as the
 * server sees it: each registry request becomes a call (core/) that runs
 * like an ECR operation (same txns, group commit, store and rules),
 * prepared from a Basic-auth token instead of SigV4 and from path parts
 * instead of JSON. The server streams blob bytes itself through
 * api_reg_stream_* and api_reg_finish_* (uploads.c), the file work on its
 * worker pool.
 */
#ifndef ECRD_REGISTRY_REGISTRY_H
#define ECRD_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

enum api_reg_op {
	API_REG_PING,         /* GET /v2/ */
	API_REG_CATALOG,      /* GET /v2/_catalog */
	API_REG_TAGS,         /* GET tags/list */
	API_REG_MANIFEST_GET, /* GET or HEAD manifests/<ref> */
	API_REG_MANIFEST_PUT,
	API_REG_MANIFEST_DELETE,
	API_REG_BLOB_GET, /* GET or HEAD blobs/<digest> */
	API_REG_BLOB_DELETE,
	API_REG_UPLOAD_START,  /* POST blobs/uploads/ (also ?mount=) */
	API_REG_UPLOAD_STATUS, /* GET blobs/uploads/<id> */
	API_REG_UPLOAD_PATCH,  /* PATCH: record what was streamed */
	API_REG_UPLOAD_FINISH, /* PUT ?digest= (with a last chunk) */
	API_REG_UPLOAD_CANCEL, /* DELETE blobs/uploads/<id> */
	API_REG_REFERRERS,     /* GET referrers/<digest> */
	API_REG__COUNT
};

/* A registry request; the strings are borrowed for the call's life. */
struct api_reg_request {
	enum api_reg_op op;
	const char *password;  /* Basic auth password, or NULL */
	const char *user;      /* Basic auth user, or NULL */
	const char *repo;      /* repository name, or NULL */
	const char *reference; /* tag or digest; digest for blobs */
	const char *upload_id;
	const char *digest; /* ?digest= */
	const char *mount;  /* ?mount= */
	const char *from;   /* ?from= */
	const char *accept; /* Accept header */
	const char *host;   /* Host header, or NULL */
	const char *content_type;
	const char *content_range; /* "start-end" of a PATCH, or NULL */
	int64_t content_length;    /* -1 when absent (chunked) */
	const char *last;          /* ?last= */
	int64_t n;                 /* ?n=, -1 when absent */
	const char *artifact_type; /* ?artifactType= */
	const char *body;          /* manifest PUT */
	size_t body_len;
	bool is_head;
};

/*
 * Route a /v2 request: method ("GET", "HEAD", ...) and path to rq->op, and
 * rq->reference or rq->upload_id (borrowed from path). 0 with the
 * repository name at *name (borrowed from path, *name_len bytes, not
 * NUL-terminated; NULL for /v2/ and _catalog), API_REG_ROUTE_NONE for no
 * such endpoint (404) or API_REG_ROUTE_METHOD for a method the endpoint
 * lacks (405).
 */
#define API_REG_ROUTE_NONE (-1)
#define API_REG_ROUTE_METHOD (-2)
int api_reg_route(const char *method, const char *path,
    struct api_reg_request *rq, const char **name, size_t *name_len);

/*
 * Authenticate (the token names account, region and principal), check the
 * request's shape, and say how to run it (api.h: API_STAGE_*). Blob bodies
 * of PATCH and PUT uploads are streamed between prepare and run: call
 * api_reg_stream_open first, the pieces as below, then run (the run
 * records what was streamed, or refuses it).
 */
enum core_stage api_reg_prepare(struct call *, const struct api_reg_request *);

/*
 * Streaming a PATCH or PUT body into the upload: open (in a read txn of its
 * own: checks the upload, its repository and the Content-Range start), then
 * for each piece add (counts it against the size limit) and write (to the
 * upload file and the running hash), then sync (the file durable, before
 * the run counts the bytes in the record). open, add and fail run on the
 * loop: 0, or -1 with the call's error set (the server answers at once and
 * drops the body). write and sync touch only the stream's file and hash, so
 * the server may run them on a worker thread, one at a time and in order,
 * while the loop goes on with other calls (issue 12): they return a STORE_*
 * code, which fail turns into the call's error on the loop.
 */
int api_reg_stream_open(struct call *);
int api_reg_stream_add(struct call *, size_t len);
int api_reg_stream_write(struct call *, const void *, size_t);
int api_reg_stream_sync(struct call *);
int api_reg_stream_fail(struct call *, int rc);

/*
 * The answer: status, headers (name/value pairs, borrowed until the call
 * is freed) and body (borrowed). For a blob GET, *blob_digest is set and
 * the server streams the blob file instead of a body.
 */
struct api_reg_answer {
	int status;
	const char *headers[16][2];
	size_t n_headers;
	const char *body;
	size_t body_len;
	const char *content_type;
	const char *blob_digest; /* stream this blob (GET/HEAD blob) */
	int64_t content_length;  /* HEAD: the length, -1 none */
};
void api_reg_render(struct call *, struct api_reg_answer *);
/* The registry's error code of a failed call (static), or NULL. */
const char *api_reg_error_name(const struct call *);

/*
 * The ECR action a registry request counts as (strict mode's, and
 * --throttle's bucket): "ecr:PutImage", or NULL (/v2/: none).
 */
const char *api_reg_action(const struct api_reg_request *);
/*
 * Whose request it is, as authentication finds it but without minding the
 * expiry: the token's account and region, or the Host's when it names
 * them. 0, or -1 without a token of ours (it will be refused).
 */
int api_reg_scope(const struct core_ctx *, const struct api_reg_request *,
    char account[13], char region[CORE_SCOPE_REGION_SIZE]);
/* A route's name ("manifest-get", as the access log shows it). */
const char *api_reg_op_name(enum api_reg_op);
/* The route of that name, or -1. */
int api_reg_op_find(const char *name);

/*
 * The registry's own error code ("BLOB_UNKNOWN") when the call failed with
 * one that no ECR exception stands for; NULL otherwise (for audit.c).
 */
const char *api_reg_own_error(const struct call *);

/*
 * Mint a registry password for account/region/principal that expires at
 * expires_at_ms (an admin hook so tests can prove expired tokens fail).
 * The caller frees the result.
 */
char *api_reg_mint_token(struct core_ctx *, const char *account,
    const char *region, const char *principal, int64_t now_ms,
    int64_t expires_at_ms);

#endif
