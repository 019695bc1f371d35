/*
 * An image's OS package inventory: the files the layer reader keeps
 * (/etc/os-release, dpkg's status, apk's installed database) parsed into
 * a scan_inventory, and its stored form (docs/scanning.md).
 */
#include "core/scan.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/scan_int.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether the counted string [s, s + len) is name. */
static bool
str_n_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

void
scan_limits_default(struct scan_limits *l)
{
	l->max_total_bytes = SCAN_MAX_TOTAL_BYTES;
	l->max_entries = SCAN_MAX_ENTRIES;
	l->max_ratio = SCAN_MAX_RATIO;
	l->ratio_after = SCAN_RATIO_AFTER;
	l->max_file_bytes = SCAN_MAX_FILE_BYTES;
}

enum scan_result
scan_inventory_read(const struct scan_layer *layers, size_t n,
    struct scan_inventory *out, char **reason)
{
	struct scan_limits l;

	scan_limits_default(&l);
	return scan_inventory_read_limits(layers, n, &l, out, reason);
}

/* The files the reader keeps (docs/scanning.md, "What is read"). */
#define OS_RELEASE "etc/os-release"
#define OS_RELEASE_USR "usr/lib/os-release"
#define DPKG_STATUS "var/lib/dpkg/status"
#define DPKG_STATUS_D "var/lib/dpkg/status.d/"
#define APK_INSTALLED "lib/apk/db/installed"
/* apk-tools 3 keeps its database under /usr (merged /usr images). */
#define APK_INSTALLED_USR "usr/lib/apk/db/installed"
/* os-release values longer than this are not an os-release. */
#define OS_VALUE_MAX 256

static bool
want(const char *path)
{
	const char *name;

	if (strcmp(path, OS_RELEASE) == 0 ||
	    strcmp(path, OS_RELEASE_USR) == 0 ||
	    strcmp(path, DPKG_STATUS) == 0 ||
	    strcmp(path, APK_INSTALLED) == 0 ||
	    strcmp(path, APK_INSTALLED_USR) == 0)
		return true;
	/* Distroless keeps one stanza file per package in status.d/. */
	if (strncmp(path, DPKG_STATUS_D, strlen(DPKG_STATUS_D)) != 0)
		return false;
	name = path + strlen(DPKG_STATUS_D);
	return *name != '\0' && strchr(name, '/') == NULL &&
	       !ends_with(name, ".md5sums");
}

/* Packages as they are parsed. */
struct pkg_list {
	struct scan_package *v;
	size_t n, size;
};

static void
pkg_list_add(struct pkg_list *l, struct scan_package *owned_p)
{
	if (l->n == l->size) {
		l->size = l->size == 0 ? 64 : l->size * 2;
		l->v = xreallocarray(l->v, l->size, sizeof(*l->v));
	}
	l->v[l->n++] = *owned_p;
	memset(owned_p, 0, sizeof(*owned_p));
}

static void
pkg_release(struct scan_package *p)
{
	free(p->name);
	free(p->version);
	free(p->source);
	free(p->source_version);
	memset(p, 0, sizeof(*p));
}

/* The next line of [*p, end), without its "\n" or "\r\n". */
static bool
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*len = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl != NULL ? nl + 1 : end;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

static char *
trimmed_dup(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xstrndup(s, len);
}

/*
 * An os-release value: "double quoted" (with \" \\ \$ \` escapes),
 * 'single quoted' or bare (os-release(5)); NULL if malformed.
 */
static char *
os_value(const char *v, size_t len)
{
	char *out, *o;
	char q;
	size_t i;

	if (len == 0 || (v[0] != '"' && v[0] != '\''))
		return trimmed_dup(v, len);
	q = v[0];
	out = o = xmalloc(len);
	for (i = 1; i < len && v[i] != q; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < len)
			i++;
		*o++ = v[i];
	}
	*o = '\0';
	if (i >= len) {
		free(out);
		return NULL;
	}
	return out;
}

struct os_release {
	char *id, *version_id, *pretty;
};

static void
os_release_release(struct os_release *os)
{
	free(os->id);
	free(os->version_id);
	free(os->pretty);
}

static void
parse_os_release(const struct scan_file *f, struct os_release *os)
{
	const char *p = f->data, *end = f->data + f->len, *line, *eq;
	char **dst;
	size_t len;

	while (next_line(&p, end, &line, &len)) {
		if ((eq = memchr(line, '=', len)) == NULL ||
		    len - (size_t)(eq - line) > OS_VALUE_MAX)
			continue;
		if (str_n_is(line, (size_t)(eq - line), "ID"))
			dst = &os->id;
		else if (str_n_is(line, (size_t)(eq - line), "VERSION_ID"))
			dst = &os->version_id;
		else if (str_n_is(line, (size_t)(eq - line), "PRETTY_NAME"))
			dst = &os->pretty;
		else
			continue;
		free(*dst);
		*dst = os_value(eq + 1, len - (size_t)(eq - line) - 1);
	}
}

