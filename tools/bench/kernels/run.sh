#!/usr/bin/env bash
# The measurement that chose the native executor's kernel library (docs/native.md): a 13 -> 60
# sigmoid -> 3 softmax MLP, single-threaded, at batches 1, 64, 256 and 4096, with XNNPACK, oneDNN
# 2.6 and a plain C++ loop (and the loop with -O3 -ffast-math), each checked against the loop to
# 1e-5 first. oneDNN is not a dependency of tfjs-run: this installs libdnnl-dev for the run.
#   tools/bench/kernels/run.sh [seconds per run]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
dpkg -s libdnnl-dev libxnnpack-dev >/dev/null 2>&1 ||
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libdnnl-dev libxnnpack-dev >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags="-O2 -march=x86-64-v2 -mavx2 -mfma -std=c++17"
g++ $flags -c "$here/plain.cpp" -o "$work/plain.o"
# The same loop with -O3 -ffast-math, so expf is vectorised through glibc's libmvec.
g++ -O3 -ffast-math -march=x86-64-v2 -mavx2 -mfma -std=c++17 -Dplain_forward=plainfast_forward \
  -Dplain_prepare=plainfast_prepare -c "$here/plain.cpp" -o "$work/plainfast.o"
g++ $flags -I"$here" -c "$here/bench.cpp" -o "$work/bench.o"
g++ "$work/bench.o" "$work/plain.o" "$work/plainfast.o" -o "$work/bench" -lXNNPACK -ldnnl
OMP_NUM_THREADS=1 "$work/bench" "${1:-0.55}"
