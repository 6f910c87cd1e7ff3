#!/usr/bin/env bash
# Builds every bundle the tests use and the tfjs-in-Node reference outputs for them.
#   tests/build-fixtures.sh OUT_DIR
# Bundles: wine-{layers,graph}-{cpu,wasm}.bundle.js (wine model + the wine app written as
# functions, tests/fixtures/wine-app-functions.js), wine-std-{cpu,wasm} and image-std (an app
# declaring only standardize: the wine example's, and per channel), std-bad (a standardize that
# fits no rows), legacy.bundle.js
# (tf.js-on-flink shape, no app), and image, image-uint8, image-float16, free-dims, multi-out,
# fixed-batch-1, fixed-batch-3, int-input, uint8-input
# (generated models of each shape the bundler takes without an app module), wine-noapp (the
# wine model alone, which runs natively), multi-out-app (multi-out with a postprocess), native/ (per-op models for the native executor). Inputs: wine.csv (the 178 raw feature rows), random.csv (rows
# of N(0,1)-ish values for the app-less legacy bundle). References: ref-NAME.csv, computed by
# tools/node-harness.js --model (tfjs 4.22 in Node loading the model files directly).
set -euo pipefail
out="${1:?usage: build-fixtures.sh OUT_DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundler="$root/model-bundler/bin/model-bundler.js"
harness="$root/tools/node-harness.js"
wine="$root/examples/wine"
app="$root/tests/fixtures/wine-app-functions.js"
mkdir -p "$out"
export NODE_NO_WARNINGS=1
# tools/test.sh builds the fixtures once, then points the sanitizer builds here: copy them.
if [ -n "${TFJS_RUN_FIXTURES_FROM:-}" ] && [ -f "$TFJS_RUN_FIXTURES_FROM/.complete" ] &&
   [ "$(cd "$TFJS_RUN_FIXTURES_FROM" && pwd)" != "$(cd "$out" && pwd)" ]; then
  cp -a "$TFJS_RUN_FIXTURES_FROM/." "$out/"
  echo "build-fixtures: copied from $TFJS_RUN_FIXTURES_FROM" >&2
  exit 0
fi
rm -f "$out/.complete"

node "$root/tests/fixtures/make-graph-model.js" "$wine/model/model.json" "$out/graph-model"
cut -d, -f2- "$wine/data/wine.data" > "$out/wine.csv"
# Deterministic pseudo-random rows (a fixed LCG), 13 columns, values in [-3, 3).
node -e '
  let s = 12345; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 6 - 3;
  const lines = [];
  for (let r = 0; r < 300; r++) lines.push(Array.from({length: 13}, rnd).map((v) => Math.fround(v)).join(","));
  require("fs").writeFileSync(process.argv[1], lines.join("\n") + "\n");' "$out/random.csv"

build() {  # name model backend [extra args]
  local name=$1 model=$2 backend=$3; shift 3
  node "$bundler" --model "$model" --backend "$backend" --name "$name" --version "test-1" -o "$out/$name.bundle.js" "$@"
}
build wine-layers-cpu "$wine/model/model.json" cpu --app "$app" &
build wine-layers-wasm "$wine/model/model.json" wasm --app "$app" &
wait
build wine-graph-cpu "$out/graph-model/model.json" cpu --app "$app" &
build wine-graph-wasm "$out/graph-model/model.json" wasm --app "$app" &
wait
build wine-std-cpu "$wine/model/model.json" cpu --app "$wine/app.js" &
build wine-std-wasm "$wine/model/model.json" wasm --app "$wine/app.js" &
wait
build std-bad "$wine/model/model.json" cpu --app "$root/tests/fixtures/std-bad-app.js" &
build legacy "$wine/model/model.json" cpu --entry "$root/tests/fixtures/legacy/entry.js"

