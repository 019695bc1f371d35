/*
 * Image records and their manifests: create, read, update, delete and
 * walk them, keeping the counts store.h promises (layer references, the
 * parents of an index's children, referrers, the image count).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

static void
list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
store_image_release(struct store_image *img)
{
	list_free(img->tags, img->n_tags);
	list_free(img->refs, img->n_refs);
	memset(img, 0, sizeof(*img));
}

static void
list_add(char ***list, size_t *n, const char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

void
store_image_add_tag(struct store_image *img, const char *tag)
{
	list_add(&img->tags, &img->n_tags, tag);
}

void
store_image_add_ref(struct store_image *img, const char *digest)
{
	list_add(&img->refs, &img->n_refs, digest);
}

/* Decode the image under k into *out, which must own nothing. */
static int
image_load(struct store_txn *t, struct store_key *k, uint64_t repo_id,
    const char *digest, struct store_image *out)
{
	MDB_val v;
	int rc;

	if ((rc = store_db_get(t, STORE_DBI_IMAGES, k, &v)) != STORE_OK)
		return rc;
	out->repo_id = repo_id;
	/* The key bounded the digest, so this copy cannot truncate. */
	str_copy(out->digest, sizeof(out->digest), digest);
	return store_codec_image_decode(v.mv_data, v.mv_size, out);
}

static int
image_put(struct store_txn *t, struct store_key *k,
    const struct store_image *img, unsigned flags)
{
	struct buf v;
	int rc;

	if ((rc = store_codec_image_encode(img, &v)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_IMAGES, k, v.data, v.len, flags);
	buf_release(&v);
	return rc;
}

int
store_image_put(struct store_txn *t, const struct store_image *img)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, img->repo_id, img->digest)) !=
	    STORE_OK)
		return rc;
	return image_put(t, &k, img, 0);
}

static int
count_add(struct store_txn *t, uint64_t repo_id, int delta)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_children(&k, repo_id)) != STORE_OK)
		return rc;
	return store_db_counter_add(t, STORE_DBI_IMAGE_COUNTS, &k, delta);
}

/*
 * Check what create would write, so that a failure writes nothing: every
 * ref exists (a layer record, or an image for an index), every key fits,
 * and the lists hold no empty string.
 */
