/*
 * ecrd: a local Amazon ECR. Parses flags, opens the store, starts the HTTP
 * server on a libevent loop and shuts down cleanly on SIGINT or SIGTERM.
 */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <sodium.h>

#include "api/api.h"
#include "auth/creds.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/pool.h"
#include "store/store.h"

#define DEFAULT_LISTEN "127.0.0.1:5080"
#define DEFAULT_DATA_DIR "ecrd-data"
#define CREDS_FILE_MAX (4 * 1024 * 1024)
#define SECRETS_FILE_MAX (4 * 1024 * 1024)
#define DRAIN_POLL_MS 20
#define DRAIN_MAX_MS 10000
#define GC_EVERY_TICKS 3600 /* housekeeping runs each second */
#define POOL_THREADS 2      /* the machine's cores, at low priority */
#define POOL_QUEUE_MAX 256
#define LIFECYCLE_EVERY_SEC 3600 /* ECR: docs/ecr-behaviour.md 3.6 */

struct options {
	const char *listen;
	const char *port_file;
	const char *data_dir;
	const char *account;
	const char *region;
	const char *public_endpoint;
	struct endpoint public; /* public_endpoint parsed */
	const char *credentials;
	const char *secrets;
	bool is_ephemeral;
	bool is_strict;
	bool has_admin_endpoints;
	bool relax_references;
	enum log_level log_level;
	uint64_t lifecycle_interval; /* seconds; 0: never */
	uint64_t clock_offset;       /* seconds ahead */
	uint64_t max_repositories;
	uint64_t max_layer_size;
	uint64_t map_size;          /* bytes; 0: the default */
	uint64_t header_timeout;    /* seconds */
	uint64_t ptc_refresh;       /* seconds */
	uint64_t archive_restore;   /* seconds */
	const char **upstream_urls; /* --upstream-url HOST=URL */
	size_t n_upstream_urls;
	const char **signing_keys; /* --signing-key ARN=KEY,CERT */
	size_t n_signing_keys;
};