/* The leading "N" or "N.N" of a version id, if it has one. */
static size_t
release_len(const char *v, int parts)
{
	size_t i = 0;

	while (parts-- > 0) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		while (v[i] >= '0' && v[i] <= '9')
			i++;
		if (parts > 0 && v[i++] != '.')
			return 0;
	}
	return i;
}

/*
 * OSV's ecosystem for the OS (docs/scanning.md, "Ecosystems"): Debian's
 * major release, Ubuntu's YY.MM, Alpine's v + major.minor; NULL for
 * an OS OSV's distro feeds do not cover.
 */
static char *
ecosystem_of(const struct os_release *os)
{
	const char *v = os->version_id != NULL ? os->version_id : "";
	size_t n;

	if (os->id == NULL)
		return NULL;
	if (strcmp(os->id, "debian") == 0) {
		/*
		 * testing and sid have no VERSION_ID; OSV names unnumbered
		 * Debian "Debian:sid" [unconfirmed for testing].
		 */
		if (*v == '\0')
			return xstrdup("Debian:sid");
		if ((n = release_len(v, 1)) > 0)
			return xasprintf("Debian:%.*s", (int)n, v);
	} else if (strcmp(os->id, "ubuntu") == 0) {
		if ((n = release_len(v, 2)) > 0)
			return xasprintf("Ubuntu:%.*s", (int)n, v);
	} else if (strcmp(os->id, "alpine") == 0) {
		if ((n = release_len(v, 2)) > 0)
			return xasprintf("Alpine:v%.*s", (int)n, v);
	}
	return NULL;
}

/* A dpkg field's name, case-insensitively (deb-control(5)). */
static bool
is_field(const char *line, size_t len, const char *name, const char **value,
    size_t *value_len)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || !str_ieq_n(line, n, name))
		return false;
	*value = line + n + 1;
	*value_len = len - n - 1;
	return true;
}

/*
 * Whether a Status value says the package's files are on disk: its
 * third word (the state) is "installed", whatever the wish (install,
 * hold, deinstall) and flag.
 */
static bool
is_installed(const char *status)
{
	const char *state = strrchr(status, ' ');

	return state != NULL && strcmp(state + 1, "installed") == 0;
}

/* "Source: name (version)" or "Source: name". */
static void
set_source(struct scan_package *p, const char *v, size_t len)
{
	const char *open = memchr(v, '(', len), *close;

	free(p->source);
	free(p->source_version);
	p->source_version = NULL;
	if (open == NULL) {
		p->source = trimmed_dup(v, len);
		return;
	}
	p->source = trimmed_dup(v, (size_t)(open - v));
	close = memchr(open, ')', len - (size_t)(open - v));
	if (close != NULL)
		p->source_version =
		    trimmed_dup(open + 1, (size_t)(close - open - 1));
}

/* End a stanza: keep the package when it is whole and installed. */
static void
dpkg_stanza_end(struct scan_package *p, char **status, bool need_status,
    struct pkg_list *l)
{
	bool is_on_disk =
	    *status != NULL ? is_installed(*status) : !need_status;

	if (p->name != NULL && *p->name != '\0' && p->version != NULL &&
	    *p->version != '\0' && is_on_disk) {
		if (p->source == NULL || *p->source == '\0') {
			free(p->source);
			p->source = xstrdup(p->name);
		}
		if (p->source_version == NULL || *p->source_version == '\0') {
			free(p->source_version);
			p->source_version = xstrdup(p->version);
		}
		pkg_list_add(l, p);
	}
	pkg_release(p);
	free(*status);
	*status = NULL;
}

/*
 * dpkg's status file: stanzas of "Field: value" lines, continuation
 * lines starting with white space, separated by blank lines. status.d's
 * stanzas may lack Status (need_status false): their presence says the
 * package is installed.
 */
