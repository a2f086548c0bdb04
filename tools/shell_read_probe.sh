#!/usr/bin/env bash
# tools/shell_read_probe.sh [--build DIR] [--appends N] [--hosts K] [--host-events E] [--rounds R]
#                           [--shell-timeout MS]
#
# How often the stock sqlite3 shell (Debian's sqlite3, no .timeout) fails to
# read a live journal with "database is locked", beside runjournal writers
# and beside a raw C writer doing the same work, measured in the same run.
# A measurement, not a test: it prints figures (docs/sql.md quotes them).
#
# Two workloads, each on a fresh file while a loop runs the shell, one
# process per read (`sqlite3 FILE "SELECT count(*) FROM events"`), until the
# writers are done:
#   appends  N writer processes one after another, one append each:
#            `runjournal append` / `runjournal-shell-probe raw-append`
#   hosts    K long-lived writers one after another, each appending E events
#            (2 ms apart) and then closing: `runjournal-shell-probe host` /
#            `runjournal-shell-probe raw-host`
# The raw writer keeps its WAL and does not checkpoint at close
# (tools/shell_read_probe.cpp), so it causes no lock window of its own: what
# fails beside it is SQLite's own. Each round runs the four scenarios in turn;
# the totals over all rounds are printed, with runjournal's failure rate
# against the raw writer's, the shell's messages, and the largest -wal file
# seen after a writer process ended (the shell, which checkpoints and removes
# the WAL when it closes last, keeps that figure low for both writers).
# --shell-timeout MS gives the shell a busy timeout (`-cmd ".timeout MS"`),
# the remedy docs/sql.md gives for what is left: then no read should fail.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
appends=300
hosts=10
host_events=100
rounds=1
shell_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --appends) appends=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --host-events) host_events=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --shell-timeout) shell_args=(-cmd ".timeout $2"); shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--appends N] [--hosts K] [--host-events E] [--rounds R] [--shell-timeout MS]" >&2
       exit 2 ;;
  esac
done

rj=$build/tools/runjournal
probe=$build/tools/runjournal-shell-probe
for tool in "$rj" "$probe"; do
  [ -x "$tool" ] || { echo "missing $tool: cmake --build $build --target runjournal_cli runjournal_shell_probe" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "the sqlite3 shell is missing: apt-get install sqlite3" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/shell-read-probe.XXXXXX")
reader_pid=
cleanup() {
  if [ -n "$reader_pid" ]; then kill "$reader_pid" 2>/dev/null || true; wait "$reader_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The shell, in a loop, until $2 exists; then "reads failures other" into $3.
# Failures are "database is locked" (SQLITE_BUSY); anything else is "other"
# and its message is kept in $3.errors.
read_loop() {
  local db=$1 stop=$2 out=$3 reads=0 locked=0 other=0 msg
  : >"$out.errors"
  : >"$out.locked"
  while [ ! -e "$stop" ]; do
    reads=$((reads + 1))
    if ! msg=$(sqlite3 "${shell_args[@]}" "$db" "SELECT count(*) FROM events;" 2>&1 >/dev/null); then
      case "$msg" in
        *"database is locked"*) locked=$((locked + 1)); echo "$msg" >>"$out.locked" ;;
        *) other=$((other + 1)); echo "$msg" >>"$out.errors" ;;
      esac
    fi
  done
  echo "$reads $locked $other" >"$out"
}

start_reader() {  # $1 db, $2 scenario name
  rm -f "$work/stop"
  read_loop "$1" "$work/stop" "$work/$2.result" &
  reader_pid=$!
}

# The largest WAL seen after a writer process ended (0 when there was none).
note_wal() {  # $1 scenario name, $2 db
  local w; w=$(stat -c %s "$2-wal" 2>/dev/null || echo 0)
  [ "$w" -le "${wal[$1]:-0}" ] || wal[$1]=$w
}