static struct server server;
static const struct timeval housekeeping_tv = {1, 0};
static char *ephemeral_dir;
static char *signing_dir;     /* <data dir>/signing: profiles' keys */
static char *public_endpoint; /* port 0 made the bound one */
static int drain_waited_ms;
static struct api_secrets *secrets; /* --secrets; SIGHUP rereads */
static const char *secrets_path;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ecrd [options]\n"
	    "  --listen HOST:PORT      address to serve on "
	    "(default " DEFAULT_LISTEN ");\n"
	    "                          port 0 picks a free port, [::1]:PORT "
	    "for IPv6\n"
	    "  --port-file FILE        write the bound HOST:PORT to FILE once "
	    "listening\n"
	    "                          (written to a temporary name, then "
	    "renamed)\n"
	    "  --data-dir DIR          persistent store directory (default "
	    "./" DEFAULT_DATA_DIR ")\n"
	    "  --ephemeral             store in a fresh temporary directory, "
	    "removed at\n"
	    "                          exit, without fsync: for tests\n"
	    "  --map-size BYTES        most the metadata file may grow to, "
	    "with an\n"
	    "                          optional K, M, G or T (default 1T, "
	    "sparse); past\n"
	    "                          it writes fail with ServerException "
	    "(see README)\n"
	    "  --account ID            account for access keys that name none\n"
	    "                          (default " CORE_ACCOUNT_DEFAULT ")\n"
	    "  --region REGION         region for unsigned requests "
	    "(default " CORE_REGION_DEFAULT ")\n"
	    "  --public-endpoint HOST[:PORT]\n"
	    "                          make repositoryUri and proxyEndpoint "
	    "name this\n"
	    "                          server (e.g. 127.0.0.1:5080, "
	    "[::1]:5080; port 0:\n"
	    "                          the bound port; no scheme) instead of\n"
	    "                          ACCOUNT.dkr.ecr.REGION.amazonaws.com\n"
	    "  --credentials FILE      strict mode: verify SigV4 signatures "
	    "against the\n"
	    "                          principals in FILE (see README); SIGHUP "
	    "reloads\n"
	    "  --strict                strict mode (requires --credentials)\n"
	    "  --secrets FILE          upstream credentials of pull-through "
	    "cache rules:\n"
	    "                          a JSON object mapping a secret ARN or "
	    "name to\n"
	    "                          {\"username\", \"accessToken\"} (see "
	    "README);\n"
	    "                          SIGHUP reloads\n"
	    "  --upstream-url HOST=URL send a pull-through cache upstream's "
	    "requests\n"
	    "                          for HOST to URL instead of "
	    "https://HOST, e.g.\n"
	    "                          "
	    "registry-1.docker.io=http://127.0.0.1:5000\n"
	    "                          (repeatable; tests, air-gapped "
	    "mirrors)\n"
	    "  --pull-through-refresh S\n"
	    "                          check a pull-through cache tag upstream "
	    "again\n"
	    "                          when it was last checked S seconds ago "
	    "or more\n"
	    "                          (default 86400)\n"
	    "  --archive-restore-seconds S\n"
	    "                          an archived image set back to STANDARD "
	    "is\n"
	    "                          ACTIVATING for S seconds, then ACTIVE "
	    "(default 5;\n"
	    "                          ECR takes up to about 20 minutes)\n"
	    "  --signing-key PROFILE_ARN=KEY.pem,CERT.pem\n"
	    "                          sign managed signing's pushes for that "
	    "profile\n"
	    "                          with this EC P-256 key and its "
	    "certificate\n"
	    "                          (repeatable; default: a key made on "
	    "first use\n"
	    "                          in DIR/signing)\n"
	    "  --admin-endpoints       in strict mode, serve the admin "
	    "endpoints\n"
	    "                          (/_ecrd/token, gc, clock, lifecycle/run "
	    "and\n"
	    "                          /moto-api/reset), which need no "
	    "credentials;\n"
	    "                          without it they answer 404 (permissive "
	    "mode\n"
	    "                          always serves them)\n"
	    "  --relax-references      let PutImage name layers, configs and "
	    "child\n"
	    "                          manifests the repository does not hold "
	    "(for test\n"
	    "                          suites that push synthetic manifests); "
	    "default:\n"
	    "                          ECR's "
	    "LayersNotFound/ReferencedImagesNotFound\n"
	    "  --lifecycle-interval S  run every repository's lifecycle policy "
	    "each S\n"
	    "                          seconds (default 3600; 0: only on "
	    "demand, by\n"
	    "                          POST /_ecrd/lifecycle/run)\n"
	    "  --clock-offset S        start with the clock S seconds ahead "
	    "(age-based\n"
	    "                          lifecycle rules; POST /_ecrd/clock "
	    "moves it on)\n"
	    "  --max-repositories N    ECR's repositories-per-region quota "
	    "(default\n"
	    "                          100000)\n"
	    "  --max-layer-size BYTES  ECR's maximum layer size (default "
	    "54525952000,\n"
	    "                          52,000 MiB)\n"
	    "  --header-timeout S      close a connection whose request "
	    "headers take\n"
	    "                          longer than S seconds in all (default "
	    "30)\n"
	    "  --log-level LEVEL       error, warn, info (one line per "
	    "request) or debug\n"
	    "  -v, --version           print the version and exit\n"
	    "  -h, --help              print this help and exit\n");
}

/* A whole number from min to max for flag. */
static int
parse_number(const char *flag, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out)
{
	const char *errstr;

	if (parse_u64(arg, min, max, out, &errstr) == 0)
		return 0;
	fprintf(stderr, "ecrd: %s: '%s' is %s\n", flag, arg, errstr);
	return -1;
}

