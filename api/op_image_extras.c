/*
 * ListImageReferrers, UpdateImageStorageClass,
 * DescribeImageReplicationStatus and DescribeImageSigningStatus: the
 * smaller per-image operations (docs/ecr-behaviour.md 3.2, 3.12, 3.14).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/parse.h"
#include "common/str.h"
#include "core/image.h"
#include "store/store.h"

#define REFERRERS_PAGE_DEFAULT 20

static int list_image_referrers(struct call *);
static int update_image_storage_class(struct call *);
static int describe_image_replication_status(struct call *);
static int describe_image_signing_status(struct call *);

const struct op api_op_list_image_referrers = {
    .name = "ListImageReferrers",
    .input = &model_ListImageReferrersRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = list_image_referrers,
};

const struct op api_op_update_image_storage_class = {
    .name = "UpdateImageStorageClass",
    .input = &model_UpdateImageStorageClassRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = update_image_storage_class,
};

const struct op api_op_describe_image_replication_status = {
    .name = "DescribeImageReplicationStatus",
    .input = &model_DescribeImageReplicationStatusRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = describe_image_replication_status,
};

const struct op api_op_describe_image_signing_status = {
    .name = "DescribeImageSigningStatus",
    .input = &model_DescribeImageSigningStatusRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = describe_image_signing_status,
};

struct referrers {
	struct call *call;
	struct jw list;
	struct json_object *types; /* filter.artifactTypes */
	const char *status;        /* filter.artifactStatus */
	size_t n, max, skip;
	bool has_more;
};

static bool
type_wanted(struct json_object *types, const char *type)
{
	size_t i, n;

	if (types == NULL)
		return true;
	n = json_object_array_length(types);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		               json_object_array_get_idx(types, i)),
		        type) == 0)
			return true;
	return false;
}

static int
referrer_add(const struct store_image *img, void *arg)
{
	struct referrers *r = arg;

	if (!api_image_status_matches(r->status, img->status) ||
	    !type_wanted(r->types, img->artifact_media_type))
		return 0;
	if (r->skip > 0) {
		r->skip--;
		return 0;
	}
	if (r->n == r->max) {
		r->has_more = true;
		return 1;
	}
	jw_obj_open(&r->list, NULL);
	jw_str(&r->list, "digest", img->digest);
	jw_str(&r->list, "mediaType", img->manifest_media_type);
	if (img->artifact_media_type[0] != '\0')
		jw_str(&r->list, "artifactType", img->artifact_media_type);
	/* The referrer manifest's own length (3.2). */
	jw_i64(&r->list, "size", (int64_t)img->manifest_len);
	core_image_annotations_write(r->call, &r->list, img);
	jw_str(&r->list, "artifactStatus", api_image_status_name(img->status));
	jw_obj_close(&r->list);
	r->n++;
	return 0;
}

/*
 * Referrers are few per subject, so a page token is an offset (the walk
 * is keyed by the referrer digest and costs the subject's referrers).
 */
static int
list_image_referrers(struct call *call)
{
	struct json_object *filter = api_in_obj(call, "filter");
	struct json_object *subject = api_in_obj(call, "subjectId"), *v;
	const char *token = api_in_str(call, "nextToken");
	struct store_repo repo;
	struct referrers r;
	char text[32];
	const char *errstr;
	uint64_t skip = 0;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	memset(&r, 0, sizeof r);
	r.call = call;
	r.max = (size_t)api_in_i64(call, "maxResults", REFERRERS_PAGE_DEFAULT);
	if (filter != NULL &&
	    json_object_object_get_ex(filter, "artifactTypes", &v))
		r.types = v;
	if (filter != NULL &&
	    json_object_object_get_ex(filter, "artifactStatus", &v))
		r.status = json_object_get_string(v);
	if (token != NULL &&
	    (core_token_parse(call, "referrers", token, text, sizeof text) !=
	            0 ||
	        parse_u64(text, 0, UINT32_MAX, &skip, &errstr) != 0))
		return call->err.code != ERR_NONE
		           ? -1
		           : core_fail_param(call, "nextToken",
		                 "Invalid token");
	r.skip = (size_t)skip;
	json_object_object_get_ex(subject, "imageDigest", &v);
	jw_init(&r.list);
	jw_arr_open(&r.list, NULL);
	rc = store_referrer_foreach(call->txn, repo.id,
	    json_object_get_string(v), referrer_add, &r);
	jw_arr_close(&r.list);
	jadd_jw(call->out, "referrers", &r.list);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (r.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, "referrers",
		        call_printf(call, "%zu", r.n + (size_t)skip)));
	return 0;
}

int
api_image_of_call(struct call *call, const struct store_repo *repo,
    struct store_image *img)
{
	struct json_object *id = api_in_obj(call, "imageId");
	const char *digest = api_id_member(id, "imageDigest");
	const char *tag = api_id_member(id, "imageTag");
	int rc;

