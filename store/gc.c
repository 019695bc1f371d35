/*
 * Garbage collection (store.h). store_gc_collect removes, in the caller's
 * write txn, the records nothing needs any more; store_gc_files_listed then
 * removes their files, and store_gc_files_sweep old files that no record
 * names, holding no txn while they do file I/O and the files lock around
 * each file, so that they can run on a worker thread.
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

/* The directories swept, and how a file name there becomes a record key. */
struct gc_dir {
	const char *rel;
	const char *prefix; /* blob files: "<algo>:"; else NULL */
};
static const struct gc_dir gc_dirs[] = {
    {STORE_DIR_SHA256, "sha256:"},
    {STORE_DIR_SHA512, "sha512:"},
    {STORE_DIR_UPLOADS, NULL},
};

static void
strlist_add(char ***list, size_t *n, char *owned_s)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = owned_s;
}

void
store_gc_list_release(struct store_gc_list *l)
{
	size_t i;

	for (i = 0; i < l->n_blobs; i++)
		free(l->blobs[i]);
	for (i = 0; i < l->n_uploads; i++)
		free(l->uploads[i]);
	free(l->blobs);
	free(l->uploads);
	memset(l, 0, sizeof(*l));
}

/* Remove up to max layer records with no reference, oldest first. */
static int
gc_layers(struct store_txn *t, int64_t before_ms, size_t max, size_t *n_layers)
{
	struct store_key none, k;
	int64_t created_at_ms;
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	size_t n;
	int rc;

	none.len = 0;
	for (n = 0; n < max; n++) {
		if ((rc = store_db_first(t, STORE_DBI_LAYER_GC, &none, &k)) <=
		    0)
			return rc;
		if ((rc = store_keys_layer_gc_split(k.data, k.len,
		         &created_at_ms, &repo_id, digest)) != STORE_OK)
			return rc;
		if (created_at_ms >= before_ms)
			break;
		if ((rc = store_layer_remove(t, repo_id, digest)) != STORE_OK)
			return rc;
		(*n_layers)++;
	}
	return STORE_OK;
}

/* Remove up to max blob records with no user, listing their digests. */
static int
gc_blobs(struct store_txn *t, size_t max, struct store_gc_list *l)
{
	struct store_blob b;
	struct store_key none, k;
	size_t n;
	int rc;

	none.len = 0;
	for (n = 0; n < max; n++) {
		if ((rc = store_db_first(t, STORE_DBI_BLOB_GC, &none, &k)) <= 0)
			return rc;
		if (store_keys_suffix(&none, k.data, k.len, STORE_DIGEST_MAX,
		        b.digest) != 1)
			return STORE_CORRUPT;
		rc = store_blob_get(t, b.digest, &b);
		if (rc == STORE_NOTFOUND || (rc == STORE_OK && b.users != 0))
			return STORE_CORRUPT;
		/* The blob key and its blob_gc key are both the digest. */
		if (rc != STORE_OK ||
		    (rc = store_db_del(t, STORE_DBI_BLOBS, &k)) != STORE_OK ||
		    (rc = store_db_del(t, STORE_DBI_BLOB_GC, &k)) != STORE_OK ||
		    (rc = store_blob_bytes_add(t, b.size, false)) != STORE_OK)
			return rc;
		strlist_add(&l->blobs, &l->n_blobs, xstrdup(b.digest));
	}
	return STORE_OK;
}

static bool
upload_is_pinned(struct store *s, const char *id)
{
	bool is_pinned;

	store_files_lock(s);
	is_pinned = store_blob_is_pinned(s, id);
	store_files_unlock(s);
	return is_pinned;
}

/*
 * Remove up to max upload records last updated before before_ms, but for
 * pinned ones.
 */
static int
gc_uploads(struct store_txn *t, int64_t before_ms, size_t max,
    struct store_gc_list *l)
{
	char **ids = NULL;
	size_t n = 0, i;
	int rc;

	rc = store_upload_find(t, 0, before_ms, max, &ids, &n);
	for (i = 0; i < n; i++) {
		/* Pinned: a stream or a finish is at work on it (a lease). */
		if (rc == STORE_OK && upload_is_pinned(t->store, ids[i])) {
			free(ids[i]);
			continue;
		}
		if (rc == STORE_OK)
			rc = store_upload_delete(t, ids[i]);
		if (rc == STORE_OK)
			strlist_add(&l->uploads, &l->n_uploads, ids[i]);
		else
			free(ids[i]);
	}
	free(ids);
	return rc;
}

int
store_gc_collect(struct store_txn *t, int64_t layer_before_ms,
    int64_t upload_before_ms, size_t max, struct store_gc_list *out)
{
	struct store_gc_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	if ((rc = gc_layers(t, layer_before_ms, max, &l.n_layers)) !=
	        STORE_OK ||
	    (rc = gc_blobs(t, max, &l)) != STORE_OK ||
	    (rc = gc_uploads(t, upload_before_ms, max, &l)) != STORE_OK) {
		store_gc_list_release(&l);
		return rc;
	}
	for (i = 0; i < l.n_blobs; i++)
		strlist_add(&out->blobs, &out->n_blobs, l.blobs[i]);
	for (i = 0; i < l.n_uploads; i++)
		strlist_add(&out->uploads, &out->n_uploads, l.uploads[i]);
	out->n_layers += l.n_layers;
	free(l.blobs);
	free(l.uploads);
	return STORE_OK;
}

