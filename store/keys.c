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
	size_t	len;

	len = strnlen(s, max + 1);
	if (len > max)
		return STORE_TOOBIG;
	return key_add(k, s, nul ? len + 1 : len);
}

static int
key_add_u64(struct store_key *k, uint64_t v)
{
	unsigned char	be[8];
	int		i;

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

int
store_keys_repo_partition(struct store_key *k, const char *registry_id,
    const char *region)
{
	int	rc;

	key_init(k);
	if ((rc = key_add_str(k, registry_id, STORE_REGISTRY_ID_MAX,
	    true)) != STORE_OK)
		return rc;
	return key_add_str(k, region, STORE_REGION_MAX, true);
}

int
store_keys_repo(struct store_key *k, const char *registry_id,
    const char *region, const char *name)
{
	int	rc;

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
	const unsigned char	*p = key;
	size_t			 name_len;

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
	int	rc;

	key_init(k);
	if ((rc = key_add_str(k, registry_id, STORE_REGISTRY_ID_MAX,
	    true)) != STORE_OK)
		return rc;
	return key_add_str(k, region, STORE_REGION_MAX, false);
}

int
store_keys_repo_children(struct store_key *k, uint64_t repo_id)
{
	key_init(k);
	return key_add_u64(k, repo_id);
}

int
store_keys_image(struct store_key *k, uint64_t repo_id, const char *digest)
{
	int	rc;

	if ((rc = store_keys_repo_children(k, repo_id)) != STORE_OK)
		return rc;
	return key_add_str(k, digest, STORE_DIGEST_MAX, false);
}
