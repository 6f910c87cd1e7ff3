#!/usr/bin/env bash
# Benchmarks tfjs-run (one isolate) against Node 20 running the same bundle, side by side:
# for cpu and wasm, rows/s at batch sizes 1, 64 and 4096, then the ratio; and cold load times.
# Each (backend, batch) pair is measured alternately, tfjs-run then Node, in the same run.
# Each pair is measured --reps times (default 3), alternating; the table shows medians.
#   tools/bench.sh [--seconds S] [--reps N]     (default 2 s per measurement, 3 reps: ~2.5 min)
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
echo "machine: $(nproc) cores, $(uname -r), node $(node --version), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| backend | batch | tfjs-run rows/s (median) | Node rows/s (median) | ratio tfjs-run/Node (median) | each run's ratio |"
echo "|---|---|---|---|---|---|"
loads=()
for backend in cpu wasm; do
  for batch in 1 64 4096; do
    ours_all=(); theirs_all=(); ratios=()
    for rep in $(seq "$reps"); do  # alternate the two runners; report medians
      ours=$("$build/tools/bench/tfjs-run-bench" "$work/$backend.bundle.js" "$work/rows.csv" --batch-sizes "$batch" \
               --seconds "$seconds" --loads 5)
      theirs=$(node "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --bench "$work/rows.csv" \
                 --batch-sizes "$batch" --seconds "$seconds")
      a=$(echo "$ours" | grep '"batch"' | sed 's/.*"rows_per_s":\([0-9.]*\).*/\1/')
      b=$(echo "$theirs" | sed 's/.*"rows_per_s":\([0-9.]*\).*/\1/')
      ours_all+=("$a"); theirs_all+=("$b"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')")
      [ "$batch" = 1 ] && [ "$rep" = 1 ] && loads+=("$backend $(echo "$ours" | grep load_ms)")
    done
    printf '| %s | %s | %.0f | %.0f | %.2f | %s |\n' "$backend" "$batch" "$(median "${ours_all[@]}")" \
      "$(median "${theirs_all[@]}")" "$(median "${ratios[@]}")" "$(printf '%.2f ' "${ratios[@]}")"
  done
done
echo
echo "| backend | tfjs-run first load ms | tfjs-run median cold load ms (fresh isolate, loads 2-5) | Node load ms (fresh process) |"
echo "|---|---|---|---|"
for entry in "${loads[@]}"; do
  backend=${entry%% *}; json=${entry#* }
  first=$(echo "$json" | sed 's/.*"first_load_ms":\([0-9.]*\).*/\1/')
  median=$(echo "$json" | sed 's/.*"median_load_ms":\([0-9.]*\).*/\1/')
  nodems=$(node "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --load-time | sed 's/.*"load_ms":\([0-9.]*\).*/\1/')
  printf '| %s | %.0f | %.0f | %.0f |\n' "$backend" "$first" "$median" "$nodems"
done
