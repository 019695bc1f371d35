/*
 * The LMDB environment: opening and stamping the store, transactions, the
 * one map from LMDB codes to STORE_* codes, the record helpers the other
 * files share, and the meta records (server key, reset).
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/xalloc.h"

static const char *const dbi_names[STORE_DBI__COUNT] = {
    [STORE_DBI_META] = "meta",
    [STORE_DBI_REPOS] = "repos",
    [STORE_DBI_REPO_IDS] = "repo_ids",
    [STORE_DBI_REPO_COUNTS] = "repo_counts",
    [STORE_DBI_IMAGES] = "images",
    [STORE_DBI_MANIFESTS] = "manifests",
    [STORE_DBI_TAGS] = "tags",
    [STORE_DBI_LAYERS] = "layers",
    [STORE_DBI_BLOBS] = "blobs",
    [STORE_DBI_UPLOADS] = "uploads",
    [STORE_DBI_REFERRERS] = "referrers",
    [STORE_DBI_PARENTS] = "parents",
    [STORE_DBI_IMAGE_COUNTS] = "image_counts",
    [STORE_DBI_LAYER_GC] = "layer_gc",
    [STORE_DBI_BLOB_GC] = "blob_gc",
    [STORE_DBI_REPO_DOCS] = "repo_docs",
    [STORE_DBI_REGISTRY_DOCS] = "registry_docs",
    [STORE_DBI_TEMPLATES] = "templates",
    [STORE_DBI_BURIED] = "buried",
    [STORE_DBI_REPL_JOBS] = "repl_jobs",
    [STORE_DBI_REPL_STATUS] = "repl_status",
    [STORE_DBI_SCANS] = "scans",
    [STORE_DBI_SCAN_FINDINGS] = "scan_findings",
    [STORE_DBI_SCAN_JOBS] = "scan_jobs",
    [STORE_DBI_SCAN_COUNTS] = "scan_counts",
    [STORE_DBI_RESTORES] = "restores",
    [STORE_DBI_SIGNINGS] = "signings",
    [STORE_DBI_SIGN_STATUS] = "sign_status",
};

/*
 * Map sizes tried in turn when the caller names none. The map is sparse, so
 * only address space is spent; a smaller size is used only where mmap
 * refuses a larger one (as valgrind does past about 16 GiB). Sizes that do
 * not fit size_t are skipped.
 */
#define GIB ((uint64_t)1 << 30)
static const uint64_t map_sizes[] = {
    STORE_MAP_SIZE_DEFAULT,
    256 * GIB,
    64 * GIB,
    16 * GIB,
    4 * GIB,
    1 * GIB,
};

/* The file of the environment inside the store directory (MDB_NOSUBDIR). */
#define STORE_FILE "meta.lmdb"
/* The lock one process holds while it has the store open. */
#define LOCK_FILE "lock"
#define RESERVE_FILE "reserve"

const char *
store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK:
		return "success";
	case STORE_NOTFOUND:
		return "record not found";
	case STORE_EXISTS:
		return "record already exists";
	case STORE_FULL:
		return "store is full";
	case STORE_CORRUPT:
		return "store is corrupt";
	case STORE_VERSION:
		return "store version is not supported";
	case STORE_IO:
		return "store I/O error";
	case STORE_TOOBIG:
		return "key or value too big";
	case STORE_BUSY:
		return "store is busy";
	case STORE_LOCKED:
		return "store is in use by another process";
	case STORE_NOSPACE:
		return "no space left on device";
	}
	return "unknown store error";
}

/* The one map from LMDB (and errno) codes to STORE_* codes. */
int
store_err(int mdb_rc)
{
	switch (mdb_rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOTFOUND;
	case MDB_KEYEXIST:
		return STORE_EXISTS;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
	case MDB_DBS_FULL:
		return STORE_FULL;
	case ENOSPC:
	case EDQUOT:
		return STORE_NOSPACE;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return STORE_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return STORE_VERSION;
	case MDB_BAD_VALSIZE:
		return STORE_TOOBIG;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
	case EBUSY:
	case EAGAIN:
		return STORE_BUSY;
	}
	return STORE_IO;
}