/* HOST[:PORT] for flag into ep; need_port: the port must be given. */
static int
parse_endpoint_flag(const char *flag, const char *arg, bool need_port,
    struct endpoint *ep)
{
	char *cause = NULL;

	if (parse_endpoint(arg, ep, &cause) == 0) {
		if (!need_port || ep->port != -1)
			return 0;
		cause = xasprintf("no port (want HOST:PORT)");
	}
	fprintf(stderr, "ecrd: %s '%s': %s\n", flag, arg, cause);
	free(cause);
	return -1;
}

/* A whole number of seconds (at most ~136 years) for flag. */
static int
parse_seconds(const char *flag, const char *arg, uint64_t *out)
{
	return parse_number(flag, arg, 0, UINT32_MAX, out);
}

/*
 * A size in bytes for flag: digits and an optional binary suffix (K, M, G,
 * T), within [min, max] bytes.
 */
static int
parse_size(const char *flag, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	const char *errstr = "invalid", *p;
	char digits[32];
	size_t len = strlen(arg);
	uint64_t n;
	unsigned shift = 0;

	if (len > 0 && (p = strchr(suffixes, arg[len - 1])) != NULL) {
		shift = 10 * (unsigned)(p - suffixes + 1);
		len--;
	}
	if (len == 0 || len >= sizeof digits)
		goto bad;
	memcpy(digits, arg, len);
	digits[len] = '\0';
	if (parse_u64(digits, 0, UINT64_MAX >> shift, &n, &errstr) != 0)
		goto bad;
	n <<= shift;
	errstr = n < min ? "too small" : "too large";
	if (n < min || n > max)
		goto bad;
	*out = n;
	return 0;
bad:
	fprintf(stderr, "ecrd: %s: '%s' is %s (from %llu to %llu bytes)\n",
	    flag, arg, errstr, (unsigned long long)min,
	    (unsigned long long)max);
	return -1;
}

