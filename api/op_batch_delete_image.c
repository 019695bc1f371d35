/*
 * BatchDeleteImage: by tag, untag (and delete the image with its last
 * tag); by digest, delete the image and all its tags
 * (docs/ecr-behaviour.md 3.2).
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "store/store.h"

static int batch_delete_image(struct call *);

const struct op api_op_batch_delete_image = {
    .name = "BatchDeleteImage",
    .input = &model_BatchDeleteImageRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO | OP_FREES_SPACE,
    .exec = batch_delete_image,
};

struct result {
	struct jw ids;
	struct json_object *failures;
};

static void
add_failure(struct result *r, struct json_object *id, const char *code,
    const char *reason)
{
	struct json_object *f = jnew_obj();

	jadd_obj(f, "imageId", json_object_get(id));
	jadd_str(f, "failureCode", code);
	jadd_str(f, "failureReason", reason);
	jpush(r->failures, f);
}

static void
add_busy(struct result *r, struct json_object *id)
{
	/* [unconfirmed] reason wording. */
	add_failure(r, id, "ImageReferencedByManifestList",
	    "Requested image "
	    "is referenced by a manifest list in the repository");
}

/* Delete img, listing one id per removed tag (moto's shape [unconfirmed]). */
static int
delete_whole(struct call *call, struct store_image *img, struct result *r,
    struct json_object *id)
{
	size_t i;
	int rc;

	if ((rc = core_image_delete(call, img, NULL)) == CORE_IMAGE_BUSY) {
		add_busy(r, id);
		return 0;
	}
	if (rc != 0)
		return -1;
	for (i = 0; i < img->n_tags; i++)
		api_image_id_write(&r->ids, NULL, img->digest, img->tags[i]);
	if (img->n_tags == 0)
		api_image_id_write(&r->ids, NULL, img->digest, NULL);
	return 0;
}

static int
untag(struct call *call, struct store_image *img, const char *tag,
    struct result *r, struct json_object *id)
{
	int rc;

	if ((rc = core_image_delete(call, img, tag)) == CORE_IMAGE_BUSY) {
		add_busy(r, id);
		return 0;
	}
	if (rc != 0)
		return -1;
	api_image_id_write(&r->ids, NULL, img->digest, tag);
	return 0;
}

static int
delete_one(struct call *call, const struct store_repo *repo,
    struct json_object *id, struct result *r)
{
	const char *digest = api_id_member(id, "imageDigest");
	const char *tag = api_id_member(id, "imageTag");
	struct store_image img;
	int rc;

	if (digest == NULL && tag == NULL) {
		add_failure(r, id, "MissingDigestAndTag",
		    "Invalid request "
		    "parameters: both tag and digest cannot be null");
		return 0;
	}
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo->id, digest, tag, &img);
	if (rc == STORE_NOTFOUND || rc == CORE_IMAGE_TAG_MISMATCH) {
		add_failure(r, id,
		    rc == STORE_NOTFOUND ? "ImageNotFound"
		                         : "ImageTagDoesNotMatchDigest",
		    rc == STORE_NOTFOUND ? "Requested image not found"
		                         : "Invalid request "
		                           "parameters: image tag does not "
		                           "match the image digest");
		return 0;
	}
	if (rc != 0)
		return core_fail_store(call, rc);
	rc = tag != NULL ? untag(call, &img, tag, r, id)
	                 : delete_whole(call, &img, r, id);
	store_image_release(&img);
	return rc;
}

static int
batch_delete_image(struct call *call)
{
	struct store_repo repo;
	struct json_object *ids = api_in_array(call, "imageIds");
	struct result r;
	size_t i, n;
	int rc = 0;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	jw_init(&r.ids);
	jw_arr_open(&r.ids, NULL);
	r.failures = jnew_arr();
	n = json_object_array_length(ids);
	for (i = 0; i < n && rc == 0; i++)
		rc = delete_one(call, &repo, json_object_array_get_idx(ids, i),
		    &r);
	jw_arr_close(&r.ids);
	jadd_jw(call->out, "imageIds", &r.ids);
	jadd_obj(call->out, "failures", r.failures);
	return rc;
}
