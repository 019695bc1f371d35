/*
 * Image records, for now only raw puts and deletes (so that repository
 * deletion and emptiness checks can be tested) and the emptiness check.
 */
#include "store/store_int.h"

int
store_image_put_raw(struct store_txn *t, uint64_t repo_id,
    const char *digest, const void *val, size_t len)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_image(&k, repo_id, digest)) != STORE_OK)
		return rc;
	return store_db_put(t, STORE_DBI_IMAGES, &k, val, len, 0);
}

int
store_image_del_raw(struct store_txn *t, uint64_t repo_id,
    const char *digest)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_image(&k, repo_id, digest)) != STORE_OK)
		return rc;
	return store_db_del(t, STORE_DBI_IMAGES, &k);
}

int
store_repo_has_images(struct store_txn *t, uint64_t repo_id, bool *out)
{
	struct store_key	k;
	int			rc;

	if ((rc = store_keys_repo_children(&k, repo_id)) != STORE_OK)
		return rc;
	return store_db_has_prefix(t, STORE_DBI_IMAGES, &k, out);
}
