#!/usr/bin/env bash
# Installs everything tfjs-run needs to build and test, idempotently.
#   - Debian packages: build tools, nlohmann-json, libcurl, cxxopts, googletest, V8's runtime deps.
#   - V8 10.2 from Debian's libnode108/libnode-dev. If `apt-get install libnode-dev` is refused
#     (the preinstalled non-Debian nodejs conflicts), the two .debs are unpacked into a
#     project-local prefix, third_party/libnode/, which CMake finds by itself.
#   - npm packages for model-bundler/ (tfjs 4.22.0, webpack 5), from the committed lock file.
#   - The JVM layer's tools: OpenJDK 17 and Maven. Maven itself fetches the pinned plugins,
#     JUnit 5, Flink and Spark from Maven Central (runtime/jvm/pom.xml) into ~/.m2.
#   - clang and its runtime (libFuzzer) for tools/fuzz.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/third_party/libnode"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

log() { printf '[setup] %s\n' "$*" >&2; }

# Both README commands set up, and may run at once. apt-get update does not wait for apt's lists
# lock (DPkg::Lock::Timeout covers dpkg's lock only), so while another apt-get holds it the update
# is tried again, for up to 10 minutes; install waits for dpkg's lock (DPkg::Lock::Timeout).
apt_update() {
  local out
  for _ in $(seq 120); do
    if out="$($SUDO apt-get update -qq 2>&1)"; then return 0; fi
    grep -q "Could not get lock" <<<"$out" || break
    sleep 5
  done
  printf '%s\n' "$out" >&2
  return 1
}

apt_pkgs=(build-essential cmake pkg-config nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
          libcxxopts-dev libgtest-dev libgmock-dev openssl
          libuv1 libicu72 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g python3
          openjdk-17-jdk-headless maven  # the JVM layer; Maven fetches the rest from Maven Central
          clang libclang-rt-14-dev
          libxnnpack-dev libpthreadpool-dev)  # the native executor's kernels (runtime/src/native)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt_update; updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# V8: a system libnode-dev (V8 10.2) wins; otherwise the project-local prefix. We never
# `apt-get install libnode-dev` ourselves: where a non-Debian nodejs is installed apt refuses it
# (node-acorn's dependency), and elsewhere it could replace the machine's nodejs.
have_system_v8() { [ -f /usr/include/node/v8-version.h ] && grep -q 'V8_MAJOR_VERSION 10' /usr/include/node/v8-version.h \
                   && ls /usr/lib/*/libnode.so.108 >/dev/null 2>&1; }
if have_system_v8; then
  log "using system libnode-dev"
elif [ -f "$prefix/usr/include/node/v8.h" ] && ls "$prefix"/usr/lib/*/libnode.so.108 >/dev/null 2>&1; then
  log "using project-local V8 prefix $prefix"
else
  log "unpacking Debian's libnode108 + libnode-dev (V8 10.2) into $prefix"
  [ $updated -eq 1 ] || { apt_update; updated=1; }
  tmp="$(mktemp -d)"
  chmod 777 "$tmp"  # apt's _apt user downloads into it
  ( cd "$tmp" && apt-get download -qq libnode108 libnode-dev >/dev/null )
  rm -rf "$prefix.partial" && mkdir -p "$prefix.partial"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$prefix.partial"; done
  rm -rf "$tmp" "$prefix" && mv "$prefix.partial" "$prefix"
fi

# npm packages for the bundler (and the Node reference harness, which uses the same tfjs).
if [ ! -f "$root/model-bundler/node_modules/.package-lock.json" ] || \
   [ "$root/model-bundler/package-lock.json" -nt "$root/model-bundler/node_modules/.package-lock.json" ]; then
  log "npm ci in model-bundler/"
  ( cd "$root/model-bundler" && npm ci --no-audit --no-fund --loglevel=error )
fi
log "ok"