# Real-model shapes with no app module (tests/fixtures/make-shaped-models.js): an NHWC image
# model in a file not named model.json (built without --backend or --name: the defaults are
# under test), its uint8- and float16-quantized twins, free dimensions fixed by --input-shape,
# and three outputs concatenated (multi-out-app: with a postprocess taking them as an array).
node "$root/tests/fixtures/make-shaped-models.js" "$out/shaped"
node "$bundler" --model "$out/shaped/image/liveness.json" --version test-1 -o "$out/image.bundle.js" &
build image-uint8 "$out/shaped/image-uint8" cpu &
wait
build image-float16 "$out/shaped/image-float16/model.json" wasm &
build free-dims "$out/shaped/free-dims/model.json" wasm --input-shape 4,4,3 &
wait
build multi-out "$out/shaped/multi-out/model.json" cpu &
build multi-out-app "$out/shaped/multi-out/model.json" cpu --app "$root/tests/fixtures/multi-out-app.js" &
build fixed-batch-1 "$out/shaped/fixed-batch-1/model.json" cpu &
build fixed-batch-3 "$out/shaped/fixed-batch-3/model.json" wasm &
wait
build int-input "$out/shaped/int-input/model.json" cpu &
build uint8-input "$out/shaped/uint8-input/model.json" wasm &
build image-std "$out/shaped/image/liveness.json" cpu --app "$root/tests/fixtures/image-std-app.js" &
# The wine model with no app: its bundle offers the model to the native executor.
build wine-noapp "$wine/model/model.json" wasm &
wait
# One small model per op of the native executor, with tfjs's outputs (tests/native_test.cc).
node "$root/tests/fixtures/make-native-models.js" "$out/native"
node "$root/tests/fixtures/make-native-graphs.js" "$out/native-graphs"
# model-bundler's smallest graph, x[-1] * 2: one value per row (tests/native_test.cc).
build rank1-times-two "$out/native-graphs/graph-rank1-times-two/model.json" cpu

ref() {  # name model backend rows [app]
  local name=$1 model=$2 backend=$3 rows=$4 app=${5:-}
  node "$harness" --model "$model" --backend "$backend" ${app:+--app "$app"} --predict "$rows" > "$out/ref-$name.csv" 2>/dev/null
}
ref wine-layers-cpu "$wine/model/model.json" cpu "$out/wine.csv" "$app"
ref wine-layers-wasm "$wine/model/model.json" wasm "$out/wine.csv" "$app"
ref wine-graph-cpu "$out/graph-model/model.json" cpu "$out/wine.csv" "$app"
ref wine-graph-wasm "$out/graph-model/model.json" wasm "$out/wine.csv" "$app"
ref wine-std-cpu "$wine/model/model.json" cpu "$out/wine.csv" "$wine/app.js"
ref wine-std-wasm "$wine/model/model.json" wasm "$out/wine.csv" "$wine/app.js"
ref image-std "$out/shaped/image/liveness.json" cpu "$out/shaped/image.csv" "$root/tests/fixtures/image-std-app.js"
ref legacy "$wine/model/model.json" cpu "$out/random.csv"
ref image "$out/shaped/image/liveness.json" wasm "$out/shaped/image.csv"
ref image-unquantized-cpu "$out/shaped/image/liveness.json" cpu "$out/shaped/image.csv"
ref image-uint8 "$out/shaped/image-uint8/model.json" cpu "$out/shaped/image.csv"
ref image-float16 "$out/shaped/image-float16/model.json" wasm "$out/shaped/image.csv"
node "$harness" --model "$out/shaped/free-dims/model.json" --backend wasm --input-shape 4,4,3 \
  --predict "$out/shaped/free-dims.csv" > "$out/ref-free-dims.csv" 2>/dev/null
ref multi-out "$out/shaped/multi-out/model.json" cpu "$out/shaped/multi-out.csv"
ref fixed-batch-1 "$out/shaped/fixed-batch-1/model.json" cpu "$out/shaped/free-dims.csv"
ref fixed-batch-3 "$out/shaped/fixed-batch-3/model.json" wasm "$out/shaped/multi-out.csv"
ref int-input "$out/shaped/int-input/model.json" cpu "$out/shaped/int-input.csv"
ref uint8-input "$out/shaped/uint8-input/model.json" wasm "$out/shaped/uint8-input.csv"
ref wine-noapp "$wine/model/model.json" wasm "$out/random.csv"
ref wine-noapp-on-wine "$wine/model/model.json" wasm "$out/wine.csv"
for f in "$out"/ref-*.csv; do
  [ "$(wc -l < "$f")" -gt 0 ] || { echo "build-fixtures: empty reference $f" >&2; exit 1; }
done
touch "$out/.complete"
echo "build-fixtures: bundles and references in $out" >&2
