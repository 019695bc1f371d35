/*
 * Blobs pulled through the cache on demand (issue 13): the first GET of a
 * layer the repository lacks fetches it from the rule's upstream into an
 * upload file, hashing it as it comes and writing it in bounded pieces,
 * and tees it to that GET's client (the transfer pauses while the client
 * is slow); the blob and the layer are recorded only once the digest
 * matches (else the client's answer is cut short), and every other GET
 * waiting on that digest then runs again from the store.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "auth/sha256.h"
#include "common/log.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"

#define PIECE_MAX (1024 * 1024) /* written (and synced) at a time */

struct ptc_waiter {
	struct call *call;
	uint64_t repo_id;
};

struct core_ptc_blob {
	struct core_ctx *ctx;
	char digest[STORE_DIGEST_MAX + 1];
	char upload_id[STORE_UPLOAD_ID_MAX + 1];
	struct sha256_state hash;
	uint64_t len;          /* bytes written to the file */
	struct buf piece;      /* not yet written */
	void *easy;            /* the transfer, to resume */
	struct call *tee_call; /* its client streams, or NULL */
	size_t tee_queued;     /* bytes waiting to go out */
	int64_t tee_len;       /* the answer's length */
	int64_t tee_sent;
	char tee_last; /* held back until verified */
	bool is_paused;
	struct ptc_waiter *waiters;
	size_t n_waiters;
	struct core_ptc_blob *next;
};

static int
piece_write(struct core_ptc_blob *b)
{
	int rc;

	if (b->piece.len == 0)
		return 0;
	rc = store_upload_file_write(b->ctx->store, b->upload_id, b->len,
	    b->piece.data, b->piece.len);
	if (rc != 0) {
		log_warn("pull through %s: %s", b->digest, store_strerror(rc));
		return -1;
	}
	b->len += b->piece.len;
	buf_reset(&b->piece);
	return 0;
}

/*
 * Start the first waiter's answer once the length is known (a chunked
 * upstream answer has none: that client waits for the store instead).
 */
static void
tee_begin(struct core_ptc_blob *b, CURL *easy)
{
	struct call *call = b->tee_call;
	curl_off_t len = -1;

	if (call == NULL || call->is_teed)
		return;
	if (curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) !=
	        CURLE_OK ||
	    len < 0) {
		b->tee_call = NULL;
		return;
	}
	call->is_teed = true;
	b->tee_len = (int64_t)len;
	call->tee.begin(call->tee.arg, (int64_t)len);
}

/*
 * To the client, but the very last byte: that goes only once the digest
 * matches, so a client never takes a bad blob for a whole one.
 */
static void
tee_write(struct core_ptc_blob *b, const char *data, size_t len)
{
	struct call *call = b->tee_call;

	if (b->tee_sent + (int64_t)len >= b->tee_len && len > 0) {
		b->tee_last = data[len - 1];
		len--;
	}
	b->tee_sent += (int64_t)len;
	b->tee_queued = call->tee.write(call->tee.arg, data, len);
}

/*
 * The transfer's bytes: hashed, to the file a piece at a time, and to the
 * teed client, unless that client has CORE_TEE_MAX waiting: then the
 * transfer pauses (these bytes come again) until call_tee_drained.
 */
static int
sink(void *arg, void *easy, const void *data, size_t len)
{
	struct core_ptc_blob *b = arg;
	size_t n, left = len;
	const char *p = data;

	if (b->len + b->piece.len + len > b->ctx->cfg.max_layer_size) {
		log_warn("pull through %s: larger than --max-layer-size",
		    b->digest);
		return -1;
	}
	b->easy = easy;
	tee_begin(b, easy);
	if (b->tee_call != NULL && b->tee_queued > CORE_TEE_MAX) {
		b->is_paused = true;
		return UP_SINK_PAUSE;
	}
	sha256_update(&b->hash, data, len);
	while (left > 0) {
		n = PIECE_MAX - b->piece.len < left ? PIECE_MAX - b->piece.len
		                                    : left;
		(void)buf_add(&b->piece, p, n);
		p += n;
		left -= n;
		if (b->piece.len == PIECE_MAX && piece_write(b) != 0)
			return -1;
	}
	if (b->tee_call != NULL)
		tee_write(b, data, len);
	return 0;
}

void
call_tee_drained(struct call *call)
{
	struct core_ptc_blob *b;

	for (b = call->ctx->ptc_blobs; b != NULL; b = b->next) {
		if (b->tee_call != call)
			continue;
		b->tee_queued = 0;
		if (b->is_paused) {
			b->is_paused = false;
			curl_easy_pause(b->easy, CURLPAUSE_CONT);
		}
		return;
	}
}

/* The digest of what came, as the store names blobs. */
static void
hash_text(struct core_ptc_blob *b, char out[72])
{
	unsigned char md[SHA256_DIGEST_LEN];
	size_t i;

	sha256_final(&b->hash, md);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < sizeof md; i++) {
		out[7 + 2 * i] = "0123456789abcdef"[md[i] >> 4];
		out[8 + 2 * i] = "0123456789abcdef"[md[i] & 15];
	}
	out[71] = '\0';
}