static int
create_check(struct store_txn *t, const struct store_image *img)
{
	struct store_key k;
	MDB_val v;
	size_t i;
	int rc;

	if (img->n_tags != 0 || img->digest[0] == '\0')
		return STORE_IO;
	if (img->n_refs > STORE_IMAGE_REFS_MAX)
		return STORE_TOOBIG;
	if (img->subject_digest[0] != '\0' &&
	    (rc = store_keys_repo_pair(&k, img->repo_id, img->subject_digest,
	         img->digest)) != STORE_OK)
		return rc;
	for (i = 0; i < img->n_refs; i++) {
		if (img->refs[i][0] == '\0')
			return STORE_IO;
		if (img->kind == STORE_IMAGE_INDEX &&
		    (rc = store_keys_repo_pair(&k, img->repo_id, img->refs[i],
		         img->digest)) != STORE_OK)
			return rc;
		if ((rc = store_keys_repo_digest(&k, img->repo_id,
		         img->refs[i])) != STORE_OK ||
		    (rc = store_db_get(t,
		         img->kind == STORE_IMAGE_INDEX ? STORE_DBI_IMAGES
		                                        : STORE_DBI_LAYERS,
		         &k, &v)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* Count (delta +1) or uncount (-1) an image's refs. */
static int
refs_count(struct store_txn *t, const struct store_image *img, int delta)
{
	struct store_key k;
	size_t i;
	int rc;

	for (i = 0; i < img->n_refs; i++) {
		if (img->kind == STORE_IMAGE_MANIFEST) {
			rc = store_layer_ref(t, img->repo_id, img->refs[i],
			    delta);
			if (rc == STORE_NOTFOUND)
				return STORE_CORRUPT;
		} else if ((rc = store_keys_repo_pair(&k, img->repo_id,
		                img->refs[i], img->digest)) == STORE_OK) {
			rc = delta > 0
			         ? store_db_put_marker(t, STORE_DBI_PARENTS, &k)
			         : store_db_del(t, STORE_DBI_PARENTS, &k);
			/* Tolerate a ref listed twice. */
			if (rc == STORE_NOTFOUND)
				rc = STORE_OK;
		}
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* Add (delta +1) or remove (-1) an image's entry under its subject. */
static int
referrer_entry(struct store_txn *t, const struct store_image *img, int delta)
{
	struct store_key k;
	int rc;

	if (img->subject_digest[0] == '\0')
		return STORE_OK;
	if ((rc = store_keys_repo_pair(&k, img->repo_id, img->subject_digest,
	         img->digest)) != STORE_OK)
		return rc;
	if (delta > 0)
		return store_db_put_marker(t, STORE_DBI_REFERRERS, &k);
	rc = store_db_del(t, STORE_DBI_REFERRERS, &k);
	return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
}

/*
 * Manifests. One that fits in a page is one record, keyed as its image.
 * A bigger one is cut into chunks of at most chunk_max bytes, each one
 * record (store_keys_manifest_chunk) taking one page. Were it one value,
 * LMDB would need a run of contiguous free pages for it, and in a full map
 * the single pages every write takes break up the runs that deletes free:
 * deleting 4 MiB manifests did not make room for one more (issue 11).
 * Stores written before keep their big manifests as one record, which is
 * still read.
 */
static int
manifest_put(struct store_txn *t, struct store_key *k,
    const struct store_image *img, const unsigned char *p, size_t len)
{
	struct store_key ck;
	struct buf b;
	size_t max = t->store->chunk_max, n;
	uint32_t i;
	int rc;

	/* store_image_create, the one caller, checked STORE_MANIFEST_MAX. */
	if (len <= max) {
		if ((rc = store_codec_manifest_encode(p, len, &b)) != STORE_OK)
			return rc;
		rc = store_db_put(t, STORE_DBI_MANIFESTS, k, b.data, b.len, 0);
		buf_release(&b);
		return rc;
	}
	for (i = 0; len > 0; i++) {
		n = len < max ? len : max;
		if ((rc = store_keys_manifest_chunk(&ck, img->repo_id,
		         img->digest, i, false)) != STORE_OK ||
		    (rc = store_codec_manifest_encode(p, n, &b)) != STORE_OK)
			return rc;
		rc =
		    store_db_put(t, STORE_DBI_MANIFESTS, &ck, b.data, b.len, 0);
		buf_release(&b);
		if (rc != STORE_OK)
			return rc;
		p += n;
		len -= n;
	}
	return STORE_OK;
}

/* Gather a chunked manifest into b; STORE_NOTFOUND if it has no chunk. */
static int
manifest_chunks_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    struct buf *b)
{
	struct store_key prefix;
	MDB_cursor *c;
	MDB_val key, val;
	const void *p;
	size_t n;
	uint32_t i = 0;
	int mrc, rc;

	if ((rc = store_keys_manifest_chunk(&prefix, repo_id, digest, 0,
	         true)) != STORE_OK ||
	    (rc = store_db_cursor(t, STORE_DBI_MANIFESTS, &c)) != STORE_OK)
		return rc;
	buf_init(b, STORE_MANIFEST_MAX);
	for (mrc = store_db_seek(c, &prefix, false, &key, &val); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT), i++) {
		if (key.mv_size != prefix.len + 4 ||
		    memcmp(key.mv_data, prefix.data, prefix.len) != 0)
			break;
		if (store_codec_manifest_decode(val.mv_data, val.mv_size, &p,
		        &n) != STORE_OK ||
		    n == 0 || buf_add(b, p, n) != 0) {
			rc = STORE_CORRUPT;
			break;
		}
	}
	mdb_cursor_close(c);
	if (rc == STORE_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_err(mrc);
	if (rc == STORE_OK && i == 0)
		rc = STORE_NOTFOUND;
	if (rc != STORE_OK)
		buf_release(b);
	return rc;
}

/* Delete a manifest, whichever way it was kept; STORE_NOTFOUND if none. */
static int
manifest_del(struct store_txn *t, struct store_key *k, uint64_t repo_id,
    const char *digest)
{
	struct store_key prefix;
	bool has_chunks;
	int rc;

	rc = store_db_del(t, STORE_DBI_MANIFESTS, k);
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((rc = store_keys_manifest_chunk(&prefix, repo_id, digest, 0,
	         true)) != STORE_OK ||
	    (rc = store_db_has_prefix(t, STORE_DBI_MANIFESTS, &prefix,
	         &has_chunks)) != STORE_OK)
		return rc;
	if (!has_chunks)
		return STORE_NOTFOUND;
	return store_db_del_prefix(t, STORE_DBI_MANIFESTS, &prefix);
}

int
store_image_create(struct store_txn *t, const struct store_image *img,
    const void *manifest, size_t manifest_len)
{
	struct store_image rec;
	struct store_key k;
	struct buf iv;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo_digest(&k, img->repo_id, img->digest)) !=
	        STORE_OK ||
	    (rc = store_repo_check_id(t, img->repo_id)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_IMAGES, &k, &v);
	if (rc == STORE_OK)
		return STORE_EXISTS;
	if (rc != STORE_NOTFOUND || (rc = create_check(t, img)) != STORE_OK)
		return rc;
	rec = *img;
	rec.manifest_len = manifest_len;
	if (manifest_len > STORE_MANIFEST_MAX)
		return STORE_TOOBIG;
	if ((rc = store_codec_image_encode(&rec, &iv)) != STORE_OK)
		return rc;
	if ((rc = store_db_put(t, STORE_DBI_IMAGES, &k, iv.data, iv.len,
	         MDB_NOOVERWRITE)) == STORE_OK &&
	    (rc = manifest_put(t, &k, img, manifest, manifest_len)) ==
	        STORE_OK &&
	    (rc = refs_count(t, img, 1)) == STORE_OK &&
	    (rc = referrer_entry(t, img, 1)) == STORE_OK)
		rc = count_add(t, img->repo_id, 1);
	buf_release(&iv);
	return rc;
}

int
store_image_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    struct store_image *out)
{
	struct store_image img;
	struct store_key k;
	int rc;

	memset(&img, 0, sizeof(img));
	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = image_load(t, &k, repo_id, digest, &img)) != STORE_OK)
		return rc;
	*out = img;
	return STORE_OK;
}

int
store_image_update(struct store_txn *t, const struct store_image *img)
{
	struct store_key k;
	struct buf b;
	MDB_val v;
	int rc;

	/* Patch the fixed fields in place: no need to decode the lists. */
	if ((rc = store_keys_repo_digest(&k, img->repo_id, img->digest)) !=
	        STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_IMAGES, &k, &v)) != STORE_OK ||
	    (rc = store_codec_image_patch(v.mv_data, v.mv_size, img, &b)) !=
	        STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_IMAGES, &k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_manifest_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    char **out, size_t *len)
{
	struct store_key k;
	struct buf b;
	MDB_val v;
	const void *p;
	size_t n;
	int rc;
	char *m;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_MANIFESTS, &k, &v);
	if (rc == STORE_NOTFOUND) {
		if ((rc = manifest_chunks_get(t, repo_id, digest, &b)) !=
		    STORE_OK)
			return rc;
		/* The buf's data is NUL-terminated already: hand it over. */
		*out = buf_take(&b, len);
		return STORE_OK;
	}
	if (rc != STORE_OK || (rc = store_codec_manifest_decode(v.mv_data,
	                           v.mv_size, &p, &n)) != STORE_OK)
		return rc;
	m = xmalloc(n + 1);
	if (n != 0)
		memcpy(m, p, n);
	m[n] = '\0';
	*out = m;
	*len = n;
	return STORE_OK;
}