	if (digest == NULL && tag == NULL)
		return core_fail_image_not_found(call, repo, NULL, NULL);
	memset(img, 0, sizeof *img);
	rc = core_image_find(call, repo->id, digest, tag, img);
	if (rc == STORE_NOTFOUND || rc == CORE_IMAGE_TAG_MISMATCH)
		return core_fail_image_not_found(call, repo, digest, tag);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

void
api_out_image_id(struct call *call, const struct store_repo *repo,
    const struct store_image *img, bool with_registry_id)
{
	struct json_object *id = jnew_obj();
	const char *tag =
	    api_id_member(api_in_obj(call, "imageId"), "imageTag");

	if (with_registry_id)
		jadd_str(call->out, "registryId", repo->registry_id);
	jadd_str(call->out, "repositoryName", repo->name);
	jadd_str(id, "imageDigest", img->digest);
	jadd_str(id, "imageTag", tag);
	jadd_obj(call->out, "imageId", id);
}

/*
 * ARCHIVE archives at once; STANDARD starts a restore, ACTIVATING for
 * --archive-restore-seconds (core/restore.c; ECR: up to ~20 minutes,
 * 3.14). STANDARD on an image already ACTIVATING or ACTIVE changes
 * nothing and answers its status.
 */
static int
update_image_storage_class(struct call *call)
{
	const char *target = api_in_str(call, "targetStorageClass");
	struct store_repo repo;
	struct store_image img;
	bool has_parent;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_image_of_call(call, &repo, &img) != 0)
		return -1;
	rc =
	    store_image_has_parent(call->txn, repo.id, img.digest, &has_parent);
	if (rc == 0 && has_parent && strcmp(target, "ARCHIVE") == 0) {
		store_image_release(&img);
		/* [unconfirmed] which cases ECR refuses (3.14). */
		return core_fail(call,
		    ERR_IMAGE_STORAGE_CLASS_UPDATE_NOT_SUPPORTED,
		    "The image with digest '%s' is referenced by an image "
		    "index and cannot be archived on its own",
		    img.digest);
	}
	if (strcmp(target, "ARCHIVE") == 0 &&
	    img.status != STORE_IMAGE_ARCHIVED) {
		img.status = STORE_IMAGE_ARCHIVED;
		img.archived_at_ms = call->now_ms;
		if (rc == 0 && (rc = store_image_update(call->txn, &img)) == 0)
			core_call_storage_class(call, &repo, &img);
	} else if (strcmp(target, "STANDARD") == 0 &&
	           img.status == STORE_IMAGE_ARCHIVED && rc == 0)
		rc = core_restore_begin(call, &img);
	if (rc != 0) {
		store_image_release(&img);
		return core_fail_store(call, rc);
	}
	api_out_image_id(call, &repo, &img, true);
	jadd_str(call->out, "imageStatus", api_image_status_name(img.status));
	store_image_release(&img);
	return 0;
}

static const char *const repl_states[] = {
    [STORE_REPL_IN_PROGRESS] = "IN_PROGRESS",
    [STORE_REPL_COMPLETE] = "COMPLETE",
    [STORE_REPL_FAILED] = "FAILED",
};

static int
status_add(const struct store_repl_status *st, void *arg)
{
	struct json_object *o = jnew_obj();

	jadd_str(o, "region", st->region);
	jadd_str(o, "registryId", st->registry_id);
	jadd_str(o, "status", repl_states[st->state]);
	if (st->failure_code[0] != '\0')
		jadd_str(o, "failureCode", st->failure_code);
	jpush(arg, o);
	return 0;
}

/*
 * One status per destination the image was replicated to since a
 * configuration covered it (docs/ecr-behaviour.md 3.2, 3.8); none: [].
 */
static int
describe_image_replication_status(struct call *call)
{
	struct json_object *list;
	struct store_repo repo;
	struct store_image img;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_image_of_call(call, &repo, &img) != 0)
		return -1;
	list = jnew_arr();
	rc = store_repl_status_foreach(call->txn, repo.id, img.digest,
	    status_add, list);
	if (rc != 0) {
		json_object_put(list);
		store_image_release(&img);
		return core_fail_store(call, rc);
	}
	/* This answer has no registryId in the model. */
	api_out_image_id(call, &repo, &img, false);
	jadd_obj(call->out, "replicationStatuses", list);
	store_image_release(&img);
	return 0;
}

/* One entry per profile the image was queued for (core/signing.c). */
static void
out_signing_statuses(struct call *call, struct json_object *all)
{
	struct json_object *list = jnew_arr(), *e;

	if (all != NULL) {
		json_object_object_foreach(all, arn, st)
		{
			e = jnew_obj();
			jadd_str(e, "signingProfileArn", arn);
			jadd_str(e, "status", jget_str(st, "status"));
			jadd_str(e, "failureCode", jget_str(st, "failureCode"));
			jadd_str(e, "failureReason",
			    jget_str(st, "failureReason"));
			jpush(list, e);
		}
	}
	jadd_obj(call->out, "signingStatuses", list);
}

static int
describe_image_signing_status(struct call *call)
{
	struct json_object *all = NULL;
	struct store_repo repo;
	struct store_image img;
	char *text = NULL;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_image_of_call(call, &repo, &img) != 0)
		return -1;
	rc = store_sign_status_get(call->txn, repo.id, img.digest, &text);
	if (rc == 0 && ((all = json_tokener_parse(text)) == NULL ||
	                   !json_object_is_type(all, json_type_object)))
		rc = STORE_CORRUPT;
	free(text);
	if (rc != 0 && rc != STORE_NOTFOUND) {
		json_object_put(all);
		store_image_release(&img);
		return core_fail_store(call, rc);
	}
	api_out_image_id(call, &repo, &img, true);
	out_signing_statuses(call, all);
	json_object_put(all);
	store_image_release(&img);
	return 0;
}
