/* BatchGetImage: manifests by tag or digest, each found or failed alone. */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "core/manifest.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

static int	batch_get_image(struct call *);

const struct op api_op_batch_get_image = {
	.name = "BatchGetImage",
	.input = &model_BatchGetImageRequest,
	.flags = OP_TXN_READ | OP_RESOURCE_REPO,
	.exec = batch_get_image,
};

/*
 * Failure entries echo the imageId exactly as asked
 * (docs/ecr-behaviour.md 3.2).
 * The reasons for codes other than ImageNotFound and MissingDigestAndTag
 * are ours [unconfirmed].
 */
static void
add_failure(struct json_object *failures, struct json_object *id,
    const char *code, const char *reason)
{
	struct json_object	*f = jnew_obj();

	jadd_obj(f, "imageId", json_object_get(id));
	jadd_str(f, "failureCode", code);
	jadd_str(f, "failureReason", reason);
	jpush(failures, f);
}

static void
add_image(const struct store_repo *repo,
    struct json_object *images, const char *digest, const char *tag,
    const char *manifest, const char *media_type)
{
	struct json_object	*image = jnew_obj(), *id = jnew_obj();

	jadd_str(image, "registryId", repo->registry_id);
	jadd_str(image, "repositoryName", repo->name);
	jadd_str(id, "imageDigest", digest);
	jadd_str(id, "imageTag", tag);
	jadd_obj(image, "imageId", id);
	jadd_str(image, "imageManifest", manifest);
	jadd_str(image, "imageManifestMediaType", media_type);
	jpush(images, image);
}

static void
get_one(struct call *call, const struct store_repo *repo,
    const struct api_accept *w,
    struct json_object *id, struct json_object *images,
    struct json_object *failures)
{
	struct store_image	 img;
	struct json_object	*v;
	const char		*digest = NULL, *tag = NULL, *type;
	char			 served[API_DIGEST_SIZE];
	char			*bytes;
	size_t			 len;
	int			 rc;

	if (json_object_object_get_ex(id, "imageDigest", &v) && v != NULL)
		digest = json_object_get_string(v);
	if (json_object_object_get_ex(id, "imageTag", &v) && v != NULL)
		tag = json_object_get_string(v);
	if (digest == NULL && tag == NULL) {
		add_failure(failures, id, "MissingDigestAndTag", "Invalid "
		    "request parameters: both tag and digest cannot be null");
		return;
	}
	memset(&img, 0, sizeof img);
	rc = api_image_find(call, repo->id, digest, tag, &img);
	if (rc == API_IMAGE_TAG_MISMATCH) {
		add_failure(failures, id, "ImageTagDoesNotMatchDigest",
		    "Invalid request parameters: image tag does not match "
		    "the image digest");
		return;
	}
	/* Archived images cannot be pulled (3.14) [unconfirmed code]. */
	if (rc != 0 || img.status != STORE_IMAGE_ACTIVE) {
		add_failure(failures, id, "ImageNotFound",
		    "Requested image not found");
		store_image_release(&img);
		return;
	}
	bytes = api_image_negotiate(call, w, &img, tag != NULL, served, &type,
	    &len);
	if (bytes == NULL)
		/*
		 * [unconfirmed]: ECR's code when no accepted type fits; we
		 * keep to the model's ImageFailureCode enum.
		 */
		add_failure(failures, id, "ImageNotFound", "Requested image "
		    "not found: its media type is not among the "
		    "acceptedMediaTypes");
	else {
		add_image(repo, images, served, tag, bytes, type);
		api_pull_note(call, repo->id, served);
	}
	free(bytes);
	store_image_release(&img);
}

static int
batch_get_image(struct call *call)
{
	struct store_repo	 repo;
	struct json_object	*ids = api_in_array(call, "imageIds");
	struct json_object	*images, *failures, *types;
	struct api_accept	 w;
	size_t			 i, n;

	if (api_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	types = api_in_array(call, "acceptedMediaTypes");
	memset(&w, 0, sizeof w);
	w.n = types == NULL ? 0 : json_object_array_length(types);
	w.types = xreallocarray(NULL, w.n + 1, sizeof *w.types);
	for (i = 0; i < w.n; i++)
		w.types[i] = json_object_get_string(
		    json_object_array_get_idx(types, i));
	images = jnew_arr();
	failures = jnew_arr();
	n = json_object_array_length(ids);
	for (i = 0; i < n; i++)
		get_one(call, &repo, &w, json_object_array_get_idx(ids, i),
		    images, failures);
	free(w.types);
	jadd_obj(call->out, "images", images);
	jadd_obj(call->out, "failures", failures);
	return 0;
}
