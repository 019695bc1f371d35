/*
 * Documents attached to a repository or to a registry in a region: policy
 * texts, lifecycle policies and previews, settings (store.h).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"

void
store_doc_release(struct store_doc *doc)
{
	free(doc->text);
	memset(doc, 0, sizeof *doc);
}

static int
doc_get(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    struct store_doc *out)
{
	MDB_val v;
	int rc;

	if ((rc = store_db_get(t, dbi, k, &v)) != STORE_OK)
		return rc;
	return store_codec_doc_decode(v.mv_data, v.mv_size, out);
}

static int
doc_put(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    const struct store_doc *doc)
{
	struct buf b;
	int rc;

	if ((rc = store_codec_doc_encode(doc, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, dbi, k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_repo_doc_get(struct store_txn *t, uint64_t repo_id,
    enum store_doc_kind kind, struct store_doc *out)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return doc_get(t, STORE_DBI_REPO_DOCS, &k, out);
}

int
store_repo_doc_put(struct store_txn *t, uint64_t repo_id,
    enum store_doc_kind kind, const struct store_doc *doc)
{
	struct store_key k;
	int rc;

	if ((rc = store_repo_check_id(t, repo_id)) != STORE_OK ||
	    (rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return doc_put(t, STORE_DBI_REPO_DOCS, &k, doc);
}

int
store_repo_doc_delete(struct store_txn *t, uint64_t repo_id,
    enum store_doc_kind kind)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_REPO_DOCS, &k);
}

int
store_registry_doc_get(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind, struct store_doc *out)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region, kind)) !=
	    STORE_OK)
		return rc;
	return doc_get(t, STORE_DBI_REGISTRY_DOCS, &k, out);
}

int
store_registry_doc_put(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind, const struct store_doc *doc)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region, kind)) !=
	    STORE_OK)
		return rc;
	return doc_put(t, STORE_DBI_REGISTRY_DOCS, &k, doc);
}

int
store_registry_doc_delete(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region, kind)) !=
	    STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_REGISTRY_DOCS, &k);
}

/* A repo_docs key's repository id, if the key is of that kind (SCHEMA.md). */
static bool
doc_key_of_kind(const MDB_val *key, unsigned kind, uint64_t *repo_id)
{
	const unsigned char *p = key->mv_data;
	uint64_t id = 0;
	int i;

	if (key->mv_size != 9 || p[8] != kind)
		return false;
	for (i = 0; i < 8; i++)
		id = id << 8 | p[i];
	*repo_id = id;
	return true;
}

static int
doc_walk(MDB_cursor *c, MDB_val *key, MDB_val *val, int mrc,
    enum store_doc_kind kind, store_repo_doc_cb cb, void *arg)
{
	struct store_doc doc;
	uint64_t id;
	int rc;

	for (; mrc == 0; mrc = mdb_cursor_get(c, key, val, MDB_NEXT)) {
		if (!doc_key_of_kind(key, kind, &id))
			continue;
		if ((rc = store_codec_doc_decode(val->mv_data, val->mv_size,
		         &doc)) != STORE_OK)
			return rc;
		rc = cb(id, &doc, arg);
		store_doc_release(&doc);
		if (rc != 0)
			return rc < 0 ? rc : STORE_OK;
	}
	return mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_repo_doc_foreach(struct store_txn *t, enum store_doc_kind kind,
    uint64_t after_repo_id, store_repo_doc_cb cb, void *arg)
{
	struct store_key start;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int mrc, rc;

	if (after_repo_id == UINT64_MAX)
		return STORE_OK;
	if ((rc = store_keys_repo_doc(&start, after_repo_id + 1, 0)) !=
	        STORE_OK ||
	    (rc = store_db_key(t, &start, &key)) != STORE_OK)
		return rc;
	if ((rc = store_db_cursor(t, STORE_DBI_REPO_DOCS, &c)) != STORE_OK)
		return rc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	rc = doc_walk(c, &key, &val, mrc, kind, cb, arg);
	mdb_cursor_close(c);
	return rc;
}
