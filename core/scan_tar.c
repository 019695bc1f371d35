/*
 * The image's file system, as far as scanning needs it: each layer's tar
 * stream (ustar, pax and GNU long names) read in order, whiteouts and
 * opaque directories applied, and only the few files asked for kept in
 * memory (docs/scanning.md, "What is read").
 */
#include "core/scan_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/xalloc.h"

#define TAR_BLOCK 512
/* A member name or link target longer than this is refused. */
#define TAR_NAME_MAX 4096
/* pax extended headers hold a few records; more is not a layer. */
#define TAR_PAX_MAX (1024 * 1024)
/* Symbolic links followed when looking a kept file up. */
#define FS_LINKS_MAX 8
#define WHITEOUT ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

/* What the next member takes from pax or GNU headers before it. */
struct tar_pending {
	char *path, *link;
	bool has_size;
	uint64_t size;
};

struct tar_member {
	char type;
	char *path; /* normalised */
	char *link; /* as written; NULL if none */
	uint64_t size;
};

/* The state of one layer's read. */
struct tar_reader {
	struct scan_zio *z;
	const struct scan_limits *limits;
	bool (*want)(const char *);
	struct scan_fs *fs;
	size_t layer;
	uint64_t *n_entries;
	char **reason;
};

void
scan_fs_release(struct scan_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->files[i].path);
		free(fs->files[i].data);
		free(fs->files[i].link);
	}
	free(fs->files);
	memset(fs, 0, sizeof(*fs));
}

static void
fs_remove_at(struct scan_fs *fs, size_t i)
{
	fs->kept_bytes -= fs->files[i].len;
	free(fs->files[i].path);
	free(fs->files[i].data);
	free(fs->files[i].link);
	fs->files[i] = fs->files[--fs->n];
}

static bool
is_below(const char *path, const char *dir, size_t dir_len)
{
	return dir_len == 0 ||
	       (strncmp(path, dir, dir_len) == 0 && path[dir_len] == '/');
}

/*
 * Remove the kept files of lower layers that a whiteout of path hides:
 * the file at path itself (with self), and everything below it (with
 * below). Whiteouts never hide their own layer's files.
 */
static void
fs_hide(struct scan_fs *fs, const char *path, size_t layer, bool self,
    bool below)
{
	size_t len = strlen(path), i = 0;
	const struct scan_file *f;

	while (i < fs->n) {
		f = &fs->files[i];
		if (f->layer < layer &&
		    ((self && strcmp(f->path, path) == 0) ||
		        (below && is_below(f->path, path, len))))
			fs_remove_at(fs, i);
		else
			i++;
	}
}

/*
 * Remove what a member at path replaces: the file there (of any layer:
 * a later member wins), and, for a non-directory, the tree a lower layer
 * had below it.
 */
static void
fs_hide_member(struct scan_fs *fs, const char *path, size_t layer,
    bool is_nondir)
{
	size_t len = strlen(path), i = 0;
	const struct scan_file *f;

	while (i < fs->n) {
		f = &fs->files[i];
		if (strcmp(f->path, path) == 0 ||
		    (is_nondir && f->layer < layer &&
		        is_below(f->path, path, len)))
			fs_remove_at(fs, i);
		else
			i++;
	}
}

static struct scan_file *
fs_add(struct scan_fs *fs, const char *path, size_t layer)
{
	struct scan_file *f;

	if (fs->n == fs->size) {
		fs->size = fs->size == 0 ? 8 : fs->size * 2;
		fs->files =
		    xreallocarray(fs->files, fs->size, sizeof(*fs->files));
	}
	f = &fs->files[fs->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->layer = layer;
	return f;
}

static const struct scan_file *
fs_find(const struct scan_fs *fs, const char *path)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->files[i].path, path) == 0)
			return &fs->files[i];
	return NULL;
}

