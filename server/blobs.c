/*
 * Blob downloads: a blob file streamed from disk (never whole in memory),
 * with single byte ranges, for GetDownloadUrlForLayer's URLs and later the
 * registry's blob GETs.
 */
#include "server/server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/parse.h"
#include "server/http.h"
#include "store/store.h"

/*
 * One "bytes=A-B", "bytes=A-" or "bytes=-N" range of a blob of size
 * bytes: 0 with *off and *len set, -1 if it cannot be satisfied (416).
 * A list of several ranges is refused too: no client of blobs sends one.
 */
int
blobs_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	char a[24], b[24];
	const char *dash, *errstr;
	uint64_t first, last;
	size_t alen;

	if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL ||
	    (dash = strchr(h + 6, '-')) == NULL)
		return -1;
	alen = (size_t)(dash - (h + 6));
	if (alen >= sizeof a || strlen(dash + 1) >= sizeof b)
		return -1;
	memcpy(a, h + 6, alen);
	a[alen] = '\0';
	snprintf(b, sizeof b, "%s", dash + 1);
	if (alen == 0) { /* the last N bytes */
		if (parse_u64(b, 1, UINT64_MAX, &last, &errstr) != 0 ||
		    size == 0)
			return -1;
		*len = last < size ? last : size;
		*off = size - *len;
		return 0;
	}
	if (parse_u64(a, 0, UINT64_MAX, &first, &errstr) != 0 || first >= size)
		return -1;
	last = size - 1;
	if (b[0] != '\0' &&
	    (parse_u64(b, first, UINT64_MAX, &last, &errstr) != 0))
		return -1;
	if (last >= size)
		last = size - 1;
	*off = first;
	*len = last - first + 1;
	return 0;
}

/*
 * An error in the form of the caller's API: registry or AWS JSON, with the
 * registry code's status either way.
 */
static void
blob_error(struct http_request *req, struct answer *a, bool is_registry,
    enum reg_errcode code, enum ecr_errcode aws_code, const char *message)
{
	if (is_registry)
		answer_reg_error(req, a, code, message);
	else
		answer_aws_error(req, a, reg_error_status(code), aws_code,
		    message);
}

void
blobs_serve(struct http_request *req, struct store *store, const char *digest,
    bool is_registry, struct answer *base)
{
	const char *range = http_request_header(req, "Range");
	struct answer own, *a = base;
	uint64_t size, off = 0, len;
	char crange[64], etag[STORE_DIGEST_MAX + 3];
	int fd, status = 200;

	if (a == NULL) {
		answer_init(&own, 200, NULL);
		a = &own;
	}
	if (store_blob_open(store, digest, &fd, &size) != 0) {
		blob_error(req, a, is_registry, REG_BLOB_UNKNOWN,
		    ERR_BLOB_NOT_FOUND, "No blob with that digest");
		return;
	}
	len = size;
	if (range != NULL) {
		if (blobs_parse_range(range, size, &off, &len) != 0) {
			close(fd);
			snprintf(crange, sizeof crange, "bytes */%" PRIu64,
			    size);
			answer_header(a, "Content-Range", crange);
			blob_error(req, a, is_registry, REG_RANGE_INVALID,
			    ERR_INVALID_RANGE,
			    "The requested "
			    "range is not satisfiable");
			return;
		}
		status = 206;
		snprintf(crange, sizeof crange,
		    "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
		    off + len - 1, size);
		answer_header(a, "Content-Range", crange);
	}
	answer_header(a, "Accept-Ranges", "bytes");
	answer_header(a, "Docker-Content-Digest", digest);
	snprintf(etag, sizeof etag, "\"%s\"", digest);
	answer_header(a, "ETag", etag);
	a->status = status;
	a->content_type = "application/octet-stream";
	a->fd = fd;
	a->off = (int64_t)off;
	a->file_len = (int64_t)len;
	answer_send(req, a);
}
