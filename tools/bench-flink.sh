#!/usr/bin/env bash
# Rows/s of the wine model inside a real Flink MiniCluster at parallelism 2 (issue 18):
# TfjsAsyncFunction and TfjsMapFunction against ONNX Runtime's Java API on the same weights
# (tools/onnx/tfjs-layers-to-onnx.py), one session per TaskManager, one intra-op thread per slot,
# batched 256 records per run and unbatched. Shapes alternate rep by rep in one JVM
# (FlinkThroughputBench). The bundle is the model alone (no app), so both compute one function;
# the rows are the wine features, standardised.
#   tools/bench-flink.sh [--reps N]     (default 3; about 2 minutes)
default_reps=3 source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
dpkg -s python3-onnx >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-onnx >/dev/null
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/std-rows.csv"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm --name wine \
  -o "$work/wine.bundle.js" 2>/dev/null
/usr/bin/python3 "$root/tools/onnx/tfjs-layers-to-onnx.py" "$wine/model/model.json" "$work/wine.onnx" >/dev/null
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
report="$root/runtime/jvm/tfjs-run-flink/target/surefire-reports/TEST-io.tfjsrun.flink.FlinkThroughputBench.xml"
rm -f "$report"
"$root/tools/build-jvm.sh" verify -pl tfjs-run-java,tfjs-run-flink -Dtest=FlinkThroughputBench \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtfjs.bench.bundle="$work/wine.bundle.js" -Dtfjs.bench.onnx="$work/wine.onnx" \
  -Dtfjs.bench.rows="$work/std-rows.csv" -Dtfjs.bench.reps="$reps" >/dev/null
grep -E "(^|CDATA\[)(agreement|rows/s|\|)" "$report" | sed 's/.*CDATA\[//'
