/*
 * Layer uploads, shared by the ECR API's layer operations and the
 * registry's blob uploads: creating one, counting a part, the leases that
 * keep two streams off one upload file, and the uploads' running hashes.
 */
#include "core/image.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/sha256.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "store/store.h"

#define HASHES_MAX 1024          /* uploads with a running hash kept */
#define READ_CHUNK (1024 * 1024) /* hashing an upload file again */

struct core_lease {
	char id[STORE_UPLOAD_ID_MAX + 1];
	const void *owner;
};

/*
 * The running SHA-256 of an upload lives here, in memory only, so that no
 * library's state layout reaches the store (issue 12): st is the hash of
 * the first len bytes of upload id's file. Each part counted replaces or
 * drops its upload's entry (core_upload_count_part), so an entry whose len
 * is the record's received hashes what the record counts, and one with
 * another len (its part's commit failed) is ignored. Without one (after a
 * restart, or evicted), streams skip hashing and the upload is hashed
 * from its file when it completes (core_upload_digest).
 */
struct core_upload_hash {
	char id[STORE_UPLOAD_ID_MAX + 1];
	uint64_t len;
	uint64_t tick; /* when put: the oldest goes first */
	struct sha256_state st;
};

static void hash_put(struct core_ctx *, const char *, uint64_t,
    const struct sha256_state *);

/* An upload's file made ahead of its run (core_upload_files_open). */
struct core_upload_new {
	char id[STORE_UPLOAD_ID_MAX + 1];
	bool is_created;  /* by the work */
	bool is_recorded; /* by the run */
};

/* On a worker: the file, durable with its name. */
static void
upload_file_create(struct call *call)
{
	struct core_upload_new *n = call->new_upload;

	if (store_upload_file_create(call->ctx->store, n->id) == STORE_OK)
		n->is_created = true;
}

void
core_upload_files_open(struct call *call)
{
	struct core_upload_new *n;

	if (call->new_upload != NULL)
		return;
	n = xcalloc(1, sizeof *n);
	uuid_v4(n->id);
	call->new_upload = n;
	call_set_files(call, upload_file_create);
}

void
core_upload_new_free(struct call *call)
{
	struct core_upload_new *n = call->new_upload;

	if (n == NULL)
		return;
	/* A failed run's file; no record can name it. */
	if (n->is_created && !n->is_recorded)
		(void)store_upload_file_remove(call->ctx->store, n->id);
	free(n);
	call->new_upload = NULL;
}

int
core_upload_create(struct call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	struct core_upload_new *n = call->new_upload;
	struct sha256_state st;
	bool is_made = n != NULL && n->is_created && !n->is_recorded;
	int rc;

	memset(up, 0, sizeof *up);
	if (is_made)
		str_copy(up->id, sizeof up->id, n->id);
	else
		uuid_v4(up->id);
	up->repo_id = repo->id;
	up->created_at_ms = up->updated_at_ms = call->now_ms;
	sha256_init(&st);
	hash_put(call->ctx, up->id, 0, &st);
	if ((!is_made && (rc = store_upload_file_create(call->ctx->store,
	                      up->id)) != 0) ||
	    (rc = store_upload_create(call->txn, up)) != 0)
		return core_fail_store(call, rc);
	if (is_made)
		n->is_recorded = true;
	return 0;
}

int
core_upload_check_size(struct call *call, const char *id, uint64_t received,
    uint64_t more)
{
	uint64_t end, max = core_quota(call->ctx, CORE_QUOTA_LAYER_SIZE);

	if (!__builtin_add_overflow(received, more, &end) && end <= max)
		return 0;
	/*
	 * ECR lists the quota and says only "upload failure"
	 * (docs/ecr-behaviour.md 4): LimitExceeded, as for the parts quota
	 * [unconfirmed].
	 */
	return core_fail(call, ERR_LIMIT_EXCEEDED,
	    "The layer upload with id "
	    "'%s' would exceed the maximum layer size of %" PRIu64 " bytes",
	    id, max);
}

