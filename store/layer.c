/*
 * Layer and blob records. A layer record says a repository knows a blob and
 * counts the images there that refer to it; a blob record counts the layer
 * records, in any repository, that use the blob. The layer_gc and blob_gc
 * indexes list the records whose count is 0, for the GC (SCHEMA.md).
 */
#include "store/store_int.h"

#include <string.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"

static int
blob_put(struct store_txn *t, struct store_key *k, const struct store_blob *b)
{
	struct buf v;
	int rc;

	if ((rc = store_codec_blob_encode(b, &v)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_BLOBS, k, v.data, v.len, 0);
	buf_release(&v);
	return rc;
}

/*
 * Add delta (+1 or -1) to the users of the blob record of digest, creating
 * it with size if it is new. A blob left with no user joins blob_gc, and
 * leaves it when it gains one again.
 */
static int
blob_user_add(struct store_txn *t, const char *digest, uint64_t size, int delta)
{
	struct store_blob b;
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_blob(&k, digest)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_BLOBS, &k, &v);
	if (rc == STORE_NOTFOUND && delta > 0) {
		b.size = size;
		b.users = 1;
		if ((rc = blob_put(t, &k, &b)) != STORE_OK)
			return rc;
		return store_blob_bytes_add(t, size, true);
	}
	if (rc == STORE_NOTFOUND)
		return STORE_CORRUPT;
	if (rc != STORE_OK || (rc = store_codec_blob_decode(v.mv_data,
	                           v.mv_size, &b)) != STORE_OK)
		return rc;
	if (delta < 0 && b.users == 0)
		return STORE_CORRUPT;
	if (delta > 0 && b.users == 0) {
		rc = store_db_del(t, STORE_DBI_BLOB_GC, &k);
		if (rc != STORE_OK)
			return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
	}
	b.users = delta < 0 ? b.users - 1 : b.users + 1;
	if ((rc = blob_put(t, &k, &b)) != STORE_OK)
		return rc;
	if (b.users == 0)
		return store_db_put_marker(t, STORE_DBI_BLOB_GC, &k);
	return STORE_OK;
}

int
store_blob_bytes_add(struct store_txn *t, uint64_t size, bool is_add)
{
	struct store_key k;
	int rc;

	/* No blob is that big; a record saying so is damaged. */
	if (size > INT64_MAX)
		return STORE_CORRUPT;
	if ((rc = store_keys_meta(&k, STORE_META_BLOB_BYTES)) != STORE_OK)
		return rc;
	return store_db_counter_add(t, STORE_DBI_META, &k,
	    is_add ? (int64_t)size : -(int64_t)size);
}

int
store_blob_totals(struct store_txn *t, uint64_t *count, uint64_t *bytes)
{
	struct store_key k;
	MDB_stat st;
	int rc;

	if ((rc = store_err(mdb_stat(t->txn, t->store->dbi[STORE_DBI_BLOBS],
	         &st))) != STORE_OK ||
	    (rc = store_keys_meta(&k, STORE_META_BLOB_BYTES)) != STORE_OK ||
	    (rc = store_db_counter_get(t, STORE_DBI_META, &k, bytes)) !=
	        STORE_OK)
		return rc;
	*count = st.ms_entries;
	return STORE_OK;
}

int
store_blob_migrate(struct store_txn *t)
{
	struct store_blob b;
	struct store_key k;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t total = 0;
	int mrc, rc;

	if ((rc = store_db_cursor(t, STORE_DBI_BLOBS, &c)) != STORE_OK)
		return rc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if ((rc = store_codec_blob_decode(val.mv_data, val.mv_size,
		         &b)) != STORE_OK)
			break;
		total += b.size;
	}
	mdb_cursor_close(c);
	if (rc != STORE_OK)
		return rc;
	if (mrc != MDB_NOTFOUND)
		return store_err(mrc);
	/* Start from 0: an older server left no record, or a stale one. */
	if ((rc = store_keys_meta(&k, STORE_META_BLOB_BYTES)) != STORE_OK)
		return rc;
	rc = store_db_del(t, STORE_DBI_META, &k);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	return total == 0 ? STORE_OK : store_blob_bytes_add(t, total, true);
}

int
store_blob_get(struct store_txn *t, const char *digest, struct store_blob *out)
{
	struct store_blob b;
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_blob(&k, digest)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_BLOBS, &k, &v)) != STORE_OK ||
	    (rc = store_codec_blob_decode(v.mv_data, v.mv_size, &b)) !=
	        STORE_OK)
		return rc;
	/* The key bounded the digest, so this copy cannot truncate. */
	str_copy(b.digest, sizeof(b.digest), digest);
	*out = b;
	return STORE_OK;
}