/* Explain a failure to open the environment at path. */
static char *
open_cause(const char *path, int mdb_rc)
{
	switch (store_err(mdb_rc)) {
	case STORE_CORRUPT:
		return xasprintf("%s is not an LMDB environment or is corrupt "
		                 "(%s)",
		    path, mdb_strerror(mdb_rc));
	case STORE_VERSION:
		return xasprintf("%s was written by an incompatible LMDB "
		                 "version (%s)",
		    path, mdb_strerror(mdb_rc));
	}
	return xasprintf("%s: %s", path, mdb_strerror(mdb_rc));
}

static int
env_open(struct store *s, const char *path, unsigned flags, uint64_t map_size,
    char **why)
{
	unsigned env_flags = MDB_NOSUBDIR | MDB_NOTLS;
	MDB_env *env;
	const uint64_t *sizes = map_sizes;
	MDB_stat st;
	size_t i, n_sizes = sizeof(map_sizes) / sizeof(map_sizes[0]);
	int mrc = EINVAL, dead;

	if (flags & STORE_EPHEMERAL)
		env_flags |= MDB_NOSYNC;
	if (map_size != 0) {
		sizes = &map_size;
		n_sizes = 1;
	}
	for (i = 0; i < n_sizes; i++) {
		if (sizes[i] > SIZE_MAX)
			continue;
		if ((mrc = mdb_env_create(&env)) != 0)
			break;
		if ((mrc = mdb_env_set_maxdbs(env, STORE_DBI__COUNT)) != 0 ||
		    (mrc = mdb_env_set_mapsize(env, (size_t)sizes[i])) != 0 ||
		    (mrc = mdb_env_open(env, path, env_flags, 0600)) != 0) {
			mdb_env_close(env);
			/* mmap refused the size: try the next one. */
			if (mrc == ENOMEM || mrc == EINVAL)
				continue;
			break;
		}
		s->env = env;
		break;
	}
	if (s->env == NULL) {
		*why = open_cause(path, mrc);
		return store_err(mrc);
	}
	if ((mrc = mdb_reader_check(s->env, &dead)) != 0) {
		*why = open_cause(path, mrc);
		return store_err(mrc);
	}
	s->key_max = (size_t)mdb_env_get_maxkeysize(s->env);
	if ((mrc = mdb_env_stat(s->env, &st)) != 0) {
		*why = open_cause(path, mrc);
		return store_err(mrc);
	}
	/*
	 * A value this long takes one overflow page (LMDB's page header is
	 * 16 bytes, the codec's version byte 1; the rest is slack).
	 */
	s->chunk_max = st.ms_psize > 1024 ? st.ms_psize - 64 : 512;
	return STORE_OK;
}

/*
 * Check the schema record of a store that already holds data and set
 * *out to its version. Returns STORE_OK, or a code with *why set.
 */
