/*
 * Image logic shared by the ECR API and the registry: putting a manifest
 * (PutImage and a registry manifest PUT are this one function), finding an
 * image by tag or digest, and deleting by tag or digest.
 */
#include "core/image.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "core/manifest.h"
#include "core/scanning.h"
#include "auth/sha256.h"
#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

/* ECR's images-per-repository quota (docs/ecr-behaviour.md 4). */

void
core_digest_of(const void *bytes, size_t len, bool sha512, char *dst)
{
	unsigned char h[crypto_hash_sha512_BYTES];

	if (!sha512) {
		sha256_digest_text(bytes, len, dst);
		return;
	}
	crypto_hash_sha512(h, bytes, len);
	memcpy(dst, "sha512:", 7);
	sodium_bin2hex(dst + 7, sizeof h * 2 + 1, h, sizeof h);
}

bool
core_tag_is_immutable(const struct store_repo *repo, const char *tag)
{
	bool matches = false;
	size_t i;

	for (i = 0; i < repo->n_exclusion_filters && !matches; i++)
		matches =
		    str_wildcard_match(repo->exclusion_filters[i].filter, tag);
	if (strcmp(repo->tag_mutability, "IMMUTABLE") == 0)
		return true;
	if (strcmp(repo->tag_mutability, "IMMUTABLE_WITH_EXCLUSION") == 0)
		return !matches;
	if (strcmp(repo->tag_mutability, "MUTABLE_WITH_EXCLUSION") == 0)
		return matches;
	return false;
}

int
core_fail_image_not_found(struct call *call, const struct store_repo *repo,
    const char *digest, const char *tag)
{
	return core_fail(call, ERR_IMAGE_NOT_FOUND,
	    "The image with imageId "
	    "{imageDigest:'%s', imageTag:'%s'} does not exist within the "
	    "repository with name '%s' in the registry with id '%s'",
	    digest != NULL ? digest : "null", tag != NULL ? tag : "null",
	    repo->name, repo->registry_id);
}

static int
fail_manifest(struct call *call, int rc)
{
	switch (rc) {
	case MANIFEST_TOO_MANY_LAYERS:
		return core_fail_param(call, "ImageManifest",
		    "Limit on number of layers per image exceeded");
	case MANIFEST_BAD_MEDIA_TYPE:
		return core_fail_param(call, "ImageManifestMediaType",
		    "Invalid media type");
	case MANIFEST_BAD_SIZE:
		/* [unconfirmed] wording, in ECR's constraint style. */
		return core_fail_param(call, "ImageManifest",
		    "Descriptor sizes and their sum must be between 0 and "
		    "9223372036854775807");
	case MANIFEST_MEDIA_TYPE_MISMATCH:
		/* [unconfirmed] wording (docs/ecr-behaviour.md 3.2). */
		return core_fail_param(call, "ImageManifestMediaType",
		    "Media type in the manifest does not match the "
		    "imageManifestMediaType provided");
	default:
		return core_fail_param(call, "ImageManifest",
		    "Invalid JSON syntax");
	}
}

/*
 * "[a, b]", as ECR lists digests in its messages (Java's List). The
 * message keeps its first ECR_ERROR_MESSAGE_SIZE bytes, so digests past
 * them are left out, which keeps the buffer from ever reaching its cap.
 */
static void
digest_list(struct buf *b, const char *digest)
{
	if (b->len > ECR_ERROR_MESSAGE_SIZE)
		return;
	buf_addstr(b, b->len == 0 ? "[" : ", ");
	buf_addstr(b, digest);
}

/*
 * A descriptor's size must be the size of what it names where that is
 * stored (issue 11: declared sizes of 2^62 made imageSizeInBytes
 * negative). [unconfirmed] wording, in ECR's constraint style.
 */
static int
check_size(struct call *call, const struct manifest_ref *ref, uint64_t stored)
{
	if (ref->size < 0 || (uint64_t)ref->size == stored)
		return 0;
	return core_fail_param(call, "ImageManifest",
	    call_printf(call,
	        "Size %" PRId64 " of the descriptor with digest %s does not "
	        "match the size %" PRIu64 " of the stored content",
	        ref->size, ref->digest, stored));
}

