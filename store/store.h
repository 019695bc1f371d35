/*
 * The ecrd metadata store: one LMDB environment holding repositories and
 * their child records. Pure: no logging, clock or environment; every
 * function returns 0 (STORE_OK) or a negative STORE_* code.
 */
#ifndef ECRD_STORE_STORE_H
#define ECRD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_txn;

/*
 * Result codes. Any code other than STORE_OK, STORE_NOTFOUND, STORE_EXISTS
 * and STORE_TOOBIG from a function that writes may leave the transaction
 * unusable: the caller must then abort it.
 */
enum {
	STORE_OK = 0,
	STORE_NOTFOUND = -1,	/* no such record */
	STORE_EXISTS = -2,	/* a create found the record already there */
	STORE_FULL = -3,	/* the map (or a txn's page budget) is full */
	STORE_CORRUPT = -4,	/* a record or the environment is damaged */
	STORE_VERSION = -5,	/* written by a newer ecrd or LMDB format */
	STORE_IO = -6,		/* system error, or misuse (EINVAL, EACCES) */
	STORE_TOOBIG = -7,	/* a key or value exceeds its limit */
	STORE_BUSY = -8,	/* transiently unavailable; retrying may work */
};

/* store_open() flags. */
#define STORE_EPHEMERAL	0x1	/* no fsync (MDB_NOSYNC): tests only */

/* Limits of the fields stored in a repository record (the ECR model's). */
#define STORE_REGISTRY_ID_MAX		12
#define STORE_REGION_MAX		32
#define STORE_REPO_NAME_MAX		256
#define STORE_REPO_TAGS_MAX		50
#define STORE_TAG_KEY_MAX		128
#define STORE_TAG_VALUE_MAX		256
#define STORE_EXCLUSION_FILTERS_MAX	5
#define STORE_FILTER_TYPE_MAX		15
#define STORE_FILTER_MAX		128
#define STORE_TAG_MUTABILITY_MAX	31
#define STORE_ENCRYPTION_TYPE_MAX	15
#define STORE_KMS_KEY_MAX		2048

/* Longest image digest a key may hold ("sha512:" and 128 hex digits fit). */
#define STORE_DIGEST_MAX		255
/* The server key's record may hold at most this many bytes. */
#define STORE_SERVER_KEY_MAX		256

/* Static text for a STORE_* code; "unknown store error" for other values. */
const char	*store_strerror(int rc);

/*
 * Open the store in the existing directory dir: the LMDB environment is the
 * single file <dir>/meta.lmdb (MDB_NOSUBDIR) with its lock file
 * <dir>/meta.lmdb-lock. A missing file is created and stamped with the
 * current schema version; an existing one is opened as it is and never
 * reinitialised. Flags: STORE_EPHEMERAL; other bits must be 0.
 *
 * Returns STORE_OK and sets *out (free with store_close()), or:
 *   STORE_VERSION  the store's schema version (or LMDB data format) is
 *                  newer than this ecrd supports; the file is not written
 *   STORE_CORRUPT  the file is not an LMDB environment, is damaged, or is
 *                  an LMDB environment that is not an ecrd store
 *   STORE_IO       dir is missing or unusable, or another system error
 *   STORE_FULL, STORE_BUSY  as mapped from LMDB
 * On failure, if cause is not NULL, *cause is set to a message the caller
 * frees; *out is left as it was.
 *
 * The map is sparse and large (1 TiB, smaller only where the address space
 * refuses it, as under valgrind); it does not change while open. A process
 * must open a given store at most once at a time (an LMDB rule).
 */
int	 store_open(const char *dir, unsigned flags, struct store **out,
	    char **cause);
/* Close the environment. Every txn must have ended. NULL is ignored. */
void	 store_close(struct store *);

/*
 * Begin a transaction. With parent NULL: a read-only (write false) or write
 * txn; one write txn at a time per store, a second one blocks until the
 * first ends. Read-only txns are not tied to a thread (MDB_NOTLS), so a
 * thread may hold several, and may hold them while its write txn is open. With parent non-NULL: a nested write txn (write must be true;
 * a read-only child is STORE_IO). While a child is open its parent must not
 * be used; end every child before its parent. A child's commit merges into
 * the parent and is durable only when the top-level txn commits, so a server
 * may run many requests as children of one parent (group commit).
 * Returns STORE_OK and sets *out, or a STORE_* code leaving *out as it was.
 */
int	 store_txn_begin(struct store *, struct store_txn *parent, bool write,
	    struct store_txn **out);
/* Commit and free txn whatever the result; STORE_OK or a STORE_* code. */
int	 store_txn_commit(struct store_txn *);
/* Abort and free txn. NULL is ignored. */
void	 store_txn_abort(struct store_txn *);
/* Flush the environment to disk (also under STORE_EPHEMERAL). */
int	 store_sync(struct store *);

/*
 * The server's secret key, created once. If the key record exists, copy its
 * len bytes to out; otherwise store the len bytes at candidate as the key
 * and copy them to out. wtxn must be a write txn. Returns STORE_OK,
 * STORE_TOOBIG (len is 0 or over STORE_SERVER_KEY_MAX), STORE_CORRUPT (the
 * stored key does not have len bytes) or another STORE_* code; out is
 * written only on STORE_OK. candidate and out may be the same buffer.
 */
int	 store_key_get_or_create(struct store_txn *wtxn,
	    const unsigned char *candidate, size_t len, unsigned char *out);