void
core_upload_count_part(struct call *call, struct store_upload *up, uint64_t len,
    const struct sha256_state *hash)
{
	/* The part before this one is no longer the last (3.3's 5 MiB rule). */
	if (up->n_parts > 0 &&
	    (up->min_part == 0 || up->last_part < up->min_part))
		up->min_part = up->last_part;
	up->last_part = len;
	up->received += len;
	up->n_parts++;
	up->updated_at_ms = call->now_ms;
	if (hash != NULL)
		hash_put(call->ctx, up->id, up->received, hash);
	else
		core_upload_hash_drop(call->ctx, up->id);
}

static struct core_upload_hash *
hash_find(const struct core_ctx *ctx, const char *id)
{
	size_t i;

	for (i = 0; i < ctx->n_hashes; i++) {
		if (strcmp(ctx->hashes[i].id, id) == 0)
			return &ctx->hashes[i];
	}
	return NULL;
}

/* Keep st as the hash of upload id's first len bytes. */
static void
hash_put(struct core_ctx *ctx, const char *id, uint64_t len,
    const struct sha256_state *st)
{
	struct core_upload_hash *h;
	size_t i;

	if (strlen(id) > STORE_UPLOAD_ID_MAX)
		return;
	if ((h = hash_find(ctx, id)) == NULL &&
	    ctx->n_hashes < ctx->hashes_size)
		h = &ctx->hashes[ctx->n_hashes++];
	else if (h == NULL && ctx->hashes_size < HASHES_MAX) {
		ctx->hashes_size =
		    ctx->hashes_size == 0 ? 8 : ctx->hashes_size * 2;
		ctx->hashes = xreallocarray(ctx->hashes, ctx->hashes_size,
		    sizeof *ctx->hashes);
		h = &ctx->hashes[ctx->n_hashes++];
	} else if (h == NULL) {
		/* Abandoned uploads end here; a live one is hashed again. */
		h = &ctx->hashes[0];
		for (i = 1; i < ctx->n_hashes; i++) {
			if (ctx->hashes[i].tick < h->tick)
				h = &ctx->hashes[i];
		}
	}
	str_copy(h->id, sizeof h->id, id);
	h->len = len;
	h->tick = ++ctx->hash_tick;
	h->st = *st;
}

bool
core_upload_hash_get(const struct core_ctx *ctx, const struct store_upload *up,
    struct sha256_state *out)
{
	const struct core_upload_hash *h = hash_find(ctx, up->id);

	if (h == NULL || h->len != up->received)
		return false;
	*out = h->st;
	return true;
}

void
core_upload_hash_drop(struct core_ctx *ctx, const char *id)
{
	struct core_upload_hash *h = hash_find(ctx, id);

	if (h == NULL)
		return;
	sodium_memzero(h, sizeof *h);
	*h = ctx->hashes[--ctx->n_hashes];
}

/*
 * Feed the upload file's first len bytes to fn: STORE_OK or a STORE_*
 * code. It touches no api state, so a worker thread may run it: it runs
 * for an upload whose running hash is gone (after a restart) or for a
 * sha512 digest, and the registry's finish does it in the worker pool.
 */
static int
hash_file(struct store *s, const char *id, uint64_t len,
    void (*fn)(void *, const unsigned char *, size_t), void *arg)
{
	unsigned char *chunk;
	uint64_t left = len;
	ssize_t n;
	int fd, rc;

	if ((rc = store_upload_file_open(s, id, &fd)) != 0)
		return rc;
	chunk = xmalloc(READ_CHUNK);
	while (left > 0 && (n = read(fd, chunk,
	                        left < READ_CHUNK ? left : READ_CHUNK)) > 0) {
		fn(arg, chunk, (size_t)n);
		left -= (uint64_t)n;
	}
	free(chunk);
	close(fd);
	return left != 0 ? STORE_IO : STORE_OK;
}

static void
feed_sha256(void *arg, const unsigned char *p, size_t len)
{
	sha256_update(arg, p, len);
}