/*
 * A blob of an image manifest that the repository holds: its size checks,
 * and counts where the manifest gives none (schema 1), as the parser
 * counts the sizes it is given.
 */
static int
count_layer(struct call *call, const struct manifest_ref *ref,
    const struct store_layer *layer, struct store_image *img)
{
	if (check_size(call, ref, layer->size) != 0)
		return -1;
	if (ref->size < 0 &&
	    (__builtin_add_overflow(img->size, layer->size, &img->size) ||
	        img->size > INT64_MAX))
		return fail_manifest(call, MANIFEST_BAD_SIZE);
	store_image_add_ref(img, ref->digest);
	return 0;
}

/*
 * Check an image manifest's blobs are layers of the repository with the
 * sizes the manifest gives, take the sizes of those the manifest does not
 * give (schema 1), and keep the refs that exist (all of them unless
 * references are relaxed).
 */
static int
check_layers(struct call *call, const struct store_repo *repo,
    const struct manifest *m, struct store_image *img)
{
	struct store_layer layer;
	struct buf missing;
	size_t i;
	int rc = 0;

	buf_init(&missing, 1024 * 1024);
	for (i = 0; rc == 0 && i < m->n_refs; i++) {
		rc = store_layer_get(call->txn, repo->id, m->refs[i].digest,
		    &layer);
		if (rc == 0)
			rc = count_layer(call, &m->refs[i], &layer, img);
		else if (rc == STORE_NOTFOUND) {
			if (!m->refs[i].is_foreign)
				digest_list(&missing, m->refs[i].digest);
			rc = 0;
		} else
			rc = core_fail_store(call, rc);
	}
	if (rc == 0 && missing.len != 0 && !call->ctx->cfg.relax_references &&
	    !call->is_pull_through && !call->is_replica) {
		buf_addstr(&missing, "]");
		rc = core_fail(call, ERR_LAYERS_NOT_FOUND,
		    "Layers with digests "
		    "'%s' required for pushing image into repository with name "
		    "'%s' in the registry with id '%s' do not exist",
		    missing.data, repo->name, repo->registry_id);
	}
	buf_release(&missing);
	return rc;
}

/* An index's children must be images of the repository; size is the max. */
static int
check_children(struct call *call, const struct store_repo *repo,
    const struct manifest *m, struct store_image *img)
{
	struct store_image child;
	struct buf missing;
	size_t i;
	int rc;

	buf_init(&missing, 1024 * 1024);
	for (i = 0; i < m->n_refs; i++) {
		memset(&child, 0, sizeof child);
		rc = store_image_get(call->txn, repo->id, m->refs[i].digest,
		    &child);
		if (rc == STORE_NOTFOUND) {
			digest_list(&missing, m->refs[i].digest);
			continue;
		}
		if (rc == 0)
			rc = check_size(call, &m->refs[i], child.manifest_len);
		else
			rc = core_fail_store(call, rc);
		if (rc != 0) {
			store_image_release(&child);
			buf_release(&missing);
			return -1;
		}
		if (child.size > img->size)
			img->size = child.size;
		store_image_release(&child);
		store_image_add_ref(img, m->refs[i].digest);
	}
	if (missing.len != 0 && !call->ctx->cfg.relax_references &&
	    !call->is_pull_through && !call->is_replica) {
		buf_addstr(&missing, "]");
		/* [unconfirmed] wording (docs/ecr-behaviour.md 3.2). */
		core_fail(call, ERR_REFERENCED_IMAGES_NOT_FOUND,
		    "Manifests with "
		    "digests '%s' referenced by the image index do not exist "
		    "in the repository with name '%s' in the registry with "
		    "id '%s'",
		    missing.data, repo->name, repo->registry_id);
		buf_release(&missing);
		return -1;
	}
	buf_release(&missing);
	return 0;
}

/* Give newly referenced layers the media type their descriptor names. */
static int
note_layer_types(struct call *call, const struct store_repo *repo,
    const struct manifest *m)
{
	struct store_layer layer;
	size_t i;
	int rc;

	for (i = 0; i < m->n_refs && !m->is_index; i++) {
		if (m->refs[i].media_type[0] == '\0' ||
		    store_layer_get(call->txn, repo->id, m->refs[i].digest,
		        &layer) != 0 ||
		    layer.media_type[0] != '\0')
			continue;
		rc = store_layer_set_media_type(call->txn, repo->id,
		    m->refs[i].digest, m->refs[i].media_type);
		if (rc != 0)
			return core_fail_store(call, rc);
	}
	return 0;
}