/* HOST=URL, URL http:// or https://, each HOST once. */
static int
add_upstream_url(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t i, hlen;

	if (eq == NULL || eq == arg ||
	    (strncmp(eq + 1, "http://", 7) != 0 &&
	        strncmp(eq + 1, "https://", 8) != 0)) {
		fprintf(stderr,
		    "ecrd: --upstream-url takes HOST=URL, URL "
		    "http:// or https://, not '%s'\n",
		    arg);
		return -1;
	}
	hlen = (size_t)(eq - arg) + 1;
	for (i = 0; i < o->n_upstream_urls; i++) {
		if (strncmp(o->upstream_urls[i], arg, hlen) == 0) {
			fprintf(stderr,
			    "ecrd: --upstream-url names %.*s "
			    "twice\n",
			    (int)hlen - 1, arg);
			return -1;
		}
	}
	o->upstream_urls = xreallocarray(o->upstream_urls,
	    o->n_upstream_urls + 1, sizeof *o->upstream_urls);
	o->upstream_urls[o->n_upstream_urls++] = arg;
	return 0;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"data-dir", required_argument, NULL, 'd'},
	    {"ephemeral", no_argument, NULL, 'e'},
	    {"account", required_argument, NULL, 'a'},
	    {"region", required_argument, NULL, 'r'},
	    {"public-endpoint", required_argument, NULL, 'u'},
	    {"credentials", required_argument, NULL, 'c'},
	    {"strict", no_argument, NULL, 's'},
	    {"secrets", required_argument, NULL, 'X'},
	    {"upstream-url", required_argument, NULL, 'W'},
	    {"pull-through-refresh", required_argument, NULL, 'P'},
	    {"archive-restore-seconds", required_argument, NULL, 'T'},
	    {"signing-key", required_argument, NULL, 'K'},
	    {"admin-endpoints", no_argument, NULL, 'A'},
	    {"relax-references", no_argument, NULL, 'R'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"lifecycle-interval", required_argument, NULL, 'I'},
	    {"clock-offset", required_argument, NULL, 'O'},
	    {"max-repositories", required_argument, NULL, 'M'},
	    {"max-layer-size", required_argument, NULL, 'S'},
	    {"map-size", required_argument, NULL, 'Z'},
	    {"header-timeout", required_argument, NULL, 'H'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct endpoint listen;
	int ch;

	memset(o, 0, sizeof *o);
	o->listen = DEFAULT_LISTEN;
	o->data_dir = DEFAULT_DATA_DIR;
	o->account = CORE_ACCOUNT_DEFAULT;
	o->region = CORE_REGION_DEFAULT;
	o->log_level = LOG_LEVEL_INFO;
	o->lifecycle_interval = LIFECYCLE_EVERY_SEC;
	o->max_repositories = CORE_REPOSITORIES_MAX;
	o->max_layer_size = CORE_LAYER_SIZE_MAX;
	o->header_timeout = HTTP_HEADER_TIMEOUT_SEC;
	o->ptc_refresh = CORE_PTC_REFRESH_SEC;
	o->archive_restore = CORE_ARCHIVE_RESTORE_SEC;
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o->listen = optarg;
			break;
		case 'p':
			o->port_file = optarg;
			break;
		case 'd':
			o->data_dir = optarg;
			break;
		case 'e':
			o->is_ephemeral = true;
			break;
		case 'a':
			o->account = optarg;
			break;
		case 'r':
			o->region = optarg;
			break;
		case 'u':
			o->public_endpoint = optarg;
			break;
		case 'c':
			o->credentials = optarg;
			o->is_strict = true;
			break;
		case 's':
			o->is_strict = true;
			break;
		case 'X':
			o->secrets = optarg;
			break;
		case 'A':
			o->has_admin_endpoints = true;
			break;
		case 'W':
			if (add_upstream_url(o, optarg) != 0)
				return -1;
			break;
		case 'P':
			if (parse_seconds("--pull-through-refresh", optarg,
			        &o->ptc_refresh) != 0)
				return -1;
			break;
		case 'T':
			if (parse_seconds("--archive-restore-seconds", optarg,
			        &o->archive_restore) != 0)
				return -1;
			break;
		case 'K':
			o->signing_keys = xreallocarray(o->signing_keys,
			    o->n_signing_keys + 1, sizeof *o->signing_keys);
			o->signing_keys[o->n_signing_keys++] = optarg;
			break;
		case 'R':
			o->relax_references = true;
			break;
		case 'I':
			if (parse_seconds("--lifecycle-interval", optarg,
			        &o->lifecycle_interval) != 0)
				return -1;
			break;
		case 'O':
			if (parse_seconds("--clock-offset", optarg,
			        &o->clock_offset) != 0)
				return -1;
			break;
		case 'M':
			if (parse_number("--max-repositories", optarg, 1,
			        UINT32_MAX, &o->max_repositories) != 0)
				return -1;
			break;
		case 'S':
			if (parse_number("--max-layer-size", optarg, 1,
			        INT64_MAX, &o->max_layer_size) != 0)
				return -1;
			break;
		case 'Z':
			if (parse_size("--map-size", optarg, STORE_MAP_SIZE_MIN,
			        SIZE_MAX, &o->map_size) != 0)
				return -1;
			break;
		case 'H':
			if (parse_number("--header-timeout", optarg, 1,
			        UINT32_MAX, &o->header_timeout) != 0)
				return -1;
			break;
		case 'L':
			if (log_level_parse(optarg, &o->log_level) != 0) {
				fprintf(stderr,
				    "ecrd: unknown log level '%s'\n", optarg);
				return -1;
			}
			break;
		case 'v':
			printf("ecrd %s\n", ECRD_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ecrd: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	if (parse_endpoint_flag("--listen", o->listen, true, &listen) != 0 ||
	    (o->public_endpoint != NULL &&
	        parse_endpoint_flag("--public-endpoint", o->public_endpoint,
	            false, &o->public) != 0))
		return -1;
	if (strlen(o->account) != 12 ||
	    strspn(o->account, "0123456789") != 12) {
		fprintf(stderr, "ecrd: --account must be 12 digits\n");
		return -1;
	}
	if (o->is_strict && o->credentials == NULL) {
		fprintf(stderr, "ecrd: --strict needs --credentials FILE\n");
		return -1;
	}
	return 0;
}

static int
read_file(const char *path, size_t max, struct buf *out, char **cause)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(out, max);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (buf_add(out, chunk, (size_t)n) != 0) {
			*cause =
			    xasprintf("%s: larger than %zu bytes", path, max);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (n < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		buf_release(out);
		return -1;
	}
	return 0;
}

static int
load_credentials(const char *path, struct creds **out, char **cause)
{
	struct buf text;
	char *why = NULL;
	int rc;

	if (read_file(path, CREDS_FILE_MAX, &text, cause) != 0)
		return -1;
	rc = creds_parse(text.data != NULL ? text.data : "", text.len, out,
	    &why);
	buf_release(&text);
	/* Identity policies too: a bad one refuses the file (issue #5). */
	if (rc == 0 && (rc = core_creds_check(*out, &why)) != 0) {
		creds_free(*out);
		*out = NULL;
	}
	if (rc != 0) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		return -1;
	}
	return 0;
}

