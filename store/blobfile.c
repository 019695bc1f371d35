/*
 * Blob and upload files: <dir>/blobs/<algo>/<hex> and <dir>/uploads/<id>.
 * Only well-formed digests and upload ids become paths, so none can leave
 * those directories. Everything is fsynced before it returns (unless
 * STORE_EPHEMERAL), so that records committed afterwards never name bytes
 * a crash could lose (STYLE.md 7.4). No LMDB work here.
 */
#define _GNU_SOURCE /* sync_file_range (Linux) */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/xalloc.h"

/* The file directories, created by store_open. */
static const char *const file_dirs[] = {
    STORE_DIR_BLOBS,
    STORE_DIR_SHA256,
    STORE_DIR_SHA512,
    STORE_DIR_UPLOADS,
};

/* Make directory path unless it is there; STORE_IO with *why if not. */
static int
make_dir(const char *path, char **why)
{
	struct stat sb;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		return STORE_IO;
	}
	if (stat(path, &sb) == -1) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		return STORE_IO;
	}
	if (!S_ISDIR(sb.st_mode)) {
		*why = xasprintf("%s: not a directory", path);
		return STORE_IO;
	}
	return STORE_OK;
}

int
store_files_init(struct store *s, char **why)
{
	size_t i;
	char *path;
	int rc = STORE_OK;

	for (i = 0;
	     i < sizeof(file_dirs) / sizeof(file_dirs[0]) && rc == STORE_OK;
	     i++) {
		path = xasprintf("%s/%s", s->dir, file_dirs[i]);
		rc = make_dir(path, why);
		free(path);
	}
	return rc;
}

char *
store_files_blob_path(struct store *s, const char *digest)
{
	if (!store_digest_is_valid(digest))
		return NULL;
	/* "sha256:<hex>" becomes "sha256/<hex>". */
	return xasprintf("%s/%s/%.6s/%s", s->dir, STORE_DIR_BLOBS, digest,
	    digest + 7);
}

char *
store_files_upload_path(struct store *s, const char *id)
{
	if (!store_upload_id_is_valid(id))
		return NULL;
	return xasprintf("%s/%s/%s", s->dir, STORE_DIR_UPLOADS, id);
}

/* fsync (or fdatasync, is_data) fd unless the store is ephemeral. */
static int
sync_fd(struct store *s, int fd, bool is_data)
{
	if (s->is_ephemeral)
		return 0;
	return is_data ? fdatasync(fd) : fsync(fd);
}

/* fsync a directory, so that a rename or create in it is durable. */
static int
sync_dir(struct store *s, const char *rel)
{
	char *path;
	int fd, rc = 0;

	if (s->is_ephemeral)
		return 0;
	path = xasprintf("%s/%s", s->dir, rel);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		rc = -1;
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/* Write all len bytes at offset, through EINTR and short writes. */
static int
write_at(int fd, const void *data, size_t len, uint64_t offset)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)offset);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC; /* no progress: the file cannot grow */
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int
store_blob_path(struct store *s, const char *digest, char *dst, size_t size)
{
	char *path;
	int n;

	if ((path = store_files_blob_path(s, digest)) == NULL)
		return STORE_TOOBIG;
	n = snprintf(dst, size, "%s", path);
	free(path);
	return n < 0 || (size_t)n >= size ? STORE_TOOBIG : STORE_OK;
}

int
store_blob_open(struct store *s, const char *digest, int *fd, uint64_t *size)
{
	struct stat sb;
	char *path;
	int f, rc = STORE_IO;

	if ((path = store_files_blob_path(s, digest)) == NULL)
		return STORE_TOOBIG;
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = errno == ENOENT ? STORE_NOTFOUND : STORE_IO;
		goto out;
	}
	if (fstat(f, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(f);
		goto out;
	}
	*fd = f;
	*size = (uint64_t)sb.st_size;
	rc = STORE_OK;
out:
	free(path);
	return rc;
}