static int
create_image(struct call *call, const struct store_repo *repo,
    const struct core_image_put *in, const struct manifest *m,
    const char *digest)
{
	struct store_image img;
	uint64_t count, max = core_quota(call->ctx, CORE_QUOTA_IMAGES);
	int rc;

	if ((rc = store_image_count(call->txn, repo->id, &count)) != 0)
		return core_fail_store(call, rc);
	if (count >= max)
		return core_fail(call, ERR_LIMIT_EXCEEDED,
		    "The maximum number "
		    "of images per repository (%" PRIu64 ") has been reached "
		    "for the repository with name '%s' in the registry with id "
		    "'%s'",
		    max, repo->name, repo->registry_id);
	memset(&img, 0, sizeof img);
	img.repo_id = repo->id;
	str_copy(img.digest, sizeof img.digest, digest);
	img.kind = m->is_index ? STORE_IMAGE_INDEX : STORE_IMAGE_MANIFEST;
	img.status = STORE_IMAGE_ACTIVE;
	img.pushed_at_ms = call->now_ms;
	img.size = m->is_index ? 0 : (uint64_t)m->size;
	img.manifest_len = in->len;
	str_copy(img.manifest_media_type, sizeof img.manifest_media_type,
	    m->media_type);
	if (m->artifact_type != NULL)
		str_copy(img.artifact_media_type,
		    sizeof img.artifact_media_type, m->artifact_type);
	if (m->subject != NULL)
		str_copy(img.subject_digest, sizeof img.subject_digest,
		    m->subject);
	rc = m->is_index ? check_children(call, repo, m, &img)
	                 : check_layers(call, repo, m, &img);
	if (rc == 0 && (rc = store_image_create(call->txn, &img, in->manifest,
	                    in->len)) != 0)
		rc = core_fail_store(call, rc);
	if (rc == 0)
		rc = note_layer_types(call, repo, m);
	if (rc == 0)
		rc = core_scan_on_push(call, repo, &img);
	if (rc == 0)
		core_scan_repo_event(call, CORE_SCAN_IMAGE_PUSH, repo,
		    img.digest);
	store_image_release(&img);
	return rc;
}

static int
fail_exists(struct call *call, const struct store_repo *repo,
    const char *digest, const char *tag)
{
	return core_fail(call, ERR_IMAGE_ALREADY_EXISTS,
	    "Image with digest "
	    "'%s' and tag '%s' already exists in the repository with name "
	    "'%s' in registry with id '%s'",
	    digest, tag != NULL ? tag : "null", repo->name, repo->registry_id);
}

/* ECR's words, as its registry answers them (docs/ecr-behaviour.md 5). */
static int
fail_tags(struct call *call, const struct store_repo *repo, const char *tag)
{
	return core_fail(call, ERR_LIMIT_EXCEEDED,
	    "Adding tag '%s' to an "
	    "image in the repository with name '%s' in registry with id '%s' "
	    "exceeds the maximum allowed number of tags per image which is "
	    "'%" PRIu64 "'",
	    tag, repo->name, repo->registry_id,
	    core_quota(call->ctx, CORE_QUOTA_TAGS));
}

/*
 * The tags-per-image quota when --quota lowered it below what the store
 * holds (which store_tag_set checks itself): STORE_TOOBIG at it.
 */
static int
check_tag_quota(struct call *call, const struct store_repo *repo,
    const char *digest)
{
	struct store_image img;
	uint64_t max = core_quota(call->ctx, CORE_QUOTA_TAGS);
	int rc;

	if (max >= STORE_IMAGE_TAGS_MAX)
		return 0;
	memset(&img, 0, sizeof img);
	rc = store_image_get(call->txn, repo->id, digest, &img);
	if (rc == 0 && img.n_tags >= max)
		rc = STORE_TOOBIG;
	store_image_release(&img);
	/* STORE_NOTFOUND and the rest: store_tag_set answers them. */
	return rc == STORE_TOOBIG ? rc : 0;
}

