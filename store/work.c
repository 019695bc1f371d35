/*
 * Deferred image work (SCHEMA.md): archive restores that end at a time and
 * signings queued with their push, each a record keyed by when it is due,
 * its repository and digest, so the earliest is the first key; and each
 * signed image's status.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static enum store_dbi
work_dbi(enum store_work_kind kind)
{
	return kind == STORE_WORK_SIGN ? STORE_DBI_SIGNINGS
	                               : STORE_DBI_RESTORES;
}

void
store_work_release(struct store_work *w)
{
	free(w->text);
	memset(w, 0, sizeof *w);
}

int
store_work_put(struct store_txn *t, enum store_work_kind kind,
    const struct store_work *w)
{
	struct store_key k;
	int rc;

	/* The layer_gc key shape: <due u64, sign flipped><repo_id><digest>. */
	if ((rc = store_keys_layer_gc(&k, w->due_ms, w->repo_id, w->digest)) !=
	    STORE_OK)
		return rc;
	return store_db_put(t, work_dbi(kind), &k,
	    w->text != NULL ? w->text : "", w->text != NULL ? w->len : 0, 0);
}

int
store_work_first(struct store_txn *t, enum store_work_kind kind,
    struct store_work *out)
{
	struct store_key none, k;
	MDB_val val;
	int rc;

	memset(out, 0, sizeof *out);
	none.len = 0;
	if ((rc = store_db_first(t, work_dbi(kind), &none, &k)) != 1)
		return rc;
	if ((rc = store_keys_layer_gc_split(k.data, k.len, &out->due_ms,
	         &out->repo_id, out->digest)) != STORE_OK)
		return rc;
	if ((rc = store_db_get(t, work_dbi(kind), &k, &val)) != STORE_OK)
		return rc;
	out->text = xmalloc(val.mv_size + 1);
	memcpy(out->text, val.mv_data, val.mv_size);
	out->text[val.mv_size] = '\0';
	out->len = val.mv_size;
	return 1;
}

int
store_work_del(struct store_txn *t, enum store_work_kind kind,
    const struct store_work *w)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_layer_gc(&k, w->due_ms, w->repo_id, w->digest)) !=
	    STORE_OK)
		return rc;
	return store_db_del(t, work_dbi(kind), &k);
}

int
store_sign_status_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    char **text)
{
	struct store_key k;
	MDB_val val;
	int rc;

	*text = NULL;
	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_SIGN_STATUS, &k, &val)) != STORE_OK)
		return rc;
	*text = xmalloc(val.mv_size + 1);
	memcpy(*text, val.mv_data, val.mv_size);
	(*text)[val.mv_size] = '\0';
	return STORE_OK;
}

int
store_sign_status_put(struct store_txn *t, uint64_t repo_id, const char *digest,
    const char *text, size_t len)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK)
		return rc;
	return store_db_put(t, STORE_DBI_SIGN_STATUS, &k, text, len, 0);
}
