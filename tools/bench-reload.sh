#!/usr/bin/env bash
# Benchmarks hot reload (issue 4): publish -> every worker serving, with its breakdown, and
# request latency during back-to-back reloads against steady state (with and without lowering
# the loading thread's priority). Prints markdown for docs/benchmarks.md.
#   tools/bench-reload.sh [--seconds S]     (default 3; about 2 minutes)
default_seconds=3
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
rb="$build/tools/bench/tfjs-run-reload-bench"
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "### Publish to every worker serving ($cpus workers, directory source, poll interval 100 ms)"
echo
echo "| backend | version | publish -> all workers ms | poll wait | manifest | download+verify | load (all workers) | warm-up | switch (max) |"
echo "|---|---|---|---|---|---|---|---|---|"
for backend in cpu wasm; do
  rm -rf "$work/pub"
  TFJS_RUN_SOURCE_DIR="$root" "$rb" "$work/$backend.bundle.js" "$work/rows.csv" publish "$work/pub" --workers "$cpus" \
    --poll-ms 100 --times 3 | while read -r line; do
    printf '| %s | %s | %.0f | %.0f | %.1f | %.1f | %.0f | %.1f | %.2f |\n' "$backend" \
      "$(echo "$line" | sed 's/.*"version":"\([^"]*\)".*/\1/')" "$(echo "$line" | field publish_to_all_workers_ms)" \
      "$(echo "$line" | field poll_wait_ms)" "$(echo "$line" | field manifest_ms)" "$(echo "$line" | field download_verify_ms)" \
      "$(echo "$line" | field load_ms_all_workers)" "$(echo "$line" | field warmup_ms_all_workers)" \
      "$(echo "$line" | field switch_ms_max)"
  done
done
echo
echo "### Latency during back-to-back reloads ($cpus workers, 8 callers x 1 row, ${seconds} s steady then ${seconds} s reloading)"
echo
echo "| backend | loading thread nice | steady p50 us | steady p99 us | reloading p50 us | reloading p99 us | p99 ratio | reloads | mean reload ms | failed |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for backend in cpu wasm; do
  for nice in 10 0; do
    out=$("$rb" "$work/$backend.bundle.js" "$work/rows.csv" latency --workers "$cpus" --callers 8 --seconds "$seconds" \
            --reload-nice "$nice")
    s99=$(echo "$out" | field steady_p99_us); r99=$(echo "$out" | field reload_p99_us)
    printf '| %s | %s | %s | %s | %s | %s | %.2f | %s | %s | %s |\n' "$backend" "$nice" "$(echo "$out" | field steady_p50_us)" \
      "$s99" "$(echo "$out" | field reload_p50_us)" "$r99" "$(awk -v a="$r99" -v b="$s99" 'BEGIN { print a / b }')" \
      "$(echo "$out" | field reloads)" "$(echo "$out" | field mean_reload_ms)" "$(echo "$out" | field failed)"
  done
done
