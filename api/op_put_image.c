/* PutImage: store a manifest, its exact bytes, and optionally tag it. */
#include "api/api_int.h"

#include <json-c/json.h>

#include "core/image.h"
#include "store/store.h"

static int put_image(struct call *);

const struct op api_op_put_image = {
    .name = "PutImage",
    .input = &model_PutImageRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = put_image,
};

static int
put_image(struct call *call)
{
	struct store_repo repo;
	struct core_image_put in;
	struct core_image_result res;
	struct json_object *image, *id;

	if (core_repo_get_or_create_on_push(call,
	        api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	in.manifest = api_in_str(call, "imageManifest");
	in.len = api_in_len(call, "imageManifest");
	in.media_type = api_in_str(call, "imageManifestMediaType");
	in.tag = api_in_str(call, "imageTag");
	in.digest = api_in_str(call, "imageDigest");
	if (core_image_put(call, &repo, &in, &res) != 0)
		return -1;
	image = jnew_obj();
	jadd_str(image, "registryId", repo.registry_id);
	jadd_str(image, "repositoryName", repo.name);
	id = jnew_obj();
	jadd_str(id, "imageDigest", res.digest);
	jadd_str(id, "imageTag", in.tag);
	jadd_obj(image, "imageId", id);
	jadd_str(image, "imageManifest", in.manifest);
	jadd_str(image, "imageManifestMediaType", res.media_type);
	jadd_obj(call->out, "image", image);
	return 0;
}
