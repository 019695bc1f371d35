/*
 * Lifecycle runs: apply repositories' lifecycle policies now, as ECR does
 * within a day (docs/ecr-behaviour.md 3.6), in bounded steps so the server
 * keeps answering between them. Each step holds one txn of its own: loading a
 * slice of images (read), evaluating, or applying a slice of actions
 * (write), through the same load and engine as previews.
 */
#include "core/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/sha256.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

#define LOAD_SLICE 4096    /* images read per step */
#define APPLY_SLICE 128    /* actions written per step */
#define AUDIT_TAGS_MAX 100 /* tags listed per image (3.5) */

enum phase {
	PHASE_LIST, /* find the repositories */
	PHASE_LOAD, /* load the current one's images */
	PHASE_EVAL,
	PHASE_APPLY,
	PHASE_DONE,
};

enum scope {
	SCOPE_ALL,       /* every repository with a policy */
	SCOPE_PARTITION, /* those of one registry and region */
	SCOPE_ONE,
};

struct core_lifecycle_run {
	struct call *call;
	enum scope scope;
	char name[STORE_REPO_NAME_MAX + 1];
	enum phase phase;
	uint64_t *repo_ids;
	size_t n_repos, next_repo;
	/* The repository under way. */
	struct lifecycle_policy *policy;
	int64_t policy_at_ms; /* its document's */
	struct core_lifecycle_images set;
	struct lifecycle_action *acts;
	size_t n_acts, next_act;
	struct core_lifecycle_counts counts;
	size_t n_repos_run;
	/* lc_audit's: the images this slice expired. */
	struct json_object *expired;
	struct store_repo *repo; /* its repository, once one expired */
};

void
core_ctx_set_lifecycle_audit(struct core_ctx *ctx, core_lifecycle_audit_fn fn,
    void *arg)
{
	ctx->lc_audit = fn;
	ctx->lc_audit_arg = arg;
}

struct core_lifecycle_run *
core_lifecycle_run_new(struct core_ctx *ctx, const char *request_id,
    const char *registry_id, const char *region, const char *name,
    int64_t now_ms)
{
	struct core_lifecycle_run *run;

	run = xcalloc(1, sizeof *run);
	run->call = call_new(ctx, request_id, now_ms);
	/* ECR sends no event for a lifecycle run's actions (1.1). */
	run->call->is_lifecycle = true;
	run->scope = SCOPE_ALL;
	if (registry_id != NULL) {
		run->scope = name != NULL ? SCOPE_ONE : SCOPE_PARTITION;
		str_copy(run->call->registry_id, sizeof run->call->registry_id,
		    registry_id);
		str_copy(run->call->id.account, sizeof run->call->id.account,
		    registry_id);
		str_copy(run->call->id.region, sizeof run->call->id.region,
		    region);
		if (name != NULL)
			str_copy(run->name, sizeof run->name, name);
	}
	return run;
}

static void
repo_end(struct core_lifecycle_run *run)
{
	free(run->repo);
	run->repo = NULL;
	lifecycle_free(run->policy);
	run->policy = NULL;
	core_lifecycle_images_release(&run->set);
	free(run->acts);
	run->acts = NULL;
	run->n_acts = run->next_act = 0;
	run->phase = ++run->next_repo < run->n_repos ? PHASE_LOAD : PHASE_DONE;
}

void
core_lifecycle_run_free(struct core_lifecycle_run *run)
{
	if (run == NULL)
		return;
	lifecycle_free(run->policy);
	core_lifecycle_images_release(&run->set);
	free(run->acts);
	free(run->repo_ids);
	json_object_put(run->expired);
	free(run->repo);
	call_free(run->call);
	free(run);
}

static void
add_repo(struct core_lifecycle_run *run, uint64_t id)
{
	if ((run->n_repos & (run->n_repos - 1)) == 0)
		run->repo_ids = xreallocarray(run->repo_ids,
		    run->n_repos == 0 ? 1 : run->n_repos * 2,
		    sizeof *run->repo_ids);
	run->repo_ids[run->n_repos++] = id;
}

static int
list_doc(uint64_t repo_id, const struct store_doc *doc, void *arg)
{
	(void)doc;
	add_repo(arg, repo_id);
	return 0;
}

