/*
 * Unit tests for basic scanning's layer reader and inventory (core/scan.h,
 * issue 15): images built here as plain, gzip and zstd tar layers, read
 * in order with whiteouts; ustar, pax and GNU names; dpkg, distroless and
 * apk databases; and layers that are truncated, malicious or over a
 * limit, which fail with a reason after bounded work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scan.h"
#include "scan_fixture.h"

#define DEBIAN_OS_RELEASE                                                      \
	"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"                     \
	"NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"                       \
	"VERSION=\"12 (bookworm)\"\nID=debian\n"

#define DPKG_STATUS                                                            \
	"Package: libssl3\nStatus: install ok installed\n"                     \
	"Priority: optional\nArchitecture: amd64\nSource: openssl\n"           \
	"Version: 3.0.11-1~deb12u2\nDescription: Secure Sockets Layer\n"       \
	" toolkit - shared libraries\n .\n more text\n\n"                      \
	"Package: old-thing\nStatus: deinstall ok config-files\n"              \
	"Version: 1.0-1\n\n"                                                   \
	"Package: libc6\nStatus: install ok installed\n"                       \
	"Source: glibc (2.36-9+deb12u3)\nVersion: 2.36-9+deb12u3+b1\n\n"       \
	"Package: zlib1g\nStatus: hold ok installed\nSource: zlib\n"           \
	"Version: 1:1.2.13.dfsg-1\n"

#define ALPINE_OS_RELEASE                                                      \
	"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n"                \
	"PRETTY_NAME=\"Alpine Linux v3.19\"\n"

#define APK_INSTALLED                                                          \
	"C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n"            \
	"F:lib\nR:libcrypto.so.3\n\n"                                          \
	"P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\n\n"

struct layers_test {
	struct scan_fixture fix;
	struct scan_inventory inv;
	char *reason;
};

static int
setup(void **state)
{
	struct layers_test *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	scan_fixture_init(&t->fix);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct layers_test *t = *state;

	scan_fixture_release(&t->fix);
	scan_inventory_free(&t->inv);
	free(t->reason);
	free(t);
	return 0;
}

static enum scan_result
read_all(struct layers_test *t)
{
	return scan_inventory_read(t->fix.layers, t->fix.n_layers, &t->inv,
	    &t->reason);
}

static enum scan_result
read_limited(struct layers_test *t, const struct scan_limits *l)
{
	return scan_inventory_read_limits(t->fix.layers, t->fix.n_layers, l,
	    &t->inv, &t->reason);
}

static const struct scan_package *
find_pkg(const struct scan_inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->n_pkgs; i++)
		if (strcmp(inv->pkgs[i].name, name) == 0)
			return &inv->pkgs[i];
	return NULL;
}

static void
assert_reason_has(const struct layers_test *t, const char *part)
{
	assert_non_null(t->reason);
	if (strstr(t->reason, part) == NULL)
		fail_msg("reason '%s' lacks '%s'", t->reason, part);
}

/* A Debian base layer: os-release as Debian links it, and dpkg's status. */
static void
debian_base(struct buf *b)
{
	fix_tar_init(b);
	fix_tar_add(b, "./", '5', NULL, 0, NULL);
	fix_tar_add(b, "./etc/", '5', NULL, 0, NULL);
	fix_tar_add(b, "./etc/os-release", '2', NULL, 0,
	    "../usr/lib/os-release");
	fix_tar_file(b, "./usr/lib/os-release", DEBIAN_OS_RELEASE);
	fix_tar_file(b, "./var/lib/dpkg/status", DPKG_STATUS);
	fix_tar_file(b, "./usr/bin/true",
	    "\x7f"
	    "ELF");
	fix_tar_end(b);
}

