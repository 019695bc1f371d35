/*
 * The ECR JSON protocol as the server sees it: the context (the domain's,
 * core/core.h, with the ECR validator), and an ECR call's preparation
 * (SigV4, X-Amz-Target, the JSON body, validation, authorization) and its
 * rendering as ECR JSON.
 */
#ifndef ECRD_API_API_H
#define ECRD_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/throttle.h" /* for the server's --throttle */

#define API_BODY_MAX (32 * 1024 * 1024 + 4096)
#define API_TARGET_PREFIX "AmazonEC2ContainerRegistry_V20150921."

/*
 * Make the context: compiles the validator, checks the op table, and loads
 * or creates the server key in store. 0, or -1 with *cause (caller frees).
 */
int api_ctx_new(struct store *, const struct core_config *,
    struct core_ctx **out, char **cause);
void api_ctx_free(struct core_ctx *);
/*
 * The --secrets file (issue 13): a JSON object mapping a Secrets Manager
 * secret's ARN or name to {"username": ..., "accessToken": ...} (or that
 * object as a string). 0 and *out (api_secrets_free it), or -1 with
 * *cause (caller frees) when text is not such an object; an entry without
 * both members is kept, as a secret ECR cannot decrypt. Tokens are wiped
 * when freed.
 */
int api_secrets_parse(const char *text, size_t len, struct api_secrets **out,
    char **cause);
void api_secrets_free(struct api_secrets *);
/* Borrowed, as core_ctx_set_creds's, until the next call or the end. */
void api_ctx_set_secrets(struct core_ctx *, const struct api_secrets *);

/*
 * The operation an X-Amz-Target header names ("AmazonEC2...PutImage" or,
 * with is_bare, "PutImage"): its name in the op table (static), or NULL.
 */
const char *api_op_of_target(const char *target, bool is_bare);

/*
 * Steps 1-4 of dispatch (STYLE.md 3): identify the caller from the SigV4
 * request, look up the target, parse and validate the body.
 */
enum core_stage api_call_prepare(struct call *, const char *target,
    const char *body, size_t len, const struct sigv4_request *);
/*
 * UploadLayerPart bodies stream (part_stream.c): make a part when the
 * headers are in (sr: the request so far, its body not yet there), add
 * each piece of the body as it comes (-1 once the body passes
 * API_BODY_MAX: answer 413), then prepare the call with it (the call
 * takes the part) or free it.
 */
struct api_part;
struct api_part *api_part_new(struct core_ctx *, const struct sigv4_request *);
int api_part_add(struct api_part *, const char *, size_t);
void api_part_free(struct api_part *);
enum core_stage api_call_prepare_part(struct call *, const char *target,
    struct api_part *, const struct sigv4_request *);
/* The body but the blob, as JSON; its SHA-256 in hex (strict mode). */
const char *api_part_json(struct api_part *, size_t *len);
void api_part_payload_hash(struct api_part *, char hex[65]);
/*
 * The scan test hooks (issue 15; api/scan_hooks.c): set the scan result
 * of the images result names ({registryId?, repositoryName, imageId?,
 * imageScanStatus?: {status}, imageScanFindings?: {findings[]}}, shaped
 * as DescribeImageScanFindings answers; no imageId: every image of the
 * repository) in registry account (unless registryId says) and region,
 * in a write txn of its own. The call (call_free it) holds the answer,
 * {"imagesSet": n}, or the error, for api_call_render.
 */
struct json_object;
struct call *api_scan_result_post(struct core_ctx *, const char *request_id,
    const char *account, const char *region, struct json_object *result);
/* Status, error type (NULL on success) and body (caller frees). */
void api_call_render(struct call *, int *status, const char **error_type,
    char **body, size_t *len);

#endif