static void
parse_dpkg(const struct scan_file *f, bool need_status, struct pkg_list *l)
{
	const char *p = f->data, *end = f->data + f->len, *line, *v;
	struct scan_package pkg = {0};
	char *status = NULL;
	size_t len, vlen;

	while (next_line(&p, end, &line, &len)) {
		if (len == 0) {
			dpkg_stanza_end(&pkg, &status, need_status, l);
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		if (is_field(line, len, "Package", &v, &vlen)) {
			free(pkg.name);
			pkg.name = trimmed_dup(v, vlen);
		} else if (is_field(line, len, "Version", &v, &vlen)) {
			free(pkg.version);
			pkg.version = trimmed_dup(v, vlen);
		} else if (is_field(line, len, "Source", &v, &vlen)) {
			set_source(&pkg, v, vlen);
		} else if (is_field(line, len, "Status", &v, &vlen)) {
			free(status);
			status = trimmed_dup(v, vlen);
		}
	}
	dpkg_stanza_end(&pkg, &status, need_status, l);
}

/* End an apk record: P and V make a package, o its origin. */
static void
apk_record_end(struct scan_package *p, struct pkg_list *l)
{
	if (p->name != NULL && *p->name != '\0' && p->version != NULL &&
	    *p->version != '\0') {
		if (p->source == NULL || *p->source == '\0') {
			free(p->source);
			p->source = xstrdup(p->name);
		}
		p->source_version = xstrdup(p->version);
		pkg_list_add(l, p);
	}
	pkg_release(p);
}

/* apk's installed database: "X:value" lines, records end at a blank. */
static void
parse_apk(const struct scan_file *f, struct pkg_list *l)
{
	const char *p = f->data, *end = f->data + f->len, *line;
	struct scan_package pkg = {0};
	char **dst;
	size_t len;

	while (next_line(&p, end, &line, &len)) {
		if (len == 0) {
			apk_record_end(&pkg, l);
			continue;
		}
		if (len < 2 || line[1] != ':')
			continue;
		if (line[0] == 'P')
			dst = &pkg.name;
		else if (line[0] == 'V')
			dst = &pkg.version;
		else if (line[0] == 'o')
			dst = &pkg.source;
		else
			continue;
		free(*dst);
		*dst = trimmed_dup(line + 2, len - 2);
	}
	apk_record_end(&pkg, l);
}

static int
pkg_cmp(const void *a, const void *b)
{
	const struct scan_package *x = a, *y = b;
	int rc = strcmp(x->name, y->name);

	return rc != 0 ? rc : strcmp(x->version, y->version);
}

/*
 * The packages of the image's database: dpkg's status and status.d/,
 * else apk's. Returns the format's name, or NULL if there is neither.
 */
static const char *
read_packages(const struct scan_fs *fs, struct pkg_list *l)
{
	const struct scan_file *f;
	bool has_dpkg = false;
	size_t i;

	if ((f = scan_fs_get(fs, DPKG_STATUS)) != NULL) {
		parse_dpkg(f, true, l);
		has_dpkg = true;
	}
	for (i = 0; i < fs->n; i++) {
		f = &fs->files[i];
		if (f->data != NULL && strncmp(f->path, DPKG_STATUS_D,
		                           strlen(DPKG_STATUS_D)) == 0) {
			parse_dpkg(f, false, l);
			has_dpkg = true;
		}
	}
	if (has_dpkg)
		return "dpkg";
	if ((f = scan_fs_get(fs, APK_INSTALLED)) != NULL ||
	    (f = scan_fs_get(fs, APK_INSTALLED_USR)) != NULL) {
		parse_apk(f, l);
		return "apk";
	}
	return NULL;
}

/* The inventory of the files kept, or why it cannot be taken. */
static enum scan_result
inventory_of(const struct scan_fs *fs, struct scan_inventory *out,
    char **reason)
{
	struct os_release os = {0};
	struct pkg_list l = {0};
	const struct scan_file *f;
	const char *format;
	char *ecosystem = NULL;
	size_t i;

	if ((format = read_packages(fs, &l)) == NULL) {
		*reason = xstrdup("the image has no OS package database "
		                  "(dpkg or apk)");
		goto unsupported;
	}
	if ((f = scan_fs_get(fs, OS_RELEASE)) == NULL)
		f = scan_fs_get(fs, OS_RELEASE_USR);
	if (f == NULL) {
		*reason = xstrdup("the image has no /etc/os-release");
		goto unsupported;
	}
	parse_os_release(f, &os);
	if ((ecosystem = ecosystem_of(&os)) == NULL) {
		*reason = xasprintf("the operating system '%s %s' is not "
		                    "Debian, Ubuntu or Alpine",
		    os.id != NULL ? os.id : "unknown",
		    os.version_id != NULL ? os.version_id : "");
		goto unsupported;
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), pkg_cmp);
	memset(out, 0, sizeof(*out));
	out->os_id = os.id;
	out->os_version_id = os.version_id;
	out->os_pretty = os.pretty;
	out->ecosystem = ecosystem;
	out->pkg_format = xstrdup(format);
	out->pkgs = l.v;
	out->n_pkgs = l.n;
	return SCAN_OK;
unsupported:
	os_release_release(&os);
	for (i = 0; i < l.n; i++)
		pkg_release(&l.v[i]);
	free(l.v);
	return SCAN_UNSUPPORTED;
}

