/*
 * Image tags: the tags DBI maps (repository, tag) to a digest, and each
 * image record lists its own tags; both change together here.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"

/* Read the digest the tag under k names. */
static int
tag_load(struct store_txn *t, struct store_key *k, char *digest)
{
	MDB_val v;
	int rc;

	if ((rc = store_db_get(t, STORE_DBI_TAGS, k, &v)) != STORE_OK)
		return rc;
	return store_codec_tag_decode(v.mv_data, v.mv_size, digest);
}

/* Take tag off img's list; STORE_CORRUPT if it is not there. */
static int
untag(struct store_image *img, const char *tag)
{
	size_t i;

	for (i = 0; i < img->n_tags; i++) {
		if (strcmp(img->tags[i], tag) != 0)
			continue;
		free(img->tags[i]);
		memmove(&img->tags[i], &img->tags[i + 1],
		    (img->n_tags - i - 1) * sizeof(img->tags[0]));
		img->n_tags--;
		return STORE_OK;
	}
	return STORE_CORRUPT;
}

/* Load the image a tag names, which must exist. */
static int
tagged_image(struct store_txn *t, uint64_t repo_id, const char *digest,
    struct store_image *out)
{
	int rc;

	rc = store_image_get(t, repo_id, digest, out);
	return rc == STORE_NOTFOUND || rc == STORE_TOOBIG ? STORE_CORRUPT : rc;
}

int
store_tag_get(struct store_txn *t, uint64_t repo_id, const char *tag,
    char *digest_out)
{
	struct store_key k;
	char digest[STORE_DIGEST_MAX + 1];
	int rc;

	if ((rc = store_keys_tag(&k, repo_id, tag)) != STORE_OK ||
	    (rc = tag_load(t, &k, digest)) != STORE_OK)
		return rc;
	memcpy(digest_out, digest, strlen(digest) + 1);
	return STORE_OK;
}

/* Move tag off the image old_digest, writing that image back. */
static int
tag_move_from(struct store_txn *t, uint64_t repo_id, const char *tag,
    const char *old_digest)
{
	struct store_image old;
	int rc;

	memset(&old, 0, sizeof(old));
	if ((rc = tagged_image(t, repo_id, old_digest, &old)) == STORE_OK &&
	    (rc = untag(&old, tag)) == STORE_OK)
		rc = store_image_put(t, &old);
	store_image_release(&old);
	return rc;
}

int
store_tag_set(struct store_txn *t, uint64_t repo_id, const char *tag,
    const char *digest, char *old_digest)
{
	struct store_image img;
	struct store_key k;
	struct buf v;
	char cur[STORE_DIGEST_MAX + 1];
	int rc;

	memset(&img, 0, sizeof(img));
	v.data = NULL;
	if ((rc = store_keys_tag(&k, repo_id, tag)) != STORE_OK ||
	    (rc = store_image_get(t, repo_id, digest, &img)) != STORE_OK)
		goto out;
	cur[0] = '\0';
	rc = tag_load(t, &k, cur);
	if (rc == STORE_OK && strcmp(cur, digest) == 0)
		rc = STORE_EXISTS;
	else if (rc == STORE_NOTFOUND || rc == STORE_OK)
		rc = img.n_tags >= STORE_IMAGE_TAGS_MAX
		         ? STORE_TOOBIG
		         : store_codec_tag_encode(digest, &v);
	if (rc != STORE_OK)
		goto out;
	/* Everything is checked: from here on, write. */
	store_image_add_tag(&img, tag);
	if ((cur[0] != '\0' &&
	        (rc = tag_move_from(t, repo_id, tag, cur)) != STORE_OK) ||
	    (rc = store_image_put(t, &img)) != STORE_OK ||
	    (rc = store_db_put(t, STORE_DBI_TAGS, &k, v.data, v.len, 0)) !=
	        STORE_OK)
		goto out;
	if (old_digest != NULL)
		memcpy(old_digest, cur, strlen(cur) + 1);
out:
	if (v.data != NULL)
		buf_release(&v);
	store_image_release(&img);
	return rc;
}

int
store_tag_delete(struct store_txn *t, uint64_t repo_id, const char *tag,
    char *digest_out)
{
	struct store_key k;
	char digest[STORE_DIGEST_MAX + 1];
	int rc;

	if ((rc = store_keys_tag(&k, repo_id, tag)) != STORE_OK ||
	    (rc = tag_load(t, &k, digest)) != STORE_OK ||
	    (rc = tag_move_from(t, repo_id, tag, digest)) != STORE_OK ||
	    (rc = store_db_del(t, STORE_DBI_TAGS, &k)) != STORE_OK)
		return rc;
	if (digest_out != NULL)
		memcpy(digest_out, digest, strlen(digest) + 1);
	return STORE_OK;
}

int
store_tag_foreach(struct store_txn *t, uint64_t repo_id, const char *after,
    store_tag_cb cb, void *arg)
{
	struct store_key prefix, start;
	MDB_cursor *c;
	MDB_val key, val;
	char tag[STORE_IMAGE_TAG_MAX + 1];
	char digest[STORE_DIGEST_MAX + 1];
	int mrc, rc;

	if ((rc = store_keys_repo_children(&prefix, repo_id)) != STORE_OK)
		return rc;
	start = prefix;
	if (after != NULL &&
	    (rc = store_keys_tag(&start, repo_id, after)) != STORE_OK)
		return rc;
	if ((rc = store_db_key(t, &start, &key)) != STORE_OK ||
	    (rc = store_db_cursor(t, STORE_DBI_TAGS, &c)) != STORE_OK)
		return rc;
	mrc = store_db_seek(c, &start, after != NULL, &key, &val);
	for (rc = STORE_OK; mrc == 0 && rc == STORE_OK;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if ((rc = store_keys_suffix(&prefix, key.mv_data, key.mv_size,
		         STORE_IMAGE_TAG_MAX, tag)) != 1)
			break;
		if ((rc = store_codec_tag_decode(val.mv_data, val.mv_size,
		         digest)) != STORE_OK)
			break;
		rc = cb(tag, digest, arg);
	}
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_err(mrc);
	return rc < 0 ? rc : STORE_OK;
}
