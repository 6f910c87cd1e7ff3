#!/usr/bin/env bash
# Runs wine.sql with the SQL client of a Flink 2.1+ distribution against its cluster:
#   FLINK_HOME=/opt/flink examples/flink-sql-wine/run.sh [BUNDLE]
# BUNDLE defaults to the wine bundle the tests build (build/tests/fixtures/wine-layers-cpu.bundle.js);
# it and the data must be at the same paths on every TaskManager. The tfjs-run jars must be in
# $FLINK_HOME/lib (README.md). Not run by the tests: MlPredictExampleTest runs the same statements.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${FLINK_HOME:?set FLINK_HOME to a Flink 2.1+ distribution}"
export WINE_DATA="$root/examples/wine/data/wine.data"
export WINE_BUNDLE="${1:-$root/build/tests/fixtures/wine-layers-cpu.bundle.js}"
script="$(mktemp --suffix=.sql)"
trap 'rm -f "$script"' EXIT
sed -e "s|\${WINE_DATA}|$WINE_DATA|g" -e "s|\${WINE_BUNDLE}|$WINE_BUNDLE|g" \
  "$root/examples/flink-sql-wine/wine.sql" > "$script"
"$FLINK_HOME/bin/sql-client.sh" -f "$script"