int
scan_path_normalise(char *path)
{
	char *src = path, *dst = path, *end;
	size_t len;

	while (*src != '\0') {
		while (*src == '/')
			src++;
		if (*src == '\0')
			break;
		end = strchr(src, '/');
		len = end != NULL ? (size_t)(end - src) : strlen(src);
		if (len == 2 && src[0] == '.' && src[1] == '.')
			return -1;
		if (!(len == 1 && src[0] == '.')) {
			if (dst != path)
				*dst++ = '/';
			memmove(dst, src, len);
			dst += len;
		}
		src += len;
	}
	*dst = '\0';
	return 0;
}

/*
 * Resolve a link's target against the directory of the link at path,
 * lexically ("..", at the root, stays there: the image's root is its
 * "/"). Returns the normalised path to free.
 */
static char *
resolve_link(const char *path, const char *target)
{
	struct buf b;
	const char *slash = strrchr(path, '/'), *p = target, *end;
	char *out, *cut;
	size_t len;

	buf_init(&b, 2 * TAR_NAME_MAX + 2);
	if (*target != '/' && slash != NULL)
		buf_add(&b, path, (size_t)(slash - path));
	while (*p != '\0') {
		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (b.data != NULL &&
			    (cut = strrchr(b.data, '/')) != NULL)
				b.len = (size_t)(cut - b.data);
			else
				b.len = 0;
			if (b.data != NULL)
				b.data[b.len] = '\0';
		} else if (len > 0 && !(len == 1 && *p == '.')) {
			if (b.len > 0)
				buf_add(&b, "/", 1);
			buf_add(&b, p, len);
		}
		p += len;
	}
	out = buf_take(&b, NULL);
	return out != NULL ? out : xstrdup("");
}

const struct scan_file *
scan_fs_get(const struct scan_fs *fs, const char *path)
{
	const struct scan_file *f = fs_find(fs, path);
	char *next = NULL;
	int hops;

	for (hops = 0; f != NULL && f->link != NULL; hops++) {
		if (hops == FS_LINKS_MAX) {
			f = NULL;
			break;
		}
		free(next);
		next = resolve_link(f->path, f->link);
		f = fs_find(fs, next);
	}
	free(next);
	return f;
}

/* Read exactly n bytes; -1 with the reason when the layer ends first. */
static int
read_exact(struct tar_reader *r, void *buf, size_t n, size_t *got)
{
	size_t part;

	*got = 0;
	while (*got < n) {
		if (scan_zio_read(r->z, (char *)buf + *got, n - *got, &part,
		        r->reason) != 0)
			return -1;
		if (part == 0)
			break;
		*got += part;
	}
	return 0;
}

static int
fail(struct tar_reader *r, const char *why)
{
	*r->reason = xstrdup(why);
	return -1;
}

/* Skip n bytes of the layer; a layer that ends first is truncated. */
static int
skip(struct tar_reader *r, uint64_t n)
{
	bool is_short;

	if (scan_zio_skip(r->z, n, &is_short, r->reason) != 0)
		return -1;
	if (is_short)
		return fail(r, "the tar stream is truncated");
	return 0;
}

static uint64_t
padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

/* Skip a member's data and the padding to the next block. */
static int
skip_data(struct tar_reader *r, uint64_t size)
{
	return skip(r, size + padding(size));
}

/*
 * Read a member's data (size bytes, at most a limit the caller checked)
 * into memory, NUL-terminated, then skip the padding.
 */
static char *
read_data(struct tar_reader *r, uint64_t size)
{
	char *data = xmalloc((size_t)size + 1);
	size_t got;

	if (read_exact(r, data, (size_t)size, &got) != 0)
		goto fail;
	if (got < size) {
		fail(r, "the tar stream is truncated");
		goto fail;
	}
	data[size] = '\0';
	if (skip(r, padding(size)) != 0)
		goto fail;
	return data;
fail:
	free(data);
	return NULL;
}

/*
 * A numeric header field: octal digits between optional leading spaces
 * and a space or NUL, or GNU's base-256 (a first byte of 0x80) for big
 * sizes. Returns 0, or -1 if malformed or negative.
 */
