#!/usr/bin/env bash
# pg_cluster_test.sh — tools/pg_cluster.sh does what its header says, on a
# cluster of its own: a durable server on a Unix socket only, not as root; a
# commit survives `stop --immediate` (crash recovery at the next start); a
# stale postmaster.pid whose pid now belongs to another program is cleared;
# `start` on a running cluster leaves it running; a folder it did not make
# is refused and left as it was; `destroy` removes the cluster.
#   bash tests/postgres/pg_cluster_test.sh [path/to/pg_cluster.sh]
set -euo pipefail
script=${1:-$(dirname "$0")/../../tools/pg_cluster.sh}
bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/rjpg-cluster-test.XXXXXX)
foreign=$(mktemp -d /tmp/rjpg-cluster-foreign.XXXXXX)
sleeper=""
cleanup() {
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
  bash "$script" destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir" "$foreign"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
sql() { "$bin/psql" -X -q -A -t "$uri" -c "$1"; }

uri=$(bash "$script" start "$dir")
[[ $uri == postgresql:///runjournal\?host=$dir\&port=*\&user=runjournal ]] || fail "unexpected URI: $uri"
[ "$(cat "$dir/uri")" = "$uri" ] || fail "DIR/uri differs from the printed URI"
[ "$(sql "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit') || ' ' || current_setting('full_page_writes')")" = "on on on" ] ||
  fail "commits are not durable"
[ -z "$(sql "SELECT current_setting('listen_addresses')")" ] || fail "the server listens on TCP"
pid=$(head -n 1 "$dir/data/postmaster.pid")
owner=$(ps -o user= -p "$pid")
[ "$owner" != root ] || fail "the server runs as root"
[ "$(id -u)" -eq 0 ] || [ "$owner" = "$(id -un)" ] || fail "the server runs as $owner, not as the caller"
eval "$(bash "$script" env "$dir")"
[ "$RUNJOURNAL_PG_URI" = "$uri" ] && [ "$PGHOST" = "$dir" ] || fail "env does not match the URI"

# A committed row survives an immediate stop (the server killed) and the
# crash recovery of the next start.
sql "CREATE TABLE kept (x INT); INSERT INTO kept VALUES (42)"
bash "$script" stop "$dir" --immediate
! bash "$script" status "$dir" || fail "still running after stop --immediate"
[ "$(bash "$script" start "$dir")" = "$uri" ] || fail "the URI changed across a restart"
[ "$(sql "SELECT x FROM kept")" = 42 ] || fail "the committed row is gone after the crash"

# start on a running cluster: reported, left running, same server.
[ "$(bash "$script" start "$dir" 2>/dev/null)" = "$uri" ] || fail "a second start changed the URI"
running_pid=$(head -n 1 "$dir/data/postmaster.pid")
bash "$script" start "$dir" >/dev/null 2>&1
[ "$(head -n 1 "$dir/data/postmaster.pid")" = "$running_pid" ] || fail "start restarted a running server"

# A stale postmaster.pid naming a live process that is not this server.
bash "$script" stop "$dir"
sleep 60 &
sleeper=$!
owner_of_data=$(stat -c %U "$dir/data")
printf '%s\n%s\n' "$sleeper" "$dir/data" >"$dir/data/postmaster.pid"
[ "$(id -u)" -ne 0 ] || chown "$owner_of_data" "$dir/data/postmaster.pid"
! bash "$script" status "$dir" || fail "a stranger's pid counted as the server"
bash "$script" start "$dir" >/dev/null 2>&1 || fail "start did not get past a stale postmaster.pid"
[ "$(sql "SELECT x FROM kept")" = 42 ] || fail "the data is gone after a stale start"
kill "$sleeper" 2>/dev/null || true
sleeper=""

# A folder the script did not make is refused, and left as it was.
echo mine >"$foreign/file"
! bash "$script" start "$foreign" 2>/dev/null || fail "started in a foreign folder"
! bash "$script" destroy "$foreign" 2>/dev/null || fail "destroyed a foreign folder"
[ "$(cat "$foreign/file")" = mine ] && [ "$(ls -A "$foreign")" = file ] || fail "the foreign folder was touched"

bash "$script" destroy "$dir"
[ ! -e "$dir" ] || fail "destroy left $dir"
! pgrep -f "postgres -D $dir/data" >/dev/null || fail "a server outlived destroy"
echo "pg_cluster.sh: all checks passed"