static void
test_scan_reads_debian_inventory_from_gzip_layer(void **state)
{
	struct layers_test *t = *state;
	const struct scan_package *p;
	struct buf b;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_string_equal(t->inv.os_id, "debian");
	assert_string_equal(t->inv.os_version_id, "12");
	assert_string_equal(t->inv.os_pretty, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(t->inv.ecosystem, "Debian:12");
	assert_string_equal(t->inv.pkg_format, "dpkg");
	/* old-thing is not installed; hold ok installed is. */
	assert_int_equal(t->inv.n_pkgs, 3);
	assert_null(find_pkg(&t->inv, "old-thing"));
	assert_non_null(p = find_pkg(&t->inv, "libssl3"));
	assert_string_equal(p->version, "3.0.11-1~deb12u2");
	assert_string_equal(p->source, "openssl");
	assert_string_equal(p->source_version, "3.0.11-1~deb12u2");
	/* A binNMU: the source's version is in Source's parentheses. */
	assert_non_null(p = find_pkg(&t->inv, "libc6"));
	assert_string_equal(p->source, "glibc");
	assert_string_equal(p->source_version, "2.36-9+deb12u3");
	assert_string_equal(p->version, "2.36-9+deb12u3+b1");
	assert_non_null(p = find_pkg(&t->inv, "zlib1g"));
	assert_string_equal(p->source, "zlib");
	assert_string_equal(p->source_version, "1:1.2.13.dfsg-1");
}

static void
test_scan_reads_alpine_inventory_from_zstd_and_plain(void **state)
{
	struct layers_test *t = *state;
	const struct scan_package *p;
	struct buf b;

	fix_tar_init(&b);
	fix_tar_file(&b, "etc/os-release", ALPINE_OS_RELEASE);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD);
	buf_release(&b);
	fix_tar_init(&b);
	fix_tar_file(&b, "/lib/apk/db/installed", APK_INSTALLED);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_string_equal(t->inv.ecosystem, "Alpine:v3.19");
	assert_string_equal(t->inv.pkg_format, "apk");
	assert_int_equal(t->inv.n_pkgs, 2);
	assert_non_null(p = find_pkg(&t->inv, "libcrypto3"));
	assert_string_equal(p->source, "openssl");
	assert_string_equal(p->source_version, "3.1.4-r5");
	assert_non_null(p = find_pkg(&t->inv, "musl"));
	assert_string_equal(p->source, "musl");
}

static void
test_scan_whiteout_in_later_layer_removes_dpkg_status(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/dpkg/.wh.status", "");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
	assert_reason_has(t, "no OS package database");
}

static void
test_scan_whiteout_of_parent_directory_hides_files(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/.wh.dpkg", "");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
}

static void
test_scan_opaque_directory_keeps_its_own_layer(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	/* The opaque marker hides the lower status; the new one stays. */
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/dpkg/status",
	    "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\n");
	fix_tar_file(&b, "var/lib/dpkg/.wh..wh..opq", "");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_int_equal(t->inv.n_pkgs, 1);
	assert_string_equal(t->inv.pkgs[0].name, "bash");
}

static void
test_scan_later_layer_replaces_file(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/dpkg/status",
	    "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
	    "Package: b\nStatus: install ok installed\nVersion: 2\n");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_int_equal(t->inv.n_pkgs, 2);
	assert_string_equal(t->inv.pkgs[0].name, "a");
	assert_string_equal(t->inv.pkgs[1].name, "b");
}

static void
test_scan_reads_pax_and_gnu_long_names(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	fix_tar_init(&b);
	fix_tar_add(&b,
	    "./var/lib/dpkg/././/status.d/"
	    "a-package-with-a-very-long-name-that-needs-a-pax-header-"
	    "because-it-passes-one-hundred-bytes",
	    '0', "Package: longpkg\nVersion: 1.0-1\n",
	    strlen("Package: longpkg\nVersion: 1.0-1\n"), NULL);
	fix_tar_gnu_long(&b, "etc/os-release", DEBIAN_OS_RELEASE);
	fix_tar_file(&b, "var/lib/dpkg/status.d/longpkg.md5sums", "x  y\n");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_string_equal(t->inv.ecosystem, "Debian:12");
	/* status.d's stanzas need no Status: the file says installed. */
	assert_int_equal(t->inv.n_pkgs, 1);
	assert_string_equal(t->inv.pkgs[0].name, "longpkg");
}

