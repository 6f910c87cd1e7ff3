#!/usr/bin/env bash
# `cmake --install` gives a C++ consumer all it needs (README.md, "Use from C++"):
#  1. The installed libtfjs_run.so.0 (-> .so.0.1.0) has RUNPATH $ORIGIN and no path of the
#     build or source tree.
#  2. The installed tree is moved elsewhere (it must be relocatable), then a consumer outside
#     the source tree (tests/install-consumer) is configured with find_package(tfjs_run), built
#     against the shared library and, separately, the static one (COMPONENTS static), and a
#     third time with g++ and `pkg-config --cflags --libs tfjs_run`.
#  3. Each predicts every row of wine.csv with the wine bundle and agrees with tfjs in Node
#     (ref-wine-layers-cpu.csv) within 1e-5, the tolerance of tests/model_test.cc.
# Needs the build (TFJS_RUN_BUILD_DIR) and the fixtures (FIXTURES_OUT).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
fixtures="${FIXTURES_OUT:-$build/tests/fixtures}"
cmake="${CMAKE_COMMAND:-cmake}"
cxx="${CXX:-c++}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

"$cmake" --install "$build" --prefix "$tmp/installed" > "$tmp/install.log"
lib="$tmp/installed/lib/libtfjs_run.so.0"
[ "$(readlink "$lib")" = libtfjs_run.so.0.1.0 ] || { echo "FAIL: $lib is not a link to libtfjs_run.so.0.1.0"; fail=1; }
soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
runpath="$(readelf -d "$lib" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
echo "installed: soname $soname, RUNPATH $runpath"
[ "$soname" = libtfjs_run.so.0 ] || { echo "FAIL: soname $soname"; fail=1; }
[ "$runpath" = '$ORIGIN' ] || { echo "FAIL: RUNPATH '$runpath' is not \$ORIGIN"; fail=1; }
for tree in "$build" "$root" "$(readlink -f "$root/third_party/libnode")"; do
  [[ "$runpath" != *"$tree"* ]] || { echo "FAIL: RUNPATH names $tree"; fail=1; }
done

mv "$tmp/installed" "$tmp/prefix"  # every path inside must be relative to the prefix
prefix="$tmp/prefix"

# Every output row of `consumer` against tfjs in Node's reference.
check() {
  python3 - "$1" "$fixtures/ref-wine-layers-cpu.csv" "$2" <<'PY'
import sys
got = [[float(v) for v in l.split(",")] for l in open(sys.argv[1]).read().split()]
exp = [[float(v) for v in l.split(",")] for l in open(sys.argv[2]).read().split()]
if len(got) != len(exp) or any(len(g) != len(e) for g, e in zip(got, exp)):
    sys.exit(f"FAIL: {sys.argv[3]}: {len(got)} rows, the reference has {len(exp)}")
worst = max(abs(g - e) for gr, er in zip(got, exp) for g, e in zip(gr, er))
print(f"{sys.argv[3]}: {len(got)} rows; worst difference from tfjs in Node {worst:.2e} (tolerance 1e-5)")
sys.exit(0 if worst <= 1e-5 else 1)
PY
}
run() {  # NAME BINARY
  if "$2" "$fixtures/wine-layers-cpu.bundle.js" "$fixtures/wine.csv" > "$tmp/$1.csv" 2> "$tmp/$1.err"; then
    check "$tmp/$1.csv" "$1" || fail=1
  else
    echo "FAIL: $1 did not run:"; cat "$tmp/$1.err"; fail=1
  fi
}

for variant in shared static; do
  static=OFF; [ "$variant" = static ] && static=ON
  if "$cmake" -S "$root/tests/install-consumer" -B "$tmp/consumer-$variant" -DCMAKE_BUILD_TYPE=Release \
       -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DTFJS_RUN_STATIC=$static > "$tmp/$variant.log" 2>&1 &&
     "$cmake" --build "$tmp/consumer-$variant" >> "$tmp/$variant.log" 2>&1; then
    run "find_package, $variant" "$tmp/consumer-$variant/consumer"
  else
    echo "FAIL: the $variant consumer did not build:"; cat "$tmp/$variant.log"; fail=1
  fi
done

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir="$(pkg-config --variable=libdir tfjs_run)"
# shellcheck disable=SC2046  # pkg-config's flags are separate words
if "$cxx" -std=c++20 -o "$tmp/consumer-pc" "$root/tests/install-consumer/main.cc" $(pkg-config --cflags --libs tfjs_run) \
     -Wl,-rpath,"$libdir" 2> "$tmp/pc.log"; then
  run "pkg-config" "$tmp/consumer-pc"
else
  echo "FAIL: the pkg-config consumer did not build:"; cat "$tmp/pc.log"; fail=1
fi
exit $fail
