#!/usr/bin/env bash
# Benchmarks native execution on convolutional models (docs/native.md) and prints a markdown
# table for docs/benchmarks.md: one worker's rows/s for a MobileNetV2 (224x224x3 -> 1000) and an
# RDN 2x super-resolution network (32x32x3 -> 64x64x3), generated with random weights by
# tools/bench/conv/make-conv-models.js and bundled for the wasm backend. Three runners on the same
# bundle: tfjs-run's C++ API with the model native, the same with --model-exec tfjs (tfjs's wasm
# backend in the isolate), and Node 20 running the bundle (tools/node-harness.js, wasm). Runners
# alternate per cell; medians of --reps.
#   tools/bench-conv.sh [--seconds S] [--reps N]     (defaults 3 s, 3 reps: about 6 minutes)
default_seconds=3
# shellcheck source=tools/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
node "$root/tools/bench/conv/make-conv-models.js" "$work" >/dev/null 2>&1
models=(mobilenet_v2 rdn_x2)
for m in "${models[@]}"; do
  node "$root/model-bundler/bin/model-bundler.js" --model "$work/$m" --backend wasm -o "$work/$m.bundle.js" 2>/dev/null
done
echo "machine: $(nproc) cores, $(uname -r), node $(node --version), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps"
echo
echo "| model | batch | native rows/s | tfjs-run, tfjs wasm rows/s | Node 20, tfjs wasm rows/s | native / tfjs-run wasm | native / Node wasm | steps (native) |"
echo "|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  steps=$("$build/runtime/tfjs-run" "$work/$m.bundle.js" --info | sed 's/.*"model_exec_note":"\([0-9]*\) steps.*/\1/')
  for batch in 1 8; do
    n=(); t=(); o=()
    for rep in $(seq "$reps"); do
      n+=("$("$build/tools/bench/tfjs-run-bench" "$work/$m.bundle.js" "$work/$m/rows.csv" --batch-sizes "$batch" \
               --seconds "$seconds" --loads 1 --model-exec native | grep '"batch"' | field rows_per_s)")
      t+=("$("$build/tools/bench/tfjs-run-bench" "$work/$m.bundle.js" "$work/$m/rows.csv" --batch-sizes "$batch" \
               --seconds "$seconds" --loads 1 --model-exec tfjs | grep '"batch"' | field rows_per_s)")
      o+=("$(node "$root/tools/node-harness.js" --bundle "$work/$m.bundle.js" --bench "$work/$m/rows.csv" \
               --batch-sizes "$batch" --seconds "$seconds" | grep '"batch"' | field rows_per_s)")
    done
    mn=$(median "${n[@]}"); mt=$(median "${t[@]}"); mo=$(median "${o[@]}")
    printf '| %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %s |\n' "$m" "$batch" "$mn" "$mt" "$mo" \
      "$(awk -v a="$mn" -v b="$mt" 'BEGIN { print a / b }')" "$(awk -v a="$mn" -v b="$mo" 'BEGIN { print a / b }')" "$steps"
  done
done