static int
list_partition(const struct store_repo *repo, void *arg)
{
	struct core_lifecycle_run *run = arg;
	struct store_doc doc;
	int rc;

	memset(&doc, 0, sizeof doc);
	rc = store_repo_doc_get(run->call->txn, repo->id,
	    STORE_DOC_LIFECYCLE_POLICY, &doc);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	store_doc_release(&doc);
	add_repo(run, repo->id);
	return 0;
}

/* A named repository must exist and have a policy. */
static int
list_one(struct core_lifecycle_run *run)
{
	struct call *call = run->call;
	struct store_repo repo;
	struct store_doc doc;
	int rc;

	if (core_repo_get(call, run->name, &repo) != 0)
		return -1;
	memset(&doc, 0, sizeof doc);
	rc = store_repo_doc_get(call->txn, repo.id, STORE_DOC_LIFECYCLE_POLICY,
	    &doc);
	if (rc == STORE_NOTFOUND)
		return core_fail_no_lifecycle_policy(call, &repo);
	if (rc != 0)
		return core_fail_store(call, rc);
	store_doc_release(&doc);
	add_repo(run, repo.id);
	return 0;
}

static int
list_step(struct core_lifecycle_run *run)
{
	struct call *call = run->call;
	int rc;

	/* Pull times noted so far count for sinceImagePulled. */
	if (core_pulls_pending(call->ctx) &&
	    (rc = core_pulls_flush(call->ctx)) != 0)
		return core_fail_store(call, rc);
	if ((rc = store_txn_begin(call->ctx->store, NULL, false, &call->txn)) !=
	    0)
		return core_fail_store(call, rc);
	if (run->scope == SCOPE_ONE)
		rc = list_one(run);
	else if (run->scope == SCOPE_PARTITION)
		rc = store_repo_foreach(call->txn, call->registry_id,
		    call->id.region, NULL, list_partition, run);
	else
		rc = store_repo_doc_foreach(call->txn,
		    STORE_DOC_LIFECYCLE_POLICY, 0, list_doc, run);
	store_txn_abort(call->txn);
	call->txn = NULL;
	/* list_one has said why already. */
	if (rc != 0)
		return call->err.code != ERR_NONE ? -1
		                                  : core_fail_store(call, rc);
	run->phase = run->n_repos != 0 ? PHASE_LOAD : PHASE_DONE;
	return 0;
}

/* The policy as stored now; false when it is gone or not valid. */
static bool
policy_load(struct core_lifecycle_run *run, uint64_t repo_id, int *rc)
{
	struct store_doc doc;
	char *cause = NULL;

	memset(&doc, 0, sizeof doc);
	*rc = store_repo_doc_get(run->call->txn, repo_id,
	    STORE_DOC_LIFECYCLE_POLICY, &doc);
	if (*rc != 0) {
		if (*rc == STORE_NOTFOUND)
			*rc = 0;
		return false;
	}
	if (lifecycle_parse(doc.text, doc.len, &run->policy, &cause) != 0) {
		/* Put stored it valid; a newer ecrd's rule, perhaps. */
		log_warn("lifecycle: repository id %llu: stored policy "
		         "skipped: %s",
		    (unsigned long long)repo_id, cause);
		free(cause);
		store_doc_release(&doc);
		return false;
	}
	run->policy_at_ms = doc.at_ms;
	store_doc_release(&doc);
	return true;
}

static int
load_slice(struct core_lifecycle_run *run)
{
	struct call *call = run->call;
	uint64_t id = run->repo_ids[run->next_repo];
	bool is_done;
	int rc;

	if ((rc = store_txn_begin(call->ctx->store, NULL, false, &call->txn)) !=
	    0)
		return core_fail_store(call, rc);
	if (run->policy == NULL) {
		if (!policy_load(run, id, &rc)) {
			store_txn_abort(call->txn);
			call->txn = NULL;
			if (rc != 0)
				return core_fail_store(call, rc);
			repo_end(run);
			return 0;
		}
		core_lifecycle_images_init(&run->set, id);
	}
	rc = core_lifecycle_images_load(call, &run->set, LOAD_SLICE, &is_done);
	store_txn_abort(call->txn);
	call->txn = NULL;
	if (rc != 0)
		return -1;
	if (is_done)
		run->phase = PHASE_EVAL;
	return 0;
}

static void
eval_step(struct core_lifecycle_run *run)
{
	lifecycle_eval(run->policy, run->set.v, run->set.n, run->call->now_ms,
	    &run->acts, &run->n_acts);
	run->phase = PHASE_APPLY;
}