static int
parse_number(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] == 0x80) {
		for (i = 1; i < len; i++) {
			if (v >> 55 != 0)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60 != 0)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (i < len && f[i] != ' ' && f[i] != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * The header checksum: its bytes summed with the checksum field as
 * spaces (unsigned, as POSIX says, or signed, as old tars wrote it).
 */
static bool
is_checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long sum = 0;
	long ssum = 0;
	size_t i;

	if (parse_number(h + 148, 8, &want) != 0)
		return false;
	for (i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		sum += c;
		ssum += (signed char)c;
	}
	return want == sum || (ssum >= 0 && want == (uint64_t)ssum);
}

static bool
is_zero_block(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		if (h[i] != 0)
			return false;
	return true;
}

static void
pending_release(struct tar_pending *p)
{
	free(p->path);
	free(p->link);
	memset(p, 0, sizeof(*p));
}

/* A GNU long name or link ('L', 'K'): the data is the name. */
static int
read_long_name(struct tar_reader *r, uint64_t size, char **dst)
{
	char *name;

	if (size == 0 || size > TAR_NAME_MAX)
		return fail(r, "a GNU long name is too long");
	if ((name = read_data(r, size)) == NULL)
		return -1;
	free(*dst);
	*dst = name;
	return 0;
}

/* One pax record's key and value: the ones members take. */
static int
pax_record(struct tar_reader *r, const char *key, size_t key_len,
    const char *val, size_t val_len, struct tar_pending *p)
{
	char num[32];
	uint64_t v;
	const char *errstr;

	if (key_len == 4 && memcmp(key, "path", 4) == 0) {
		if (val_len == 0 || val_len > TAR_NAME_MAX)
			return fail(r, "a pax path is empty or too long");
		free(p->path);
		p->path = xstrndup(val, val_len);
	} else if (key_len == 8 && memcmp(key, "linkpath", 8) == 0) {
		if (val_len > TAR_NAME_MAX)
			return fail(r, "a pax linkpath is too long");
		free(p->link);
		p->link = xstrndup(val, val_len);
	} else if (key_len == 4 && memcmp(key, "size", 4) == 0) {
		if (val_len == 0 || val_len >= sizeof(num))
			return fail(r, "a pax size is malformed");
		memcpy(num, val, val_len);
		num[val_len] = '\0';
		if (parse_u64(num, 0, INT64_MAX, &v, &errstr) != 0)
			return fail(r, "a pax size is malformed");
		p->size = v;
		p->has_size = true;
	}
	return 0;
}

/* A pax extended header ('x'): "LEN KEY=VALUE\n" records. */
static int
read_pax(struct tar_reader *r, uint64_t size, struct tar_pending *p)
{
	char *data, *rec, *sp, *eq, *end;
	uint64_t len;
	const char *errstr;
	int rc = -1;

	if (size > TAR_PAX_MAX)
		return fail(r, "a pax header is too large");
	if ((data = read_data(r, size)) == NULL)
		return -1;
	for (rec = data; rec < data + size; rec = end) {
		sp = memchr(rec, ' ', (size_t)(data + size - rec));
		if (sp == NULL || sp - rec > 20)
			goto bad;
		*sp = '\0';
		if (parse_u64(rec, 1, (uint64_t)(data + size - rec), &len,
		        &errstr) != 0)
			goto bad;
		end = rec + len;
		if (end <= sp + 1)
			goto bad;
		eq = memchr(sp + 1, '=', (size_t)(end - sp - 1));
		if (eq == NULL || end[-1] != '\n')
			goto bad;
		if (pax_record(r, sp + 1, (size_t)(eq - sp - 1), eq + 1,
		        (size_t)(end - 1 - eq - 1), p) != 0)
			goto out;
	}
	rc = 0;
	goto out;
bad:
	fail(r, "a pax header is malformed");
out:
	free(data);
	return rc;
}

/* A header field as a string (fields need not end in a NUL). */
static size_t
field_len(const unsigned char *f, size_t size)
{
	const unsigned char *nul = memchr(f, '\0', size);

	return nul != NULL ? (size_t)(nul - f) : size;
}

/*
 * The member's path: the pending pax or GNU name, else the header's,
 * with POSIX ustar's prefix before it.
 */
static char *
header_path(const unsigned char *h, struct tar_pending *p)
{
	size_t name_len = field_len(h, 100), prefix_len;
	char *path;

	if (p->path != NULL) {
		path = p->path;
		p->path = NULL;
		return path;
	}
	/* "ustar\0" is POSIX's magic; GNU's "ustar  " has no prefix. */
	if (memcmp(h + 257, "ustar", 6) == 0 &&
	    (prefix_len = field_len(h + 345, 155)) > 0)
		return xasprintf("%.*s/%.*s", (int)prefix_len, h + 345,
		    (int)name_len, h);
	return xstrndup((const char *)h, name_len);
}

/* Keep a wanted regular file's data, within the byte limit. */
static int
keep_file(struct tar_reader *r, const struct tar_member *m)
{
	struct scan_fs *fs = r->fs;
	struct scan_file *f;
	char *data;

	if (m->size > r->limits->max_file_bytes ||
	    fs->kept_bytes + m->size > r->limits->max_file_bytes) {
		*r->reason = xasprintf("/%s is larger than %zu bytes", m->path,
		    r->limits->max_file_bytes);
		return -1;
	}
	if ((data = read_data(r, m->size)) == NULL)
		return -1;
	f = fs_add(fs, m->path, r->layer);
	f->data = data;
	f->len = (size_t)m->size;
	fs->kept_bytes += f->len;
	return 0;
}

/* A hard link to a kept file is a copy of it (a link to a link too). */
static void
keep_hard_link(struct tar_reader *r, const struct tar_member *m)
{
	char *target = xstrdup(m->link);
	const struct scan_file *src;
	struct scan_file *f;

	if (scan_path_normalise(target) == 0 &&
	    (src = fs_find(r->fs, target)) != NULL &&
	    (src->link != NULL ||
	        r->fs->kept_bytes + src->len <= r->limits->max_file_bytes)) {
		f = fs_add(r->fs, m->path, r->layer);
		src = fs_find(r->fs, target); /* fs_add may have moved it */
		if (src->link != NULL)
			f->link = xstrdup(src->link);
		else {
			f->data = xmemdup(src->data, src->len + 1);
			f->len = src->len;
			r->fs->kept_bytes += f->len;
		}
	}
	free(target);
}

/*
 * A whiteout (".wh.NAME") hides NAME of lower layers; an opaque marker
 * (".wh..wh..opq") everything below its directory in lower layers.
 * Other ".wh..wh." names are aufs's own bookkeeping.
 */
static void
apply_whiteout(struct tar_reader *r, const char *path, const char *base)
{
	size_t dir_len = (size_t)(base - path);
	char *hidden;

	if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
		hidden = xstrndup(path, dir_len > 0 ? dir_len - 1 : 0);
		fs_hide(r->fs, hidden, r->layer, false, true);
	} else if (strncmp(base, WHITEOUT WHITEOUT, 8) == 0) {
		return;
	} else {
		hidden = xasprintf("%.*s%s", (int)dir_len, path,
		    base + strlen(WHITEOUT));
		fs_hide(r->fs, hidden, r->layer, true, true);
	}
	free(hidden);
}