static int
layer_put(struct store_txn *t, struct store_key *k, const struct store_layer *l,
    unsigned flags)
{
	struct buf v;
	int rc;

	if ((rc = store_codec_layer_encode(l, &v)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_LAYERS, k, v.data, v.len, flags);
	buf_release(&v);
	return rc;
}

/* Read the layer record under k into *out (key fields from the arguments). */
static int
layer_load(struct store_txn *t, struct store_key *k, uint64_t repo_id,
    const char *digest, struct store_layer *out)
{
	MDB_val v;
	int rc;

	if ((rc = store_db_get(t, STORE_DBI_LAYERS, k, &v)) != STORE_OK ||
	    (rc = store_codec_layer_decode(v.mv_data, v.mv_size, out)) !=
	        STORE_OK)
		return rc;
	out->repo_id = repo_id;
	str_copy(out->digest, sizeof(out->digest), digest);
	return STORE_OK;
}

/* Put (is_add) or delete the layer_gc entry of a layer with no reference. */
static int
gc_entry(struct store_txn *t, const struct store_layer *l, bool is_add)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_layer_gc(&k, l->created_at_ms, l->repo_id,
	         l->digest)) != STORE_OK)
		return rc;
	if (is_add)
		return store_db_put_marker(t, STORE_DBI_LAYER_GC, &k);
	rc = store_db_del(t, STORE_DBI_LAYER_GC, &k);
	return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
}

int
store_layer_add(struct store_txn *t, const struct store_layer *layer)
{
	struct store_layer l;
	struct store_key k;
	struct buf v;
	MDB_val old;
	int rc;

	/* The digest names a blob file: only well-formed ones (SCHEMA.md). */
	if (!store_digest_is_valid(layer->digest))
		return STORE_TOOBIG;
	if ((rc = store_keys_repo_digest(&k, layer->repo_id, layer->digest)) !=
	        STORE_OK ||
	    (rc = store_repo_check_id(t, layer->repo_id)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_LAYERS, &k, &old);
	if (rc == STORE_OK)
		return STORE_EXISTS;
	if (rc != STORE_NOTFOUND)
		return rc;
	l = *layer;
	l.refs = 0;
	/* Encode first, so that a field too long writes nothing. */
	if ((rc = store_codec_layer_encode(&l, &v)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_LAYERS, &k, v.data, v.len,
	    MDB_NOOVERWRITE);
	buf_release(&v);
	if (rc != STORE_OK ||
	    (rc = blob_user_add(t, l.digest, l.size, 1)) != STORE_OK)
		return rc;
	return gc_entry(t, &l, true);
}

int
store_layer_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    struct store_layer *out)
{
	struct store_layer l;
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = layer_load(t, &k, repo_id, digest, &l)) != STORE_OK)
		return rc;
	*out = l;
	return STORE_OK;
}

int
store_layer_set_media_type(struct store_txn *t, uint64_t repo_id,
    const char *digest, const char *media_type)
{
	struct store_layer l;
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = layer_load(t, &k, repo_id, digest, &l)) != STORE_OK)
		return rc;
	if (str_copy(l.media_type, sizeof(l.media_type), media_type) != 0)
		return STORE_TOOBIG;
	return layer_put(t, &k, &l, 0);
}

int
store_layer_ref(struct store_txn *t, uint64_t repo_id, const char *digest,
    int delta)
{
	struct store_layer l;
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = layer_load(t, &k, repo_id, digest, &l)) != STORE_OK)
		return rc;
	if (delta < 0 && l.refs == 0)
		return STORE_CORRUPT;
	/* Leaving or joining the layers with no reference. */
	if (l.refs == 0 && (rc = gc_entry(t, &l, false)) != STORE_OK)
		return rc;
	l.refs = delta < 0 ? l.refs - 1 : l.refs + 1;
	if (l.refs == 0 && (rc = gc_entry(t, &l, true)) != STORE_OK)
		return rc;
	return layer_put(t, &k, &l, 0);
}

/* Remove the layer record under k, its gc entry and its use of the blob. */
static int
layer_drop(struct store_txn *t, struct store_key *k,
    const struct store_layer *l)
{
	int rc;

	if (l->refs == 0 && (rc = gc_entry(t, l, false)) != STORE_OK)
		return rc;
	if ((rc = store_db_del(t, STORE_DBI_LAYERS, k)) != STORE_OK)
		return rc;
	return blob_user_add(t, l->digest, l->size, -1);
}

/* For the GC: the layer must have no reference (it came from layer_gc). */
int
store_layer_remove(struct store_txn *t, uint64_t repo_id, const char *digest)
{
	struct store_layer l;
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK)
		return rc;
	rc = layer_load(t, &k, repo_id, digest, &l);
	if (rc == STORE_NOTFOUND || (rc == STORE_OK && l.refs != 0))
		return STORE_CORRUPT;
	if (rc != STORE_OK)
		return rc;
	return layer_drop(t, &k, &l);
}

int
store_layer_drop_repo(struct store_txn *t, uint64_t repo_id, size_t *budget)
{
	struct store_layer l;
	struct store_key prefix, k;
	char digest[STORE_DIGEST_MAX + 1];
	int rc = STORE_OK;

	if ((rc = store_keys_repo_children(&prefix, repo_id)) != STORE_OK)
		return rc;
	/* Seek afresh after each removal rather than trust a cursor. */
	while (*budget > 0 &&
	       (rc = store_db_first(t, STORE_DBI_LAYERS, &prefix, &k)) == 1) {
		if ((rc = store_keys_suffix(&prefix, k.data, k.len,
		         STORE_DIGEST_MAX, digest)) != 1)
			return rc < 0 ? rc : STORE_CORRUPT;
		if ((rc = layer_load(t, &k, repo_id, digest, &l)) != STORE_OK ||
		    (rc = layer_drop(t, &k, &l)) != STORE_OK)
			return rc;
		(*budget)--;
	}
	return rc < 0 ? rc : STORE_OK;
}
