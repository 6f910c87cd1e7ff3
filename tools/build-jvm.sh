#!/usr/bin/env bash
# Builds (and with `verify`, tests) the JVM layer: runtime/jvm (the tfjs-run jar with its native
# libraries, the Flink adapters, the stand-ins) and examples/flink-wine, examples/spark-wine.
#   tools/build-jvm.sh [MAVEN GOALS AND ARGS...]     default: install -DskipTests
# Needs tools/build.sh's native libraries in $TFJS_RUN_BUILD_DIR/jvm-native (default build/),
# and, for the tests, the fixtures ctest builds there (build/tests/fixtures) and the CLI.
# Maven runs without the network: every artifact comes from Debian's /usr/share/maven-repo
# (runtime/jvm/settings.xml), into a local repository under the build directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
[ $# -gt 0 ] || set -- install -DskipTests
exec mvn -B -q -s "$root/runtime/jvm/settings.xml" -f "$root/runtime/jvm/pom.xml" \
  -Dmaven.repo.local="$build/m2" \
  -Dtfjs.native.dir="$build/jvm-native" \
  -Dtfjs.fixtures="$build/tests/fixtures" \
  -Dtfjs.cli="$build/runtime/tfjs-run" \
  -Dtfjs.source.dir="$root" \
  "$@"