int
store_upload_file_create(struct store *s, const char *id)
{
	char *path;
	int fd, rc = STORE_IO;

	if ((path = store_files_upload_path(s, id)) == NULL)
		return STORE_TOOBIG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = errno == EEXIST ? STORE_EXISTS
		                     : store_io_fail(s, "open", path, errno);
		goto out;
	}
	if (sync_fd(s, fd, false) == 0)
		rc = STORE_OK;
	else
		rc = store_io_fail(s, "fsync", path, errno);
	if (close(fd) == -1 ||
	    (rc == STORE_OK && sync_dir(s, STORE_DIR_UPLOADS) == -1))
		rc = store_io_fail(s, "close", path, errno);
out:
	free(path);
	return rc;
}

/* Open the upload file of id for writing: STORE_NOTFOUND if missing. */
static int
upload_open(struct store *s, const char *id, char **path, int *fd)
{
	if ((*path = store_files_upload_path(s, id)) == NULL)
		return STORE_TOOBIG;
	if ((*fd = open(*path, O_WRONLY | O_CLOEXEC)) == -1) {
		free(*path);
		*path = NULL;
		return errno == ENOENT ? STORE_NOTFOUND : STORE_IO;
	}
	return STORE_OK;
}

int
store_upload_file_write(struct store *s, const char *id, uint64_t offset,
    const void *data, size_t len)
{
	char *path = NULL;
	int fd, rc;

	/* off_t is signed 64-bit: the end of the write must fit. */
	if (offset > INT64_MAX || len > INT64_MAX - offset)
		return STORE_IO;
	if ((rc = upload_open(s, id, &path, &fd)) != STORE_OK)
		return rc;
	rc = STORE_OK;
	if (ftruncate(fd, (off_t)offset) == -1)
		rc = store_io_fail(s, "ftruncate", path, errno);
	else if (write_at(fd, data, len, offset) == -1)
		rc = store_io_fail(s, "pwrite", path, errno);
	else if (sync_fd(s, fd, true) == -1)
		rc = store_io_fail(s, "fdatasync", path, errno);
	if (close(fd) == -1 && rc == STORE_OK)
		rc = store_io_fail(s, "close", path, errno);
	free(path);
	return rc;
}

/*
 * The blob exists already (same digest, same bytes): drop the upload file.
 * The blob's time is renewed first so that the GC, which sweeps only old
 * files that no record names, leaves it to the record about to be made.
 */
static int
finish_existing(const char *bpath, const char *upath)
{
	if (utimensat(AT_FDCWD, bpath, NULL, 0) == -1 && errno != ENOENT)
		return STORE_IO;
	if (unlink(upath) == -1 && errno != ENOENT)
		return STORE_IO;
	return STORE_OK;
}

/* Truncate the upload file fd to len and make it durable and young. */
static int
finish_file(struct store *s, int fd, uint64_t len)
{
	struct stat sb;

	/* Never pad: the first len bytes must all have been written. */
	if (len > INT64_MAX || fstat(fd, &sb) == -1 ||
	    (uint64_t)sb.st_size < len || ftruncate(fd, (off_t)len) == -1 ||
	    futimens(fd, NULL) == -1 || sync_fd(s, fd, false) == -1)
		return STORE_IO;
	return STORE_OK;
}

int
store_upload_file_prepare(struct store *s, const char *id, uint64_t len)
{
	char *path = NULL;
	int fd, rc;

	if ((rc = upload_open(s, id, &path, &fd)) != STORE_OK)
		return rc;
	if (finish_file(s, fd, len) != STORE_OK)
		rc = store_io_fail(s, "finish", path, errno);
	if (close(fd) == -1 && rc == STORE_OK)
		rc = store_io_fail(s, "close", path, errno);
	free(path);
	return rc;
}

/* Make a name made in digest's blob directory durable: 0 or -1 (errno). */
static int
sync_blob_dir(struct store *s, const char *digest)
{
	char *bdir;
	int rc;

	bdir = xasprintf("%s/%.6s", STORE_DIR_BLOBS, digest);
	rc = sync_dir(s, bdir);
	free(bdir);
	return rc;
}

/* Rename the upload file to the blob file, or drop it if that exists. */
static int
place_file(struct store *s, const char *upath, const char *bpath,
    const char *digest)
{
	struct stat sb;
	int rc = STORE_OK;

	if (stat(bpath, &sb) == 0)
		return finish_existing(bpath, upath);
	if (errno != ENOENT)
		return store_io_fail(s, "stat", bpath, errno);
	if (rename(upath, bpath) == -1 || sync_blob_dir(s, digest) == -1)
		rc = store_io_fail(s, "rename", bpath, errno);
	return rc;
}