static int
load_secrets(const char *path, struct api_secrets **out, char **cause)
{
	struct buf text;
	char *why = NULL;
	int rc;

	if (read_file(path, SECRETS_FILE_MAX, &text, cause) != 0)
		return -1;
	rc = api_secrets_parse(text.data != NULL ? text.data : "", text.len,
	    out, &why);
	if (text.data != NULL)
		sodium_memzero(text.data, text.len);
	buf_release(&text);
	if (rc != 0) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		return -1;
	}
	return 0;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * The ephemeral store goes under $TMPDIR (else /tmp), so a test harness
 * that gives each server a TMPDIR of its own removes it even after
 * SIGKILL, when ecrd cannot.
 */
static int
make_ephemeral_dir(char **cause)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	tmpl = xasprintf("%s/ecrd-XXXXXX", tmp);
	if (mkdtemp(tmpl) == NULL) {
		*cause = xasprintf("cannot create a temporary directory in "
		                   "%s: %s",
		    tmp, strerror(errno));
		free(tmpl);
		return -1;
	}
	ephemeral_dir = tmpl;
	return 0;
}

/* A whole small file (a PEM), read at start, before the loop runs. */
static char *
slurp(const char *path, char **cause)
{
	FILE *fp = fopen(path, "r");
	char *text = xmalloc(64 * 1024 + 1);
	size_t n;

	if (fp == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(text);
		return NULL;
	}
	n = fread(text, 1, 64 * 1024, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

/* --signing-key PROFILE_ARN=KEY.pem,CERT.pem, each given to core. */
static int
add_signing_keys(const struct options *o, char **cause)
{
	const char *arg, *eq, *comma;
	char *profile, *kp, *key = NULL, *cert = NULL, *why = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < o->n_signing_keys; i++) {
		arg = o->signing_keys[i];
		if ((eq = strchr(arg, '=')) == NULL ||
		    (comma = strchr(eq, ',')) == NULL) {
			*cause = xasprintf("--signing-key takes "
			                   "PROFILE_ARN=KEY.pem,CERT.pem, not "
			                   "'%s'",
			    arg);
			return -1;
		}
		profile = xstrndup(arg, (size_t)(eq - arg));
		kp = xstrndup(eq + 1, (size_t)(comma - eq - 1));
		if ((key = slurp(kp, cause)) == NULL ||
		    (cert = slurp(comma + 1, cause)) == NULL ||
		    core_signer_add(server.api, profile, key, cert, &why) != 0)
			rc = -1;
		if (why != NULL)
			*cause =
			    xasprintf("--signing-key %s: %s", profile, why);
		free(why);
		why = NULL;
		str_wipe_free(key);
		free(cert);
		free(kp);
		free(profile);
		key = cert = NULL;
	}
	return rc;
}

static int
open_store(const struct options *o, char **cause)
{
	const char *dir = o->data_dir;
	char *why = NULL;

	if (o->is_ephemeral) {
		if (make_ephemeral_dir(cause) != 0)
			return -1;
		dir = ephemeral_dir;
	} else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create data directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	signing_dir = xasprintf("%s/signing", dir);
	if (store_open(dir, o->is_ephemeral ? STORE_EPHEMERAL : 0, o->map_size,
	        &server.store, &why) != 0) {
		*cause = xasprintf("cannot open store in %s: %s", dir,
		    why != NULL ? why : "unknown error");
		free(why);
		return -1;
	}
	return 0;
}

static int
write_port_file(const char *path, const char *address)
{
	char *tmp;
	FILE *fp;
	int rc = -1;

	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fp = fopen(tmp, "w")) == NULL)
		goto out;
	fprintf(fp, "%s\n", address);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void
