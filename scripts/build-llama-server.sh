#!/usr/bin/env bash
# Builds llama.cpp's llama-server for the real-model tests (test/e2e-llama-server.test.ts), from the
# llama.cpp source that the npm package node-llama-cpp ships: nothing is downloaded but npm packages.
# Output: .cache/llama.cpp/build/bin/llama-server (git-ignored). About 9 minutes on 2 cores; skipped
# when already built.
#
# `build-llama-server.sh native` builds a second one, .cache/llama.cpp/build-native/bin/llama-server,
# with GGML_NATIVE=ON: compiled for this CPU's own instruction set (AVX-512 where it has it), as
# node-llama-cpp's prebuilt binary picks its best ggml CPU variant at run time. The default build is
# portable (AVX2, as CI needs it); bench/engine-threads.js compares the engine against both.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/llama.cpp
build="$dir/build"
native=OFF
if [ "${1:-}" = "native" ]; then
  build="$dir/build-native"
  native=ON
fi
bin="$build/bin/llama-server"
if [ -x "$bin" ]; then
  echo "llama-server: $bin (already built)"
  exit 0
fi
if [ ! -d "$dir/src" ]; then
  mkdir -p "$dir/npm"
  # Only its source bundle is used: neither the prebuilt binaries (optional packages) nor its postinstall.
  npm install --prefix "$dir/npm" --no-save --no-package-lock --omit=optional --ignore-scripts --no-audit --no-fund node-llama-cpp@3.21.1
  git -c advice.detachedHead=false clone -q "$dir/npm/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$dir/src"
fi
cmake -S "$dir/src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=$native \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target llama-server -j"$(nproc)" >/dev/null
"$bin" --version
