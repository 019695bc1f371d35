/*
 * Manifests: GET/HEAD, PUT and DELETE /v2/<name>/manifests/<reference>,
 * through core_image_negotiate / core_image_put / core_image_delete exactly
 * as BatchGetImage, PutImage and BatchDeleteImage do
 * (docs/registry-behaviour.md 2-4).
 */
#include "registry/registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"

static int manifest_get(struct call *);
static int manifest_put(struct call *);
static int manifest_delete(struct call *);

const struct op reg_op_manifest_get = {
    .name = "manifest-get",
    .flags = OP_TXN_READ,
    .exec = manifest_get,
};

const struct op reg_op_manifest_put = {
    .name = "manifest-put",
    .flags = OP_TXN_WRITE,
    .exec = manifest_put,
};

const struct op reg_op_manifest_delete = {
    .name = "manifest-delete",
    .flags = OP_TXN_WRITE | OP_FREES_SPACE,
    .exec = manifest_delete,
};

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Accept: a comma-separated list with parameters; a wildcard takes any. */
static void
parse_accept(struct call *call, struct core_accept *a)
{
	const char *h = reg_state(call)->req->accept;
	char *copy, *item, *save = NULL, *semi;

	a->types = NULL;
	a->n = 0;
	if (h == NULL)
		return;
	copy = call_take(call, xstrdup(h));
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		if ((semi = strchr(item, ';')) != NULL)
			*semi = '\0';
		rtrim(item);
		if (strcmp(item, "*/*") == 0) {
			free(a->types);
			a->types = NULL;
			a->n = 0;
			return;
		}
		a->types = xreallocarray(a->types, a->n + 1, sizeof *a->types);
		a->types[a->n++] = item;
	}
}

/* Tags as ECR allows them: [a-zA-Z0-9-_.]+, at most 300 (2.4). */
static bool
is_tag(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	                     "VWXYZ0123456789-_.");

	return n > 0 && s[n] == '\0' && n <= STORE_IMAGE_TAG_MAX;
}

static int
check_reference(struct call *call, const char *ref)
{
	if (reg_is_digest(ref) && !manifest_digest_is_valid(ref))
		return reg_fail(call, REG_DIGEST_INVALID,
		    "invalid digest "
		    "'%s'",
		    ref);
	if (!reg_is_digest(ref) && !is_tag(ref))
		return reg_fail(call, REG_TAG_INVALID, "invalid tag '%s'", ref);
	return 0;
}

/*
 * Pull through the cache (3.9) when the repository or the image is
 * missing, or a cached tag is due a check upstream: CALL_PENDING, or 0
 * to go on with what the store holds (no rule, or asked already).
 */
static int
pull_through(struct call *call, bool is_cached)
{
	const struct api_reg_request *req = reg_state(call)->req;
	bool by_tag = !reg_is_digest(req->reference);

	if (call->ptc_state != CORE_PTC_NONE ||
	    (is_cached && (!by_tag || core_ptc_is_fresh(call, req->repo,
	                                  req->reference))))
		return 0;
	return core_ptc_pull_manifest(call, req->repo, req->reference,
	    req->accept);
}

