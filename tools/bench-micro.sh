#!/usr/bin/env bash
# Why is one tfjs-run isolate slower than Node 20 on the cpu backend? Runs small JS workloads
# (tools/bench/micro/workload.js.in, a bundle whose predict() does one kind of work) in tfjs-run
# (V8 10.2), in Node 18.20.4 (the same V8, tools/fetch-node-same-v8.sh) and in Node 20 (V8 11.3),
# side by side, and prints the ratios per workload.
#   tools/bench-micro.sh [--seconds S] [--reps N]
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
node18=$("$root/tools/fetch-node-same-v8.sh")
echo "machine: $cpus cores, node $(node --version) and $("$node18" --version), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps runs of ${seconds} s"
echo
echo "| workload | what predict() does | tfjs-run calls/s | Node 18 calls/s | Node 20 calls/s | tfjs-run / Node 18 | tfjs-run / Node 20 |"
echo "|---|---|---|---|---|---|---|"
declare -A what=(
  [empty]="nothing (the cost of a call through each host)"
  [intloop]="100k iterations of integer arithmetic"
  [math]="5000 x Math.exp + Math.max"
  [alloc]="200 x new Float32Array(256)"
  [fill]="20 x Float32Array(4096).fill"
  [arrays]="200 x small Array map/reduce/from"
  [loop]="20 passes of a[i] = a[i] * 0.5 + i over a Float32Array(4096)"
  [f64loop]="the same over a Float64Array(4096)"
)
for name in empty intloop math alloc fill arrays loop f64loop; do
  sed "s/__KIND__/$name/g" "$root/tools/bench/micro/workload.js.in" > "$work/$name.js"
  ours=(); same=(); theirs=()
  for rep in $(seq "$reps"); do
    ours+=("$("$build/tools/bench/tfjs-run-bench" "$work/$name.js" "$work/rows.csv" --batch-sizes 1 \
               --seconds "$seconds" --loads 1 | tail -1 | field rows_per_s)")
    same+=("$("$node18" "$root/tools/node-harness.js" --bundle "$work/$name.js" --bench "$work/rows.csv" \
               --batch-sizes 1 --seconds "$seconds" | field rows_per_s)")
    theirs+=("$(node "$root/tools/node-harness.js" --bundle "$work/$name.js" --bench "$work/rows.csv" \
                 --batch-sizes 1 --seconds "$seconds" | field rows_per_s)")
  done
  a=$(median "${ours[@]}"); m=$(median "${same[@]}"); b=$(median "${theirs[@]}")
  printf '| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f |\n' "$name" "${what[$name]}" "$a" "$m" "$b" \
    "$(awk -v a="$a" -v b="$m" 'BEGIN { print a / b }')" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
done
echo
echo "Detaching one ArrayBuffer, in Node 20, then the loop workload again (tools/bench/micro/detach-cliff.js):"
node "$root/tools/bench/micro/detach-cliff.js" "$seconds"