/*
 * Empty every record kind (moto's /moto-api/reset): repositories, their
 * counters and id index, and all child records. Keeps the schema version,
 * the server key and the repository id counter, so ids are never reused.
 */
int	 store_reset(struct store_txn *wtxn);

/* A resource tag. */
struct store_tag {
	char	key[STORE_TAG_KEY_MAX + 1];
	char	value[STORE_TAG_VALUE_MAX + 1];
};

/* An imageTagMutabilityExclusionFilters entry. */
struct store_exclusion_filter {
	char	filter_type[STORE_FILTER_TYPE_MAX + 1];	/* "WILDCARD" */
	char	filter[STORE_FILTER_MAX + 1];
};

/*
 * A repository. Every string is NUL-terminated within its array; the store
 * does not validate values against ECR's rules (api/ does), it only refuses
 * strings and counts that do not fit (STORE_TOOBIG).
 */
struct store_repo {
	uint64_t	id;	/* set by store_repo_create, never reused */
	char		registry_id[STORE_REGISTRY_ID_MAX + 1];
	char		region[STORE_REGION_MAX + 1];
	char		name[STORE_REPO_NAME_MAX + 1];
	int64_t		created_at_ms;
	/* "MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", ... */
	char		tag_mutability[STORE_TAG_MUTABILITY_MAX + 1];
	size_t		n_exclusion_filters;
	struct store_exclusion_filter
			exclusion_filters[STORE_EXCLUSION_FILTERS_MAX];
	bool		scan_on_push;
	char		encryption_type[STORE_ENCRYPTION_TYPE_MAX + 1];
	char		kms_key[STORE_KMS_KEY_MAX + 1];	/* "" when none */
	size_t		n_tags;		/* resource tags, in insertion order */
	struct store_tag tags[STORE_REPO_TAGS_MAX];
};

/*
 * Repositories are partitioned by registry (the 12-digit account id) and
 * region; names are unique within a partition and compared bytewise.
 */

/*
 * Create repo, keyed by its registry_id, region and name, and set repo->id
 * to a fresh id (ids count up from 1 and are never reused, even after
 * delete or reset). Returns STORE_OK, STORE_EXISTS (the name is taken in
 * that partition; nothing is written and repo->id is unchanged),
 * STORE_TOOBIG, or another STORE_* code.
 */
int	 store_repo_create(struct store_txn *, struct store_repo *repo);
/*
 * Look up one repository and copy it into *out, which the caller owns.
 * Returns STORE_OK, STORE_NOTFOUND, STORE_TOOBIG (an argument is longer
 * than its field), STORE_CORRUPT, or another STORE_* code; *out is written
 * only on STORE_OK.
 */
int	 store_repo_get(struct store_txn *, const char *registry_id,
	    const char *region, const char *name, struct store_repo *out);
/*
 * Replace the stored repository with the same registry_id, region and name
 * by *repo. repo->id must match the stored id, which never changes: a
 * missing repository or a different id (it was deleted and created again)
 * is STORE_NOTFOUND. Also STORE_TOOBIG, STORE_CORRUPT, or another code.
 */
int	 store_repo_update(struct store_txn *, const struct store_repo *repo);
/*
 * Delete a repository: its record, its id index entry, its counter share
 * and every child record keyed by its id (images). The name is reusable at
 * once. Returns STORE_OK, STORE_NOTFOUND, STORE_TOOBIG, STORE_CORRUPT, or
 * another STORE_* code.
 */
int	 store_repo_delete(struct store_txn *, const char *registry_id,
	    const char *region, const char *name);

/*
 * Callback for store_repo_foreach. The repository is borrowed until the
 * callback returns. Return 0 to continue, 1 (or any positive value) to
 * stop, foreach then returning STORE_OK, or a negative code to stop with
 * that code.
 */
typedef int	(*store_repo_cb)(const struct store_repo *, void *arg);
/*
 * Call cb for each repository of (registry_id, region) whose name sorts
 * after after_name (exclusive; NULL starts at the first), in ascending byte
 * order of name. The cost is that of the repositories visited, never of the
 * whole store. cb must not write through txn. Returns STORE_OK when the
 * partition is exhausted or cb returned 1, cb's negative code, STORE_TOOBIG,
 * STORE_CORRUPT, or another STORE_* code.
 */
int	 store_repo_foreach(struct store_txn *, const char *registry_id,
	    const char *region, const char *after_name, store_repo_cb cb,
	    void *arg);
/* Set *out to the number of repositories in (registry_id, region), in O(1). */
int	 store_repo_count(struct store_txn *, const char *registry_id,
	    const char *region, uint64_t *out);
/* Set *out to whether repository repo_id has any image record. */
int	 store_repo_has_images(struct store_txn *, uint64_t repo_id, bool *out);

/*
 * Raw image records, until images are implemented: val (len bytes, which
 * should start with a format-version byte) is stored verbatim under
 * (repo_id, digest), replacing any previous value. The repository is not
 * checked. Returns STORE_OK, STORE_TOOBIG (digest longer than
 * STORE_DIGEST_MAX), or another STORE_* code. Only tests use these.
 */
int	 store_image_put_raw(struct store_txn *, uint64_t repo_id,
	    const char *digest, const void *val, size_t len);
/* Delete one raw image record: STORE_OK, STORE_NOTFOUND, or another code. */
int	 store_image_del_raw(struct store_txn *, uint64_t repo_id,
	    const char *digest);

#endif
