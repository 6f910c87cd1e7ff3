#!/usr/bin/env bash
# Benchmarks the threaded Runtime (issue 3): worker scaling, batching across callers, chunk
# size, start-up with and without the code cache. Prints markdown tables for docs/benchmarks.md.
#   tools/bench-runtime.sh [--seconds S] [--reps N]     (defaults 2 s, 3 reps; about 6 minutes)
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
rb="$build/tools/bench/tfjs-run-runtime-bench"
warmup=3  # s, not measured: each isolate's TurboFan compiles tfjs for ~1 CPU-s after load
mb="$build/tools/bench/tfjs-run-bench"
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps alternating runs of ${seconds} s"

echo
echo "### Worker scaling (wasm, 4 synchronous callers, max_batch_rows 256 = chunk_rows, ${warmup} s warm-up)"
echo
echo "Each rep runs 1..$cpus workers back to back for each request size; the speed-up is taken within a rep, then"
echo "the median. cpu cores = CPU seconds the process used per second of the measurement (workers, callers, V8's"
echo "threads); worker cores = the part the worker threads used (WorkerStats::cpu_seconds)."
echo
echo "| rows per request | workers | rows/s (median) | speed-up vs 1 worker (median) | each rep's speed-up | cpu cores (median) | worker cores (median) |"
echo "|---|---|---|---|---|---|---|"
declare -A runs ups cores wcores
for size in 256 1024; do
  for w in $(seq 1 "$cpus"); do runs[$w]=""; ups[$w]=""; cores[$w]=""; wcores[$w]=""; done
  for rep in $(seq "$reps"); do
    for w in $(seq 1 "$cpus"); do
      out=$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --model-exec tfjs --workers "$w" --callers 4 --rows "$size" --max-batch-rows 256 \
            --seconds "$seconds" --warmup "$warmup")
      r=$(echo "$out" | field rows_per_s)
      [ "$w" = 1 ] && one=$r
      runs[$w]="${runs[$w]} $r"
      ups[$w]="${ups[$w]} $(awk -v a="$r" -v b="$one" 'BEGIN { printf "%.2f", a / b }')"
      cores[$w]="${cores[$w]} $(echo "$out" | field cpu_cores)"
      wcores[$w]="${wcores[$w]} $(echo "$out" | field worker_cpu_cores)"
    done
  done
  for w in $(seq 1 "$cpus"); do
    printf '| %s | %s | %.0f | %.2f | %s | %.2f | %.2f |\n' "$size" "$w" "$(median ${runs[$w]})" "$(median ${ups[$w]})" \
      "${ups[$w]# }" "$(median ${cores[$w]})" "$(median ${wcores[$w]})"
  done
done
# The ceiling this machine allows: the same Model predict loop (no Runtime) in 1 process, then
# in N processes at once, paired within each rep like the rows above.
loop_rate() {  # rows/s of the bare Model predict loop at 256 rows, after the same warm-up
  "$mb" "$work/wasm.bundle.js" "$work/rows.csv" --batch-sizes 256 --seconds "$seconds" --warmup "$warmup" --loads 1 \
    | tail -1 | field rows_per_s
}
ceil=()
for rep in $(seq "$reps"); do
  s=$(loop_rate)
  for i in $(seq "$cpus"); do loop_rate > "$work/p$i" & done
  wait
  t=$(cat "$work"/p* | awk '{ s += $1 } END { print s }')
  ceil+=("$(awk -v a="$t" -v b="$s" 'BEGIN { printf "%.2f", a / b }')")
done
printf '\nHardware ceiling: %s independent processes, each one Model predict loop, against one alone: %.2fx (median; reps: %s).\n' \
  "$cpus" "$(median "${ceil[@]}")" "${ceil[*]}"

echo
echo "### Batching across callers (wasm, $cpus workers, every request one row)"
echo
echo "| callers | batching | rows/s | p50 latency us | p99 latency us | mean rows per predict |"
echo "|---|---|---|---|---|---|"
for callers in sync async; do
  if [ $callers = sync ]; then who=(--callers 16 --in-flight 1); label="16 threads calling Predict"; else
    who=(--callers 4 --in-flight 64); label="4 threads x 64 Submits in flight"; fi
  for mode in off on; do
    if [ $mode = off ]; then args=(--max-batch-rows 1); else args=(--max-batch-rows 64); fi
    rr=(); p50=(); p99=(); mean=()
    for rep in $(seq "$reps"); do
      out=$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --model-exec tfjs --workers "$cpus" --rows 1 "${who[@]}" "${args[@]}" \
              --max-batch-delay 0 --seconds "$seconds")
      rr+=("$(echo "$out" | field rows_per_s)"); p50+=("$(echo "$out" | field p50_us)"); p99+=("$(echo "$out" | field p99_us)")
      mean+=("$(echo "$out" | field mean_batch_rows)")
    done
    printf '| %s | %s (%s) | %.0f | %.0f | %.0f | %.1f |\n' "$label" "$mode" "${args[*]}" "$(median "${rr[@]}")" \
      "$(median "${p50[@]}")" "$(median "${p99[@]}")" "$(median "${mean[@]}")"
    eval "rate_${callers}_$mode=$(median "${rr[@]}")"
  done
done
printf '\nBatching on / off: %.1fx the rows/s with 16 synchronous callers, %.1fx with 256 requests in flight.\n' \
  "$(awk -v a="$rate_sync_on" -v b="$rate_sync_off" 'BEGIN { print a / b }')" \
  "$(awk -v a="$rate_async_on" -v b="$rate_async_off" 'BEGIN { print a / b }')"
# Does waiting for more rows help? Same 256-in-flight load, on, with a batching delay.
for delay in 200 1000; do
  out=$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --model-exec tfjs --workers "$cpus" --rows 1 --callers 4 --in-flight 64 \
          --max-batch-rows 64 --max-batch-delay $delay --seconds "$seconds")
  printf 'With --max-batch-delay %s us: %.0f rows/s, p50 %.0f us, p99 %.0f us, mean %.1f rows per predict.\n' "$delay" \
    "$(echo "$out" | field rows_per_s)" "$(echo "$out" | field p50_us)" "$(echo "$out" | field p99_us)" \
    "$(echo "$out" | field mean_batch_rows)"
done

echo
echo "### Chunk size for one big request (wasm, $cpus workers, 1 caller x 4096 rows)"
echo
echo "| chunk_rows | rows/s |"
echo "|---|---|"
for k in 64 256 1024 4096; do
  rr=()
  for rep in $(seq "$reps"); do
    rr+=("$("$rb" "$work/wasm.bundle.js" "$work/rows.csv" --model-exec tfjs --workers "$cpus" --callers 1 --rows 4096 --chunk-rows $k \
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
