/*
 * ecrd-scan-bench: basic scanning's figures (bench/run.sh's "scan" set,
 * issue 15). Generates an image of BENCH_SCAN_MIB (200) MiB of tar in 5
 * gzip layers (a Debian base with 1,000 packages, files of 4 KiB to 1 MiB,
 * a whiteout of dpkg's status and a new one in the last layer) and times
 * scan_inventory_read with its peak RSS; then generates BENCH_OSV_RECORDS
 * (100,000) OSV records and times vulndb_open, its RSS and a match of
 * the inventory. Each measured step runs in a child process, whose peak
 * RSS wait4 reports. Figures are printed, never asserted.
 *
 *   ecrd-scan-bench WORK_DIR    (created; removed afterwards)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/xalloc.h"
#include "core/scan.h"

#define N_LAYERS 5
#define N_PACKAGES 1000
#define N_NAMES 5000 /* source packages the feed names */
#define CHUNK (64 * 1024)

struct gz_out {
	FILE *fp;
	z_stream zs;
	uint64_t raw;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "ecrd-scan-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
gz_write(struct gz_out *g, const void *data, size_t len, int flush)
{
	unsigned char out[CHUNK];

	g->zs.next_in = data;
	g->zs.avail_in = (uInt)len;
	g->raw += len;
	do {
		g->zs.next_out = out;
		g->zs.avail_out = sizeof(out);
		deflate(&g->zs, flush);
		fwrite(out, 1, sizeof(out) - g->zs.avail_out, g->fp);
	} while (g->zs.avail_out == 0);
}

static void
tar_header(struct gz_out *g, const char *name, char type, uint64_t size)
{
	unsigned char h[512];
	unsigned long sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	/* Sizes here stay under 8 GiB: 11 octal digits. */
	snprintf((char *)h + 124, 12, "%011llo",
	    (unsigned long long)(size & 077777777777ULL));
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06lo", sum);
	gz_write(g, h, sizeof(h), Z_NO_FLUSH);
}

static void
tar_data(struct gz_out *g, const void *data, size_t len)
{
	static const char zeros[512];

	gz_write(g, data, len, Z_NO_FLUSH);
	if (len % 512 != 0)
		gz_write(g, zeros, 512 - len % 512, Z_NO_FLUSH);
}

/* Text-like bytes (words from a small vocabulary): gzip gets ~3:1. */
static void
fill(unsigned char *p, size_t len)
{
	static const char *const words[] = {"lib", "so", "usr", "share", "doc",
	    "init", "main", "copy", "ELF", "\x7f", "data", "text", "bss",
	    "symbol", "0x4f2a", "error", "return", "static", "int", "char",
	    "\n", "\t", "  "};
	size_t i = 0, n;
	const char *w;

	while (i < len) {
		w = words[rng() % (sizeof(words) / sizeof(words[0]))];
		n = strlen(w) < len - i ? strlen(w) : len - i;
		memcpy(p + i, w, n);
		i += n;
		if (i < len && rng() % 4 == 0)
			p[i++] = (unsigned char)rng();
	}
}

static void
tar_text(struct gz_out *g, const char *name, const char *text)
{
	tar_header(g, name, '0', strlen(text));
	tar_data(g, text, strlen(text));
}

static char *
dpkg_status(int version)
{
	struct buf b;
	int i;

	buf_init(&b, 1U << 30);
	for (i = 0; i < N_PACKAGES; i++)
		buf_addf(&b,
		    "Package: pkg%d\nStatus: install ok installed\n"
		    "Priority: optional\nArchitecture: amd64\n"
		    "Source: src%d\nVersion: 1.%d.%d-1\n"
		    "Description: package %d\n a longer description line\n\n",
		    i, i * 5 % N_NAMES, i % 7, version, i);
	return buf_take(&b, NULL);
}

/* One layer of about bytes of files, plus the extras of its place. */
static void
write_layer(const char *path, int index, uint64_t bytes)
{
	unsigned char *data = xmalloc(1024 * 1024);
	struct gz_out g = {0};
	char name[64], *status;
	uint64_t size;
	int n = 0;

	if ((g.fp = fopen(path, "wb")) == NULL)
		die(path);
	deflateInit2(&g.zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY);
	if (index == 0) {
		tar_text(&g, "etc/os-release",
		    "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian "
		    "12\"\n");
		status = dpkg_status(0);
		tar_text(&g, "var/lib/dpkg/status", status);
		free(status);
	} else if (index == 2) {
		tar_text(&g, "var/lib/dpkg/.wh.status", "");
	} else if (index == N_LAYERS - 1) {
		status = dpkg_status(1);
		tar_text(&g, "var/lib/dpkg/status", status);
		free(status);
	}
	while (g.raw < bytes) {
		size = 4096 + rng() % (1024 * 1024 - 4096);
		snprintf(name, sizeof(name), "usr/lib/l%d/f%d.so", index, n++);
		fill(data, (size_t)size);
		tar_header(&g, name, '0', size);
		tar_data(&g, data, (size_t)size);
	}
	gz_write(&g, data, 0, Z_NO_FLUSH);
	memset(data, 0, 1024);
	gz_write(&g, data, 1024, Z_FINISH);
	deflateEnd(&g.zs);
	fclose(g.fp);
	free(data);
}

/* What a child reports of itself. */
struct child_report {
	double sec, cpu_sec;
	long rss_kib;
};

/* Run fn in a child: its seconds (wall, CPU) and its own peak RSS. */
static int
measure(void (*fn)(void *), void *arg, struct child_report *out)
{
	struct child_report rep = {-1, -1, -1};
	struct rusage ru;
	int fds[2], status;
	double t0;
	pid_t pid;

	if (pipe(fds) != 0)
		die("pipe");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(fds[0]);
		t0 = now_sec();
		fn(arg);
		rep.sec = now_sec() - t0;
		getrusage(RUSAGE_SELF, &ru);
		rep.rss_kib = ru.ru_maxrss;
		rep.cpu_sec = (double)ru.ru_utime.tv_sec +
		              (double)ru.ru_utime.tv_usec / 1e6 +
		              (double)ru.ru_stime.tv_sec +
		              (double)ru.ru_stime.tv_usec / 1e6;
		if (write(fds[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		rep.sec = -1;
	close(fds[0]);
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid");
	*out = rep;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

struct scan_job {
	struct scan_layer layers[N_LAYERS];
	const char *feed;
};

static void
run_scan(void *arg)
{
	struct scan_job *job = arg;
	struct scan_inventory inv;
	char *reason = NULL;

	if (scan_inventory_read(job->layers, N_LAYERS, &inv, &reason) !=
	    SCAN_OK) {
		fprintf(stderr, "ecrd-scan-bench: scan: %s\n", reason);
		_exit(1);
	}
	if (inv.n_pkgs != N_PACKAGES)
		_exit(1);
	scan_inventory_free(&inv);
}

static void
write_feed(const char *dir, size_t n)
{
	static const char *const ecosystems[] = {
	    "Debian:12", "Debian:11", "Ubuntu:22.04:LTS", "Alpine:v3.19"};
	char *path;
	FILE *fp;
	size_t i;

	for (i = 0; i < n; i++) {
		path = xasprintf("%s/BENCH-%zu.json", dir, i);
		if ((fp = fopen(path, "w")) == NULL)
			die(path);
		free(path);
		fprintf(fp,
		    "{\"schema_version\": \"1.6.0\", \"id\": \"BENCH-%zu\", "
		    "\"modified\": \"2026-01-%02zuT08:00:00Z\", "
		    "\"upstream\": [\"CVE-2025-%zu\"], "
		    "\"summary\": \"src%zu: a flaw in parsing of some input "
		    "that may let an attacker do something\", "
		    "\"details\": \"A longer description of the flaw.\", "
		    "\"affected\": [{\"package\": {\"ecosystem\": \"%s\", "
		    "\"name\": \"src%zu\"}, \"ranges\": [{\"type\": "
		    "\"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
		    "{\"fixed\": \"1.%zu.%zu-1\"}]}], \"ecosystem_specific\": "
		    "{\"urgency\": \"medium\"}}], \"severity\": [{\"type\": "
		    "\"CVSS_V3\", \"score\": "
		    "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\"}], "
		    "\"references\": [{\"type\": \"ADVISORY\", \"url\": "
		    "\"https://security-tracker.debian.org/tracker/"
		    "CVE-2025-%zu\"}]}\n",
		    i, i % 28 + 1, i, i % N_NAMES, ecosystems[i % 4],
		    i % N_NAMES, i % 9, i % 3, i);
		fclose(fp);
	}
}

static void
run_open(void *arg)
{
	struct scan_job *job = arg;
	struct vulndb *db;
	char *err = NULL;

	if ((db = vulndb_open(job->feed, &err)) == NULL) {
		fprintf(stderr, "ecrd-scan-bench: %s\n", err);
		_exit(1);
	}
	/* The child's exit frees it: its peak RSS is what we want. */
}

/* Open the feed, then time matching the scanned inventory against it. */
static void
run_match(void *arg)
{
	struct scan_job *job = arg;
	struct scan_inventory inv;
	struct scan_finding *f;
	struct vulndb *db;
	char *reason = NULL;
	double t0;
	size_t n;

	if ((db = vulndb_open(job->feed, &reason)) == NULL ||
	    scan_inventory_read(job->layers, N_LAYERS, &inv, &reason) !=
	        SCAN_OK)
		_exit(1);
	t0 = now_sec();
	n = vulndb_match(db, &inv, &f);
	printf("scan: match of %zu packages against %zu records: %.1f ms, "
	       "%zu findings\n",
	    inv.n_pkgs, vulndb_count(db, NULL), (now_sec() - t0) * 1e3, n);
	fflush(stdout);
	scan_findings_free(f, n);
	scan_inventory_free(&inv);
	vulndb_free(db);
}

static void
remove_all(const char *dir, size_t n_records)
{
	char *path;
	size_t i;

	for (i = 0; i < n_records + N_LAYERS; i++) {
		path =
		    i < n_records
		        ? xasprintf("%s/feed/BENCH-%zu.json", dir, i)
		        : xasprintf("%s/layer%zu.tar.gz", dir, i - n_records);
		unlink(path);
		free(path);
	}
	path = xasprintf("%s/feed", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name), *errstr;
	uint64_t n;

	if (v == NULL || parse_u64(v, 1, 1U << 20, &n, &errstr) != 0)
		return dflt;
	return n;
}

int
main(int argc, char **argv)
{
	char *paths[N_LAYERS];
	uint64_t mib = env_u64("BENCH_SCAN_MIB", 200);
	size_t n_records = env_u64("BENCH_OSV_RECORDS", 100000);
	struct child_report rep;
	struct scan_job job;
	char *feed;
	uint64_t gz_bytes = 0;
	struct stat st;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: ecrd-scan-bench WORK_DIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0700) != 0 && errno != EEXIST)
		die(argv[1]);
	for (i = 0; i < N_LAYERS; i++) {
		paths[i] = xasprintf("%s/layer%zu.tar.gz", argv[1], i);
		write_layer(paths[i], (int)i, (mib << 20) / N_LAYERS);
		if (stat(paths[i], &st) == 0)
			gz_bytes += (uint64_t)st.st_size;
		job.layers[i].path = paths[i];
		job.layers[i].media_type =
		    "application/vnd.docker.image.rootfs.diff.tar.gzip";
	}
	if (measure(run_scan, &job, &rep) != 0)
		return 1;
	printf("scan: image of %llu MiB of tar in %d gzip layers (%.1f MiB "
	       "compressed): inventory of %d packages in %.2f s (%.2f s CPU; "
	       "%.0f MiB/s of tar), peak RSS %.1f MiB\n",
	    (unsigned long long)mib, N_LAYERS, (double)gz_bytes / 1048576.0,
	    N_PACKAGES, rep.sec, rep.cpu_sec, (double)mib / rep.sec,
	    (double)rep.rss_kib / 1024.0);
	feed = xasprintf("%s/feed", argv[1]);
	if (mkdir(feed, 0700) != 0 && errno != EEXIST)
		die(feed);
	write_feed(feed, n_records);
	job.feed = feed;
	if (measure(run_open, &job, &rep) != 0)
		return 1;
	printf("scan: vulndb_open of %zu OSV records (one file each): %.2f s "
	       "(%.2f s CPU; %.0f records/s), peak RSS %.1f MiB\n",
	    n_records, rep.sec, rep.cpu_sec, (double)n_records / rep.sec,
	    (double)rep.rss_kib / 1024.0);
	fflush(stdout);
	if (measure(run_match, &job, &rep) != 0)
		return 1;
	remove_all(argv[1], n_records);
	for (i = 0; i < N_LAYERS; i++)
		free(paths[i]);
	free(feed);
	return 0;
}
