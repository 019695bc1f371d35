/*
 * Pull-time update exclusions (docs/ecr-behaviour.md 3.13): the IAM
 * principals whose pulls leave lastRecordedPullTime alone, kept per
 * registry and region as one registry document, a JSON array of
 * {"principalArn", "createdAt" (ms)} in the order they were registered.
 */
#include "core/core_int.h"

#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "store/store.h"

int
core_exclusions_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	int rc = core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_PULL_EXCLUSIONS, json_type_array, out);

	if (rc == STORE_NOTFOUND) {
		*out = jnew_arr();
		return 0;
	}
	return rc;
}

int
core_exclusions_write(struct call *call, struct json_object *list)
{
	struct store_doc doc;
	int rc;

	memset(&doc, 0, sizeof doc);
	if ((doc.text = jrender(list, &doc.len)) == NULL)
		return STORE_FULL;
	doc.at_ms = call->now_ms;
	rc = store_registry_doc_put(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_PULL_EXCLUSIONS, &doc);
	store_doc_release(&doc);
	return rc;
}

int
core_exclusions_find(struct json_object *list, const char *principal_arn)
{
	struct json_object *e;
	const char *arn;
	size_t i, n = json_object_array_length(list);

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		arn = jget_str(e, "principalArn");
		if (arn != NULL && strcmp(arn, principal_arn) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Whether the call's principal (its SigV4 credentials' in strict mode, or
 * its registry token's) is excluded in repo's registry. Costs one
 * document lookup, which finds nothing unless exclusions are registered.
 */
bool
core_pull_is_excluded(struct call *call, const struct store_repo *repo)
{
	struct json_object *list;
	bool is_excluded;

	if (call->id.principal_arn[0] == '\0' || call->txn == NULL ||
	    core_exclusions_read(call->txn, repo->registry_id, repo->region,
	        &list) != 0)
		return false;
	is_excluded = core_exclusions_find(list, call->id.principal_arn) >= 0;
	json_object_put(list);
	return is_excluded;
}
