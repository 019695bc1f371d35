/*
 * Managed signing (docs/ecr-behaviour.md 3.12): the registry's signing
 * configuration, which profiles a push is signed with, and each image's
 * status per profile. A push that matches a rule queues a signing record
 * in its own txn (store_work, STORE_WORK_SIGN) and writes IN_PROGRESS; the
 * signing itself happens later, off the request (core/notary.c, and the
 * server's worker).
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/str.h"
#include "store/store.h"

int
core_signing_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	return core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_SIGNING, json_type_object, out);
}

/* A rule without filters matches every repository (3.12). */
static bool
rule_matches(struct json_object *rule, const char *repo_name)
{
	struct json_object *filters =
	    jget(rule, "repositoryFilters", json_type_array);
	const char *f;
	size_t i, n;

	if (filters == NULL)
		return true;
	n = json_object_array_length(filters);
	for (i = 0; i < n; i++) {
		f = jget_str(json_object_array_get_idx(filters, i), "filter");
		/* WILDCARD_MATCH, the only filterType: '*' any run. */
		if (f != NULL && str_wildcard_match_n(f, strlen(f), repo_name,
		                     strlen(repo_name), 0))
			return true;
	}
	return false;
}

struct json_object *
core_signing_profiles(struct json_object *config, const char *repo_name)
{
	struct json_object *rules = jget(config, "rules", json_type_array);
	struct json_object *out = NULL, *rule;
	const char *arn;
	size_t i, j, n;
	bool seen;

	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++) {
		rule = json_object_array_get_idx(rules, i);
		arn = jget_str(rule, "signingProfileArn");
		if (arn == NULL || !rule_matches(rule, repo_name))
			continue;
		if (out == NULL)
			out = jnew_arr();
		seen = false;
		for (j = 0; j < json_object_array_length(out); j++)
			seen = seen ||
			       strcmp(json_object_get_string(
			                  json_object_array_get_idx(out, j)),
			           arn) == 0;
		if (!seen)
			jpush_str(out, arn);
	}
	return out;
}

/* status: {"<profile arn>": {"status", "failureCode"?, "failureReason"?}} */
int
core_signing_status_set(struct store_txn *txn, uint64_t repo_id,
    const char *digest, const char *profile, const char *status,
    const char *code, const char *reason)
{
	struct json_object *all = NULL, *one;
	char *text = NULL;
	size_t len;
	int rc;

	rc = store_sign_status_get(txn, repo_id, digest, &text);
	if (rc == 0 && ((all = json_tokener_parse(text)) == NULL ||
	                   !json_object_is_type(all, json_type_object))) {
		/* A damaged status is rewritten rather than kept. */
		json_object_put(all);
		all = NULL;
	}
	free(text);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return rc;
	if (all == NULL)
		all = jnew_obj();
	one = jnew_obj();
	jadd_str(one, "status", status);
	jadd_str(one, "failureCode", code);
	jadd_str(one, "failureReason", reason);
	json_object_object_add(all, profile, one);
	if ((text = jrender(all, &len)) == NULL)
		rc = STORE_FULL;
	else
		rc = store_sign_status_put(txn, repo_id, digest, text, len);
	free(text);
	json_object_put(all);
	return rc;
}

int
core_signing_enqueue(struct call *call, const struct store_repo *repo,
    const char *digest)
{
	struct json_object *config, *profiles, *job;
	struct store_work w;
	size_t i, n;
	int rc;

	rc = core_signing_read(call->txn, repo->registry_id, repo->region,
	    &config);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	profiles = core_signing_profiles(config, repo->name);
	json_object_put(config);
	if (profiles == NULL)
		return 0;
	memset(&w, 0, sizeof w);
	w.due_ms = call->now_ms;
	w.repo_id = repo->id;
	str_copy(w.digest, sizeof w.digest, digest);
	/* What the worker needs to find the image again (sign_run.c). */
	job = jnew_obj();
	jadd_str(job, "registryId", repo->registry_id);
	jadd_str(job, "region", repo->region);
	jadd_str(job, "repositoryName", repo->name);
	jadd_obj(job, "profiles", json_object_get(profiles));
	w.text = jrender(job, &w.len);
	json_object_put(job);
	rc = w.text == NULL ? STORE_FULL
	                    : store_work_put(call->txn, STORE_WORK_SIGN, &w);
	n = json_object_array_length(profiles);
	for (i = 0; rc == 0 && i < n; i++)
		rc = core_signing_status_set(call->txn, repo->id, digest,
		    json_object_get_string(json_object_array_get_idx(profiles,
		        i)),
		    "IN_PROGRESS", NULL, NULL);
	store_work_release(&w);
	json_object_put(profiles);
	return rc;
}