static void
test_scan_reads_gzip_members_and_zstd_frames(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	/* os-release in a two-member gzip, the status in two zstd frames. */
	fix_tar_init(&b);
	fix_tar_file(&b, "etc/os-release", DEBIAN_OS_RELEASE);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP2);
	buf_release(&b);
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/dpkg/status", DPKG_STATUS);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD2);
	buf_release(&b);
	/* A plain layer may end without its end-of-archive marker. */
	fix_tar_init(&b);
	fix_tar_file(&b, "usr/share/doc/x", "x");
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_string_equal(t->inv.ecosystem, "Debian:12");
	assert_int_equal(t->inv.n_pkgs, 3);
}

static void
test_scan_follows_links_within_bounds(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	/* A hard link to a kept file is a copy of it. */
	fix_tar_init(&b);
	fix_tar_file(&b, "usr/lib/os-release", ALPINE_OS_RELEASE);
	fix_tar_add(&b, "etc/os-release", '1', NULL, 0, "usr/lib/os-release");
	fix_tar_file(&b, "lib/apk/db/installed", APK_INSTALLED);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	assert_string_equal(t->inv.ecosystem, "Alpine:v3.19");
	scan_inventory_free(&t->inv);

	/* Symbolic links that loop lead nowhere: no os-release at all. */
	fix_tar_init(&b);
	fix_tar_add(&b, "usr/lib/os-release", '2', NULL, 0, "/etc/os-release");
	fix_tar_add(&b, "etc/os-release", '2', NULL, 0,
	    "../../../usr/lib/./os-release");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
	assert_reason_has(t, "no /etc/os-release");
}

static void
test_scan_zstd_bomb_fails_within_limits(void **state)
{
	struct layers_test *t = *state;
	struct scan_limits l;
	struct buf b;
	char *zeros = calloc(1, 32U << 20);

	assert_non_null(zeros);
	fix_tar_init(&b);
	fix_tar_header(&b, "zeros", '0', 32U << 20, NULL);
	buf_add(&b, zeros, 32U << 20);
	free(zeros);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD);
	buf_release(&b);
	scan_limits_default(&l);
	l.ratio_after = 1U << 20;
	assert_int_equal(read_limited(t, &l), SCAN_FAILED);
	assert_reason_has(t, "times its size");
}

static void
test_scan_fails_path_traversal(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	fix_tar_init(&b);
	fix_tar_file(&b, "etc/os-release", DEBIAN_OS_RELEASE);
	fix_tar_file(&b, "var/../../etc/passwd", "root:x:0:0\n");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_FAILED);
	assert_reason_has(t, "layer 1 of 1");
	assert_reason_has(t, "..");
}

static void
test_scan_fails_truncated_layers(void **state)
{
	struct layers_test *t = *state;
	enum fix_compression c;
	struct buf b;
	size_t i;

	debian_base(&b);
	for (c = FIX_PLAIN; c <= FIX_ZSTD; c++) {
		i = fix_layer(&t->fix, &b, c);
		/* Off a block boundary, where a plain tar may end. */
		fix_layer_truncate(&t->fix, i,
		    fix_layer_size(&t->fix, i) / 2 + 100);
	}
	buf_release(&b);
	/* Each alone: plain, gzip and zstd cut in the middle. */
	for (i = 0; i < t->fix.n_layers; i++) {
		assert_int_equal(scan_inventory_read(&t->fix.layers[i], 1,
		                     &t->inv, &t->reason),
		    SCAN_FAILED);
		assert_reason_has(t, "truncated");
		free(t->reason);
		t->reason = NULL;
	}
}