static int
check_schema(struct store_txn *t, const char *path, uint32_t *out, char **why)
{
	struct store_key k;
	MDB_val v;
	uint32_t version;
	int mrc, rc;

	mrc = mdb_dbi_open(t->txn, dbi_names[STORE_DBI_META], 0,
	    &t->store->dbi[STORE_DBI_META]);
	if (mrc == MDB_NOTFOUND || mrc == MDB_INCOMPATIBLE)
		goto not_ecrd;
	if (mrc != 0) {
		*why = open_cause(path, mrc);
		return store_err(mrc);
	}
	if ((rc = store_keys_meta(&k, STORE_META_SCHEMA)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_META, &k, &v);
	if (rc == STORE_NOTFOUND)
		goto not_ecrd;
	if (rc != STORE_OK) {
		*why = xasprintf("%s: reading the schema record: %s", path,
		    store_strerror(rc));
		return rc;
	}
	if (store_codec_schema_decode(v.mv_data, v.mv_size, &version) !=
	        STORE_OK ||
	    version == 0) {
		*why = xasprintf("%s: the schema record is damaged", path);
		return STORE_CORRUPT;
	}
	if (version > STORE_SCHEMA_VERSION) {
		*why = xasprintf("store schema version %u is newer than this "
		                 "ecrd supports (%d)",
		    (unsigned)version, STORE_SCHEMA_VERSION);
		return STORE_VERSION;
	}
	*out = version;
	return STORE_OK;

not_ecrd:
	*why = xasprintf("%s is an LMDB environment but not an ecrd store "
	                 "(no schema record)",
	    path);
	return STORE_CORRUPT;
}

/* Write the schema record of a fresh (flags MDB_NOOVERWRITE) or old store. */
static int
write_schema(struct store_txn *t, unsigned flags)
{
	struct store_key k;
	struct buf b;
	int rc;

	if ((rc = store_keys_meta(&k, STORE_META_SCHEMA)) != STORE_OK)
		return rc;
	if ((rc = store_codec_schema_encode(STORE_SCHEMA_VERSION, &b)) !=
	    STORE_OK)
		return rc;
	rc = store_db_put(t, STORE_DBI_META, &k, b.data, b.len, flags);
	buf_release(&b);
	return rc;
}

/*
 * Bring a store of an older schema version up to date, in the open txn
 * (SCHEMA.md). Version 1 had only raw image records, which tests wrote:
 * they are dropped, since version 2 images need their other records.
 * Version 2 upload records held a hash state; 3 rewrites them without.
 * Version 4 added the buried DBI, which stamp has just created empty;
 * version 5 the replication, scan, restores, signings and sign_status
 * DBIs, likewise. Version 6 keeps the total size of the blob records in
 * the meta record blob_bytes, which it computes once here.
 */
static int
migrate(struct store_txn *t, uint32_t version)
{
	int rc;

	if (version < 2 &&
	    (rc = store_err(mdb_drop(t->txn, t->store->dbi[STORE_DBI_IMAGES],
	         0))) != STORE_OK)
		return rc;
	if (version < 3 && (rc = store_upload_migrate(t)) != STORE_OK)
		return rc;
	if (version < 6 && (rc = store_blob_migrate(t)) != STORE_OK)
		return rc;
	return write_schema(t, 0);
}

/*
 * In one write txn: check (or, on a fresh store, write) the schema version,
 * open every named DBI and migrate an older store. A refused store is left
 * unwritten.
 */
static int
stamp(struct store *s, const char *path, char **why)
{
	struct store_txn t = {s, NULL, false, false};
	MDB_dbi main_dbi;
	MDB_stat st;
	bool is_fresh;
	uint32_t version = STORE_SCHEMA_VERSION;
	int mrc, rc;
	size_t i;

	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &t.txn)) != 0 ||
	    (mrc = mdb_dbi_open(t.txn, NULL, 0, &main_dbi)) != 0 ||
	    (mrc = mdb_stat(t.txn, main_dbi, &st)) != 0) {
		*why = open_cause(path, mrc);
		rc = store_err(mrc);
		goto out;
	}
	is_fresh = st.ms_entries == 0;
	if (!is_fresh &&
	    (rc = check_schema(&t, path, &version, why)) != STORE_OK)
		goto out;
	for (i = 0; i < STORE_DBI__COUNT; i++) {
		mrc = mdb_dbi_open(t.txn, dbi_names[i], MDB_CREATE, &s->dbi[i]);
		if (mrc != 0) {
			*why = xasprintf("%s: opening the %s table: %s", path,
			    dbi_names[i], mdb_strerror(mrc));
			rc = mrc == MDB_INCOMPATIBLE ? STORE_CORRUPT
			                             : store_err(mrc);
			goto out;
		}
	}
	rc = STORE_OK;
	if (is_fresh)
		rc = write_schema(&t, MDB_NOOVERWRITE);
	else if (version < STORE_SCHEMA_VERSION)
		rc = migrate(&t, version);
	if (rc != STORE_OK) {
		*why = xasprintf("%s: writing the schema record: %s", path,
		    store_strerror(rc));
		goto out;
	}
	mrc = mdb_txn_commit(t.txn);
	t.txn = NULL;
	if (mrc != 0) {
		*why = open_cause(path, mrc);
		rc = store_err(mrc);
		goto out;
	}
	rc = STORE_OK;
