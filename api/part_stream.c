/*
 * UploadLayerPart bodies, taken as they stream in (issue 3). A part is up
 * to 20 MiB sent as base64 inside JSON; parsing that whole with json-c and
 * then decoding it cost more than the rest of the request together. So
 * the server feeds each piece of the body here: a small scanner follows
 * the JSON just far enough to find the top-level layerPartBlob string,
 * whose characters are decoded as they arrive, hashed and written to the
 * upload file; every other byte is kept, so the usual parse and
 * validation see the body with layerPartBlob "" (its placeholder).
 *
 * The part goes straight into the upload file when uploadId came before
 * the blob (botocore and the aws CLI send the model's order, which puts
 * the blob last) and no other stream holds the upload: the stream takes
 * the upload's lease and writes past the bytes the record counts, which
 * nothing trusts until the operation checks the request and counts them.
 * Otherwise the decoded part is kept in memory for the operation to write.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/base64.h"
#include "auth/creds.h"
#include "auth/sha256.h"
#include "auth/sigv4.h"
#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "store/store.h"

#define PART_MEMBER "layerPartBlob"
#define DECODE_CHUNK (192 * 1024) /* characters decoded at a time */

enum blob_state {
	BLOB_NONE,
	BLOB_IN, /* between the blob's quotes */
	BLOB_DONE,
};

enum capture {
	CAP_NONE,
	CAP_KEY,       /* a top-level key */
	CAP_UPLOAD_ID, /* the uploadId value */
};

struct api_part {
	struct core_ctx *ctx;
	struct buf rest;             /* the body, blob text aside */
	struct sha256_state payload; /* SigV4's payload hash */
	uint64_t total;              /* body bytes seen */

	/* The scanner: just enough JSON to know where the blob is. */
	int depth;
	bool is_object; /* the body is {...} */
	bool in_string;
	int escape;      /* after '\': 1, in \uXXXX: 2-5 */
	unsigned code;   /* a \uXXXX so far */
	bool is_key_pos; /* a top-level key comes next */
	enum capture cap;
	char cap_buf[STORE_UPLOAD_ID_MAX + 1];
	size_t cap_len;
	bool cap_ok; /* ASCII, not too long */
	char member[sizeof PART_MEMBER + 1];
	char upload_id[STORE_UPLOAD_ID_MAX + 1];
	unsigned n_blobs; /* top-level members of each */
	unsigned n_upload_ids;
	bool may_lease; /* write into the upload file */

	/* The blob. */
	enum blob_state blob;
	bool blob_escape; /* a piece ended in a '\' */
	struct base64_dec dec;
	uint64_t len;                         /* decoded bytes */
	struct store_upload_writer *writer;   /* into the upload file */
	uint64_t offset;                      /* where the writer began */
	struct sha256_state hash;             /* the upload's, continued */
	bool has_hash;                        /* the upload had one */
	struct buf mem;                       /* or kept here */
	int io_rc;                            /* the first store error */
	bool is_closed;                       /* the pool closed writer */
	int close_rc;                         /* and its sync's result */
	unsigned char *scratch;               /* after it: decoded, dropped */
	char leased[STORE_UPLOAD_ID_MAX + 1]; /* or "" */
};

/*
 * Bytes go into the upload file before the request is checked, so in
 * strict mode only a request signed with a known access key may take an
 * upload's lease: a stranger cannot hold up another's upload by sending
 * a body slowly. (The part of anyone else is kept in memory.)
 */
static bool
may_lease(const struct core_ctx *ctx, const struct sigv4_request *sr)
{
	struct sigv4_auth auth;
	char *cause = NULL;

	if (!ctx->cfg.is_strict)
		return true;
	if (sigv4_parse(sr, &auth, &cause) != 0) {
		free(cause);
		return false;
	}
	return ctx->cfg.creds != NULL &&
	       creds_find(ctx->cfg.creds, auth.access_key) != NULL;
}

static struct api_part *
part_new(struct core_ctx *ctx, bool is_lease_allowed)
{
	struct api_part *ps = xcalloc(1, sizeof *ps);

	ps->ctx = ctx;
	ps->may_lease = is_lease_allowed;
	buf_init(&ps->rest, API_BODY_MAX);
	buf_init(&ps->mem, API_BODY_MAX);
	sha256_init(&ps->payload);
	return ps;
}

struct api_part *
api_part_new(struct core_ctx *ctx, const struct sigv4_request *sr)
{
	return part_new(ctx, may_lease(ctx, sr));
}

static void
unlease(struct api_part *ps)
{
	if (ps->leased[0] == '\0')
		return;
	core_upload_unlease(ps->ctx, ps->leased, ps);
	ps->leased[0] = '\0';
}