stop_reader() {  # $1 scenario name: adds its counts to the totals
  touch "$work/stop"
  wait "$reader_pid"
  reader_pid=
  local r l o
  read -r r l o <"$work/$1.result"
  reads[$1]=$(( ${reads[$1]:-0} + r ))
  locked[$1]=$(( ${locked[$1]:-0} + l ))
  other[$1]=$(( ${other[$1]:-0} + o ))
  sed "s/^/$1: /" "$work/$1.result.locked" >>"$work/messages"
  if [ "$o" -gt 0 ]; then echo "$1: unexpected errors:" >&2; sort "$work/$1.result.errors" | uniq -c >&2; fi
}

declare -A reads locked other wal
for round in $(seq 1 "$rounds"); do
  # runjournal append, one process per event.
  db=$work/rj-appends-$round.journal
  "$rj" init "$db" >/dev/null
  "$rj" start "$db" --session probe --id r >/dev/null
  start_reader "$db" rj_appends
  for i in $(seq 1 "$appends"); do "$rj" append "$db" r step "{\"i\":$i}" >/dev/null; note_wal rj_appends "$db"; done
  stop_reader rj_appends

  # The raw C writer, one process per event.
  db=$work/raw-appends-$round.db
  "$probe" raw-append "$db"
  start_reader "$db" raw_appends
  for _ in $(seq 1 "$appends"); do "$probe" raw-append "$db"; note_wal raw_appends "$db"; done
  stop_reader raw_appends

  # Long-lived runjournal hosts, one after another.
  db=$work/rj-hosts-$round.journal
  "$rj" init "$db" >/dev/null
  start_reader "$db" rj_hosts
  for _ in $(seq 1 "$hosts"); do "$probe" host "$db" "$host_events" 2; note_wal rj_hosts "$db"; done
  stop_reader rj_hosts

  # Long-lived raw C writers, one after another.
  db=$work/raw-hosts-$round.db
  "$probe" raw-append "$db"
  start_reader "$db" raw_hosts
  for _ in $(seq 1 "$hosts"); do "$probe" raw-host "$db" "$host_events" 2; note_wal raw_hosts "$db"; done
  stop_reader raw_hosts
done

rate() { awk -v f="$1" -v r="$2" 'BEGIN { if (r == 0) print "-"; else printf "%.2f%%", 100 * f / r }'; }
ratio() {
  awk -v f1="$1" -v r1="$2" -v f2="$3" -v r2="$4" 'BEGIN {
    if (r1 == 0 || r2 == 0) { print "-"; exit }
    a = f1 / r1; b = f2 / r2
    if (b == 0) print (a == 0 ? "1.00 (both 0)" : "inf (raw 0)"); else printf "%.2f\n", a / b }'
}

echo "sqlite3 shell reads of a live file, ${shell_args[1]:-no .timeout}; sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "appends: $appends processes x $rounds round(s); hosts: $hosts x $host_events events x $rounds round(s)"
printf '%-14s %8s %8s %8s %9s %12s\n' scenario reads locked other rate "max wal"
for s in rj_appends raw_appends rj_hosts raw_hosts; do
  printf '%-14s %8d %8d %8d %9s %12d\n' "$s" "${reads[$s]}" "${locked[$s]}" "${other[$s]}" \
    "$(rate "${locked[$s]}" "${reads[$s]}")" "${wal[$s]:-0}"
done
echo "runjournal/raw failure rate, appends: $(ratio "${locked[rj_appends]}" "${reads[rj_appends]}" "${locked[raw_appends]}" "${reads[raw_appends]}")"
echo "runjournal/raw failure rate, hosts:   $(ratio "${locked[rj_hosts]}" "${reads[rj_hosts]}" "${locked[raw_hosts]}" "${reads[raw_hosts]}")"
[ ! -s "$work/messages" ] || { echo "the shell's messages, by count:"; sort "$work/messages" | uniq -c; }
