/*
 * Value codecs (SCHEMA.md): every value starts with a format-version byte,
 * integers are big-endian, strings are u16-length-prefixed. Decoders treat
 * their input as untrusted and refuse anything short, long or malformed.
 */
#include "store/store_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* A read cursor over a value; a failed read leaves it failed. */
struct rd {
	const unsigned char *p;
	size_t left;
	bool is_bad;
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
	const unsigned char *p;

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
	const unsigned char *p;
	uint64_t v = 0;
	size_t i;

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
	const unsigned char *p;
	size_t len;

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
	unsigned char be[8];
	size_t i;

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
	size_t len;

	len = strnlen(src, src_size);
	if (len == src_size || len > UINT16_MAX)
		return STORE_TOOBIG;
	if (wr_uint(b, len, 2) != STORE_OK)
		return STORE_TOOBIG;
	return buf_add(b, src, len) == 0 ? STORE_OK : STORE_TOOBIG;
}

/* Initialise b, capped at max bytes, and write the format-version byte. */
static int
wr_start_max(struct buf *b, size_t max)
{
	buf_init(b, max);
	return wr_uint(b, STORE_FORMAT_V1, 1);
}

static int
wr_start(struct buf *b)
{
	return wr_start_max(b, STORE_VALUE_MAX);
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
	const struct store_exclusion_filter *f;
	const struct store_tag *t;
	size_t i;
	int rc;

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
		if ((rc = wr_str(b, f->filter_type, sizeof(f->filter_type))) !=
		        STORE_OK ||
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

/*
 * Decode a repos value into r, field by field: the key fields are left as
 * they were, and so are the filters and tags past the counts read. On
 * failure r holds a part of the value.
 */
static int
repo_decode(const void *val, size_t len, struct store_repo *r)
{
	struct store_exclusion_filter *f;
	struct store_tag *t;
	struct rd rd;
	uint64_t flags;
	size_t i;

	rd_init(&rd, val, len);
	rd_version(&rd);
	r->id = rd_uint(&rd, 8);
	r->created_at_ms = (int64_t)rd_uint(&rd, 8);
	flags = rd_uint(&rd, 1);
	if (flags > 1)
		rd.is_bad = true;
	r->scan_on_push = flags == 1;
	rd_str(&rd, r->tag_mutability, sizeof(r->tag_mutability));
	r->n_exclusion_filters = rd_uint(&rd, 1);
	if (r->n_exclusion_filters > STORE_EXCLUSION_FILTERS_MAX)
		return STORE_CORRUPT;
	for (i = 0; i < r->n_exclusion_filters; i++) {
		f = &r->exclusion_filters[i];
		rd_str(&rd, f->filter_type, sizeof(f->filter_type));
		rd_str(&rd, f->filter, sizeof(f->filter));
	}
	rd_str(&rd, r->encryption_type, sizeof(r->encryption_type));
	rd_str(&rd, r->kms_key, sizeof(r->kms_key));
	r->n_tags = rd_uint(&rd, 1);
	if (r->n_tags > STORE_REPO_TAGS_MAX)
		return STORE_CORRUPT;
	for (i = 0; i < r->n_tags; i++) {
		t = &r->tags[i];
		rd_str(&rd, t->key, sizeof(t->key));
		rd_str(&rd, t->value, sizeof(t->value));
	}
	return rd_end(&rd);
}

/* Decode a repos value; the key fields of out are left as they were. */
int
store_codec_repo_decode(const void *val, size_t len, struct store_repo *out)
{
	struct store_repo r;
	size_t used;

	/*
	 * Only the fixed part and the tags in use are touched: the tag array
	 * is most of the struct. The strings are NUL-terminated where read;
	 * the bytes past them are zeroed only to keep the struct plain data.
	 */
	memset(&r, 0, offsetof(struct store_repo, tags));
	if (repo_decode(val, len, &r) != STORE_OK)
		return STORE_CORRUPT;
	memcpy(r.registry_id, out->registry_id, sizeof(r.registry_id));
	memcpy(r.region, out->region, sizeof(r.region));
	memcpy(r.name, out->name, sizeof(r.name));
	used = offsetof(struct store_repo, tags) + r.n_tags * sizeof(r.tags[0]);
	memcpy(out, &r, used);
	return STORE_OK;
}

/*
 * The same straight into r, for listings, which decode a hundred records
 * per page into one struct: no copy of the 3 KiB fixed part each time. On
 * failure r holds a part of the value.
 */
int
store_codec_repo_decode_into(const void *val, size_t len, struct store_repo *r)
{
	return repo_decode(val, len, r) == STORE_OK ? STORE_OK : STORE_CORRUPT;
}

/* Read only the id of a repos value, checking its version and length. */
int
store_codec_repo_peek_id(const void *val, size_t len, uint64_t *out)
{
	struct rd rd;
	uint64_t id;

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
	int rc;

	if ((rc = wr_start(b)) == STORE_OK)
		rc = wr_uint(b, v, 8);
	return wr_finish(b, rc);
}

int
store_codec_u64_decode(const void *val, size_t len, uint64_t *out)
{
	struct rd rd;
	uint64_t v;

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
	int rc;

	if ((rc = wr_start(b)) == STORE_OK)
		rc = wr_uint(b, version, 4);
	return wr_finish(b, rc);
}

int
store_codec_schema_decode(const void *val, size_t len, uint32_t *out)
{
	struct rd rd;
	uint32_t v;

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
	int rc;

	if ((rc = wr_start(b)) == STORE_OK && buf_add(b, p, len) != 0)
		rc = STORE_TOOBIG;
	return wr_finish(b, rc);
}

/* The bytes after the version byte; *out borrows from val. */
int
store_codec_bytes_decode(const void *val, size_t len, const void **out,
    size_t *out_len)
{
	struct rd rd;

	rd_init(&rd, val, len);
	rd_version(&rd);
	if (rd.is_bad)
		return STORE_CORRUPT;
	*out = rd.p;
	*out_len = rd.left;
	return STORE_OK;
}

int
store_codec_marker_encode(struct buf *b)
{
	return wr_finish(b, wr_start(b));
}

int
store_codec_marker_decode(const void *val, size_t len)
{
	struct rd rd;

	rd_init(&rd, val, len);
	rd_version(&rd);
	return rd_end(&rd);
}

int
store_codec_manifest_encode(const void *p, size_t len, struct buf *b)
{
	int rc;

	rc = wr_start_max(b, STORE_MANIFEST_VALUE_MAX);
	if (rc == STORE_OK && len > STORE_MANIFEST_MAX)
		rc = STORE_TOOBIG;
	if (rc == STORE_OK && len != 0 && buf_add(b, p, len) != 0)
		rc = STORE_TOOBIG;
	return wr_finish(b, rc);
}

int
store_codec_manifest_decode(const void *val, size_t len, const void **out,
    size_t *out_len)
{
	if (store_codec_bytes_decode(val, len, out, out_len) != STORE_OK ||
	    *out_len > STORE_MANIFEST_MAX)
		return STORE_CORRUPT;
	return STORE_OK;
}

int
store_codec_tag_encode(const char *digest, struct buf *b)
{
	int rc;

	if ((rc = wr_start(b)) == STORE_OK)
		rc = wr_str(b, digest, STORE_DIGEST_MAX + 1);
	return wr_finish(b, rc);
}

int
store_codec_tag_decode(const void *val, size_t len, char *digest)
{
	struct rd rd;
	char d[STORE_DIGEST_MAX + 1];

	rd_init(&rd, val, len);
	rd_version(&rd);
	rd_str(&rd, d, sizeof(d));
	if (rd_end(&rd) != STORE_OK || d[0] == '\0')
		return STORE_CORRUPT;
	memcpy(digest, d, strlen(d) + 1);
	return STORE_OK;
}

static int
layer_encode(const struct store_layer *l, struct buf *b)
{
	int rc;

	if ((rc = wr_start(b)) != STORE_OK ||
	    (rc = wr_uint(b, l->size, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)l->created_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, l->refs, 8)) != STORE_OK)
		return rc;
	return wr_str(b, l->media_type, sizeof(l->media_type));
}

int
store_codec_layer_encode(const struct store_layer *l, struct buf *b)
{
	return wr_finish(b, layer_encode(l, b));
}

int
store_codec_layer_decode(const void *val, size_t len, struct store_layer *out)
{
	struct rd rd;
	uint64_t size, refs;
	int64_t created_at_ms;
	char media_type[STORE_MEDIA_TYPE_MAX + 1];

	rd_init(&rd, val, len);
	rd_version(&rd);
	size = rd_uint(&rd, 8);
	created_at_ms = (int64_t)rd_uint(&rd, 8);
	refs = rd_uint(&rd, 8);
	rd_str(&rd, media_type, sizeof(media_type));
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	out->size = size;
	out->created_at_ms = created_at_ms;
	out->refs = refs;
	memcpy(out->media_type, media_type, strlen(media_type) + 1);
	return STORE_OK;
}

int
store_codec_blob_encode(const struct store_blob *bl, struct buf *b)
{
	int rc;

	if ((rc = wr_start(b)) == STORE_OK &&
	    (rc = wr_uint(b, bl->size, 8)) == STORE_OK)
		rc = wr_uint(b, bl->users, 8);
	return wr_finish(b, rc);
}

int
store_codec_blob_decode(const void *val, size_t len, struct store_blob *out)
{
	struct rd rd;
	uint64_t size, users;

	rd_init(&rd, val, len);
	rd_version(&rd);
	size = rd_uint(&rd, 8);
	users = rd_uint(&rd, 8);
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	out->size = size;
	out->users = users;
	return STORE_OK;
}

/*
 * Upload records, format 2. Format 1 ended in a running hash state (a u16
 * length and that many bytes of OpenSSL's SHA256_CTX), which tied the store
 * to one library's struct layout; the decoder reads past it, and the api
 * hashes such an upload again from its file (issue 12).
 */
#define UPLOAD_V1_STATE_MAX 256

static int
upload_encode(const struct store_upload *u, struct buf *b)
{
	int rc;

	buf_init(b, STORE_VALUE_MAX);
	if ((rc = wr_uint(b, STORE_FORMAT_UPLOAD_V2, 1)) != STORE_OK ||
	    (rc = wr_uint(b, u->repo_id, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)u->created_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)u->updated_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, u->received, 8)) != STORE_OK ||
	    (rc = wr_uint(b, u->n_parts, 4)) != STORE_OK ||
	    (rc = wr_uint(b, u->min_part, 8)) != STORE_OK ||
	    (rc = wr_uint(b, u->last_part, 8)) != STORE_OK)
		return rc;
	return STORE_OK;
}

