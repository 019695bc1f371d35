/*
 * Repository records: create, get, update, delete, paging and counting.
 * The id index, the per-partition counters and the child records keyed by
 * a repository's id are kept in step with the repos table.
 */
#include "store/store_int.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

/*
 * DBIs whose keys start with a repository's id and whose records need no
 * more than deleting when it goes (layers do: store_layer_drop_repo), in
 * the order the reaper empties them.
 */
static const enum store_dbi child_dbis[] = {
    STORE_DBI_IMAGES,
    STORE_DBI_MANIFESTS,
    STORE_DBI_TAGS,
    STORE_DBI_REFERRERS,
    STORE_DBI_PARENTS,
    STORE_DBI_IMAGE_COUNTS,
    STORE_DBI_REPO_DOCS,
    STORE_DBI_REPL_STATUS,
    STORE_DBI_SCANS,
    STORE_DBI_SCAN_FINDINGS,
    STORE_DBI_SCAN_JOBS,
    STORE_DBI_SIGN_STATUS,
};

/* Add delta (+1 or -1) to the repository count of a partition. */
static int
count_add(struct store_txn *t, const char *registry_id, const char *region,
    int delta)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_count(&k, registry_id, region)) != STORE_OK)
		return rc;
	return store_db_counter_add(t, STORE_DBI_REPO_COUNTS, &k, delta);
}