/*
 * Set *out to whether a record names the file: a blob record for a digest
 * (is_blob), an upload record for an id. In a read-only txn of its own.
 */
static int
has_record(struct store *s, bool is_blob, const char *name, bool *out)
{
	struct store_txn *t;
	struct store_key k;
	MDB_val v;
	int rc;

	rc = is_blob ? store_keys_blob(&k, name) : store_keys_upload(&k, name);
	if (rc != STORE_OK ||
	    (rc = store_txn_begin(s, NULL, false, &t)) != STORE_OK)
		return rc;
	rc = store_db_get(t, is_blob ? STORE_DBI_BLOBS : STORE_DBI_UPLOADS, &k,
	    &v);
	store_txn_abort(t);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	*out = rc == STORE_OK;
	return STORE_OK;
}

/* Remove a listed file unless a record names it again. */
static int
remove_listed(struct store *s, bool is_blob, const char *name)
{
	char *path;
	bool has;
	int rc = STORE_OK;

	path = is_blob ? store_files_blob_path(s, name)
	               : store_files_upload_path(s, name);
	if (path == NULL)
		return STORE_CORRUPT;
	store_files_lock(s);
	/* Upload ids are pinned too (store_upload_pin), by their leases. */
	if (store_blob_is_pinned(s, name))
		has = true;
	else
		rc = has_record(s, is_blob, name, &has);
	if (rc == STORE_OK && !has && unlink(path) == -1 && errno != ENOENT)
		rc = STORE_IO;
	store_files_unlock(s);
	free(path);
	return rc;
}

/* Whether entry name of d is an orphan to sweep: old, regular, unnamed. */
static int
is_orphan(struct store *s, const struct gc_dir *g, DIR *d, const char *name,
    int64_t before_ms, bool *out)
{
	struct stat sb;
	char *key;
	bool is_valid, has = true;
	int rc = STORE_OK;

	*out = false;
	key = g->prefix != NULL ? xasprintf("%s%s", g->prefix, name)
	                        : xstrdup(name);
	/* Leave alone any file whose name no record could have. */
	is_valid = g->prefix != NULL ? store_digest_is_valid(key)
	                             : store_upload_id_is_valid(key);
	if (!is_valid)
		goto out;
	if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		rc = errno == ENOENT ? STORE_OK : STORE_IO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) ||
	    (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000 >=
	        before_ms ||
	    store_blob_is_pinned(s, key))
		goto out;
	if ((rc = has_record(s, g->prefix != NULL, key, &has)) == STORE_OK)
		*out = !has;
out:
	free(key);
	return rc;
}

/* Remove the orphans of one directory; go on past errors, return the first. */
static int
sweep(struct store *s, const struct gc_dir *g, int64_t before_ms)
{
	struct dirent *de;
	DIR *d;
	char *path;
	bool is_gone;
	int rc = STORE_OK, rc1;

	path = xasprintf("%s/%s", s->dir, g->rel);
	d = opendir(path);
	free(path);
	if (d == NULL)
		return STORE_IO;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		store_files_lock(s);
		rc1 = is_orphan(s, g, d, de->d_name, before_ms, &is_gone);
		if (rc1 == STORE_OK && is_gone &&
		    unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT)
			rc1 = STORE_IO;
		store_files_unlock(s);
		if (rc == STORE_OK)
			rc = rc1;
	}
	if (errno != 0 && rc == STORE_OK)
		rc = STORE_IO;
	closedir(d);
	return rc;
}

int
store_gc_files_unused(struct store *s, const struct store_gc_list *l)
{
	struct store_blob b;
	struct store_txn *t;
	char *path;
	size_t i;
	int rc = STORE_OK, rc1;

	for (i = 0; i < l->n_blobs; i++) {
		if ((path = store_files_blob_path(s, l->blobs[i])) == NULL) {
			rc1 = STORE_CORRUPT;
			goto next;
		}
		store_files_lock(s);
		if ((rc1 = store_txn_begin(s, NULL, false, &t)) == STORE_OK) {
			rc1 = store_blob_get(t, l->blobs[i], &b);
			store_txn_abort(t);
		}
		/* Users the aborted txn would have dropped keep their file. */
		if (rc1 == STORE_NOTFOUND ||
		    (rc1 == STORE_OK && b.users == 0)) {
			rc1 = STORE_OK;
			if (!store_blob_is_pinned(s, l->blobs[i]) &&
			    unlink(path) == -1 && errno != ENOENT)
				rc1 = STORE_IO;
		}
		store_files_unlock(s);
		free(path);
	next:
		if (rc == STORE_OK)
			rc = rc1;
	}
	return rc;
}

int
store_gc_files_listed(struct store *s, const struct store_gc_list *l)
{
	size_t i;
	int rc = STORE_OK, rc1;

	for (i = 0; i < l->n_blobs + l->n_uploads; i++) {
		rc1 = i < l->n_blobs
		          ? remove_listed(s, true, l->blobs[i])
		          : remove_listed(s, false, l->uploads[i - l->n_blobs]);
		if (rc == STORE_OK)
			rc = rc1;
	}
	return rc;
}

int
store_gc_files_sweep(struct store *s, int64_t file_before_ms)
{
	size_t i;
	int rc = STORE_OK, rc1;

	for (i = 0; i < sizeof(gc_dirs) / sizeof(gc_dirs[0]); i++) {
		rc1 = sweep(s, &gc_dirs[i], file_before_ms);
		if (rc == STORE_OK)
			rc = rc1;
	}
	return rc;
}
