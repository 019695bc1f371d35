/*
 * Replication (docs/ecr-behaviour.md 3.8, issue 14): a push that a
 * registry's replication configuration covers adds a durable job per
 * destination in the push's own txn. Jobs are drained in bounded slices
 * (STYLE.md 7.7), copying each image's records into the destination's
 * registry: first through the group commit, a slice after the batch's
 * calls in its txn (so a copy costs no sync of its own and is durable
 * with the push), then, for what is left or held back, slices of a
 * background run in short txns of their own between requests. Blobs are
 * shared by content, so no file is copied.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "store/store.h"

/* An index's children are copied with it, one level down at most. */
#define REPL_DEPTH_MAX 2

/*
 * The regions a replication destination may name: AWS's, as ECR checks
 * them; a name only shaped like one ("xx-test-1") is refused.
 */
static const char *const regions[] = {
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
};

bool
core_repl_region_is_known(const char *region)
{
	size_t i;

	for (i = 0; i < sizeof regions / sizeof regions[0]; i++) {
		if (strcmp(regions[i], region) == 0)
			return true;
	}
	return false;
}

int
core_repl_config_load(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	int rc = core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_REPLICATION, json_type_object, out);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0 && jget(*out, "rules", json_type_array) == NULL) {
		json_object_put(*out);
		*out = NULL;
		rc = STORE_CORRUPT;
	}
	return rc;
}

/* No filters: every repository; else a PREFIX_MATCH on the name (3.8). */
static bool
rule_matches(struct json_object *rule, const char *name)
{
	struct json_object *filters, *f;
	const char *prefix;
	size_t i, n;

	if ((filters = jget(rule, "repositoryFilters", json_type_array)) ==
	    NULL)
		return true;
	n = json_object_array_length(filters);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(filters, i);
		if ((prefix = jget_str(f, "filter")) != NULL &&
		    str_has_prefix(name, prefix))
			return true;
	}
	return false;
}

bool
core_repl_dest_seen(struct call *call, struct json_object *seen,
    const char *registry_id, const char *region)
{
	const char *key = call_printf(call, "%s/%s", registry_id, region);

	if (jget(seen, key, json_type_boolean) != NULL)
		return true;
	jadd_bool(seen, key, true);
	return false;
}

/* Add a job and its IN_PROGRESS status, unless that destination has one. */
static int
enqueue_one(struct call *call, struct store_repl_job *job,
    const struct store_repo *repo, struct json_object *dest,
    struct json_object *seen)
{
	struct store_repl_status st;
	const char *reg = jget_str(dest, "registryId");
	const char *region = jget_str(dest, "region");
	int rc;

	if (reg == NULL || region == NULL)
		return STORE_CORRUPT;
	if (core_repl_dest_seen(call, seen, reg, region))
		return 0;
	str_copy(job->dest_registry_id, sizeof job->dest_registry_id, reg);
	str_copy(job->dest_region, sizeof job->dest_region, region);
	if ((rc = store_repl_job_add(call->txn, job)) != 0)
		return rc;
	memset(&st, 0, sizeof st);
	str_copy(st.registry_id, sizeof st.registry_id, reg);
	str_copy(st.region, sizeof st.region, region);
	st.state = STORE_REPL_IN_PROGRESS;
	return store_repl_status_put(call->txn, repo->id, job->digest, &st);
}

static void
job_init(struct call *call, const struct store_repo *repo, const char *digest,
    const char *tag, struct store_repl_job *job)
{
	memset(job, 0, sizeof *job);
	job->repo_id = repo->id;
	job->pushed_at_ms = call->now_ms;
	str_copy(job->registry_id, sizeof job->registry_id, repo->registry_id);
	str_copy(job->region, sizeof job->region, repo->region);
	str_copy(job->name, sizeof job->name, repo->name);
	str_copy(job->digest, sizeof job->digest, digest);
	str_copy(job->tag, sizeof job->tag, tag != NULL ? tag : "");
}