int
store_codec_upload_encode(const struct store_upload *u, struct buf *b)
{
	return wr_finish(b, upload_encode(u, b));
}

/* Decode an uploads value; out->id is left as it was. */
int
store_codec_upload_decode(const void *val, size_t len, struct store_upload *out)
{
	struct store_upload u;
	struct rd rd;
	uint64_t version, state_len;

	memset(&u, 0, sizeof(u));
	rd_init(&rd, val, len);
	version = rd_uint(&rd, 1);
	if (version != STORE_FORMAT_V1 && version != STORE_FORMAT_UPLOAD_V2)
		return STORE_CORRUPT;
	u.repo_id = rd_uint(&rd, 8);
	u.created_at_ms = (int64_t)rd_uint(&rd, 8);
	u.updated_at_ms = (int64_t)rd_uint(&rd, 8);
	u.received = rd_uint(&rd, 8);
	u.n_parts = (uint32_t)rd_uint(&rd, 4);
	u.min_part = rd_uint(&rd, 8);
	u.last_part = rd_uint(&rd, 8);
	if (version == STORE_FORMAT_V1) {
		state_len = rd_uint(&rd, 2);
		if (state_len > UPLOAD_V1_STATE_MAX)
			return STORE_CORRUPT;
		(void)rd_take(&rd, state_len);
	}
	if (rd_end(&rd) != STORE_OK)
		return STORE_CORRUPT;
	memcpy(u.id, out->id, sizeof(u.id));
	*out = u;
	return STORE_OK;
}