enum scan_result
scan_inventory_read_limits(const struct scan_layer *layers, size_t n,
    const struct scan_limits *l, struct scan_inventory *out, char **reason)
{
	struct scan_fs fs = {0};
	enum scan_result rc;

	if (scan_layers_read(layers, n, l, want, &fs, reason) != 0)
		rc = SCAN_FAILED;
	else
		rc = inventory_of(&fs, out, reason);
	scan_fs_release(&fs);
	return rc;
}

void
scan_inventory_free(struct scan_inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_pkgs; i++) {
		free(inv->pkgs[i].name);
		free(inv->pkgs[i].version);
		free(inv->pkgs[i].source);
		free(inv->pkgs[i].source_version);
	}
	free(inv->pkgs);
	free(inv->os_id);
	free(inv->os_version_id);
	free(inv->os_pretty);
	free(inv->ecosystem);
	free(inv->pkg_format);
	memset(inv, 0, sizeof(*inv));
}

/*
 * The stored form: a format byte, then each string as a 32-bit
 * big-endian length (INV_NULL for none) and its bytes: the five OS
 * strings, the package count (32 bits), and four strings per package.
 */
#define INV_FORMAT 1
#define INV_NULL 0xffffffffU
/* Far more than any inventory the reader's limits let through. */
#define INV_ENCODED_MAX (1024U * 1024 * 1024)

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char be[4] = {(unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v};

	buf_add(b, be, sizeof(be));
}

static void
put_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		put_u32(b, INV_NULL);
		return;
	}
	put_u32(b, (uint32_t)strlen(s));
	buf_addstr(b, s);
}

char *
scan_inventory_encode(const struct scan_inventory *inv, size_t *len)
{
	const unsigned char format = INV_FORMAT;
	struct buf b;
	size_t i;

	buf_init(&b, INV_ENCODED_MAX);
	buf_add(&b, &format, 1);
	put_str(&b, inv->os_id);
	put_str(&b, inv->os_version_id);
	put_str(&b, inv->os_pretty);
	put_str(&b, inv->ecosystem);
	put_str(&b, inv->pkg_format);
	put_u32(&b, (uint32_t)inv->n_pkgs);
	for (i = 0; i < inv->n_pkgs; i++) {
		put_str(&b, inv->pkgs[i].name);
		put_str(&b, inv->pkgs[i].version);
		put_str(&b, inv->pkgs[i].source);
		put_str(&b, inv->pkgs[i].source_version);
	}
	return buf_take(&b, len);
}

/* A cursor over stored bytes; is_bad once anything does not fit. */
struct inv_reader {
	const unsigned char *p, *end;
	bool is_bad;
};

static uint32_t
get_u32(struct inv_reader *r)
{
	uint32_t v;

	if (r->end - r->p < 4) {
		r->is_bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static char *
get_str(struct inv_reader *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->is_bad || n == INV_NULL)
		return NULL;
	if ((size_t)(r->end - r->p) < n || memchr(r->p, '\0', n) != NULL) {
		r->is_bad = true;
		return NULL;
	}
	s = xstrndup((const char *)r->p, n);
	r->p += n;
	return s;
}

int
scan_inventory_decode(const char *data, size_t len, struct scan_inventory *out)
{
	struct inv_reader r = {(const unsigned char *)data,
	    (const unsigned char *)data + len, false};
	struct scan_inventory inv = {0};
	struct scan_package *p;
	uint32_t n;
	size_t i;

	if (len < 1 || r.p[0] != INV_FORMAT)
		return -1;
	r.p++;
	inv.os_id = get_str(&r);
	inv.os_version_id = get_str(&r);
	inv.os_pretty = get_str(&r);
	inv.ecosystem = get_str(&r);
	inv.pkg_format = get_str(&r);
	n = get_u32(&r);
	/* Each package takes 16 bytes at least: no allocation past that. */
	if (r.is_bad || n > (size_t)(r.end - r.p) / 16)
		goto bad;
	inv.pkgs = n > 0 ? xcalloc(n, sizeof(*inv.pkgs)) : NULL;
	for (i = 0; i < n && !r.is_bad; i++) {
		p = &inv.pkgs[inv.n_pkgs++];
		p->name = get_str(&r);
		p->version = get_str(&r);
		p->source = get_str(&r);
		p->source_version = get_str(&r);
		if (p->name == NULL || p->version == NULL ||
		    p->source == NULL || p->source_version == NULL)
			r.is_bad = true;
	}
	if (r.is_bad || r.p != r.end)
		goto bad;
	*out = inv;
	return 0;
bad:
	scan_inventory_free(&inv);
	return -1;
}
