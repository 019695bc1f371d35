/*
 * The signing worker's three steps (docs/ecr-behaviour.md 3.12): take the
 * due signings queued with their pushes (on the loop, a read txn), sign
 * them (on a worker thread: keys, certificates and blob files, the slow
 * part), and record the signatures as referrers of their images, with
 * each profile's status, in the next group commit (core_signs_apply) or
 * the server's flush. One run at a time, so a record is never signed
 * twice; a server stopped midway keeps its records and signs them after.
 */
#include "core/core_int.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/notary.h"
#include "auth/sha256.h"
#include "common/log.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "store/store.h"

/*
 * One image a run: a run is taken each second (and after a batch), which
 * is ample for an emulator and keeps a run's worker time short.
 */
#define SIGNS_PER_RUN 1

/* One profile's signature of one image, or why it failed. */
struct sign_out {
	char *profile;
	char *manifest; /* the signature manifest; NULL: failed */
	size_t manifest_len;
	char env_digest[72];
	size_t env_len;
	char *failure; /* reason when manifest is NULL */
	bool pinned_env, pinned_empty;
};

struct sign_item {
	struct store_work w; /* the queue record */
	int load_rc;
	struct json_object *job;
	struct notary_target target;
	char media_type[STORE_MEDIA_TYPE_MAX + 1];
	struct sign_out *outs;
	size_t n_outs;
};

struct core_sign_run {
	struct core_ctx *ctx;
	int64_t now_ms;
	struct sign_item items[SIGNS_PER_RUN];
	size_t n;
	struct core_sign_run *next; /* ctx->signs_done */
};

/* The signer of profile: cached, loaded from --signing-key or made. */
struct core_signer {
	char *profile;
	struct notary_signer *signer;
	struct core_signer *next;
};

static struct core_signer *
signer_find(struct core_ctx *ctx, const char *profile)
{
	struct core_signer *s;

	for (s = ctx->signers; s != NULL; s = s->next)
		if (strcmp(s->profile, profile) == 0)
			return s;
	return NULL;
}

static int
read_text(const char *path, char **out)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size > 1024 * 1024) {
		close(fd);
		return -1;
	}
	*out = xmalloc((size_t)st.st_size + 1);
	n = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*out);
		return -1;
	}
	(*out)[n] = '\0';
	return 0;
}

