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
#include "server/audit.h"
#include "server/event_http.h"
#include "server/events.h"
#include "server/flags.h"
#include "server/http.h"
#include "server/metrics.h"
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
	struct endpoint listen_ep; /* listen parsed */
	const char *port_file;
	const char *data_dir;
	const char *account;
	const char *region;
	const char *public_endpoint;
	struct endpoint public; /* public_endpoint parsed */
	const char *credentials;
	const char *secrets;
	const char *tls_cert; /* --tls-cert: PEM chain */
	const char *tls_key;
	const char *upstream_credentials;
	bool is_ephemeral;
	bool is_health_check;
	bool is_strict;
	bool has_admin_endpoints;
	bool relax_references;
	enum log_level log_level;
	uint64_t lifecycle_interval;   /* seconds; 0: never */
	uint64_t clock_offset;         /* seconds ahead */
	uint64_t quotas[CORE_QUOTA_N]; /* --quota NAME=VALUE */
	uint64_t map_size;             /* bytes; 0: the default */
	uint64_t header_timeout;       /* seconds */
	uint64_t ptc_refresh;          /* seconds */
	uint64_t repl_delay;           /* seconds */
	const char *vuln_db;           /* --vuln-db DIR, or NULL */
	const char *audit_log;         /* --audit-log FILE, or NULL */
	const char **upstream_urls;    /* --upstream-url HOST=URL */
	size_t n_upstream_urls;
	const char *hold_file_work; /* tests only */
	uint64_t archive_restore;   /* seconds */
	const char **signing_keys;  /* --signing-key ARN=KEY,CERT */
	size_t n_signing_keys;
	const char **webhooks; /* --events-webhook URL */
	size_t n_webhooks;
	const char *eventbridge;       /* --eventbridge-endpoint URL */
	const char *eventbridge_creds; /* --eventbridge-credentials FILE */
	uint64_t events_queue_max;
	struct events_config events;
	bool has_no_metrics;         /* --no-metrics */
	uint64_t metrics_max_series; /* --metrics-max-series */
	bool is_throttled;           /* --throttle */
	const char **throttle_rates; /* --throttle-rate OPERATION=N */
	size_t n_throttle_rates;
	struct throttle *throttle; /* made from them */
};

static struct server server;
static const struct timeval housekeeping_tv = {1, 0};
static char *ephemeral_dir;
static char *signing_dir;     /* <data dir>/signing: profiles' keys */
static char *public_endpoint; /* port 0 made the bound one */
static int drain_waited_ms;
static struct api_secrets *secrets; /* --secrets; SIGHUP rereads */
static const char *secrets_path;
static struct http_tls *tls; /* --tls-cert; SIGHUP rereads */
/* --upstream-credentials: an ecr upstream's; SIGHUP rereads. */
static struct creds *upstream_creds;
static const char *upstream_creds_path;
/* The HTTP event sinks: webhooks, then EventBridge (event_http.c). */
static struct event_http **sinks;
static size_t n_sinks;
/* --eventbridge-credentials; SIGHUP rereads. */
static struct creds *eventbridge_creds;
static const char *eventbridge_creds_path;
static struct event_http *eventbridge_sink;

