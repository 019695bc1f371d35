/*
 * Image scans (SCHEMA.md, schema 5): an image's last scan and its
 * findings, the durable queue of scans to run and the daily count of
 * scans per registry.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void
store_scan_release(struct store_scan *s)
{
	free(s->inventory);
	memset(s, 0, sizeof *s);
}

void
store_finding_release(struct store_finding *f)
{
	free(f->name);
	free(f->osv_id);
	free(f->description);
	free(f->uri);
	free(f->severity);
	free(f->cvss3_vector);
	free(f->package_name);
	free(f->package_version);
	free(f->fixed_version);
	memset(f, 0, sizeof *f);
}

int
store_scan_get(struct store_txn *t, uint64_t repo_id, const char *digest,
    struct store_scan *out)
{
	struct store_key k;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_SCANS, &k, &v)) != STORE_OK)
		return rc;
	return store_codec_scan_decode(v.mv_data, v.mv_size, out);
}

int
store_scan_put(struct store_txn *t, uint64_t repo_id, const char *digest,
    const struct store_scan *s)
{
	struct store_key k;
	struct buf b;
	MDB_val v;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = store_db_get(t, STORE_DBI_IMAGES, &k, &v)) != STORE_OK)
		return rc;
	if ((rc = store_codec_scan_encode(s, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_SCANS, &k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_scan_findings_put(struct store_txn *t, uint64_t repo_id,
    const char *digest, uint32_t from, const struct store_finding *list,
    size_t n)
{
	struct store_key k;
	struct buf b;
	size_t i;
	int rc;

	if (from > STORE_SCAN_FINDINGS_MAX ||
	    n > STORE_SCAN_FINDINGS_MAX - from)
		return STORE_TOOBIG;
	for (i = 0; i < n; i++) {
		if ((rc = store_keys_scan_finding(&k, repo_id, digest,
		         (uint32_t)(from + i), false)) != STORE_OK ||
		    (rc = store_codec_finding_encode(&list[i], &b)) != STORE_OK)
			return rc;
		rc = store_db_put(t, STORE_DBI_SCAN_FINDINGS, &k, b.data, b.len,
		    0);
		buf_release(&b);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

int
store_scan_findings_set(struct store_txn *t, uint64_t repo_id,
    const char *digest, const struct store_finding *list, size_t n)
{
	struct store_key k;
	int rc;

	if (n > STORE_SCAN_FINDINGS_MAX)
		return STORE_TOOBIG;
	if ((rc = store_keys_scan_finding(&k, repo_id, digest, 0, true)) !=
	        STORE_OK ||
	    (rc = store_db_del_prefix(t, STORE_DBI_SCAN_FINDINGS, &k)) !=
	        STORE_OK)
		return rc;
	return store_scan_findings_put(t, repo_id, digest, 0, list, n);
}

int
store_scan_findings_foreach(struct store_txn *t, uint64_t repo_id,
    const char *digest, uint32_t from, store_finding_cb cb, void *arg)
{
	struct store_finding f;
	struct store_key prefix, start;
	MDB_cursor *c;
	MDB_val key, val;
	uint32_t index;
	const unsigned char *p;
	int mrc, rc;

	if ((rc = store_keys_scan_finding(&prefix, repo_id, digest, 0, true)) !=
	        STORE_OK ||
	    (rc = store_keys_scan_finding(&start, repo_id, digest, from,
	         false)) != STORE_OK ||
	    (rc = store_db_key(t, &start, &key)) != STORE_OK ||
	    (rc = store_db_cursor(t, STORE_DBI_SCAN_FINDINGS, &c)) != STORE_OK)
		return rc;
	mrc = store_db_seek(c, &start, false, &key, &val);
	for (rc = STORE_OK; mrc == 0 && rc == STORE_OK;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != prefix.len + 4 ||
		    memcmp(key.mv_data, prefix.data, prefix.len) != 0)
			break;
		p = (const unsigned char *)key.mv_data + prefix.len;
		index = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		        (uint32_t)p[2] << 8 | p[3];
		if ((rc = store_codec_finding_decode(val.mv_data, val.mv_size,
		         &f)) != STORE_OK)
			break;
		rc = cb(index, &f, arg);
		store_finding_release(&f);
	}
	mdb_cursor_close(c);
	if (rc != STORE_OK)
		return rc < 0 ? rc : STORE_OK;
	return mrc == 0 || mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_scan_foreach(struct store_txn *t, uint64_t after_repo_id,
    const char *after_digest, store_scan_cb cb, void *arg)
{
	struct store_scan s;
	struct store_key start;
	char digest[STORE_DIGEST_MAX + 1];
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t repo_id;
	int mrc, rc;

	if (after_digest != NULL)
		rc =
		    store_keys_repo_digest(&start, after_repo_id, after_digest);
	else
		rc = store_keys_repo_children(&start, after_repo_id);
	if (rc != STORE_OK ||
	    (rc = store_db_key(t, &start, &key)) != STORE_OK ||
	    (rc = store_db_cursor(t, STORE_DBI_SCANS, &c)) != STORE_OK)
		return rc;
	mrc = store_db_seek(c, &start, after_digest != NULL, &key, &val);
	for (rc = STORE_OK; mrc == 0 && rc == STORE_OK;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if ((rc = store_keys_repo_digest_split(key.mv_data, key.mv_size,
		         &repo_id, digest)) != STORE_OK ||
		    (rc = store_codec_scan_decode(val.mv_data, val.mv_size,
		         &s)) != STORE_OK)
			break;
		rc = cb(repo_id, digest, &s, arg);
		store_scan_release(&s);
	}
	mdb_cursor_close(c);
	if (rc != STORE_OK)
		return rc < 0 ? rc : STORE_OK;
	return mrc == 0 || mrc == MDB_NOTFOUND ? STORE_OK : store_err(mrc);
}

int
store_scan_job_put(struct store_txn *t, uint64_t repo_id, const char *digest,
    int64_t queued_at_ms)
{
	struct store_key k;
	struct buf b;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK ||
	    (rc = store_codec_u64_encode((uint64_t)queued_at_ms, &b)) !=
	        STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_SCAN_JOBS, &k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_scan_job_delete(struct store_txn *t, uint64_t repo_id, const char *digest)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_SCAN_JOBS, &k);
}

int
store_scan_job_first(struct store_txn *t, uint64_t *repo_id, char *digest)
{
	struct store_key none, found;
	int rc;

	none.len = 0;
	rc = store_db_first(t, STORE_DBI_SCAN_JOBS, &none, &found);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return STORE_NOTFOUND;
	return store_keys_repo_digest_split(found.data, found.len, repo_id,
	    digest);
}

int
store_scan_count_add(struct store_txn *t, const char *registry_id,
    const char *region, uint64_t day, uint64_t *out)
{
	struct store_key k, prefix;
	int rc;

	if ((rc = store_keys_scan_count(&k, registry_id, region, day, false)) !=
	        STORE_OK ||
	    (rc = store_keys_scan_count(&prefix, registry_id, region, 0,
	         true)) != STORE_OK ||
	    (rc = store_db_counter_get(t, STORE_DBI_SCAN_COUNTS, &k, out)) !=
	        STORE_OK)
		return rc;
	/* A new day: the partition's only other record is an old day's. */
	if (*out == 0 && (rc = store_db_del_prefix(t, STORE_DBI_SCAN_COUNTS,
	                      &prefix)) != STORE_OK)
		return rc;
	if ((rc = store_db_counter_add(t, STORE_DBI_SCAN_COUNTS, &k, 1)) !=
	    STORE_OK)
		return rc;
	(*out)++;
	return STORE_OK;
}

int
store_scan_drop(struct store_txn *t, uint64_t repo_id, const char *digest)
{
	struct store_key k;
	int rc;

	if ((rc = store_keys_repo_digest(&k, repo_id, digest)) != STORE_OK)
		return rc;
	rc = store_db_del(t, STORE_DBI_SCANS, &k);
	if (rc == STORE_OK || rc == STORE_NOTFOUND)
		rc = store_db_del(t, STORE_DBI_SCAN_JOBS, &k);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	if ((rc = store_keys_scan_finding(&k, repo_id, digest, 0, true)) !=
	    STORE_OK)
		return rc;
	return store_db_del_prefix(t, STORE_DBI_SCAN_FINDINGS, &k);
}
