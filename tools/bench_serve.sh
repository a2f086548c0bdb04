#!/usr/bin/env bash
# tools/bench_serve.sh [BUILD_DIR] [--quick] — the `runjournal serve`
# benchmark (tools/bench_serve.cpp; docs/serve.md has a full run): builds
# what it needs, installs the browser driver from package-lock.json, runs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
cmake --build "$build" -j 2 --target runjournal_cli runjournal_bench_serve >/dev/null
(cd tests/browser && npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
command -v wrk >/dev/null || { echo "bench_serve: wrk is missing (tools/bootstrap.sh installs it)" >&2; exit 1; }
"$build/tools/runjournal-bench-serve" --cli "$build/tools/runjournal" \
  --node-script tests/browser/first_render.mjs --dir "$build/bench-serve" "$@"
