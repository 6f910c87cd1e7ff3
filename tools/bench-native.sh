#!/usr/bin/env bash
# Benchmarks native execution of the model (docs/native.md) and prints markdown tables for
# docs/benchmarks.md:
#   1. One worker's rows/s at batches 1, 64, 256 and 4096: tfjs-run's C++ API (a Model, native),
#      the same bundle in tfjs (--model-exec tfjs), and ONNX Runtime 1.30 (onnxruntime-node, one
#      intra-op thread) on the same model exported to ONNX (tools/onnx). For the examples' wine
#      model and the "seed MLP" (13 -> 60 sigmoid -> 3 softmax, tools/onnx/make-seed-mlp.py), both
#      bundled without an app, so the bundle is the model alone, as the ONNX file is. Runners
#      alternate per cell; medians of --reps.
#   2. Batch-1 latency through the C++ Runtime (1 worker, 1 caller: queue, worker, model; the
#      Runtime's default max_batch_delay 0).
#   tools/bench-native.sh [--seconds S] [--reps N]     (defaults 2 s, 3 reps: about 6 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=2
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--seconds S] [--reps N]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
dpkg -s python3-onnx >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-onnx >/dev/null
# onnxruntime-node's install script fetches CUDA libraries from nuget.org; the CPU binaries are
# in the npm package itself.
[ -d "$root/tools/onnx/node_modules/onnxruntime-node" ] ||
  (cd "$root/tools/onnx" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >/dev/null 2>&1)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NODE_NO_WARNINGS=1
wine="$root/examples/wine"
/usr/bin/python3 "$root/tools/onnx/make-seed-mlp.py" "$work/seed-mlp" 0 >/dev/null
declare -A model=([wine]="$wine/model/model.json" [seed-mlp]="$work/seed-mlp/model.json")
# Rows the models see without an app: the wine features standardised (so softmax is not saturated).
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/rows.csv"
for name in wine seed-mlp; do
  node "$root/model-bundler/bin/model-bundler.js" --model "${model[$name]}" --backend wasm --name "$name" \
    -o "$work/$name.bundle.js" 2>/dev/null
  /usr/bin/python3 "$root/tools/onnx/tfjs-layers-to-onnx.py" "${model[$name]}" "$work/$name.onnx" >/dev/null
done
field() { sed "s/.*\"$1\":\\([0-9.]*\\).*/\\1/"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "machine: $(nproc) cores, $(uname -r), node $(node --version), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps"

echo
echo "### One worker, rows/s: tfjs-run native against ONNX Runtime and against tfjs (same model, no app)"
echo
echo "| model | batch | native rows/s | µs per call | ONNX Runtime rows/s | tfjs (wasm) rows/s | native / ONNX Runtime | native / tfjs |"
echo "|---|---|---|---|---|---|---|---|"
for name in wine seed-mlp; do
  for batch in 1 64 256 4096; do
    n=(); us=(); o=(); t=()
    for rep in $(seq "$reps"); do
      out=$("$build/tools/bench/tfjs-run-bench" "$work/$name.bundle.js" "$work/rows.csv" --batch-sizes "$batch" \
              --seconds "$seconds" --loads 1 --model-exec native | grep '"batch"')
      n+=("$(echo "$out" | field rows_per_s)"); us+=("$(echo "$out" | field us_per_call)")
      o+=("$(node "$root/tools/onnx/ort-bench.js" "$work/$name.onnx" "$work/rows.csv" --batch-sizes "$batch" \
               --seconds "$seconds" | field rows_per_s)")
      t+=("$("$build/tools/bench/tfjs-run-bench" "$work/$name.bundle.js" "$work/rows.csv" --batch-sizes "$batch" \
               --seconds "$seconds" --loads 1 --model-exec tfjs | grep '"batch"' | field rows_per_s)")
    done
    mn=$(median "${n[@]}"); mo=$(median "${o[@]}"); mt=$(median "${t[@]}")
    printf '| %s | %s | %.0f | %.2f | %.0f | %.0f | %.2f | %.1f |\n' "$name" "$batch" "$mn" "$(median "${us[@]}")" "$mo" "$mt" \
      "$(awk -v a="$mn" -v b="$mo" 'BEGIN { print a / b }')" "$(awk -v a="$mn" -v b="$mt" 'BEGIN { print a / b }')"
  done
done

echo
echo "### Batch-1 latency through the C++ Runtime (1 worker, 1 caller, one row per call)"
echo
echo "| model | exec | p50 µs | p99 µs | calls/s |"
echo "|---|---|---|---|---|"
for name in wine seed-mlp; do
  for exec in native tfjs; do
    p50=(); p99=(); rps=()
    for rep in $(seq "$reps"); do
      out=$("$build/tools/bench/tfjs-run-runtime-bench" "$work/$name.bundle.js" "$work/rows.csv" --model-exec "$exec" \
              --workers 1 --callers 1 --rows 1 --max-batch-delay 0 --seconds "$seconds" --warmup 1)
      p50+=("$(echo "$out" | field p50_us)"); p99+=("$(echo "$out" | field p99_us)")
      rps+=("$(echo "$out" | field requests_per_s)")
    done
    printf '| %s | %s | %.1f | %.1f | %.0f |\n' "$name" "$exec" "$(median "${p50[@]}")" "$(median "${p99[@]}")" "$(median "${rps[@]}")"
  done
done
