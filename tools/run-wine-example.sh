#!/usr/bin/env bash
# The wine example end to end, from a fresh machine:
#   install what is missing -> build -> bundle examples/wine/model into ml.bundle.js
#   -> tfjs-run ml.bundle.js < wine.data -> predictions and accuracy against the labels.
# Usage: tools/run-wine-example.sh [--backend wasm|cpu]   (wasm, the bundler's default)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
backend=wasm
[ "${1:-}" = "--backend" ] && backend="${2:?--backend needs cpu or wasm}"
"$root/tools/setup.sh"
"$root/tools/build.sh" >/dev/null
wine="$root/examples/wine"
out="$wine/out"
mkdir -p "$out"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --app "$wine/app.js" \
  --backend "$backend" --name wine --version 1 -o "$out/ml.bundle.js"
# wine.data has the class label first; columns 1-13 are the features.
"${TFJS_RUN_BUILD_DIR:-$root/build}/runtime/tfjs-run" "$out/ml.bundle.js" --columns 1-13 \
  < "$wine/data/wine.data" > "$out/predictions.csv"
echo "label,p_class1,p_class2,p_class3,predicted"
paste -d, <(cut -d, -f1 "$wine/data/wine.data") "$out/predictions.csv" | awk -F, '
  { best = 2; for (i = 3; i <= 4; i++) if ($i > $best) best = i;
    predicted = best - 1; print $0 "," predicted; n++; if (predicted == $1) ok++ }
  END { printf "accuracy against the labels: %d/%d = %.3f (on the data the model was trained on; predictions in examples/wine/out/predictions.csv)\n", ok, n, ok / n > "/dev/stderr" }'
