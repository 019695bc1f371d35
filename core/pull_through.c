/*
 * Pulling through the cache (docs/ecr-behaviour.md 3.9): a pull of
 * <prefix>/<upstream path> that misses, or names a tag not checked for a
 * while, fetches the manifest from the rule's upstream, stores it byte for
 * byte in a repository made as ECR makes it, then runs the pull again.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/sha256.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"

#define SEEN_MAX 4096 /* tags remembered as checked */
#define ACCEPT_ALL                                                             \
	"application/vnd.oci.image.index.v1+json, "                            \
	"application/vnd.oci.image.manifest.v1+json, "                         \
	"application/vnd.docker.distribution.manifest.list.v2+json, "          \
	"application/vnd.docker.distribution.manifest.v2+json"

/*
 * When a cached tag was last checked upstream: kept in the store (so a
 * restart does not check every tag again at once; written with the
 * manifest the check brought), and remembered here once read.
 */
struct core_ptc_seen {
	char *key; /* registry/region/repository:tag */
	int64_t at_ms;
};

struct ptc_pull {
	struct call *call;
	char *name;       /* the repository */
	char *ref;        /* tag or digest */
	struct buf body;  /* the manifest, once fetched */
	char *media_type; /* its Content-Type's, or NULL */
	char digest[72];
	char *prefix; /* the rule's, for the event */
	char *url;
};

static char *
seen_key(const struct call *call, const char *name, const char *tag)
{
	return xasprintf("%s/%s/%s:%s", call->registry_id, call->id.region,
	    name, tag);
}

/* The store's name for a tag's check: the hash of repository and tag. */
static void
checked_prefix(const char *name, const char *tag, char out[72])
{
	size_t nlen = strlen(name), tlen = strlen(tag);
	char *both = xmalloc(nlen + 1 + tlen);

	memcpy(both, name, nlen);
	both[nlen] = '\0';
	memcpy(both + nlen + 1, tag, tlen);
	sha256_digest_text(both, nlen + 1 + tlen, out);
	free(both);
	memmove(out, out + strlen("sha256:"), 65);
}

static void seen_put(struct call *, const char *name, const char *tag,
    int64_t at_ms);

/* When the store says the tag was last checked, or -1. */
static int64_t
checked_load(struct call *call, const char *name, const char *tag)
{
	struct store_doc doc;
	char prefix[72];
	int64_t at_ms = -1;

	checked_prefix(name, tag, prefix);
	memset(&doc, 0, sizeof doc);
	if (call->txn != NULL &&
	    store_template_get(call->txn, call->registry_id, call->id.region,
	        STORE_TEMPLATE_PTC_CHECKED, prefix, &doc) == STORE_OK)
		at_ms = doc.at_ms;
	store_doc_release(&doc);
	return at_ms;
}

/* In the write that stores what the check brought: when it was. */
static int
checked_save(struct call *w, const char *name, const char *tag)
{
	char prefix[72], text[] = "{}";
	struct store_doc doc;
	int rc;

	checked_prefix(name, tag, prefix);
	memset(&doc, 0, sizeof doc);
	doc.text = text;
	doc.len = strlen(text);
	doc.at_ms = doc.aux_ms = w->now_ms;
	rc = store_template_update(w->txn, w->registry_id, w->id.region,
	    STORE_TEMPLATE_PTC_CHECKED, prefix, &doc);
	if (rc == STORE_NOTFOUND)
		rc = store_template_create(w->txn, w->registry_id, w->id.region,
		    STORE_TEMPLATE_PTC_CHECKED, prefix, &doc);
	return rc == 0 ? 0 : core_fail_store(w, rc);
}

bool
core_ptc_is_fresh(struct call *call, const char *name, const char *tag)
{
	struct core_ctx *ctx = call->ctx;
	char *key = seen_key(call, name, tag);
	int64_t at_ms = -1;
	size_t i;

	for (i = 0; i < ctx->n_seen && at_ms < 0; i++) {
		if (strcmp(ctx->seen[i].key, key) == 0)
			at_ms = ctx->seen[i].at_ms;
	}
	free(key);
	if (at_ms < 0 && (at_ms = checked_load(call, name, tag)) >= 0)
		seen_put(call, name, tag, at_ms);
	return at_ms >= 0 &&
	       call->now_ms - at_ms < (int64_t)ctx->cfg.ptc_refresh_sec * 1000;
}

static void
seen_mark(struct call *call, const char *name, const char *tag)
{
	seen_put(call, name, tag, call->now_ms);
}

