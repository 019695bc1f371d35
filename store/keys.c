/*
 * Key builders: the only code that lays out LMDB keys (SCHEMA.md). Text
 * components are joined with NUL, since names contain '/'; integers are
 * big-endian and fixed-width, so byte order is numeric order.
 */
#include "store/store_int.h"

#include <string.h>

static void
key_init(struct store_key *k)
{
	k->len = 0;
}

static int
key_add(struct store_key *k, const void *p, size_t len)
{
	if (len > sizeof(k->data) - k->len)
		return STORE_TOOBIG;
	if (len != 0)
		memcpy(k->data + k->len, p, len);
	k->len += len;
	return STORE_OK;
}

/* Append a text component of at most max bytes; nul adds the separator. */
static int
key_add_str(struct store_key *k, const char *s, size_t max, bool nul)
{
	size_t len;

	len = strnlen(s, max + 1);
	if (len > max)
		return STORE_TOOBIG;
	return key_add(k, s, nul ? len + 1 : len);
}

static int
key_add_u64(struct store_key *k, uint64_t v)
{
	unsigned char be[8];
	int i;

	for (i = 7; i >= 0; i--) {
		be[i] = v & 0xff;
		v >>= 8;
	}
	return key_add(k, be, sizeof(be));
}

int
store_keys_meta(struct store_key *k, const char *record)
{
	key_init(k);
	return key_add_str(k, record, STORE_KEY_SIZE, false);
}

/* registry_id NUL region, the region NUL-terminated if terminate. */
static int
key_registry_region(struct store_key *k, const char *registry_id,
    const char *region, bool terminate)
{
	int rc;

	key_init(k);
	if ((rc = key_add_str(k, registry_id, STORE_REGISTRY_ID_MAX, true)) !=
	    STORE_OK)
		return rc;
	return key_add_str(k, region, STORE_REGION_MAX, terminate);
}

int
store_keys_repo_partition(struct store_key *k, const char *registry_id,
    const char *region)
{
	return key_registry_region(k, registry_id, region, true);
}

int
store_keys_repo(struct store_key *k, const char *registry_id,
    const char *region, const char *name)
{
	int rc;

	if ((rc = store_keys_repo_partition(k, registry_id, region)) !=
	    STORE_OK)
		return rc;
	return key_add_str(k, name, STORE_REPO_NAME_MAX, false);
}

/*
 * Split a repos key found by a cursor: 1 and the name copied to name if it
 * lies in partition, 0 if it does not, STORE_CORRUPT if it does but its
 * name cannot be a repository name.
 */
int
store_keys_repo_name(const struct store_key *partition, const void *key,
    size_t len, char *name, size_t name_size)
{
	const unsigned char *p = key;
	size_t name_len;

	if (len < partition->len ||
	    memcmp(p, partition->data, partition->len) != 0)
		return 0;
	name_len = len - partition->len;
	p += partition->len;
	if (name_len >= name_size || name_len > STORE_REPO_NAME_MAX ||
	    memchr(p, '\0', name_len) != NULL)
		return STORE_CORRUPT;
	memcpy(name, p, name_len);
	name[name_len] = '\0';
	return 1;
}

int
store_keys_repo_id(struct store_key *k, uint64_t id)
{
	key_init(k);
	return key_add_u64(k, id);
}

int
store_keys_repo_count(struct store_key *k, const char *registry_id,
    const char *region)
{
	return key_registry_region(k, registry_id, region, false);
}

int
store_keys_repo_children(struct store_key *k, uint64_t repo_id)
{
	key_init(k);
	return key_add_u64(k, repo_id);
}

int
store_keys_repo_digest(struct store_key *k, uint64_t repo_id,
    const char *digest)
{
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK)
		return rc;
	return key_add_str(k, digest, STORE_DIGEST_MAX, false);
}

int
store_keys_manifest_chunk(struct store_key *k, uint64_t repo_id,
    const char *digest, uint32_t n, bool is_prefix)
{
	unsigned char be[4];
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK ||
	    (rc = key_add_str(k, digest, STORE_DIGEST_MAX, true)) != STORE_OK)
		return rc;
	if (is_prefix)
		return STORE_OK;
	be[0] = (unsigned char)(n >> 24);
	be[1] = (unsigned char)(n >> 16);
	be[2] = (unsigned char)(n >> 8);
	be[3] = (unsigned char)n;
	return key_add(k, be, sizeof(be));
}

int
store_keys_tag(struct store_key *k, uint64_t repo_id, const char *tag)
{
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK)
		return rc;
	return key_add_str(k, tag, STORE_IMAGE_TAG_MAX, false);
}

int
store_keys_repo_doc(struct store_key *k, uint64_t repo_id, unsigned kind)
{
	unsigned char b = (unsigned char)kind;
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK)
		return rc;
	return key_add(k, &b, 1);
}

int
store_keys_registry_doc(struct store_key *k, const char *registry_id,
    const char *region, unsigned kind)
{
	unsigned char b = (unsigned char)kind;
	int rc;

	if ((rc = key_registry_region(k, registry_id, region, true)) !=
	    STORE_OK)
		return rc;
	return key_add(k, &b, 1);
}

int
store_keys_template(struct store_key *k, const char *registry_id,
    const char *region, unsigned kind, const char *prefix)
{
	int rc;

	if ((rc = store_keys_registry_doc(k, registry_id, region, kind)) !=
	        STORE_OK ||
	    prefix == NULL)
		return rc;
	return key_add_str(k, prefix, STORE_TEMPLATE_PREFIX_MAX, false);
}