out:
	if (t.txn != NULL)
		mdb_txn_abort(t.txn);
	return rc;
}

/* The pid a lock file names, or 0 if it names none. */
static long
lock_holder(int fd)
{
	char text[32];
	const char *errstr;
	uint64_t pid;
	ssize_t n;

	if ((n = pread(fd, text, sizeof(text) - 1, 0)) <= 0)
		return 0;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (parse_u64(text, 1, INT32_MAX, &pid, &errstr) != 0)
		return 0;
	return (long)pid;
}

/*
 * Take <dir>/lock for as long as the store is open: two servers on one
 * store would each believe they own its files (GC would remove the other's
 * uploads). flock, not LMDB's own lock, which lets several processes in.
 * The lock dies with the process, so a crash leaves nothing to clean up.
 */
static int
lock_dir(struct store *s, char **why)
{
	char *path, pid[32];
	long holder;
	int fd, n, rc = STORE_IO;

	path = xasprintf("%s/%s", s->dir, LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			*why = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if ((holder = lock_holder(fd)) != 0)
			*why = xasprintf("%s is in use by another ecrd "
			                 "(pid %ld)",
			    s->dir, holder);
		else
			*why =
			    xasprintf("%s is in use by another ecrd", s->dir);
		rc = STORE_LOCKED;
		goto out;
	}
	/* The pid is a courtesy: a full disk must not stop the server. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	s->lock_fd = fd;
	fd = -1;
	rc = STORE_OK;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

int
store_open(const char *dir, unsigned flags, uint64_t map_size,
    struct store **out, char **cause)
{
	struct store *s = NULL;
	pthread_mutexattr_t attr;
	char *path = NULL, *why = NULL;
	int rc;

	if ((flags & ~(unsigned)STORE_EPHEMERAL) != 0) {
		why = xasprintf("unknown store_open flags %#x", flags);
		rc = STORE_IO;
		goto out;
	}
	if (map_size != 0 && map_size < STORE_MAP_SIZE_MIN) {
		why = xasprintf("map size %llu is below the minimum of %llu",
		    (unsigned long long)map_size,
		    (unsigned long long)STORE_MAP_SIZE_MIN);
		rc = STORE_IO;
		goto out;
	}
	path = xasprintf("%s/%s", dir, STORE_FILE);
	s = xcalloc(1, sizeof(*s));
	s->lock_fd = -1;
	/*
	 * Recursive: a batch holds it until its commit, which ends on a later
	 * turn of the loop (store_txn_commit_async), and the loop may take it
	 * again meanwhile (store.h).
	 */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->files_mtx, &attr);
	pthread_mutexattr_destroy(&attr);
	s->dir = xstrdup(dir);
	s->is_ephemeral = (flags & STORE_EPHEMERAL) != 0;
	if ((rc = lock_dir(s, &why)) != STORE_OK ||
	    (rc = env_open(s, path, flags, map_size, &why)) != STORE_OK ||
	    (rc = stamp(s, path, &why)) != STORE_OK ||
	    (rc = store_files_init(s, &why)) != STORE_OK)
		goto out;
	(void)store_reserve_restore(s);
	s->io_cause[0] = '\0';
	*out = s;
	s = NULL;
out:
	store_close(s);
	free(path);
	if (cause != NULL && why != NULL)
		*cause = why;
	else
		free(why);
	return rc;
}