batch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	writes_flush(arg);
}

static void
sign_work(void *run)
{
	core_sign_work(run);
}

static void
sign_done(void *run, bool is_cancelled)
{
	if (is_cancelled)
		core_sign_run_free(run);
	else
		core_sign_done(run);
}

/* The next due signing to the worker pool (core/sign_run.c). */
static void
sign_next(void)
{
	struct core_sign_run *run;

	if ((run = core_sign_take(server.api)) != NULL &&
	    pool_submit(server.pool, sign_work, sign_done, run) != 0)
		core_sign_run_free(run); /* taken again next time */
}

/*
 * Once a second: write the pull times BatchGetImage noted, end the
 * archive restores that are due, record finished signings and start the
 * next, and count down
 * to the next scheduled lifecycle run. Once an hour: collect garbage blobs
 * and uploads idle for a day (POST /_ecrd/gc runs it at once).
 */
static void
housekeeping_cb(evutil_socket_t fd, short what, void *arg)
{
	static unsigned ticks;
	int rc;

	(void)fd;
	(void)what;
	(void)arg;
	if (core_pulls_pending(server.api) &&
	    (rc = core_pulls_flush(server.api)) != 0)
		log_warn("recording pull times: %s", store_strerror(rc));
	if ((rc = core_restores_run(server.api)) != 0)
		log_warn("ending archive restores: %s", store_strerror(rc));
	if (core_signs_pending(server.api) &&
	    (rc = core_signs_flush(server.api)) != 0)
		log_warn("recording signatures: %s", store_strerror(rc));
	sign_next();
	lc_sched_tick(server.lc_sched);
	if (++ticks % GC_EVERY_TICKS == 0)
		gc_sched_due(server.gc_sched);
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	struct timeval tv = {0, DRAIN_POLL_MS * 1000};

	(void)fd;
	(void)what;
	drain_waited_ms += DRAIN_POLL_MS;
	if ((http_server_is_idle(server.http) && server.n_pending == 0) ||
	    drain_waited_ms >= DRAIN_MAX_MS) {
		event_free(self);
		event_base_loopexit(server.base, NULL);
		return;
	}
	evtimer_add(self, &tv);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event *drain;
	struct timeval tv = {0, 0};

	(void)what;
	(void)arg;
	if (server.is_draining)
		return;
	log_info("signal %d: finishing requests in flight", (int)sig);
	server.is_draining = true;
	http_server_drain(server.http);
	drain = evtimer_new(server.base, drain_cb, event_self_cbarg());
	evtimer_add(drain, &tv);
}

