#!/usr/bin/env bash
# Measures tfjs-run's native execution (docs/native.md) against ONNX Runtime and LiteRT through
# their Python APIs, one thread each, on the same weights, and prints a markdown table for
# docs/benchmarks.md. Models: the examples' wine MLP and the "seed MLP" (tools/onnx/make-seed-mlp.py)
# at batches 1, 64, 256 and 4096, on the standardised wine rows; MobileNetV2 and the RDN x2
# super-resolution net (tools/bench/conv/make-conv-models.js, random weights) at batches 1 and 8.
# Each tfjs layers model is bundled as it is (no app) and exported by tools/anchors/export.py to
# ONNX (tf2onnx) and, for the conv models, .tflite, from its own weight files. Before timing, the
# outputs of ONNX Runtime and LiteRT on every row must match tfjs-run's native ones:
# |d| / (1 + |native|) at most 1e-4 (the rule for real models in docs/native.md); the table
# prints the worst value. Runners alternate per cell; medians of --reps. The Python runners
# (tools/anchors/run.py) time a bare loop of calls on preallocated inputs; the table shows how
# much of a call is Python's own.
# The venv lives in build/anchors-venv-HASH (HASH: of tools/anchors/requirements.txt), made once.
#   tools/bench-anchors.sh [--seconds S] [--reps N] [--models M,...]
# (defaults 2 s, 3 reps, all four models: about 10 minutes; --models wine,seed-mlp: about 4)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=2
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --models) IFS=, read -r -a models <<< "$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--seconds S] [--reps N] [--models wine,seed-mlp,mobilenet_v2,rdn_x2]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target tfjs-run tfjs-run-bench >/dev/null
requirements="$root/tools/anchors/requirements.txt"
venv="$build/anchors-venv-$(sha256sum "$requirements" | cut -c1-12)"
if [ ! -f "$venv/installed" ]; then  # written last: a venv whose install was cut short is made again
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/installed"
fi
python="$venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NODE_NO_WARNINGS=1 TF_CPP_MIN_LOG_LEVEL=3
wine="$root/examples/wine"
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/rows.csv"
"$python" "$root/tools/onnx/make-seed-mlp.py" "$work/seed-mlp" 0 >/dev/null
node "$root/tools/bench/conv/make-conv-models.js" "$work" >/dev/null 2>&1
declare -A model=([wine]="$wine/model/model.json" [seed-mlp]="$work/seed-mlp/model.json"
                  [mobilenet_v2]="$work/mobilenet_v2/model.json" [rdn_x2]="$work/rdn_x2/model.json")
declare -A rows=([wine]="$work/rows.csv" [seed-mlp]="$work/rows.csv"
                 [mobilenet_v2]="$work/mobilenet_v2/rows.csv" [rdn_x2]="$work/rdn_x2/rows.csv")
declare -A batches=([wine]="1 64 256 4096" [seed-mlp]="1 64 256 4096" [mobilenet_v2]="1 8" [rdn_x2]="1 8")
declare -A worst=()
[ -n "${models+set}" ] || models=(wine seed-mlp mobilenet_v2 rdn_x2)
conv() { [ "$1" = mobilenet_v2 ] || [ "$1" = rdn_x2 ]; }
for m in "${models[@]}"; do
  node "$root/model-bundler/bin/model-bundler.js" --model "${model[$m]}" --backend wasm --name "$m" \
    -o "$work/$m.bundle.js" 2>/dev/null
  "$python" "$root/tools/anchors/export.py" "${model[$m]}" "$work/$m" $(conv "$m" && echo --tflite) >/dev/null 2>&1
  "$build/runtime/tfjs-run" "$work/$m.bundle.js" --model-exec native --no-header < "${rows[$m]}" \
    > "$work/$m.native.csv" 2>/dev/null
  runners=(ort); conv "$m" && runners+=(litert)
  for r in "${runners[@]}"; do
    "$python" "$root/tools/anchors/run.py" "$r" "$work/$m.$([ "$r" = ort ] && echo onnx || echo tflite)" "${rows[$m]}" \
      --predict "$work/$m.$r.csv" 2>/dev/null
    worst[$m.$r]=$("$python" "$root/tools/anchors/run.py" compare "$work/$m.native.csv" "$work/$m.$r.csv" 1e-4) ||
      { echo "$m: $r's outputs differ from tfjs-run native's by ${worst[$m.$r]} (|d|/(1+|native|) > 1e-4)" >&2; exit 1; }
  done
done
field() { sed "s/.*\"$1\": *\\([0-9.e+-]*\\).*/\\1/"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "machine: $(nproc) cores, $(uname -r), $("$python" -c 'import onnxruntime as o, ai_edge_litert as l; print(f"onnxruntime {o.__version__}, ai-edge-litert {l.__version__}")'), $(date -u +%Y-%m-%dT%H:%MZ); medians of $reps"
echo
echo "| model | batch | native rows/s | ONNX Runtime rows/s | LiteRT rows/s | native / ORT | native / LiteRT | µs per call: native, ORT (of it Python) | worst diff: ORT, LiteRT |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  for batch in ${batches[$m]}; do
    n=(); nus=(); o=(); ous=(); opy=(); l=()
    for rep in $(seq "$reps"); do
      out=$("$build/tools/bench/tfjs-run-bench" "$work/$m.bundle.js" "${rows[$m]}" --batch-sizes "$batch" \
              --seconds "$seconds" --loads 1 --model-exec native | grep '"batch"')
      n+=("$(echo "$out" | field rows_per_s)"); nus+=("$(echo "$out" | field us_per_call)")
      out=$("$python" "$root/tools/anchors/run.py" ort "$work/$m.onnx" "${rows[$m]}" --batch-sizes "$batch" \
              --seconds "$seconds" 2>/dev/null)
      o+=("$(echo "$out" | field rows_per_s)"); ous+=("$(echo "$out" | field us_per_call)")
      opy+=("$(echo "$out" | field python_call_us)")
      if conv "$m"; then
        l+=("$("$python" "$root/tools/anchors/run.py" litert "$work/$m.tflite" "${rows[$m]}" --batch-sizes "$batch" \
                 --seconds "$seconds" 2>/dev/null | field rows_per_s)")
      fi
    done
    mn=$(median "${n[@]}"); mo=$(median "${o[@]}")
    if conv "$m"; then ml=$(median "${l[@]}"); lite=$(printf '%.1f' "$ml"); vs_lite=$(ratio "$mn" "$ml")
    else lite=-; vs_lite=-; fi
    printf '| %s | %s | %.1f | %.1f | %s | %s | %s | %.2f, %.2f (%.2f) | %s, %s |\n' "$m" "$batch" "$mn" "$mo" "$lite" \
      "$(ratio "$mn" "$mo")" "$vs_lite" "$(median "${nus[@]}")" "$(median "${ous[@]}")" "$(median "${opy[@]}")" \
      "${worst[$m.ort]}" "${worst[$m.litert]:--}"
  done
done