static void
usage(FILE *fp)
{
	fputs(flags_usage, fp);
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

/*
 * --public-endpoint: HOST[:PORT], or a template whose placeholders
 * (core_host_template_check) must make one when filled in.
 */
static int
parse_public(struct options *o)
{
	char *cause = NULL, *sample;
	int rc;

	if (!core_host_is_template(o->public_endpoint))
		return parse_endpoint_flag("--public-endpoint",
		    o->public_endpoint, false, &o->public);
	if (core_host_template_check(o->public_endpoint, &cause) != 0) {
		fprintf(stderr, "ecrd: --public-endpoint '%s': %s\n",
		    o->public_endpoint, cause);
		free(cause);
		return -1;
	}
	sample = core_host_expand(o->public_endpoint, CORE_ACCOUNT_DEFAULT,
	    CORE_REGION_DEFAULT);
	rc =
	    parse_endpoint_flag("--public-endpoint", sample, false, &o->public);
	free(sample);
	return rc;
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

/* --events-webhook, --eventbridge-endpoint and their settings. */
static int
event_sink_option(struct options *o, int ch, const char *arg)
{
	char *cause = NULL;

	if (ch == 'q')
		return parse_number("--events-queue-max", arg, 1,
		    EVENT_HTTP_QUEUE_LIMIT, &o->events_queue_max);
	if (ch == 'k') {
		o->eventbridge_creds = arg;
		return 0;
	}
	if (event_http_check_url(arg, &cause) != 0) {
		fprintf(stderr, "ecrd: %s: %s\n",
		    ch == 'w' ? "--events-webhook" : "--eventbridge-endpoint",
		    cause);
		free(cause);
		return -1;
	}
	if (ch == 'b' && o->eventbridge != NULL) {
		fprintf(stderr, "ecrd: --eventbridge-endpoint given twice\n");
		return -1;
	}
	if (ch == 'b')
		o->eventbridge = arg;
	else {
		o->webhooks = xreallocarray(o->webhooks, o->n_webhooks + 1,
		    sizeof *o->webhooks);
		o->webhooks[o->n_webhooks++] = arg;
	}
	return 0;
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

/* --throttle's buckets, with --throttle-rate's overrides checked. */
static int
parse_throttle(struct options *o)
{
	char *cause = NULL;

	if (!o->is_throttled)
		return 0;
	o->throttle =
	    throttle_from_flags(o->throttle_rates, o->n_throttle_rates, &cause);
	if (o->throttle != NULL)
		return 0;
	fprintf(stderr, "ecrd: %s\n", cause);
	free(cause);
	return -1;
}

/* --quota NAME=VALUE (core/quota.h's names). */
static int
parse_quota(struct options *o, const char *arg)
{
	char *cause = NULL;

	if (core_quota_parse(o->quotas, arg, &cause) == 0)
		return 0;
	fprintf(stderr, "ecrd: --quota '%s': %s\n", arg, cause);
	free(cause);
	return -1;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof *o);
	o->listen = DEFAULT_LISTEN;
	o->data_dir = DEFAULT_DATA_DIR;
	o->account = CORE_ACCOUNT_DEFAULT;
	o->region = CORE_REGION_DEFAULT;
	o->log_level = LOG_LEVEL_INFO;
	o->lifecycle_interval = LIFECYCLE_EVERY_SEC;
	core_quota_defaults(o->quotas);
	o->header_timeout = HTTP_HEADER_TIMEOUT_SEC;
	o->ptc_refresh = CORE_PTC_REFRESH_SEC;
	o->archive_restore = CORE_ARCHIVE_RESTORE_SEC;
	o->metrics_max_series = METRICS_SERIES_MAX;
	o->events_queue_max = EVENT_HTTP_QUEUE_MAX;
	while ((ch = getopt_long(argc, argv, flags_shortopts, flags_longopts,
	            NULL)) != -1) {
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
		case 'K':
			o->is_health_check = true;
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
		case 'T':
			o->tls_cert = optarg;
			break;
		case 'Y':
			o->tls_key = optarg;
			break;
		case 'U':
			o->upstream_credentials = optarg;
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
		case 'D':
			if (parse_seconds("--replication-delay", optarg,
			        &o->repl_delay) != 0)
				return -1;
			break;
		case 'B':
			if (parse_seconds("--archive-restore-seconds", optarg,
			        &o->archive_restore) != 0)
				return -1;
			break;
		case 'G':
			o->signing_keys = xreallocarray(o->signing_keys,
			    o->n_signing_keys + 1, sizeof *o->signing_keys);
			o->signing_keys[o->n_signing_keys++] = optarg;
			break;
		case 'R':
			o->relax_references = true;
			break;
		case 't':
			o->is_throttled = true;
			break;
		case 'j':
			o->is_throttled = true;
			o->throttle_rates = xreallocarray(o->throttle_rates,
			    o->n_throttle_rates + 1, sizeof *o->throttle_rates);
			o->throttle_rates[o->n_throttle_rates++] = optarg;
			break;
		case 'w':
		case 'b':
		case 'k':
		case 'q':
			if (event_sink_option(o, ch, optarg) != 0)
				return -1;
			break;
		case 'V':
			o->vuln_db = optarg;
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
			        UINT32_MAX,
			        &o->quotas[CORE_QUOTA_REPOSITORIES]) != 0)
				return -1;
			break;
		case 'S':
			if (parse_number("--max-layer-size", optarg, 1,
			        INT64_MAX,
			        &o->quotas[CORE_QUOTA_LAYER_SIZE]) != 0)
				return -1;
			break;
		case 'Q':
			if (parse_quota(o, optarg) != 0)
				return -1;
			break;
		case 'C':
			o->audit_log = optarg;
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
		case 'J':
			o->hold_file_work = optarg;
			break;
		case 'E':
			o->events.file = optarg;
			break;
		case 'N':
			o->has_no_metrics = true;
			break;
		case 'y':
			if (parse_number("--metrics-max-series", optarg, 1,
			        UINT32_MAX, &o->metrics_max_series) != 0)
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
	if (parse_endpoint_flag("--listen", o->listen, true, &o->listen_ep) !=
	        0 ||
	    (o->public_endpoint != NULL && parse_public(o) != 0))
		return -1;
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "ecrd: --tls-cert and --tls-key go together\n");
		return -1;
	}
	if (strlen(o->account) != 12 ||
	    strspn(o->account, "0123456789") != 12) {
		fprintf(stderr, "ecrd: --account must be 12 digits\n");
		return -1;
	}
	if (o->eventbridge_creds != NULL && o->eventbridge == NULL) {
		fprintf(stderr, "ecrd: --eventbridge-credentials needs "
		                "--eventbridge-endpoint\n");
		return -1;
	}
	if (o->is_strict && o->credentials == NULL) {
		fprintf(stderr, "ecrd: --strict needs --credentials FILE\n");
		return -1;
	}
	return parse_throttle(o);
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
	metrics_job(server.metrics, "signing", !is_cancelled, NULL, 0);
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
	/* Scans queued outside a group commit (pulls through the cache). */
	scan_sched_kick(server.scan_sched);
	if (++ticks % GC_EVERY_TICKS == 0)
		gc_sched_due(server.gc_sched);
}

