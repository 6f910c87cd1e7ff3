#!/usr/bin/env bash
# Benchmarks many models through the CLI (issue 20): 1, 4 and 16 copies of the wine model (cpu
# backend, native by default) in one run, under the same total load: the same rows, each naming
# its model in column 0 round-robin (`--model mK=... --model-column 0`), so with N models each
# model gets 1/N of them. Runs the three alternately, --reps times, and prints medians of:
#   rows/s    (the CLI's summary: first row read to last result written)
#   wall s    (the whole process, loads included)
#   p99 us    (the worst model's p99 request latency, from the CLI's per-model lines)
#   RSS/model (the process's peak RSS over the number of models)
#   add ms    (start-up with no input rows, over the number of models: the time to add a model)
# and each count's ratios to one model, pair by pair.
#   tools/bench-models-cli.sh [--reps N] [--rows N]     (default 3 reps of 1M rows: about 3 minutes)
# APP=FILE bundles another app module (default: the wine example's, whose standardize runs
# natively; tests/fixtures/wine-app-functions.js runs the same in JS on every call).
# MODEL_THREADS=shared or per-model runs every count with that --model-threads (one serving thread
# per core for all the models, or workers per model) instead of the default, auto (shared when the
# models outnumber the cores).
# BENCH_SKIP_SETUP=1 skips tools/setup.sh and tools/build.sh (an up-to-date build/ is used as is).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=3
rows=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--reps N] [--rows N]" >&2; exit 1 ;;
  esac
done
[ -n "${BENCH_SKIP_SETUP:-}" ] || "$root/tools/setup.sh" >/dev/null 2>&1
[ -n "${BENCH_SKIP_SETUP:-}" ] || "$root/tools/build.sh" >/dev/null
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
cli="$build/runtime/tfjs-run"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
export NODE_NO_WARNINGS=1
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --app "${APP:-$wine/app.js}" --backend cpu \
  --name wine -o "$work/wine.bundle.js" 2>/dev/null
cut -d, -f2- "$wine/data/wine.data" > "$work/wine.csv"
counts=(1 4 16)
for n in "${counts[@]}"; do
  awk -v n="$rows" -v m="$n" '{ row[NR] = $0 } END { for (i = 0; i < n; i++) print "m" (i % m) "," row[i % NR + 1] }' \
    "$work/wine.csv" > "$work/in-$n.csv"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# run N INPUT: one CLI run over INPUT with N models; prints "rows_per_s wall_s p99_us rss_kib".
run() {
  local n=$1 input=$2 args=() k
  for k in $(seq 0 $((n - 1))); do args+=(--model "m$k=$work/wine.bundle.js"); done
  /usr/bin/time -f '%e %M' -o "$work/time" "$cli" "${args[@]}" --model-column 0 ${MODEL_THREADS:+--model-threads "$MODEL_THREADS"} \
    --no-header "$input" \
    > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  local rate p99
  rate=$(sed -n 's/.*rejected [0-9]*; \([0-9]*\) rows\/s.*/\1/p' "$work/err" | head -1)
  p99=$(sed -n 's/.*latency p50 [0-9]* us, p99 \([0-9]*\) us.*/\1/p' "$work/err" | sort -g | tail -1)
  echo "${rate:-0} $(awk '{ print $1 }' "$work/time") ${p99:-0} $(awk '{ print $2 }' "$work/time")"
}
: > "$work/empty.csv"
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); $rows rows per run; medians of $reps rounds (1, 4, 16 alternating)"
declare -A rate wall p99 rss add
for rep in $(seq "$reps"); do
  for n in "${counts[@]}"; do
    read -r r w p m <<<"$(run "$n" "$work/in-$n.csv")"
    rate[$n]+="$r "; wall[$n]+="$w "; p99[$n]+="$p "; rss[$n]+="$m "
    read -r _ w _ _ <<<"$(run "$n" "$work/empty.csv")"
    add[$n]+="$(awk -v w="$w" -v n="$n" 'BEGIN { printf "%.0f", w * 1000 / n }') "
  done
done
echo
echo "| models | rows/s | × one model | wall s | p99 µs (worst model) | × one model | peak RSS per model MiB | add a model ms |"
echo "|---|---|---|---|---|---|---|---|"
# shellcheck disable=SC2086
r1=$(median ${rate[1]}); p1=$(median ${p99[1]})
for n in "${counts[@]}"; do
  # shellcheck disable=SC2086
  r=$(median ${rate[$n]}); p=$(median ${p99[$n]}); w=$(median ${wall[$n]}); m=$(median ${rss[$n]}); a=$(median ${add[$n]})
  awk -v n="$n" -v r="$r" -v r1="$r1" -v p="$p" -v p1="$p1" -v w="$w" -v m="$m" -v a="$a" 'BEGIN {
    printf "| %d | %d | %.2f | %.2f | %d | %.2f | %.1f | %d |\n", n, r, r / r1, w, p, p / p1, m / 1024 / n, a }'
done
