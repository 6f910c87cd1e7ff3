#!/usr/bin/env bash
# Measures start-up with the model native against the same bundle in tfjs (docs/native.md: a
# native load compiles the model and runs the load-time check, in tfjs and natively, on top of
# what a tfjs load does) and prints a markdown table for docs/benchmarks.md. Models: the
# examples' wine MLP, and MobileNetV2 and the RDN x2 super-resolution net
# (tools/bench/conv/make-conv-models.js, random weights), bundled for the wasm backend; with
# --real WORK, also the real models whose bundles tests/real-models/real_models.py made in WORK
# (its --work directory: WORK/bundles, WORK/rows). A load is Model::Load in tfjs-run-bench, the
# second of a process (the first also pays V8's process start-up), no code cache. A native load
# is measured three times: as the first load of the bundle's bytes (the load-time check runs its
# native side against the answers model-bundler appended to the bundle; the bundle's warm-up in
# tfjs is skipped, js/README.md), the same with the warm-up kept (the bundle's deferWarmUp option
# renamed away, as every native load ran before bundles could defer it), and with the check's pass
# remembered by the process's first load (ModelOptions::check_verdict_dir: every later load of the
# same bytes by the same build on the machine). Runners alternate per model; medians of --reps.
# Run tools/setup.sh first.
#   tools/bench-startup.sh [--reps N] [--real WORK] [--models M,...]   (defaults 5 reps: about 3 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=5
real=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --real) real="$2"; shift 2 ;;
    --models) IFS=, read -r -a models <<< "$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--reps N] [--real WORK] [--models wine,mobilenet_v2,rdn_x2,REAL-NAME,...]" >&2
       exit 1 ;;
  esac
done
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target tfjs-run tfjs-run-bench >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NODE_NO_WARNINGS=1
wine="$root/examples/wine"
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/wine.csv"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm --name wine \
  -o "$work/wine.bundle.js" 2>/dev/null
node "$root/tools/bench/conv/make-conv-models.js" "$work" >/dev/null 2>&1
declare -A bundle=([wine]="$work/wine.bundle.js") rows=([wine]="$work/wine.csv")
all=(wine mobilenet_v2 rdn_x2)
for m in mobilenet_v2 rdn_x2; do
  node "$root/model-bundler/bin/model-bundler.js" --model "$work/$m" --backend wasm --name "$m" -o "$work/$m.bundle.js" \
    2>/dev/null
  bundle[$m]="$work/$m.bundle.js"
  rows[$m]="$work/$m/rows.csv"
done
if [ -n "$real" ]; then
  for b in "$real"/bundles/*.bundle.js; do
    m="$(basename "$b" .bundle.js)"
    m="${m%-*}"  # less the bundle key
    bundle[$m]="$b"
    rows[$m]="$real/rows/$m.csv"
    all+=("$m")
  done
fi
[ -n "${models+set}" ] || models=("${all[@]}")
# load_ms BUNDLE ROWS EXEC [VERDICTS]: the second load's ms in one tfjs-run-bench process; with
# VERDICTS (a fresh directory), the first load remembers the check's pass and the second skips it.
load_ms() {
  "$build/tools/bench/tfjs-run-bench" "$1" "$2" --loads 2 --model-exec "$3" ${4:+--check-verdicts "$4"} \
    --batch-sizes 1 --seconds 0.01 --warmup 0 | grep median_load_ms | sed 's/.*"median_load_ms":\([0-9.]*\).*/\1/'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
echo "| model | runs | native load ms | native, warm-up kept | native, check remembered | tfjs load ms | native / tfjs | warm-up kept / tfjs | remembered / tfjs |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  info=$("$build/runtime/tfjs-run" "${bundle[$m]}" --info --code-cache none)
  exec=$(sed 's/.*"model_exec":"\([a-z]*\)".*/\1/' <<<"$info")
  grep -q "answers model-bundler computed" <<<"$info" || exec="$exec (answers not used)"
  # The bundle with its warm-up kept: load() never sees the option it defers it on.
  plain="$work/$m.warm-up-kept.bundle.js"
  sed 's/deferWarmUp/deferWarmUpOff/g' "${bundle[$m]}" > "$plain"
  n=(); p=(); r=(); t=()
  for rep in $(seq "$reps"); do
    n+=("$(load_ms "${bundle[$m]}" "${rows[$m]}" auto)")
    p+=("$(load_ms "$plain" "${rows[$m]}" auto)")
    rm -rf "$work/verdicts"
    r+=("$(load_ms "${bundle[$m]}" "${rows[$m]}" auto "$work/verdicts")")
    t+=("$(load_ms "${bundle[$m]}" "${rows[$m]}" tfjs)")
  done
  mn=$(median "${n[@]}"); mp=$(median "${p[@]}"); mr=$(median "${r[@]}"); mt=$(median "${t[@]}")
  printf '| %s | %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |\n' "$m" "$exec" "$mn" "$mp" "$mr" "$mt" \
    "$(ratio "$mn" "$mt")" "$(ratio "$mp" "$mt")" "$(ratio "$mr" "$mt")"
done