int
core_repl_enqueue(struct call *call, const struct store_repo *repo,
    const char *digest, const char *tag)
{
	struct json_object *config = NULL, *seen = NULL, *rules, *rule, *dests;
	struct store_repl_job job;
	size_t i, j, n;
	int rc;

	/* No chaining: a copy is never replicated again (3.8). */
	if (call->is_replica || call->is_pull_through)
		return 0;
	if ((rc = core_repl_config_load(call->txn, repo->registry_id,
	         repo->region, &config)) != 0)
		return core_fail_store(call, rc);
	if (config == NULL)
		return 0;
	job_init(call, repo, digest, tag, &job);
	seen = json_object_new_object();
	rules = jget(config, "rules", json_type_array);
	n = json_object_array_length(rules);
	for (i = 0, rc = 0; rc == 0 && i < n; i++) {
		rule = json_object_array_get_idx(rules, i);
		if (!rule_matches(rule, repo->name) ||
		    (dests = jget(rule, "destinations", json_type_array)) ==
		        NULL)
			continue;
		for (j = 0; rc == 0 && j < json_object_array_length(dests); j++)
			rc = enqueue_one(call, &job, repo,
			    json_object_array_get_idx(dests, j), seen);
	}
	json_object_put(seen);
	json_object_put(config);
	if (rc != 0)
		return core_fail_store(call, rc);
	/* The batch's commit copies it (core_repl_apply). */
	if (job.seq != 0)
		call->ctx->is_repl_pending = true;
	return 0;
}

bool
core_repl_take_due(struct core_ctx *ctx)
{
	bool is_due = ctx->is_repl_due;

	ctx->is_repl_due = false;
	return is_due;
}

/*
 * Failure codes of DescribeImageReplicationStatus. ECR documents the
 * member (ReplicationError) but not its values: these names are ecrd's
 * [unconfirmed] (docs/ecr-behaviour.md 3.8).
 */
#define REPL_ACCESS_DENIED "ACCESS_DENIED"
#define REPL_CREATE_DENIED "REPOSITORY_CREATION_DENIED"
#define REPL_LIMIT_EXCEEDED "LIMIT_EXCEEDED"
#define REPL_IMAGE_NOT_FOUND "IMAGE_NOT_FOUND"
#define REPL_INVALID_IMAGE "INVALID_IMAGE"
#define REPL_INTERNAL "INTERNAL_ERROR"

struct core_repl {
	struct core_ctx *ctx;
	size_t n_done;
	int rc;
	/*
	 * A job's source and destination repositories (22 KB each), made
	 * once per run rather than per job. The source is kept across the
	 * jobs of a slice, which a push adds one per destination of the same
	 * image: copies write only destinations, so it stays as read.
	 */
	struct store_repo *repos;
	bool has_src;
	struct core_events events; /* the step's, until its commit */
};

/* The failure code of an error a copy met at the destination. */
static const char *
failure_of(const struct call *call)
{
	switch (call->err.code) {
	case ERR_LIMIT_EXCEEDED:
		return REPL_LIMIT_EXCEEDED;
	case ERR_IMAGE_NOT_FOUND:
		return REPL_IMAGE_NOT_FOUND;
	case ERR_INVALID_PARAMETER:
	case ERR_LAYERS_NOT_FOUND:
	case ERR_REFERENCED_IMAGES_NOT_FOUND:
	case ERR_IMAGE_TAG_ALREADY_EXISTS:
		return REPL_INVALID_IMAGE;
	default:
		return REPL_INTERNAL;
	}
}

/*
 * Across accounts, the destination registry's policy must allow the
 * source account action on the repository, as configuration rather than a
 * caller's authorization: in permissive mode too (3.5, 3.8).
 */
static int
may(struct call *call, const struct store_repl_job *job, const char *action,
    const char *code, const char **failure)
{
	bool allowed = false;
	int rc;

	if (strcmp(job->registry_id, job->dest_registry_id) == 0)
		return 0;
	rc = core_authz_replicate(call->ctx, call->txn, job->registry_id,
	    job->dest_registry_id, job->dest_region, job->name, action,
	    call->now_ms, &allowed);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (allowed)
		return 0;
	*failure = code;
	return core_fail(call, ERR_ACCESS_DENIED,
	    "The registry policy of '%s' in '%s' does not allow %s for "
	    "account '%s'",
	    job->dest_registry_id, job->dest_region, action, job->registry_id);
}

/* Give the destination repository a layer record of each blob it lacks. */
static int
copy_layers(struct call *call, uint64_t src_id, uint64_t dst_id,
    const struct store_image *img)
{
	struct store_layer layer;
	size_t i;
	int rc;

	for (i = 0; i < img->n_refs; i++) {
		rc = store_layer_get(call->txn, dst_id, img->refs[i], &layer);
		if (rc == 0)
			continue;
		if (rc == STORE_NOTFOUND)
			rc = store_layer_get(call->txn, src_id, img->refs[i],
			    &layer);
		if (rc == STORE_NOTFOUND)
			continue; /* the source lacks it too (relaxed) */
		if (rc != 0)
			return core_fail_store(call, rc);
		layer.repo_id = dst_id;
		layer.created_at_ms = call->now_ms;
		rc = store_layer_add(call->txn, &layer);
		if (rc != 0 && rc != STORE_EXISTS)
			return core_fail_store(call, rc);
	}
	return 0;
}

