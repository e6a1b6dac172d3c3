#!/usr/bin/env bash
# Optional: makes the *container* path of test/harness/server.ts usable on a Debian machine without Docker
# (no registry needed). Installs podman, builds localhost/clickhouse-server:18.16 from Debian's packages, and starts
# podman's Docker-compatible API on a unix socket. Root only. Idempotent.
#
#   scripts/setup-podman.sh            # then, in the shell that runs the tests:
#   export DOCKER_HOST=unix:///tmp/podman.sock TESTCONTAINERS_RYUK_DISABLED=true
#   npm test                           # the harness now uses a container
#
# Stop the API service again with: kill "$(cat /tmp/podman-service.pid)"
set -euo pipefail

SOCK="${PODMAN_SOCK:-/tmp/podman.sock}"
IMAGE="${CLICKHOUSE_LOCAL_IMAGE:-localhost/clickhouse-server:18.16}"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "setup-podman.sh must run as root" >&2
  exit 1
fi

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update
  apt-get install -y podman runc debootstrap
fi

# crun fails on this machine's cgroups and default ulimits are refused: use runc, no default ulimits.
conf=/etc/containers/containers.conf
if ! grep -q '^runtime = "runc"' "$conf" 2>/dev/null; then
  mkdir -p /etc/containers
  cat >>"$conf" <<'EOF'

[containers]
default_ulimits = []

[engine]
runtime = "runc"
EOF
fi

if ! podman image exists "$IMAGE"; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase --include=clickhouse-server,clickhouse-client bookworm "$work/rootfs"
  mkdir -p "$work/rootfs/etc/clickhouse-server/config.d"
  # Without this the server listens on the container's loopback only and port mapping reaches nothing.
  echo '<yandex><listen_host>0.0.0.0</listen_host></yandex>' >"$work/rootfs/etc/clickhouse-server/config.d/docker.xml"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  podman import \
    --change 'CMD ["/usr/sbin/clickhouse-server","--config-file=/etc/clickhouse-server/config.xml"]' \
    --change 'EXPOSE 9000' --change 'EXPOSE 8123' \
    "$work/rootfs.tar" "$IMAGE"
fi

if ! curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
  rm -f "$SOCK"
  nohup podman system service --time=0 "unix://$SOCK" >/tmp/podman-service.log 2>&1 &
  echo $! >/tmp/podman-service.pid
  for _ in $(seq 1 50); do
    curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

echo "podman API on $SOCK (pid $(cat /tmp/podman-service.pid 2>/dev/null || echo '?')), image $IMAGE ready."
echo "export DOCKER_HOST=unix://$SOCK TESTCONTAINERS_RYUK_DISABLED=true"