static void
reload_credentials(void)
{
	struct creds *fresh = NULL;
	char *cause = NULL;

	if (server.creds_path == NULL)
		return;
	if (load_credentials(server.creds_path, &fresh, &cause) != 0) {
		log_error("SIGHUP: keeping the old credentials: %s", cause);
		free(cause);
		return;
	}
	core_ctx_set_creds(server.api, fresh);
	creds_free(server.creds);
	server.creds = fresh;
	log_info("SIGHUP: credentials reloaded from %s", server.creds_path);
}

static void
reload_secrets(void)
{
	struct api_secrets *fresh = NULL;
	char *cause = NULL;

	if (secrets_path == NULL)
		return;
	if (load_secrets(secrets_path, &fresh, &cause) != 0) {
		log_error("SIGHUP: keeping the old secrets: %s", cause);
		free(cause);
		return;
	}
	api_ctx_set_secrets(server.api, fresh);
	api_secrets_free(secrets);
	secrets = fresh;
	log_info("SIGHUP: secrets reloaded from %s", secrets_path);
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	reload_credentials();
	reload_secrets();
}

/*
 * The HOST[:PORT] URIs name for --public-endpoint: as given, but port 0
 * (as in --listen HOST:0) is the port the server is bound to.
 */
static char *
uri_host(const struct endpoint *pub, const char *bound)
{
	struct endpoint self;
	const char *lb = pub->is_ipv6 ? "[" : "";
	const char *rb = pub->is_ipv6 ? "]" : "";
	char *cause = NULL;
	int port = pub->port;

	if (port == 0) {
		/* bound is the listener's own "HOST:PORT": always parses. */
		if (parse_endpoint(bound, &self, &cause) != 0) {
			log_error("bound address '%s': %s", bound, cause);
			abort();
		}
		port = self.port;
	}
	if (port == -1)
		return xasprintf("%s%s%s", lb, pub->host, rb);
	return xasprintf("%s%s%s:%d", lb, pub->host, rb, port);
}

static int
start(const struct options *o, char **cause)
{
	struct core_config cfg;
	struct http_app app = {routes_on_head, routes_on_request, &server};

	if (o->credentials != NULL) {
		server.creds_path = o->credentials;
		if (load_credentials(o->credentials, &server.creds, cause) != 0)
			return -1;
	}
	if (o->secrets != NULL) {
		secrets_path = o->secrets;
		if (load_secrets(o->secrets, &secrets, cause) != 0)
			return -1;
	}
	if (open_store(o, cause) != 0)
		return -1;
	/* Connections at the default priority 1, group commits after them. */
	if ((server.base = event_base_new()) == NULL ||
	    event_base_priority_init(server.base, 3) != 0) {
		*cause = xasprintf("cannot start the event loop");
		return -1;
	}
	server.batch_ev = event_new(server.base, -1, 0, batch_cb, &server);
	event_priority_set(server.batch_ev, 2);
	/* Bound before the API starts: URIs may name the bound port. */
	if (http_server_new(server.base, o->listen, &app, &server.http,
	        cause) != 0)
		return -1;
	if (o->public_endpoint != NULL)
		public_endpoint =
		    uri_host(&o->public, http_server_address(server.http));
	memset(&cfg, 0, sizeof cfg);
	cfg.default_account = o->account;
	server.default_account = o->account;
	server.has_admin = !o->is_strict || o->has_admin_endpoints;
	server.default_region = o->region;
	cfg.default_region = o->region;
	cfg.public_endpoint = public_endpoint;
	cfg.is_strict = o->is_strict;
	cfg.relax_references = o->relax_references;
	cfg.max_repositories = o->max_repositories;
	cfg.max_layer_size = o->max_layer_size;
	cfg.clock_offset_sec = o->clock_offset;
	cfg.creds = server.creds;
	cfg.secrets = secrets;
	cfg.ptc_refresh_sec = o->ptc_refresh;
	cfg.archive_restore_sec = o->archive_restore;
	cfg.signing_dir = signing_dir;
	cfg.upstream_urls = o->upstream_urls;
	cfg.n_upstream_urls = o->n_upstream_urls;
	if (api_ctx_new(server.store, &cfg, &server.api, cause) != 0 ||
	    add_signing_keys(o, cause) != 0)
		return -1;
	server.upstream = upstream_net_new(server.base, server.api);
	http_server_set_header_timeout(server.http,
	    (unsigned)o->header_timeout);
	core_ctx_set_endpoint(server.api, http_server_address(server.http));
	server.lc_sched = lc_sched_new(&server, (unsigned)o->lifecycle_interval,
	    o->account, o->region);
	if ((server.pool = pool_new(server.base, POOL_THREADS, POOL_QUEUE_MAX,
	         cause)) == NULL)
		return -1;
	server.gc_sched = gc_sched_new(&server);
	server.housekeeping_ev =
	    event_new(server.base, -1, EV_PERSIST, housekeeping_cb, NULL);
	evtimer_add(server.housekeeping_ev, &housekeeping_tv);
	if (o->port_file != NULL &&
	    write_port_file(o->port_file, http_server_address(server.http))) {
		*cause = xasprintf("%s: %s", o->port_file, strerror(errno));
		return -1;
	}
	return 0;
}

