/*
 * --audit-log (server/audit.h): where calls are answered, their CloudTrail
 * records go to one line file. A registry call is recorded under the ECR
 * API its request stands for, as ECR's trail shows docker's pushes and
 * pulls (docs/ecr-integrations.md 3.3; the table below, and
 * docs/observability.md, say which).
 */
#include "server/audit.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "api/audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "registry/registry.h"
#include "server/http.h"
#include "server/linefile.h"
#include "server/server.h"

/*
 * The one audit log of the process, as main.c's signal-reloaded state is:
 * the answer paths it hooks (respond_call, answer_reg) hold no server.
 */
static struct linefile *audit_file; /* NULL: off */

static void
add_line(char *text, size_t len)
{
	if (text == NULL) {
		log_warn("audit: a record could not be rendered");
		return;
	}
	linefile_add(audit_file, text, len);
	free(text);
}

/* core's lifecycle runs: ECR's PolicyExecutionEvent per expiry batch. */
static void
lifecycle_expired(void *arg, const char *account, const char *region,
    int64_t now_ms, struct json_object *details)
{
	size_t len = 0;
	char *text;

	(void)arg;
	text = api_audit_service_event("PolicyExecutionEvent", account, region,
	    now_ms, details, &len);
	add_line(text, len);
}

int
audit_open(struct server *srv, const char *path, char **cause)
{
	audit_file = linefile_open(srv->base, path, LINEFILE_BATCH, cause);
	if (audit_file == NULL)
		return -1;
	core_ctx_set_lifecycle_audit(srv->api, lifecycle_expired, NULL);
	return 0;
}

void
audit_reopen(void)
{
	char *cause = NULL;

	if (audit_file == NULL)
		return;
	if (linefile_reopen(audit_file, &cause) != 0) {
		log_error("SIGHUP: keeping the old audit log: %s", cause);
		free(cause);
	}
}

void
audit_close(void)
{
	linefile_free(audit_file);
	audit_file = NULL;
}

void
audit_ecr(struct http_request *req, const struct call *call)
{
	struct api_audit_in in;
	const char *target = http_request_header(req, "X-Amz-Target");
	size_t len = 0;
	char *text;

	if (audit_file == NULL)
		return;
	memset(&in, 0, sizeof in);
	if (target != NULL && strchr(target, '.') != NULL)
		in.fallback = strchr(target, '.') + 1;
	in.user_agent = http_request_header(req, "User-Agent");
	text = api_audit_call(call, &in, &len);
	add_line(text, len);
}

/* {"imageTag": ref} or {"imageDigest": ref}, as ECR's imageId. */
static struct json_object *
image_id(const char *ref)
{
	struct json_object *id = jnew_obj();

	jadd_str(id,
	    strncmp(ref, "sha256:", 7) == 0 ? "imageDigest" : "imageTag", ref);
	return id;
}

static struct json_object *
one(struct json_object *v)
{
	struct json_object *a = jnew_arr();

	jpush(a, v);
	return a;
}

static struct json_object *
accepted_types(const char *accept)
{
	struct json_object *a = jnew_arr();
	const char *p = accept, *end;
	size_t n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,");
		end = p + strcspn(p, ",");
		n = strcspn(p, ";,");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0)
			json_object_array_add(a,
			    json_object_new_string_len(p, (int)n));
		p = end;
	}
	return a;
}

/* A PATCH's Content-Range "first-last" as UploadLayerPart's bytes. */
static void
add_range(struct json_object *p, const char *range)
{
	char *end;
	long long first, last;

	if (range == NULL)
		return;
	first = strtoll(range, &end, 10);
	if (*end != '-')
		return;
	last = strtoll(end + 1, &end, 10);
	if (*end != '\0')
		return;
	jadd_i64(p, "partFirstByte", first);
	jadd_i64(p, "partLastByte", last);
}

static const char *
header_of(const struct api_reg_answer *ra, const char *name)
{
	size_t i;

	for (i = 0; i < ra->n_headers; i++) {
		if (strcasecmp(ra->headers[i][0], name) == 0)
			return ra->headers[i][1];
	}
	return NULL;
}