void
api_part_free(struct api_part *ps)
{
	if (ps == NULL)
		return;
	/* Unsynced: bytes no record counts, cut by the next writer. */
	(void)store_upload_writer_close(ps->writer, false);
	unlease(ps);
	buf_release(&ps->rest);
	buf_release(&ps->mem);
	free(ps->scratch);
	sodium_memzero(&ps->hash, sizeof ps->hash);
	free(ps);
}

static void
part_free_hook(void *ps)
{
	api_part_free(ps);
}

/* A call's only protocol state is its part, so the hook tells them apart. */
struct api_part *
api_call_part(struct call *call)
{
	return call->proto_free == part_free_hook ? call->proto : NULL;
}

void
api_call_set_part(struct call *call, struct api_part *owned)
{
	call_set_proto(call, owned, owned != NULL ? part_free_hook : NULL);
}

/*
 * Write into the upload file from where its record stands, holding the
 * upload's lease; on any failure the part is kept in memory instead.
 */
static void
open_upload_file(struct api_part *ps)
{
	struct store *store = ps->ctx->store;
	struct store_txn *txn;
	struct store_upload up;
	int rc;

	if (!ps->may_lease || !core_upload_lease(ps->ctx, ps->upload_id, ps))
		return;
	str_copy(ps->leased, sizeof ps->leased, ps->upload_id);
	if ((rc = store_txn_begin(store, NULL, false, &txn)) == 0) {
		rc = store_upload_get(txn, ps->leased, &up);
		store_txn_abort(txn);
	}
	if (rc == 0 && store_upload_writer_open(store, up.id, up.received,
	                   &ps->writer) == 0) {
		ps->offset = up.received;
		ps->has_hash = core_upload_hash_get(ps->ctx, &up, &ps->hash);
		return;
	}
	unlease(ps);
}

static void
blob_begin(struct api_part *ps)
{
	/* A second one stays in the JSON; the request is refused. */
	if (ps->blob != BLOB_NONE)
		return;
	ps->blob = BLOB_IN;
	base64_dec_init(&ps->dec);
	if (ps->upload_id[0] != '\0')
		open_upload_file(ps);
}

/*
 * Room for want decoded bytes, in the writer's buffer or in memory. Once
 * the file has failed (a full disk), the rest is still decoded, into
 * scratch space, so that the part's length and its base64 are judged as
 * ever and the failure is answered as what it is, a ServerException
 * (issue 11), not as a client's mistake.
 */
static unsigned char *
sink_space(struct api_part *ps, size_t want)
{
	unsigned char *p = NULL;
	int rc;

	if (ps->io_rc == 0 && ps->writer != NULL) {
		if ((rc = store_upload_writer_space(ps->writer, want, &p)) != 0)
			ps->io_rc = rc;
	} else if (ps->io_rc == 0) {
		if ((p = (unsigned char *)buf_reserve(&ps->mem, want)) == NULL)
			ps->io_rc = STORE_IO;
	}
	if (p != NULL)
		return p;
	if (ps->scratch == NULL)
		ps->scratch = xmalloc(BASE64_DEC_ADD_MAX(DECODE_CHUNK));
	return ps->scratch;
}

static void
sink_commit(struct api_part *ps, unsigned char *p, size_t n)
{
	int rc;

	ps->len += n;
	if (ps->io_rc != 0)
		return;
	if (ps->writer == NULL) {
		buf_commit(&ps->mem, n);
		return;
	}
	if (ps->has_hash)
		sha256_update(&ps->hash, p, n);
	if ((rc = store_upload_writer_commit(ps->writer, n)) != 0)
		ps->io_rc = rc;
}

static void
blob_decode(struct api_part *ps, const char *p, size_t len)
{
	unsigned char *out;
	size_t n;

	while (len > 0 && !ps->dec.is_bad) {
		n = len < DECODE_CHUNK ? len : DECODE_CHUNK;
		out = sink_space(ps, BASE64_DEC_ADD_MAX(n));
		sink_commit(ps, out, base64_dec_add(&ps->dec, p, n, out));
		p += n;
		len -= n;
	}
}

static void
blob_end(struct api_part *ps)
{
	unsigned char tail[3], *out;
	size_t n;

	ps->blob = BLOB_DONE;
	if (base64_dec_end(&ps->dec, tail, &n) != 0 || n == 0)
		return;
	out = sink_space(ps, n);
	memcpy(out, tail, n);
	sink_commit(ps, out, n);
}

/* JSON's "\/" is '/'; base64 needs no other escape. */
static void
blob_escaped(struct api_part *ps, char c)
{
	if (c == '/')
		blob_decode(ps, "/", 1);
	else
		ps->dec.is_bad = true;
}

