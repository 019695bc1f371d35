/* Declarations shared inside api/: the ECR op table and its helpers. */
#ifndef ECRD_API_API_INT_H
#define ECRD_API_API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "api/error.h"
#include "api/model.h"
#include "api/model_gen.h"
#include "core/core_int.h"

struct jw;
struct policy;
struct sha256_state;
struct store_image;
struct store_repo;
struct store_upload;

/* input.c: reading validated input (STYLE.md 6.3). */
const char *api_in_str(struct call *, const char *key);
/* The byte length of a string member (0 when absent). */
size_t api_in_len(struct call *, const char *key);
bool api_in_bool(struct call *, const char *key, bool dflt);
int64_t api_in_i64(struct call *, const char *key, int64_t dflt);
struct json_object *api_in_obj(struct call *, const char *key);
struct json_object *api_in_array(struct call *, const char *key);

/* shapes.c: ECR's JSON shapes of repositories and images. */
/* Write repo's Repository object (key NULL inside an array). */
void api_repo_write(struct call *, struct jw *, const char *key,
    const struct store_repo *repo);
/* Set the answer's "repository" member to repo. */
void api_out_repo(struct call *, const struct store_repo *repo);
/* A string member of an imageId object, or NULL (also for null). */
const char *api_id_member(struct json_object *id, const char *key);
/* "ACTIVE", "ARCHIVED" or "ACTIVATING". */
const char *api_image_status_name(unsigned status);
/* Filters as the model gives them; NULL is the default. */
bool api_image_status_matches(const char *filter, unsigned status);
bool api_image_tag_status_matches(const char *filter,
    const struct store_image *img);
/* {imageDigest, imageTag?}; key NULL inside an array. */
void api_image_id_write(struct jw *, const char *key, const char *digest,
    const char *tag);
/*
 * One ImageDetail (DescribeImages), inside an array, with
 * imageScanStatus and imageScanFindingsSummary from scan (NULL: never
 * scanned).
 */
void api_image_detail_write(struct jw *, const struct store_repo *repo,
    const struct store_image *img, const struct store_scan *scan);

/*
 * op_image_extras.c: the image the call's imageId names (release it), or
 * -1 with ImageNotFoundException; and the answer's registryId (if asked),
 * repositoryName and imageId {imageDigest, imageTag as asked}.
 */
int api_image_of_call(struct call *, const struct store_repo *repo,
    struct store_image *img);
void api_out_image_id(struct call *, const struct store_repo *repo,
    const struct store_image *img, bool with_registry_id);

/* A ListImages/DescribeImages filter's members (NULL when absent). */
void api_filter_strs(struct json_object *filter, const char **tag_status,
    const char **image_status);

/* authz_call.c: strict mode's decision (STYLE.md 3, step 4). */
/* Fail the call with AccessDeniedException unless policies allow it. */
int api_authz_call(struct call *);
/*
 * SetRepositoryPolicy without force: fail the call unless the caller could
 * still set a policy with policy in place (read in call->txn).
 */
int api_authz_lockout_check(struct call *, const struct policy *);

/* policy_doc.c: a policyText member checked and laid out as ECR does. */
enum api_policy_kind {
	API_POLICY_REPOSITORY,
	API_POLICY_REGISTRY,
	API_POLICY_REGISTRY_V1, /* REGISTRY_POLICY_SCOPE V1 */
};
/*
 * 0 with *parsed (policy_free it) and *formatted (Jackson's layout, lives
 * as long as the call), or -1 with InvalidParameterException set.
 */
int api_policy_text_check(struct call *, enum api_policy_kind,
    struct policy **parsed, char **formatted);
/* The same for text (len bytes) from another member (templates). */
int api_policy_check(struct call *, enum api_policy_kind, const char *text,
    size_t len, struct policy **parsed, char **formatted);

/*
 * secrets.c: a pull-through cache rule's credentialArn must name a usable
 * secret: 0, or -1 with SecretNotFoundException or, for an entry without
 * a username and accessToken, UnableToDecryptSecretValueException.
 */
int api_secret_check(struct call *, const char *arn);
/*
 * The username and accessToken of the secret arn names, borrowed until
 * the secrets are reread: 0, or -1 when it is missing or malformed.
 */
int core_secret_get(const struct core_ctx *, const char *arn, const char **user,
    const char **token);

/*
 * template.c: check a creation template t as ECR does (appliedFor, each
 * setting as CreateRepository, SetRepositoryPolicy and PutLifecyclePolicy
 * check it, customRoleArn), putting the policies in the form the direct
 * operations keep: 0, or -1 with the call's error.
 */