/* Remove each of an image's tags from the tags DBI. */
static int
tags_drop(struct store_txn *t, const struct store_image *img)
{
	struct store_key k;
	size_t i;
	int rc;

	for (i = 0; i < img->n_tags; i++) {
		if ((rc = store_keys_tag(&k, img->repo_id, img->tags[i])) !=
		    STORE_OK)
			return rc == STORE_TOOBIG ? STORE_CORRUPT : rc;
		rc = store_db_del(t, STORE_DBI_TAGS, &k);
		if (rc != STORE_OK)
			return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
	}
	return STORE_OK;
}

int
store_image_delete(struct store_txn *t, uint64_t repo_id, const char *digest)
{
	struct store_image img;
	struct store_key k;
	bool has_parent;
	int rc;

	memset(&img, 0, sizeof(img));
	if ((rc = store_image_has_parent(t, repo_id, digest, &has_parent)) !=
	        STORE_OK ||
	    (rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = image_load(t, &k, repo_id, digest, &img)) != STORE_OK)
		goto out;
	/* ECR's ImageReferencedByManifestList: refuse, writing nothing. */
	if (has_parent) {
		rc = STORE_BUSY;
		goto out;
	}
	if ((rc = tags_drop(t, &img)) != STORE_OK ||
	    (rc = refs_count(t, &img, -1)) != STORE_OK ||
	    (rc = referrer_entry(t, &img, -1)) != STORE_OK ||
	    (rc = store_db_del(t, STORE_DBI_IMAGES, &k)) != STORE_OK)
		goto out;
	rc = manifest_del(t, &k, repo_id, digest);
	if (rc == STORE_NOTFOUND)
		rc = STORE_CORRUPT;
	if (rc == STORE_OK)
		rc = count_add(t, repo_id, -1);
	if (rc == STORE_OK)
		rc = store_scan_drop(t, repo_id, digest);
	/* Its signing status goes with it (work.c). */
	if (rc == STORE_OK &&
	    (rc = store_db_del(t, STORE_DBI_SIGN_STATUS, &k)) == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	store_image_release(&img);
	return rc;
}

int
store_image_has_parent(struct store_txn *t, uint64_t repo_id,
    const char *digest, bool *out)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_pair(&k, repo_id, digest, NULL)) != STORE_OK)
		return rc;
	return store_db_has_prefix(t, STORE_DBI_PARENTS, &k, out);
}