int
store_keys_repo_pair(struct store_key *k, uint64_t repo_id, const char *a,
    const char *b)
{
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK ||
	    (rc = key_add_str(k, a, STORE_DIGEST_MAX, true)) != STORE_OK)
		return rc;
	if (b == NULL)
		return STORE_OK;
	return key_add_str(k, b, STORE_DIGEST_MAX, false);
}

int
store_keys_blob(struct store_key *k, const char *digest)
{
	key_init(k);
	return key_add_str(k, digest, STORE_DIGEST_MAX, false);
}

int
store_keys_upload(struct store_key *k, const char *id)
{
	/* Upload ids name files too: refuse any that could leave uploads/. */
	if (!store_upload_id_is_valid(id))
		return STORE_TOOBIG;
	key_init(k);
	return key_add_str(k, id, STORE_UPLOAD_ID_MAX, false);
}

/* Times are signed: flipping the sign bit makes byte order numeric order. */
#define SIGN_FLIP ((uint64_t)1 << 63)

int
store_keys_layer_gc(struct store_key *k, int64_t created_at_ms,
    uint64_t repo_id, const char *digest)
{
	int rc;

	key_init(k);
	if ((rc = key_add_u64(k, (uint64_t)created_at_ms ^ SIGN_FLIP)) !=
	        STORE_OK ||
	    (rc = key_add_u64(k, repo_id)) != STORE_OK)
		return rc;
	return key_add_str(k, digest, STORE_DIGEST_MAX, false);
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int
store_keys_repo_id_split(const void *key, size_t len, uint64_t *id)
{
	if (len != 8)
		return STORE_CORRUPT;
	*id = get_u64(key);
	return STORE_OK;
}

int
store_keys_repl_job_split(const void *key, size_t len, uint64_t *seq)
{
	/* A bare u64, as a repository id's key is. */
	return store_keys_repo_id_split(key, len, seq);
}

int
store_keys_suffix(const struct store_key *prefix, const void *key, size_t len,
    size_t max, char *out)
{
	const unsigned char *p = key;
	size_t rest;

	if (len < prefix->len || memcmp(p, prefix->data, prefix->len) != 0)
		return 0;
	rest = len - prefix->len;
	p += prefix->len;
	if (rest == 0 || rest > max || memchr(p, '\0', rest) != NULL)
		return STORE_CORRUPT;
	memcpy(out, p, rest);
	out[rest] = '\0';
	return 1;
}

int
store_keys_layer_gc_split(const void *key, size_t len, int64_t *created_at_ms,
    uint64_t *repo_id, char *digest)
{
	const unsigned char *p = key;
	struct store_key none;

	if (len < 16)
		return STORE_CORRUPT;
	none.len = 0;
	if (store_keys_suffix(&none, p + 16, len - 16, STORE_DIGEST_MAX,
	        digest) != 1)
		return STORE_CORRUPT;
	*created_at_ms = (int64_t)(get_u64(p) ^ SIGN_FLIP);
	*repo_id = get_u64(p + 8);
	return STORE_OK;
}

static bool
is_lower_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[len] == '\0';
}

bool
store_digest_is_valid(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) == 0)
		return is_lower_hex(digest + 7, 64);
	if (strncmp(digest, "sha512:", 7) == 0)
		return is_lower_hex(digest + 7, 128);
	return false;
}

bool
store_upload_id_is_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++) {
		if (i == STORE_UPLOAD_ID_MAX)
			return false;
		if (!((id[i] >= '0' && id[i] <= '9') ||
		        (id[i] >= 'a' && id[i] <= 'z') ||
		        (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-'))
			return false;
	}
	return i > 0;
}

int
store_keys_repl_job(struct store_key *k, uint64_t seq)
{
	key_init(k);
	return key_add_u64(k, seq);
}

int
store_keys_repl_status(struct store_key *k, uint64_t repo_id,
    const char *digest, const char *registry_id, const char *region)
{
	int rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK ||
	    (rc = key_add_str(k, digest, STORE_DIGEST_MAX, true)) != STORE_OK ||
	    registry_id == NULL)
		return rc;
	if ((rc = key_add_str(k, registry_id, STORE_REGISTRY_ID_MAX, true)) !=
	    STORE_OK)
		return rc;
	return key_add_str(k, region, STORE_REGION_MAX, false);
}

int
store_keys_scan_finding(struct store_key *k, uint64_t repo_id,
    const char *digest, uint32_t n, bool is_prefix)
{
	/* The layout of a manifest chunk's key, in its own DBI. */
	return store_keys_manifest_chunk(k, repo_id, digest, n, is_prefix);
}

int
store_keys_scan_count(struct store_key *k, const char *registry_id,
    const char *region, uint64_t day, bool is_prefix)
{
	int rc;

	if ((rc = key_registry_region(k, registry_id, region, true)) !=
	    STORE_OK)
		return rc;
	return is_prefix ? STORE_OK : key_add_u64(k, day);
}

int
store_keys_repo_digest_split(const void *key, size_t len, uint64_t *repo_id,
    char *digest)
{
	const unsigned char *p = key;
	struct store_key none;

	if (len < 8)
		return STORE_CORRUPT;
	none.len = 0;
	if (store_keys_suffix(&none, p + 8, len - 8, STORE_DIGEST_MAX,
	        digest) != 1)
		return STORE_CORRUPT;
	*repo_id = get_u64(p);
	return STORE_OK;
}
