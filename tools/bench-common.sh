# Shared by tools/bench*.sh (sourced, not run): options, set-up, the wine bundles, helpers.
# After sourcing: $root, $build, $work (a temporary directory, removed on exit),
# $work/rows.csv (the 178 wine feature rows), $work/cpu.bundle.js and $work/wasm.bundle.js,
# $app (the app module they were bundled with), $seconds and $reps (from --seconds / --reps),
# $cpus, and the functions field and median.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${default_seconds:-2}"
reps="${default_reps:-3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--seconds S] [--reps N]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
# APP=FILE bundles the wine model with another app module, for example
# tests/fixtures/wine-app-functions.js (the same standardisation written as JS functions, which
# predict then runs in tfjs on every call) instead of the example's declared standardize.
app="${APP:-$wine/app.js}"
cut -d, -f2- "$wine/data/wine.data" > "$work/rows.csv"
for backend in cpu wasm; do
  node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --app "$app" \
    --backend "$backend" --name wine -o "$work/$backend.bundle.js" 2>/dev/null
done
cpus=$(nproc)
export NODE_NO_WARNINGS=1
# field NAME: the number after "NAME": in the JSON line on stdin.
field() { sed "s/.*\"$1\":\\([0-9.]*\\).*/\\1/"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