static void
feed_sha512(void *arg, const unsigned char *p, size_t len)
{
	crypto_hash_sha512_update(arg, p, len);
}

/* "sha256:" or "sha512:" and the hex of h. */
static void
digest_text(char digest[CORE_DIGEST_SIZE], bool is_sha512,
    const unsigned char *h)
{
	size_t len = is_sha512 ? crypto_hash_sha512_BYTES : SHA256_DIGEST_LEN;

	memcpy(digest, is_sha512 ? "sha512:" : "sha256:", 7);
	sodium_bin2hex(digest + 7, len * 2 + 1, h, len);
}

int
core_upload_hash_file(struct store *s, const char *id, uint64_t len,
    bool is_sha512, const struct sha256_state *from,
    char digest[CORE_DIGEST_SIZE])
{
	struct sha256_state st;
	crypto_hash_sha512_state st512;
	unsigned char h[crypto_hash_sha512_BYTES];
	int rc;

	if (is_sha512) {
		crypto_hash_sha512_init(&st512);
		if ((rc = hash_file(s, id, len, feed_sha512, &st512)) != 0)
			return rc;
		crypto_hash_sha512_final(&st512, h);
	} else if (from != NULL) {
		st = *from;
		sha256_final(&st, h);
	} else {
		sha256_init(&st);
		if ((rc = hash_file(s, id, len, feed_sha256, &st)) != 0)
			return rc;
		sha256_final(&st, h);
	}
	digest_text(digest, is_sha512, h);
	return STORE_OK;
}

int
core_upload_digest(struct call *call, const struct store_upload *up,
    bool is_sha512, char digest[CORE_DIGEST_SIZE])
{
	struct sha256_state st;
	bool has = !is_sha512 && core_upload_hash_get(call->ctx, up, &st);
	int rc;

	if ((rc = core_upload_hash_file(call->ctx->store, up->id, up->received,
	         is_sha512, has ? &st : NULL, digest)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

static struct core_lease *
lease_find(const struct core_ctx *ctx, const char *id)
{
	size_t i;

	for (i = 0; i < ctx->n_leases; i++) {
		if (strcmp(ctx->leases[i].id, id) == 0)
			return &ctx->leases[i];
	}
	return NULL;
}

bool
core_upload_lease(struct core_ctx *ctx, const char *id, const void *owner)
{
	struct core_lease *l;

	if (lease_find(ctx, id) != NULL || strlen(id) > STORE_UPLOAD_ID_MAX)
		return false;
	if (ctx->n_leases == ctx->leases_size) {
		ctx->leases_size =
		    ctx->leases_size == 0 ? 8 : ctx->leases_size * 2;
		ctx->leases = xreallocarray(ctx->leases, ctx->leases_size,
		    sizeof *ctx->leases);
	}
	l = &ctx->leases[ctx->n_leases++];
	str_copy(l->id, sizeof l->id, id);
	l->owner = owner;
	/* The GC leaves a leased upload, record and file, alone. */
	store_upload_pin(ctx->store, id);
	return true;
}

void
core_upload_unlease(struct core_ctx *ctx, const char *id, const void *owner)
{
	struct core_lease *l = lease_find(ctx, id);

	if (l == NULL || l->owner != owner)
		return;
	store_upload_unpin(ctx->store, id);
	*l = ctx->leases[--ctx->n_leases];
}

bool
core_upload_leased_by_other(const struct core_ctx *ctx, const char *id,
    const void *owner)
{
	const struct core_lease *l = lease_find(ctx, id);

	return l != NULL && l->owner != owner;
}

void
core_upload_tables_free(struct core_ctx *ctx)
{
	free(ctx->leases);
	ctx->leases = NULL;
	ctx->n_leases = ctx->leases_size = 0;
	if (ctx->hashes != NULL)
		sodium_memzero(ctx->hashes,
		    ctx->hashes_size * sizeof *ctx->hashes);
	free(ctx->hashes);
	ctx->hashes = NULL;
	ctx->n_hashes = ctx->hashes_size = 0;
}
