/* DescribeRepositories: named repositories, or a page of all of them. */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

#define PAGE_DEFAULT 100
/* Bytes of a usual repository's JSON (~380), rounded up: a page's hint. */
#define REPO_JSON_GUESS 512
#define TOKEN_KIND "repos"

static int describe_repositories(struct call *);

const struct op api_op_describe_repositories = {
    .name = "DescribeRepositories",
    .input = &model_DescribeRepositoriesRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPOS,
    .exec = describe_repositories,
};

struct page {
	struct call *call;
	struct jw *list;
	size_t n, max;
	bool has_more;
	char last[STORE_REPO_NAME_MAX + 1];
};

static int
page_add(const struct store_repo *repo, void *arg)
{
	struct page *pg = arg;

	if (pg->n == pg->max) {
		pg->has_more = true;
		return 1;
	}
	api_repo_write(pg->call, pg->list, NULL, repo);
	/* The store bounds the name by the array. */
	(void)str_copy(pg->last, sizeof pg->last, repo->name);
	pg->n++;
	return 0;
}

/*
 * With names, one missing name fails the whole call
 * (docs/ecr-behaviour.md 3.1).
 */
static int
describe_named(struct call *call, struct json_object *names, struct jw *list)
{
	struct store_repo repo;
	size_t i, n = json_object_array_length(names);

	if (api_in_str(call, "nextToken") != NULL ||
	    api_in_i64(call, "maxResults", 0) != 0)
		return core_fail_param(call, "repositoryNames",
		    "Cannot specify "
		    "repositoryNames together with nextToken or maxResults");
	for (i = 0; i < n; i++) {
		if (core_repo_get(call,
		        json_object_get_string(json_object_array_get_idx(names,
		            i)),
		        &repo) != 0)
			return -1;
		api_repo_write(call, list, NULL, &repo);
	}
	return 0;
}

static int
describe_page(struct call *call, struct jw *list)
{
	const char *token = api_in_str(call, "nextToken");
	struct page pg;
	char after[STORE_REPO_NAME_MAX + 1];
	int rc;

	memset(&pg, 0, sizeof pg);
	pg.call = call;
	pg.list = list;
	pg.max = (size_t)api_in_i64(call, "maxResults", PAGE_DEFAULT);
	if (token != NULL &&
	    core_token_parse(call, TOKEN_KIND, token, after, sizeof after) != 0)
		return -1;
	jw_reserve(list, pg.max * REPO_JSON_GUESS);
	rc = store_repo_foreach(call->txn, call->registry_id, call->id.region,
	    token != NULL ? after : NULL, page_add, &pg);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (pg.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, TOKEN_KIND, pg.last));
	return 0;
}

static int
describe_repositories(struct call *call)
{
	struct json_object *names = api_in_array(call, "repositoryNames");
	struct jw list;
	int rc;

	jw_init(&list);
	jw_arr_open(&list, NULL);
	if (names != NULL)
		rc = describe_named(call, names, &list);
	else
		rc = describe_page(call, &list);
	jw_arr_close(&list);
	jadd_jw(call->out, "repositories", &list);
	return rc;
}