static int
manifest_get(struct call *call)
{
	const struct api_reg_request *req = reg_state(call)->req;
	const char *ref = req->reference, *type;
	struct store_repo repo;
	struct store_image img;
	struct core_accept accept;
	char digest[CORE_DIGEST_SIZE], *bytes;
	size_t len;
	bool by_tag = !reg_is_digest(ref);
	int rc, pending;

	if (reg_repo(call, &repo) != 0) {
		if (check_reference(call, ref) != 0)
			return -1;
		ecr_error_clear(&call->err);
		reg_state(call)->err_reg = REG_NONE;
		if ((rc = pull_through(call, false)) != 0)
			return rc;
		/* Upstream had nothing, or could not say (3.9). */
		if (call->ptc_state != CORE_PTC_NONE)
			return reg_fail(call, REG_MANIFEST_UNKNOWN,
			    "Requested "
			    "image not found");
		return reg_repo(call, &repo);
	}
	if (check_reference(call, ref) != 0)
		return -1;
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo.id, by_tag ? NULL : ref,
	    by_tag ? ref : NULL, &img);
	if (rc == 0 && img.status != STORE_IMAGE_ACTIVE)
		rc = STORE_NOTFOUND; /* archived: not pullable (3.14) */
	if ((rc == 0 || rc == STORE_NOTFOUND) &&
	    (pending = pull_through(call, rc == 0)) != 0) {
		store_image_release(&img);
		return pending;
	}
	if (rc != 0) {
		store_image_release(&img);
		if (rc != STORE_NOTFOUND)
			return core_fail_store(call, rc);
		return reg_fail(call, REG_MANIFEST_UNKNOWN,
		    "Requested "
		    "image not found");
	}
	parse_accept(call, &accept);
	bytes = core_image_negotiate(call, &accept, &img, by_tag, digest, &type,
	    &len);
	free(accept.types);
	store_image_release(&img);
	if (bytes == NULL)
		return reg_fail(call, REG_MANIFEST_UNKNOWN,
		    "Requested "
		    "image not found in an accepted media type");
	call_take(call, bytes);
	/* A pull is a GET, not a HEAD; only the manifest fetched (2.5). */
	if (!req->is_head)
		core_pull_note(call, &repo, digest);
	reg_header(call, "Docker-Content-Digest", digest);
	reg_body(call, type, bytes, len);
	reg_state(call)->ans.status = 200;
	return 0;
}

/* The Content-Type names the manifest's type unless it is generic. */
static const char *
given_type(struct call *call)
{
	const char *ct = reg_state(call)->req->content_type;
	char *copy, *semi;

	if (ct == NULL || str_has_prefix(ct, "application/json") ||
	    str_has_prefix(ct, "application/octet-stream"))
		return NULL;
	copy = call_take(call, xstrdup(ct));
	if ((semi = strchr(copy, ';')) != NULL)
		*semi = '\0';
	rtrim(copy);
	return copy;
}

static int
manifest_put(struct call *call)
{
	const struct api_reg_request *req = reg_state(call)->req;
	struct store_repo repo;
	struct core_image_put in;
	struct core_image_result res;
	bool by_digest = reg_is_digest(req->reference);

	if (core_repo_get_or_create_on_push(call, req->repo, &repo) != 0 ||
	    check_reference(call, req->reference) != 0)
		return -1;
	memset(&in, 0, sizeof in);
	in.manifest = req->body;
	in.len = req->body_len;
	in.media_type = given_type(call);
	in.tag = by_digest ? NULL : req->reference;
	in.digest = by_digest ? req->reference : NULL;
	if (core_image_put(call, &repo, &in, &res) != 0) {
		/* An identical push is a success for a registry client. */
		if (call->err.code != ERR_IMAGE_ALREADY_EXISTS)
			return -1;
		ecr_error_clear(&call->err);
	}
	reg_header(call, "Location",
	    call_printf(call, "/v2/%s/manifests/%s", repo.name, res.digest));
	reg_header(call, "Docker-Content-Digest", res.digest);
	if (res.subject[0] != '\0')
		reg_header(call, "OCI-Subject", res.subject);
	reg_state(call)->ans.status = 201;
	return 0;
}

static int
manifest_delete(struct call *call)
{
	const char *ref = reg_state(call)->req->reference;
	struct store_repo repo;
	struct store_image img;
	bool by_tag = !reg_is_digest(ref);
	int rc;

	if (reg_repo(call, &repo) != 0 || check_reference(call, ref) != 0)
		return -1;
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo.id, by_tag ? NULL : ref,
	    by_tag ? ref : NULL, &img);
	if (rc == STORE_NOTFOUND)
		return reg_fail(call, REG_MANIFEST_UNKNOWN,
		    "Requested "
		    "image not found");
	if (rc != 0)
		return core_fail_store(call, rc);
	rc = core_image_delete(call, &img, by_tag ? ref : NULL);
	store_image_release(&img);
	if (rc == CORE_IMAGE_BUSY)
		return reg_fail(call, REG_UNSUPPORTED,
		    "The image is "
		    "referenced by a manifest list in the repository");
	if (rc != 0)
		return -1;
	reg_state(call)->ans.status = 202;
	return 0;
}