/*
 * An immutable destination keeps its tag: the image arrives without it
 * (3.8). NULL, or the tag to set.
 */
static const char *
tag_at(struct call *call, const struct store_repo *dst, const char *tag,
    const char *digest)
{
	char current[STORE_DIGEST_MAX + 1];

	if (tag == NULL || !core_tag_is_immutable(dst, tag) ||
	    store_tag_get(call->txn, dst->id, tag, current) != 0 ||
	    strcmp(current, digest) == 0)
		return tag;
	return NULL;
}

static int copy_image(struct call *, const struct store_repo *src,
    const struct store_repo *dst, const char *digest, const char *tag,
    int depth);

static int
copy_children(struct call *call, const struct store_repo *src,
    const struct store_repo *dst, const struct store_image *img, int depth)
{
	size_t i;

	if (depth >= REPL_DEPTH_MAX)
		return 0;
	for (i = 0; i < img->n_refs; i++) {
		if (copy_image(call, src, dst, img->refs[i], NULL, depth + 1) !=
		    0)
			return -1;
	}
	return 0;
}

/* Put the manifest as a push would; already there is as good. */
static int
put_copy(struct call *call, const struct store_repo *dst,
    const struct store_image *img, const char *manifest, size_t len,
    const char *tag)
{
	struct core_image_put in;
	struct core_image_result res;

	memset(&in, 0, sizeof in);
	in.manifest = manifest;
	in.len = len;
	in.media_type = img->manifest_media_type;
	in.tag = tag_at(call, dst, tag, img->digest);
	in.digest = img->digest;
	if (core_image_put(call, dst, &in, &res) == 0)
		return 0;
	if (call->err.code != ERR_IMAGE_ALREADY_EXISTS)
		return -1;
	ecr_error_clear(&call->err);
	return 0;
}

static int
copy_image(struct call *call, const struct store_repo *src,
    const struct store_repo *dst, const char *digest, const char *tag,
    int depth)
{
	struct store_image img;
	char *manifest = NULL;
	size_t len;
	int rc;

	memset(&img, 0, sizeof img);
	if (tag == NULL &&
	    (rc = store_image_get(call->txn, dst->id, digest, &img)) == 0) {
		store_image_release(&img);
		return 0;
	}
	rc = store_image_get(call->txn, src->id, digest, &img);
	if (rc == STORE_NOTFOUND)
		return core_fail_image_not_found(call, src, digest, tag);
	if (rc != 0)
		return core_fail_store(call, rc);
	if ((rc = store_manifest_get(call->txn, src->id, digest, &manifest,
	         &len)) != 0)
		rc = core_fail_store(call, rc);
	else if (img.kind == STORE_IMAGE_INDEX)
		rc = copy_children(call, src, dst, &img, depth);
	else
		rc = copy_layers(call, src->id, dst->id, &img);
	if (rc == 0)
		rc = put_copy(call, dst, &img, manifest, len, tag);
	free(manifest);
	store_image_release(&img);
	return rc;
}

/* The destination repository, made if missing (3.8, 3.10). */
static int
dest_repo(struct call *call, const struct store_repl_job *job,
    struct store_repo *out, const char **failure)
{
	int rc;

