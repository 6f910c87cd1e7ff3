#!/usr/bin/env bash
# tfjs-run's jar is self-contained: its native libraries need nothing from the host but glibc,
# libstdc++ and the common Debian packages runtime/jvm/README.md lists ("What a TaskManager (or
# executor) host needs").
#  1. Every NEEDED entry of every native library in the jar is either in the jar or a library of
#     one of those packages (dpkg -S).
#  2. A JVM in a private mount namespace, with the host's libXNNPACK, libcpuinfo and
#     libpthreadpool hidden (/dev/null bound over them), opens the wine bundle from the jar alone,
#     runs it natively, and predicts what tfjs in Node predicts for the same rows (1e-5).
# Needs root (unshare -m) and tools/build.sh's jar and the fixtures (build_fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
fixtures="$build/tests/fixtures"
jar="$root/runtime/jvm/tfjs-run-java/target/tfjs-run-0.1.0.jar"
allowed=" libc6 libstdc++6 libgcc-s1 libuv1 libicu72 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g libcurl4 "
hidden=(libXNNPACK.so.0 libcpuinfo.so.0 libpthreadpool.so.0)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

(cd "$tmp" && jar xf "$jar" io/tfjsrun/native)
ldconfig -p > "$tmp/ldcache"
find_lib() { awk -v n="$1" '$1 == n && /x86-64/ {print $NF; exit}' "$tmp/ldcache"; }
# The Debian package owning a library file (dpkg knows it under /lib or /usr/lib: usrmerge).
package_of() {
  local real; real="$(readlink -f "$1")"
  for p in "$real" "${real#/usr}" "/usr$real" "$1"; do
    if out="$(dpkg -S "$p" 2>/dev/null)"; then echo "${out%%:*}"; return; fi
  done
}
dir="$tmp/io/tfjsrun/native/linux-x86_64"
for lib in "$dir"/*; do
  for needed in $(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$dir/$needed" ] && continue
    path="$(find_lib "$needed")"
    pkg=""
    [ -n "$path" ] && pkg="$(package_of "$path")"
    if [[ -z "$pkg" || "$allowed" != *" $pkg "* ]]; then
      echo "FAIL: $(basename "$lib") needs $needed (${pkg:-no package}), which is neither in the jar nor a documented host package"
      fail=1
    else
      echo "ok: $(basename "$lib") needs $needed from $pkg"
    fi
  done
done
for lib in "${hidden[@]}"; do
  [ -e "$dir/$lib" ] || { echo "FAIL: the jar does not carry $lib"; fail=1; }
done

head -20 "$fixtures/wine.csv" > "$tmp/rows.csv"
head -20 "$fixtures/ref-wine-layers-cpu.csv" > "$tmp/expected.csv"
javac -d "$tmp/classes" -cp "$jar" "$root/tests/jvm/NativeProbe.java"
binds=""
for lib in "${hidden[@]}"; do
  path="$(find_lib "$lib")"
  [ -n "$path" ] && binds+="mount --bind /dev/null $(readlink -f "$path") && "
done
[ -n "$binds" ] || { echo "FAIL: the host has none of ${hidden[*]} to hide: the test would prove nothing"; exit 1; }
unshare -m sh -c "${binds} java -Dtfjs.run.native.dir='$tmp/extracted' -cp '$jar:$tmp/classes' NativeProbe \
  '$fixtures/wine-layers-cpu.bundle.js' '$tmp/rows.csv'" > "$tmp/out.txt" 2> "$tmp/err.txt" || {
  echo "FAIL: the JVM with the host's ${hidden[*]} hidden did not run:"; cat "$tmp/err.txt"; exit 1; }
head -1 "$tmp/out.txt"
grep -qx "model-exec native" "$tmp/out.txt" || { echo "FAIL: the model did not run natively"; fail=1; }
tail -n +2 "$tmp/out.txt" > "$tmp/got.csv"
python3 - "$tmp/got.csv" "$tmp/expected.csv" <<'PY' || fail=1
import sys
got = [[float(v) for v in l.split(",")] for l in open(sys.argv[1]).read().split()]
exp = [[float(v) for v in l.split(",")] for l in open(sys.argv[2]).read().split()]
assert len(got) == len(exp) == 20, (len(got), len(exp))
worst = max(abs(g - e) for gr, er in zip(got, exp) for g, e in zip(gr, er))
print(f"20 rows predicted with the host's XNNPACK hidden; worst difference from tfjs in Node {worst:.2e} (tolerance 1e-5)")
sys.exit(0 if worst <= 1e-5 else 1)
PY
exit $fail
