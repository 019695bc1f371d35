/*
 * Strict mode's authorization (issue #5): may this principal perform
 * ecr:<Operation> on this resource? Decided as IAM does from the caller's
 * identity policies, the repository policy and, under registry policy
 * scope V2, the registry policy; denials are worded as AWS words them
 * (docs/ecr-behaviour.md 1.6, 3.5).
 */
#include "core/core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "policy/policy.h"
#include "store/store.h"

/* What the store says about the resource. */
struct authz_res {
	struct store_repo repo;
	size_t n_tags; /* 0 without a repo */
	struct policy_kv tags[STORE_REPO_TAGS_MAX];
	const struct policy *repo_policy; /* borrowed from the cache */
	const struct policy *registry_policy;
};

/*
 * Parsed resource policies, cached by their text so that a request costs
 * a lookup and a compare, not a parse: one direct-mapped table per kind,
 * so the repository and registry policies of one request never evict each
 * other while in use.
 */
#define POLICY_CACHE_SLOTS 64

struct policy_cache_slot {
	char *text;
	size_t len;
	struct policy *policy;
};

struct core_policy_cache {
	struct policy_cache_slot slots[2][POLICY_CACHE_SLOTS];
};

void
core_policy_cache_free(struct core_policy_cache *c)
{
	size_t k, i;

	if (c == NULL)
		return;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < POLICY_CACHE_SLOTS; i++) {
			free(c->slots[k][i].text);
			policy_free(c->slots[k][i].policy);
		}
	}
	free(c);
}

/*
 * The slot of a stored text: chosen by its length and set time, then
 * confirmed by comparing the whole text (memcmp, not a byte-wise hash:
 * policies run to 10 KB and this is on every request).
 */
static size_t
slot_of(const struct store_doc *doc)
{
	uint64_t h = (uint64_t)doc->at_ms * 1099511628211ULL ^ doc->len;

	return (size_t)(h % POLICY_CACHE_SLOTS);
}

/*
 * The parsed policy of a stored text (kind 0 repository, 1 registry),
 * borrowed until the next lookup of that kind. A stored text was checked
 * when it was set: failing to parse now is damage.
 */
static int
parse_stored(struct core_ctx *ctx, int kind, const struct store_doc *doc,
    const struct policy **out)
{
	struct policy_cache_slot *slot;
	struct policy *p;
	char *cause = NULL;

	if (ctx->pcache == NULL)
		ctx->pcache = xcalloc(1, sizeof *ctx->pcache);
	slot = &ctx->pcache->slots[kind][slot_of(doc)];
	if (slot->policy != NULL && slot->len == doc->len &&
	    memcmp(slot->text, doc->text, doc->len) == 0) {
		*out = slot->policy;
		return 0;
	}
	if (policy_parse(doc->text, doc->len, POLICY_RESOURCE, &p, &cause) !=
	    POLICY_OK) {
		log_error("a stored policy does not parse: %s",
		    cause != NULL ? cause : "?");
		free(cause);
		return STORE_CORRUPT;
	}
	free(slot->text);
	policy_free(slot->policy);
	slot->text = xmalloc(doc->len + 1);
	memcpy(slot->text, doc->text, doc->len + 1);
	slot->len = doc->len;
	slot->policy = p;
	*out = p;
	return 0;
}

static int
load_repo(struct core_ctx *ctx, struct store_txn *txn,
    const struct authz_req *r, bool want_policy, struct authz_res *res)
{
	struct store_doc doc;
	size_t i;
	int rc;

	if (r->repo_name == NULL)
		return 0;
	rc = store_repo_get(txn, r->registry_id, r->region, r->repo_name,
	    &res->repo);
	/* No repository: no policy, no tags; the handler says NotFound. */
	if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG)
		return 0;
	if (rc != 0)
		return rc;
	for (i = 0; i < res->repo.n_tags; i++) {
		res->tags[i].key = res->repo.tags[i].key;
		res->tags[i].value = res->repo.tags[i].value;
	}
	res->n_tags = res->repo.n_tags;
	if (!want_policy)
		return 0;
	memset(&doc, 0, sizeof doc);
	rc = store_repo_doc_get(txn, res->repo.id, STORE_DOC_REPO_POLICY, &doc);
	if (rc == 0)
		rc = parse_stored(ctx, 0, &doc, &res->repo_policy);
	store_doc_release(&doc);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/*
 * Scope V2 (the default) evaluates the registry policy on every request;
 * under V1 it serves replication and pull through cache only, which ecrd
 * does not run [unconfirmed which requests V1 still checks]
 * (docs/ecr-behaviour.md 3.5).
 */
