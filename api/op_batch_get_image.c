/*
 * BatchGetImage: manifests by tag or digest, each found or failed alone;
 * in a repository under a pull-through cache rule, those missing (or
 * tags due a check) are fetched upstream first, one at a time.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "core/manifest.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

static int batch_get_image(struct call *);

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
	struct json_object *f = jnew_obj();

	jadd_obj(f, "imageId", json_object_get(id));
	jadd_str(f, "failureCode", code);
	jadd_str(f, "failureReason", reason);
	jpush(failures, f);
}

static void
add_image(const struct store_repo *repo, struct json_object *images,
    const char *digest, const char *tag, const char *manifest,
    const char *media_type)
{
	struct json_object *image = jnew_obj(), *id = jnew_obj();

	jadd_str(image, "registryId", repo->registry_id);
	jadd_str(image, "repositoryName", repo->name);
	jadd_str(id, "imageDigest", digest);
	jadd_str(id, "imageTag", tag);
	jadd_obj(image, "imageId", id);
	jadd_str(image, "imageManifest", manifest);
	jadd_str(image, "imageManifestMediaType", media_type);
	jpush(images, image);
}

#define IDS_MAX 100 /* the model's */

/* What the upstream said of each id (enum core_ptc_state), as it went. */
struct pull_state {
	size_t next;     /* the next id to consider */
	size_t fetching; /* the id asked upstream */
	bool was_asked;  /* a rule covers the repository */
	uint8_t result[IDS_MAX];
};

static void
pull_state_free(void *st)
{
	free(st);
}

static const char *
id_member(struct json_object *id, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(id, key, &v) && v != NULL)
		return json_object_get_string(v);
	return NULL;
}

/* Does id need the upstream: not here, or a tag due a check? */
static bool
needs_upstream(struct call *call, const struct store_repo *repo,
    struct json_object *id)
{
	const char *digest = id_member(id, "imageDigest");
	const char *tag = id_member(id, "imageTag");
	struct store_image img;
	int rc;

	if (digest == NULL && tag == NULL)
		return false;
	if (repo == NULL)
		return true;
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo->id, digest, tag, &img);
	store_image_release(&img);
	if (rc == STORE_NOTFOUND)
		return true;
	return rc == 0 && digest == NULL &&
	       !core_ptc_is_fresh(call, repo->name, tag);
}

/* The client's acceptedMediaTypes as one Accept value, or NULL. */
static const char *
accept_of(struct call *call)
{
	struct json_object *types = api_in_array(call, "acceptedMediaTypes");
	size_t i, n;
	char *s = NULL, *t;

	n = types == NULL ? 0 : json_object_array_length(types);
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", s != NULL ? s : "",
		    s != NULL ? ", " : "",
		    json_object_get_string(json_object_array_get_idx(types,
		        i)));
		free(s);
		s = t;
	}
	return s != NULL ? call_take(call, s) : NULL;
}

/*
 * Ask the upstream for the next id that needs it: CALL_PENDING, or 0
 * once none is left (or no rule covers the repository).
 */
static int
pull_through(struct call *call, const struct store_repo *repo)
{
	struct json_object *ids = api_in_array(call, "imageIds");
	struct pull_state *st = call->proto;
	const char *name = api_in_str(call, "repositoryName");
	struct json_object *id;
	size_t n = json_object_array_length(ids);
	int rc;

	if (st == NULL) {
		st = xcalloc(1, sizeof *st);
		call_set_proto(call, st, pull_state_free);
	} else if (st->was_asked)
		st->result[st->fetching] = call->ptc_state;
	for (; st->next < n && st->next < IDS_MAX; st->next++) {
		id = json_object_array_get_idx(ids, st->next);
		if (!needs_upstream(call, repo, id))
			continue;
		st->fetching = st->next++;
		call->ptc_state = CORE_PTC_NONE;
		rc = core_ptc_pull_manifest(call, name,
		    id_member(id, "imageDigest") != NULL
		        ? id_member(id, "imageDigest")
		        : id_member(id, "imageTag"),
		    accept_of(call));
		if (rc == 0)
			st->next = n; /* no rule: nothing to ask */
		st->was_asked = rc == CALL_PENDING;
		return rc;
	}
	return 0;
}

static bool
was_asked(struct call *call)
{
	struct pull_state *st = call->proto;

	return st != NULL && st->was_asked;
}

/* Upstream could not say: UpstreamUnavailable (3.9). */
static bool
is_unavailable(struct call *call, size_t i)
{
	struct pull_state *st = call->proto;

	return st != NULL && i < IDS_MAX &&
	       st->result[i] == CORE_PTC_UNAVAILABLE;
}

