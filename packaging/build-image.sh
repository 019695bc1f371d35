#!/bin/sh
# Build ecrd's container image without pulling a base image: buildah
# `from scratch`, then ecrd, the shared libraries ldd names for it (and
# its loader), CA certificates for pull-through upstreams, a non-root user,
# a volume for the data directory, and a health check on /health
# (`ecrd --health-check`: the image has no shell and no curl). The
# conventional build from a Debian base is packaging/Containerfile.
#
# Usage: packaging/build-image.sh [BUILD_DIR [IMAGE]]
#   BUILD_DIR  a CMake build holding server/ecrd (default build-release)
#   IMAGE      the name committed (default localhost/ecrd:VERSION)
# Environment:
#   ECRD_IMAGE_ARCHIVE=FILE  also write the image to FILE as a
#       docker-archive (`docker load -i FILE`, `skopeo copy
#       docker-archive:FILE docker://...`)
#   BUILDAH_FLAGS  added to every buildah call (e.g. "--root DIR --runroot
#       DIR"); buildah also reads STORAGE_DRIVER and BUILDAH_ISOLATION.
# Run as root, or rootless under `buildah unshare`.
set -eu

build=${1:-build-release}
bin=$build/server/ecrd
uid=65532 # the "nonroot" id distroless images use
if [ ! -x "$bin" ]; then
	echo "build-image: no $bin (make, or name a build directory)" >&2
	exit 1
fi
version=$("$bin" --version | cut -d' ' -f2)
image=${2:-localhost/ecrd:$version}

# Docker's format from the start: OCI image configs have no health check,
# and buildah config drops it unless the container is docker-format.
export BUILDAH_FORMAT=docker
b() {
	# shellcheck disable=SC2086
	buildah ${BUILDAH_FLAGS:-} "$@"
}

stage=$(mktemp -d)
ctr=""
cleanup() {
	rm -rf "$stage"
	[ -n "$ctr" ] && b rm "$ctr" >/dev/null 2>&1
	return 0
}
trap cleanup EXIT

# The root file system, laid out in $stage: every library where ldd found
# it (the loader at the path the binary's PT_INTERP names).
mkdir -p "$stage/rootfs/usr/bin" "$stage/rootfs/etc/ssl/certs" \
    "$stage/rootfs/tmp" "$stage/rootfs/var/lib" "$stage/varlib/ecrd"
cp "$bin" "$stage/rootfs/usr/bin/ecrd"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
while read -r lib; do
	mkdir -p "$stage/rootfs$(dirname "$lib")"
	cp -L "$lib" "$stage/rootfs$lib"
done
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$stage/rootfs/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/:/sbin/nologin\necrd:x:%s:%s:ecrd:/var/lib/ecrd:/sbin/nologin\n' \
    "$uid" "$uid" >"$stage/rootfs/etc/passwd"
printf 'root:x:0:\necrd:x:%s:\n' "$uid" >"$stage/rootfs/etc/group"
printf 'hosts: files dns\n' >"$stage/rootfs/etc/nsswitch.conf"
chmod 1777 "$stage/rootfs/tmp"
chmod 0700 "$stage/varlib/ecrd"

ctr=$(b from --name "ecrd-build-$$" scratch)
b copy --chown 0:0 "$ctr" "$stage/rootfs" / >/dev/null
# The data directory, the user's own (a new volume starts as it is).
b copy --chown "$uid:$uid" "$ctr" "$stage/varlib" /var/lib >/dev/null
# The flags in the entrypoint, so `docker run IMAGE --ephemeral` adds to
# them (the last --listen or --data-dir given wins).
b config \
    --created-by "packaging/build-image.sh" \
    --label org.opencontainers.image.title=ecrd \
    --label org.opencontainers.image.description="a local Amazon Elastic Container Registry" \
    --label org.opencontainers.image.version="$version" \
    --user "$uid:$uid" \
    --workingdir /var/lib/ecrd \
    --env TMPDIR=/tmp \
    --port 5080/tcp \
    --volume /var/lib/ecrd \
    --entrypoint '["/usr/bin/ecrd", "--listen", "0.0.0.0:5080", "--data-dir", "/var/lib/ecrd"]' \
    --cmd '[]' \
    --stop-signal SIGTERM \
    --healthcheck 'CMD /usr/bin/ecrd --health-check --listen 127.0.0.1:5080' \
    --healthcheck-interval 30s \
    --healthcheck-timeout 10s \
    --healthcheck-start-period 5s \
    --healthcheck-retries 3 \
    "$ctr"
b commit --quiet --format docker "$ctr" "$image" >/dev/null
if [ -n "${ECRD_IMAGE_ARCHIVE:-}" ]; then
	rm -f "$ECRD_IMAGE_ARCHIVE"
	b push --quiet "$image" "docker-archive:$ECRD_IMAGE_ARCHIVE:$image"
fi
echo "$image"