static int
apply_member(struct tar_reader *r, const struct tar_member *m)
{
	const char *slash = strrchr(m->path, '/');
	const char *base = slash != NULL ? slash + 1 : m->path;
	bool is_regular = m->type == '0' || m->type == '\0' || m->type == '7';

	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
		apply_whiteout(r, m->path, base);
		return skip_data(r, m->size);
	}
	/* A member replaces what was at its path; a non-directory also
	 * replaces the directory tree a lower layer had there. */
	fs_hide_member(r->fs, m->path, r->layer, m->type != '5');
	if (r->want(m->path)) {
		if (is_regular)
			return keep_file(r, m);
		if (m->type == '2' && m->link != NULL)
			fs_add(r->fs, m->path, r->layer)->link =
			    xstrdup(m->link);
		else if (m->type == '1' && m->link != NULL)
			keep_hard_link(r, m);
	}
	return skip_data(r, m->size);
}

/* A member's header (after any pax or GNU headers before it). */
static int
read_member(struct tar_reader *r, const unsigned char *h, uint64_t size,
    struct tar_pending *p)
{
	struct tar_member m = {.type = (char)h[156]};
	size_t link_len = field_len(h + 157, 100);
	int rc = -1;

	m.path = header_path(h, p);
	if (p->link != NULL)
		m.link = xstrdup(p->link);
	else if (link_len > 0)
		m.link = xstrndup((const char *)h + 157, link_len);
	m.size = p->has_size ? p->size : size;
	/* Links, directories and devices carry no data in the stream. */
	if (m.type == '1' || m.type == '2' || m.type == '3' || m.type == '4' ||
	    m.type == '5' || m.type == '6')
		m.size = 0;
	pending_release(p);
	if (scan_path_normalise(m.path) != 0) {
		fail(r, "a member's path leaves the image's root ('..')");
		goto out;
	}
	if (*m.path == '\0')
		rc = skip_data(r, m.size);
	else
		rc = apply_member(r, &m);
out:
	free(m.path);
	free(m.link);
	return rc;
}

