/*
 * Identity policies: the "policies" of each principal in the credentials
 * file, parsed once when the file is loaded and grouped by principal ARN,
 * so strict mode never parses them per request (issue #5).
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/creds.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "policy/policy.h"

/*
 * The account root user may do anything in its own account, so no identity
 * policy can deny it by omission (IAM user guide, "root user").
 */
#define ROOT_ALLOW                                                             \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{"                         \
	"\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"

/* Every policy of the entries that share one principal ARN. */
struct authz_group {
	const char *arn; /* borrowed from the creds */
	const struct policy **v;
	size_t n;
};

struct authz_ids {
	struct policy **owned; /* every parsed policy */
	size_t n_owned;
	struct policy *root_allow;
	struct authz_group *groups;
	size_t n_groups;
};

void
authz_ids_free(struct authz_ids *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n_owned; i++)
		policy_free(ids->owned[i]);
	free(ids->owned);
	policy_free(ids->root_allow);
	for (i = 0; i < ids->n_groups; i++)
		free(ids->groups[i].v);
	free(ids->groups);
	free(ids);
}

static bool
is_root_arn(const char *arn)
{
	size_t len = strlen(arn);

	return len > 5 && strcmp(arn + len - 5, ":root") == 0;
}

static struct authz_group *
group_for(struct authz_ids *ids, const char *arn)
{
	struct authz_group *g;
	size_t i;

	for (i = 0; i < ids->n_groups; i++) {
		if (strcmp(ids->groups[i].arn, arn) == 0)
			return &ids->groups[i];
	}
	ids->groups =
	    xreallocarray(ids->groups, ids->n_groups + 1, sizeof *ids->groups);
	g = &ids->groups[ids->n_groups++];
	memset(g, 0, sizeof *g);
	g->arn = arn;
	if (is_root_arn(arn)) {
		g->v = xcalloc(1, sizeof *g->v);
		g->v[g->n++] = ids->root_allow;
	}
	return g;
}

static void
group_add(struct authz_ids *ids, struct authz_group *g, struct policy *p)
{
	ids->owned =
	    xreallocarray(ids->owned, ids->n_owned + 1, sizeof *ids->owned);
	ids->owned[ids->n_owned++] = p;
	g->v = xreallocarray(g->v, g->n + 1, sizeof *g->v);
	g->v[g->n++] = p;
}

/* Parse principal i's policies into its group; -1 with *cause naming one. */
static int
add_principal(struct authz_ids *ids, const struct cred *cred, size_t i,
    char **cause)
{
	struct authz_group *g = group_for(ids, cred->arn);
	struct json_object *doc;
	struct policy *p;
	const char *text;
	char *why = NULL;
	size_t j, n;
	int rc;

	n = cred->policies == NULL ? 0
	                           : json_object_array_length(cred->policies);
	for (j = 0; j < n; j++) {
		doc = json_object_array_get_idx(cred->policies, j);
		text = json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		rc =
		    policy_parse(text, strlen(text), POLICY_IDENTITY, &p, &why);
		if (rc != POLICY_OK) {
			*cause = xasprintf("principals[%zu].policies[%zu]: %s",
			    i, j, why != NULL ? why : policy_strerror(rc));
			free(why);
			return -1;
		}
		group_add(ids, g, p);
	}
	return 0;
}

int
authz_ids_new(const struct creds *creds, struct authz_ids **out, char **cause)
{
	struct authz_ids *ids;
	char *why = NULL;
	size_t i;

	ids = xcalloc(1, sizeof *ids);
	if (policy_parse(ROOT_ALLOW, strlen(ROOT_ALLOW), POLICY_IDENTITY,
	        &ids->root_allow, &why) != POLICY_OK) {
		*cause = xasprintf("root policy: %s", why);
		free(why);
		authz_ids_free(ids);
		return -1;
	}
	for (i = 0; creds != NULL && i < creds->n; i++) {
		if (add_principal(ids, &creds->v[i], i, cause) != 0) {
			authz_ids_free(ids);
			return -1;
		}
	}
	*out = ids;
	return 0;
}

const struct policy *const *
authz_ids_find(const struct authz_ids *ids, const char *principal_arn,
    size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; ids != NULL && i < ids->n_groups; i++) {
		if (strcmp(ids->groups[i].arn, principal_arn) == 0) {
			*n = ids->groups[i].n;
			return ids->groups[i].v;
		}
	}
	return NULL;
}

int
core_creds_check(const struct creds *creds, char **cause)
{
	struct authz_ids *ids = NULL;

	if (authz_ids_new(creds, &ids, cause) != 0)
		return -1;
	authz_ids_free(ids);
	return 0;
}

void
core_ctx_set_creds(struct core_ctx *ctx, const struct creds *creds)
{
	struct authz_ids *ids = NULL;
	char *cause = NULL;

	/*
	 * core_creds_check passed when the file was read; should parsing fail
	 * anyway, nobody has identity policies, which denies rather than
	 * allows.
	 */
	if (authz_ids_new(creds, &ids, &cause) != 0) {
		log_error("credentials: %s", cause);
		free(cause);
	}
	authz_ids_free(ctx->ids);
	ctx->ids = ids;
	ctx->cfg.creds = creds;
}