int
store_upload_file_place(struct store *s, const char *id, const char *digest)
{
	char *upath = NULL, *bpath = NULL;
	int rc = STORE_TOOBIG;

	if ((bpath = store_files_blob_path(s, digest)) != NULL &&
	    (upath = store_files_upload_path(s, id)) != NULL)
		rc = place_file(s, upath, bpath, digest);
	free(upath);
	free(bpath);
	return rc;
}

int
store_upload_file_link(struct store *s, const char *id, const char *digest)
{
	char *upath = NULL, *bpath;
	int rc = STORE_TOOBIG;

	if ((bpath = store_files_blob_path(s, digest)) == NULL ||
	    (upath = store_files_upload_path(s, id)) == NULL)
		goto out;
	rc = STORE_OK;
	if (link(upath, bpath) == -1) {
		if (errno != EEXIST)
			rc = store_io_fail(s, "link", bpath, errno);
	} else if (sync_blob_dir(s, digest) == -1)
		rc = store_io_fail(s, "fsync", bpath, errno);
out:
	free(upath);
	free(bpath);
	return rc;
}

void
store_blob_pin(struct store *s, const char *digest)
{
	pthread_mutex_lock(&s->files_mtx);
	if (s->n_pins == s->pins_size) {
		s->pins_size = s->pins_size == 0 ? 16 : s->pins_size * 2;
		s->pins = xreallocarray(s->pins, s->pins_size, sizeof *s->pins);
	}
	s->pins[s->n_pins++] = xstrdup(digest);
	pthread_mutex_unlock(&s->files_mtx);
}

void
store_blob_unpin(struct store *s, const char *digest)
{
	size_t i;

	pthread_mutex_lock(&s->files_mtx);
	for (i = 0; i < s->n_pins; i++) {
		if (strcmp(s->pins[i], digest) == 0) {
			free(s->pins[i]);
			s->pins[i] = s->pins[--s->n_pins];
			break;
		}
	}
	pthread_mutex_unlock(&s->files_mtx);
}

void
store_upload_pin(struct store *s, const char *id)
{
	store_blob_pin(s, id);
}

void
store_upload_unpin(struct store *s, const char *id)
{
	store_blob_unpin(s, id);
}

bool
store_blob_is_pinned(const struct store *s, const char *digest)
{
	size_t i;

	for (i = 0; i < s->n_pins; i++) {
		if (strcmp(s->pins[i], digest) == 0)
			return true;
	}
	return false;
}

int
store_upload_file_finish(struct store *s, const char *id, uint64_t len,
    const char *digest)
{
	struct stat sb;
	char *bpath, *upath = NULL;
	int rc = STORE_TOOBIG;

	if ((bpath = store_files_blob_path(s, digest)) == NULL ||
	    (upath = store_files_upload_path(s, id)) == NULL)
		goto out;
	/* An existing blob needs no sync of the upload file it replaces. */
	if (stat(bpath, &sb) == 0)
		rc = stat(upath, &sb) == 0 ? STORE_OK
		     : errno == ENOENT     ? STORE_NOTFOUND
		                           : STORE_IO;
	else
		rc = store_upload_file_prepare(s, id, len);
out:
	free(upath);
	free(bpath);
	if (rc != STORE_OK)
		return rc;
	return store_upload_file_place(s, id, digest);
}

int
store_upload_file_remove(struct store *s, const char *id)
{
	char *path;
	int rc = STORE_OK;

	if ((path = store_files_upload_path(s, id)) == NULL)
		return STORE_TOOBIG;
	if (unlink(path) == -1 && errno != ENOENT)
		rc = STORE_IO;
	free(path);
	return rc;
}

/*
 * A streaming writer on an upload file, for registry bodies that arrive in
 * pieces: open at offset (cutting what lay past it), append, then sync.
 *
 * Whole blocks go with O_DIRECT where the file system takes it: a stream
 * is written once and read back seldom and later, and copying it into the
 * page cache cost more CPU than the rest of a push together (issue 12: a
 * fresh page per 4 KiB, on a VM). The buffer is page-aligned for that; a
 * stream starting inside a block fills only up to the next block boundary
 * in its first round, and the last, partial block is written buffered.
 */
