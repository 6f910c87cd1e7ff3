#!/usr/bin/env bash
# The JVM layer's JUnit 5 tests (runtime/jvm, examples/flink-wine, examples/spark-wine), through
# Maven offline. The test JVMs run with -Xcheck:jni; any warning it prints (a JNI call with an
# exception pending, local reference overflow, ...) fails this test even if JUnit passed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# No stale test classes or reports from an earlier run (Debian has no maven-clean-plugin).
rm -rf "$root"/runtime/jvm/*/target/{test-classes,surefire-reports} "$root"/examples/*/target/{test-classes,surefire-reports}
"$root/tools/build-jvm.sh" install 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Surefire's summary lines ("Tests run: N, Failures: ...") are printed by -q only on failure;
# print the per-class results it wrote, then the total.
total=0; failed=0
for report in "$root"/runtime/jvm/*/target/surefire-reports/*.txt "$root"/examples/*/target/surefire-reports/*.txt; do
  [ -f "$report" ] || continue
  line=$(grep -m1 '^Tests run:' "$report") || continue
  echo "$(basename "$report" .txt): $line"
  n=$(sed -E 's/^Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/' <<<"$line")
  read -r runs fails errs <<<"$n"
  total=$((total + runs)); failed=$((failed + fails + errs))
done
if grep -E "WARNING in native method|JNI local refs|FATAL ERROR in native method" "$log" >/dev/null; then
  echo "jvm_test: -Xcheck:jni reported misuse of JNI:" >&2
  grep -E -A3 "WARNING in native method|JNI local refs|FATAL ERROR in native method" "$log" >&2
  exit 1
fi
echo "jvm: $((total - failed)) passed, $failed failed"
[ "$status" -eq 0 ] && [ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