/* Write a file of mode 0600 that no one else may read, durably. */
static int
write_private(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

/*
 * The key files of profile in the signing directory: the profile's name
 * after a hash of its ARN, so that two accounts' same names stay apart.
 */
static void
key_paths(const char *dir, const char *profile, char **key, char **cert)
{
	unsigned char h[32];
	char hex[17];
	const char *name = strrchr(profile, '/');

	crypto_hash_sha256(h, (const unsigned char *)profile, strlen(profile));
	sodium_bin2hex(hex, sizeof hex, h, 8);
	*key =
	    xasprintf("%s/%s-%s.key", dir, hex, name != NULL ? name + 1 : "");
	*cert =
	    xasprintf("%s/%s-%s.crt", dir, hex, name != NULL ? name + 1 : "");
}

/* On a worker: the files if they are there, else a new key, saved. */
static struct notary_signer *
signer_load_or_make(struct core_ctx *ctx, const char *profile, int64_t now_s,
    char **cause)
{
	struct notary_signer *ns = NULL;
	char *kp, *cp, *key = NULL, *cert = NULL;

	key_paths(ctx->cfg.signing_dir, profile, &kp, &cp);
	if (read_text(kp, &key) == 0 && read_text(cp, &cert) == 0)
		ns = notary_signer_new(key, cert, cause);
	else if (mkdir(ctx->cfg.signing_dir, 0700) != 0 && errno != EEXIST)
		*cause =
		    xasprintf("%s: %s", ctx->cfg.signing_dir, strerror(errno));
	else if (notary_key_new(strrchr(profile, '/') + 1, now_s, &key, &cert,
	             cause) == 0) {
		if (write_private(kp, key) != 0 || write_private(cp, cert) != 0)
			*cause = xasprintf("%s: %s", kp, strerror(errno));
		else
			ns = notary_signer_new(key, cert, cause);
	}
	str_wipe_free(key);
	free(cert);
	free(kp);
	free(cp);
	return ns;
}

int
core_signer_add(struct core_ctx *ctx, const char *profile, const char *key_pem,
    const char *cert_pem, char **cause)
{
	struct notary_signer *ns = notary_signer_new(key_pem, cert_pem, cause);
	struct core_signer *s;

	if (ns == NULL)
		return -1;
	pthread_mutex_lock(&ctx->signers_mtx);
	s = xcalloc(1, sizeof *s);
	s->profile = xstrdup(profile);
	s->signer = ns;
	s->next = ctx->signers;
	ctx->signers = s;
	pthread_mutex_unlock(&ctx->signers_mtx);
	return 0;
}

char *
core_signer_cert(struct core_ctx *ctx, const char *profile)
{
	struct core_signer *s;
	char *pem = NULL;

	pthread_mutex_lock(&ctx->signers_mtx);
	if ((s = signer_find(ctx, profile)) != NULL)
		pem = xstrdup(notary_signer_cert_pem(s->signer));
	pthread_mutex_unlock(&ctx->signers_mtx);
	return pem;
}

void
core_signers_free(struct core_ctx *ctx)
{
	struct core_signer *s, *next;
	struct core_sign_run *run;

	/* Runs signed but not recorded: their records stay queued. */
	while ((run = ctx->signs_done) != NULL) {
		ctx->signs_done = run->next;
		core_sign_run_free(run);
	}
	for (s = ctx->signers; s != NULL; s = next) {
		next = s->next;
		notary_signer_free(s->signer);
		free(s->profile);
		free(s);
	}
	ctx->signers = NULL;
}

static struct notary_signer *
signer_get(struct core_ctx *ctx, const char *profile, int64_t now_s,
    char **cause)
{
	struct core_signer *s;
	struct notary_signer *ns;

	pthread_mutex_lock(&ctx->signers_mtx);
	s = signer_find(ctx, profile);
	pthread_mutex_unlock(&ctx->signers_mtx);
	if (s != NULL)
		return s->signer;
	if ((ns = signer_load_or_make(ctx, profile, now_s, cause)) == NULL)
		return NULL;
	pthread_mutex_lock(&ctx->signers_mtx);
	s = xcalloc(1, sizeof *s);
	s->profile = xstrdup(profile);
	s->signer = ns;
	s->next = ctx->signers;
	ctx->signers = s;
	pthread_mutex_unlock(&ctx->signers_mtx);
	return ns;
}

/* Queue item i's image for the worker: its descriptor, from the store. */
static int
item_load(struct store_txn *txn, struct sign_item *it)
{
	struct store_image img;
	int rc;

	if ((it->job = json_tokener_parse(it->w.text)) == NULL)
		return STORE_CORRUPT;
	memset(&img, 0, sizeof img);
	if ((rc = store_image_get(txn, it->w.repo_id, it->w.digest, &img)) != 0)
		return rc;
	str_copy(it->media_type, sizeof it->media_type,
	    img.manifest_media_type);
	it->target.media_type = it->media_type;
	it->target.digest = it->w.digest;
	it->target.size = img.manifest_len;
	store_image_release(&img);
	return 0;
}

/*
 * On the loop: the earliest due signing, unless a run is out already.
 * NULL when there is none (a record whose image is gone is dropped at
 * apply, so it never blocks the queue).
 */
struct core_sign_run *
core_sign_take(struct core_ctx *ctx)
{
	struct core_sign_run *run;
	struct store_txn *txn;
	struct sign_item *it;
	int rc;

	if (ctx->sign_busy ||
	    store_txn_begin(ctx->store, NULL, false, &txn) != 0)
		return NULL;
	run = xcalloc(1, sizeof *run);
	run->ctx = ctx;
	run->now_ms = core_now_ms(ctx);
	it = &run->items[0];
	rc = store_work_first(txn, STORE_WORK_SIGN, &it->w);
	if (rc == 1 && it->w.due_ms <= run->now_ms) {
		run->n = 1;
		it->load_rc = item_load(txn, it);
	}
	store_txn_abort(txn);
	if (run->n == 0) {
		core_sign_run_free(run);
		return NULL;
	}
	ctx->sign_busy = true;
	return run;
}

/* A blob file of text under digest, pinned until the run is applied. */
static int
blob_write(struct core_ctx *ctx, const char *text, size_t len,
    const char *digest)
{
	char id[UUID_SIZE];
	int rc;

	uuid_v4(id);
	store_blob_pin(ctx->store, digest);
	store_files_lock(ctx->store);
	if ((rc = store_upload_file_create(ctx->store, id)) == 0 &&
	    (rc = store_upload_file_write(ctx->store, id, 0, text, len)) == 0)
		rc = store_upload_file_finish(ctx->store, id, len, digest);
	if (rc != 0)
		(void)store_upload_file_remove(ctx->store, id);
	store_files_unlock(ctx->store);
	return rc;
}

static void
sign_one(struct core_sign_run *run, struct sign_item *it, struct sign_out *o)
{
	struct core_ctx *ctx = run->ctx;
	struct notary_signer *ns;
	int64_t now_s = run->now_ms / 1000;
	char *env, *cause = NULL;
	int rc;

	if ((ns = signer_get(ctx, o->profile, now_s, &cause)) == NULL) {
		o->failure = cause;
		return;
	}
	if ((env = notary_envelope(ns, &it->target, now_s, &o->env_len,
	         &cause)) == NULL) {
		o->failure = cause;
		return;
	}
	sha256_digest_text(env, o->env_len, o->env_digest);
	o->pinned_env = true;
	if ((rc = blob_write(ctx, env, o->env_len, o->env_digest)) == 0) {
		o->pinned_empty = true;
		rc = blob_write(ctx, NOTARY_EMPTY_BLOB, 2, NOTARY_EMPTY_DIGEST);
	}
	if (rc != 0)
		o->failure =
		    xasprintf("storing the signature: %s", store_strerror(rc));
	else if ((o->manifest = notary_manifest(ns, o->env_digest, o->env_len,
	              &it->target, now_s, &o->manifest_len)) == NULL)
		o->failure = xstrdup("rendering the signature manifest");
	free(env);
}

/* On a worker: every profile of every item. */
void
core_sign_work(struct core_sign_run *run)
{
	struct json_object *profiles;
	struct sign_item *it;
	size_t i, j;

	for (i = 0; i < run->n; i++) {
		it = &run->items[i];
		if (it->load_rc != 0)
			continue;
		profiles = jget(it->job, "profiles", json_type_array);
		it->n_outs =
		    profiles != NULL ? json_object_array_length(profiles) : 0;
		it->outs = xcalloc(it->n_outs + 1, sizeof *it->outs);
		for (j = 0; j < it->n_outs; j++) {
			it->outs[j].profile = xstrdup(json_object_get_string(
			    json_object_array_get_idx(profiles, j)));
			sign_one(run, it, &it->outs[j]);
		}
	}
}

/* The signature's blobs as layers of the repository, then its manifest. */
static int
record_signature(struct call *call, const struct store_repo *repo,
    const struct sign_out *o)
{
	struct core_image_put in;
	struct core_image_result res;
	struct store_layer layer;
	int rc;

	memset(&layer, 0, sizeof layer);
	layer.repo_id = repo->id;
	layer.created_at_ms = call->now_ms;
	str_copy(layer.digest, sizeof layer.digest, o->env_digest);
	layer.size = o->env_len;
	str_copy(layer.media_type, sizeof layer.media_type,
	    NOTARY_ENVELOPE_TYPE);
	if ((rc = store_layer_add(call->txn, &layer)) != 0 &&
	    rc != STORE_EXISTS)
		return rc;
	str_copy(layer.digest, sizeof layer.digest, NOTARY_EMPTY_DIGEST);
	layer.size = 2;
	str_copy(layer.media_type, sizeof layer.media_type, NOTARY_EMPTY_TYPE);
	if ((rc = store_layer_add(call->txn, &layer)) != 0 &&
	    rc != STORE_EXISTS)
		return rc;
	memset(&in, 0, sizeof in);
	in.manifest = o->manifest;
	in.len = o->manifest_len;
	in.media_type = "application/vnd.oci.image.manifest.v1+json";
	if (core_image_put(call, repo, &in, &res) != 0)
		return STORE_CORRUPT; /* call->err says why */
	return 0;
}

/*
 * One item in its own child txn: signatures, statuses, the record gone.
 * The signatures' pushes (ECR Referrer Action [unconfirmed: whether ECR
 * sends an aws.ecr event for managed signing is unknown]) go on l once
 * the child has committed, to go out after the parent's commit.
 */
static int
apply_item(struct core_ctx *ctx, struct store_txn *parent, struct sign_item *it,
    int64_t now_ms, struct core_events *l)
{
	struct store_repo repo;
	struct call *call;
	const char *reason;
	size_t i;
	int rc;

	call = call_new(ctx, "signing", now_ms);
	if ((rc = store_txn_begin(ctx->store, parent, true, &call->txn)) != 0) {
		call_free(call);
		return rc;
	}
	rc = it->load_rc != 0 || it->job == NULL
	         ? STORE_NOTFOUND
	         : store_repo_get(call->txn, jget_str(it->job, "registryId"),
	               jget_str(it->job, "region"),
	               jget_str(it->job, "repositoryName"), &repo);
	/* The image or its repository went meanwhile: nothing to sign. */
	if (rc == 0 && repo.id != it->w.repo_id)
		rc = STORE_NOTFOUND;
	for (i = 0; rc == 0 && i < it->n_outs; i++) {
		const struct sign_out *o = &it->outs[i];

		if (o->manifest != NULL &&
		    record_signature(call, &repo, o) == 0)
			rc = core_signing_status_set(call->txn, repo.id,
			    it->w.digest, o->profile, "COMPLETE", NULL, NULL);
		else {
			reason =
			    o->failure != NULL ? o->failure : call->err.message;
			log_warn("signing %s with %s: %s", it->w.digest,
			    o->profile, reason);
			rc = core_signing_status_set(call->txn, repo.id,
			    it->w.digest, o->profile, "FAILED",
			    "SIGNING_FAILED", reason);
			/* reason may be the message: cleared only now. */
			ecr_error_clear(&call->err);
		}
	}
	if (rc == 0 || rc == STORE_NOTFOUND)
		rc = store_work_del(call->txn, STORE_WORK_SIGN, &it->w);
	if (rc == 0) {
		rc = store_txn_commit(call->txn); /* frees it either way */
		call->txn = NULL;
	}
	if (rc == 0)
		core_events_move(l, &call->events);
	call_free(call); /* aborts a child txn left open */
	return rc;
}

void
core_sign_done(struct core_sign_run *run)
{
	struct core_ctx *ctx = run->ctx;

	run->next = ctx->signs_done;
	ctx->signs_done = run;
}

int
core_signs_apply(struct core_ctx *ctx, struct store_txn *parent,
    struct core_events *l)
{
	struct core_sign_run *run;
	size_t i;
	int rc = 0;

	while (rc == 0 && (run = ctx->signs_done) != NULL) {
		for (i = 0; rc == 0 && i < run->n; i++)
			rc = apply_item(ctx, parent, &run->items[i],
			    core_now_ms(ctx), l);
		if (rc != 0)
			break;
		ctx->signs_done = run->next;
		core_sign_run_free(run);
	}
	return rc;
}

bool
core_signs_pending(const struct core_ctx *ctx)
{
	return ctx->signs_done != NULL;
}

int
core_signs_flush(struct core_ctx *ctx)
{
	struct store_txn *txn;
	struct core_events l = {NULL, NULL};
	int rc;

	if (!core_signs_pending(ctx))
		return 0;
	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
		return rc;
	if ((rc = core_signs_apply(ctx, txn, &l)) != 0) {
		store_txn_abort(txn);
		core_events_clear(&l);
		return rc;
	}
	if ((rc = store_txn_commit(txn)) == 0)
		core_events_emit(ctx, &l);
	else
		core_events_clear(&l);
	return rc;
}

/* Unpins what the run's blob writes pinned. */
void
core_sign_run_free(struct core_sign_run *run)
{
	struct sign_item *it;
	size_t i, j;

	if (run == NULL)
		return;
	run->ctx->sign_busy = false; /* none is out now */
	for (i = 0; i < run->n; i++) {
		it = &run->items[i];
		for (j = 0; j < it->n_outs; j++) {
			if (it->outs[j].pinned_env)
				store_blob_unpin(run->ctx->store,
				    it->outs[j].env_digest);
			if (it->outs[j].pinned_empty)
				store_blob_unpin(run->ctx->store,
				    NOTARY_EMPTY_DIGEST);
			free(it->outs[j].profile);
			free(it->outs[j].manifest);
			free(it->outs[j].failure);
		}
		free(it->outs);
		json_object_put(it->job);
		store_work_release(&it->w);
	}
	free(run);
}