/* Inside the blob's quotes: decode up to its end; returns bytes used. */
static size_t
blob_scan(struct api_part *ps, const char *p, size_t len)
{
	const char *quote, *esc;
	size_t run;

	if (ps->blob_escape) {
		ps->blob_escape = false;
		blob_escaped(ps, p[0]);
		return 1;
	}
	quote = memchr(p, '"', len);
	run = quote != NULL ? (size_t)(quote - p) : len;
	if ((esc = memchr(p, '\\', run)) != NULL)
		run = (size_t)(esc - p);
	blob_decode(ps, p, run);
	if (run == len)
		return len;
	if (p[run] == '\\') {
		if (run + 1 == len) {
			ps->blob_escape = true;
			return len;
		}
		blob_escaped(ps, p[run + 1]);
		return run + 2;
	}
	blob_end(ps);
	ps->in_string = false;
	(void)buf_add(&ps->rest, "\"", 1);
	return run + 1;
}

static void
begin_string(struct api_part *ps)
{
	ps->in_string = true;
	ps->cap = CAP_NONE;
	ps->cap_len = 0;
	ps->cap_ok = true;
	if (ps->depth != 1 || !ps->is_object)
		return;
	if (ps->is_key_pos)
		ps->cap = CAP_KEY;
	else if (strcmp(ps->member, PART_MEMBER) == 0)
		blob_begin(ps);
	else if (strcmp(ps->member, "uploadId") == 0)
		ps->cap = CAP_UPLOAD_ID;
}

/* A top-level key or the uploadId value, unescaped, is complete. */
static void
end_string(struct api_part *ps)
{
	const char *text = ps->cap_ok ? ps->cap_buf : "";

	ps->cap_buf[ps->cap_len] = '\0';
	if (ps->cap == CAP_KEY) {
		str_copy(ps->member, sizeof ps->member,
		    strlen(text) < sizeof ps->member ? text : "");
		ps->n_blobs += strcmp(ps->member, PART_MEMBER) == 0;
		ps->n_upload_ids += strcmp(ps->member, "uploadId") == 0;
	} else if (ps->cap == CAP_UPLOAD_ID && ps->n_upload_ids == 1)
		str_copy(ps->upload_id, sizeof ps->upload_id, text);
	ps->cap = CAP_NONE;
}

/* Add an (unescaped) character to the capture: ASCII only. */
static void
capture(struct api_part *ps, unsigned c)
{
	if (ps->cap == CAP_NONE)
		return;
	if (c == 0 || c > 0x7f || ps->cap_len == sizeof ps->cap_buf - 1)
		ps->cap_ok = false;
	else
		ps->cap_buf[ps->cap_len++] = (char)c;
}

static void string_char(struct api_part *, char);

/* The character after a '\', or a digit of \uXXXX. */
static void
escape_char(struct api_part *ps, char c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	int v;

	if (ps->escape == 1) {
		ps->escape = 0;
		if (c == 'u') {
			ps->escape = 2;
			ps->code = 0;
		} else if (c != '\0' && (p = strchr(from, c)) != NULL)
			capture(ps, (unsigned char)to[p - from]);
		else
			ps->cap_ok = false; /* bad JSON: json-c says so */
		return;
	}
	if ((v = str_hex_value((unsigned char)c)) < 0) {
		/* Bad JSON (json-c refuses it); c counts as itself. */
		ps->escape = 0;
		ps->cap_ok = false;
		string_char(ps, c);
		return;
	}
	ps->code = ps->code << 4 | (unsigned)v;
	if (++ps->escape == 6) {
		ps->escape = 0;
		capture(ps, ps->code);
	}
}

static void
string_char(struct api_part *ps, char c)
{
	if (ps->escape != 0)
		escape_char(ps, c);
	else if (c == '\\')
		ps->escape = 1;
	else if (c == '"') {
		ps->in_string = false;
		end_string(ps);
	} else
		capture(ps, (unsigned char)c);
}

/* One character outside the blob; true when it opened the blob. */
static bool
scan_char(struct api_part *ps, char c)
{
	if (ps->in_string) {
		string_char(ps, c);
		return false;
	}
	switch (c) {
	case '"':
		begin_string(ps);
		return ps->blob == BLOB_IN;
	case '{':
	case '[':
		if (ps->depth++ == 0) {
			ps->is_object = c == '{';
			ps->is_key_pos = true;
		}
		break;
	case '}':
	case ']':
		ps->depth--;
		break;
	case ',':
		if (ps->depth == 1)
			ps->is_key_pos = true;
		break;
	case ':':
		if (ps->depth == 1)
			ps->is_key_pos = false;
		break;
	}
	return false;
}