void
store_close(struct store *s)
{
	struct store_txn *idle;
	size_t i;

	if (s == NULL)
		return;
	store_writer_stop(s);
	idle = atomic_exchange(&s->idle_read, NULL);
	if (idle != NULL) {
		mdb_txn_abort(idle->txn);
		free(idle);
	}
	if (s->env != NULL)
		mdb_env_close(s->env);
	/* Closing the last descriptor drops the flock. */
	if (s->lock_fd != -1)
		close(s->lock_fd);
	free(s->dir);
	for (i = 0; i < s->n_pins; i++)
		free(s->pins[i]);
	free(s->pins);
	pthread_mutex_destroy(&s->files_mtx);
	free(s);
}

void
store_files_lock(struct store *s)
{
	pthread_mutex_lock(&s->files_mtx);
}

void
store_files_unlock(struct store *s)
{
	pthread_mutex_unlock(&s->files_mtx);
}

const char *
store_io_cause(const struct store *s)
{
	return s->io_cause;
}

int
store_io_fail(struct store *s, const char *call, const char *path, int e)
{
	snprintf(s->io_cause, sizeof(s->io_cause), "%s %s: %s", call, path,
	    strerror(e));
	return e == ENOSPC || e == EDQUOT ? STORE_NOSPACE : STORE_IO;
}

int
store_reserve_release(struct store *s)
{
	char *path;
	int rc = STORE_OK;

	path = xasprintf("%s/%s", s->dir, RESERVE_FILE);
	if (unlink(path) == -1)
		rc = errno == ENOENT ? STORE_NOTFOUND
		                     : store_io_fail(s, "unlink", path, errno);
	free(path);
	return rc;
}

/*
 * Allocate the reserve's blocks for real (posix_fallocate, not a sparse
 * file), under a temporary name renamed into place, so that a reserve file
 * is always whole.
 */