/*
 * Image records. The fixed part comes first, so that the mutable fields sit
 * at fixed offsets (store_codec_image_patch).
 */
#define IMG_OFF_STATUS 2
#define IMG_OFF_PULLED 11 /* last_pulled, archived, activated */
#define IMG_FIXED_LEN 51  /* up to the first string */

static int
wr_list(struct buf *b, char *const *list, size_t n, size_t max, size_t len)
{
	size_t i;
	int rc;

	if (n > max)
		return STORE_TOOBIG;
	if ((rc = wr_uint(b, n, 2)) != STORE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = wr_str(b, list[i], len + 1)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

static int
image_encode(const struct store_image *img, struct buf *b)
{
	int rc;

	if ((rc = wr_start_max(b, STORE_IMAGE_VALUE_MAX)) != STORE_OK)
		return rc;
	if (img->kind > STORE_IMAGE_INDEX ||
	    img->status > STORE_IMAGE_ACTIVATING)
		return STORE_TOOBIG;
	if ((rc = wr_uint(b, img->kind, 1)) != STORE_OK ||
	    (rc = wr_uint(b, img->status, 1)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)img->pushed_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)img->last_pulled_at_ms, 8)) !=
	        STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)img->archived_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)img->activated_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, img->size, 8)) != STORE_OK ||
	    (rc = wr_uint(b, img->manifest_len, 8)) != STORE_OK)
		return rc;
	if ((rc = wr_str(b, img->manifest_media_type,
	         sizeof(img->manifest_media_type))) != STORE_OK ||
	    (rc = wr_str(b, img->artifact_media_type,
	         sizeof(img->artifact_media_type))) != STORE_OK ||
	    (rc = wr_str(b, img->subject_digest,
	         sizeof(img->subject_digest))) != STORE_OK)
		return rc;
	if ((rc = wr_list(b, img->tags, img->n_tags, STORE_IMAGE_TAGS_MAX,
	         STORE_IMAGE_TAG_MAX)) != STORE_OK)
		return rc;
	return wr_list(b, img->refs, img->n_refs, STORE_IMAGE_REFS_MAX,
	    STORE_DIGEST_MAX);
}

