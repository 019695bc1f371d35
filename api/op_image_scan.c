/*
 * StartImageScan and DescribeImageScanFindings: ask for a basic scan of an
 * image, and read its status and findings a page at a time
 * (docs/ecr-behaviour.md 3.7).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "core/scanning.h"
#include "store/store.h"

#define FINDINGS_PAGE_DEFAULT 100
#define TOKEN_KIND "scan-findings"

static int start_image_scan(struct call *);
static int describe_image_scan_findings(struct call *);

const struct op api_op_start_image_scan = {
    .name = "StartImageScan",
    .input = &model_StartImageScanRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = start_image_scan,
};

const struct op api_op_describe_image_scan_findings = {
    .name = "DescribeImageScanFindings",
    .input = &model_DescribeImageScanFindingsRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = describe_image_scan_findings,
};

/* ECR's refusals before a scan is queued, in its order [unconfirmed]. */
static int
check_scannable(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	struct json_object *config;
	struct store_scan scan;
	int64_t started_at_ms;
	bool is_enhanced;
	int rc;

	if (img->status != STORE_IMAGE_ACTIVE)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_IMAGE_ARCHIVED,
		    "The image with digest '%s' in the repository with name "
		    "'%s' in the registry with id '%s' is archived and cannot "
		    "be scanned",
		    img->digest, repo->name, repo->registry_id);
	if (!core_scan_is_scannable(img))
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_UNSUPPORTED_IMAGE_TYPE,
		    "The operation is not supported for this image type: "
		    "'%s' is not a container image",
		    img->digest);
	if ((rc = core_scan_config_read(call->txn, repo->registry_id,
	         repo->region, &config)) != 0)
		return core_fail_store(call, rc);
	is_enhanced = core_scan_is_enhanced(config);
	json_object_put(config);
	if (is_enhanced)
		/* [unconfirmed]: enhanced scanning offers no manual scan. */
		return core_fail(call, ERR_VALIDATION,
		    "Manual scans are not supported when the registry's scan "
		    "type is ENHANCED");
	memset(&scan, 0, sizeof scan);
	rc = store_scan_get(call->txn, repo->id, img->digest, &scan);
	started_at_ms = scan.started_at_ms;
	store_scan_release(&scan);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	/* One a day, counting scans on push (2.4's message). */
	if (rc == 0 && call->now_ms - started_at_ms < CORE_SCAN_INTERVAL_MS)
		return core_fail(call, ERR_LIMIT_EXCEEDED,
		    "The scan quota per image has been exceeded. Wait and try "
		    "again.");
	return 0;
}

static int
start_image_scan(struct call *call)
{
	struct json_object *status;
	struct store_repo repo;
	struct store_image img;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_image_of_call(call, &repo, &img) != 0)
		return -1;
	rc = check_scannable(call, &repo, &img);
	if (rc == 0)
		rc = core_scan_enqueue(call, &repo, &img);
	if (rc == 0) {
		api_out_image_id(call, &repo, &img, true);
		status = jnew_obj();
		jadd_str(status, "status", "IN_PROGRESS");
		jadd_obj(call->out, "imageScanStatus", status);
	}
	store_image_release(&img);
	return rc;
}

struct page {
	struct call *call;
	const struct store_repo *repo;
	const struct store_image *img;
	const struct store_scan *scan;
	struct json_object *list;
	bool is_enhanced;
	uint32_t max;
	uint32_t n;
	uint32_t next; /* the index after the last added */
	bool has_more;
};

static int
finding_add(uint32_t index, const struct store_finding *f, void *arg)
{
	struct page *pg = arg;

	if (pg->n == pg->max) {
		pg->has_more = true;
		return 1;
	}
	jpush(pg->list, pg->is_enhanced ? api_enhanced_finding_json(pg->call,
	                                      pg->repo, pg->img, pg->scan, f)
	                                : api_finding_json(f));
	pg->n++;
	pg->next = index + 1;
	return 0;
}

/* imageScanFindings: times, counts and the page of findings. */
static int
findings_page(struct call *call, struct page *pg)
{
	const char *token = api_in_str(call, "nextToken");
	struct json_object *o;
	char cursor[API_SCAN_CURSOR_SIZE];
	uint32_t from = 0;
	int rc;

	if (token != NULL && core_token_parse(call, TOKEN_KIND, token, cursor,
	                         sizeof cursor) != 0)
		return -1;
	/* A token of another image's findings. */
	if (token != NULL &&
	    api_scan_cursor_parse(cursor, pg->img->digest, &from) != 0)
		return core_fail_param(call, "nextToken", "Invalid NextToken");
	pg->max =
	    (uint32_t)api_in_i64(call, "maxResults", FINDINGS_PAGE_DEFAULT);
	pg->list = jnew_arr();
	rc = store_scan_findings_foreach(call->txn, pg->repo->id,
	    pg->img->digest, from, finding_add, pg);
	o = jnew_obj();
	api_scan_times_add(o, pg->scan);
	jadd_obj(o, "findingSeverityCounts", api_scan_counts_json(pg->scan));
	jadd_obj(o, pg->is_enhanced ? "enhancedFindings" : "findings",
	    pg->list);
	jadd_obj(call->out, "imageScanFindings", o);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (pg->has_more) {
		api_scan_cursor_format(cursor, sizeof cursor, pg->next,
		    pg->img->digest);
		jadd_str(call->out, "nextToken",
		    core_token_make(call, TOKEN_KIND, cursor));
	}
	return 0;
}

static int
fail_no_scan(struct call *call, const struct store_repo *repo)
{
	struct json_object *id = api_in_obj(call, "imageId");
	const char *digest = api_id_member(id, "imageDigest");
	const char *tag = api_id_member(id, "imageTag");

	return core_fail(call, ERR_SCAN_NOT_FOUND,
	    "Image scan does not exist for the image with "
	    "'{imageDigest:'%s', imageTag:'%s'}' in the repository with name "
	    "'%s' in the registry with id '%s'",
	    digest != NULL ? digest : "null", tag != NULL ? tag : "null",
	    repo->name, repo->registry_id);
}

static int
describe_image_scan_findings(struct call *call)
{
	struct json_object *config;
	struct store_repo repo;
	struct store_image img;
	struct store_scan scan;
	struct page pg;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_image_of_call(call, &repo, &img) != 0)
		return -1;
	memset(&scan, 0, sizeof scan);
	memset(&pg, 0, sizeof pg);
	if ((rc = store_scan_get(call->txn, repo.id, img.digest, &scan)) != 0)
		rc = rc == STORE_NOTFOUND ? fail_no_scan(call, &repo)
		                          : core_fail_store(call, rc);
	else if ((rc = core_scan_config_read(call->txn, repo.registry_id,
	              repo.region, &config)) != 0)
		rc = core_fail_store(call, rc);
	else {
		pg.is_enhanced = core_scan_is_enhanced(config);
		json_object_put(config);
		api_out_image_id(call, &repo, &img, true);
		jadd_obj(call->out, "imageScanStatus",
		    api_scan_status_json(&scan));
		pg.call = call;
		pg.repo = &repo;
		pg.img = &img;
		pg.scan = &scan;
		if (scan.status == STORE_SCAN_COMPLETE)
			rc = findings_page(call, &pg);
	}
	store_scan_release(&scan);
	store_image_release(&img);
	return rc;
}
