#!/usr/bin/env bash
# Benchmarks the JVM layer (issue 8), each comparison alternated rep by rep in one process:
#  1. JNI cost: blocking predicts of 1 and 256 rows through Java (TfjsRuntime) against the same
#     predicts made from C++ (Runtime::Predict) on the same runtime, one worker, one caller.
#  2. The Flink shapes, one record per call, P subtasks sharing the runtime (a worker per core):
#     map with batching off, map (batching on), the async function with 256 in flight per
#     subtask, for 4, 8 and 16 subtasks;
#     and the tf.js-on-flink shape (its bundle contract, one record per call, one thread).
#   tools/bench-jvm.sh [--seconds S] [--reps N]     (defaults 2 s, 5 reps; about 8 minutes)
default_seconds=2 default_reps=5 source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
jvm="$root/runtime/jvm"
# The legacy (tf.js-on-flink contract) bundle of the same wine model, cpu backend as tf.js-on-flink used.
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend cpu --name wine-legacy \
  --entry "$root/tests/fixtures/legacy/entry.js" -o "$work/legacy.bundle.js" 2>/dev/null
TFJS_RUN_BUILD_DIR="$build" "$root/tools/build-jvm.sh" install -DskipTests >/dev/null
cp="$jvm/tfjs-run-java/target/classes:$jvm/tfjs-run-java/target/test-classes:$jvm/tfjs-run-flink/target/classes"
cp="$cp:$jvm/tfjs-run-flink/target/test-classes:$jvm/standins/flink/target/classes"
cp="$cp:/usr/share/java/junit-jupiter-api.jar:/usr/share/java/opentest4j.jar:/usr/share/java/apiguardian-api.jar"
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
echo
echo "### Flink shapes (wasm bundle; legacy: tf.js-on-flink contract, cpu)"
echo '```'
java "${java_opts[@]}" io.tfjsrun.flink.FlinkShapeBench "$work/wasm.bundle.js" "$work/legacy.bundle.js" \
  "$work/rows.csv" 4,8,16 "$seconds" "$reps"
echo '```'