int
store_codec_image_encode(const struct store_image *img, struct buf *b)
{
	return wr_finish(b, image_encode(img, b));
}

/* Read a list of at most max strings of at most len bytes each. */
static char **
rd_list(struct rd *r, size_t *n_out, size_t max, size_t len)
{
	const unsigned char *p;
	char **list;
	size_t n, i, slen;

	n = rd_uint(r, 2);
	if (r->is_bad || n > max) {
		r->is_bad = true;
		return NULL;
	}
	*n_out = 0;
	if (n == 0)
		return NULL;
	list = xreallocarray(NULL, n, sizeof(*list));
	for (i = 0; i < n; i++) {
		slen = rd_uint(r, 2);
		if (r->is_bad || slen > len || (p = rd_take(r, slen)) == NULL ||
		    memchr(p, '\0', slen) != NULL) {
			r->is_bad = true;
			break;
		}
		list[i] = xstrndup((const char *)p, slen);
	}
	*n_out = i;
	return list;
}

int
store_codec_image_decode(const void *val, size_t len, struct store_image *out)
{
	struct store_image img;
	struct rd rd;

	memset(&img, 0, sizeof(img));
	rd_init(&rd, val, len);
	rd_version(&rd);
	img.kind = (uint8_t)rd_uint(&rd, 1);
	img.status = (uint8_t)rd_uint(&rd, 1);
	if (img.kind > STORE_IMAGE_INDEX || img.status > STORE_IMAGE_ACTIVATING)
		rd.is_bad = true;
	img.pushed_at_ms = (int64_t)rd_uint(&rd, 8);
	img.last_pulled_at_ms = (int64_t)rd_uint(&rd, 8);
	img.archived_at_ms = (int64_t)rd_uint(&rd, 8);
	img.activated_at_ms = (int64_t)rd_uint(&rd, 8);
	img.size = rd_uint(&rd, 8);
	img.manifest_len = rd_uint(&rd, 8);
	rd_str(&rd, img.manifest_media_type, sizeof(img.manifest_media_type));
	rd_str(&rd, img.artifact_media_type, sizeof(img.artifact_media_type));
	rd_str(&rd, img.subject_digest, sizeof(img.subject_digest));
	img.tags = rd_list(&rd, &img.n_tags, STORE_IMAGE_TAGS_MAX,
	    STORE_IMAGE_TAG_MAX);
	img.refs =
	    rd_list(&rd, &img.n_refs, STORE_IMAGE_REFS_MAX, STORE_DIGEST_MAX);
	if (rd_end(&rd) != STORE_OK) {
		store_image_release(&img);
		return STORE_CORRUPT;
	}
	img.repo_id = out->repo_id;
	memcpy(img.digest, out->digest, sizeof(img.digest));
	*out = img;
	return STORE_OK;
}

