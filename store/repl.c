/*
 * Replication jobs and statuses (store.h, SCHEMA.md): the queue a push
 * fills in its own txn and the server drains, and each image's status per
 * destination.
 */
#include "store/store_int.h"

#include <string.h>

#include <lmdb.h>

#include "common/buf.h"

/* The key after the last job's, or 1 for an empty queue. */
static int
next_seq(struct store_txn *t, uint64_t *out)
{
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t seq = 0;
	int mrc, rc;

	if ((rc = store_db_cursor(t, STORE_DBI_REPL_JOBS, &c)) != STORE_OK)
		return rc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_err(mrc);
	if (mrc == 0 && (rc = store_keys_repl_job_split(key.mv_data,
	                     key.mv_size, &seq)) != STORE_OK)
		return rc;
	*out = seq + 1;
	return STORE_OK;
}

int
store_repl_job_add(struct store_txn *t, struct store_repl_job *job)
{
	struct store_key k;
	struct buf b;
	uint64_t seq = 0;
	int rc;

	if ((rc = next_seq(t, &seq)) != STORE_OK ||
	    (rc = store_keys_repl_job(&k, seq)) != STORE_OK ||
	    (rc = store_codec_repl_job_encode(job, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_REPL_JOBS, &k, b.data, b.len,
	    MDB_NOOVERWRITE);
	buf_release(&b);
	if (rc == STORE_OK)
		job->seq = seq;
	return rc;
}

int
store_repl_job_first(struct store_txn *t, struct store_repl_job *out)
{
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t seq = 0;
	int mrc, rc;

	if ((rc = store_db_cursor(t, STORE_DBI_REPL_JOBS, &c)) != STORE_OK)
		return rc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	if (mrc != 0) {
		mdb_cursor_close(c);
		return store_err(mrc);
	}
	rc = store_keys_repl_job_split(key.mv_data, key.mv_size, &seq);
	if (rc == STORE_OK) {
		out->seq = seq;
		rc = store_codec_repl_job_decode(val.mv_data, val.mv_size, out);
	}
	mdb_cursor_close(c);
	return rc;
}

int
store_repl_job_delete(struct store_txn *t, uint64_t seq)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repl_job(&k, seq)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_REPL_JOBS, &k);
}

int
store_repl_status_put(struct store_txn *t, uint64_t repo_id, const char *digest,
    const struct store_repl_status *st)
{
	struct store_key k;
	struct buf b;
	int rc;

	if ((rc = store_repo_check_id(t, repo_id)) != STORE_OK ||
	    (rc = store_keys_repl_status(&k, repo_id, digest, st->registry_id,
	         st->region)) != STORE_OK ||
	    (rc = store_codec_repl_status_encode(st, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_REPL_STATUS, &k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

/* Split the <registry>\0<region> after the image's prefix. */
static int
status_split(const unsigned char *p, size_t len, struct store_repl_status *st)
{
	const unsigned char *nul = memchr(p, '\0', len);
	size_t a, b;

	if (nul == NULL)
		return STORE_CORRUPT;
	a = (size_t)(nul - p);
	b = len - a - 1;
	if (a == 0 || a > STORE_REGISTRY_ID_MAX || b == 0 ||
	    b > STORE_REGION_MAX || memchr(nul + 1, '\0', b) != NULL)
		return STORE_CORRUPT;
	memcpy(st->registry_id, p, a);
	st->registry_id[a] = '\0';
	memcpy(st->region, nul + 1, b);
	st->region[b] = '\0';
	return STORE_OK;
}

int
store_repl_status_foreach(struct store_txn *t, uint64_t repo_id,
    const char *digest, store_repl_status_cb cb, void *arg)
{
	struct store_repl_status st;
	struct store_key prefix;
	MDB_cursor *c;
	MDB_val key, val;
	int mrc, rc;

	if ((rc = store_keys_repl_status(&prefix, repo_id, digest, NULL,
	         NULL)) != STORE_OK ||
	    (rc = store_db_key(t, &prefix, &key)) != STORE_OK ||
	    (rc = store_db_cursor(t, STORE_DBI_REPL_STATUS, &c)) != STORE_OK)
		return rc;
	rc = STORE_OK;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size <= prefix.len ||
		    memcmp(key.mv_data, prefix.data, prefix.len) != 0)
			break;
		memset(&st, 0, sizeof(st));
		if ((rc = status_split((const unsigned char *)key.mv_data +
		                           prefix.len,
		         key.mv_size - prefix.len, &st)) != STORE_OK ||
		    (rc = store_codec_repl_status_decode(val.mv_data,
		         val.mv_size, &st)) != STORE_OK)
			break;
		if ((rc = cb(&st, arg)) != 0) {
			rc = rc < 0 ? rc : STORE_OK;
			break;
		}
	}
	if (rc == STORE_OK && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_err(mrc);
	mdb_cursor_close(c);
	return rc;
}
