/*
 * Value codecs (SCHEMA.md): every value starts with a format-version byte,
 * integers are big-endian, strings are u16-length-prefixed. Decoders treat
 * their input as untrusted and refuse anything short, long or malformed.
 */
#include "store/store_int.h"

#include <stddef.h>
#include <string.h>

/* A read cursor over a value; a failed read leaves it failed. */
struct rd {
	const unsigned char	*p;
	size_t			 left;
	bool			 is_bad;
};

static void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->is_bad = p == NULL && len != 0;
}

static const unsigned char *
rd_take(struct rd *r, size_t len)
{
	const unsigned char	*p;

	if (r->is_bad || len > r->left) {
		r->is_bad = true;
		return NULL;
	}
	p = r->p;
	r->p += len;
	r->left -= len;
	return p;
}

static uint64_t
rd_uint(struct rd *r, size_t width)
{
	const unsigned char	*p;
	uint64_t		 v = 0;
	size_t			 i;

	if ((p = rd_take(r, width)) == NULL)
		return 0;
	for (i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

/* Read a string into dst, which must hold it and its NUL. */
static void
rd_str(struct rd *r, char *dst, size_t dst_size)
{
	const unsigned char	*p;
	size_t			 len;

	len = rd_uint(r, 2);
	if (r->is_bad)
		return;
	if (len >= dst_size) {
		r->is_bad = true;
		return;
	}
	if ((p = rd_take(r, len)) == NULL)
		return;
	if (memchr(p, '\0', len) != NULL) {
		r->is_bad = true;
		return;
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* Read the format-version byte; anything but STORE_FORMAT_V1 is refused. */
static void
rd_version(struct rd *r)
{
	if (rd_uint(r, 1) != STORE_FORMAT_V1)
		r->is_bad = true;
}

/* STORE_OK if every read succeeded and nothing is left over. */
static int
rd_end(const struct rd *r)
{
	return r->is_bad || r->left != 0 ? STORE_CORRUPT : STORE_OK;
}

static int
wr_uint(struct buf *b, uint64_t v, size_t width)
{
	unsigned char	be[8];
	size_t		i;

	for (i = width; i > 0; i--) {
		be[i - 1] = v & 0xff;
		v >>= 8;
	}
	return buf_add(b, be, width) == 0 ? STORE_OK : STORE_TOOBIG;
}

/* Write a string held in an array of src_size bytes, which must hold a NUL. */
static int
wr_str(struct buf *b, const char *src, size_t src_size)
{
	size_t	len;

	len = strnlen(src, src_size);
	if (len == src_size || len > UINT16_MAX)
		return STORE_TOOBIG;
	if (wr_uint(b, len, 2) != STORE_OK)
		return STORE_TOOBIG;
	return buf_add(b, src, len) == 0 ? STORE_OK : STORE_TOOBIG;
}

/* Initialise b and write the format-version byte. */
static int
wr_start(struct buf *b)
{
	buf_init(b, STORE_VALUE_MAX);
	return wr_uint(b, STORE_FORMAT_V1, 1);
}

/* Release b on failure so that callers have nothing to clean up. */
static int
wr_finish(struct buf *b, int rc)
{
	if (rc != STORE_OK)
		buf_release(b);
	return rc;
}

static int
repo_encode(const struct store_repo *repo, struct buf *b)
{
	const struct store_exclusion_filter	*f;
	const struct store_tag			*t;
	size_t					 i;
	int					 rc;

	if ((rc = wr_start(b)) != STORE_OK)
		return rc;
	if (repo->n_exclusion_filters > STORE_EXCLUSION_FILTERS_MAX ||
	    repo->n_tags > STORE_REPO_TAGS_MAX)
		return STORE_TOOBIG;
	if ((rc = wr_uint(b, repo->id, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)repo->created_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, repo->scan_on_push ? 1 : 0, 1)) != STORE_OK ||
	    (rc = wr_str(b, repo->tag_mutability,
	    sizeof(repo->tag_mutability))) != STORE_OK ||
	    (rc = wr_uint(b, repo->n_exclusion_filters, 1)) != STORE_OK)
		return rc;
	for (i = 0; i < repo->n_exclusion_filters; i++) {
		f = &repo->exclusion_filters[i];
		if ((rc = wr_str(b, f->filter_type,
		    sizeof(f->filter_type))) != STORE_OK ||
		    (rc = wr_str(b, f->filter, sizeof(f->filter))) != STORE_OK)
			return rc;
	}
	if ((rc = wr_str(b, repo->encryption_type,
	    sizeof(repo->encryption_type))) != STORE_OK ||
	    (rc = wr_str(b, repo->kms_key, sizeof(repo->kms_key))) !=
	    STORE_OK ||
	    (rc = wr_uint(b, repo->n_tags, 1)) != STORE_OK)
		return rc;
	for (i = 0; i < repo->n_tags; i++) {
		t = &repo->tags[i];
		if ((rc = wr_str(b, t->key, sizeof(t->key))) != STORE_OK ||
		    (rc = wr_str(b, t->value, sizeof(t->value))) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/*
 * Encode everything but the key fields (registry_id, region, name), which
 * the repos key holds.
 */
int
store_codec_repo_encode(const struct store_repo *repo, struct buf *b)
{
	return wr_finish(b, repo_encode(repo, b));
}

/* Decode a repos value; the key fields of out are left as they were. */
int
store_codec_repo_decode(const void *val, size_t len, struct store_repo *out)
{
	struct store_repo		 r;
	struct store_exclusion_filter	*f;
	struct store_tag		*t;
	struct rd			 rd;
	uint64_t			 flags;
	size_t				 i;

	/*
	 * Only the fixed part and the tags in use are touched: listings decode
	 * a hundred records per page, and the tag array is most of the struct.
	 */
	memset(&r, 0, offsetof(struct store_repo, tags));
	rd_init(&rd, val, len);
	rd_version(&rd);
	r.id = rd_uint(&rd, 8);
	r.created_at_ms = (int64_t)rd_uint(&rd, 8);
	flags = rd_uint(&rd, 1);
	if (flags > 1)
		rd.is_bad = true;
	r.scan_on_push = flags == 1;
	rd_str(&rd, r.tag_mutability, sizeof(r.tag_mutability));
	r.n_exclusion_filters = rd_uint(&rd, 1);
	if (r.n_exclusion_filters > STORE_EXCLUSION_FILTERS_MAX)
		return STORE_CORRUPT;
	for (i = 0; i < r.n_exclusion_filters; i++) {
		f = &r.exclusion_filters[i];
		rd_str(&rd, f->filter_type, sizeof(f->filter_type));
		rd_str(&rd, f->filter, sizeof(f->filter));
	}
	rd_str(&rd, r.encryption_type, sizeof(r.encryption_type));
	rd_str(&rd, r.kms_key, sizeof(r.kms_key));
	r.n_tags = rd_uint(&rd, 1);
	if (r.n_tags > STORE_REPO_TAGS_MAX)
		return STORE_CORRUPT;
	for (i = 0; i < r.n_tags; i++) {
		t = &r.tags[i];
		rd_str(&rd, t->key, sizeof(t->key));
		rd_str(&rd, t->value, sizeof(t->value));
	}
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	memcpy(r.registry_id, out->registry_id, sizeof(r.registry_id));
	memcpy(r.region, out->region, sizeof(r.region));
	memcpy(r.name, out->name, sizeof(r.name));
	memcpy(out, &r, offsetof(struct store_repo, tags) +
	    r.n_tags * sizeof(r.tags[0]));
	return STORE_OK;
}

/* Read only the id of a repos value, checking its version and length. */
int
store_codec_repo_peek_id(const void *val, size_t len, uint64_t *out)
{
	struct rd	rd;
	uint64_t	id;

	rd_init(&rd, val, len);
	rd_version(&rd);
	id = rd_uint(&rd, 8);
	if (rd.is_bad)
		return STORE_CORRUPT;
	*out = id;
	return STORE_OK;
}

int
store_codec_u64_encode(uint64_t v, struct buf *b)
{
	int	rc;

	if ((rc = wr_start(b)) == STORE_OK)
		rc = wr_uint(b, v, 8);
	return wr_finish(b, rc);
}

int
store_codec_u64_decode(const void *val, size_t len, uint64_t *out)
{
	struct rd	rd;
	uint64_t	v;

	rd_init(&rd, val, len);
	rd_version(&rd);
	v = rd_uint(&rd, 8);
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	*out = v;
	return STORE_OK;
}

int
store_codec_schema_encode(uint32_t version, struct buf *b)
{
	int	rc;

	if ((rc = wr_start(b)) == STORE_OK)
		rc = wr_uint(b, version, 4);
	return wr_finish(b, rc);
}

int
store_codec_schema_decode(const void *val, size_t len, uint32_t *out)
{
	struct rd	rd;
	uint32_t	v;

	rd_init(&rd, val, len);
	rd_version(&rd);
	v = (uint32_t)rd_uint(&rd, 4);
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	*out = v;
	return STORE_OK;
}

int
store_codec_bytes_encode(const void *p, size_t len, struct buf *b)
{
	int	rc;

	if ((rc = wr_start(b)) == STORE_OK && buf_add(b, p, len) != 0)
		rc = STORE_TOOBIG;
	return wr_finish(b, rc);
}

/* The bytes after the version byte; *out borrows from val. */
int
store_codec_bytes_decode(const void *val, size_t len, const void **out,
    size_t *out_len)
{
	struct rd	rd;

	rd_init(&rd, val, len);
	rd_version(&rd);
	if (rd.is_bad)
		return STORE_CORRUPT;
	*out = rd.p;
	*out_len = rd.left;
	return STORE_OK;
}