static void
put_be(unsigned char *p, uint64_t v, size_t width)
{
	size_t i;

	for (i = width; i > 0; i--) {
		p[i - 1] = v & 0xff;
		v >>= 8;
	}
}

int
store_codec_image_patch(const void *val, size_t len,
    const struct store_image *img, struct buf *b)
{
	const unsigned char *v = val;
	unsigned char *p;

	buf_init(b, STORE_IMAGE_VALUE_MAX);
	if (img->status > STORE_IMAGE_ACTIVATING)
		return STORE_TOOBIG;
	if (len < IMG_FIXED_LEN || v[0] != STORE_FORMAT_V1)
		return STORE_CORRUPT;
	if (buf_add(b, val, len) != 0)
		return STORE_CORRUPT;
	p = (unsigned char *)b->data;
	p[IMG_OFF_STATUS] = img->status;
	put_be(p + IMG_OFF_PULLED, (uint64_t)img->last_pulled_at_ms, 8);
	put_be(p + IMG_OFF_PULLED + 8, (uint64_t)img->archived_at_ms, 8);
	put_be(p + IMG_OFF_PULLED + 16, (uint64_t)img->activated_at_ms, 8);
	return STORE_OK;
}

/* Document: format, i64 at_ms, i64 aux_ms, then the text to the end. */
int
store_codec_doc_encode(const struct store_doc *doc, struct buf *b)
{
	int rc;

	if ((rc = wr_start_max(b, STORE_DOC_MAX + 32)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)doc->at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)doc->aux_ms, 8)) != STORE_OK)
		return wr_finish(b, rc);
	if (doc->len > STORE_DOC_MAX || buf_add(b, doc->text, doc->len) != 0)
		rc = STORE_TOOBIG;
	return wr_finish(b, rc);
}

int
store_codec_doc_decode(const void *val, size_t len, struct store_doc *out)
{
	const unsigned char *text;
	struct rd rd;
	int64_t at, aux;
	size_t n;

	rd_init(&rd, val, len);
	rd_version(&rd);
	at = (int64_t)rd_uint(&rd, 8);
	aux = (int64_t)rd_uint(&rd, 8);
	n = rd.left;
	if (rd.is_bad || (text = rd_take(&rd, n)) == NULL ||
	    memchr(text, '\0', n) != NULL)
		return STORE_CORRUPT;
	out->text = xmalloc(n + 1);
	memcpy(out->text, text, n);
	out->text[n] = '\0';
	out->len = n;
	out->at_ms = at;
	out->aux_ms = aux;
	return STORE_OK;
}

static int
repl_job_encode(const struct store_repl_job *j, struct buf *b)
{
	int rc;

	if ((rc = wr_start(b)) != STORE_OK ||
	    (rc = wr_uint(b, j->repo_id, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)j->pushed_at_ms, 8)) != STORE_OK ||
	    (rc = wr_str(b, j->registry_id, sizeof(j->registry_id))) !=
	        STORE_OK ||
	    (rc = wr_str(b, j->region, sizeof(j->region))) != STORE_OK ||
	    (rc = wr_str(b, j->name, sizeof(j->name))) != STORE_OK ||
	    (rc = wr_str(b, j->digest, sizeof(j->digest))) != STORE_OK ||
	    (rc = wr_str(b, j->tag, sizeof(j->tag))) != STORE_OK ||
	    (rc = wr_str(b, j->dest_registry_id,
	         sizeof(j->dest_registry_id))) != STORE_OK)
		return rc;
	return wr_str(b, j->dest_region, sizeof(j->dest_region));
}