#define WRITER_BUF STORE_WRITER_SPACE_MAX /* gathered per pwrite */
#define WRITER_ALIGN 4096                 /* O_DIRECT's unit */
#define WRITER_IOV_MAX 16                 /* pieces gathered per pwritev */

struct store_upload_writer {
	struct store *store;
	char *path; /* for store_io_cause */
	int fd;
	bool can_direct; /* O_DIRECT worked or may */
	bool is_direct;  /* fd has O_DIRECT now */
	uint64_t offset; /* where buf goes in the file */
	size_t used;
	size_t cap;         /* this round's room in buf */
	unsigned char *buf; /* WRITER_BUF bytes, mmap'd */
};

/* Switch fd's O_DIRECT on or off; false if the file system refuses it. */
static bool
writer_set_direct(struct store_upload_writer *w, bool on)
{
	int fl;

	if (w->is_direct == on)
		return true;
	if ((fl = fcntl(w->fd, F_GETFL)) == -1 ||
	    fcntl(w->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) == -1)
		return false;
	w->is_direct = on;
	return true;
}

/*
 * Write len bytes of buf at the writer's offset: directly when they are
 * whole aligned blocks from an aligned buffer.
 */
static int
writer_write(struct store_upload_writer *w, const unsigned char *buf,
    size_t len)
{
	bool direct = w->can_direct && w->offset % WRITER_ALIGN == 0 &&
	              len % WRITER_ALIGN == 0 &&
	              (uintptr_t)buf % WRITER_ALIGN == 0;

	if (direct && !writer_set_direct(w, true))
		direct = w->can_direct = false;
	if (!direct && !writer_set_direct(w, false))
		return -1;
	if (write_at(w->fd, buf, len, w->offset) == 0)
		return 0;
	/* A file system that takes the flag but not the write (EINVAL). */
	if (!direct || errno != EINVAL || !writer_set_direct(w, false))
		return -1;
	w->can_direct = false;
	return write_at(w->fd, buf, len, w->offset);
}

/*
 * Write the gathered bytes and start their writeback now (buffered ones),
 * so that the fdatasync at the end of a stream waits only for the last of
 * them.
 */
static int
writer_flush(struct store_upload_writer *w)
{
	if (w->used == 0)
		return STORE_OK;
	if (writer_write(w, w->buf, w->used) != 0)
		return store_io_fail(w->store, "pwrite", w->path, errno);
#ifdef SYNC_FILE_RANGE_WRITE
	if (!w->store->is_ephemeral && !w->is_direct)
		(void)sync_file_range(w->fd, (off_t)w->offset, (off_t)w->used,
		    SYNC_FILE_RANGE_WRITE);
#endif
	w->offset += w->used;
	w->used = 0;
	w->cap = WRITER_BUF;
	return STORE_OK;
}

int
store_upload_writer_open(struct store *s, const char *id, uint64_t offset,
    struct store_upload_writer **out)
{
	struct store_upload_writer *w;
	char *path = NULL;
	void *buf;
	int fd, rc;

