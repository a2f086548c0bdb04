#!/usr/bin/env bash
# The README's first command: set up what the demo needs, build only the
# demo, and play the crash-and-resume story.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh --demo build-demo >&2
exec ./build-demo/tools/runjournal-demo "${1:-build-demo/demo}"
