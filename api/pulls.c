/*
 * lastRecordedPullTime without a write per pull: BatchGetImage (a read)
 * notes the pull here, and the next group commit or the server's flush
 * timer writes the notes. ECR itself refreshes the time "at least once
 * every 24 hours" (model docs), so a second of delay loses nothing.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

/* Past this many distinct pending pulls, more are dropped until a flush. */
#define PULLS_MAX	4096

struct api_pull {
	uint64_t	repo_id;
	char		digest[STORE_DIGEST_MAX + 1];
	int64_t		at_ms;
};

void
api_pull_note(struct api_call *call, uint64_t repo_id, const char *digest)
{
	struct api_ctx	*ctx = call->ctx;
	struct api_pull	*p;
	size_t		 i;

	for (i = 0; i < ctx->n_pulls; i++) {
		p = &ctx->pulls[i];
		if (p->repo_id == repo_id && strcmp(p->digest, digest) == 0) {
			if (call->now_ms > p->at_ms)
				p->at_ms = call->now_ms;
			return;
		}
	}
	if (ctx->n_pulls == PULLS_MAX)
		return;
	ctx->pulls = xreallocarray(ctx->pulls, ctx->n_pulls + 1,
	    sizeof *ctx->pulls);
	p = &ctx->pulls[ctx->n_pulls++];
	p->repo_id = repo_id;
	str_copy(p->digest, sizeof p->digest, digest);
	p->at_ms = call->now_ms;
}

/* Write the notes in wtxn; an image deleted since is skipped. */
static int
apply(struct api_ctx *ctx, struct store_txn *wtxn)
{
	struct store_image	img;
	size_t			i;
	int			rc;

	for (i = 0; i < ctx->n_pulls; i++) {
		memset(&img, 0, sizeof img);
		rc = store_image_get(wtxn, ctx->pulls[i].repo_id,
		    ctx->pulls[i].digest, &img);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc == 0 && img.last_pulled_at_ms < ctx->pulls[i].at_ms) {
			img.last_pulled_at_ms = ctx->pulls[i].at_ms;
			rc = store_image_update(wtxn, &img);
		}
		store_image_release(&img);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
api_pulls_apply(struct api_ctx *ctx, struct store_txn *parent)
{
	struct store_txn	*child;
	int			 rc;

	if (ctx->n_pulls == 0)
		return 0;
	if ((rc = store_txn_begin(ctx->store, parent, true, &child)) != 0)
		return rc;
	if ((rc = apply(ctx, child)) != 0) {
		store_txn_abort(child);
		return rc;
	}
	if ((rc = store_txn_commit(child)) == 0)
		ctx->n_pulls = 0;
	return rc;
}

bool
api_pulls_pending(const struct api_ctx *ctx)
{
	return ctx->n_pulls != 0;
}

int
api_pulls_flush(struct api_ctx *ctx)
{
	struct store_txn	*txn;
	size_t			 n = ctx->n_pulls;
	int			 rc;

	if (n == 0)
		return 0;
	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
		return rc;
	if ((rc = api_pulls_apply(ctx, txn)) != 0) {
		store_txn_abort(txn);
		return rc;
	}
	/* If the commit fails the notes are gone: pull times are a hint. */
	return store_txn_commit(txn);
}

void
api_pulls_release(struct api_ctx *ctx)
{
	free(ctx->pulls);
	ctx->pulls = NULL;
	ctx->n_pulls = 0;
}