	rc = store_repo_get(call->txn, job->dest_registry_id, job->dest_region,
	    job->name, out);
	if (rc == 0)
		return 0;
	if (rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	if (may(call, job, "ecr:CreateRepository", REPL_CREATE_DENIED,
	        failure) != 0)
		return -1;
	return core_repo_create_for_replica(call, job->name, out);
}

/*
 * Copy the job's image in call->txn: 0, 1 when there is nothing to do
 * (the source repository is gone), or -1 with the call's error (and
 * *failure set when a policy refused it).
 */
static int
replicate(struct core_repl *r, struct call *call,
    const struct store_repl_job *job, const char **failure)
{
	struct store_repo *src, *dst;
	int rc = 0;

	if (r->repos == NULL)
		r->repos = xcalloc(2, sizeof *r->repos);
	src = r->repos;
	dst = src + 1;
	if (!r->has_src || src->id != job->repo_id ||
	    strcmp(src->registry_id, job->registry_id) != 0 ||
	    strcmp(src->region, job->region) != 0 ||
	    strcmp(src->name, job->name) != 0)
		rc = store_repo_get(call->txn, job->registry_id, job->region,
		    job->name, src);
	r->has_src = rc == 0 && src->id == job->repo_id;
	if (rc == STORE_NOTFOUND || (rc == 0 && src->id != job->repo_id))
		rc = 1;
	else if (rc != 0)
		rc = core_fail_store(call, rc);
	else if ((rc = may(call, job, "ecr:ReplicateImage", REPL_ACCESS_DENIED,
	              failure)) == 0 &&
	         (rc = dest_repo(call, job, dst, failure)) == 0)
		rc = copy_image(call, src, dst, job->digest,
		    job->tag[0] != '\0' ? job->tag : NULL, 0);
	return rc;
}

/* The status a job ends with, from what its copy said. */
static void
status_of(const struct call *call, const struct store_repl_job *job,
    const char *failure, struct store_repl_status *st)
{
	memset(st, 0, sizeof *st);
	str_copy(st->registry_id, sizeof st->registry_id,
	    job->dest_registry_id);
	str_copy(st->region, sizeof st->region, job->dest_region);
	if (call->err.code == ERR_NONE) {
		st->state = STORE_REPL_COMPLETE;
		return;
	}
	st->state = STORE_REPL_FAILED;
	str_copy(st->failure_code, sizeof st->failure_code,
	    failure != NULL ? failure : failure_of(call));
}

/*
 * A copy's event, raised in the destination as ECR does (integrations
 * 1.7): SUCCESS or FAILED, from the job's own status.
 */
static void
note_copy(struct core_repl *r, const struct store_repl_job *job,
    const struct store_repl_status *st, int64_t now_ms)
{
	struct core_event *ev;

	if (!core_events_wanted(r->ctx))
		return;
	ev = core_event_new(r->ctx, CORE_EVENT_REPLICATION,
	    job->dest_registry_id, job->dest_region, job->name, job->digest);
	ev->at_ms = now_ms;
	ev->is_failure = st->state != STORE_REPL_COMPLETE;
	core_event_set(&ev->tag, job->tag);
	core_event_set(&ev->source_account, job->registry_id);
	core_event_set(&ev->source_region, job->region);
	core_events_add(&r->events, ev);
}

/*
 * One job in parent txn t: the copy in a child txn of its own (kept on
 * success, dropped on failure), then the status and the job's removal.
 */
static int
run_job(struct core_repl *r, struct store_txn *t,
    const struct store_repl_job *job, int64_t now_ms)
{
	struct store_repl_status st;
	struct call *call;
	const char *failure = NULL;
	int rc;

	call = call_new(r->ctx, "replication", now_ms);
	call->is_replica = true;
	str_copy(call->registry_id, sizeof call->registry_id,
	    job->dest_registry_id);
	str_copy(call->id.account, sizeof call->id.account, job->registry_id);
	str_copy(call->id.region, sizeof call->id.region, job->dest_region);
	if ((rc = store_txn_begin(r->ctx->store, t, true, &call->txn)) != 0) {
		call_free(call);
		return rc;
	}
	rc = replicate(r, call, job, &failure);
	if (rc == 0)
		rc = store_txn_commit(call->txn);
	else
		store_txn_abort(call->txn);
	call->txn = NULL;
	if (rc < 0 && call->err.code == ERR_NONE)
		core_fail_store(call, rc);
	if (call->err.code != ERR_NONE && call->err.code != ERR_ACCESS_DENIED)
		log_warn("replication of %s/%s@%s to %s %s: %s",
		    job->registry_id, job->name, job->digest,
		    job->dest_registry_id, job->dest_region, call->err.message);
	status_of(call, job, failure, &st);
	if (rc != 1)
		note_copy(r, job, &st, now_ms);
	rc = rc == 1 ? 0
	             : store_repl_status_put(t, job->repo_id, job->digest, &st);
	if (rc == STORE_NOTFOUND)
		rc = 0; /* the source repository went meanwhile */
	call_free(call);
	if (rc == 0)
		rc = store_repl_job_delete(t, job->seq);
	return rc;
}

/*
 * Up to max due jobs in t: *next says what follows (CORE_REPL_WAIT with
 * *wake_at_ms the first job's due time). Jobs are due in the order they
 * were added, so the first one held back holds back the rest.
 */
static int
run_jobs(struct core_repl *r, struct store_txn *t, size_t max, int64_t now_ms,
    enum core_repl_next *next, int64_t *wake_at_ms)
{
	struct store_repl_job job;
	int64_t due;
	size_t i;
	int rc;