int
store_reserve_restore(struct store *s)
{
	struct statvfs vfs;
	struct stat sb;
	char *path, *tmp;
	int fd = -1, e, rc = STORE_IO;

	path = xasprintf("%s/%s", s->dir, RESERVE_FILE);
	tmp = xasprintf("%s/%s.tmp", s->dir, RESERVE_FILE);
	if (stat(path, &sb) == 0 &&
	    (uint64_t)sb.st_size == STORE_RESERVE_SIZE) {
		rc = STORE_OK;
		goto out;
	}
	if (statvfs(s->dir, &vfs) == -1) {
		rc = store_io_fail(s, "statvfs", s->dir, errno);
		goto out;
	}
	/* Leave room for the writes that made space wanted. */
	if ((uint64_t)vfs.f_bavail * vfs.f_frsize < 4 * STORE_RESERVE_SIZE) {
		rc = STORE_NOSPACE;
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1) {
		rc = store_io_fail(s, "open", tmp, errno);
		goto out;
	}
	if ((e = posix_fallocate(fd, 0, (off_t)STORE_RESERVE_SIZE)) != 0) {
		rc = store_io_fail(s, "posix_fallocate", tmp, e);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		rc = store_io_fail(s, "rename", tmp, errno);
		goto out;
	}
	rc = STORE_OK;
out:
	if (fd != -1)
		close(fd);
	if (rc != STORE_OK)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

/* A top-level read txn: the idle one renewed, else a new one. */
static int
read_txn_begin(struct store *s, struct store_txn **out)
{
	struct store_txn *t = atomic_exchange(&s->idle_read, NULL);
	MDB_txn *txn;
	int mrc;

	if (t != NULL) {
		if ((mrc = mdb_txn_renew(t->txn)) == 0) {
			*out = t;
			return STORE_OK;
		}
		mdb_txn_abort(t->txn);
		free(t);
	}
	if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_err(mrc);
	t = xmalloc(sizeof(*t));
	t->store = s;
	t->txn = txn;
	t->is_lent = false;
	t->is_read = true;
	*out = t;
	return STORE_OK;
}

int
store_txn_begin(struct store *s, struct store_txn *parent, bool write,
    struct store_txn **out)
{
	struct store_txn *t;
	MDB_txn *txn;
	bool is_lent = parent == NULL && write && s->writer != NULL;
	int mrc;

	/* LMDB nests write txns only. */
	if (parent != NULL && !write)
		return STORE_IO;
	if (!write)
		return read_txn_begin(s, out);
	if (is_lent)
		mrc = store_writer_lend(s, &txn);
	else
		mrc = mdb_txn_begin(s->env, parent != NULL ? parent->txn : NULL,
		    0, &txn);
	if (mrc != 0)
		return store_err(mrc);
	t = xmalloc(sizeof(*t));
	t->store = s;
	t->txn = txn;
	t->is_lent = is_lent;
	t->is_read = false;
	*out = t;
	return STORE_OK;
}

int
store_commit_result(struct store *s, int mrc)
{
	int rc;

	if ((rc = store_err(mrc)) == STORE_NOSPACE || rc == STORE_IO)
		snprintf(s->io_cause, sizeof(s->io_cause), "commit %s/%s: %s",
		    s->dir, STORE_FILE, mdb_strerror(mrc));
	return rc;
}

int
store_txn_commit(struct store_txn *t)
{
	struct store *s = t->store;
	int mrc;

	if (t->is_lent)
		mrc = store_writer_commit(s, NULL, NULL);
	else
		mrc = mdb_txn_commit(t->txn);
	free(t);
	return store_commit_result(s, mrc);
}

void
store_txn_commit_async(struct store_txn *t, store_commit_fn fn, void *arg)
{
	struct store *s = t->store;

	if (!t->is_lent) {
		fn(arg, store_txn_commit(t));
		return;
	}
	(void)store_writer_commit(s, fn, arg);
	free(t);
}

void
store_txn_abort(struct store_txn *t)
{
	struct store_txn *none = NULL;

	if (t == NULL)
		return;
	if (t->is_lent)
		store_writer_abort(t->store);
	else if (t->is_read) {
		/* Kept for the next reader if none is kept yet. */
		mdb_txn_reset(t->txn);
		if (atomic_compare_exchange_strong(&t->store->idle_read, &none,
		        t))
			return;
		mdb_txn_abort(t->txn);
	} else
		mdb_txn_abort(t->txn);
	free(t);
}

int
store_sync(struct store *s)
{
	return store_err(mdb_env_sync(s->env, 1));
}

int
store_map_used(struct store *s, uint64_t *bytes, uint64_t *map_size)
{
	MDB_envinfo info;
	MDB_stat st;
	int mrc;

	if ((mrc = mdb_env_info(s->env, &info)) != 0 ||
	    (mrc = mdb_env_stat(s->env, &st)) != 0)
		return store_err(mrc);
	/* Pages up to the last one used: what the file holds, gaps too. */
	*bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	*map_size = (uint64_t)info.me_mapsize;
	return STORE_OK;
}

int
store_db_key(struct store_txn *t, struct store_key *k, MDB_val *v)
{
	/* LMDB refuses empty keys and keys past its compiled-in limit. */
	if (k->len == 0 || k->len > t->store->key_max)
		return STORE_TOOBIG;
	v->mv_size = k->len;
	v->mv_data = k->data;
	return STORE_OK;
}

int
store_db_get(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    MDB_val *out)
{
	MDB_val key, val;
	int rc;

	if ((rc = store_db_key(t, k, &key)) != STORE_OK)
		return rc;
	if ((rc = store_err(mdb_get(t->txn, t->store->dbi[dbi], &key, &val))) !=
	    STORE_OK)
		return rc;
	*out = val;
	return STORE_OK;
}

int
store_db_put(struct store_txn *t, enum store_dbi dbi, struct store_key *k,
    const void *p, size_t len, unsigned flags)
{
	MDB_val key, val;
	int rc;

	if ((rc = store_db_key(t, k, &key)) != STORE_OK)
		return rc;
	/* Reserve the space and copy into it: val's data is not const. */
	val.mv_size = len;
	val.mv_data = NULL;
	if ((rc = store_err(mdb_put(t->txn, t->store->dbi[dbi], &key, &val,
	         flags | MDB_RESERVE))) != STORE_OK)
		return rc;
	if (len != 0)
		memcpy(val.mv_data, p, len);
	return STORE_OK;
}

int
store_db_del(struct store_txn *t, enum store_dbi dbi, struct store_key *k)
{
	MDB_val key;
	int rc;

	if ((rc = store_db_key(t, k, &key)) != STORE_OK)
		return rc;
	return store_err(mdb_del(t->txn, t->store->dbi[dbi], &key, NULL));
}

/* Position c at the first key >= prefix: 1 if it starts with prefix. */
static int
seek_prefix(MDB_cursor *c, const MDB_val *prefix)
{
	MDB_val key, val;
	int rc;

	key = *prefix;
	rc = store_err(mdb_cursor_get(c, &key, &val, MDB_SET_RANGE));
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return rc;
	return key.mv_size >= prefix->mv_size &&
	       memcmp(key.mv_data, prefix->mv_data, prefix->mv_size) == 0;
}

int
store_db_seek(MDB_cursor *c, struct store_key *start, bool is_after,
    MDB_val *key, MDB_val *val)
{
	int mrc;

	key->mv_size = start->len;
	key->mv_data = start->data;
	mrc = mdb_cursor_get(c, key, val, MDB_SET_RANGE);
	if (mrc == 0 && is_after && key->mv_size == start->len &&
	    memcmp(key->mv_data, start->data, start->len) == 0)
		mrc = mdb_cursor_get(c, key, val, MDB_NEXT);
	return mrc;
}

int
store_db_del_prefix(struct store_txn *t, enum store_dbi dbi,
    struct store_key *prefix)
{
	size_t budget = SIZE_MAX;

	return store_db_del_prefix_some(t, dbi, prefix, &budget);
}

int
store_db_del_prefix_some(struct store_txn *t, enum store_dbi dbi,
    struct store_key *prefix, size_t *budget)
{
	MDB_cursor *c;
	MDB_val pv;
	int rc = STORE_OK;

	if ((rc = store_db_key(t, prefix, &pv)) != STORE_OK)
		return rc;
	if ((rc = store_db_cursor(t, dbi, &c)) != STORE_OK)
		return rc;
	/* Seek afresh after each delete rather than trust the cursor. */
	while (*budget > 0 && (rc = seek_prefix(c, &pv)) == 1) {
		if ((rc = store_err(mdb_cursor_del(c, 0))) != STORE_OK)
			break;
		(*budget)--;
	}
	mdb_cursor_close(c);
	return rc;
}

int
store_db_has_prefix(struct store_txn *t, enum store_dbi dbi,
    struct store_key *prefix, bool *out)
{
	MDB_cursor *c;
	MDB_val pv;
	int rc;

	if ((rc = store_db_key(t, prefix, &pv)) != STORE_OK)
		return rc;
	if ((rc = store_db_cursor(t, dbi, &c)) != STORE_OK)
		return rc;
	rc = seek_prefix(c, &pv);
	mdb_cursor_close(c);
	if (rc < 0)
		return rc;
	*out = rc == 1;
	return STORE_OK;
}

int
store_db_put_marker(struct store_txn *t, enum store_dbi dbi,
    struct store_key *k)
{
	struct buf b;
	int rc;

	if ((rc = store_codec_marker_encode(&b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, dbi, k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_db_counter_get(struct store_txn *t, enum store_dbi dbi,
    struct store_key *k, uint64_t *out)
{
	MDB_val v;
	int rc;

	rc = store_db_get(t, dbi, k, &v);
	if (rc == STORE_NOTFOUND) {
		*out = 0;
		return STORE_OK;
	}
	if (rc != STORE_OK)
		return rc;
	return store_codec_u64_decode(v.mv_data, v.mv_size, out);
}

int
store_db_counter_add(struct store_txn *t, enum store_dbi dbi,
    struct store_key *k, int64_t delta)
{
	struct buf b;
	uint64_t n, by;
	int rc;

	if ((rc = store_db_counter_get(t, dbi, k, &n)) != STORE_OK)
		return rc;
	by = delta < 0 ? (uint64_t) - (delta + 1) + 1 : (uint64_t)delta;
	if (delta < 0 ? n < by : n > UINT64_MAX - by)
		return STORE_CORRUPT;
	n = delta < 0 ? n - by : n + by;
	/* A counter at 0 keeps no record. */
	if (n == 0)
		return store_db_del(t, dbi, k);
	if ((rc = store_codec_u64_encode(n, &b)) != STORE_OK)
		return rc;
	rc = store_db_put(t, dbi, k, b.data, b.len, 0);
	buf_release(&b);
	return rc;
}

int
store_db_first(struct store_txn *t, enum store_dbi dbi,
    struct store_key *prefix, struct store_key *found)
{
	MDB_cursor *c;
	MDB_val key, val;
	int rc;

	key.mv_size = 0;
	key.mv_data = NULL;
	/* LMDB refuses an empty key, so an empty prefix starts at the first. */
	if (prefix->len != 0 &&
	    (rc = store_db_key(t, prefix, &key)) != STORE_OK)
		return rc;
	if ((rc = store_db_cursor(t, dbi, &c)) != STORE_OK)
		return rc;
	rc = store_err(mdb_cursor_get(c, &key, &val,
	    prefix->len == 0 ? MDB_FIRST : MDB_SET_RANGE));
	if (rc == STORE_OK && key.mv_size >= prefix->len &&
	    key.mv_size <= sizeof(found->data) &&
	    memcmp(key.mv_data, prefix->data, prefix->len) == 0) {
		memcpy(found->data, key.mv_data, key.mv_size);
		found->len = key.mv_size;
		rc = 1;
	} else if (rc == STORE_OK || rc == STORE_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	return rc;
}

int
store_db_cursor(struct store_txn *t, enum store_dbi dbi, MDB_cursor **out)
{
	return store_err(mdb_cursor_open(t->txn, t->store->dbi[dbi], out));
}

int
store_key_get_or_create(struct store_txn *t, const unsigned char *candidate,
    size_t len, unsigned char *out)
{
	struct store_key k;
	struct buf b;
	MDB_val v;
	const void *p;
	size_t n;
	int rc;

	if (len == 0 || len > STORE_SERVER_KEY_MAX)
		return STORE_TOOBIG;
	if ((rc = store_keys_meta(&k, STORE_META_SERVER_KEY)) != STORE_OK)
		return rc;
	rc = store_db_get(t, STORE_DBI_META, &k, &v);
	if (rc == STORE_OK) {
		if (store_codec_bytes_decode(v.mv_data, v.mv_size, &p, &n) !=
		        STORE_OK ||
		    n != len)
			return STORE_CORRUPT;
		memmove(out, p, len);
		return STORE_OK;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((rc = store_codec_bytes_encode(candidate, len, &b)) != STORE_OK)
		return rc;
	rc =
	    store_db_put(t, STORE_DBI_META, &k, b.data, b.len, MDB_NOOVERWRITE);
	buf_release(&b);
	if (rc != STORE_OK)
		return rc;
	memmove(out, candidate, len);
	return STORE_OK;
}

int
store_reset(struct store_txn *t)
{
	struct store_key k;
	int i, rc;

	/* Every DBI but meta holds resettable records. */
	for (i = 0; i < STORE_DBI__COUNT; i++) {
		if (i == STORE_DBI_META)
			continue;
		if ((rc = store_err(mdb_drop(t->txn, t->store->dbi[i], 0))) !=
		    STORE_OK)
			return rc;
	}
	/* The blob records are gone, so is their total. */
	if ((rc = store_keys_meta(&k, STORE_META_BLOB_BYTES)) != STORE_OK)
		return rc;
	rc = store_db_del(t, STORE_DBI_META, &k);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}