/* The HTTP event sinks, on the upstream client's curl multi, into *ec. */
static int
start_event_sinks(const struct options *o, struct events_config *ec,
    char **cause)
{
	struct event_http_config cfg;
	size_t i;

	if (o->eventbridge_creds != NULL) {
		eventbridge_creds_path = o->eventbridge_creds;
		if (load_credentials(eventbridge_creds_path, &eventbridge_creds,
		        cause) != 0)
			return -1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.queue_max = (size_t)o->events_queue_max;
	cfg.attempts = EVENT_HTTP_ATTEMPTS;
	sinks = xcalloc(o->n_webhooks + 1, sizeof *sinks);
	cfg.kind = EVENT_HTTP_WEBHOOK;
	for (i = 0; i < o->n_webhooks; i++) {
		cfg.url = o->webhooks[i];
		sinks[n_sinks++] =
		    event_http_new(server.base, server.upstream, &cfg);
	}
	if (o->eventbridge != NULL) {
		cfg.kind = EVENT_HTTP_EVENTBRIDGE;
		cfg.url = o->eventbridge;
		eventbridge_sink = sinks[n_sinks++] =
		    event_http_new(server.base, server.upstream, &cfg);
		event_http_set_creds(eventbridge_sink, eventbridge_creds);
	}
	*ec = o->events;
	ec->http = sinks;
	ec->n_http = n_sinks;
	return 0;
}

/* The sinks have sent all they hold (for shutdown's drain). */
static bool
event_sinks_idle(void)
{
	size_t i;

	for (i = 0; i < n_sinks; i++)
		if (!event_http_is_idle(sinks[i]))
			return false;
	return true;
}

/* Before the curl multi goes; events_free comes later, then the sinks. */
static void
event_sinks_stop(void)
{
	size_t i;

	for (i = 0; i < n_sinks; i++)
		event_http_stop(sinks[i]);
}

static void
event_sinks_free(void)
{
	size_t i;

	for (i = 0; i < n_sinks; i++)
		event_http_free(sinks[i]);
	free(sinks);
	sinks = NULL;
	n_sinks = 0;
	eventbridge_sink = NULL;
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	struct timeval tv = {0, DRAIN_POLL_MS * 1000};

	(void)fd;
	(void)what;
	drain_waited_ms += DRAIN_POLL_MS;
	/* Then the event sinks send what they hold, for a short while. */
	if ((http_server_is_idle(server.http) && server.n_pending == 0 &&
	        !server.is_committing &&
	        (event_sinks_idle() ||
	            drain_waited_ms >= EVENT_HTTP_DRAIN_MS)) ||
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
	notify_send("STOPPING=1");
	server.is_draining = true;
	faults_drain(server.faults);
	http_server_drain(server.http);
	drain = evtimer_new(server.base, drain_cb, event_self_cbarg());
	evtimer_add(drain, &tv);
}

/* Read a credentials file again into *slot; a bad one keeps the old. */
static void
reload_credentials(const char *path, struct creds **slot,
    void (*set)(struct core_ctx *, const struct creds *), const char *what)
{
	struct creds *fresh = NULL;
	char *cause = NULL;

	if (path == NULL)
		return;
	if (load_credentials(path, &fresh, &cause) != 0) {
		log_error("SIGHUP: keeping the old %s: %s", what, cause);
		free(cause);
		return;
	}
	set(server.api, fresh);
	creds_free(*slot);
	*slot = fresh;
	log_info("SIGHUP: %s reloaded from %s", what, path);
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

/* New connections get the new certificate; those open keep theirs. */
static void
reload_tls(void)
{
	char *cause = NULL;

	if (tls == NULL)
		return;
	if (http_tls_reload(tls, &cause) != 0) {
		log_error("SIGHUP: keeping the old TLS certificate: %s", cause);
		free(cause);
		return;
	}
	log_info("SIGHUP: TLS certificate reloaded");
}

/* reload_credentials' setter for the EventBridge sink's keys. */
static void
set_eventbridge_creds(struct core_ctx *ctx, const struct creds *c)
{
	(void)ctx;
	event_http_set_creds(eventbridge_sink, c);
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct timespec ts;
	char *state;

	(void)sig;
	(void)what;
	(void)arg;
	/* systemd wants the reload's start time with RELOADING=1. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	state = xasprintf("RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	notify_send(state);
	free(state);
	reload_credentials(server.creds_path, &server.creds, core_ctx_set_creds,
	    "credentials");
	reload_credentials(upstream_creds_path, &upstream_creds,
	    core_ctx_set_upstream_creds, "upstream credentials");
	reload_credentials(eventbridge_creds_path, &eventbridge_creds,
	    set_eventbridge_creds, "EventBridge credentials");
	reload_secrets();
	reload_tls();
	events_reopen(server.events);
	scan_sched_reload(server.scan_sched);
	audit_reopen();
	notify_send("READY=1");
}

/*
 * The HOST[:PORT] URIs name for --public-endpoint: as given, but port 0
 * (as in --listen HOST:0) is the port the server is bound to.
 */
static char *
uri_host(const char *text, const struct endpoint *pub, const char *bound)
{
	struct endpoint self;
	const char *lb = pub->is_ipv6 ? "[" : "";
	const char *rb = pub->is_ipv6 ? "]" : "";
	char *cause = NULL;
	int port = pub->port;
	/* A template's host keeps its placeholders (never IPv6). */
	int host_len = core_host_is_template(text) ? (int)strcspn(text, ":")
	                                           : (int)strlen(pub->host);
	const char *host = core_host_is_template(text) ? text : pub->host;

	if (port == 0) {
		/* bound is the listener's own "HOST:PORT": always parses. */
		if (parse_endpoint(bound, &self, &cause) != 0) {
			log_error("bound address '%s': %s", bound, cause);
			abort();
		}
		port = self.port;
	}
	if (port == -1)
		return xasprintf("%s%.*s%s", lb, host_len, host, rb);
	return xasprintf("%s%.*s%s:%d", lb, host_len, host, rb, port);
}

/* The feed is indexed before the first request, so scans see it. */
static int
load_feed(const char *dir, char **cause)
{
	struct core_feed *feed;
	char *why = NULL;

	if (core_feed_open(dir, &feed, &why) != 0) {
		*cause = xasprintf("--vuln-db %s: %s", dir, why);
		free(why);
		return -1;
	}
	core_ctx_set_feed(server.api, feed);
	log_info("vulnerability feed indexed from %s", dir);
	return 0;
}

static int
start(const struct options *o, char **cause)
{
	struct core_config cfg;
	struct events_config events;
	struct http_app app = {routes_on_head, routes_on_request, &server};

	server.commit_fd = -1;
	server.hold_file_work = o->hold_file_work;
	if (o->credentials != NULL) {
		server.creds_path = o->credentials;
		if (load_credentials(o->credentials, &server.creds, cause) != 0)
			return -1;
	}
	if (o->upstream_credentials != NULL) {
		upstream_creds_path = o->upstream_credentials;
		if (load_credentials(upstream_creds_path, &upstream_creds,
		        cause) != 0)
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
	if (o->tls_cert != NULL &&
	    http_tls_new(o->tls_cert, o->tls_key, &tls, cause) != 0)
		return -1;
	/* Bound before the API starts: URIs may name the bound port. */
	if (http_server_new(server.base, o->listen, &app, &server.http,
	        cause) != 0)
		return -1;
	http_server_set_tls(server.http, tls);
	if (o->public_endpoint != NULL)
		public_endpoint = uri_host(o->public_endpoint, &o->public,
		    http_server_address(server.http));
	memset(&cfg, 0, sizeof cfg);
	cfg.default_account = o->account;
	server.default_account = o->account;
	server.has_admin = !o->is_strict || o->has_admin_endpoints;
	server.throttle = o->throttle;
	server.faults = faults_new();
	server.default_region = o->region;
	cfg.default_region = o->region;
	cfg.public_endpoint = public_endpoint;
	cfg.is_tls = tls != NULL;
	cfg.is_strict = o->is_strict;
	cfg.relax_references = o->relax_references;
	memcpy(cfg.quotas, o->quotas, sizeof cfg.quotas);
	cfg.clock_offset_sec = o->clock_offset;
	cfg.creds = server.creds;
	cfg.secrets = secrets;
	cfg.upstream_creds = upstream_creds;
	cfg.ptc_refresh_sec = o->ptc_refresh;
	cfg.repl_delay_sec = o->repl_delay;
	cfg.archive_restore_sec = o->archive_restore;
	cfg.signing_dir = signing_dir;
	cfg.upstream_urls = o->upstream_urls;
	cfg.n_upstream_urls = o->n_upstream_urls;
	if (api_ctx_new(server.store, &cfg, &server.api, cause) != 0 ||
	    add_signing_keys(o, cause) != 0)
		return -1;
	if (o->audit_log != NULL &&
	    audit_open(&server, o->audit_log, cause) != 0)
		return -1;
	server.upstream = upstream_net_new(&server);
	if (start_event_sinks(o, &events, cause) != 0)
		return -1;
	/* Before any write or background run: their events go out. */
	if ((server.events = events_new(&server, &events, cause)) == NULL &&
	    *cause != NULL)
		return -1;
	if (!o->has_no_metrics)
		server.metrics =
		    srv_metrics_new(&server, (size_t)o->metrics_max_series);
	http_server_set_header_timeout(server.http,
	    (unsigned)o->header_timeout);
	core_ctx_set_endpoint(server.api, http_server_address(server.http));
	server.lc_sched = lc_sched_new(&server, (unsigned)o->lifecycle_interval,
	    o->account, o->region);
	if ((server.pool = pool_new(server.base, POOL_THREADS, POOL_QUEUE_MAX,
	         cause)) == NULL)
		return -1;
	if (writes_start(&server, cause) != 0)
		return -1;
	server.gc_sched = gc_sched_new(&server);
	server.repl_sched = repl_sched_new(&server);
	if (o->vuln_db != NULL && load_feed(o->vuln_db, cause) != 0)
		return -1;
	server.scan_sched = scan_sched_new(&server, o->vuln_db);
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
	event_sinks_stop();
	upstream_net_free(server.upstream);
	pool_free(server.pool);
	if (server.api != NULL)
		(void)core_signs_flush(server.api);
	writes_stop(&server);
	gc_sched_free(server.gc_sched);
	repl_sched_free(server.repl_sched);
	scan_sched_free(server.scan_sched);
	lc_sched_free(server.lc_sched);
	http_server_free(server.http);
	audit_close();
	http_tls_free(tls);
	if (server.batch_ev != NULL)
		event_free(server.batch_ev);
	if (server.housekeeping_ev != NULL)
		event_free(server.housekeeping_ev);
	if (server.api != NULL)
		(void)core_pulls_flush(server.api);
	events_free(server.events);
	event_sinks_free();
	free(server.pending);
	api_ctx_free(server.api);
	srv_metrics_free(server.metrics);
	store_close(server.store);
	creds_free(server.creds);
	creds_free(upstream_creds);
	creds_free(eventbridge_creds);
	api_secrets_free(secrets);
	throttle_free(server.throttle);
	faults_free(server.faults);
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
	char *cause = NULL, *ready;
	size_t i;
	int rc = 1;

	clock_gettime(CLOCK_MONOTONIC, &server.started);
	if (parse_options(argc, argv, &o) != 0) {
		free(o.upstream_urls);
		free(o.signing_keys);
		free(o.throttle_rates);
		return 2;
	}
	if (o.is_health_check)
		return healthcheck_run(&o.listen_ep);
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
		free(o.throttle_rates);
		free(o.webhooks);
		return 1;
	}
	sigs[0] = evsignal_new(server.base, SIGINT, stop_cb, NULL);
	sigs[1] = evsignal_new(server.base, SIGTERM, stop_cb, NULL);
	sigs[2] = evsignal_new(server.base, SIGHUP, reload_cb, NULL);
	for (i = 0; i < 3; i++)
		evsignal_add(sigs[i], NULL);
	log_info("ecrd %s listening on %s%s (%s, %s mode)", ECRD_VERSION,
	    http_server_address(server.http), tls != NULL ? " (HTTPS)" : "",
	    o.is_ephemeral ? "ephemeral" : o.data_dir,
	    o.is_strict ? "strict" : "permissive");
	if (o.is_strict && o.has_admin_endpoints)
		log_warn("--admin-endpoints: anyone who reaches %s may mint "
		         "tokens, reset and collect without credentials",
		    http_server_address(server.http));
	/* Listening, and the port file written: a Type=notify unit is up. */
	ready = xasprintf("READY=1\nSTATUS=listening on %s",
	    http_server_address(server.http));
	notify_send(ready);
	free(ready);
	logturn_start(server.base);
	if (event_base_dispatch(server.base) == 0)
		rc = 0;
	logturn_stop();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	log_info("ecrd stopped");
	stop();
	free(o.upstream_urls);
	free(o.signing_keys);
	free(o.throttle_rates);
	free(o.webhooks);
	return rc;
}