/* Blob file in place, then one txn: a layer record per waiting repository. */
static int
record(struct core_ptc_blob *b)
{
	struct store_txn *txn = NULL;
	struct store_layer layer;
	size_t i;
	int rc;

	store_files_lock(b->ctx->store);
	rc = store_upload_file_finish(b->ctx->store, b->upload_id, b->len,
	    b->digest);
	if (rc == 0)
		rc = store_txn_begin(b->ctx->store, NULL, true, &txn);
	for (i = 0; rc == 0 && i < b->n_waiters; i++) {
		memset(&layer, 0, sizeof layer);
		layer.repo_id = b->waiters[i].repo_id;
		str_copy(layer.digest, sizeof layer.digest, b->digest);
		layer.size = b->len;
		layer.created_at_ms = b->waiters[i].call->now_ms;
		rc = store_layer_add(txn, &layer);
		if (rc == STORE_EXISTS)
			rc = 0;
	}
	if (rc == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	store_files_unlock(b->ctx->store);
	if (rc != 0)
		log_warn("pull through %s: %s", b->digest, store_strerror(rc));
	return rc;
}

static void
blob_unlink(struct core_ptc_blob *b)
{
	struct core_ptc_blob **p;

	for (p = &b->ctx->ptc_blobs; *p != NULL; p = &(*p)->next) {
		if (*p == b) {
			*p = b->next;
			return;
		}
	}
}

static void
blob_fetched(void *arg, struct up_xfer *x, const char *failure)
{
	struct core_ptc_blob *b = arg;
	char got[72];
	size_t i;
	bool ok = false;

	blob_unlink(b);
	if (x == NULL)
		log_warn("pull through %s: %s", b->digest, failure);
	else if (x->status != 200)
		log_warn("pull through %s: upstream answered HTTP %ld",
		    b->digest, x->status);
	else if (piece_write(b) == 0) {
		hash_text(b, got);
		if (strcmp(got, b->digest) != 0)
			log_warn("pull through %s: upstream sent %s", b->digest,
			    got);
		else
			ok = record(b) == 0;
	}
	if (!ok)
		(void)store_upload_file_remove(b->ctx->store, b->upload_id);
	else if (b->tee_call != NULL && b->tee_len > 0)
		(void)b->tee_call->tee.write(b->tee_call->tee.arg, &b->tee_last,
		    1);
	store_upload_unpin(b->ctx->store, b->upload_id);
	up_xfer_free(x);
	buf_release(&b->piece);
	for (i = 0; i < b->n_waiters; i++) {
		b->waiters[i].call->ptc_state =
		    ok ? CORE_PTC_STORED : CORE_PTC_UNAVAILABLE;
		core_ptc_rerun(b->waiters[i].call);
	}
	free(b->waiters);
	free(b);
}

static void
wait_on(struct core_ptc_blob *b, struct call *call, uint64_t repo_id)
{
	b->waiters =
	    xreallocarray(b->waiters, b->n_waiters + 1, sizeof *b->waiters);
	b->waiters[b->n_waiters].call = call;
	b->waiters[b->n_waiters++].repo_id = repo_id;
}

int
core_ptc_pull_blob(struct call *call, const struct store_repo *repo,
    const char *digest)
{
	struct core_ptc_target t;
	struct up_cred cred;
	struct core_ptc_blob *b;
	struct up_sink sk;
	char *url;
	int rc;

	if (call->ptc_state != CORE_PTC_NONE ||
	    (rc = core_ptc_target(call, repo->name, &t)) == 0)
		return 0;
	if (rc < 0)
		return -1;
	for (b = call->ctx->ptc_blobs; b != NULL; b = b->next) {
		if (strcmp(b->digest, digest) == 0) {
			/* One transfer; the rest wait for it. */
			wait_on(b, call, repo->id);
			core_ptc_target_free(&t);
			return CALL_PENDING;
		}
	}
	b = xcalloc(1, sizeof *b);
	b->ctx = call->ctx;
	str_copy(b->digest, sizeof b->digest, digest);
	uuid_v4(b->upload_id);
	sha256_init(&b->hash);
	buf_init(&b->piece, PIECE_MAX);
	/* No upload record names the file: the pin keeps the GC off it. */
	store_upload_pin(call->ctx->store, b->upload_id);
	if ((rc = store_upload_file_create(call->ctx->store, b->upload_id)) !=
	    0) {
		store_upload_unpin(call->ctx->store, b->upload_id);
		free(b);
		core_ptc_target_free(&t);
		return core_fail_store(call, rc);
	}
	wait_on(b, call, repo->id);
	if (call->tee.begin != NULL)
		b->tee_call = call;
	b->next = call->ctx->ptc_blobs;
	call->ctx->ptc_blobs = b;
	sk.fn = sink;
	sk.arg = b;
	url = xasprintf("%s/v2/%s/blobs/%s", t.base, t.path, digest);
	core_ptc_target_cred(&t, &cred);
	up_fetch_start(call->ctx, url, NULL, &cred, t.scope, &sk, blob_fetched,
	    b);
	free(url);
	core_ptc_target_free(&t);
	return CALL_PENDING;
}
