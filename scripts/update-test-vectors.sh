#!/usr/bin/env bash
# Refreshes the test vectors in test/vectors/<set>/ from a checkout of the upstream repository (see
# test/vectors/README.md): copies every file listed in test/vectors/<set>/FILES and reports what changed.
#
#   scripts/update-test-vectors.sh ch-go    /path/to/ch-go     # ClickHouse/ch-go: <dir>/_golden/<file>
#   scripts/update-test-vectors.sh cityhash /path/to/city      # go-faster/city:   _testdata/<file>
#
# Upstream names the folders `_golden` (ch-go) and `_testdata` (city); a copy that already uses our names works too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ $# -ne 2 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
set_name="$1"
source_dir="${2%/}"
target="test/vectors/$set_name"
[ -f "$target/FILES" ] || { echo "unknown set '$set_name' (no $target/FILES)" >&2; exit 2; }
[ -d "$source_dir" ] || { echo "$source_dir is not a directory" >&2; exit 2; }

# Where upstream keeps a file we call <path>.
candidates() {
  local file="$1"
  case "$set_name" in
    ch-go) echo "$source_dir/${file/golden\//_golden/}" "$source_dir/$file" ;;
    cityhash) echo "$source_dir/_testdata/$file" "$source_dir/$file" ;;
    *) echo "$source_dir/$file" ;;
  esac
}

changed=0
missing=0
while IFS= read -r file; do
  [ -z "$file" ] && continue
  found=""
  for c in $(candidates "$file"); do
    if [ -f "$c" ]; then found="$c"; break; fi
  done
  if [ -z "$found" ]; then
    echo "missing upstream: $file" >&2
    missing=$((missing + 1))
    continue
  fi
  mkdir -p "$(dirname "$target/$file")"
  if ! cmp -s "$found" "$target/$file"; then
    cp "$found" "$target/$file"
    echo "updated: $target/$file"
    changed=$((changed + 1))
  fi
done <"$target/FILES"
for licence in LICENSE LICENSE.md LICENSE.txt; do
  if [ -f "$source_dir/$licence" ]; then
    cmp -s "$source_dir/$licence" "$target/LICENSE" || { cp "$source_dir/$licence" "$target/LICENSE"; echo "updated: $target/LICENSE"; }
    break
  fi
done
echo "$set_name: $changed file(s) changed, $missing missing"
[ "$missing" = 0 ]