static int
load_registry(struct core_ctx *ctx, struct store_txn *txn,
    const struct authz_req *r, struct authz_res *res)
{
	struct store_doc doc;
	char scope[16];
	int rc;

	rc = core_setting_get(txn, r->registry_id, r->region,
	    CORE_SETTING_POLICY_SCOPE, scope, sizeof scope);
	if (rc != 0 || strcmp(scope, "V2") != 0)
		return rc;
	memset(&doc, 0, sizeof doc);
	rc = store_registry_doc_get(txn, r->registry_id, r->region,
	    STORE_DOC_REGISTRY_POLICY, &doc);
	if (rc == 0)
		rc = parse_stored(ctx, 1, &doc, &res->registry_policy);
	store_doc_release(&doc);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/* aws:username exists for IAM users only: the name after the path. */
static const char *
iam_username(const char *arn)
{
	const char *p = arn;
	int i;

	if (!str_has_prefix(arn, "arn:"))
		return NULL;
	for (i = 0; i < 5; i++) {
		if ((p = strchr(p, ':')) == NULL)
			return NULL;
		p++;
	}
	if (strstr(arn, ":iam::") == NULL || !str_has_prefix(p, "user/"))
		return NULL;
	return strrchr(p, '/') + 1;
}

static void
request_init(struct policy_request *pr, const struct authz_req *r,
    const struct authz_res *res)
{
	memset(pr, 0, sizeof *pr);
	pr->action = r->action;
	pr->resource = r->resource;
	pr->principal_arn = r->principal_arn;
	pr->principal_account = r->account;
	pr->username = iam_username(r->principal_arn);
	pr->source_ip = r->source_ip;
	pr->now_ms = r->now_ms;
	pr->request_tags = r->request_tags;
	pr->n_request_tags = r->n_request_tags;
	pr->tag_keys = r->tag_keys;
	pr->n_tag_keys = r->n_tag_keys;
	pr->resource_tags = res->tags;
	pr->n_resource_tags = res->n_tags;
}

/*
 * Both resource policies speak for the registry's account: an allow from
 * either serves, a deny from either denies (IAM evaluation logic).
 */
static bool
decide(const struct policy *const *ids, size_t n_ids,
    const struct policy *repo_policy, const struct policy *registry_policy,
    const char *registry_id, const struct policy_request *pr, bool *deny)
{
	enum policy_effect e1, e2 = POLICY_DENY;
	bool d1, d2 = false;

	e1 = policy_decide(ids, n_ids, repo_policy, registry_id, pr, &d1);
	if (registry_policy != NULL && !d1)
		e2 = policy_decide(ids, n_ids, registry_policy, registry_id, pr,
		    &d2);
	*deny = d1 || d2;
	return !*deny && (e1 == POLICY_ALLOW || e2 == POLICY_ALLOW);
}

/* AWS's wording, from the identity side's own verdict (1.6). */
static void
deny_message(const struct authz_req *r, const struct policy *const *ids,
    size_t n_ids, const struct policy_request *pr, bool deny, char *msg,
    size_t size)
{
	enum policy_effect e;
	size_t i;
	bool id_allow = false, id_deny = false;

	for (i = 0; i < n_ids; i++) {
		e = policy_eval(ids[i], pr);
		id_deny = id_deny || e == POLICY_DENY;
		id_allow = id_allow || e == POLICY_ALLOW;
	}
	if (deny)
		snprintf(msg, size,
		    "User: %s is not authorized to perform: %s "
		    "on resource: %s with an explicit deny in %s",
		    r->principal_arn, r->action, r->resource,
		    id_deny ? "an identity-based policy"
		            : "a resource-based policy");
	else
		snprintf(msg, size,
		    "User: %s is not authorized to perform: %s "
		    "on resource: %s because no %s policy allows the %s action",
		    r->principal_arn, r->action, r->resource,
		    strcmp(r->account, r->registry_id) != 0 && id_allow
		        ? "resource-based"
		        : "identity-based",
		    r->action);
}

/*
 * Decide r as txn sees the store. override, when not NULL, stands for the
 * repository's stored policy. 0 with *allowed (and msg when denied), or a
 * STORE_* code.
 */
int
core_authz_eval(struct core_ctx *ctx, struct store_txn *txn,
    const struct authz_req *r, const struct policy *override, bool *allowed,
    char *msg, size_t size)
{
	struct authz_res res;
	struct policy_request pr;
	const struct policy *const *ids;
	size_t n_ids;
	bool deny;
	int rc;

	res.n_tags = 0;
	res.repo_policy = res.registry_policy = NULL;
	if ((rc = load_repo(ctx, txn, r, override == NULL, &res)) != 0 ||
	    (rc = load_registry(ctx, txn, r, &res)) != 0)
		return rc;
	request_init(&pr, r, &res);
	/* Every connection is TLS when the server serves HTTPS at all. */
	pr.secure_transport = ctx->cfg.is_tls;
	ids = authz_ids_find(ctx->ids, r->principal_arn, &n_ids);
	*allowed =
	    decide(ids, n_ids, override != NULL ? override : res.repo_policy,
	        res.registry_policy, r->registry_id, &pr, &deny);
	if (!*allowed)
		deny_message(r, ids, n_ids, &pr, deny, msg, size);
	return 0;
}

int
core_authz_replicate(struct core_ctx *ctx, struct store_txn *txn,
    const char *src_account, const char *registry_id, const char *region,
    const char *repo_name, const char *action, int64_t now_ms, bool *allowed)
{
	const struct policy *p = NULL;
	struct policy_request pr;
	struct store_doc doc;
	char principal[64], arn[CORE_ARN_MAX];
	int rc;

	*allowed = false;
	memset(&doc, 0, sizeof doc);
	rc = store_registry_doc_get(txn, registry_id, region,
	    STORE_DOC_REGISTRY_POLICY, &doc);
	if (rc == 0)
		rc = parse_stored(ctx, 1, &doc, &p);
	store_doc_release(&doc);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	/* The source registry's service acts for its account's root. */
	snprintf(principal, sizeof principal, "arn:%s:iam::%s:root",
	    core_partition(region), src_account);
	snprintf(arn, sizeof arn, "arn:%s:ecr:%s:%s:repository/%s",
	    core_partition(region), region, registry_id, repo_name);
	memset(&pr, 0, sizeof pr);
	pr.action = action;
	pr.resource = arn;
	pr.principal_arn = principal;
	pr.principal_account = src_account;
	pr.now_ms = now_ms;
	*allowed = policy_eval(p, &pr) == POLICY_ALLOW;
	return 0;
}

bool
core_arn_repo(const char *arn, const char *region, char account[13],
    const char **name)
{
	char want[64];
	size_t i;

	snprintf(want, sizeof want, "arn:%s:ecr:%s:", core_partition(region),
	    region);
	if (!str_has_prefix(arn, want))
		return false;
	arn += strlen(want);
	for (i = 0; i < 12; i++) {
		if (arn[i] < '0' || arn[i] > '9')
			return false;
	}
	if (!str_has_prefix(arn + 12, ":repository/") ||
	    arn[12 + strlen(":repository/")] == '\0')
		return false;
	memcpy(account, arn, 12);
	account[12] = '\0';
	*name = arn + 12 + strlen(":repository/");
	return true;
}

int
core_authorize(struct core_ctx *ctx, const char *principal_arn,
    const char *account, const char *region, const char *source_ip,
    const char *action, const char *registry_id, const char *repo_name,
    int64_t now_ms, char *message, size_t message_size)
{
	struct store_txn *txn = NULL;
	struct authz_req r;
	char arn[CORE_ARN_MAX];
	bool allowed = false;
	int rc;

	if (!ctx->cfg.is_strict)
		return 0;
	memset(&r, 0, sizeof r);
	r.principal_arn = principal_arn;
	r.account = account;
	r.region = region;
	r.source_ip =
	    source_ip != NULL && *source_ip != '\0' ? source_ip : NULL;
	r.action = action;
	r.registry_id = registry_id;
	r.repo_name = repo_name;
	r.resource = "*";
	r.now_ms = now_ms;
	if (repo_name != NULL) {
		snprintf(arn, sizeof arn, "arn:%s:ecr:%s:%s:repository/%s",
		    core_partition(region), region, registry_id, repo_name);
		r.resource = arn;
	}
	if ((rc = store_txn_begin(ctx->store, NULL, false, &txn)) == 0)
		rc = core_authz_eval(ctx, txn, &r, NULL, &allowed, message,
		    message_size);
	store_txn_abort(txn);
	if (rc != 0) {
		log_error("authorization: store: %s", store_strerror(rc));
		snprintf(message, message_size, "An internal error occurred.");
		return CORE_AUTHZ_ERROR;
	}
	return allowed ? 0 : CORE_AUTHZ_DENIED;
}

void
call_set_source_ip(struct call *call, const char *ip)
{
	str_copy(call->source_ip, sizeof call->source_ip, ip != NULL ? ip : "");
}

int
core_call_authorize(struct call *call, const char *action, const char *repo)
{
	char msg[ECR_ERROR_MESSAGE_SIZE];
	int rc;

	rc = core_authorize(call->ctx, call->id.principal_arn, call->id.account,
	    call->id.region, call->source_ip, action, call->registry_id, repo,
	    call->now_ms, msg, sizeof msg);
	if (rc == CORE_AUTHZ_DENIED)
		return core_fail(call, ERR_ACCESS_DENIED, "%s", msg);
	if (rc != 0)
		return core_fail(call, ERR_SERVER, "%s", msg);
	return 0;
}
