/*
 * BatchCheckLayerAvailability and GetDownloadUrlForLayer: what a client
 * asks before pushing a blob and before pulling one
 * (docs/ecr-behaviour.md 3.3).
 */
#include "api/api_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"
#include "store/store.h"

static int batch_check_layer_availability(struct call *);
static int get_download_url_for_layer(struct call *);

const struct op api_op_batch_check_layer_availability = {
    .name = "BatchCheckLayerAvailability",
    .input = &model_BatchCheckLayerAvailabilityRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = batch_check_layer_availability,
};

const struct op api_op_get_download_url_for_layer = {
    .name = "GetDownloadUrlForLayer",
    .input = &model_GetDownloadUrlForLayerRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = get_download_url_for_layer,
};

static void
add_failure(struct json_object *failures, const char *digest, const char *code,
    const char *reason)
{
	struct json_object *f = jnew_obj();

	jadd_str(f, "layerDigest", digest);
	jadd_str(f, "failureCode", code);
	jadd_str(f, "failureReason", reason);
	jpush(failures, f);
}

/* One asked digest: its layer record, and whether it may be ARCHIVED. */
struct asked {
	const char *digest;
	struct store_layer layer;
	bool found;
	bool archived; /* referenced, and no pullable image refers to it yet */
};

struct archived_walk {
	struct asked *v;
	size_t n;
	size_t left; /* entries still archived */
};

/*
 * A layer is ARCHIVED when every image referring to it is archived
 * (docs/ecr-behaviour.md 3.3); one image that is not clears the layers it
 * names. ACTIVATING counts as not archived [unconfirmed: ECR says only that
 * archived images' layers are ARCHIVED].
 */
static int
clear_referenced(const struct store_image *img, void *arg)
{
	struct archived_walk *w = arg;
	size_t i, j;

	if (img->status == STORE_IMAGE_ARCHIVED ||
	    img->kind != STORE_IMAGE_MANIFEST)
		return 0;
	for (i = 0; i < img->n_refs; i++)
		for (j = 0; j < w->n; j++)
			if (w->v[j].archived &&
			    strcmp(w->v[j].digest, img->refs[i]) == 0) {
				w->v[j].archived = false;
				w->left--;
			}
	return w->left == 0 ? 1 : 0;
}

/*
 * Mark the asked layers every referring image of which is archived. The
 * store keeps no index from a layer to its images, so this is one walk of
 * the repository's images for the whole call, made only when some asked
 * layer is referenced, and stopping as soon as each of them has a pullable
 * image.
 */
static int
mark_archived(struct call *call, const struct store_repo *repo, struct asked *v,
    size_t n)
{
	struct archived_walk w = {v, n, 0};
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		v[i].archived = v[i].found && v[i].layer.refs > 0;
		if (v[i].archived)
			w.left++;
	}
	if (w.left == 0)
		return 0;
	rc = store_image_foreach(call->txn, repo->id, NULL, clear_referenced,
	    &w);
	return rc != 0 ? core_fail_store(call, rc) : 0;
}

static int
look_up(struct call *call, const struct store_repo *repo, struct asked *a)
{
	int rc;

	if (!manifest_digest_is_valid(a->digest))
		return 0;
	rc = store_layer_get(call->txn, repo->id, a->digest, &a->layer);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return core_fail_store(call, rc);
	a->found = true;
	return 0;
}

static void
answer_one(const struct asked *a, struct json_object *layers,
    struct json_object *failures)
{
	struct json_object *l;

	if (!manifest_digest_is_valid(a->digest)) {
		add_failure(failures, a->digest, "InvalidLayerDigest",
		    "Invalid layer digest");
		return;
	}
	if (!a->found) {
		/* [unconfirmed] shape: moto's (docs/ecr-behaviour.md 3.3). */
		add_failure(failures, a->digest, "MissingLayerDigest",
		    "Could not find layer digest");
		return;
	}
	l = jnew_obj();
	jadd_str(l, "layerDigest", a->digest);
	jadd_str(l, "layerAvailability",
	    a->archived ? "ARCHIVED" : "AVAILABLE");
	jadd_i64(l, "layerSize", (int64_t)a->layer.size);
	jadd_str(l, "mediaType",
	    a->layer.media_type[0] != '\0' ? a->layer.media_type
	                                   : MEDIA_DOCKER_LAYER);
	jpush(layers, l);
}

static int
batch_check_layer_availability(struct call *call)
{
	struct json_object *digests = api_in_array(call, "layerDigests");
	struct json_object *layers, *failures;
	struct store_repo repo;
	struct asked *v;
	size_t i, n;
	int rc = 0;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	/* The model bounds the list to 1..100 digests. */
	n = json_object_array_length(digests);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n && rc == 0; i++) {
		v[i].digest =
		    json_object_get_string(json_object_array_get_idx(digests,
		        i));
		rc = look_up(call, &repo, &v[i]);
	}
	if (rc == 0)
		rc = mark_archived(call, &repo, v, n);
	if (rc == 0) {
		layers = jnew_arr();
		failures = jnew_arr();
		for (i = 0; i < n; i++)
			answer_one(&v[i], layers, failures);
		jadd_obj(call->out, "layers", layers);
		jadd_obj(call->out, "failures", failures);
	}
	free(v);
	return rc;
}

static int
get_download_url_for_layer(struct call *call)
{
	const char *digest = api_in_str(call, "layerDigest");
	struct store_repo repo;
	struct store_layer layer;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	rc = store_layer_get(call->txn, repo.id, digest, &layer);
	if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG)
		return core_fail(call, ERR_LAYERS_NOT_FOUND,
		    "The layer with "
		    "digest %s does not exist within the repository with name "
		    "'%s' in the registry with id '%s'",
		    digest, repo.name, repo.registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	/* Only layers some image refers to can be pulled (model docs). */
	if (layer.refs == 0)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_LAYER_INACCESSIBLE,
		    "The layer with "
		    "digest %s in the repository with name '%s' in the "
		    "registry with id '%s' is not referenced by any image",
		    digest, repo.name, repo.registry_id);
	jadd_str(call->out, "downloadUrl", core_blob_url(call, digest));
	jadd_str(call->out, "layerDigest", digest);
	return 0;
}
