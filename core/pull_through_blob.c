/*
 * Blobs pulled through the cache on demand (issue 13): the first GET of a
 * layer the repository lacks fetches it from the rule's upstream and tees
 * it to that GET's client as it comes (the transfer pauses while the
 * client is slow), hashing it on the way, while the worker pool writes
 * it to an upload file in chunks (the transfer pauses too while the pool
 * is behind). Once it is whole the loop checks the digest and lets the
 * client have the last byte; the pool syncs the file and links it under
 * the blob's name, and the group commit records the layers (a bad digest
 * or a broken transfer: the client's answer is cut short and nothing is
 * kept). Every other GET waiting on that digest then runs again from the
 * store.
 */
#include "core/core_int.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "auth/sha256.h"
#include "common/log.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"

/*
 * Bytes go to the pool in chunks (page-aligned: the store's writer sends
 * them to the disk without a copy), at most JOB_CHUNKS a job, so that the
 * transfer fills the next ones meanwhile; it pauses with CHUNKS_MAX
 * queued.
 */
#define CHUNK_SIZE (1024 * 1024)
#define CHUNK_ALIGN 4096
#define JOB_CHUNKS 4
#define CHUNKS_MAX 8
/* The upstream socket wakes the loop once this much waits (SO_RCVLOWAT). */
#define LOWAT (256 * 1024)

struct ptc_waiter {
	struct call *call;
	uint64_t repo_id;
};

struct ptc_chunk {
	unsigned char data[CHUNK_SIZE];
	size_t len;
	struct ptc_chunk *next;
};

struct chunk_list {
	struct ptc_chunk *head, *tail;
	size_t n;
};

enum blob_end {
	BLOB_FLOWING, /* the transfer goes on */
	BLOB_WHOLE,   /* it ended with a 200: check and link */
	BLOB_BROKEN,  /* it failed: remove the file */
};

struct core_ptc_blob {
	struct core_ctx *ctx;
	char digest[STORE_DIGEST_MAX + 1];
	char upload_id[STORE_UPLOAD_ID_MAX + 1];
	uint64_t len;  /* bytes taken from the transfer */
	int64_t total; /* its Content-Length, or -1 */
	int lowat;     /* the socket's SO_RCVLOWAT now */
	void *easy;    /* the transfer, to resume; NULL once over */
	bool is_paused;
	/* The loop's: the chunk being filled, those ready for a job. */
	struct ptc_chunk *fill;
	struct chunk_list ready;
	struct chunk_list spare;
	enum blob_end end;
	bool is_busy;     /* a pool job runs; what follows is its */
	bool is_last_job; /* the job ends the file */
	struct chunk_list work;
	/*
	 * The loop's, as the bytes come: the pool's thread is nice'd (it
	 * must not slow the loop), and hashing there left the transfer
	 * waiting on it whenever the machine was busy (issue 13's bench).
	 */
	struct sha256_state hash;
	struct store_upload_writer *writer;
	int rc;           /* the first failure, STORE_* */
	bool is_linked;   /* checked, synced, named; pinned */
	bool is_recorded; /* its write ran: too late to wait on */
	/* The teed client. */
	struct call *tee_call; /* its client streams, or NULL */
	size_t tee_queued;     /* bytes waiting to go out */
	int64_t tee_len;       /* the answer's length; 0 once all sent */
	int64_t tee_sent;
	char tee_last; /* held back until verified */
	struct ptc_waiter *waiters;
	size_t n_waiters;
	struct core_ptc_blob *next;
};

static void kick(struct core_ptc_blob *);

