#!/usr/bin/env bash
# Benchmarks tfjs-run (one isolate) against Node running the same bundle, side by side: Node 20
# (the machine's) and Node 18.20.4, the release whose V8 (10.2) tfjs-run embeds through Debian's
# libnode (tools/fetch-node-same-v8.sh). For cpu and wasm, rows/s at batch sizes 1, 64 and 4096,
# then the ratios; and cold load times. Each measurement warms up 1 s first (tfjs-run-bench and
# node-harness.js --warmup). Each (backend, batch) cell is measured alternately, tfjs-run, Node
# 18, Node 20, in the same run.
# Each cell is measured --reps times (default 3); the table shows medians.
#   tools/bench.sh [--seconds S] [--reps N]     (default 2 s per measurement, 3 reps: ~4 min)
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
node18=$("$root/tools/fetch-node-same-v8.sh")
echo "machine: $(nproc) cores, $(uname -r), node $(node --version) (V8 $(node -p process.versions.v8)), same-V8 node" \
  "$("$node18" --version) (V8 $("$node18" -p process.versions.v8)), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| backend | batch | tfjs-run rows/s | Node 18 rows/s (same V8 10.2) | Node 20 rows/s | tfjs-run / Node 18 | tfjs-run / Node 20 | each run's ratio to Node 20 |"
echo "|---|---|---|---|---|---|---|---|"
loads=()
for backend in cpu wasm; do
  for batch in 1 64 4096; do
    ours_all=(); same_all=(); theirs_all=(); r18=(); r20=()
    for rep in $(seq "$reps"); do  # alternate the three runners; report medians
      ours=$("$build/tools/bench/tfjs-run-bench" "$work/$backend.bundle.js" "$work/rows.csv" --batch-sizes "$batch" --model-exec tfjs \
               --seconds "$seconds" --loads 5)
      same=$("$node18" "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --bench "$work/rows.csv" \
               --batch-sizes "$batch" --seconds "$seconds")
      theirs=$(node "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --bench "$work/rows.csv" \
                 --batch-sizes "$batch" --seconds "$seconds")
      a=$(echo "$ours" | grep '"batch"' | field rows_per_s)
      m=$(echo "$same" | field rows_per_s)
      b=$(echo "$theirs" | field rows_per_s)
      ours_all+=("$a"); same_all+=("$m"); theirs_all+=("$b")
      r18+=("$(awk -v a="$a" -v b="$m" 'BEGIN { print a / b }')"); r20+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')")
      [ "$batch" = 1 ] && [ "$rep" = 1 ] && loads+=("$backend $(echo "$ours" | grep load_ms)")
    done
    printf '| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %s |\n' "$backend" "$batch" "$(median "${ours_all[@]}")" \
      "$(median "${same_all[@]}")" "$(median "${theirs_all[@]}")" "$(median "${r18[@]}")" "$(median "${r20[@]}")" \
      "$(printf '%.2f ' "${r20[@]}")"
  done
done
echo
echo "| backend | tfjs-run first load ms | tfjs-run median cold load ms (fresh isolate, loads 2-5) | Node 18 load ms (fresh process) | Node 20 load ms (fresh process) |"
echo "|---|---|---|---|---|"
for entry in "${loads[@]}"; do
  backend=${entry%% *}; json=${entry#* }
  first=$(echo "$json" | field first_load_ms)
  median=$(echo "$json" | field median_load_ms)
  ms18=$("$node18" "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --load-time | field load_ms)
  nodems=$(node "$root/tools/node-harness.js" --bundle "$work/$backend.bundle.js" --load-time | field load_ms)
  printf '| %s | %.0f | %.0f | %.0f | %.0f |\n' "$backend" "$first" "$median" "$ms18" "$nodems"
done
