/*
 * Records named by a repository prefix in a registry: repository creation
 * templates and pull-through cache rules (store.h), kept as documents.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "common/buf.h"

int
store_template_get(struct store_txn *t, const char *registry_id,
    const char *region, enum store_template_kind kind, const char *prefix,
    struct store_doc *out)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_template(&k, registry_id, region, kind, prefix)) !=
	        STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_TEMPLATES, &k, &v)) != STORE_OK)
		return rc;
	return store_codec_doc_decode(v.mv_data, v.mv_size, out);
}

static int
template_put(struct store_txn *t, const char *registry_id, const char *region,
    enum store_template_kind kind, const char *prefix,
    const struct store_doc *doc, unsigned flags)
{
	struct store_key k;
	struct buf b;
	int rc;

	if ((rc = store_keys_template(&k, registry_id, region, kind, prefix)) !=
	        STORE_OK ||
	    (rc = store_codec_doc_encode(doc, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_TEMPLATES, &k, b.data, b.len, flags);
	buf_release(&b);
	return rc;
}

int
store_template_create(struct store_txn *t, const char *registry_id,
    const char *region, enum store_template_kind kind, const char *prefix,
    const struct store_doc *doc)
{
	return template_put(t, registry_id, region, kind, prefix, doc,
	    MDB_NOOVERWRITE);
}

int
store_template_update(struct store_txn *t, const char *registry_id,
    const char *region, enum store_template_kind kind, const char *prefix,
    const struct store_doc *doc)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_template(&k, registry_id, region, kind, prefix)) !=
	        STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_TEMPLATES, &k, &v)) != STORE_OK)
		return rc;
	return template_put(t, registry_id, region, kind, prefix, doc, 0);
}

int
store_template_delete(struct store_txn *t, const char *registry_id,
    const char *region, enum store_template_kind kind, const char *prefix)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_template(&k, registry_id, region, kind, prefix)) !=
	    STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_TEMPLATES, &k);
}

static int
walk(MDB_cursor *c, MDB_val *key, MDB_val *val, int mrc,
    const struct store_key *part, store_template_cb cb, void *arg)
{
	struct store_doc doc;
	char prefix[STORE_TEMPLATE_PREFIX_MAX + 1];
	int rc;

	for (; mrc == 0; mrc = mdb_cursor_get(c, key, val, MDB_NEXT)) {
		rc = store_keys_suffix(part, key->mv_data, key->mv_size,
		    STORE_TEMPLATE_PREFIX_MAX, prefix);
		if (rc <= 0)
			return rc;
		if ((rc = store_codec_doc_decode(val->mv_data, val->mv_size,
		         &doc)) != STORE_OK)
			return rc;
		rc = cb(prefix, &doc, arg);
		store_doc_release(&doc);
		if (rc != 0)
			return rc < 0 ? rc : STORE_OK;
	}
	return mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_template_foreach(struct store_txn *t, const char *registry_id,
    const char *region, enum store_template_kind kind, const char *after_prefix,
    store_template_cb cb, void *arg)
{
	struct store_key part, start;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int mrc, rc;

	if ((rc = store_keys_template(&part, registry_id, region, kind,
	         NULL)) != STORE_OK)
		return rc;
	if (after_prefix != NULL)
		rc = store_keys_template(&start, registry_id, region, kind,
		    after_prefix);
	else
		start = part;
	if (rc != STORE_OK || (rc = store_db_key(t, &start, &key)) != STORE_OK)
		return rc;
	if ((rc = store_db_cursor(t, STORE_DBI_TEMPLATES, &c)) != STORE_OK)
		return rc;
	/* after_prefix is exclusive. */
	mrc = store_db_seek(c, &start, after_prefix != NULL, &key, &val);
	rc = walk(c, &key, &val, mrc, &part, cb, arg);
	mdb_cursor_close(c);
	return rc;
}