/*
 * Whether the policy the actions came from is still the repository's
 * (not deleted or replaced since); after the last action, note the run
 * as lastEvaluatedAt (3.6).
 */
static int
policy_check(struct core_lifecycle_run *run, bool is_last, bool *is_same)
{
	struct call *call = run->call;
	struct store_doc doc;
	int rc;

	memset(&doc, 0, sizeof doc);
	rc = store_repo_doc_get(call->txn, run->set.repo_id,
	    STORE_DOC_LIFECYCLE_POLICY, &doc);
	*is_same = rc == 0 && doc.at_ms == run->policy_at_ms &&
	           strcmp(doc.text, run->policy->normalised) == 0;
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0 && *is_same && is_last) {
		doc.aux_ms = call->now_ms;
		rc = store_repo_doc_put(call->txn, run->set.repo_id,
		    STORE_DOC_LIFECYCLE_POLICY, &doc);
	}
	store_doc_release(&doc);
	return rc == 0 ? 0 : core_fail_store(call, rc);
}

/* lifecycleEventImageActions' entry for an image act expired. */
static void
audit_note(struct core_lifecycle_run *run, const struct lifecycle_action *act)
{
	const struct lifecycle_image *im = &run->set.v[act->image];
	struct json_object *e = jnew_obj(), *img = jnew_obj(), *tags;
	size_t i;

	jadd_str(img, "digest", im->digest);
	jadd_str(img, "tagStatus", im->n_tags != 0 ? "TAGGED" : "UNTAGGED");
	tags = jnew_arr();
	for (i = 0; i < im->n_tags && i < AUDIT_TAGS_MAX; i++)
		jpush_str(tags, im->tags[i]);
	jadd_obj(img, "tagList", tags);
	jadd_i64(img, "pushedAt", im->pushed_at_ms);
	jadd_obj(e, "lifecycleEventImage", img);
	jadd_i64(e, "rulePriority", act->rule_priority);
	if (run->expired == NULL)
		run->expired = jnew_arr();
	jpush(run->expired, e);
}

static int
apply_one(struct core_lifecycle_run *run, const struct lifecycle_action *act)
{
	struct call *call = run->call;
	size_t n = run->counts.n_expired;
	int rc;

	rc = core_lifecycle_apply(call, &run->set, act, &run->counts);
	if (rc == 0 && call->ctx->lc_audit != NULL && run->counts.n_expired > n)
		audit_note(run, act);
	if (rc == 0 && run->expired != NULL && run->repo == NULL) {
		run->repo = xcalloc(1, sizeof *run->repo);
		if ((rc = store_repo_get_by_id(call->txn, run->set.repo_id,
		         run->repo)) != 0)
			rc = core_fail_store(call, rc);
	}
	return rc;
}

/* The selection of the rule with priority in the canonical text's rules. */
static struct json_object *
selection_of(struct json_object *rules, int priority)
{
	struct json_object *r, *p;
	size_t i, n = rules != NULL ? json_object_array_length(rules) : 0;

	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(rules, i);
		p = jget(r, "rulePriority", json_type_int);
		if (p != NULL && json_object_get_int64(p) == priority)
			return json_object_get(jget(r, "selection",
			    json_type_object));
	}
	return NULL;
}

/*
 * lifecycleEventPolicy: the rules that expired the record's images (used,
 * by index), as the policy's canonical text has them (selection renamed).
 */
static struct json_object *
audit_policy(const struct core_lifecycle_run *run, const bool *used)
{
	const struct lifecycle_policy *p = run->policy;
	struct json_object *doc = NULL, *rules, *list, *r, *out;
	char id[72];
	size_t i;

	out = jnew_obj();
	list = jnew_arr();
	if (jparse_strict(p->normalised, strlen(p->normalised), &doc, NULL) ==
	    JPARSE_BAD)
		doc = NULL;
	rules = jget(doc, "rules", json_type_array);
	for (i = 0; i < p->n_rules; i++) {
		if (!used[i])
			continue;
		r = jnew_obj();
		jadd_i64(r, "rulePriority", p->rules[i].rule_priority);
		jadd_str(r, "description", p->rules[i].description);
		jadd_obj(r, "lifecycleEventSelection",
		    selection_of(rules, p->rules[i].rule_priority));
		/* Only expiries are recorded (3.5), in the text's word. */
		jadd_str(r, "action", "expire");
		jpush(list, r);
	}
	json_object_put(doc);
	jadd_obj(out, "lifecycleEventRules", list);
	jadd_i64(out, "lastEvaluatedAt", run->call->now_ms);
	/* [unconfirmed] ECR's values: the text's version, and its hash. */
	jadd_i64(out, "policyVersion", 1);
	sha256_digest_text(p->normalised, strlen(p->normalised), id);
	jadd_str(out, "policyId", strchr(id, ':') + 1);
	return out;
}

