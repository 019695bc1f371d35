/*
 * DescribeImages: details of the images asked for, or a page of all of
 * them in digest order (O(page)), with ECR's filters
 * (docs/ecr-behaviour.md 3.2).
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "core/image.h"
#include "store/store.h"

#define PAGE_DEFAULT 100

static int describe_images(struct call *);

const struct op api_op_describe_images = {
    .name = "DescribeImages",
    .input = &model_DescribeImagesRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = describe_images,
};

struct page {
	struct call *call;
	const struct store_repo *repo;
	struct jw *list;
	const char *tag_status;
	const char *image_status;
	size_t n, max;
	bool has_more;
	char last[STORE_DIGEST_MAX + 1];
};

/* One ImageDetail, with its last scan if it has one. */
static int
detail_write(struct call *call, struct jw *list, const struct store_repo *repo,
    const struct store_image *img)
{
	struct store_scan scan;
	int rc;

	memset(&scan, 0, sizeof scan);
	rc = store_scan_get(call->txn, repo->id, img->digest, &scan);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return rc;
	api_image_detail_write(list, repo, img, rc == 0 ? &scan : NULL);
	store_scan_release(&scan);
	return 0;
}

static int
page_add(const struct store_image *img, void *arg)
{
	struct page *pg = arg;
	int rc;

	if (!api_image_status_matches(pg->image_status, img->status) ||
	    !api_image_tag_status_matches(pg->tag_status, img))
		return 0;
	if (pg->n == pg->max) {
		pg->has_more = true;
		return 1;
	}
	if ((rc = detail_write(pg->call, pg->list, pg->repo, img)) != 0)
		return rc;
	str_copy(pg->last, sizeof pg->last, img->digest);
	pg->n++;
	return 0;
}

/* With imageIds, one missing image fails the whole call (3.2). */
static int
describe_named(struct call *call, const struct store_repo *repo,
    struct json_object *ids, struct jw *list)
{
	struct store_image img;
	const char *digest, *tag;
	size_t i, n = json_object_array_length(ids);
	int rc;

	if (api_in_str(call, "nextToken") != NULL ||
	    api_in_i64(call, "maxResults", 0) != 0 ||
	    api_in_obj(call, "filter") != NULL)
		return core_fail_param(call, "imageIds",
		    "Cannot specify "
		    "imageIds together with nextToken, maxResults or filter");
	for (i = 0; i < n; i++) {
		digest = api_id_member(json_object_array_get_idx(ids, i),
		    "imageDigest");
		tag = api_id_member(json_object_array_get_idx(ids, i),
		    "imageTag");
		if (digest == NULL && tag == NULL)
			return core_fail_image_not_found(call, repo, NULL,
			    NULL);
		memset(&img, 0, sizeof img);
		rc = core_image_find(call, repo->id, digest, tag, &img);
		if (rc == STORE_NOTFOUND || rc == CORE_IMAGE_TAG_MISMATCH)
			return core_fail_image_not_found(call, repo, digest,
			    tag);
		if (rc != 0)
			return core_fail_store(call, rc);
		rc = detail_write(call, list, repo, &img);
		store_image_release(&img);
		if (rc != 0)
			return core_fail_store(call, rc);
	}
	return 0;
}

static int
describe_page(struct call *call, const struct store_repo *repo, struct jw *list)
{
	const char *token = api_in_str(call, "nextToken");
	const char *kind;
	struct page pg;
	char after[STORE_DIGEST_MAX + 1];
	int rc;

	memset(&pg, 0, sizeof pg);
	pg.call = call;
	pg.repo = repo;
	pg.list = list;
	pg.max = (size_t)api_in_i64(call, "maxResults", PAGE_DEFAULT);
	api_filter_strs(api_in_obj(call, "filter"), &pg.tag_status,
	    &pg.image_status);
	kind = call_printf(call, "image-details/%" PRIu64, repo->id);
	if (token != NULL &&
	    core_token_parse(call, kind, token, after, sizeof after) != 0)
		return -1;
	rc = store_image_foreach(call->txn, repo->id,
	    token != NULL ? after : NULL, page_add, &pg);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (pg.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, kind, pg.last));
	return 0;
}

static int
describe_images(struct call *call)
{
	struct json_object *ids = api_in_array(call, "imageIds");
	struct store_repo repo;
	struct jw list;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	jw_init(&list);
	jw_arr_open(&list, NULL);
	if (ids != NULL)
		rc = describe_named(call, &repo, ids, &list);
	else
		rc = describe_page(call, &repo, &list);
	jw_arr_close(&list);
	jadd_jw(call->out, "imageDetails", &list);
	return rc;
}