/* Read the next repository id; ids start at 1. */
static int
next_id_get(struct store_txn *t, struct store_key *k, uint64_t *out)
{
	MDB_val v;
	int rc;

	if ((rc = store_keys_meta(k, STORE_META_NEXT_REPO_ID)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_META, k, &v);
	if (rc == STORE_NOTFOUND) {
		*out = 1;
		return STORE_OK;
	}
	if (rc != STORE_OK)
		return rc;
	return store_codec_u64_decode(v.mv_data, v.mv_size, out);
}

static int
put_u64(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    uint64_t n)
{
	struct buf b;
	int rc;

	if ((rc = store_codec_u64_encode(n, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, dbi, k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

/* Encode repo with the given id and put it under k. */
static int
put_repo(struct store_txn *t, struct store_key *k,
    const struct store_repo *repo, unsigned flags)
{
	struct buf b;
	int rc;

	if ((rc = store_codec_repo_encode(repo, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_REPOS, k, b.data, b.len, flags);
	buf_release(&b);
	return rc;
}

/* Index id -> repos key, so that a repository can be found by its id. */
static int
put_id_index(struct store_txn *t, uint64_t id, const struct store_key *rk)
{
	struct store_key k;
	struct buf b;
	int rc;

	if ((rc = store_keys_repo_id(&k, id)) != STORE_OK)
		return rc;
	if ((rc = store_codec_bytes_encode(rk->data, rk->len, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_REPO_IDS, &k, b.data, b.len,
	    MDB_NOOVERWRITE);
	buf_release(&b);
	/* Ids are never reused, so an existing entry means damage. */
	return rc == STORE_EXISTS ? STORE_CORRUPT : rc;
}

int
store_repo_create(struct store_txn *t, struct store_repo *repo)
{
	struct store_key k, idk;
	MDB_val v;
	uint64_t id, old_id = repo->id;
	int rc;

	if ((rc = store_keys_repo(&k, repo->registry_id, repo->region,
	         repo->name)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_REPOS, &k, &v);
	if (rc == STORE_OK)
		return STORE_EXISTS;
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((rc = next_id_get(t, &idk, &id)) != STORE_OK)
		return rc;
	/* Encode first, so that a record too big writes nothing. */
	repo->id = id;
	if ((rc = put_repo(t, &k, repo, MDB_NOOVERWRITE)) != STORE_OK ||
	    (rc = put_u64(t, STORE_DBI_META, &idk, id + 1)) != STORE_OK ||
	    (rc = put_id_index(t, id, &k)) != STORE_OK ||
	    (rc = count_add(t, repo->registry_id, repo->region, 1)) !=
	        STORE_OK) {
		repo->id = old_id;
		return rc;
	}
	return STORE_OK;
}

int
store_repo_get(struct store_txn *t, const char *registry_id, const char *region,
    const char *name, struct store_repo *out)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo(&k, registry_id, region, name)) != STORE_OK)
		return rc;
	if ((rc = store_db_get(t, STORE_DBI_REPOS, &k, &v)) != STORE_OK)
		return rc;
	if ((rc = store_codec_repo_decode(v.mv_data, v.mv_size, out)) !=
	    STORE_OK)
		return rc;
	/* The key bounded each length, so these copies cannot truncate. */
	str_copy(out->registry_id, sizeof(out->registry_id), registry_id);
	str_copy(out->region, sizeof(out->region), region);
	str_copy(out->name, sizeof(out->name), name);
	return STORE_OK;
}

/* Find a repository's stored id. */
static int
stored_id(struct store_txn *t, struct store_key *k, uint64_t *out)
{
	MDB_val v;
	int rc;

	if ((rc = store_db_get(t, STORE_DBI_REPOS, k, &v)) != STORE_OK)
		return rc;
	return store_codec_repo_peek_id(v.mv_data, v.mv_size, out);
}

int
store_repo_update(struct store_txn *t, const struct store_repo *repo)
{
	struct store_key k;
	uint64_t id;
	int rc;

	if ((rc = store_keys_repo(&k, repo->registry_id, repo->region,
	         repo->name)) != STORE_OK)
		return rc;
	if ((rc = stored_id(t, &k, &id)) != STORE_OK)
		return rc;
	if (id != repo->id)
		return STORE_NOTFOUND;
	return put_repo(t, &k, repo, 0);
}

/*
 * Remove the repository's record, id index entry, counter share, documents
 * and upload records, and leave a tombstone under its id: the name is free
 * and the repository invisible at once, and its ids never come back, so a
 * repository of the same name made later never sees what is left.
 */
static int
bury(struct store_txn *t, const char *registry_id, const char *region,
    const char *name, uint64_t *id)
{
	struct store_key k, idk, ck;
	int rc;

	if ((rc = store_keys_repo(&k, registry_id, region, name)) != STORE_OK)
		return rc;
	if ((rc = stored_id(t, &k, id)) != STORE_OK)
		return rc;
	if ((rc = store_keys_repo_id(&idk, *id)) != STORE_OK ||
	    (rc = store_keys_repo_children(&ck, *id)) != STORE_OK)
		return rc;
	if ((rc = store_db_del(t, STORE_DBI_REPOS, &k)) != STORE_OK)
		return rc;
	rc = store_db_del(t, STORE_DBI_REPO_IDS, &idk);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
	/* Documents are few; a lifecycle run under way sees its policy go. */
	if ((rc = count_add(t, registry_id, region, -1)) != STORE_OK ||
	    (rc = store_upload_drop_repo(t, *id)) != STORE_OK ||
	    (rc = store_db_del_prefix(t, STORE_DBI_REPO_DOCS, &ck)) != STORE_OK)
		return rc;
	return store_db_put_marker(t, STORE_DBI_BURIED, &idk);
}

/*
 * Remove child records of buried repository id, lowering *budget by each
 * one; once none is left (with budget to spare), its tombstone too.
 */
static int
reap_id(struct store_txn *t, uint64_t id, size_t *budget)
{
	struct store_key k, ck;
	size_t i;
	int rc;

	if ((rc = store_keys_repo_id(&k, id)) != STORE_OK ||
	    (rc = store_keys_repo_children(&ck, id)) != STORE_OK)
		return rc;
	for (i = 0; i < sizeof(child_dbis) / sizeof(child_dbis[0]); i++) {
		if ((rc = store_db_del_prefix_some(t, child_dbis[i], &ck,
		         budget)) != STORE_OK)
			return rc;
	}
	if ((rc = store_layer_drop_repo(t, id, budget)) != STORE_OK)
		return rc;
	if (*budget == 0)
		return STORE_OK;
	/* The tombstone counts too, so that a call is bounded by max. */
	(*budget)--;
	return store_db_del(t, STORE_DBI_BURIED, &k);
}

int
store_repo_delete(struct store_txn *t, const char *registry_id,
    const char *region, const char *name)
{
	uint64_t id;
	size_t budget = SIZE_MAX;
	int rc;

	if ((rc = bury(t, registry_id, region, name, &id)) != STORE_OK)
		return rc;
	return reap_id(t, id, &budget);
}

int
store_repo_bury(struct store_txn *t, const char *registry_id,
    const char *region, const char *name)
{
	uint64_t id;

	return bury(t, registry_id, region, name, &id);
}

int
store_repo_reap(struct store_txn *t, size_t max, size_t *n_removed,
    bool *is_done)
{
	struct store_key none, k;
	uint64_t id;
	size_t budget = max;
	int rc;

	none.len = 0;
	*is_done = false;
	while (budget > 0) {
		if ((rc = store_db_first(t, STORE_DBI_BURIED, &none, &k)) < 0)
			return rc;
		if (rc == 0) {
			*is_done = true;
			break;
		}
		if ((rc = store_keys_repo_id_split(k.data, k.len, &id)) !=
		        STORE_OK ||
		    (rc = reap_id(t, id, &budget)) != STORE_OK)
			return rc;
	}
	*n_removed = max - budget;
	return STORE_OK;
}

/* Walk the partition from c's position; see store_repo_foreach. */
static int
walk(MDB_cursor *c, MDB_val *key, MDB_val *val, int mrc,
    const struct store_key *part, struct store_repo *r, store_repo_cb cb,
    void *arg)
{
	int rc;

	for (; mrc == 0; mrc = mdb_cursor_get(c, key, val, MDB_NEXT)) {
		rc = store_keys_repo_name(part, key->mv_data, key->mv_size,
		    r->name, sizeof(r->name));
		if (rc == 0)
			return STORE_OK;
		if (rc < 0)
			return rc;
		if ((rc = store_codec_repo_decode_into(val->mv_data,
		         val->mv_size, r)) != STORE_OK)
			return rc;
		if ((rc = cb(r, arg)) != 0)
			return rc < 0 ? rc : STORE_OK;
	}
	return mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_repo_foreach(struct store_txn *t, const char *registry_id,
    const char *region, const char *after_name, store_repo_cb cb, void *arg)
{
	struct store_key part, start;
	struct store_repo *r = NULL;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int mrc, rc;

	if ((rc = store_keys_repo_partition(&part, registry_id, region)) !=
	    STORE_OK)
		goto out;
	if (after_name != NULL)
		rc = store_keys_repo(&start, registry_id, region, after_name);
	else
		start = part;
	if (rc != STORE_OK || (rc = store_db_key(t, &start, &key)) != STORE_OK)
		goto out;
	if ((rc = store_db_cursor(t, STORE_DBI_REPOS, &c)) != STORE_OK)
		goto out;
	/*
	 * Only the fixed part is zeroed: each record is decoded into it
	 * field by field, and the tag array is 19 KiB per page to clear.
	 */
	r = xmalloc(sizeof(*r));
	memset(r, 0, offsetof(struct store_repo, tags));
	str_copy(r->registry_id, sizeof(r->registry_id), registry_id);
	str_copy(r->region, sizeof(r->region), region);
	/* after_name is exclusive. */
	mrc = store_db_seek(c, &start, after_name != NULL, &key, &val);
	rc = walk(c, &key, &val, mrc, &part, r, cb, arg);
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(r);
	return rc;
}

int
store_repo_count(struct store_txn *t, const char *registry_id,
    const char *region, uint64_t *out)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_count(&k, registry_id, region)) != STORE_OK)
		return rc;
	return store_db_counter_get(t, STORE_DBI_REPO_COUNTS, &k, out);
}

int
store_repo_check_id(struct store_txn *t, uint64_t repo_id)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo_id(&k, repo_id)) != STORE_OK)
		return rc;
	return store_db_get(t, STORE_DBI_REPO_IDS, &k, &v);
}

/* The three NUL-separated parts of a repos key, each within its field. */
static int
split_repo_key(const unsigned char *p, size_t len, struct store_repo *out)
{
	char *fields[3] = {out->registry_id, out->region, out->name};
	size_t sizes[3] = {
	    sizeof out->registry_id, sizeof out->region, sizeof out->name};
	const unsigned char *end = p + len, *nul;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		nul = i < 2 ? memchr(p, '\0', (size_t)(end - p)) : end;
		if (nul == NULL || (n = (size_t)(nul - p)) >= sizes[i])
			return STORE_CORRUPT;
		memcpy(fields[i], p, n);
		fields[i][n] = '\0';
		p = i < 2 ? nul + 1 : end;
	}
	return STORE_OK;
}

int
store_repo_get_by_id(struct store_txn *t, uint64_t id, struct store_repo *out)
{
	struct store_repo r;
	struct store_key k;
	const void *rk;
	size_t rk_len;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo_id(&k, id)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_REPO_IDS, &k, &v)) != STORE_OK ||
	    (rc = store_codec_bytes_decode(v.mv_data, v.mv_size, &rk,
	         &rk_len)) != STORE_OK)
		return rc;
	if (rk_len > sizeof k.data)
		return STORE_CORRUPT;
	memset(&r, 0, sizeof r);
	memcpy(k.data, rk, rk_len);
	k.len = rk_len;
	if ((rc = store_db_get(t, STORE_DBI_REPOS, &k, &v)) != STORE_OK)
		return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc;
	if ((rc = store_codec_repo_decode(v.mv_data, v.mv_size, &r)) !=
	        STORE_OK ||
	    (rc = split_repo_key(k.data, k.len, &r)) != STORE_OK)
		return rc;
	*out = r;
	return STORE_OK;
}
