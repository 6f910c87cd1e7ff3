#!/usr/bin/env bash
# Benchmarks the threaded Runtime (issue 3): worker scaling, batching across callers, chunk
# size, start-up with and without the code cache. Prints markdown tables for docs/benchmarks.md.
#   tools/bench-runtime.sh [--seconds S] [--reps N]     (defaults 2 s, 3 reps; about 4 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=2
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: tools/bench-runtime.sh [--seconds S] [--reps N]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
rb="$build/tools/bench/tfjs-run-runtime-bench"
mb="$build/tools/bench/tfjs-run-bench"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
cut -d, -f2- "$wine/data/wine.data" > "$work/rows.csv"
for backend in cpu wasm; do
  node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --app "$wine/app.js" \
    --backend "$backend" --name wine -o "$work/$backend.bundle.js" 2>/dev/null
done
cpus=$(nproc)
field() { sed "s/.*\"$1\":\\([0-9.]*\\).*/\\1/"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps alternating runs of ${seconds} s"

echo
echo "### Worker scaling (wasm, 4 callers x 256-row requests, max_batch_rows 256)"
echo
echo "| workers | rows/s | speed-up vs 1 worker | each run's rows/s |"
echo "|---|---|---|---|"
declare -A rate
for w in $(seq 1 "$cpus"); do runs[$w]=""; done
for rep in $(seq "$reps"); do
  for w in $(seq 1 "$cpus"); do
    r=$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --workers "$w" --callers 4 --rows 256 --max-batch-rows 256 \
          --seconds "$seconds" | field rows_per_s)
    runs[$w]="${runs[$w]} $r"
  done
done
for w in $(seq 1 "$cpus"); do
  rate[$w]=$(median ${runs[$w]})
  printf '| %s | %.0f | %.2f | %s |\n' "$w" "${rate[$w]}" "$(awk -v a="${rate[$w]}" -v b="${rate[1]}" 'BEGIN { print a / b }')" "${runs[$w]# }"
done
# The ceiling this machine allows: the same predict loop in 1 process, then in N at once.
solo=(); together=()
for rep in $(seq "$reps"); do
  solo+=("$("$mb" "$work/wasm.bundle.js" "$work/rows.csv" --batch-sizes 256 --seconds "$seconds" --loads 1 | tail -1 | field rows_per_s)")
  sum=0
  for i in $(seq "$cpus"); do
    "$mb" "$work/wasm.bundle.js" "$work/rows.csv" --batch-sizes 256 --seconds "$seconds" --loads 1 | tail -1 | field rows_per_s > "$work/p$i" &
  done
  wait
  together+=("$(cat "$work"/p* | awk '{ s += $1 } END { print s }')")
done
s=$(median "${solo[@]}"); t=$(median "${together[@]}")
printf '\nHardware ceiling: one Model predict loop alone %.0f rows/s; %s independent processes at once %.0f rows/s in total = %.2fx.\n' \
  "$s" "$cpus" "$t" "$(awk -v a="$t" -v b="$s" 'BEGIN { print a / b }')"

echo
echo "### Batching across callers (cpu, $cpus workers, 16 callers each sending 1 row)"
echo
echo "| batching | rows/s | p50 latency us | p99 latency us | mean rows per predict |"
echo "|---|---|---|---|---|"
for mode in off on; do
  if [ $mode = off ]; then args=(--max-batch-rows 1 --max-batch-delay 0); else args=(--max-batch-rows 64 --max-batch-delay 200); fi
  rr=(); p50=(); p99=(); mean=()
  for rep in $(seq "$reps"); do
    out=$("$rb" "$work/cpu.bundle.js" "$work/rows.csv" --workers "$cpus" --callers 16 --rows 1 "${args[@]}" --seconds "$seconds")
    rr+=("$(echo "$out" | field rows_per_s)"); p50+=("$(echo "$out" | field p50_us)"); p99+=("$(echo "$out" | field p99_us)")
    mean+=("$(echo "$out" | field mean_batch_rows)")
  done
  printf '| %s (%s) | %.0f | %.0f | %.0f | %.1f |\n' "$mode" "${args[*]}" "$(median "${rr[@]}")" "$(median "${p50[@]}")" \
    "$(median "${p99[@]}")" "$(median "${mean[@]}")"
  eval "rate_$mode=$(median "${rr[@]}")"
done
printf '\nBatching on / off: %.1fx the rows/s.\n' "$(awk -v a="$rate_on" -v b="$rate_off" 'BEGIN { print a / b }')"

echo
echo "### Chunk size for one big request (wasm, $cpus workers, 1 caller x 4096 rows)"
echo
echo "| chunk_rows | rows/s |"
echo "|---|---|"
for k in 64 256 1024 4096; do
  rr=()
  for rep in $(seq "$reps"); do
    rr+=("$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --workers "$cpus" --callers 1 --rows 4096 --chunk-rows $k \
             --max-batch-rows $k --seconds "$seconds" | field rows_per_s)")
  done
  printf '| %s | %.0f |\n' "$k" "$(median "${rr[@]}")"
done

echo
echo "### Start-up ($cpus workers)"
echo
echo "| backend | code cache | Runtime::Start ms | worker load ms (worker 0, others) |"
echo "|---|---|---|---|"
for backend in cpu wasm; do
  rm -rf "$work/cache"
  for mode in none memory disk-cold disk-warm; do
    case $mode in
      none) args=(--code-cache 0) ;;
      memory) args=() ;;
      disk-*) args=(--cache-dir "$work/cache") ;;
    esac
    out=$("$rb" "$work/$backend.bundle.js" "$work/rows.csv" --startup "$cpus" "${args[@]}")
    loads=$(echo "$out" | grep -o '"load_ms":[0-9.]*' | sed 's/"load_ms"://' | tr '\n' ' ')
    printf '| %s | %s | %.0f | %s|\n' "$backend" "$mode" "$(echo "$out" | field start_ms)" "$loads"
  done
done