	if (offset > INT64_MAX)
		return STORE_IO;
	if ((rc = upload_open(s, id, &path, &fd)) != STORE_OK)
		return rc;
	buf = mmap(NULL, WRITER_BUF, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		rc = store_io_fail(s, "mmap", path, errno);
	else if (ftruncate(fd, (off_t)offset) == -1)
		rc = store_io_fail(s, "ftruncate", path, errno);
	if (rc != STORE_OK) {
		if (buf != MAP_FAILED)
			munmap(buf, WRITER_BUF);
		close(fd);
		free(path);
		return rc;
	}
	w = xcalloc(1, sizeof *w);
	w->store = s;
	w->path = path;
	w->fd = fd;
	w->can_direct = true;
	w->offset = offset;
	w->buf = buf;
	w->cap = WRITER_BUF - offset % WRITER_ALIGN;
	*out = w;
	return STORE_OK;
}

int
store_upload_writer_add(struct store_upload_writer *w, const void *data,
    size_t len)
{
	const unsigned char *p = data;
	size_t n;
	int rc;

	if (len > INT64_MAX - w->offset - w->used)
		return STORE_IO;
	/* Whole blocks of an aligned buffer at a block boundary: no copy. */
	if (w->used == 0 && w->can_direct && w->offset % WRITER_ALIGN == 0 &&
	    (uintptr_t)p % WRITER_ALIGN == 0 && len >= WRITER_ALIGN) {
		n = len - len % WRITER_ALIGN;
		if (writer_write(w, p, n) != 0)
			return store_io_fail(w->store, "pwrite", w->path,
			    errno);
		w->offset += n;
		p += n;
		len -= n;
	}
	while (len > 0) {
		n = w->cap - w->used < len ? w->cap - w->used : len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == w->cap && (rc = writer_flush(w)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/*
 * The leading pieces of iov that one direct pwritev takes (whole aligned
 * blocks from aligned buffers at a block boundary), and their bytes.
 */
static size_t
writer_direct_run(const struct store_upload_writer *w, const struct iovec *iov,
    size_t n, size_t *bytes)
{
	size_t k;

	*bytes = 0;
	if (w->used != 0 || !w->can_direct || w->offset % WRITER_ALIGN != 0)
		return 0;
	for (k = 0; k < n && k < WRITER_IOV_MAX; k++) {
		if ((uintptr_t)iov[k].iov_base % WRITER_ALIGN != 0 ||
		    iov[k].iov_len == 0 || iov[k].iov_len % WRITER_ALIGN != 0 ||
		    iov[k].iov_len > INT64_MAX - w->offset - *bytes)
			break;
		*bytes += iov[k].iov_len;
	}
	return k;
}

int
store_upload_writer_addv(struct store_upload_writer *w, const struct iovec *iov,
    size_t n)
{
	size_t k, i, bytes, skip = 0;
	ssize_t done = -1;
	int rc;

	if ((k = writer_direct_run(w, iov, n, &bytes)) > 1 &&
	    writer_set_direct(w, true)) {
		do
			done = pwritev(w->fd, iov, (int)k, (off_t)w->offset);
		while (done == -1 && errno == EINTR);
	}
	/* Refused or short (or nothing to gather): the rest piece by piece. */
	if (done > 0) {
		w->offset += (uint64_t)done;
		skip = (size_t)done;
	}
	for (i = 0; i < n; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		if ((rc = store_upload_writer_add(w,
		         (const unsigned char *)iov[i].iov_base + skip,
		         iov[i].iov_len - skip)) != STORE_OK)
			return rc;
		skip = 0;
	}
	return STORE_OK;
}

int
store_upload_writer_space(struct store_upload_writer *w, size_t want,
    unsigned char **out)
{
	int rc;

	if (want > WRITER_BUF ||
	    want > (uint64_t)INT64_MAX - w->offset - w->used)
		return STORE_IO;
	if (w->cap - w->used < want && (rc = writer_flush(w)) != STORE_OK)
		return rc;
	/* A first round too short for want: give up its alignment. */
	if (w->cap < want)
		w->cap = WRITER_BUF;
	*out = w->buf + w->used;
	return STORE_OK;
}

int
store_upload_writer_commit(struct store_upload_writer *w, size_t len)
{
	w->used += len;
	if (w->used == w->cap)
		return writer_flush(w);
	return STORE_OK;
}

int
store_upload_writer_close(struct store_upload_writer *w, bool sync)
{
	int rc = STORE_OK;

	if (w == NULL)
		return STORE_OK;
	/* Unsynced closes abandon the stream: its bytes are not counted. */
	if (sync && (rc = writer_flush(w)) == STORE_OK &&
	    sync_fd(w->store, w->fd, true) != 0)
		rc = store_io_fail(w->store, "fdatasync", w->path, errno);
	if (close(w->fd) == -1 && rc == STORE_OK)
		rc = store_io_fail(w->store, "close", w->path, errno);
	munmap(w->buf, WRITER_BUF);
	free(w->path);
	free(w);
	return rc;
}

int
store_upload_file_open(struct store *s, const char *id, int *fd)
{
	char *path;
	int f;

	if ((path = store_files_upload_path(s, id)) == NULL)
		return STORE_TOOBIG;
	f = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (f == -1)
		return errno == ENOENT ? STORE_NOTFOUND : STORE_IO;
	*fd = f;
	return STORE_OK;
}
