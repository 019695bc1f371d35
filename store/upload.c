/*
 * Layer upload records: the progress of an upload whose bytes are in an
 * upload file (blobfile.c), keyed by the upload id.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

static int
upload_put(struct store_txn *t, const struct store_upload *u, unsigned flags)
{
	struct store_key k;
	struct buf v;
	int rc;

	if ((rc = store_keys_upload(&k, u->id)) != STORE_OK ||
	    (rc = store_codec_upload_encode(u, &v)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_UPLOADS, &k, v.data, v.len, flags);
	buf_release(&v);
	return rc;
}

int
store_upload_create(struct store_txn *t, const struct store_upload *u)
{
	int rc;

	if ((rc = store_repo_check_id(t, u->repo_id)) != STORE_OK)
		return rc;
	return upload_put(t, u, MDB_NOOVERWRITE);
}

int
store_upload_get(struct store_txn *t, const char *id, struct store_upload *out)
{
	struct store_upload u;
	struct store_key k;
	MDB_val v;
	int rc;

	memset(&u, 0, sizeof(u));
	if ((rc = store_keys_upload(&k, id)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_UPLOADS, &k, &v)) != STORE_OK ||
	    (rc = store_codec_upload_decode(v.mv_data, v.mv_size, &u)) !=
	        STORE_OK)
		return rc;
	/* The key checked the id, so this copy cannot truncate. */
	str_copy(u.id, sizeof(u.id), id);
	*out = u;
	return STORE_OK;
}

int
store_upload_update(struct store_txn *t, const struct store_upload *u)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_upload(&k, u->id)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_UPLOADS, &k, &v)) != STORE_OK)
		return rc;
	return upload_put(t, u, 0);
}

int
store_upload_delete(struct store_txn *t, const char *id)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_upload(&k, id)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_UPLOADS, &k);
}

/*
 * Collect the ids of the upload records that match: those of repo_id, or
 * (repo_id 0) those last updated before before_ms, at most max of them.
 * Uploads are few (they last minutes, and the GC ends old ones), so this
 * walks them all.
 */
int
store_upload_find(struct store_txn *t, uint64_t repo_id, int64_t before_ms,
    size_t max, char ***ids, size_t *n_ids)
{
	struct store_upload u;
	struct store_key none;
	MDB_cursor *c;
	MDB_val key, val;
	int mrc, rc = STORE_OK;

	none.len = 0;
	if ((rc = store_db_cursor(t, STORE_DBI_UPLOADS, &c)) != STORE_OK)
		return rc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	     mrc == 0 && *n_ids < max;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if ((rc = store_keys_suffix(&none, key.mv_data, key.mv_size,
		         STORE_UPLOAD_ID_MAX, u.id)) != 1 ||
		    (rc = store_codec_upload_decode(val.mv_data, val.mv_size,
		         &u)) != STORE_OK) {
			rc = rc < 0 ? rc : STORE_CORRUPT;
			break;
		}
		if (repo_id != 0 ? u.repo_id != repo_id
		                 : u.updated_at_ms >= before_ms)
			continue;
		*ids = xreallocarray(*ids, *n_ids + 1, sizeof(**ids));
		(*ids)[(*n_ids)++] = xstrdup(u.id);
	}
	mdb_cursor_close(c);
	if (rc == STORE_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_err(mrc);
	return rc;
}

int
store_upload_drop_repo(struct store_txn *t, uint64_t repo_id)
{
	char **ids = NULL;
	size_t n = 0, i;
	int rc;

	rc = store_upload_find(t, repo_id, 0, SIZE_MAX, &ids, &n);
	for (i = 0; i < n; i++) {
		if (rc == STORE_OK)
			rc = store_upload_delete(t, ids[i]);
		free(ids[i]);
	}
	free(ids);
	return rc;
}

/*
 * Rewrite the upload records of a schema 2 store in the current format,
 * without the hash state format 1 held (SCHEMA.md, migration 2 -> 3). A
 * record that does not decode is left as it is, to be refused when used,
 * rather than keeping the whole store from opening.
 */
int
store_upload_migrate(struct store_txn *t)
{
	struct store_upload u;
	struct store_key none;
	MDB_cursor *c;
	MDB_val key, val;
	char **ids = NULL;
	size_t n = 0, i;
	int mrc, rc;

	none.len = 0;
	if ((rc = store_db_cursor(t, STORE_DBI_UPLOADS, &c)) != STORE_OK)
		return rc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (store_keys_suffix(&none, key.mv_data, key.mv_size,
		        STORE_UPLOAD_ID_MAX, u.id) != 1)
			continue;
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = xstrdup(u.id);
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		rc = store_err(mrc);
	for (i = 0; i < n; i++) {
		if (rc == STORE_OK &&
		    store_upload_get(t, ids[i], &u) == STORE_OK)
			rc = upload_put(t, &u, 0);
		free(ids[i]);
	}
	free(ids);
	return rc;
}
