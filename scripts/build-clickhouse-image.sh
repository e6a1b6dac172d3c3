#!/usr/bin/env bash
# Builds the container image localhost/clickhouse-server:18.16 from Debian's own packages, without any registry:
# debootstrap a minimal bookworm root file system with clickhouse-server and clickhouse-client, make the server
# listen on all the container's interfaces, and `podman import` it. About 30-60 s. Root only; needs podman and
# debootstrap (scripts/setup-podman.sh installs them).
#
#   scripts/build-clickhouse-image.sh            # skips the build when the image already exists
#   scripts/build-clickhouse-image.sh --force    # rebuilds it
#
# Environment: CLICKHOUSE_LOCAL_IMAGE (image name, default localhost/clickhouse-server:18.16),
#              CLICKHOUSE_IMAGE_SUITE (Debian suite, default bookworm: its clickhouse-server is 18.16.1),
#              DEBIAN_MIRROR (default: the bookworm mirror of this machine's apt sources, else deb.debian.org).
#
# The cluster tests need no other image: every node is this image, started with its own config.d snippet by the
# harness (ServerSetupOptions.configXml), and ZooKeeper runs from Debian's package on the host.
set -euo pipefail

IMAGE="${CLICKHOUSE_LOCAL_IMAGE:-localhost/clickhouse-server:18.16}"
SUITE="${CLICKHOUSE_IMAGE_SUITE:-bookworm}"
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-clickhouse-image.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[build-clickhouse-image] $*"; }

if [ "$(id -u)" != 0 ]; then
  echo "build-clickhouse-image.sh must run as root (debootstrap)" >&2
  exit 1
fi
for tool in podman debootstrap tar; do
  command -v "$tool" >/dev/null || { echo "build-clickhouse-image.sh: $tool is missing (run scripts/setup-podman.sh)" >&2; exit 1; }
done

if [ "$FORCE" = 0 ] && podman image exists "$IMAGE"; then
  log "image $IMAGE already exists ($(podman image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-12)): build skipped"
  exit 0
fi

# The mirror this machine's apt already uses for the suite (deb822 .sources or one-line sources.list), if any.
detect_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { uri = ""; ok = 0; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      uri != "" && ok && uri !~ /security/ { print uri; exit }
    ' "$f"
  done | head -n1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i == suite) { print ($2 ~ /^\[/ ? $3 : $2); exit } }' "$f"
  done | head -n1
}
MIRROR="${DEBIAN_MIRROR:-$(detect_mirror | head -n1 || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

work="$(mktemp -d /var/tmp/clickhouse-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
log "building $IMAGE: debootstrap $SUITE from $MIRROR into $work"
if ! debootstrap --variant=minbase --include=clickhouse-server,clickhouse-client "$SUITE" "$work/rootfs" "$MIRROR" \
  >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  [ -f "$work/rootfs/debootstrap/debootstrap.log" ] && tail -n 40 "$work/rootfs/debootstrap/debootstrap.log" >&2
  echo "build-clickhouse-image.sh: debootstrap failed" >&2
  exit 1
fi
[ -x "$work/rootfs/usr/bin/clickhouse" ] || [ -x "$work/rootfs/usr/sbin/clickhouse-server" ] || {
  echo "build-clickhouse-image.sh: clickhouse-server is missing from the root file system" >&2
  exit 1
}

mkdir -p "$work/rootfs/etc/clickhouse-server/config.d"
# Without this the server listens on the container's loopback only, and port mapping reaches nothing.
echo '<yandex><listen_host>0.0.0.0</listen_host></yandex>' >"$work/rootfs/etc/clickhouse-server/config.d/docker.xml"
# Smaller image: the downloaded packages are not needed any more.
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*

tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
podman import \
  --change 'CMD ["/usr/sbin/clickhouse-server","--config-file=/etc/clickhouse-server/config.xml"]' \
  --change 'EXPOSE 9000' --change 'EXPOSE 8123' \
  --change 'LABEL clickhouse-native.built-by=scripts/build-clickhouse-image.sh' \
  --quiet "$work/rootfs.tar" "$IMAGE" >/dev/null
podman image exists "$IMAGE"
log "image $IMAGE built in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
