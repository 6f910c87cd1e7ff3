#!/usr/bin/env bash
# Runs wine.sql with Flink's SQL client against a Flink cluster and prints its result table:
#   examples/flink-sql-wine/run.sh [BUNDLE]
#     starts a standalone cluster (cluster.sh: a JobManager and a TaskManager process on the lib/
#     that tools/build-jvm.sh assembles from Maven Central), runs the script, stops the cluster;
#   FLINK_HOME=/opt/flink examples/flink-sql-wine/run.sh [BUNDLE]
#     uses that Flink 2.1+ distribution's SQL client and its running cluster instead (the tfjs-run
#     jars must be in $FLINK_HOME/lib: README.md).
# FLINK_CLUSTER_DIR keeps the started cluster's files (conf/, the processes' logs) there.
# BUNDLE defaults to the wine bundle the tests build (build/tests/fixtures/wine-layers-cpu.bundle.js);
# it and the data must be at the same paths on every TaskManager. SqlClientOnAClusterTest runs this
# and compares every row with tfjs in Node.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export WINE_DATA="$root/examples/wine/data/wine.data"
export WINE_BUNDLE="${1:-$root/build/tests/fixtures/wine-layers-cpu.bundle.js}"
[ -f "$WINE_BUNDLE" ] || { echo "run.sh: no bundle at $WINE_BUNDLE (tools/build.sh and ctest build it)" >&2; exit 1; }
work="$(mktemp -d)"
script="$work/wine.sql"
sed -e "s|\${WINE_DATA}|$WINE_DATA|g" -e "s|\${WINE_BUNDLE}|$WINE_BUNDLE|g" "$here/wine.sql" > "$script"
if [ -n "${FLINK_HOME:-}" ]; then
  trap 'rm -rf "$work"' EXIT
  "$FLINK_HOME/bin/sql-client.sh" -f "$script"
else
  cluster="${FLINK_CLUSTER_DIR:-$work/cluster}"
  trap '"$here/cluster.sh" stop "$cluster"; rm -rf "$work"' EXIT
  "$here/cluster.sh" start "$cluster" >&2
  "$here/cluster.sh" sql "$cluster" "$script"
fi
