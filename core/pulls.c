/*
 * lastRecordedPullTime without a write per pull: BatchGetImage (a read)
 * notes the pull here, and the next group commit or the server's flush
 * timer writes the notes. ECR itself refreshes the time "at least once
 * every 24 hours" (model docs), so a second of delay loses nothing.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

/* Past this many distinct pending pulls, more are dropped until a flush. */
#define PULLS_MAX 4096
#define PULL_SLOTS (2 * PULLS_MAX) /* open addressing, half full */

struct core_pull {
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	int64_t at_ms;
};

/* The pending notes, and an index so that noting one costs O(1). */
struct core_pulls {
	struct core_pull v[PULLS_MAX];
	size_t n;
	uint16_t slots[PULL_SLOTS]; /* index + 1; 0: empty */
	unsigned char key[crypto_shorthash_KEYBYTES];
};

static size_t
pull_hash(const struct core_pulls *ps, uint64_t repo_id, const char *digest)
{
	unsigned char in[sizeof repo_id + STORE_DIGEST_MAX];
	unsigned char h[crypto_shorthash_BYTES];
	size_t len = strlen(digest);
	uint64_t v;

	if (len > STORE_DIGEST_MAX)
		len = STORE_DIGEST_MAX;
	memcpy(in, &repo_id, sizeof repo_id);
	memcpy(in + sizeof repo_id, digest, len);
	crypto_shorthash(h, in, sizeof repo_id + len, ps->key);
	memcpy(&v, h, sizeof v);
	return (size_t)(v % PULL_SLOTS);
}

void
core_pull_note(struct call *call, const struct store_repo *repo,
    const char *digest)
{
	struct core_ctx *ctx = call->ctx;
	uint64_t repo_id = repo->id;
	struct core_pulls *ps;
	struct core_pull *p;
	size_t i;

	if (core_pull_is_excluded(call, repo))
		return;

	if ((ps = ctx->pulls) == NULL) {
		ps = ctx->pulls = xcalloc(1, sizeof *ps);
		crypto_shorthash_keygen(ps->key);
	}
	for (i = pull_hash(ps, repo_id, digest); ps->slots[i] != 0;
	     i = (i + 1) % PULL_SLOTS) {
		p = &ps->v[ps->slots[i] - 1];
		if (p->repo_id == repo_id && strcmp(p->digest, digest) == 0) {
			if (call->now_ms > p->at_ms)
				p->at_ms = call->now_ms;
			return;
		}
	}
	if (ps->n == PULLS_MAX)
		return;
	p = &ps->v[ps->n++];
	ps->slots[i] = (uint16_t)ps->n;
	p->repo_id = repo_id;
	str_copy(p->digest, sizeof p->digest, digest);
	p->at_ms = call->now_ms;
}

/* Write the notes in wtxn; an image deleted since is skipped. */
static int
apply(struct core_ctx *ctx, struct store_txn *wtxn)
{
	struct store_image img;
	size_t i;
	int rc;

	for (i = 0; i < ctx->pulls->n; i++) {
		const struct core_pull *p = &ctx->pulls->v[i];

		memset(&img, 0, sizeof img);
		rc = store_image_get(wtxn, p->repo_id, p->digest, &img);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc == 0 && img.last_pulled_at_ms < p->at_ms) {
			img.last_pulled_at_ms = p->at_ms;
			rc = store_image_update(wtxn, &img);
		}
		store_image_release(&img);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
core_pulls_apply(struct core_ctx *ctx, struct store_txn *parent)
{
	struct store_txn *child;
	int rc;

	if (!core_pulls_pending(ctx))
		return 0;
	if ((rc = store_txn_begin(ctx->store, parent, true, &child)) != 0)
		return rc;
	if ((rc = apply(ctx, child)) != 0) {
		store_txn_abort(child);
		return rc;
	}
	if ((rc = store_txn_commit(child)) == 0) {
		ctx->pulls->n = 0;
		memset(ctx->pulls->slots, 0, sizeof ctx->pulls->slots);
	}
	return rc;
}

bool
core_pulls_pending(const struct core_ctx *ctx)
{
	return ctx->pulls != NULL && ctx->pulls->n != 0;
}

int
core_pulls_flush(struct core_ctx *ctx)
{
	struct store_txn *txn;
	int rc;

	if (!core_pulls_pending(ctx))
		return 0;
	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
		return rc;
	if ((rc = core_pulls_apply(ctx, txn)) != 0) {
		store_txn_abort(txn);
		return rc;
	}
	/* If the commit fails the notes are gone: pull times are a hint. */
	return store_txn_commit(txn);
}

void
core_pulls_release(struct core_ctx *ctx)
{
	free(ctx->pulls);
	ctx->pulls = NULL;
}
