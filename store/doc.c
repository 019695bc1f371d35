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
	MDB_val	v;
	int	rc;

	if ((rc = store_db_get(t, dbi, k, &v)) != STORE_OK)
		return rc;
	return store_codec_doc_decode(v.mv_data, v.mv_size, out);
}

static int
doc_put(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    const struct store_doc *doc)
{
	struct buf	b;
	int		rc;

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
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return doc_get(t, STORE_DBI_REPO_DOCS, &k, out);
}

int
store_repo_doc_put(struct store_txn *t, uint64_t repo_id,
    enum store_doc_kind kind, const struct store_doc *doc)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_repo_check_id(t, repo_id)) != STORE_OK ||
	    (rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return doc_put(t, STORE_DBI_REPO_DOCS, &k, doc);
}

int
store_repo_doc_delete(struct store_txn *t, uint64_t repo_id,
    enum store_doc_kind kind)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_repo_doc(&k, repo_id, kind)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_REPO_DOCS, &k);
}

int
store_registry_doc_get(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind, struct store_doc *out)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region,
	    kind)) != STORE_OK)
		return rc;
	return doc_get(t, STORE_DBI_REGISTRY_DOCS, &k, out);
}

int
store_registry_doc_put(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind, const struct store_doc *doc)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region,
	    kind)) != STORE_OK)
		return rc;
	return doc_put(t, STORE_DBI_REGISTRY_DOCS, &k, doc);
}

int
store_registry_doc_delete(struct store_txn *t, const char *registry_id,
    const char *region, enum store_doc_kind kind)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_registry_doc(&k, registry_id, region,
	    kind)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_REGISTRY_DOCS, &k);
}
