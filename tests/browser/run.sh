#!/usr/bin/env bash
# tests/browser/run.sh BUILD_DIR — `runjournal serve` in a real browser
# (serve_browser.test.mjs): Debian's chromium driven by playwright-core.
#
# Installs the test's npm packages exactly as package-lock.json pins them
# (npm ci; no browser is downloaded: playwright-core has none), runs the test
# under a time limit, and on every way out stops the server the test started
# (its pid is in a file) and removes what it made.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
work=$(mktemp -d)
pidfile="$work/serve.pid"
cleanup() {
  if [ -s "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

[ -x /usr/bin/chromium ] || { echo "browser test: /usr/bin/chromium is missing (tools/bootstrap.sh installs it)" >&2; exit 1; }
cd "$here"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null
RUNJOURNAL_CLI="$build/tools/runjournal" SERVE_PIDFILE="$pidfile" TMPDIR="$work" \
  timeout 170 node --test --test-reporter=spec serve_browser.test.mjs
