#!/usr/bin/env bash
# Benchmarks the JNI cost (issue 8), alternated rep by rep in one process: blocking predicts of 1
# and 256 rows through Java (TfjsRuntime) against the same predicts made from C++
# (Runtime::Predict) on the same runtime, one worker, one caller.
#   tools/bench-jvm.sh [--seconds S] [--reps N]     (defaults 2 s, 5 reps; about 3 minutes)
default_seconds=2 default_reps=5 source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
jvm="$root/runtime/jvm"
TFJS_RUN_BUILD_DIR="$build" "$root/tools/build-jvm.sh" install -DskipTests >/dev/null
cp="$jvm/tfjs-run-java/target/classes:$jvm/tfjs-run-java/target/test-classes"
java_opts=(-Xms512m -Xmx512m -Dtfjs.run.native.dir="$work/native" -cp "$cp")
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ); $reps alternating reps of ${seconds} s"
echo
# A bundle whose predict() does next to nothing: its calls show the host's and JNI's own cost.
cat > "$work/trivial.bundle.js" <<'JS'
globalThis.tfjsRunBundle = {
  name: 'trivial', version: '1', inputShape: [null, 13], outputShape: [null, 3], load() {},
  predict(x, rows) { const out = new Float32Array(rows * 3); out[0] = x[0]; return out; },
};
JS
for bundle in wasm trivial; do
  echo "### JNI cost ($bundle bundle)"
  echo '```'
  java "${java_opts[@]}" io.tfjsrun.JniBench "$work/$bundle.bundle.js" "$work/rows.csv" "$seconds" "$reps"
  echo '```'
  echo
done