int api_template_check(struct call *, struct json_object *t);
/*
 * The Describe operations' page of the records of kind (templates, rules):
 * those after the call's nextToken (a page token of token_kind), at most
 * maxResults (default RECORD_PAGE_DEFAULT), each handed to add with its
 * times; nextToken set when more follow. 0, or -1 with the call's error.
 */
#define RECORD_PAGE_DEFAULT 100
typedef void (*api_record_add_fn)(struct call *, struct json_object *list,
    struct json_object *record, int64_t created_ms, int64_t updated_ms);
int api_record_page(struct call *, enum store_template_kind,
    const char *token_kind, struct json_object *list, api_record_add_fn add);
/* Whether CreateRepository's model takes name (core_ctx's is_repo_name). */
bool api_is_repo_name(const struct core_ctx *, const char *name);

/* upstream.c: the upstreams of pull-through cache rules (3.9). */
enum api_upstream_host {
	API_UPSTREAM_EXACT,
	API_UPSTREAM_AZURE, /* <name>.azurecr.io */
	API_UPSTREAM_ECR,   /* <acct>.dkr.ecr.<region>.amazonaws.com */
};
struct api_upstream {
	const char *name; /* upstreamRegistry */
	const char *host; /* or its suffix */
	enum api_upstream_host kind;
	bool needs_secret; /* credentialArn */
};
/* The upstream of a bare host URL, or of a name; NULL if ECR has none. */
const struct api_upstream *api_upstream_of(const char *url);
const struct api_upstream *api_upstream_named(const char *name);

/*
 * scan_findings.c: scan results in ECR's shapes (issue 15). New objects
 * (the caller adds them): a scan's imageScanStatus, its
 * findingSeverityCounts (only severities found), a basic finding, and
 * the same match as Inspector's enhanced finding. api_scan_times_add
 * adds imageScanCompletedAt and vulnerabilitySourceUpdatedAt to o.
 */
struct json_object *api_scan_status_json(const struct store_scan *);
/* The status's name and description (NULL: none), as ECR words them. */
const char *api_scan_status_name(const struct store_scan *,
    const char **description);
struct json_object *api_scan_counts_json(const struct store_scan *);
void api_scan_times_add(struct json_object *o, const struct store_scan *);
struct json_object *api_finding_json(const struct store_finding *);
struct json_object *api_enhanced_finding_json(struct call *,
    const struct store_repo *, const struct store_image *,
    const struct store_scan *, const struct store_finding *);
/*
 * DescribeImageScanFindings' page cursor, inside its MAC'd token: the next
 * finding's index and the image's digest ("12@sha256:..."). parse: 0 with
 * *index, or -1 when malformed or another image's.
 */
#define API_SCAN_CURSOR_SIZE (16 + STORE_DIGEST_MAX + 1)
void api_scan_cursor_format(char *dst, size_t size, uint32_t index,
    const char *digest);
int api_scan_cursor_parse(const char *cursor, const char *digest,
    uint32_t *index);
/*
 * A finding in ECR's basic shape (the test hooks' input: name, severity,
 * description, uri, attributes package_name, package_version,
 * CVSS3_VECTOR, CVSS3_SCORE) as the store keeps it: 0 with *out (release
 * it), or -1 with *why (static).
 */
int api_finding_from_json(struct json_object *in, struct store_finding *out,
    const char **why);

/* ops.c */
const struct op *api_op_find(const char *name);
int api_ops_check(char **cause);
extern const struct op *const api_ops[];
extern const size_t api_n_ops;

/*
 * UploadLayerPart's part as it streamed (part_stream.c; the server's side
 * is in api.h). has_blob: layerPartBlob was a string and ended. blob_len: its
 * decoded bytes, or -1 if it was not base64. check: 0, or -1 with
 * SerializationException when it was not base64. from_json: the part of a body
 * that did not stream (the caller owns it). write: put the part after
 * up->received and point *hash at the upload's hash after it (NULL when the
 * upload had none to go on; it lives as long as the part): 0, -1 with call->err
 * set, or API_PART_BUSY when another stream holds the upload or the record
 * moved since the part began.
 */
#define API_PART_BUSY 1
struct api_part;
bool api_part_has_blob(const struct api_part *);
/* The member that came twice (the request is refused), or NULL. */
const char *api_part_duplicate(const struct api_part *);
int api_part_check(struct call *, const struct api_part *);
int64_t api_part_blob_len(const struct api_part *);
struct api_part *api_part_from_json(struct call *);
int api_part_write(struct call *, struct api_part *,
    const struct store_upload *up, const struct sha256_state **hash);

/*
 * UploadLayerPart's files_open: a part that streamed into the upload file
 * is synced in the worker pool before the group commit.
 */
void api_part_files_open(struct call *);

/* The call's part (NULL if none); the call owns it. */
struct api_part *api_call_part(struct call *);
void api_call_set_part(struct call *, struct api_part *owned);

#endif