int
store_codec_repl_job_encode(const struct store_repl_job *j, struct buf *b)
{
	return wr_finish(b, repl_job_encode(j, b));
}

int
store_codec_repl_job_decode(const void *val, size_t len,
    struct store_repl_job *out)
{
	struct store_repl_job j;
	struct rd rd;

	memset(&j, 0, sizeof(j));
	rd_init(&rd, val, len);
	rd_version(&rd);
	j.repo_id = rd_uint(&rd, 8);
	j.pushed_at_ms = (int64_t)rd_uint(&rd, 8);
	rd_str(&rd, j.registry_id, sizeof(j.registry_id));
	rd_str(&rd, j.region, sizeof(j.region));
	rd_str(&rd, j.name, sizeof(j.name));
	rd_str(&rd, j.digest, sizeof(j.digest));
	rd_str(&rd, j.tag, sizeof(j.tag));
	rd_str(&rd, j.dest_registry_id, sizeof(j.dest_registry_id));
	rd_str(&rd, j.dest_region, sizeof(j.dest_region));
	if (rd_end(&rd) != STORE_OK || j.digest[0] == '\0' ||
	    j.dest_registry_id[0] == '\0')
		return STORE_CORRUPT;
	j.seq = out->seq;
	*out = j;
	return STORE_OK;
}

/* The key holds the destination; the value its state and failure. */
int
store_codec_repl_status_encode(const struct store_repl_status *st,
    struct buf *b)
{
	int rc;

	if ((rc = wr_start(b)) == STORE_OK &&
	    (rc = wr_uint(b, (uint64_t)st->state, 1)) == STORE_OK)
		rc = wr_str(b, st->failure_code, sizeof(st->failure_code));
	return wr_finish(b, rc);
}

/*
 * Scan: format, u8 status, i64 started_at_ms, completed_at_ms,
 * source_updated_at_ms, u32 counts[STORE_SCAN_SEVERITIES], u32
 * n_findings, then the inventory's bytes to the end.
 */
int
store_codec_scan_encode(const struct store_scan *s, struct buf *b)
{
	size_t i;
	int rc;

	if (s->status > STORE_SCAN_UNSUPPORTED ||
	    s->inventory_len > STORE_SCAN_INVENTORY_MAX)
		return STORE_TOOBIG;
	if ((rc = wr_start_max(b, STORE_SCAN_INVENTORY_MAX + 128)) !=
	        STORE_OK ||
	    (rc = wr_uint(b, s->status, 1)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)s->started_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)s->completed_at_ms, 8)) != STORE_OK ||
	    (rc = wr_uint(b, (uint64_t)s->source_updated_at_ms, 8)) != STORE_OK)
		return wr_finish(b, rc);
	for (i = 0; i < STORE_SCAN_SEVERITIES && rc == STORE_OK; i++)
		rc = wr_uint(b, s->counts[i], 4);
	if (rc == STORE_OK)
		rc = wr_uint(b, s->n_findings, 4);
	if (rc == STORE_OK && s->inventory_len != 0 &&
	    buf_add(b, s->inventory, s->inventory_len) != 0)
		rc = STORE_TOOBIG;
	return wr_finish(b, rc);
}

int
store_codec_repl_status_decode(const void *val, size_t len,
    struct store_repl_status *out)
{
	char code[STORE_REPL_FAILURE_MAX + 1];
	uint64_t state;
	struct rd rd;

	rd_init(&rd, val, len);
	rd_version(&rd);
	state = rd_uint(&rd, 1);
	rd_str(&rd, code, sizeof(code));
	if (rd_end(&rd) != STORE_OK || state > STORE_REPL_FAILED)
		return STORE_CORRUPT;
	out->state = (enum store_repl_state)state;
	memcpy(out->failure_code, code, strlen(code) + 1);
	return STORE_OK;
}

