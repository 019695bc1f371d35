/*
 * Layer uploads, shared by the ECR API's layer operations and the
 * registry's blob uploads: creating one, counting a part, and the leases
 * that keep two streams off one upload file.
 */
#include "api/image.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sha256.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "store/store.h"

struct api_lease {
	char		 id[STORE_UPLOAD_ID_MAX + 1];
	const void	*owner;
};

int
api_upload_create(struct api_call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	struct sha256_state	st;
	int			rc;

	memset(up, 0, sizeof *up);
	uuid_v4(up->id);
	up->repo_id = repo->id;
	up->created_at_ms = up->updated_at_ms = call->now_ms;
	sha256_init(&st);
	memcpy(up->hash_state, &st, sizeof st);
	up->hash_state_len = sizeof st;
	if ((rc = store_upload_file_create(call->ctx->store, up->id)) != 0 ||
	    (rc = store_upload_create(call->txn, up)) != 0)
		return api_fail_store(call, rc);
	return 0;
}

int
api_upload_check_size(struct api_call *call, const char *id,
    uint64_t received, uint64_t more)
{
	uint64_t	end, max = call->ctx->cfg.max_layer_size;

	if (!__builtin_add_overflow(received, more, &end) && end <= max)
		return 0;
	/*
	 * ECR lists the quota and says only "upload failure"
	 * (docs/ecr-behaviour.md 4): LimitExceeded, as for the parts quota
	 * [unconfirmed].
	 */
	return api_fail(call, ERR_LIMIT_EXCEEDED, "The layer upload with id "
	    "'%s' would exceed the maximum layer size of %" PRIu64 " bytes", id,
	    max);
}

void
api_upload_count_part(struct api_call *call, struct store_upload *up,
    uint64_t len, const struct sha256_state *hash)
{
	/* The part before this one is no longer the last (3.3's 5 MiB rule). */
	if (up->n_parts > 0 && (up->min_part == 0 ||
	    up->last_part < up->min_part))
		up->min_part = up->last_part;
	up->last_part = len;
	up->received += len;
	up->n_parts++;
	up->updated_at_ms = call->now_ms;
	memcpy(up->hash_state, hash, sizeof *hash);
}

static struct api_lease *
lease_find(const struct api_ctx *ctx, const char *id)
{
	size_t	i;

	for (i = 0; i < ctx->n_leases; i++) {
		if (strcmp(ctx->leases[i].id, id) == 0)
			return &ctx->leases[i];
	}
	return NULL;
}

bool
api_upload_lease(struct api_ctx *ctx, const char *id, const void *owner)
{
	struct api_lease	*l;

	if (lease_find(ctx, id) != NULL || strlen(id) > STORE_UPLOAD_ID_MAX)
		return false;
	if (ctx->n_leases == ctx->leases_size) {
		ctx->leases_size = ctx->leases_size == 0 ? 8 :
		    ctx->leases_size * 2;
		ctx->leases = xreallocarray(ctx->leases, ctx->leases_size,
		    sizeof *ctx->leases);
	}
	l = &ctx->leases[ctx->n_leases++];
	str_copy(l->id, sizeof l->id, id);
	l->owner = owner;
	return true;
}

void
api_upload_unlease(struct api_ctx *ctx, const char *id, const void *owner)
{
	struct api_lease	*l = lease_find(ctx, id);

	if (l == NULL || l->owner != owner)
		return;
	*l = ctx->leases[--ctx->n_leases];
}

bool
api_upload_leased_by_other(const struct api_ctx *ctx, const char *id,
    const void *owner)
{
	const struct api_lease	*l = lease_find(ctx, id);

	return l != NULL && l->owner != owner;
}

void
api_upload_leases_free(struct api_ctx *ctx)
{
	free(ctx->leases);
	ctx->leases = NULL;
	ctx->n_leases = ctx->leases_size = 0;
}