static void
test_scan_fails_corrupt_header_and_garbage(void **state)
{
	struct layers_test *t = *state;
	struct buf b;
	size_t i;

	debian_base(&b);
	b.data[150] ^= 0x55; /* the first header's checksum field */
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_FAILED);
	assert_reason_has(t, "corrupt");
	free(t->reason);
	t->reason = NULL;
	scan_fixture_release(&t->fix);
	scan_fixture_init(&t->fix);

	/* Random bytes under a gzip media type are not gzip. */
	fix_tar_init(&b);
	for (i = 0; i < 4096; i++)
		buf_add(&b, &(char){(char)(i * 7 + 3)}, 1);
	i = fix_layer(&t->fix, &b, FIX_PLAIN);
	t->fix.layers[i].media_type =
	    "application/vnd.oci.image.layer.v1.tar+gzip";
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_FAILED);
	assert_reason_has(t, "gzip");
}

static void
test_scan_gzip_bomb_fails_within_limits(void **state)
{
	struct layers_test *t = *state;
	struct scan_limits l;
	struct buf b;

	/* 64 MiB of zeros in one member: about 64 KiB of gzip. */
	fix_tar_init(&b);
	fix_tar_file(&b, "etc/os-release", DEBIAN_OS_RELEASE);
	fix_tar_header(&b, "zeros", '0', 64ULL << 20, NULL);
	fix_layer_zeros(&t->fix, &b, 64ULL << 20);
	buf_release(&b);

	/* The ratio stops it after ratio_after bytes... */
	scan_limits_default(&l);
	l.ratio_after = 4U << 20;
	assert_int_equal(read_limited(t, &l), SCAN_FAILED);
	assert_reason_has(t, "times its size");
	free(t->reason);
	t->reason = NULL;

	/* ...and the total cap, whatever the ratio. */
	scan_limits_default(&l);
	l.max_ratio = 1U << 20;
	l.max_total_bytes = 8U << 20;
	assert_int_equal(read_limited(t, &l), SCAN_FAILED);
	assert_reason_has(t, "more than 8388608 bytes");
}

static void
test_scan_limits_entries_and_kept_bytes(void **state)
{
	struct layers_test *t = *state;
	struct scan_limits l;
	char name[32];
	struct buf b;
	int i;

	fix_tar_init(&b);
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fix_tar_file(&b, name, "x");
	}
	fix_tar_file(&b, "var/lib/dpkg/status", DPKG_STATUS);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_ZSTD);
	buf_release(&b);
	scan_limits_default(&l);
	l.max_entries = 10;
	assert_int_equal(read_limited(t, &l), SCAN_FAILED);
	assert_reason_has(t, "more than 10 tar entries");
	free(t->reason);
	t->reason = NULL;

	scan_limits_default(&l);
	l.max_file_bytes = 100;
	assert_int_equal(read_limited(t, &l), SCAN_FAILED);
	assert_reason_has(t, "/var/lib/dpkg/status is larger than 100 bytes");
}

static void
test_scan_unsupported_without_os_or_database(void **state)
{
	struct layers_test *t = *state;
	struct buf b;

	/* An empty layer (a bare end marker) and no database. */
	fix_tar_init(&b);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
	assert_reason_has(t, "no OS package database");
	free(t->reason);
	t->reason = NULL;

	/* A database, but no os-release. */
	fix_tar_init(&b);
	fix_tar_file(&b, "var/lib/dpkg/status", DPKG_STATUS);
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
	assert_reason_has(t, "no /etc/os-release");
	free(t->reason);
	t->reason = NULL;

	/* An OS OSV's distro feeds do not name. */
	fix_tar_init(&b);
	fix_tar_file(&b, "etc/os-release", "ID=linuxmint\nVERSION_ID=21\n");
	fix_tar_end(&b);
	fix_layer(&t->fix, &b, FIX_PLAIN);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_UNSUPPORTED);
	assert_reason_has(t, "'linuxmint 21'");
}

