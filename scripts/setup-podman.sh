#!/usr/bin/env bash
# Makes the *container* path of test/harness/server.ts work on a Debian machine without Docker and without a
# registry (our CI machines). Root only. Idempotent: a second run changes nothing and takes about a second.
#   1. apt-get installs podman, runc and debootstrap when one of them is missing;
#   2. merges `[containers] default_ulimits = []` and `[engine] runtime = "runc"` into /etc/containers/containers.conf
#      (scripts/containers-conf.mjs: crun fails on these machines' cgroups, the default ulimits are refused);
#   3. builds localhost/clickhouse-server:18.16 from Debian's packages unless it exists (scripts/build-clickhouse-image.sh);
#   4. unless --no-service: starts podman's Docker-compatible API on a unix socket, in the background.
#
#   sudo scripts/setup-podman.sh                 # then, in the shell that runs the tests:
#   export DOCKER_HOST=unix:///tmp/podman.sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
#   npm test                                     # the harness now starts a container through testcontainers
#
#   scripts/setup-podman.sh --no-service         # steps 1-3 only (.ci/run starts and stops its own service)
#
# Stop the API service again with: kill "$(cat /tmp/podman-service.pid)"
# Environment: PODMAN_SOCK (default /tmp/podman.sock), CLICKHOUSE_LOCAL_IMAGE (see build-clickhouse-image.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOCK="${PODMAN_SOCK:-/tmp/podman.sock}"
SERVICE=1
for arg in "$@"; do
  case "$arg" in
    --no-service) SERVICE=0 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "setup-podman.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[setup-podman] $*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup-podman.sh must run as root" >&2
  exit 1
fi

# 1. Packages.
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt-get "${apt_opts[@]}" update -qq
  apt-get "${apt_opts[@]}" install -y -qq podman runc debootstrap >/dev/null
  log "installed: $(podman --version), $(runc --version | head -n1)"
else
  log "podman, runc and debootstrap are installed ($(podman --version))"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# 2. containers.conf.
node "$here/containers-conf.mjs" /etc/containers/containers.conf | sed 's/^/[setup-podman] /'
oci="$(podman info --format '{{.Host.OCIRuntime.Name}}')"
[ "$oci" = runc ] || { echo "setup-podman.sh: podman still uses the OCI runtime '$oci', not runc" >&2; exit 1; }

# 3. The image.
bash "$here/build-clickhouse-image.sh"

# 4. The Docker-compatible API.
ping_socket() {
  node -e '
    const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 1000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1));
    req.on("timeout", () => process.exit(1));' "$1"
}
if [ "$SERVICE" = 1 ]; then
  if ping_socket "$SOCK"; then
    log "podman API already answers on $SOCK"
  else
    rm -f "$SOCK"
    nohup podman system service --time=0 "unix://$SOCK" >/tmp/podman-service.log 2>&1 </dev/null &
    echo $! >/tmp/podman-service.pid
    for _ in $(seq 1 100); do
      ping_socket "$SOCK" && break
      sleep 0.1
    done
    ping_socket "$SOCK" || { echo "setup-podman.sh: podman system service does not answer on $SOCK (see /tmp/podman-service.log)" >&2; exit 1; }
    log "podman API on $SOCK (pid $(cat /tmp/podman-service.pid))"
  fi
  echo "export DOCKER_HOST=unix://$SOCK TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"
fi
