#!/usr/bin/env bash
# Rows/s of the wine model in a real local[2] SparkSession (issue 18): the SQL function
# (TfjsSpark.register, a row per call) against TfjsSpark.predict (partitions in batches of 256),
# on 2M rows, alternated rep by rep in one JVM (SparkThroughputBench). The bundle is the model
# alone, on standardised wine rows.
#   tools/bench-spark.sh [--reps N]     (default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--reps N]" >&2; exit 1 ;;
  esac
done
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(",").slice(1).map(Number));
  const m = rows[0].map((_, c) => rows.reduce((a, r) => a + r[c], 0) / rows.length);
  const s = rows[0].map((_, c) => Math.sqrt(rows.reduce((a, r) => a + (r[c] - m[c]) ** 2, 0) / rows.length));
  console.log(rows.map((r) => r.map((v, c) => Math.fround((v - m[c]) / s[c])).join(",")).join("\n"));' \
  "$wine/data/wine.data" > "$work/rows.csv"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm --name wine \
  -o "$work/wine.bundle.js" 2>/dev/null
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
report="$root/runtime/jvm/tfjs-run-spark/target/surefire-reports/TEST-io.tfjsrun.spark.SparkThroughputBench.xml"
rm -f "$report"
"$root/tools/build-jvm.sh" verify -pl tfjs-run-java,tfjs-run-spark -Dtest=SparkThroughputBench \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtfjs.bench.bundle="$work/wine.bundle.js" -Dtfjs.bench.rows="$work/rows.csv" -Dtfjs.bench.reps="$reps" >/dev/null
grep -E "(^|CDATA\[)(rows/s|\|)" "$report" | sed 's/.*CDATA\[//'