static void
seen_put(struct call *call, const char *name, const char *tag, int64_t at_ms)
{
	struct core_ctx *ctx = call->ctx;
	char *key = seen_key(call, name, tag);
	size_t i;

	for (i = 0; i < ctx->n_seen; i++) {
		if (strcmp(ctx->seen[i].key, key) == 0) {
			free(key);
			ctx->seen[i].at_ms = at_ms;
			return;
		}
	}
	if (ctx->n_seen == SEEN_MAX) {
		/* Forgotten: the next pull checks upstream once more. */
		free(ctx->seen[0].key);
		memmove(ctx->seen, ctx->seen + 1,
		    --ctx->n_seen * sizeof *ctx->seen);
	}
	ctx->seen =
	    xreallocarray(ctx->seen, ctx->n_seen + 1, sizeof *ctx->seen);
	ctx->seen[ctx->n_seen].key = key;
	ctx->seen[ctx->n_seen++].at_ms = at_ms;
}

void
core_ptc_seen_free(struct core_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->n_seen; i++)
		free(ctx->seen[i].key);
	free(ctx->seen);
}

/*
 * The rule whose prefix is the longest that name starts with (a '/'
 * implied after it), else ROOT's: 0 with *out (NULL when none; put it)
 * and *rest, where the upstream path starts in name; or -1.
 */
static int
rule_find(struct call *call, const char *name, struct json_object **out,
    const char **rest)
{
	char prefix[STORE_REPO_NAME_MAX + 1], *slash;
	int64_t created, updated;
	int rc;

	*out = NULL;
	str_copy(prefix, sizeof prefix, name);
	while ((slash = strrchr(prefix, '/')) != NULL) {
		*slash = '\0';
		rc = core_record_load(call, STORE_TEMPLATE_PTC_RULE, prefix,
		    out, &created, &updated);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			*rest = name + strlen(prefix) + 1;
			return 0;
		}
	}
	rc = core_record_load(call, STORE_TEMPLATE_PTC_RULE, CORE_PREFIX_ROOT,
	    out, &created, &updated);
	*rest = name;
	return rc < 0 ? -1 : 0;
}

/*
 * The repository path upstream: under the ecr upstream's
 * upstreamRepositoryPrefix; Docker Hub's official images under library/
 * (ecr-integrations.md 7.2). The caller frees it.
 */
static char *
upstream_path(struct json_object *rule, const char *rest)
{
	const char *up = jget_str(rule, "upstreamRepositoryPrefix");
	const char *kind = jget_str(rule, "upstreamRegistry");

	if (up != NULL && strcmp(up, CORE_PREFIX_ROOT) != 0)
		return xasprintf("%s/%s", up, rest);
	if (kind != NULL && strcmp(kind, "docker-hub") == 0 &&
	    strchr(rest, '/') == NULL)
		return xasprintf("library/%s", rest);
	return xstrdup(rest);
}

/*
 * Run the op again, as it asked, now the upstream has answered; it may
 * ask again, and is finished once it does not.
 */
void
core_ptc_rerun(struct call *call)
{
	int rc;

	if (call->err.code == ERR_NONE &&
	    (rc = store_txn_begin(call->ctx->store, NULL, false, &call->txn)) !=
	        0)
		core_fail_store(call, rc);
	else if (call->err.code == ERR_NONE) {
		rc = call->op->exec(call);
		store_txn_abort(call->txn);
		call->txn = NULL;
		/* More upstream work (BatchGetImage's next id): not yet. */
		if (rc == CALL_PENDING)
			return;
	}
	call_finish(call);
}

static void
write_committed(void *arg)
{
	call_finish(arg);
}

void
core_ptc_write(struct call *w)
{
	struct core_ctx *ctx = w->ctx;

	if (ctx->net.queue_write != NULL) {
		ctx->net.queue_write(ctx->net.arg, w);
		return;
	}
	/*
	 * No loop (stopping, a test): a commit of its own, which ends at
	 * once without the store's writer thread.
	 */
	call_batch_run(ctx, &w, 1, write_committed, w);
}

void
core_write_done(struct call *w)
{
	call_finish(w);
}

struct call *
core_ptc_write_call(struct call *call, const struct op *op, void *owned,
    void (*proto_free)(void *))
{
	struct call *w = call_new(call->ctx, call->request_id, call->now_ms);

	w->op = op;
	w->id = call->id;
	str_copy(w->registry_id, sizeof w->registry_id, call->registry_id);
	str_copy(w->source_ip, sizeof w->source_ip, call->source_ip);
	call_set_proto(w, owned, proto_free);
	return w;
}

/*
 * A sync's event (integrations 1.6): SUCCESS with the manifest the cache
 * now holds, or FAILED with a failure-code and failure-reason of ours
 * [unconfirmed: ECR documents the keys, not their values]. The cached
 * repository's account and region; owned, or NULL when none is wanted.
 */
