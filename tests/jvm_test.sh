#!/usr/bin/env bash
# The JVM layer's JUnit 5 tests (runtime/jvm, examples/flink-wine, examples/flink-model-stream, examples/spark-wine) through
# Maven, against the real engines from Maven Central: first the Flink modules against the Flink
# 1.20 LTS, then everything against the default versions (Flink 2.x, Spark 4.x), which is the
# build left in place. The test JVMs run with -Xcheck:jni; any warning it prints (a JNI call with
# an exception pending, local reference overflow, ...) fails this test even if JUnit passed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
total=0; failed=0; status=0

# Surefire's summary lines are printed by -q only on failure: print the per-class results it
# wrote, and add them up.
summarize() {
  local label=$1 report line n runs fails errs
  for report in "$root"/runtime/jvm/*/target/surefire-reports/*.txt "$root"/examples/*/target/surefire-reports/*.txt; do
    [ -f "$report" ] || continue
    line=$(grep -m1 '^Tests run:' "$report") || continue
    echo "[$label] $(basename "$report" .txt): $line"
    n=$(sed -E 's/^Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/' <<<"$line")
    read -r runs fails errs <<<"$n"
    total=$((total + runs)); failed=$((failed + fails + errs))
  done
}

run() {
  local label=$1; shift
  rm -rf "$root"/runtime/jvm/*/target/surefire-reports "$root"/examples/*/target/surefire-reports
  "$root/tools/build-jvm.sh" "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  summarize "$label"
}

flink_lts=1.20.5
"$root/tools/build-jvm.sh" install -DskipTests -pl tfjs-run-java,kafka-test-broker >/dev/null || status=1
run "flink $flink_lts" clean verify -Dflink.version=$flink_lts -pl tfjs-run-flink,../../examples/flink-wine,../../examples/flink-model-stream
run default clean install

if grep -E "WARNING in native method|JNI local refs|FATAL ERROR in native method" "$log" >/dev/null; then
  echo "jvm_test: -Xcheck:jni reported misuse of JNI:" >&2
  grep -E -A3 "WARNING in native method|JNI local refs|FATAL ERROR in native method" "$log" >&2
  exit 1
fi
echo "jvm: $((total - failed)) passed, $failed failed"
[ "$status" -eq 0 ] && [ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
