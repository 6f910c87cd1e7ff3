#!/usr/bin/env bash
# Rows/s of the wine model in a real local[2] SparkSession (issue 18): the SQL function
# (TfjsSpark.register, a row per call) against TfjsSpark.predict (partitions in batches of 256),
# on 2M rows, alternated rep by rep in one JVM (SparkThroughputBench). The bundle is the model
# alone, on standardised wine rows.
#   tools/bench-spark.sh [--reps N]     (default 3)
default_reps=3 source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/std-rows.csv"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm --name wine \
  -o "$work/wine.bundle.js" 2>/dev/null
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
report="$root/runtime/jvm/tfjs-run-spark/target/surefire-reports/TEST-io.tfjsrun.spark.SparkThroughputBench.xml"
rm -f "$report"
"$root/tools/build-jvm.sh" verify -pl tfjs-run-java,tfjs-run-spark -Dtest=SparkThroughputBench \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtfjs.bench.bundle="$work/wine.bundle.js" -Dtfjs.bench.rows="$work/std-rows.csv" -Dtfjs.bench.reps="$reps" >/dev/null
grep -E "(^|CDATA\[)(rows/s|\|)" "$report" | sed 's/.*CDATA\[//'
