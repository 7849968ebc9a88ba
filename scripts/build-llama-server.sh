#!/usr/bin/env bash
# Builds llama.cpp's llama-server for the real-model tests (test/e2e-llama-server.test.ts), from the
# llama.cpp source that the npm package node-llama-cpp ships: nothing is downloaded but npm packages.
# Output: .cache/llama.cpp/build/bin/llama-server (git-ignored). About 9 minutes on 2 cores; skipped
# when already built.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/llama.cpp
bin="$dir/build/bin/llama-server"
if [ -x "$bin" ]; then
  echo "llama-server: $bin (already built)"
  exit 0
fi
mkdir -p "$dir/npm"
# Only its source bundle is used; the prebuilt binaries (optional packages) are not needed.
NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --prefix "$dir/npm" --no-save --no-package-lock --omit=optional --no-audit --no-fund node-llama-cpp@3.21.1
rm -rf "$dir/src"
git -c advice.detachedHead=false clone -q "$dir/npm/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$dir/src"
cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$dir/build" --target llama-server -j"$(nproc)" >/dev/null
"$bin" --version