/* One header block: a member, or a pax or GNU header for the next. */
static int
read_header(struct tar_reader *r, const unsigned char *h, struct tar_pending *p)
{
	uint64_t size;

	if (!is_checksum_ok(h))
		return fail(r, "a tar header is corrupt (bad checksum)");
	if (++*r->n_entries > r->limits->max_entries) {
		*r->reason = xasprintf("the image has more than %llu tar "
		                       "entries",
		    (unsigned long long)r->limits->max_entries);
		return -1;
	}
	if (parse_number(h + 124, 12, &size) != 0 || size > INT64_MAX)
		return fail(r, "a tar header's size is malformed");
	switch (h[156]) {
	case 'L':
		return read_long_name(r, size, &p->path);
	case 'K':
		return read_long_name(r, size, &p->link);
	case 'x':
		return read_pax(r, size, p);
	case 'g':
		/* Global pax headers set defaults we have no use for. */
		return skip_data(r, size);
	default:
		return read_member(r, h, size, p);
	}
}

/*
 * One layer's members up to its end-of-archive marker (two zero blocks)
 * or the end of the stream at a block boundary.
 */
static int
read_layer(struct tar_reader *r)
{
	unsigned char h[TAR_BLOCK];
	struct tar_pending p = {0};
	size_t got;
	int zeros = 0, rc = -1;

	for (;;) {
		if (read_exact(r, h, sizeof(h), &got) != 0)
			goto out;
		if (got == 0)
			break;
		if (got < sizeof(h)) {
			fail(r, "the tar stream is truncated");
			goto out;
		}
		if (is_zero_block(h)) {
			if (++zeros == 2)
				break;
			continue;
		}
		zeros = 0;
		if (read_header(r, h, &p) != 0)
			goto out;
	}
	rc = 0;
out:
	pending_release(&p);
	return rc;
}

int
scan_layers_read(const struct scan_layer *layers, size_t n,
    const struct scan_limits *l, bool (*want)(const char *), struct scan_fs *fs,
    char **reason)
{
	struct tar_reader r = {.limits = l, .want = want, .fs = fs};
	uint64_t total = 0, n_entries = 0;
	char *why = NULL;
	size_t i;
	int rc;

	r.n_entries = &n_entries;
	r.reason = &why;
	for (i = 0; i < n; i++) {
		r.layer = i;
		if ((r.z = scan_zio_open(&layers[i], l, &total, &why)) == NULL)
			rc = -1;
		else
			rc = read_layer(&r);
		scan_zio_close(r.z);
		if (rc != 0) {
			*reason =
			    xasprintf("layer %zu of %zu: %s", i + 1, n, why);
			free(why);
			return -1;
		}
	}
	return 0;
}