/* PutImage's responseElements: the image, as ECR echoes it (3.5). */
static struct json_object *
pushed_image(struct json_object *p, const struct api_reg_request *rq,
    const char *digest)
{
	struct json_object *r = jnew_obj(), *img = jnew_obj(), *id;

	jadd_str(img, "repositoryName", rq->repo);
	id = jnew_obj();
	jadd_str(id, "imageDigest", digest);
	if (strncmp(rq->reference, "sha256:", 7) != 0)
		jadd_str(id, "imageTag", rq->reference);
	jadd_obj(img, "imageId", id);
	jadd_obj(img, "imageManifest",
	    json_object_get(json_object_object_get(p, "imageManifest")));
	jadd_str(img, "imageManifestMediaType", rq->content_type);
	jadd_obj(r, "image", img);
	return r;
}

/*
 * The ECR API a registry request stands for, and its requestParameters
 * (and, for the pushes ECR echoes, responseElements) in that API's
 * shape. NULL for those no ECR API call does (GET /v2/, an upload's
 * status or cancel, a blob DELETE): ECR's trail has no record for them.
 * A blob GET is GetDownloadUrlForLayer; its HEAD (docker's "do you have
 * it") is BatchCheckLayerAvailability [ecrd's choice: the doc is silent].
 */
static const char *
reg_event(const struct api_reg_request *rq, const struct api_reg_answer *ra,
    struct json_object *p, struct json_object **resp)
{
	const char *d;

	jadd_str(p, "repositoryName", rq->repo);
	switch (rq->op) {
	case API_REG_CATALOG:
	case API_REG_TAGS:
		if (rq->n >= 0)
			jadd_i64(p, "maxResults", rq->n);
		return rq->op == API_REG_CATALOG ? "DescribeRepositories"
		                                 : "ListImages";
	case API_REG_MANIFEST_GET:
		jadd_obj(p, "imageIds", one(image_id(rq->reference)));
		jadd_obj(p, "acceptedMediaTypes", accepted_types(rq->accept));
		return "BatchGetImage";
	case API_REG_MANIFEST_DELETE:
		jadd_obj(p, "imageIds", one(image_id(rq->reference)));
		return "BatchDeleteImage";
	case API_REG_MANIFEST_PUT:
		if (strncmp(rq->reference, "sha256:", 7) != 0)
			jadd_str(p, "imageTag", rq->reference);
		json_object_object_add(p, "imageManifest",
		    json_object_new_string_len(rq->body, (int)rq->body_len));
		jadd_str(p, "imageManifestMediaType", rq->content_type);
		if ((d = header_of(ra, "Docker-Content-Digest")) != NULL)
			*resp = pushed_image(p, rq, d);
		return "PutImage";
	case API_REG_BLOB_GET:
		if (rq->is_head) {
			jadd_obj(p, "layerDigests",
			    one(json_object_new_string(rq->reference)));
			return "BatchCheckLayerAvailability";
		}
		jadd_str(p, "layerDigest", rq->reference);
		return "GetDownloadUrlForLayer";
	case API_REG_UPLOAD_START:
		if ((d = header_of(ra, "Docker-Upload-UUID")) != NULL) {
			*resp = jnew_obj();
			jadd_str(*resp, "uploadId", d);
		}
		return "InitiateLayerUpload";
	case API_REG_UPLOAD_PATCH:
		jadd_str(p, "uploadId", rq->upload_id);
		add_range(p, rq->content_range);
		return "UploadLayerPart";
	case API_REG_UPLOAD_FINISH:
		jadd_str(p, "uploadId", rq->upload_id);
		if (rq->digest != NULL)
			jadd_obj(p, "layerDigests",
			    one(json_object_new_string(rq->digest)));
		return "CompleteLayerUpload";
	case API_REG_REFERRERS:
		jadd_obj(p, "subjectId", image_id(rq->reference));
		return "ListImageReferrers";
	default:
		return NULL;
	}
}

void
audit_registry(struct http_request *req, const struct api_reg_request *rq,
    const struct call *call, const struct api_reg_answer *ra)
{
	struct api_audit_in in;
	size_t len = 0;
	char *text;

	if (audit_file == NULL)
		return;
	memset(&in, 0, sizeof in);
	in.params = jnew_obj();
	if ((in.event_name = reg_event(rq, ra, in.params, &in.response)) ==
	    NULL) {
		json_object_put(in.params);
		json_object_put(in.response);
		return;
	}
	in.user_agent = http_request_header(req, "User-Agent");
	in.error_code = api_reg_own_error(call);
	text = api_audit_call(call, &in, &len);
	add_line(text, len);
}