	*next = CORE_REPL_AGAIN;
	for (i = 0; i < max; i++) {
		memset(&job, 0, sizeof job);
		rc = store_repl_job_first(t, &job);
		if (rc == STORE_NOTFOUND) {
			*next = CORE_REPL_DONE;
			return 0;
		}
		if (rc != 0)
			return rc;
		/* The delay is the server's now, not the push's. */
		due = job.pushed_at_ms +
		      (int64_t)r->ctx->cfg.repl_delay_sec * 1000;
		if (due > now_ms) {
			*next = CORE_REPL_WAIT;
			*wake_at_ms = due;
			return 0;
		}
		if ((rc = run_job(r, t, &job, now_ms)) != 0)
			return rc;
		r->n_done++;
	}
	return 0;
}

/*
 * One slice of due jobs in a child of t, kept unless it failed (then no
 * job is taken off and the next slice tries again): what comes next.
 */
static enum core_repl_next
slice(struct core_repl *r, struct store_txn *t, int64_t *wake_at_ms)
{
	enum core_repl_next next = CORE_REPL_DONE;
	struct store_txn *child = NULL;
	size_t n_before = r->n_done;
	int rc;

	/* A new txn: the source is read again. */
	r->has_src = false;
	if ((rc = store_txn_begin(r->ctx->store, t, true, &child)) == 0) {
		rc = run_jobs(r, child, core_slice_begin(&r->ctx->repl_slice),
		    core_now_ms(r->ctx), &next, wake_at_ms);
		if (rc == 0)
			rc = store_txn_commit(child);
		else
			store_txn_abort(child);
		core_slice_end(&r->ctx->repl_slice);
	}
	if (rc != 0) {
		r->n_done = n_before;
		r->rc = rc;
		core_events_clear(&r->events);
		return CORE_REPL_DONE;
	}
	/* None left: pushes say when there are again. */
	if (next == CORE_REPL_DONE)
		r->ctx->is_repl_pending = false;
	return next;
}

void
core_repl_apply(struct core_ctx *ctx, struct store_txn *parent)
{
	struct core_repl r;
	int64_t wake;

	if (!ctx->is_repl_pending)
		return;
	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	if (slice(&r, parent, &wake) != CORE_REPL_DONE || r.rc != 0) {
		ctx->is_repl_due = true;
		if (r.rc != 0)
			log_warn("replication: %s", store_strerror(r.rc));
	}
	/* The copies' events go out after the group commit's own. */
	core_events_move(&ctx->batch_events, &r.events);
	free(r.repos);
}

struct core_repl *
core_repl_new(struct core_ctx *ctx)
{
	struct core_repl *r;

	r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	return r;
}

/*
 * A slice in a write txn of its own, committed (durably) only when it
 * did something.
 */
enum core_repl_next
core_repl_step(struct core_repl *r, int64_t *wake_at_ms)
{
	enum core_repl_next next;
	struct store_txn *t;
	size_t n_before = r->n_done;
	int rc;

	if ((rc = store_txn_begin(r->ctx->store, NULL, true, &t)) != 0) {
		r->rc = rc;
		return CORE_REPL_DONE;
	}
	next = slice(r, t, wake_at_ms);
	if (r->rc != 0 || r->n_done == n_before) {
		store_txn_abort(t);
		core_events_clear(&r->events);
		return next;
	}
	if ((rc = store_txn_commit(t)) != 0) {
		r->n_done = n_before;
		r->rc = rc;
		core_events_clear(&r->events);
		return CORE_REPL_DONE;
	}
	core_events_emit(r->ctx, &r->events);
	return next;
}

int
core_repl_result(const struct core_repl *r, size_t *n_done)
{
	*n_done = r->n_done;
	return r->rc;
}

void
core_repl_free(struct core_repl *r)
{
	if (r == NULL)
		return;
	core_events_clear(&r->events);
	free(r->repos);
	free(r);
}

int
core_repl_run(struct core_ctx *ctx, size_t *n_done)
{
	struct core_repl *r;
	int64_t wake;
	int rc;

	r = core_repl_new(ctx);
	while (core_repl_step(r, &wake) == CORE_REPL_AGAIN)
		;
	rc = core_repl_result(r, n_done);
	core_repl_free(r);
	return rc;
}
