/*
 * The credential helper's token cache: docker asks for credentials before
 * every pull and push, and a GetAuthorizationToken per ask would be slow
 * and, in strict mode, noisy. One small JSON file per (endpoint, server,
 * region, access key), readable by its owner only.
 */
#include "credhelper/credhelper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/sha256.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"

#define PREFIX "token-"
#define SUFFIX ".json"
#define ENTRY_MAX (64 * 1024)

int
ch_read_fd(int fd, size_t max, char **out, size_t *len)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;

	buf_init(&b, max);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (buf_add(&b, chunk, (size_t)n) != 0)
			break;
	}
	if (n != 0 || buf_add(&b, "", 1) != 0) {
		if (b.data != NULL)
			sodium_memzero(b.data, b.len);
		buf_release(&b);
		return -1;
	}
	*out = buf_take(&b, len);
	if (len != NULL)
		(*len)--;
	return 0;
}

/* $XDG_CACHE_HOME/ecrd, else $HOME/.cache/ecrd; NULL if neither is set. */
static char *
cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	/* The XDG spec: a relative path is to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/ecrd", xdg);
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.cache/ecrd", home);
	return NULL;
}

/* The directory and its parent, for the owner alone when we make them. */
static int
make_dir(const char *dir, char **cause)
{
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/');

	if (slash != NULL && slash != parent) {
		*slash = '\0';
		(void)mkdir(parent, 0700);
	}
	free(parent);
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	*cause = xasprintf("%s: %s", dir, strerror(errno));
	return -1;
}

static char *
entry_path(const char *dir, const struct ch_target *t,
    const struct ch_creds *cr)
{
	const char *parts[4] = {t->endpoint, t->server, t->region,
	    cr->access_key != NULL ? cr->access_key : ""};
	unsigned char digest[SHA256_DIGEST_LEN];
	struct sha256_state st;
	char hex[2 * SHA256_DIGEST_LEN + 1];
	size_t i;

	sha256_init(&st);
	for (i = 0; i < 4; i++)
		sha256_update(&st, parts[i], strlen(parts[i]) + 1);
	sha256_final(&st, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	return xasprintf("%s/" PREFIX "%s" SUFFIX, dir, hex);
}

/* An entry's JSON, if the file is ours alone (no one else could plant it). */
static struct json_object *
read_entry(const char *path)
{
	struct json_object *o = NULL;
	struct stat sb;
	char *text = NULL;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_uid == geteuid() && (sb.st_mode & 077) == 0 &&
	    ch_read_fd(fd, ENTRY_MAX, &text, &len) == 0 &&
	    jparse_strict(text, len, &o, NULL) == JPARSE_NUL) {
		/* We never write a NUL: not our entry. */
		json_object_put(o);
		o = NULL;
	}
	close(fd);
	str_wipe_free(text);
	return o;
}

static bool
entry_is(struct json_object *o, const char *key, const char *want)
{
	const char *v = jget_str(o, key);

	return v != NULL && strcmp(v, want) == 0;
}

int
ch_cache_get(const struct ch_target *t, const struct ch_creds *cr, int64_t now,
    struct ch_token *out)
{
	struct json_object *o, *exp;
	char *dir, *path;
	int rc = -1;

	if ((dir = cache_dir()) == NULL)
		return -1;
	path = entry_path(dir, t, cr);
	o = read_entry(path);
	exp = jget(o, "expiresAt", json_type_int);
	if (exp != NULL && entry_is(o, "serverURL", t->server) &&
	    entry_is(o, "endpoint", t->endpoint) &&
	    jget_str(o, "username") != NULL && jget_str(o, "secret") != NULL &&
	    json_object_get_int64(exp) - CH_REFRESH_MARGIN_SEC > now) {
		out->username = xstrdup(jget_str(o, "username"));
		out->password = xstrdup(jget_str(o, "secret"));
		out->expires_at = json_object_get_int64(exp);
		rc = 0;
	}
	json_object_put(o);
	free(path);
	free(dir);
	return rc;
}

/* Write text to path through a temporary file (mode 0600), then rename. */
static int
write_entry(const char *dir, const char *path, const char *text, char **cause)
{
	char *tmp = xasprintf("%s/.tmp-XXXXXX", dir);
	size_t len = strlen(text);
	int fd, rc = -1;

	if ((fd = mkstemp(tmp)) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
	    close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (rc != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int
ch_cache_put(const struct ch_target *t, const struct ch_creds *cr,
    const struct ch_token *tok, char **cause)
{
	struct json_object *o;
	char *dir, *path = NULL, *text = NULL;
	int rc = -1;

	if ((dir = cache_dir()) == NULL) {
		*cause = xstrdup("neither XDG_CACHE_HOME nor HOME is set");
		return -1;
	}
	o = jnew_obj();
	jadd_str(o, "serverURL", t->server);
	jadd_str(o, "endpoint", t->endpoint);
	jadd_str(o, "region", t->region);
	jadd_str(o, "username", tok->username);
	jadd_str(o, "secret", tok->password);
	jadd_i64(o, "expiresAt", tok->expires_at);
	text = jrender(o, NULL);
	json_object_put(o);
	if (make_dir(dir, cause) != 0)
		goto out;
	path = entry_path(dir, t, cr);
	rc = write_entry(dir, path, text, cause);
out:
	str_wipe_free(text);
	free(path);
	free(dir);
	return rc;
}

/*
 * Call fn on each cache entry (path and JSON); a missing directory holds
 * none. -1 with *cause if the directory cannot be read.
 */
static int
each_entry(void (*fn)(const char *, struct json_object *, void *), void *arg,
    char **cause)
{
	struct json_object *o;
	struct dirent *de;
	char *dir, *path;
	size_t len;
	DIR *d;

	if ((dir = cache_dir()) == NULL || (d = opendir(dir)) == NULL) {
		if (dir != NULL && errno != ENOENT) {
			*cause = xasprintf("%s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (!str_has_prefix(de->d_name, PREFIX) ||
		    len < strlen(SUFFIX) ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if ((o = read_entry(path)) != NULL)
			fn(path, o, arg);
		json_object_put(o);
		free(path);
	}
	closedir(d);
	free(dir);
	return 0;
}

struct erase {
	const char *server;
};

static void
erase_one(const char *path, struct json_object *o, void *arg)
{
	const struct erase *e = arg;

	if (entry_is(o, "serverURL", e->server))
		(void)unlink(path);
}

int
ch_cache_erase(const char *server, char **cause)
{
	struct erase e = {server};

	return each_entry(erase_one, &e, cause);
}

static void
list_one(const char *path, struct json_object *o, void *arg)
{
	const char *server = jget_str(o, "serverURL");

	(void)path;
	/* Keys are server URLs, not literals: jadd_str cannot take them. */
	if (server != NULL && jget(arg, server, json_type_string) == NULL)
		json_object_object_add(arg, server,
		    json_object_new_string(jget_str(o, "username") != NULL
		                               ? jget_str(o, "username")
		                               : "AWS"));
}

int
ch_cache_list(char **out_json, char **cause)
{
	struct json_object *o = jnew_obj();
	int rc;

	if ((rc = each_entry(list_one, o, cause)) == 0)
		*out_json = jrender(o, NULL);
	json_object_put(o);
	return rc;
}
