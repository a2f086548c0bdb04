#!/usr/bin/env bash
# The README's first command: set up, build, and play the crash-and-resume demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh build >&2
exec ./build/tools/runjournal-demo "${1:-build/demo}"
