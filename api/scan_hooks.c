/*
 * The scan test hooks (README, "Emulator endpoints"): POST
 * /_ecrd/scan-findings and moto's POST
 * /moto-api/static/ecr/scan-finding-results set an image's scan result
 * from a body shaped as DescribeImageScanFindings answers, so a suite can
 * see specific findings without a feed. Each result is one write txn.
 */
#include "api/api.h"
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/scanning.h"
#include "store/store.h"

#define HOOK_IMAGES_MAX 1000 /* a result naming no image: each of these */

static const char *const status_names[] = {
    [STORE_SCAN_IN_PROGRESS] = "IN_PROGRESS",
    [STORE_SCAN_COMPLETE] = "COMPLETE",
    [STORE_SCAN_FAILED] = "FAILED",
    [STORE_SCAN_UNSUPPORTED] = "UNSUPPORTED_IMAGE",
};

/* The status a result asks for (COMPLETE when it names none), or -1. */
static int
status_of(struct json_object *result)
{
	const char *s;
	size_t i;

	s = jget_str(jget(result, "imageScanStatus", json_type_object),
	    "status");
	if (s == NULL)
		return STORE_SCAN_COMPLETE;
	for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
		if (strcmp(s, status_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* The result's findings as stored: 0 with *out (n of them), or -1. */
static int
findings_of(struct call *call, struct json_object *result,
    struct store_finding **out, size_t *n_out)
{
	struct json_object *list;
	struct store_finding *fs = NULL;
	const char *why = NULL;
	size_t i, n;

	list = jget(jget(result, "imageScanFindings", json_type_object),
	    "findings", json_type_array);
	n = list != NULL ? json_object_array_length(list) : 0;
	if (n > STORE_SCAN_FINDINGS_MAX)
		return core_fail_param(call, "findings", "too many findings");
	if (n != 0)
		fs = xcalloc(n, sizeof *fs);
	for (i = 0; i < n; i++) {
		if (api_finding_from_json(json_object_array_get_idx(list, i),
		        &fs[i], &why) != 0)
			break;
	}
	if (i < n) {
		while (i-- > 0)
			store_finding_release(&fs[i]);
		free(fs);
		return core_fail_param(call, "findings", why);
	}
	*out = fs;
	*n_out = n;
	return 0;
}

/* Copies of the findings, for the second image on. */
static struct store_finding *
findings_dup(const struct store_finding *fs, size_t n)
{
	struct store_finding *d;
	size_t i;

	d = n != 0 ? xcalloc(n, sizeof *d) : NULL;
#define DUP(m) (fs[i].m != NULL ? xstrdup(fs[i].m) : NULL)
	for (i = 0; i < n; i++) {
		d[i].name = DUP(name);
		d[i].osv_id = DUP(osv_id);
		d[i].description = DUP(description);
		d[i].uri = DUP(uri);
		d[i].severity = DUP(severity);
		d[i].cvss3_vector = DUP(cvss3_vector);
		d[i].cvss3_score = fs[i].cvss3_score;
		d[i].package_name = DUP(package_name);
		d[i].package_version = DUP(package_version);
		d[i].fixed_version = DUP(fixed_version);
	}
#undef DUP
	return d;
}

struct digests {
	char **v;
	size_t n;
};

static int
digest_add(const struct store_image *img, void *arg)
{
	struct digests *d = arg;

	if (d->n == HOOK_IMAGES_MAX)
		return 1;
	d->v = xreallocarray(d->v, d->n + 1, sizeof *d->v);
	d->v[d->n++] = xstrdup(img->digest);
	return 0;
}

/* The images the result names: its imageId's, or every one (moto). */
static int
images_of(struct call *call, const struct store_repo *repo,
    struct json_object *result, struct digests *d)
{
	struct json_object *id = jget(result, "imageId", json_type_object);
	const char *digest = api_id_member(id, "imageDigest");
	const char *tag = api_id_member(id, "imageTag");
	struct store_image img;
	int rc;

	if (digest == NULL && tag == NULL) {
		rc = store_image_foreach(call->txn, repo->id, NULL, digest_add,
		    d);
		return rc != 0 ? core_fail_store(call, rc) : 0;
	}
	memset(&img, 0, sizeof img);
	rc = core_image_find(call, repo->id, digest, tag, &img);
	if (rc == STORE_NOTFOUND || rc == CORE_IMAGE_TAG_MISMATCH)
		return core_fail_image_not_found(call, repo, digest, tag);
	if (rc != 0)
		return core_fail_store(call, rc);
	digest_add(&img, d);
	store_image_release(&img);
	return 0;
}

static int
set_each(struct call *call, const struct store_repo *repo,
    const struct digests *d, int status, struct store_finding *fs, size_t n)
{
	struct store_image img;
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n && rc == 0; i++) {
		memset(&img, 0, sizeof img);
		if ((rc = store_image_get(call->txn, repo->id, d->v[i],
		         &img)) != 0) {
			rc = core_fail_store(call, rc);
			break;
		}
		rc = core_scan_set_result(call, repo, &img, (unsigned)status,
		    i + 1 < d->n ? findings_dup(fs, n) : fs, n);
		store_image_release(&img);
		if (i + 1 == d->n)
			fs = NULL;
	}
	if (fs != NULL) {
		for (i = 0; i < n; i++)
			store_finding_release(&fs[i]);
		free(fs);
	}
	return rc;
}

/* In call->txn: the result's images get its status and findings. */
static int
apply(struct call *call, struct json_object *result)
{
	const char *name = jget_str(result, "repositoryName");
	struct store_finding *fs = NULL;
	struct store_repo repo;
	struct digests d;
	size_t i, n = 0;
	int status, rc;

	if (name == NULL)
		return core_fail_param(call, "repositoryName",
		    "Member must not be null");
	if ((status = status_of(result)) < 0)
		return core_fail_param(call, "imageScanStatus.status",
		    "Member must satisfy enum value set: [IN_PROGRESS, "
		    "COMPLETE, FAILED, UNSUPPORTED_IMAGE]");
	if (core_repo_get(call, name, &repo) != 0)
		return -1;
	memset(&d, 0, sizeof d);
	rc = images_of(call, &repo, result, &d);
	if (rc == 0)
		rc = findings_of(call, result, &fs, &n);
	if (rc == 0)
		rc = set_each(call, &repo, &d, status, fs, n);
	if (rc == 0)
		jadd_i64(call->out, "imagesSet", (int64_t)d.n);
	for (i = 0; i < d.n; i++)
		free(d.v[i]);
	free(d.v);
	return rc;
}

struct call *
api_scan_result_post(struct core_ctx *ctx, const char *request_id,
    const char *account, const char *region, struct json_object *result)
{
	struct call *call;
	const char *registry_id = jget_str(result, "registryId");
	int rc;

	call = call_new(ctx, request_id, core_now_ms(ctx));
	call->out = jnew_obj();
	if (registry_id == NULL || !core_is_account_id(registry_id))
		registry_id = account;
	str_copy(call->registry_id, sizeof call->registry_id, registry_id);
	str_copy(call->id.account, sizeof call->id.account, registry_id);
	str_copy(call->id.region, sizeof call->id.region, region);
	if (!json_object_is_type(result, json_type_object)) {
		core_fail_param(call, "results", "each result is an object");
		return call;
	}
	if ((rc = store_txn_begin(ctx->store, NULL, true, &call->txn)) != 0) {
		call->txn = NULL;
		core_fail_store(call, rc);
		return call;
	}
	rc = apply(call, result);
	if (rc != 0) {
		store_txn_abort(call->txn);
		call->txn = NULL;
		return call;
	}
	rc = store_txn_commit(call->txn);
	call->txn = NULL;
	if (rc != 0)
		core_fail_store(call, rc);
	core_call_events_done(call);
	return call;
}
