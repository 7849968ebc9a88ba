#!/usr/bin/env bash
# What a user's `npm install` of mallex costs, and that its embedded engine then works:
#
#   npm run measure:install [-- MODEL.gguf]
#
# packs this checkout (`npm pack`, which builds it), installs the tarball into an empty project,
# prints `du -sh node_modules`, then runs the installed `mallex engine --install` with a fresh
# MALLEX_HOME (node-llama-cpp and the binaries for this machine, from npm) and prints its size. Given a
# GGUF, it serves it with that engine and prints one completion. Everything goes into a temporary
# folder, removed at the end; the user's npm cache and registry settings are used.
set -euo pipefail

model="${1:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/mallex-measure-install-XXXXXX")"
engine_pid=""
cleanup() {
  if [[ -n "$engine_pid" ]]; then kill "$engine_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(uname -sm), node $(node --version), npm $(npm --version)"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/mallex-*.tgz)"
echo "tarball: $(du -h "$tarball" | cut -f1)"

mkdir "$work/project"
cd "$work/project"
echo '{ "name": "measure-mallex-install", "private": true }' >package.json
start=$(date +%s)
npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
echo "npm install $(basename "$tarball"): $(du -sh node_modules | cut -f1) in node_modules ($(($(date +%s) - start)) s)"

export MALLEX_HOME="$work/home"
start=$(date +%s)
node_modules/.bin/mallex engine --install
echo "mallex engine --install: $(du -sh "$MALLEX_HOME/engine" | cut -f1) in MALLEX_HOME/engine ($(($(date +%s) - start)) s)"

if [[ -n "$model" ]]; then
  port=$((20000 + RANDOM % 20000))
  node_modules/.bin/mallex engine --model "$model" --port "$port" --threads 1 2>"$work/engine.log" &
  engine_pid=$!
  for _ in $(seq 1 120); do
    grep -q "server is listening" "$work/engine.log" && break
    kill -0 "$engine_pid" 2>/dev/null || { cat "$work/engine.log"; exit 1; }
    sleep 0.5
  done
  grep "llama.cpp backend\|loaded in" "$work/engine.log"
  curl -sS "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,"temperature":0}'
  echo
fi