/* JSON outside the blob, kept; returns bytes used (up to the blob). */
static size_t
json_scan(struct api_part *ps, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (scan_char(ps, p[i++]))
			break;
	}
	(void)buf_add(&ps->rest, p, i);
	return i;
}

int
api_part_add(struct api_part *ps, const char *data, size_t len)
{
	size_t n;

	if (len > API_BODY_MAX - ps->total)
		return -1;
	ps->total += len;
	if (ps->ctx->cfg.is_strict)
		sha256_update(&ps->payload, data, len);
	while (len > 0) {
		n = ps->blob == BLOB_IN ? blob_scan(ps, data, len)
		                        : json_scan(ps, data, len);
		data += n;
		len -= n;
	}
	return 0;
}

const char *
api_part_json(struct api_part *ps, size_t *len)
{
	*len = ps->rest.len;
	return ps->rest.data != NULL ? ps->rest.data : "";
}

void
api_part_payload_hash(struct api_part *ps, char hex[65])
{
	unsigned char h[SHA256_DIGEST_LEN];

	sha256_final(&ps->payload, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

/* The operation's side (image.h). */

bool
api_part_has_blob(const struct api_part *ps)
{
	return ps != NULL && ps->blob == BLOB_DONE;
}

const char *
api_part_duplicate(const struct api_part *ps)
{
	if (ps == NULL)
		return NULL;
	if (ps->n_blobs > 1)
		return PART_MEMBER;
	return ps->n_upload_ids > 1 ? "uploadId" : NULL;
}

int64_t
api_part_blob_len(const struct api_part *ps)
{
	return ps->dec.is_bad ? -1 : (int64_t)ps->len;
}

int
api_part_check(struct call *call, const struct api_part *ps)
{
	/* The validator has said so already for a body that streamed. */
	if (ps->dec.is_bad)
		return core_fail(call, ERR_SERIALIZATION,
		    "Unexpected value "
		    "type in payload at '" PART_MEMBER "': expected a base64 "
		    "string");
	/* Before the length, which counts bytes the file did not take. */
	if (ps->io_rc != 0)
		return core_fail_store(call, ps->io_rc);
	return 0;
}

struct api_part *
api_part_from_json(struct call *call)
{
	struct api_part *ps = part_new(call->ctx, false);

	ps->blob = BLOB_IN;
	base64_dec_init(&ps->dec);
	blob_decode(ps, api_in_str(call, PART_MEMBER),
	    api_in_len(call, PART_MEMBER));
	blob_end(ps);
	return ps;
}

/*
 * On a worker, before the group commit (issue 12): the part that streamed
 * into the upload file made durable, its last block written and the file
 * synced; api_part_write takes the result. Only the call's part is used.
 */
static void
part_sync(struct call *call)
{
	struct api_part *ps = api_call_part(call);

	ps->close_rc = store_upload_writer_close(ps->writer, true);
	ps->writer = NULL;
	ps->is_closed = true;
}

void
api_part_files_open(struct call *call)
{
	struct api_part *ps = api_call_part(call);

	if (ps != NULL && ps->writer != NULL && ps->io_rc == 0)
		call_set_files(call, part_sync);
}

int
api_part_write(struct call *call, struct api_part *ps,
    const struct store_upload *up, const struct sha256_state **hash)
{
	int rc;

	if (ps->io_rc != 0)
		return core_fail_store(call, ps->io_rc);
	if (ps->writer != NULL || ps->is_closed) {
		/* The file the part went to, from where the record stands. */
		if (strcmp(ps->leased, up->id) != 0 ||
		    ps->offset != up->received)
			return API_PART_BUSY;
		rc = ps->is_closed
		         ? ps->close_rc
		         : store_upload_writer_close(ps->writer, true);
		ps->writer = NULL;
		/* Counted in this batch: later calls in it may go on. */
		unlease(ps);
		if (rc != 0)
			return core_fail_store(call, rc);
		*hash = ps->has_hash ? &ps->hash : NULL;
		return 0;
	}
	if (core_upload_leased_by_other(call->ctx, up->id, ps))
		return API_PART_BUSY;
	if ((rc = store_upload_file_write(call->ctx->store, up->id,
	         up->received, ps->mem.data, ps->mem.len)) != 0)
		return core_fail_store(call, rc);
	*hash = NULL;
	if ((ps->has_hash = core_upload_hash_get(call->ctx, up, &ps->hash))) {
		sha256_update(&ps->hash, ps->mem.data, ps->mem.len);
		*hash = &ps->hash;
	}
	return 0;
}
