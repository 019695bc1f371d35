/*
 * ListImages: one entry per tag, plus one per untagged image
 * (docs/ecr-behaviour.md 3.2); pages count entries, so a token may point into
 * an image's tags.
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/parse.h"
#include "common/str.h"
#include "core/image.h"
#include "store/store.h"

#define PAGE_DEFAULT 100

static int list_images(struct call *);

const struct op api_op_list_images = {
    .name = "ListImages",
    .input = &model_ListImagesRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = list_images,
};

struct page {
	struct jw ids;
	const char *tag_status;
	const char *image_status;
	size_t n, max;
	size_t skip; /* entries of the first image sent */
	bool has_more;
	char last[STORE_DIGEST_MAX + 1];
	size_t last_sent; /* entries of `last` sent */
};

static int
page_add(const struct store_image *img, void *arg)
{
	struct page *pg = arg;
	size_t i, n_entries;

	if (!api_image_status_matches(pg->image_status, img->status) ||
	    !api_image_tag_status_matches(pg->tag_status, img)) {
		pg->skip = 0;
		return 0;
	}
	n_entries = img->n_tags == 0 ? 1 : img->n_tags;
	for (i = pg->skip; i < n_entries; i++) {
		if (pg->n == pg->max) {
			pg->has_more = true;
			return 1;
		}
		api_image_id_write(&pg->ids, NULL, img->digest,
		    img->n_tags == 0 ? NULL : img->tags[i]);
		pg->n++;
		str_copy(pg->last, sizeof pg->last, img->digest);
		pg->last_sent = i + 1;
	}
	pg->skip = 0;
	return 0;
}

/* Tokens carry "<entries sent of that image>/<digest>". */
static int
parse_token(struct call *call, const char *kind, const char *token,
    struct page *pg, char *after, size_t size)
{
	char text[STORE_DIGEST_MAX + 32];
	char *slash;
	const char *errstr;
	uint64_t skip;

	if (core_token_parse(call, kind, token, text, sizeof text) != 0)
		return -1;
	if ((slash = strchr(text, '/')) == NULL)
		return core_fail_param(call, "nextToken", "Invalid token");
	*slash = '\0';
	if (parse_u64(text, 0, STORE_IMAGE_TAGS_MAX, &skip, &errstr) != 0 ||
	    str_copy(after, size, slash + 1) != 0)
		return core_fail_param(call, "nextToken", "Invalid token");
	pg->skip = (size_t)skip;
	return 0;
}

/* The rest of the token's image, if it is still there. */
static int
resume(struct call *call, const struct store_repo *repo, const char *digest,
    struct page *pg)
{
	struct store_image img;
	int rc;

	memset(&img, 0, sizeof img);
	rc = store_image_get(call->txn, repo->id, digest, &img);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0 && page_add(&img, pg) > 0)
		rc = 0;
	store_image_release(&img);
	pg->skip = 0;
	return rc;
}

static int
list_images(struct call *call)
{
	struct json_object *filter = api_in_obj(call, "filter");
	const char *token = api_in_str(call, "nextToken");
	const char *kind;
	struct store_repo repo;
	struct page pg;
	char after[STORE_DIGEST_MAX + 1];
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	memset(&pg, 0, sizeof pg);
	pg.max = (size_t)api_in_i64(call, "maxResults", PAGE_DEFAULT);
	api_filter_strs(filter, &pg.tag_status, &pg.image_status);
	kind = call_printf(call, "images/%" PRIu64, repo.id);
	if (token != NULL &&
	    parse_token(call, kind, token, &pg, after, sizeof after) != 0)
		return -1;
	jw_init(&pg.ids);
	jw_arr_open(&pg.ids, NULL);
	rc = token != NULL ? resume(call, &repo, after, &pg) : 0;
	if (rc == 0 && !pg.has_more)
		rc = store_image_foreach(call->txn, repo.id,
		    token != NULL ? after : NULL, page_add, &pg);
	jw_arr_close(&pg.ids);
	jadd_jw(call->out, "imageIds", &pg.ids);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (pg.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, kind,
		        call_printf(call, "%zu/%s", pg.last_sent, pg.last)));
	return 0;
}
