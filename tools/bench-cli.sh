#!/usr/bin/env bash
# Benchmarks the CLI end to end on the wine model (examples/wine, wasm) and prints markdown tables
# for docs/benchmarks.md. Each comparison runs its two commands alternately, A B A B, and takes
# the ratio pair by pair; the tables show medians. Times are whole processes (/usr/bin/time).
#   1. 2M rows, default --threads (one worker per core) against --threads 1, with the model's math
#      native (--model-exec auto, the default: docs/native.md) and in tfjs.
#   2. 200k rows, tfjs-run (default threads; auto and tfjs) against Node running the same job with
#      tfjs 4.22 wasm in chunks of 256 (tools/node-harness.js --predict: the model files, read CSV,
#      write CSV).
#   3. The CLI's own CPU per row: an identity bundle (tools/bench/identity-bundle.js), --threads 1;
#      the process's CPU minus its worker thread's (--stats), per row. With --baseline BIN, the
#      same for another tfjs-run binary (an older build), alternately.
#   4. 2M rows, the model's math native (docs/native.md) against tfjs, default threads: the wine
#      example (its app's declared standardize runs natively too), the same standardisation as JS
#      functions (tests/fixtures/wine-app-functions.js: in tfjs around the native model), and the
#      model alone.
#   tools/bench-cli.sh [--reps N] [--baseline BIN]     (default 3 reps: about 5 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=3
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--reps N] [--baseline BIN]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
cli="$build/runtime/tfjs-run"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
export NODE_NO_WARNINGS=1
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --app "$wine/app.js" --backend wasm \
  --name wine -o "$work/wine.bundle.js" 2>/dev/null
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm \
  --name wine-noapp -o "$work/wine-noapp.bundle.js" 2>/dev/null
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm \
  --app "$root/tests/fixtures/wine-app-functions.js" --name wine-functions -o "$work/wine-functions.bundle.js" 2>/dev/null
cut -d, -f2- "$wine/data/wine.data" > "$work/wine.csv"
awk -v n=2000000 '{ row[NR] = $0 } END { for (i = 0; i < n; i++) print row[i % NR + 1] }' "$work/wine.csv" > "$work/2m.csv"
head -200000 "$work/2m.csv" > "$work/200k.csv"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed OUT ERR CMD...: runs CMD with stdout to OUT and stderr to ERR; prints "wall cpu" seconds.
timed() {
  local out="$1" err="$2"; shift 2
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > "$out" 2> "$err"
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/time"
}
# worker_cpu ERR: the CPU seconds of the worker threads, from --stats.
worker_cpu() { awk '/stats: [0-9]+ +-?[0-9]+ +[0-9]+/ { s += $(NF - 4) } END { printf "%.3f", s }' "$1"; }
echo "machine: $(nproc) cores, $(uname -r), node $(node --version), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps alternating pairs"

echo
for exec in auto tfjs; do
  echo "### CLI end to end, 2M wine rows (wasm, --batch-size 256, --model-exec $exec): default threads against --threads 1"
  echo
  echo "| command | wall s (median) | CPU s (median) | rows/s (median) | speed-up, pair by pair | each pair's speed-up |"
  echo "|---|---|---|---|---|---|"
  w1=(); c1=(); wn=(); cn=(); ups=()
  for rep in $(seq "$reps"); do
    read -r a ac < <(timed "$work/o1" "$work/e1" "$cli" "$work/wine.bundle.js" --no-header --batch-size 256 --threads 1 \
                       --model-exec "$exec" < "$work/2m.csv")
    read -r b bc < <(timed "$work/o2" "$work/e2" "$cli" "$work/wine.bundle.js" --no-header --batch-size 256 \
                       --model-exec "$exec" < "$work/2m.csv")
    cmp -s "$work/o1" "$work/o2" || { echo "outputs differ between --threads 1 and the default" >&2; exit 1; }
    w1+=("$a"); c1+=("$ac"); wn+=("$b"); cn+=("$bc"); ups+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')")
  done
  for which in 1 n; do
    if [ "$which" = 1 ]; then w=("${w1[@]}"); c=("${c1[@]}"); name="--threads 1"; else w=("${wn[@]}"); c=("${cn[@]}"); name="default (--threads 0: $(nproc) workers)"; fi
    m=$(median "${w[@]}")
    printf '| %s | %.2f | %.2f | %.0f | %s | %s |\n' "$name" "$m" "$(median "${c[@]}")" "$(awk -v m="$m" 'BEGIN { print 2000000 / m }')" \
      "$([ "$which" = n ] && median "${ups[@]}" || echo 1)" "$([ "$which" = n ] && echo "${ups[*]}" || echo)"
  done
  echo
done

