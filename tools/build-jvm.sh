#!/usr/bin/env bash
# Builds (and with `verify` or `install`, tests) the JVM layer: runtime/jvm (the tfjs-run jar with
# its native libraries, the Flink and Spark adapters) and examples/flink-wine, examples/spark-wine,
# with Maven from Maven Central (every version pinned in runtime/jvm/pom.xml).
#   tools/build-jvm.sh [MAVEN GOALS AND ARGS...]     default: install -DskipTests
# Needs tools/build.sh's native libraries in $TFJS_RUN_BUILD_DIR/jvm-native (default build/),
# and, for the tests, the fixtures ctest builds there (build/tests/fixtures) and the CLI.
# -Dflink.version=1.20.5 builds and tests the Flink modules against the Flink 1.20 LTS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
[ $# -gt 0 ] || set -- install -DskipTests
exec mvn -B -q -f "$root/runtime/jvm/pom.xml" \
  -Dtfjs.native.dir="$build/jvm-native" \
  -Dtfjs.fixtures="$build/tests/fixtures" \
  -Dtfjs.cli="$build/runtime/tfjs-run" \
  -Dtfjs.source.dir="$root" \
  "$@"