static void
chunk_push(struct chunk_list *l, struct ptc_chunk *c)
{
	c->next = NULL;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void
chunks_free(struct chunk_list *l)
{
	struct ptc_chunk *c;

	while ((c = l->head) != NULL) {
		l->head = c->next;
		free(c);
	}
	l->tail = NULL;
	l->n = 0;
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
 * Fewer, larger reads: the upstream's bytes trickle in 16 KiB at a time,
 * and a loop that took each as it came spent more on its trips round
 * than on the bytes (issue 13's bench). The socket wakes it only once
 * LOWAT bytes wait, or the rest of the blob when less is left (so the
 * last read is never held back, and a connection kept for the next
 * request ends at 1 again).
 */
static void
set_lowat(struct core_ptc_blob *b, CURL *easy)
{
	curl_socket_t s = CURL_SOCKET_BAD;
	int64_t rest;
	int want;

	if (b->total < 0)
		return;
	rest = b->total - (int64_t)b->len;
	want = rest < LOWAT ? (int)(rest > 1 ? rest : 1) : LOWAT;
	if (want == b->lowat ||
	    curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK ||
	    s == CURL_SOCKET_BAD)
		return;
	if (setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &want, sizeof want) == 0)
		b->lowat = want;
}

/* The client or the pool is behind: the transfer waits for both. */
static bool
must_pause(const struct core_ptc_blob *b)
{
	return (b->tee_call != NULL && b->tee_queued > CORE_TEE_MAX) ||
	       b->ready.n + b->work.n >= CHUNKS_MAX;
}

/* Copy len bytes into chunks, each full one ready for the pool. */
static void
chunks_add(struct core_ptc_blob *b, const char *p, size_t len)
{
	size_t n;

	while (len > 0) {
		if (b->fill == NULL) {
			if ((b->fill = b->spare.head) != NULL) {
				b->spare.head = b->fill->next;
				if (--b->spare.n == 0)
					b->spare.tail = NULL;
			} else
				b->fill = xmalloc_aligned(CHUNK_ALIGN,
				    sizeof *b->fill);
			b->fill->len = 0;
		}
		n = CHUNK_SIZE - b->fill->len < len ? CHUNK_SIZE - b->fill->len
		                                    : len;
		memcpy(b->fill->data + b->fill->len, p, n);
		b->fill->len += n;
		p += n;
		len -= n;
		if (b->fill->len == CHUNK_SIZE) {
			chunk_push(&b->ready, b->fill);
			b->fill = NULL;
		}
	}
}

/*
 * The transfer's bytes (on the loop): copied into chunks for the pool and
 * teed to the client, unless one of them is behind: then the transfer
 * pauses (these bytes come again) until it catches up.
 */
static int
sink(void *arg, void *easy, const void *data, size_t len)
{
	struct core_ptc_blob *b = arg;
	curl_off_t cl = -1;

	/* b->rc is the pool's while a job runs. */
	if (!b->is_busy && b->rc != 0)
		return -1;
	if (b->len + len > core_quota(b->ctx, CORE_QUOTA_LAYER_SIZE)) {
		log_warn("pull through %s: larger than --max-layer-size",
		    b->digest);
		return -1;
	}
	if (b->easy == NULL && b->total < 0 &&
	    curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) ==
	        CURLE_OK)
		b->total = cl;
	b->easy = easy;
	tee_begin(b, easy);
	if (must_pause(b)) {
		b->is_paused = true;
		return UP_SINK_PAUSE;
	}
	b->len += len;
	sha256_update(&b->hash, data, len);
	chunks_add(b, data, len);
	if (b->tee_call != NULL)
		tee_write(b, data, len);
	set_lowat(b, easy);
	kick(b);
	return 0;
}

/* Resume a paused transfer that nothing holds back any more. */
static void
resume(struct core_ptc_blob *b)
{
	if (!b->is_paused || b->easy == NULL || must_pause(b))
		return;
	b->is_paused = false;
	/* libcurl may hand over what it holds at once (sink, again). */
	curl_easy_pause(b->easy, CURLPAUSE_CONT);
}

void
call_tee_drained(struct call *call)
{
	struct core_ptc_blob *b;

	for (b = call->ctx->ptc_blobs; b != NULL; b = b->next) {
		if (b->tee_call != call)
			continue;
		b->tee_queued = 0;
		resume(b);
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

/*
 * The end of the file, in the pool: a whole transfer (its digest matched)
 * is synced and linked under the blob's name (pinned until the
 * commit that records it is over, as a registry push's finish is);
 * anything else is removed.
 */
static void
work_last(struct core_ptc_blob *b)
{
	struct store *s = b->ctx->store;
	int rc = b->rc;

	if (b->writer != NULL) {
		if ((rc = store_upload_writer_close(b->writer, rc == 0)) != 0 &&
		    b->rc == 0)
			b->rc = rc;
		b->writer = NULL;
	}
	if (b->rc == 0 && b->end == BLOB_WHOLE) {
		if ((b->rc = store_upload_file_prepare(s, b->upload_id,
		         b->len)) == 0) {
			store_blob_pin(s, b->digest);
			b->is_linked = true;
			/* A failed link leaves the rename to the commit. */
			(void)store_upload_file_link(s, b->upload_id,
			    b->digest);
		}
	} else if (b->rc == 0)
		b->rc = STORE_IO;
	if (b->rc != 0)
		(void)store_upload_file_remove(s, b->upload_id);
}

/*
 * A job (on a worker thread): write its chunks (in one write), maybe end
 * the file.
 */
static void
work(void *arg)
{
	struct core_ptc_blob *b = arg;
	struct store *s = b->ctx->store;
	struct iovec iov[JOB_CHUNKS];
	struct ptc_chunk *c;
	size_t n = 0;

	/* The file, once there is something to write, or an empty blob. */
	if (b->rc == 0 && b->writer == NULL &&
	    (b->work.head != NULL ||
	        (b->is_last_job && b->end == BLOB_WHOLE)) &&
	    (b->rc = store_upload_file_create(s, b->upload_id)) == 0)
		b->rc =
		    store_upload_writer_open(s, b->upload_id, 0, &b->writer);
	for (c = b->work.head; c != NULL; c = c->next) {
		iov[n].iov_base = c->data;
		iov[n++].iov_len = c->len;
	}
	if (b->rc == 0 && n > 0)
		b->rc = store_upload_writer_addv(b->writer, iov, n);
	if (b->is_last_job)
		work_last(b);
}

static void finish(struct core_ptc_blob *);

static void
work_done(void *arg, bool is_cancelled)
{
	struct core_ptc_blob *b = arg;
	struct ptc_chunk *c;

	b->is_busy = false;
	if (is_cancelled && b->rc == 0)
		b->rc = STORE_IO; /* the server is stopping */
	if (b->rc != 0 && !b->is_last_job)
		log_warn("pull through %s: %s", b->digest,
		    store_strerror(b->rc));
	while ((c = b->work.head) != NULL) {
		b->work.head = c->next;
		if (b->spare.n < JOB_CHUNKS)
			chunk_push(&b->spare, c);
		else
			free(c);
	}
	b->work.tail = NULL;
	b->work.n = 0;
	if (b->is_last_job) {
		finish(b);
		return;
	}
	/* kick last: a job it runs here may end b. */
	resume(b);
	kick(b);
}

/*
 * Hand the ready chunks to a job when none runs; once the transfer is
 * over, the last job ends the file (once the writes before it are done).
 */
static void
kick(struct core_ptc_blob *b)
{
	struct core_net *net = &b->ctx->net;
	struct ptc_chunk *c;

	if (b->is_busy)
		return;
	if (b->end != BLOB_FLOWING && b->fill != NULL) {
		chunk_push(&b->ready, b->fill);
		b->fill = NULL;
	}
	if (b->ready.n == 0 && b->end == BLOB_FLOWING)
		return;
	while (b->ready.head != NULL && b->work.n < JOB_CHUNKS) {
		c = b->ready.head;
		if ((b->ready.head = c->next) == NULL)
			b->ready.tail = NULL;
		b->ready.n--;
		chunk_push(&b->work, c);
	}
	b->is_last_job = b->end != BLOB_FLOWING && b->ready.n == 0;
	b->is_busy = true;
	if (net->submit == NULL ||
	    net->submit(net->arg, work, work_done, b) != 0) {
		/* No pool, or a full one: the work is done here. */
		work(b);
		work_done(b, false);
	}
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

/* Every waiter runs again, from the store if the blob is there now. */
static void
blob_end(struct core_ptc_blob *b, bool ok)
{
	size_t i;

	blob_unlink(b);
	if (b->is_linked)
		store_blob_unpin(b->ctx->store, b->digest);
	store_upload_unpin(b->ctx->store, b->upload_id);
	chunks_free(&b->spare);
	for (i = 0; i < b->n_waiters; i++) {
		b->waiters[i].call->ptc_state =
		    ok ? CORE_PTC_STORED : CORE_PTC_UNAVAILABLE;
		core_ptc_rerun(b->waiters[i].call);
	}
	free(b->waiters);
	free(b);
}

/*
 * In the group commit: the blob file in place (the link left only the
 * upload's name to drop) and a layer per repository waiting on it.
 */
static int
record(struct call *w)
{
	struct core_ptc_blob *b = w->proto;
	struct store_layer layer;
	size_t i;
	int rc;

	b->is_recorded = true;
	rc = store_upload_file_place(b->ctx->store, b->upload_id, b->digest);
	for (i = 0; rc == 0 && i < b->n_waiters; i++) {
		memset(&layer, 0, sizeof layer);
		layer.repo_id = b->waiters[i].repo_id;
		str_copy(layer.digest, sizeof layer.digest, b->digest);
		layer.size = b->len;
		layer.created_at_ms = b->waiters[i].call->now_ms;
		if ((rc = store_layer_add(w->txn, &layer)) == STORE_EXISTS)
			rc = 0;
	}
	if (rc != 0) {
		log_warn("pull through %s: %s", b->digest, store_strerror(rc));
		return core_fail_store(w, rc);
	}
	return 0;
}

static const struct op ptc_blob_op = {
    .name = "PullThroughCacheBlob",
    .flags = OP_TXN_WRITE,
    .exec = record,
};

static void
recorded(struct call *w, void *arg)
{
	struct core_ptc_blob *b = arg;
	bool ok = w->err.code == ERR_NONE;

	w->proto = NULL;
	call_free(w);
	blob_end(b, ok);
}

/* The file is done with: record it, or let the waiters go. */
static void
finish(struct core_ptc_blob *b)
{
	struct call *w;

	if (b->rc != 0 || b->n_waiters == 0) {
		blob_end(b, false);
		return;
	}
	/* Late waiters join until the commit: record reads them then. */
	w = core_ptc_write_call(b->waiters[0].call, &ptc_blob_op, b, NULL);
	call_on_finish(w, recorded, b);
	core_ptc_write(w);
}

/*
 * The digest matches: the client may have its last byte now. Its bytes
 * are the blob whatever becomes of the file, so it need not wait for the
 * sync and the commit (those cost a slow disk's worth of the first pull).
 */
static bool
verify(struct core_ptc_blob *b)
{
	char got[72];

	hash_text(b, got);
	if (strcmp(got, b->digest) != 0) {
		log_warn("pull through %s: upstream sent %s", b->digest, got);
		return false;
	}
	if (b->tee_call != NULL && b->tee_len > 0) {
		(void)b->tee_call->tee.write(b->tee_call->tee.arg, &b->tee_last,
		    1);
		b->tee_len = 0;
	}
	return true;
}

static void
blob_fetched(void *arg, struct up_xfer *x, const char *failure)
{
	struct core_ptc_blob *b = arg;

	b->easy = NULL;
	b->end = BLOB_BROKEN;
	if (x == NULL)
		log_warn("pull through %s: %s", b->digest, failure);
	else if (x->status != 200)
		log_warn("pull through %s: upstream answered HTTP %ld",
		    b->digest, x->status);
	else if (verify(b))
		b->end = BLOB_WHOLE;
	up_xfer_free(x);
	kick(b);
}

static void
wait_on(struct core_ptc_blob *b, struct call *call, uint64_t repo_id)
{
	b->waiters =
	    xreallocarray(b->waiters, b->n_waiters + 1, sizeof *b->waiters);
	b->waiters[b->n_waiters].call = call;
	b->waiters[b->n_waiters++].repo_id = repo_id;
}

/* A HEAD's answer: the length, or why not; nothing is recorded. */
static void
blob_headed(void *arg, struct up_xfer *x, const char *failure)
{
	struct call *call = arg;

	call->ptc_state = CORE_PTC_UNAVAILABLE;
	if (x == NULL)
		log_warn("pull through HEAD: %s", failure);
	else if (x->status == 200 && x->content_length >= 0) {
		call->ptc_state = CORE_PTC_HEADED;
		call->ptc_head_len = x->content_length;
	} else if (x->status == 404)
		call->ptc_state = CORE_PTC_MISSING;
	else
		log_warn("pull through HEAD: upstream answered HTTP %ld",
		    x->status);
	up_xfer_free(x);
	core_ptc_rerun(call);
}

/*
 * A HEAD of a blob the repository lacks asks the upstream's HEAD, not its
 * bytes: a client checking whether to pull (or to mount) must not start a
 * whole layer's transfer (issue 13).
 */
static int
head_blob(struct call *call, struct core_ptc_target *t, const char *digest)
{
	struct up_cred cred;
	char *url;

	url = xasprintf("%s/v2/%s/blobs/%s", t->base, t->path, digest);
	core_ptc_target_cred(t, &cred);
	up_head_start(call->ctx, url, &cred, t->scope, blob_headed, call);
	free(url);
	core_ptc_target_free(t);
	return CALL_PENDING;
}

int
core_ptc_pull_blob(struct call *call, const struct store_repo *repo,
    const char *digest, bool is_head)
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
	if (is_head)
		return head_blob(call, &t, digest);
	for (b = call->ctx->ptc_blobs; b != NULL; b = b->next) {
		if (strcmp(b->digest, digest) == 0 && !b->is_recorded) {
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
	b->total = -1;
	b->lowat = 1;
	/*
	 * No upload record names the file (the pool's first job makes it):
	 * the pin keeps the GC off it.
	 */
	store_upload_pin(call->ctx->store, b->upload_id);
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