int
store_codec_scan_decode(const void *val, size_t len, struct store_scan *out)
{
	struct store_scan s;
	const unsigned char *inv;
	struct rd rd;
	size_t i;

	memset(&s, 0, sizeof s);
	rd_init(&rd, val, len);
	rd_version(&rd);
	s.status = (uint8_t)rd_uint(&rd, 1);
	s.started_at_ms = (int64_t)rd_uint(&rd, 8);
	s.completed_at_ms = (int64_t)rd_uint(&rd, 8);
	s.source_updated_at_ms = (int64_t)rd_uint(&rd, 8);
	for (i = 0; i < STORE_SCAN_SEVERITIES; i++)
		s.counts[i] = (uint32_t)rd_uint(&rd, 4);
	s.n_findings = (uint32_t)rd_uint(&rd, 4);
	s.inventory_len = rd.left;
	if (rd.is_bad || s.status > STORE_SCAN_UNSUPPORTED ||
	    s.n_findings > STORE_SCAN_FINDINGS_MAX ||
	    s.inventory_len > STORE_SCAN_INVENTORY_MAX ||
	    (inv = rd_take(&rd, s.inventory_len)) == NULL)
		return STORE_CORRUPT;
	if (s.inventory_len != 0) {
		s.inventory = xmalloc(s.inventory_len);
		memcpy(s.inventory, inv, s.inventory_len);
	}
	*out = s;
	return STORE_OK;
}

/* A finding's owned string (NULL writes as ""). */
static int
wr_text(struct buf *b, const char *s)
{
	return wr_str(b, s != NULL ? s : "", (size_t)UINT16_MAX + 1);
}

/* Read a string as an owned copy; NULL once the reader failed. */
static char *
rd_text(struct rd *r)
{
	const unsigned char *p;
	size_t len;
	char *s;

	len = rd_uint(r, 2);
	if (r->is_bad || (p = rd_take(r, len)) == NULL)
		return NULL;
	if (memchr(p, '\0', len) != NULL) {
		r->is_bad = true;
		return NULL;
	}
	s = xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * Finding: format, then str name, osv_id, description, uri, severity,
 * cvss3_vector, u16 the score in tenths (0xffff: none), str
 * package_name, package_version, fixed_version.
 */
int
store_codec_finding_encode(const struct store_finding *f, struct buf *b)
{
	uint64_t tenths = 0xffff;
	int rc;

	if (f->cvss3_score >= 0 && f->cvss3_score <= 10)
		tenths = (uint64_t)(f->cvss3_score * 10 + 0.5);
	if ((rc = wr_start_max(b, 8 * ((size_t)UINT16_MAX + 2) + 16)) !=
	        STORE_OK ||
	    (rc = wr_text(b, f->name)) != STORE_OK ||
	    (rc = wr_text(b, f->osv_id)) != STORE_OK ||
	    (rc = wr_text(b, f->description)) != STORE_OK ||
	    (rc = wr_text(b, f->uri)) != STORE_OK ||
	    (rc = wr_text(b, f->severity)) != STORE_OK ||
	    (rc = wr_text(b, f->cvss3_vector)) != STORE_OK ||
	    (rc = wr_uint(b, tenths, 2)) != STORE_OK ||
	    (rc = wr_text(b, f->package_name)) != STORE_OK ||
	    (rc = wr_text(b, f->package_version)) != STORE_OK)
		return wr_finish(b, rc);
	return wr_finish(b, wr_text(b, f->fixed_version));
}

int
store_codec_finding_decode(const void *val, size_t len,
    struct store_finding *out)
{
	struct store_finding f;
	uint64_t tenths;
	struct rd rd;

	memset(&f, 0, sizeof f);
	rd_init(&rd, val, len);
	rd_version(&rd);
	f.name = rd_text(&rd);
	f.osv_id = rd_text(&rd);
	f.description = rd_text(&rd);
	f.uri = rd_text(&rd);
	f.severity = rd_text(&rd);
	f.cvss3_vector = rd_text(&rd);
	tenths = rd_uint(&rd, 2);
	f.cvss3_score = tenths == 0xffff ? -1 : (double)tenths / 10;
	f.package_name = rd_text(&rd);
	f.package_version = rd_text(&rd);
	f.fixed_version = rd_text(&rd);
	if (rd_end(&rd) != STORE_OK || (tenths > 100 && tenths != 0xffff)) {
		store_finding_release(&f);
		return STORE_CORRUPT;
	}
	*out = f;
	return STORE_OK;
}