static struct core_event *
sync_event(struct call *call, const struct ptc_pull *pp, const char *code,
    const char *reason)
{
	struct core_event *ev;

	if (!core_events_wanted(call->ctx))
		return NULL;
	ev =
	    core_event_new(call->ctx, CORE_EVENT_PULLTHROUGH, call->registry_id,
	        call->id.region, pp->name, code == NULL ? pp->digest : NULL);
	ev->at_ms = call->now_ms;
	ev->is_failure = code != NULL;
	core_event_set(&ev->ptc_prefix, pp->prefix);
	core_event_set(&ev->upstream_url, pp->url);
	if (str_has_prefix(pp->ref, "sha256:"))
		core_event_set(&ev->digest, pp->ref);
	else
		core_event_set(&ev->tag, pp->ref);
	core_event_set(&ev->failure_code, code);
	core_event_set(&ev->failure_reason, reason);
	return ev;
}

/* A failed sync's event: nothing commits, so it goes out now. */
static void
sync_failed(struct call *call, const struct ptc_pull *pp, const char *code,
    const char *reason)
{
	struct core_event *ev;

	if ((ev = sync_event(call, pp, code, reason)) != NULL)
		core_event_emit_now(call->ctx, ev);
}

/* Store what came, as a push would, in the group commit (STYLE.md 7.7). */
static int
store_manifest(struct call *w)
{
	struct ptc_pull *pp = w->proto;
	struct store_repo repo;
	struct core_image_put in;
	struct core_image_result res;
	struct core_event *ev;

	memset(&in, 0, sizeof in);
	in.manifest = pp->body.data;
	in.len = pp->body.len;
	in.media_type = pp->media_type;
	in.tag = str_has_prefix(pp->ref, "sha256:") ? NULL : pp->ref;
	in.digest = pp->digest;
	/* Layers and children come later, when asked for. */
	w->is_pull_through = true;
	if (core_repo_get_or_create_for_pull(w, pp->name, &repo) == 0 &&
	    core_image_put(w, &repo, &in, &res) != 0 &&
	    w->err.code == ERR_IMAGE_ALREADY_EXISTS)
		ecr_error_clear(&w->err);
	if (w->err.code == ERR_NONE && in.tag != NULL)
		(void)checked_save(w, pp->name, in.tag);
	if (w->err.code != ERR_NONE)
		return -1;
	/* Synced: stored now, or found as it was; after the commit. */
	if ((ev = sync_event(w, pp, NULL, NULL)) != NULL)
		core_events_add(&w->events, ev);
	return 0;
}

static const struct op ptc_manifest_op = {
    .name = "PullThroughCacheManifest",
    .flags = OP_TXN_WRITE,
    .exec = store_manifest,
};

static void
ptc_pull_free(void *arg)
{
	struct ptc_pull *pp = arg;

	buf_release(&pp->body);
	free(pp->media_type);
	free(pp->name);
	free(pp->ref);
	free(pp->prefix);
	free(pp->url);
	free(pp);
}

/* The pull's end: note the tag as checked, run the op again. */
static void
pull_end(struct call *call, struct ptc_pull *pp)
{
	if (call->ptc_state != CORE_PTC_UNAVAILABLE &&
	    !str_has_prefix(pp->ref, "sha256:"))
		seen_mark(call, pp->name, pp->ref);
	ptc_pull_free(pp);
	core_ptc_rerun(call);
}

/* The manifest's records are durable, or failed: the pull goes on. */
static void
manifest_written(struct call *w, void *arg)
{
	struct call *call = arg;
	struct ptc_pull *pp = w->proto;

	w->proto = NULL;
	w->proto_free = NULL;
	if (w->err.code == ERR_NONE)
		call->ptc_state = CORE_PTC_STORED;
	else if (w->err.code == ERR_ACCESS_DENIED) {
		/* A pull refused in strict mode is refused. */
		call->err = w->err;
		w->err.extra = NULL;
		w->err.code = ERR_NONE;
	} else
		/* Not cached. */
		log_warn("pull through %s: %s", pp->name, w->err.message);
	call_free(w);
	pull_end(call, pp);
}

/* A manifest as it came: checked, then stored in the group commit. */
static void
manifest_store(struct call *call, struct ptc_pull *pp, struct up_xfer *x)
{
	struct call *w;
	char *semi;

	sha256_digest_text(x->body.data, x->body.len, pp->digest);
	if (str_has_prefix(pp->ref, "sha256:") &&
	    strcmp(pp->digest, pp->ref) != 0) {
		log_warn("pull through %s: upstream manifest is %s, not %s",
		    pp->name, pp->digest, pp->ref);
		sync_failed(call, pp, "DIGEST_MISMATCH",
		    "The upstream manifest does not have the digest asked for");
		pull_end(call, pp);
		return;
	}
	/* The type without its parameters. */
	if (x->content_type != NULL) {
		pp->media_type = xstrdup(x->content_type);
		if ((semi = strchr(pp->media_type, ';')) != NULL)
			*semi = '\0';
	}
	pp->body = x->body;
	buf_init(&x->body, 0);
	w = core_ptc_write_call(call, &ptc_manifest_op, pp, ptc_pull_free);
	call_on_finish(w, manifest_written, call);
	core_ptc_write(w);
}

