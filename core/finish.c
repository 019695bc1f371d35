/*
 * A write call's file work, run in the worker pool before its group commit
 * (issue 12, STYLE.md 7.7), and the one such work both protocols share: a
 * blob upload's finish (CompleteLayerUpload, the registry's PUT ?digest=),
 * which hashes the upload where no running hash covers it, syncs it and
 * links it durably as the blob file, so that the commit's exec only checks
 * the result and records it.
 */
#include "core/image.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/sha256.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

/* A finish's state, the call's own (call->finish). */
struct core_finish {
	char id[STORE_UPLOAD_ID_MAX + 1];
	char want[CORE_DIGEST_SIZE];
	uint64_t len; /* the bytes it covers */
	bool is_sha512;
	bool has_hash; /* hash covers the first len bytes */
	struct sha256_state hash;
	bool has_digest; /* the work hashed them: digest */
	char digest[CORE_DIGEST_SIZE];
	bool is_prepared;        /* truncated to len and synced */
	bool is_linked;          /* the blob file is durable by its name */
	bool is_placed;          /* by the run: only the upload's name left */
	struct store *pinned;    /* pins digest */
	struct core_ctx *leased; /* holds id's lease for lease_owner */
	const void *lease_owner;
};

void
call_set_files(struct call *call, void (*work)(struct call *))
{
	call->files = work;
}

bool
call_has_files(struct call *call)
{
	if (call->files == NULL && call->op != NULL &&
	    call->op->files_open != NULL && call->err.code == ERR_NONE)
		call->op->files_open(call);
	return call->files != NULL;
}

void
call_run_files(struct call *call)
{
	call->files(call);
}

void
call_fail_io(struct call *call)
{
	(void)core_fail_store(call, STORE_IO);
}

/* The finish's work, on a worker: the call's state and the files only. */
static void
finish_files(struct call *call)
{
	struct core_finish *f = call->finish;
	struct store *s = call->ctx->store;

	if (core_upload_hash_file(s, f->id, f->len, f->is_sha512,
	        f->has_hash && !f->is_sha512 ? &f->hash : NULL,
	        f->digest) != STORE_OK)
		return;
	f->has_digest = true;
	if (strcmp(f->digest, f->want) != 0 ||
	    store_upload_file_prepare(s, f->id, f->len) != STORE_OK)
		return;
	f->is_prepared = true;
	/*
	 * The blob's name and its directory's sync too, so that the commit
	 * only drops the upload's name: pinned until the call is freed, after
	 * that commit, so that a GC cannot take the file before its record.
	 * A failed link leaves the rename to the commit.
	 */
	store_blob_pin(s, f->digest);
	f->pinned = s;
	f->is_linked = store_upload_file_link(s, f->id, f->digest) == STORE_OK;
}

bool
core_finish_open(struct call *call, const char *id, uint64_t len,
    const char *want, const struct sha256_state *hash, const void *lease_owner)
{
	struct core_finish *f;

	if (strlen(want) >= CORE_DIGEST_SIZE ||
	    strlen(id) > STORE_UPLOAD_ID_MAX || call->finish != NULL)
		return false;
	if (lease_owner != NULL &&
	    !core_upload_lease(call->ctx, id, lease_owner))
		return false;
	f = xcalloc(1, sizeof *f);
	str_copy(f->id, sizeof f->id, id);
	str_copy(f->want, sizeof f->want, want);
	f->len = len;
	f->is_sha512 = str_has_prefix(want, "sha512:");
	if (hash != NULL) {
		f->hash = *hash;
		f->has_hash = true;
	}
	if (lease_owner != NULL) {
		f->leased = call->ctx;
		f->lease_owner = lease_owner;
	}
	call->finish = f;
	call_set_files(call, finish_files);
	return true;
}

bool
core_finish_digest(const struct call *call, const struct store_upload *up,
    char digest[CORE_DIGEST_SIZE])
{
	const struct core_finish *f = call->finish;

	if (f == NULL || !f->has_digest || f->len != up->received ||
	    strcmp(f->id, up->id) != 0)
		return false;
	str_copy(digest, CORE_DIGEST_SIZE, f->digest);
	return true;
}

int
core_finish_place(struct call *call, const struct store_upload *up,
    const char *digest)
{
	struct core_finish *f = call->finish;
	struct store *s = call->ctx->store;

	if (f == NULL || !f->is_prepared || f->len != up->received ||
	    strcmp(f->id, up->id) != 0 || strcmp(f->digest, digest) != 0)
		return store_upload_file_finish(s, up->id, up->received,
		    digest);
	if (!f->is_linked)
		return store_upload_file_place(s, up->id, digest);
	/*
	 * The blob file is durable and pinned until after the commit: only the
	 * upload's name is left, which goes in the pool once the commit has
	 * dropped its record.
	 */
	core_upload_remove_after(call, up->id);
	return STORE_OK;
}

/* What is left to do once the call's commit is over. */
struct core_after {
	struct store *store;
	char id[STORE_UPLOAD_ID_MAX + 1];
};

void
core_upload_remove_after(struct call *call, const char *id)
{
	struct core_after *a;

	/* One a call; a name left behind is an orphan for the GC's sweep. */
	if (call->after != NULL || strlen(id) > STORE_UPLOAD_ID_MAX)
		return;
	a = xmalloc(sizeof *a);
	a->store = call->ctx->store;
	str_copy(a->id, sizeof a->id, id);
	call->after = a;
}

struct core_after *
call_take_after(struct call *call)
{
	struct core_after *a = call->after;

	call->after = NULL;
	/* A failed call's upload record stands, and names the file. */
	if (a != NULL && call->err.code != ERR_NONE) {
		free(a);
		return NULL;
	}
	return a;
}

void
core_after_run(struct core_after *a)
{
	(void)store_upload_file_remove(a->store, a->id);
}

void
core_after_free(struct core_after *a)
{
	free(a);
}

void
core_finish_free(struct core_finish *f)
{
	if (f == NULL)
		return;
	/* The commit that records the linked blob is over, or never comes. */
	if (f->pinned != NULL)
		store_blob_unpin(f->pinned, f->digest);
	if (f->leased != NULL)
		core_upload_unlease(f->leased, f->id, f->lease_owner);
	sodium_memzero(&f->hash, sizeof f->hash);
	free(f);
}
