/* BatchGetImage: manifests by tag or digest, each found or failed alone. */
#include "api/image.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/manifest.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

static int	batch_get_image(struct api_call *);

const struct api_op api_op_batch_get_image = {
	.name = "BatchGetImage",
	.input = &model_BatchGetImageRequest,
	.flags = OP_TXN_READ | OP_RESOURCE_REPO,
	.exec = batch_get_image,
};

struct wanted {
	struct api_call		*call;
	struct json_object	*accepted;	/* NULL: any type */
};

static bool
accepts(const char *media_type, void *arg)
{
	struct wanted	*w = arg;
	size_t		 i, n;

	if (w->accepted == NULL)
		return true;
	n = json_object_array_length(w->accepted);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    w->accepted, i)), media_type) == 0)
			return true;
	return false;
}

/*
 * Failure entries echo the imageId exactly as asked (ecr-behaviour 3.2).
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

/*
 * The stored manifest if its type is accepted; else, only by tag, what
 * ECR serves instead (3.2): an index's child, or the Docker v2 / OCI twin.
 * Returns the bytes to send (owned) and sets type and digest, or NULL.
 */
static char *
negotiate(struct api_call *call, struct wanted *w, struct store_image *img,
    const char *tag, char *digest, const char **type)
{
	struct store_image	 child;
	const char		*target;
	char			*bytes = NULL, *alt;
	size_t			 len = 0, alt_len;

	if (store_manifest_get(call->txn, img->repo_id, img->digest, &bytes,
	    &len) != 0)
		return NULL;
	str_copy(digest, API_DIGEST_SIZE, img->digest);
	*type = call_take(call, xstrdup(img->manifest_media_type));
	if (accepts(img->manifest_media_type, w))
		return bytes;
	if (tag == NULL)
		goto none;
	if (img->kind == STORE_IMAGE_INDEX) {
		memset(&child, 0, sizeof child);
		if (manifest_pick_child(bytes, len, accepts, w, digest,
		    API_DIGEST_SIZE) != 0 || store_image_get(call->txn,
		    img->repo_id, digest, &child) != 0)
			goto none;
		free(bytes);
		bytes = negotiate(call, w, &child, NULL, digest, type);
		store_image_release(&child);
		return bytes;
	}
	target = accepts(MEDIA_OCI_MANIFEST, w) ? MEDIA_OCI_MANIFEST :
	    accepts(MEDIA_DOCKER_V2, w) ? MEDIA_DOCKER_V2 : NULL;
	if (target == NULL || (alt = manifest_translate(bytes, len, target,
	    &alt_len)) == NULL)
		goto none;
	free(bytes);
	api_digest_of(alt, alt_len, false, digest);
	*type = target;
	return alt;
none:
	free(bytes);
	return NULL;
}

static void
get_one(struct api_call *call, const struct store_repo *repo, struct wanted *w,
    struct json_object *id, struct json_object *images,
    struct json_object *failures)
{
	struct store_image	 img;
	struct json_object	*v;
	const char		*digest = NULL, *tag = NULL, *type;
	char			 served[API_DIGEST_SIZE];
	char			*bytes;
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
	bytes = negotiate(call, w, &img, tag, served, &type);
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
batch_get_image(struct api_call *call)
{
	struct store_repo	 repo;
	struct json_object	*ids = api_in_array(call, "imageIds");
	struct json_object	*images, *failures;
	struct wanted		 w;
	size_t			 i, n;

	if (api_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	w.call = call;
	w.accepted = api_in_array(call, "acceptedMediaTypes");
	images = jnew_arr();
	failures = jnew_arr();
	n = json_object_array_length(ids);
	for (i = 0; i < n; i++)
		get_one(call, &repo, &w, json_object_array_get_idx(ids, i),
		    images, failures);
	jadd_obj(call->out, "images", images);
	jadd_obj(call->out, "failures", failures);
	return 0;
}