static void
test_scan_maps_os_release_to_ecosystems(void **state)
{
	static const struct {
		const char *os_release, *ecosystem;
	} cases[] = {
	    {"ID=ubuntu\nVERSION_ID=\"22.04\"\n", "Ubuntu:22.04"},
	    {"ID='debian'\nVERSION_ID='11'\n", "Debian:11"},
	    {"ID=debian\n", "Debian:sid"},
	    {"ID=alpine\nVERSION_ID=3.20.0_alpha20240329\n", "Alpine:v3.20"},
	    {"# comment\nID=\"alpine\"\r\nVERSION_ID=3.18.4\r\n",
	        "Alpine:v3.18"},
	};
	struct layers_test *t = *state;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_fixture_release(&t->fix);
		scan_fixture_init(&t->fix);
		fix_tar_init(&b);
		fix_tar_file(&b, "usr/lib/os-release", cases[i].os_release);
		fix_tar_file(&b, "var/lib/dpkg/status", DPKG_STATUS);
		fix_tar_end(&b);
		fix_layer(&t->fix, &b, FIX_PLAIN);
		buf_release(&b);
		assert_int_equal(read_all(t), SCAN_OK);
		assert_string_equal(t->inv.ecosystem, cases[i].ecosystem);
		scan_inventory_free(&t->inv);
	}
}

static void
test_scan_inventory_codec_round_trips_and_rejects_damage(void **state)
{
	struct layers_test *t = *state;
	struct scan_inventory back = {0};
	struct buf b;
	char *enc;
	size_t len, cut, i;

	debian_base(&b);
	fix_layer(&t->fix, &b, FIX_GZIP);
	buf_release(&b);
	assert_int_equal(read_all(t), SCAN_OK);
	free(t->inv.os_pretty);
	t->inv.os_pretty = NULL; /* NULL strings survive too */
	enc = scan_inventory_encode(&t->inv, &len);
	assert_non_null(enc);
	assert_int_equal(scan_inventory_decode(enc, len, &back), 0);
	assert_string_equal(back.ecosystem, t->inv.ecosystem);
	assert_null(back.os_pretty);
	assert_int_equal(back.n_pkgs, t->inv.n_pkgs);
	for (i = 0; i < back.n_pkgs; i++) {
		assert_string_equal(back.pkgs[i].name, t->inv.pkgs[i].name);
		assert_string_equal(back.pkgs[i].source_version,
		    t->inv.pkgs[i].source_version);
	}
	scan_inventory_free(&back);
	/* Every shorter prefix, and trailing bytes, are refused. */
	for (cut = 0; cut < len; cut++)
		assert_int_equal(scan_inventory_decode(enc, cut, &back), -1);
	enc[0] = 2; /* a newer format */
	assert_int_equal(scan_inventory_decode(enc, len, &back), -1);
	free(enc);
	assert_int_equal(scan_inventory_decode("\x01\xff\xff\xff\xff", 5,
	                     &back),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_scan_reads_debian_inventory_from_gzip_layer, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_reads_alpine_inventory_from_zstd_and_plain, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_whiteout_in_later_layer_removes_dpkg_status, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_whiteout_of_parent_directory_hides_files, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_opaque_directory_keeps_its_own_layer, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_scan_later_layer_replaces_file,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_reads_pax_and_gnu_long_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_reads_gzip_members_and_zstd_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_follows_links_within_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_zstd_bomb_fails_within_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_fails_path_traversal,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_fails_truncated_layers,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_fails_corrupt_header_and_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_gzip_bomb_fails_within_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_limits_entries_and_kept_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_unsupported_without_os_or_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_maps_os_release_to_ecosystems, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scan_inventory_codec_round_trips_and_rejects_damage, setup,
	        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