static void
stop(void)
{
	/* Work in flight ends before what it works on goes. */
	upstream_net_free(server.upstream);
	pool_free(server.pool);
	if (server.api != NULL)
		(void)core_signs_flush(server.api);
	gc_sched_free(server.gc_sched);
	lc_sched_free(server.lc_sched);
	http_server_free(server.http);
	if (server.batch_ev != NULL)
		event_free(server.batch_ev);
	if (server.housekeeping_ev != NULL)
		event_free(server.housekeeping_ev);
	if (server.api != NULL)
		(void)core_pulls_flush(server.api);
	free(server.pending);
	api_ctx_free(server.api);
	store_close(server.store);
	creds_free(server.creds);
	api_secrets_free(secrets);
	free(public_endpoint);
	free(signing_dir);
	curl_global_cleanup();
	if (server.base != NULL)
		event_base_free(server.base);
	if (ephemeral_dir != NULL) {
		nftw(ephemeral_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(ephemeral_dir);
	}
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	struct options o;
	struct event *sigs[3];
	char *cause = NULL;
	size_t i;
	int rc = 1;

	clock_gettime(CLOCK_MONOTONIC, &server.started);
	if (parse_options(argc, argv, &o) != 0)
		return 2;
	log_init(o.log_level, stderr);
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread starts: libcurl's global state (TLS). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("libcurl failed to initialise");
		return 1;
	}
	/*
	 * Keep freed memory for the next request instead of trimming the heap
	 * after every large answer (malloc_consolidate showed in profiles).
	 */
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
	if (start(&o, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		stop();
		free(o.upstream_urls);
		free(o.signing_keys);
		return 1;
	}
	sigs[0] = evsignal_new(server.base, SIGINT, stop_cb, NULL);
	sigs[1] = evsignal_new(server.base, SIGTERM, stop_cb, NULL);
	sigs[2] = evsignal_new(server.base, SIGHUP, reload_cb, NULL);
	for (i = 0; i < 3; i++)
		evsignal_add(sigs[i], NULL);
	log_info("ecrd %s listening on %s (%s, %s mode)", ECRD_VERSION,
	    http_server_address(server.http),
	    o.is_ephemeral ? "ephemeral" : o.data_dir,
	    o.is_strict ? "strict" : "permissive");
	if (o.is_strict && o.has_admin_endpoints)
		log_warn("--admin-endpoints: anyone who reaches %s may mint "
		         "tokens, reset and collect without credentials",
		    http_server_address(server.http));
	if (event_base_dispatch(server.base) == 0)
		rc = 0;
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	log_info("ecrd stopped");
	stop();
	free(o.upstream_urls);
	free(o.signing_keys);
	return rc;
}