/* Mark in used the rule an image action (audit_note's) names. */
static void
rule_used(const struct lifecycle_policy *p, struct json_object *act, bool *used)
{
	struct json_object *prio = jget(act, "rulePriority", json_type_int);
	size_t i;

	for (i = 0; prio != NULL && i < p->n_rules; i++) {
		if (p->rules[i].rule_priority == json_object_get_int(prio))
			used[i] = true;
	}
}

/* After the slice's commit: its expiries to lc_audit, ten at a time. */
static void
audit_emit(struct core_lifecycle_run *run)
{
	struct core_ctx *ctx = run->call->ctx;
	struct json_object *d, *acts, *e;
	bool used[LIFECYCLE_RULES_MAX];
	size_t i, j, n = json_object_array_length(run->expired);

	for (i = 0; i < n; i += CORE_LC_AUDIT_IMAGES) {
		memset(used, 0, sizeof used);
		acts = jnew_arr();
		for (j = i; j < n && j < i + CORE_LC_AUDIT_IMAGES; j++) {
			e = json_object_array_get_idx(run->expired, j);
			rule_used(run->policy, e, used);
			jpush(acts, json_object_get(e));
		}
		d = jnew_obj();
		jadd_str(d, "repositoryName", run->repo->name);
		jadd_obj(d, "lifecycleEventPolicy", audit_policy(run, used));
		jadd_obj(d, "lifecycleEventImageActions", acts);
		ctx->lc_audit(ctx->lc_audit_arg, run->repo->registry_id,
		    run->repo->region, run->call->now_ms, d);
	}
}

/* Forget the slice's expiries (written, or not committed). */
static void
audit_reset(struct core_lifecycle_run *run)
{
	json_object_put(run->expired);
	run->expired = NULL;
}

static int
apply_slice(struct core_lifecycle_run *run)
{
	struct call *call = run->call;
	size_t end = run->next_act + APPLY_SLICE;
	bool is_same;
	int rc;

	if (end > run->n_acts)
		end = run->n_acts;
	if ((rc = store_txn_begin(call->ctx->store, NULL, true, &call->txn)) !=
	    0)
		return core_fail_store(call, rc);
	rc = policy_check(run, end == run->n_acts, &is_same);
	while (rc == 0 && is_same && run->next_act < end)
		rc = apply_one(run, &run->acts[run->next_act++]);
	if (rc != 0) {
		store_txn_abort(call->txn);
		call->txn = NULL;
		audit_reset(run);
		return -1;
	}
	rc = store_txn_commit(call->txn);
	call->txn = NULL;
	if (rc == 0 && run->expired != NULL)
		audit_emit(run);
	audit_reset(run);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (!is_same || run->next_act == run->n_acts) {
		run->n_repos_run += is_same;
		repo_end(run);
	}
	return 0;
}

bool
core_lifecycle_run_step(struct core_lifecycle_run *run)
{
	int rc = 0;

	switch (run->phase) {
	case PHASE_LIST:
		rc = list_step(run);
		break;
	case PHASE_LOAD:
		rc = load_slice(run);
		break;
	case PHASE_EVAL:
		eval_step(run);
		break;
	case PHASE_APPLY:
		rc = apply_slice(run);
		break;
	case PHASE_DONE:
		break;
	}
	if (rc != 0)
		run->phase = PHASE_DONE;
	return run->phase != PHASE_DONE;
}

void
core_lifecycle_run_counts(const struct core_lifecycle_run *run, size_t *n_repos,
    size_t *n_expired, size_t *n_transitioned)
{
	*n_repos = run->n_repos_run;
	*n_expired = run->counts.n_expired;
	*n_transitioned = run->counts.n_transitioned;
}

struct call *
core_lifecycle_run_result(struct core_lifecycle_run *run)
{
	struct call *call = run->call;

	if (call->err.code == ERR_NONE && call->out == NULL) {
		call->out = jnew_obj();
		jadd_i64(call->out, "expired", (int64_t)run->counts.n_expired);
		jadd_i64(call->out, "transitioned",
		    (int64_t)run->counts.n_transitioned);
	}
	return call;
}