static void
get_one(struct call *call, const struct store_repo *repo,
    const struct core_accept *w, struct json_object *id,
    struct json_object *images, struct json_object *failures,
    bool is_unavailable_upstream)
{
	struct store_image img;
	struct json_object *v;
	const char *digest = NULL, *tag = NULL, *type;
	char served[CORE_DIGEST_SIZE];
	char *bytes;
	size_t len;
	int rc;

	if (json_object_object_get_ex(id, "imageDigest", &v) && v != NULL)
		digest = json_object_get_string(v);
	if (json_object_object_get_ex(id, "imageTag", &v) && v != NULL)
		tag = json_object_get_string(v);
	if (digest == NULL && tag == NULL) {
		add_failure(failures, id, "MissingDigestAndTag",
		    "Invalid "
		    "request parameters: both tag and digest cannot be null");
		return;
	}
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo->id, digest, tag, &img);
	if (rc == CORE_IMAGE_TAG_MISMATCH) {
		add_failure(failures, id, "ImageTagDoesNotMatchDigest",
		    "Invalid request parameters: image tag does not match "
		    "the image digest");
		return;
	}
	if (rc == STORE_NOTFOUND && is_unavailable_upstream) {
		add_failure(failures, id, "UpstreamUnavailable",
		    "The "
		    "upstream registry could not be reached, or failed");
		return;
	}
	/* Archived images cannot be pulled (3.14) [unconfirmed code]. */
	if (rc != 0 || img.status != STORE_IMAGE_ACTIVE) {
		add_failure(failures, id, "ImageNotFound",
		    "Requested image not found");
		store_image_release(&img);
		return;
	}
	bytes = core_image_negotiate(call, w, &img, tag != NULL, served, &type,
	    &len);
	if (bytes == NULL)
		/*
		 * [unconfirmed]: ECR's code when no accepted type fits; we
		 * keep to the model's ImageFailureCode enum.
		 */
		add_failure(failures, id, "ImageNotFound",
		    "Requested image "
		    "not found: its media type is not among the "
		    "acceptedMediaTypes");
	else {
		add_image(repo, images, served, tag, bytes, type);
		core_pull_note(call, repo, served);
	}
	free(bytes);
	store_image_release(&img);
}

/*
 * The repository is still missing after asking upstream: each id fails,
 * UpstreamUnavailable or ImageNotFound.
 */
static int
unavailable_all(struct call *call)
{
	struct json_object *ids = api_in_array(call, "imageIds");
	struct json_object *failures = jnew_arr(), *id;
	size_t i, n = json_object_array_length(ids);

	ecr_error_clear(&call->err);
	for (i = 0; i < n; i++) {
		id = json_object_array_get_idx(ids, i);
		if (is_unavailable(call, i))
			add_failure(failures, id, "UpstreamUnavailable",
			    "The "
			    "upstream registry could not be reached, or "
			    "failed");
		else
			add_failure(failures, id, "ImageNotFound",
			    "Requested image not found");
	}
	jadd_obj(call->out, "images", jnew_arr());
	jadd_obj(call->out, "failures", failures);
	return 0;
}

static int
batch_get_image(struct call *call)
{
	struct store_repo repo;
	struct json_object *ids = api_in_array(call, "imageIds");
	struct json_object *images, *failures, *types;
	struct core_accept w;
	size_t i, n;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	    0) {
		if (call->err.code != ERR_REPOSITORY_NOT_FOUND)
			return -1;
		/* Perhaps the cache's, still to be made (3.9). */
		ecr_error_clear(&call->err);
		if ((rc = pull_through(call, NULL)) != 0)
			return rc;
		if (core_repo_get(call, api_in_str(call, "repositoryName"),
		        &repo) != 0)
			return was_asked(call) ? unavailable_all(call) : -1;
	} else if ((rc = pull_through(call, &repo)) != 0)
		return rc;
	types = api_in_array(call, "acceptedMediaTypes");
	memset(&w, 0, sizeof w);
	w.n = types == NULL ? 0 : json_object_array_length(types);
	w.types = xreallocarray(NULL, w.n + 1, sizeof *w.types);
	for (i = 0; i < w.n; i++)
		w.types[i] =
		    json_object_get_string(json_object_array_get_idx(types, i));
	images = jnew_arr();
	failures = jnew_arr();
	n = json_object_array_length(ids);
	for (i = 0; i < n; i++)
		get_one(call, &repo, &w, json_object_array_get_idx(ids, i),
		    images, failures, is_unavailable(call, i));
	free(w.types);
	jadd_obj(call->out, "images", images);
	jadd_obj(call->out, "failures", failures);
	return 0;
}
