#!/usr/bin/env bash
# Configures and builds tfjs-run into build/ (or $TFJS_RUN_BUILD_DIR), then the JVM jar
# (tools/build-jvm.sh). Extra args go to cmake.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
# The jar (runtime/jvm/tfjs-run-java/target/tfjs-run-0.1.0.jar, native libraries inside), from
# the plain build only: a sanitizer-instrumented JNI library cannot load into a plain JVM.
case " $* " in
  *TFJS_RUN_SANITIZE=address*|*TFJS_RUN_SANITIZE=thread*) ;;
  *) TFJS_RUN_BUILD_DIR="$build" "$root/tools/build-jvm.sh" ;;
esac
