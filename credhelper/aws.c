/*
 * Where the credential helper's call goes and what it signs with: the
 * endpoint and region for a server URL, and AWS credentials from the
 * environment or the shared credentials file, as the AWS CLI reads them.
 */
#include "credhelper/credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xalloc.h"

#define REGION_DEFAULT "us-east-1"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
ch_creds_release(struct ch_creds *c)
{
	str_wipe_free(c->access_key);
	str_wipe_free(c->secret_key);
	str_wipe_free(c->session_token);
	memset(c, 0, sizeof *c);
}

/* s[0..len) with blanks trimmed, as a new string. */
static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	return xasprintf("%.*s", (int)len, s);
}

/* One "key = value" line of the profile we want into c. */
static void
take_key(struct ch_creds *c, const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	char *key, **slot = NULL;

	if (eq == NULL)
		return;
	key = trimmed(line, (size_t)(eq - line));
	if (strcmp(key, "aws_access_key_id") == 0)
		slot = &c->access_key;
	else if (strcmp(key, "aws_secret_access_key") == 0)
		slot = &c->secret_key;
	else if (strcmp(key, "aws_session_token") == 0)
		slot = &c->session_token;
	free(key);
	if (slot == NULL)
		return;
	str_wipe_free(*slot);
	*slot = trimmed(eq + 1, len - (size_t)(eq + 1 - line));
}

/* The INI text's [profile] section into c. */
static void
parse_profile(struct ch_creds *c, const char *text, const char *profile)
{
	const char *line = text, *nl, *end;
	bool is_ours = false;
	size_t len;
	char *name;

	for (; *line != '\0'; line = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		while (line < nl && (*line == ' ' || *line == '\t'))
			line++;
		len = (size_t)(nl - line);
		if (len == 0 || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			if ((end = memchr(line, ']', len)) == NULL)
				continue;
			name = trimmed(line + 1, (size_t)(end - line - 1));
			is_ours = strcmp(name, profile) == 0;
			free(name);
		} else if (is_ours)
			take_key(c, line, len);
	}
}

static int
load_file(struct ch_creds *c, char **cause)
{
	const char *path = env("AWS_SHARED_CREDENTIALS_FILE");
	const char *profile = env("AWS_PROFILE");
	char *home_path = NULL, *text = NULL;
	int fd, rc = -1;

	if (profile == NULL)
		profile = "default";
	if (path == NULL && env("HOME") != NULL)
		path = home_path =
		    xasprintf("%s/.aws/credentials", env("HOME"));
	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc != 0)
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (ch_read_fd(fd, CH_FILE_MAX, &text, NULL) != 0) {
		*cause = xasprintf("%s: unreadable or larger than %d bytes",
		    path, CH_FILE_MAX);
		close(fd);
		goto out;
	}
	close(fd);
	parse_profile(c, text, profile);
	rc = 0;
out:
	str_wipe_free(text);
	free(home_path);
	return rc;
}

int
ch_creds_load(struct ch_creds *c, char **cause)
{
	memset(c, 0, sizeof *c);
	if (env("AWS_ACCESS_KEY_ID") != NULL) {
		c->access_key = xstrdup(env("AWS_ACCESS_KEY_ID"));
		if (env("AWS_SECRET_ACCESS_KEY") != NULL)
			c->secret_key = xstrdup(env("AWS_SECRET_ACCESS_KEY"));
		if (env("AWS_SESSION_TOKEN") != NULL)
			c->session_token = xstrdup(env("AWS_SESSION_TOKEN"));
	} else if (load_file(c, cause) != 0)
		return -1;
	if (c->access_key != NULL && c->secret_key == NULL) {
		*cause = xasprintf("access key %s has no secret access key",
		    c->access_key);
		ch_creds_release(c);
		return -1;
	}
	return 0;
}

void
ch_target_release(struct ch_target *t)
{
	free(t->server);
	free(t->endpoint);
	memset(t, 0, sizeof *t);
}

/*
 * The region in a host named as ECR names registries,
 * ACCOUNT.dkr.ecr.REGION.DOMAIN (the template --public-endpoint may
 * follow), into region; false if the host has another shape.
 */
static bool
host_region(const char *server, char region[CH_REGION_MAX + 1])
{
	const char *host = strstr(server, "://"), *p, *dot;
	size_t i;

	host = host != NULL ? host + 3 : server;
	for (i = 0; i < 12; i++) {
		if (host[i] < '0' || host[i] > '9')
			return false;
	}
	if (!str_has_prefix(host + 12, ".dkr.ecr."))
		return false;
	p = host + 12 + strlen(".dkr.ecr.");
	if ((dot = strchr(p, '.')) == NULL || dot == p ||
	    (size_t)(dot - p) > CH_REGION_MAX)
		return false;
	for (i = 0; p + i < dot; i++) {
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		        (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return false;
	}
	memcpy(region, p, (size_t)(dot - p));
	region[dot - p] = '\0';
	return true;
}

int
ch_target_resolve(const char *server, struct ch_target *t, char **cause)
{
	const char *ep, *region;
	size_t len = strlen(server);

	memset(t, 0, sizeof *t);
	while (len > 0 && strchr(" \t\r\n/", server[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", *server) != NULL) {
		server++;
		len--;
	}
	if (len == 0) {
		*cause = xstrdup("no server URL on standard input");
		return -1;
	}
	t->server = xasprintf("%.*s", (int)len, server);
	if ((ep = env("ECRD_ENDPOINT")) == NULL &&
	    (ep = env("AWS_ENDPOINT_URL_ECR")) == NULL)
		ep = env("AWS_ENDPOINT_URL");
	if (ep != NULL)
		t->endpoint = xstrdup(ep);
	else if (strstr(t->server, "://") != NULL)
		t->endpoint = xstrdup(t->server);
	else
		t->endpoint = xasprintf("http://%s", t->server);
	if (host_region(t->server, t->region))
		return 0;
	if ((region = env("AWS_REGION")) == NULL &&
	    (region = env("AWS_DEFAULT_REGION")) == NULL)
		region = REGION_DEFAULT;
	if (str_copy(t->region, sizeof t->region, region) != 0) {
		*cause = xasprintf("region '%s' is too long", region);
		ch_target_release(t);
		return -1;
	}
	return 0;
}