/*
 * Point tag at digest, with ECR's immutability rule (docs/ecr-behaviour.md 3.2
 * table). ImageAlreadyExists comes first for an identical re-push, even in
 * an immutable repository [unconfirmed; the doc's choice].
 */
static int
set_tag(struct call *call, const struct store_repo *repo, const char *tag,
    const char *digest)
{
	char current[STORE_DIGEST_MAX + 1];
	int rc;

	rc = store_tag_get(call->txn, repo->id, tag, current);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	if (rc == 0 && strcmp(current, digest) == 0)
		return fail_exists(call, repo, digest, tag);
	if (rc == 0 && core_tag_is_immutable(repo, tag))
		return core_fail(call, ERR_IMAGE_TAG_ALREADY_EXISTS,
		    "The image "
		    "tag '%s' already exists in the '%s' repository and cannot "
		    "be overwritten because the repository is immutable.",
		    tag, repo->name);
	if ((rc = check_tag_quota(call, repo, digest)) == 0)
		rc = store_tag_set(call->txn, repo->id, tag, digest, NULL);
	if (rc == STORE_TOOBIG)
		return fail_tags(call, repo, tag);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

/* A re-push of an archived image restores it at once (3.14). */
static int
restore_if_archived(struct call *call, struct store_image *img)
{
	int rc;

	if (img->status == STORE_IMAGE_ACTIVE)
		return 0;
	img->status = STORE_IMAGE_ACTIVE;
	img->activated_at_ms = call->now_ms;
	if ((rc = store_image_update(call->txn, img)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

/*
 * The push's event, after its commit (docs/observability.md, Events): a
 * referrer's (a manifest with a subject) is "ECR Referrer Action" PUSH,
 * not "ECR Image Action" [unconfirmed: ECR documents only a referrer's
 * restore; the issue asks for this]. One event per push, with its tag
 * if it has one (the key is left out for an untagged push [unconfirmed]).
 * Copies and cached pulls are reported by replication.c and
 * pull_through.c as their own detail-types instead.
 */
static void
note_push(struct call *call, const struct store_repo *repo,
    const struct core_image_put *in, const struct manifest *m,
    const char *digest)
{
	struct core_event *ev;

	if (call->is_replica || call->is_pull_through)
		return;
	ev = core_call_event(call,
	    m->subject != NULL ? CORE_EVENT_REFERRER : CORE_EVENT_IMAGE, repo,
	    digest);
	if (ev == NULL)
		return;
	ev->action = CORE_EVENT_PUSH;
	core_event_set(&ev->tag, in->tag);
	core_event_set(&ev->manifest_media_type, m->media_type);
	core_event_set(&ev->artifact_media_type, m->artifact_type);
}

/*
 * The digest of in and its manifest parsed into *m (release it): 0, or -1
 * with the call's error.
 */
static int
image_parse(struct call *call, const struct core_image_put *in,
    struct manifest *m, char *digest)
{
	bool sha512;
	int rc;

	sha512 = in->digest != NULL && str_has_prefix(in->digest, "sha512:");
	core_digest_of(in->manifest, in->len, sha512, digest);
	if (in->digest != NULL && strcmp(in->digest, digest) != 0)
		/* [unconfirmed] wording; the model's description of it. */
		return core_fail(call, ERR_IMAGE_DIGEST_DOES_NOT_MATCH,
		    "The "
		    "specified image digest '%s' does not match the digest "
		    "'%s' that Amazon ECR calculated for the image",
		    in->digest, digest);
	if ((rc = manifest_parse(in->manifest, in->len, in->media_type, m)) !=
	    0)
		return fail_manifest(call, rc);
	return 0;
}

/* core_image_put after its parse, with out->digest set. */
static int
put_parsed(struct call *call, const struct store_repo *repo,
    const struct core_image_put *in, const struct manifest *m,
    struct core_image_result *out)
{
	struct store_image existing;
	int rc;

	str_copy(out->media_type, sizeof out->media_type, m->media_type);
	str_copy(out->subject, sizeof out->subject,
	    m->subject != NULL ? m->subject : "");
	memset(&existing, 0, sizeof existing);
	rc = store_image_get(call->txn, repo->id, out->digest, &existing);
	if (rc == STORE_NOTFOUND) {
		rc = create_image(call, repo, in, m, out->digest);
		/* Signatures and other referrers are not signed again. */
		if (rc == 0 && m->subject == NULL &&
		    (rc = core_signing_enqueue(call, repo, out->digest)) != 0)
			rc = core_fail_store(call, rc);
	} else if (rc != 0)
		rc = core_fail_store(call, rc);
	else if (in->tag == NULL)
		rc = fail_exists(call, repo, out->digest, NULL);
	else
		rc = restore_if_archived(call, &existing);
	if (rc == 0 && in->tag != NULL)
		rc = set_tag(call, repo, in->tag, out->digest);
	if (rc == 0)
		rc = core_repl_enqueue(call, repo, out->digest, in->tag);
	if (rc == 0)
		note_push(call, repo, in, m, out->digest);
	store_image_release(&existing);
	return rc;
}

int
core_image_put(struct call *call, const struct store_repo *repo,
    const struct core_image_put *in, struct core_image_result *out)
{
	struct manifest m;
	int rc;

	if (image_parse(call, in, &m, out->digest) != 0)
		return -1;
	rc = put_parsed(call, repo, in, &m, out);
	manifest_release(&m);
	return rc;
}

int
core_image_put_parsed(struct call *call, const struct store_repo *repo,
    const struct core_image_put *in, const struct manifest *parsed,
    struct core_image_result *out)
{
	str_copy(out->digest, sizeof out->digest, in->digest);
	return put_parsed(call, repo, in, parsed, out);
}

int
core_image_find(struct call *call, uint64_t repo_id, const char *digest,
    const char *tag, struct store_image *out)
{
	char tagged[STORE_DIGEST_MAX + 1];
	int rc;

	if (tag != NULL) {
		if ((rc = store_tag_get(call->txn, repo_id, tag, tagged)) != 0)
			return rc;
		if (digest != NULL && strcmp(digest, tagged) != 0)
			return CORE_IMAGE_TAG_MISMATCH;
		digest = tagged;
	}
	return store_image_get(call->txn, repo_id, digest, out);
}

/*
 * A delete's events: one per image id it removed, as BatchDeleteImage
 * lists them (each tag, or the digest alone) [unconfirmed: ECR's doc shows
 * one DELETE with a tag]. A lifecycle run's expiries have none (ECR
 * reports them to CloudTrail only, integrations 1.1).
 */
static void
note_delete(struct call *call, const struct store_image *img, const char *tag)
{
	struct core_event *ev;
	struct store_repo repo;
	size_t i, n = tag != NULL ? 1 : img->n_tags;

	if (call->is_lifecycle || !core_events_wanted(call->ctx) ||
	    store_repo_get_by_id(call->txn, img->repo_id, &repo) != 0)
		return;
	/* The digest alone when the image had no tag. */
	for (i = 0; i < n || i == 0; i++) {
		ev = core_image_event(call->ctx, CORE_EVENT_DELETE, &repo, img,
		    call->now_ms);
		if (n != 0)
			core_event_set(&ev->tag,
			    tag != NULL ? tag : img->tags[i]);
		core_events_add(&call->events, ev);
	}
	if (tag == NULL)
		core_scan_repo_event(call, CORE_SCAN_IMAGE_DELETE, &repo,
		    img->digest);
}

int
core_image_delete(struct call *call, const struct store_image *img,
    const char *tag)
{
	bool has_parent;
	int rc;

	if (tag != NULL && img->n_tags > 1) {
		if ((rc = store_tag_delete(call->txn, img->repo_id, tag,
		         NULL)) != 0)
			return core_fail_store(call, rc);
		note_delete(call, img, tag);
		return 0;
	}
	/* The last tag goes with the image, unless a list still holds it. */
	if ((rc = store_image_has_parent(call->txn, img->repo_id, img->digest,
	         &has_parent)) != 0)
		return core_fail_store(call, rc);
	if (has_parent)
		return CORE_IMAGE_BUSY;
	rc = store_image_delete(call->txn, img->repo_id, img->digest);
	if (rc == STORE_BUSY)
		return CORE_IMAGE_BUSY;
	if (rc != 0)
		return core_fail_store(call, rc);
	note_delete(call, img, NULL);
	return 0;
}

bool
core_accept_has(const struct core_accept *a, const char *media_type)
{
	size_t i;

	if (a->n == 0)
		return true;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->types[i], media_type) == 0)
			return true;
	return false;
}

/* The type a client accepting w takes a manifest of type in, or NULL. */
static const char *
served_type(const struct core_accept *w, const char *type, bool may_translate)
{
	const char *twin;

	if (core_accept_has(w, type))
		return type;
	if (!may_translate || (twin = manifest_twin(type)) == NULL)
		return NULL;
	return core_accept_has(w, twin) ? twin : NULL;
}

static bool
servable_cb(const char *media_type, void *arg)
{
	return served_type(arg, media_type, true) != NULL;
}

/*
 * img's manifest as stored if its type is accepted; else, if translation
 * is allowed, as its Docker v2 / OCI twin (the type stored at push time
 * says which, since OCI manifests may lack the member). NULL if neither.
 */
static char *
serve(struct call *call, const struct core_accept *w,
    const struct store_image *img, bool may_translate, char *digest,
    const char **type, size_t *out_len)
{
	const char *target;
	char *bytes, *alt;
	size_t len, alt_len;

	target = served_type(w, img->manifest_media_type, may_translate);
	if (target == NULL || store_manifest_get(call->txn, img->repo_id,
	                          img->digest, &bytes, &len) != 0)
		return NULL;
	if (target == img->manifest_media_type) {
		str_copy(digest, CORE_DIGEST_SIZE, img->digest);
		*type = call_take(call, xstrdup(target));
		*out_len = len;
		return bytes;
	}
	alt = manifest_translate(bytes, len, img->manifest_media_type, target,
	    &alt_len);
	free(bytes);
	if (alt == NULL)
		return NULL;
	core_digest_of(alt, alt_len, false, digest);
	*type = target; /* one of manifest.h's constants */
	*out_len = alt_len;
	return alt;
}

/*
 * The stored manifest if its type is accepted; else, only by tag, what
 * ECR serves instead (3.2): the Docker v2 / OCI twin, or for an index the
 * linux/amd64 child (else the first) the client takes as stored or as its
 * twin, as BatchGetImage and the registry both do. Returns the bytes to
 * send (owned) and sets type, digest and length, or NULL.
 */
char *
core_image_negotiate(struct call *call, const struct core_accept *w,
    const struct store_image *img, bool by_tag, char *digest, const char **type,
    size_t *out_len)
{
	struct store_image child;
	char *bytes = NULL;
	size_t len;
	int rc;

	if (img->kind != STORE_IMAGE_INDEX || !by_tag ||
	    core_accept_has(w, img->manifest_media_type))
		return serve(call, w, img, by_tag, digest, type, out_len);
	if (store_manifest_get(call->txn, img->repo_id, img->digest, &bytes,
	        &len) != 0)
		return NULL;
	rc = manifest_pick_child(bytes, len, servable_cb, (void *)w, digest,
	    CORE_DIGEST_SIZE);
	free(bytes);
	memset(&child, 0, sizeof child);
	if (rc != 0 ||
	    store_image_get(call->txn, img->repo_id, digest, &child) != 0)
		return NULL;
	bytes = serve(call, w, &child, true, digest, type, out_len);
	store_image_release(&child);
	return bytes;
}

void
core_image_annotations_write(struct call *call, struct jw *w,
    const struct store_image *img)
{
	struct json_object *root, *ann;
	char *bytes;
	size_t len;

	if (store_manifest_get(call->txn, img->repo_id, img->digest, &bytes,
	        &len) != 0)
		return;
	root = manifest_json(bytes, len);
	if (root != NULL &&
	    json_object_object_get_ex(root, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object)) {
		jw_obj_open(w, "annotations");
		json_object_object_foreach(ann, k, v)
		{
			if (json_object_is_type(v, json_type_string))
				jw_str(w, k, json_object_get_string(v));
		}
		jw_obj_close(w);
	}
	json_object_put(root);
	free(bytes);
}
