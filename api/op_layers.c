/*
 * BatchCheckLayerAvailability and GetDownloadUrlForLayer: what a client
 * asks before pushing a blob and before pulling one
 * (docs/ecr-behaviour.md 3.3).
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

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

static int
check_one(struct call *call, const struct store_repo *repo, const char *digest,
    struct json_object *layers, struct json_object *failures)
{
	struct store_layer layer;
	struct json_object *l;
	int rc;

	if (!manifest_digest_is_valid(digest)) {
		add_failure(failures, digest, "InvalidLayerDigest",
		    "Invalid layer digest");
		return 0;
	}
	rc = store_layer_get(call->txn, repo->id, digest, &layer);
	if (rc == STORE_NOTFOUND) {
		/* [unconfirmed] shape: moto's (docs/ecr-behaviour.md 3.3). */
		add_failure(failures, digest, "MissingLayerDigest",
		    "Could not find layer digest");
		return 0;
	}
	if (rc != 0)
		return core_fail_store(call, rc);
	l = jnew_obj();
	jadd_str(l, "layerDigest", digest);
	jadd_str(l, "layerAvailability", "AVAILABLE");
	jadd_i64(l, "layerSize", (int64_t)layer.size);
	jadd_str(l, "mediaType",
	    layer.media_type[0] != '\0' ? layer.media_type
	                                : MEDIA_DOCKER_LAYER);
	jpush(layers, l);
	return 0;
}

static int
batch_check_layer_availability(struct call *call)
{
	struct json_object *digests = api_in_array(call, "layerDigests");
	struct json_object *layers, *failures;
	struct store_repo repo;
	size_t i, n;
	int rc = 0;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	layers = jnew_arr();
	failures = jnew_arr();
	n = json_object_array_length(digests);
	for (i = 0; i < n && rc == 0; i++)
		rc = check_one(call, &repo,
		    json_object_get_string(json_object_array_get_idx(digests,
		        i)),
		    layers, failures);
	jadd_obj(call->out, "layers", layers);
	jadd_obj(call->out, "failures", failures);
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