static void
manifest_fetched(void *arg, struct up_xfer *x, const char *failure)
{
	struct ptc_pull *pp = arg;
	struct call *call = pp->call;

	call->ptc_state = CORE_PTC_UNAVAILABLE;
	if (x == NULL) {
		log_warn("pull through %s: %s", pp->name, failure);
		sync_failed(call, pp, "UPSTREAM_UNREACHABLE", failure);
	} else if (x->status == 404) {
		call->ptc_state = CORE_PTC_MISSING;
		sync_failed(call, pp, "IMAGE_NOT_FOUND",
		    "The image does not exist in the upstream registry");
	} else if (x->status != 200 || buf_failed(&x->body) ||
	           x->body.data == NULL) {
		log_warn("pull through %s: upstream answered HTTP %ld",
		    pp->name, x->status);
		sync_failed(call, pp, "UPSTREAM_ERROR",
		    "The upstream registry did not answer with the manifest");
	} else {
		manifest_store(call, pp, x);
		up_xfer_free(x);
		return;
	}
	up_xfer_free(x);
	pull_end(call, pp);
}

bool
core_ptc_rule_is_ecr(struct json_object *rule)
{
	const char *kind = jget_str(rule, "upstreamRegistry");

	return kind != NULL && strcmp(kind, "ecr") == 0;
}

/*
 * Where name's pulls go: the rule's upstream base URL, the path there and
 * the credentials (borrowed from --secrets until the call returns).
 * 1 with *t, 0 when no rule matches, -1 with the call's error.
 */
int
core_ptc_target(struct call *call, const char *name, struct core_ptc_target *t)
{
	struct json_object *rule;
	const char *rest, *cred;

	memset(t, 0, sizeof *t);
	if (rule_find(call, name, &rule, &rest) != 0)
		return -1;
	if (rule == NULL)
		return 0;
	cred = jget_str(rule, "credentialArn");
	if (cred != NULL && (call->ctx->secret_get == NULL ||
	                        call->ctx->secret_get(call->ctx, cred, &t->user,
	                            &t->token) != 0))
		t->user = t->token = NULL; /* anonymous: upstream decides */
	if (core_ptc_rule_is_ecr(rule)) {
		t->ecr_host = xstrdup(jget_str(rule, "upstreamRegistryUrl"));
		cred = jget_str(rule, "customRoleArn");
		t->role_arn = cred != NULL ? xstrdup(cred) : NULL;
	}
	t->base = up_base_url(call->ctx, jget_str(rule, "upstreamRegistryUrl"));
	t->path = upstream_path(rule, rest);
	t->prefix = xstrdup(jget_str(rule, "ecrRepositoryPrefix") != NULL
	                        ? jget_str(rule, "ecrRepositoryPrefix")
	                        : "");
	t->url = xstrdup(jget_str(rule, "upstreamRegistryUrl") != NULL
	                     ? jget_str(rule, "upstreamRegistryUrl")
	                     : "");
	t->scope = xasprintf("repository:%s:pull", t->path);
	json_object_put(rule);
	return 1;
}

void
core_ptc_target_free(struct core_ptc_target *t)
{
	free(t->base);
	free(t->path);
	free(t->scope);
	free(t->ecr_host);
	free(t->role_arn);
	free(t->prefix);
	free(t->url);
}

void
core_ptc_target_cred(const struct core_ptc_target *t, struct up_cred *c)
{
	c->user = t->user;
	c->password = t->token;
	c->ecr_host = t->ecr_host;
	c->role_arn = t->role_arn;
}

int
core_ptc_pull_manifest(struct call *call, const char *name, const char *ref,
    const char *accept)
{
	struct core_ptc_target t;
	struct up_cred cred;
	struct ptc_pull *pp;
	char *url;
	int rc;

	if ((rc = core_ptc_target(call, name, &t)) != 1)
		return rc;
	url = xasprintf("%s/v2/%s/manifests/%s", t.base, t.path, ref);
	pp = xcalloc(1, sizeof *pp);
	pp->call = call;
	pp->name = xstrdup(name);
	pp->ref = xstrdup(ref);
	pp->prefix = t.prefix;
	pp->url = t.url;
	t.prefix = t.url = NULL;
	/* The fetch copies what it keeps; the secrets may go. */
	core_ptc_target_cred(&t, &cred);
	up_fetch_start(call->ctx, url, accept != NULL ? accept : ACCEPT_ALL,
	    &cred, t.scope, NULL, manifest_fetched, pp);
	free(url);
	core_ptc_target_free(&t);
	return CALL_PENDING;
}