echo "### 200k wine rows: tfjs-run (default threads, wasm) against Node 20 + tfjs 4.22 wasm in chunks of 256"
echo
echo "| command | wall s (median) | CPU s (median) | tfjs-run faster, pair by pair (median) | each pair's ratio |"
echo "|---|---|---|---|---|"
declare -A ew ec er
nw=(); nc=()
for rep in $(seq "$reps"); do
  read -r b bc < <(timed "$work/o2" "$work/e2" node "$root/tools/node-harness.js" --model "$wine/model/model.json" \
                     --app "$wine/app.js" --backend wasm --predict "$work/200k.csv" --batch-size 256)
  nw+=("$b"); nc+=("$bc")
  for exec in auto tfjs; do
    read -r a ac < <(timed "$work/o1" "$work/e1" "$cli" "$work/wine.bundle.js" --no-header --batch-size 256 --model-exec "$exec" \
                       < "$work/200k.csv")
    [ "$(wc -l < "$work/o1")" = 200000 ] && [ "$(wc -l < "$work/o2")" = 200000 ] || { echo "a run lost rows" >&2; exit 1; }
    ew[$exec]="${ew[$exec]:-} $a"; ec[$exec]="${ec[$exec]:-} $ac"
    er[$exec]="${er[$exec]:-} $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
  done
done
for exec in auto tfjs; do
  # shellcheck disable=SC2086
  printf '| tfjs-run --model-exec %s | %.2f | %.2f | %s | %s |\n' "$exec" "$(median ${ew[$exec]})" "$(median ${ec[$exec]})" \
    "$(median ${er[$exec]})" "${er[$exec]# }"
done
printf '| node tools/node-harness.js --model … --backend wasm --predict … --batch-size 256 | %.2f | %.2f | | |\n' \
  "$(median "${nw[@]}")" "$(median "${nc[@]}")"

echo
echo "### The CLI's own CPU per row (identity bundle, 2M rows, --threads 1, --batch-size 256)"
echo
echo "CLI CPU = the process's CPU minus its worker thread's (--stats cpu s): reading, parsing, batching, formatting and"
echo "writing, plus the hand-offs between threads. The worker's part is the Runtime's copy in and out and the bundle's loop."
echo
echo "| binary | wall s (median) | process CPU s (median) | worker CPU s (median) | CLI CPU ns/row (median) |"
echo "|---|---|---|---|---|"
bins=("$cli"); [ -n "$baseline" ] && bins+=("$baseline")
declare -A bw bc bk
for rep in $(seq "$reps"); do
  for bin in "${bins[@]}"; do
    read -r a ac < <(timed "$work/o1" "$work/e1" "$bin" "$root/tools/bench/identity-bundle.js" --no-header --batch-size 256 \
                       --threads 1 --stats < "$work/2m.csv")
    wc_=$(worker_cpu "$work/e1")
    bw[$bin]="${bw[$bin]:-} $a"; bc[$bin]="${bc[$bin]:-} $ac"; bk[$bin]="${bk[$bin]:-} $wc_"
    bk["$bin/ns"]="${bk["$bin/ns"]:-} $(awk -v c="$ac" -v w="$wc_" 'BEGIN { printf "%.0f", (c - w) * 1e9 / 2000000 }')"
  done
done
for bin in "${bins[@]}"; do
  # shellcheck disable=SC2086
  printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$([ "$bin" = "$cli" ] && echo "this build" || echo "$bin")" \
    "$(median ${bw[$bin]})" "$(median ${bc[$bin]})" "$(median ${bk[$bin]})" "$(median ${bk["$bin/ns"]})"
done

echo
echo "### 2M wine rows, default threads, --batch-size 256: the model's math native against tfjs"
echo
echo "| bundle | native wall s (median) | tfjs wall s (median) | native faster, pair by pair (median) | each pair's ratio | native CPU s | tfjs CPU s |"
echo "|---|---|---|---|---|---|---|"
for name in wine wine-functions wine-noapp; do
  wa=(); ca=(); wb=(); cb=(); ratios=()
  for rep in $(seq "$reps"); do
    read -r a ac < <(timed "$work/o1" "$work/e1" "$cli" "$work/$name.bundle.js" --no-header --batch-size 256 --model-exec native \
                       < "$work/2m.csv")
    read -r b bc < <(timed "$work/o2" "$work/e2" "$cli" "$work/$name.bundle.js" --no-header --batch-size 256 --model-exec tfjs \
                       < "$work/2m.csv")
    [ "$(wc -l < "$work/o1")" = 2000000 ] && [ "$(wc -l < "$work/o2")" = 2000000 ] || { echo "a run lost rows" >&2; exit 1; }
    wa+=("$a"); ca+=("$ac"); wb+=("$b"); cb+=("$bc"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')")
  done
  case "$name" in
    wine) label="wine (standardize declared: native too)" ;;
    wine-functions) label="wine-functions (app as JS functions, in tfjs around it)" ;;
    *) label="$name" ;;
  esac
  printf '| %s | %.2f | %.2f | %s | %s | %.2f | %.2f |\n' "$label" \
    "$(median "${wa[@]}")" "$(median "${wb[@]}")" "$(median "${ratios[@]}")" "${ratios[*]}" "$(median "${ca[@]}")" "$(median "${cb[@]}")"
done