int
store_image_count(struct store_txn *t, uint64_t repo_id, uint64_t *out)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_children(&k, repo_id)) != STORE_OK)
		return rc;
	return store_db_counter_get(t, STORE_DBI_IMAGE_COUNTS, &k, out);
}

int
store_repo_has_images(struct store_txn *t, uint64_t repo_id, bool *out)
{
	uint64_t n;
	int rc;

	if ((rc = store_image_count(t, repo_id, &n)) != STORE_OK)
		return rc;
	*out = n != 0;
	return STORE_OK;
}

/* One image of a walk: decode the images value v and call cb. */
static int
walk_one(const MDB_val *v, struct store_image *img, store_image_cb cb,
    void *arg)
{
	int rc;

	if ((rc = store_codec_image_decode(v->mv_data, v->mv_size, img)) !=
	    STORE_OK)
		return rc;
	rc = cb(img, arg);
	store_image_release(img);
	return rc;
}

/*
 * Walk the keys of dbi under prefix from start (skipping start itself if
 * is_after), whose rest is an image digest, calling cb for each image. In
 * the images DBI the value is the image; elsewhere it is looked up.
 */
static int
walk(struct store_txn *t, enum store_dbi dbi, struct store_key *prefix,
    struct store_key *start, bool is_after, uint64_t repo_id, store_image_cb cb,
    void *arg)
{
	struct store_image img;
	struct store_key ik;
	MDB_cursor *c;
	MDB_val key, val;
	int mrc, rc;

	if ((rc = store_db_key(t, start, &key)) != STORE_OK ||
	    (rc = store_db_cursor(t, dbi, &c)) != STORE_OK)
		return rc;
	mrc = store_db_seek(c, start, is_after, &key, &val);
	for (rc = STORE_OK; mrc == 0 && rc == STORE_OK;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		memset(&img, 0, sizeof(img));
		img.repo_id = repo_id;
		if ((rc = store_keys_suffix(prefix, key.mv_data, key.mv_size,
		         STORE_DIGEST_MAX, img.digest)) != 1)
			break;
		if (dbi != STORE_DBI_IMAGES &&
		    ((rc = store_keys_repo_digest(&ik, repo_id, img.digest)) !=
		            STORE_OK ||
		        (rc = store_db_get(t, STORE_DBI_IMAGES, &ik, &val)) !=
		            STORE_OK)) {
			/* A referrer entry without its image. */
			if (rc == STORE_NOTFOUND)
				rc = STORE_CORRUPT;
			break;
		}
		rc = walk_one(&val, &img, cb, arg);
	}
	mdb_cursor_close(c);
	if (rc != STORE_OK)
		return rc < 0 ? rc : STORE_OK;
	return mrc == 0 || mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_image_foreach(struct store_txn *t, uint64_t repo_id,
    const char *after_digest, store_image_cb cb, void *arg)
{
	struct store_key prefix, start;
	int rc;

	if ((rc = store_keys_repo_children(&prefix, repo_id)) != STORE_OK)
		return rc;
	if (after_digest == NULL)
		start = prefix;
	else if ((rc = store_keys_repo_digest(&start, repo_id, after_digest)) !=
	         STORE_OK)
		return rc;
	return walk(t, STORE_DBI_IMAGES, &prefix, &start, after_digest != NULL,
	    repo_id, cb, arg);
}

int
store_referrer_foreach(struct store_txn *t, uint64_t repo_id,
    const char *subject_digest, store_image_cb cb, void *arg)
{
	struct store_key prefix;
	int rc;

	if ((rc = store_keys_repo_pair(&prefix, repo_id, subject_digest,
	         NULL)) != STORE_OK)
		return rc;
	return walk(t, STORE_DBI_REFERRERS, &prefix, &prefix, false, repo_id,
	    cb, arg);
}
