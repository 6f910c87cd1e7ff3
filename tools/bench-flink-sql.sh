#!/usr/bin/env bash
# Rows/s of Flink SQL's ML_PREDICT (async, 256 in flight, unordered) against the DataStream
# TfjsAsyncFunction (unorderedWait, 256 in flight) on the same rows, in a local MiniCluster at
# parallelism 2 (issue 21): the SQL rows in and out as the table's own rows (RowData, as SQL
# connectors hand them over), ML_PREDICT sync, the same plan without a model, and ML_PREDICT with the rows converted
# from and to DataStream<Row> around it; every rep with Flink's default copies between chained
# operators, then with pipeline.object-reuse. The SQL model sends requests of up to 256 rows, as
# the DataStream function does. The wine model alone (wasm backend, no app) on the
# standardised wine rows, as tools/bench-flink.sh.
# Needs the native libraries and the CLI built (tools/build.sh, or cmake into $TFJS_RUN_BUILD_DIR).
# Rates are taken once warm: from the answer completing the first quarter of a job's records to
# the last (each SQL job compiles its own generated operator classes). --model-exec tfjs runs the
# model's math in tfjs in both shapes (a model costing more per row than the native plan).
# sql-async-empty and stream-async-empty answer every row at once with no model: ML_PREDICT async's
# ceiling, and the same for the DataStream async operator.
# --shapes picks the shapes (sql-sync through tfjs answers one row per JS call, so leave it out there).
#   tools/bench-flink-sql.sh [--reps N] [--records N] [--model-exec auto|tfjs] [--shapes A,B,...]
#   (default 3, 4000000, auto and all seven; about 5 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=3
records=4000000
exec_mode=auto
shapes=sql-async,stream-async,sql-sync,sql-no-model,sql-async-row,sql-async-empty,stream-async-empty
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --model-exec) exec_mode="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    *) echo "usage: $(basename "$0") [--reps N] [--records N] [--model-exec auto|tfjs] [--shapes A,B,...]" >&2; exit 1 ;;
  esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wine="$root/examples/wine"
node "$root/tools/bench/standardise-wine.js" "$wine/data/wine.data" > "$work/std-rows.csv"
node "$root/model-bundler/bin/model-bundler.js" --model "$wine/model/model.json" --backend wasm --name wine \
  -o "$work/wine.bundle.js" 2>/dev/null
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
report="$root/runtime/jvm/tfjs-run-flink-sql/target/surefire-reports/TEST-io.tfjsrun.flink.sql.MlPredictThroughputBench.xml"
rm -f "$report"
"$root/tools/build-jvm.sh" verify -pl tfjs-run-java,tfjs-run-flink,tfjs-run-flink-sql -Dtest=MlPredictThroughputBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtfjs.bench.bundle="$work/wine.bundle.js" \
  -Dtfjs.bench.rows="$work/std-rows.csv" -Dtfjs.bench.reps="$reps" -Dtfjs.bench.records="$records" \
  -Dtfjs.bench.modelExec="$exec_mode" -Dtfjs.bench.shapes="$shapes" >/dev/null
sed 's/\x1b\[[0-9;]*m//g' "$report" | grep -E "(^|CDATA\[)(rows/s|\|)" | sed 's/.*CDATA\[//'
