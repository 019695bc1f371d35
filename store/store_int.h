/*
 * Declarations shared inside store/: the environment and txn handles, the
 * key builders (keys.c), the value codecs (codec.c) and the LMDB helpers
 * (store.c). Nothing here is for use outside store/ except by its tests.
 */
#ifndef ECRD_STORE_STORE_INT_H
#define ECRD_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "common/buf.h"
#include "store/store.h"

/* The schema version this ecrd writes and reads (SCHEMA.md). */
#define STORE_SCHEMA_VERSION	1

/* One named DBI per record kind (SCHEMA.md). */
enum store_dbi {
	STORE_DBI_META,
	STORE_DBI_REPOS,
	STORE_DBI_REPO_IDS,
	STORE_DBI_REPO_COUNTS,
	STORE_DBI_IMAGES,
	STORE_DBI__COUNT
};

struct store {
	MDB_env		*env;
	MDB_dbi		 dbi[STORE_DBI__COUNT];
	size_t		 key_max;	/* mdb_env_get_maxkeysize() */
};

struct store_txn {
	struct store	*store;
	MDB_txn		*txn;
};

/*
 * A key under construction. STORE_KEY_SIZE is LMDB's default maximum key
 * size; store.c also checks each key against the environment's.
 */
#define STORE_KEY_SIZE	511
struct store_key {
	unsigned char	data[STORE_KEY_SIZE];
	size_t		len;
};

/* Meta record names (keys of the meta DBI). */
#define STORE_META_SCHEMA	"schema"
#define STORE_META_SERVER_KEY	"server_key"
#define STORE_META_NEXT_REPO_ID	"next_repo_id"

/* store.c: LMDB plumbing. */
int	store_err(int mdb_rc);
/* Point v at k after checking k against the environment's key limit. */
int	store_db_key(struct store_txn *, struct store_key *k, MDB_val *v);
/* Get a value; it borrows from the map until the next write or txn end. */
int	store_db_get(struct store_txn *, enum store_dbi, struct store_key *,
	    MDB_val *out);
/* Put len bytes (flags: 0 or MDB_NOOVERWRITE). */
int	store_db_put(struct store_txn *, enum store_dbi, struct store_key *,
	    const void *, size_t len, unsigned flags);
int	store_db_del(struct store_txn *, enum store_dbi, struct store_key *);
/* Delete every record whose key starts with prefix. */
int	store_db_del_prefix(struct store_txn *, enum store_dbi,
	    struct store_key *prefix);
/* Set *out to whether any key starts with prefix. */
int	store_db_has_prefix(struct store_txn *, enum store_dbi,
	    struct store_key *prefix, bool *out);

/*
 * keys.c: the only place keys are built. Each returns STORE_OK, or
 * STORE_TOOBIG when a component is longer than its field.
 */
int	store_keys_meta(struct store_key *, const char *record);
int	store_keys_repo(struct store_key *, const char *registry_id,
	    const char *region, const char *name);
int	store_keys_repo_partition(struct store_key *, const char *registry_id,
	    const char *region);
int	store_keys_repo_name(const struct store_key *partition, const void *key,
	    size_t len, char *name, size_t name_size);
int	store_keys_repo_id(struct store_key *, uint64_t id);
int	store_keys_repo_count(struct store_key *, const char *registry_id,
	    const char *region);
int	store_keys_repo_children(struct store_key *, uint64_t repo_id);
int	store_keys_image(struct store_key *, uint64_t repo_id,
	    const char *digest);

/*
 * codec.c: value formats. Encoders initialise the caller's buf (capped at
 * STORE_VALUE_MAX) and fill it, returning STORE_OK (the caller then
 * releases it) or STORE_TOOBIG (it is already released). Decoders return
 * STORE_OK or STORE_CORRUPT and write their output only on STORE_OK.
 */
#define STORE_VALUE_MAX	65536	/* cap of any encoded value */
#define STORE_FORMAT_V1	1	/* the format-version byte of every value */
int	store_codec_repo_encode(const struct store_repo *, struct buf *);
int	store_codec_repo_decode(const void *, size_t, struct store_repo *);
int	store_codec_repo_peek_id(const void *, size_t, uint64_t *);
int	store_codec_u64_encode(uint64_t, struct buf *);
int	store_codec_u64_decode(const void *, size_t, uint64_t *);
int	store_codec_schema_encode(uint32_t, struct buf *);
int	store_codec_schema_decode(const void *, size_t, uint32_t *);
int	store_codec_bytes_encode(const void *, size_t, struct buf *);
int	store_codec_bytes_decode(const void *, size_t, const void **,
	    size_t *);

#endif
