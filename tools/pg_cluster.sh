#!/usr/bin/env bash
# tools/pg_cluster.sh — a throwaway PostgreSQL 15 cluster in one folder, for
# runjournal's tests, probes and benchmarks.
#
#   pg_cluster.sh start DIR [--fresh] [--port N]   create (initdb) if needed, start, print its URI
#   pg_cluster.sh stop DIR [--immediate]            pg_ctl stop -m fast (or -m immediate: a crash)
#   pg_cluster.sh env DIR                           shell lines to eval: PGHOST … RUNJOURNAL_PG_URI
#   pg_cluster.sh uri DIR                           the libpq URI clients use
#   pg_cluster.sh status DIR                        exit 0 when the server is running
#   pg_cluster.sh destroy DIR                       stop at once if running, remove DIR
#
# The cluster lives in DIR: the data directory in DIR/data, the server's log
# in DIR/server.log, and its only listening socket in DIR itself (no TCP at
# all: listen_addresses is empty), so clusters in different folders never
# collide, whatever their port numbers. The port only names the socket
# (DIR/.s.PGSQL.N); it is random at creation (or --port N) and kept across
# restarts, so a URI stays valid after `stop` and `start`. Clients connect
# with `postgresql:///runjournal?host=DIR&port=N&user=runjournal`, database
# and role `runjournal`, trust authentication: the socket's folder is mode
# 0700, which is the access control.
#
# Durability is the real thing: fsync, synchronous_commit and
# full_page_writes are on, so an acknowledged commit survives
# `stop --immediate` (the server killed; the next `start` runs crash
# recovery). Only initdb itself skips its final sync (--no-sync): a
# throwaway cluster created seconds ago has no committed data to lose.
#
# PostgreSQL refuses to run as root. Invoked as root, the server runs as
# RUNJOURNAL_PG_USER, by default `postgres` (the account Debian's
# postgresql-common creates to run servers), else `nobody`; DIR is chowned to
# it, so DIR must be reachable by that user: choose it under /tmp, not under
# /root. Invoked as another user, the server runs as that user.
#
# Stale clusters: `start` on a folder whose server is running reports it and
# leaves it running; a postmaster.pid left by a killed server (its pid dead
# or now another program's) is removed before starting; a half-made data
# directory (initdb cut off) is made again. `start --fresh` and `destroy`
# remove a previous cluster in DIR first, but only a folder this script
# made (it holds DIR/.pg_cluster): any other non-empty folder is refused.
#
# Binaries: /usr/lib/postgresql/15/bin (Debian's postgresql-15), or
# RUNJOURNAL_PG_BIN.
set -euo pipefail

bin=${RUNJOURNAL_PG_BIN:-/usr/lib/postgresql/15/bin}
marker=.pg_cluster

die() { echo "pg_cluster: $*" >&2; exit 1; }
usage() { sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
command=$1
dir=$2
shift 2
[ -n "$dir" ] || usage

fresh=0
port=""
mode=fast
while [ $# -gt 0 ]; do
  case $1 in
    --fresh) fresh=1 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift ;;
    --immediate) mode=immediate ;;
    *) usage ;;
  esac
  shift
done
if [ -n "$port" ] && ! [[ $port =~ ^[0-9]+$ && $port -ge 1024 && $port -le 65535 ]]; then
  die "--port wants a number from 1024 to 65535, not '$port'"
fi

[ -x "$bin/postgres" ] || die "no PostgreSQL server in $bin (install Debian's postgresql-15: tools/bootstrap.sh does)"

# The server's account, and how to run a command as it.
run_as=()
server_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  server_user=${RUNJOURNAL_PG_USER:-}
  if [ -z "$server_user" ]; then
    if id postgres >/dev/null 2>&1; then server_user=postgres; else server_user=nobody; fi
  fi
  id "$server_user" >/dev/null 2>&1 || die "no user '$server_user' to run the server as"
  [ "$(id -u "$server_user")" -ne 0 ] || die "the server may not run as root (RUNJOURNAL_PG_USER=$server_user)"
  run_as=(runuser -u "$server_user" --)
fi
# As the server's account, from inside DIR (a working directory it may not
# read makes initdb and pg_ctl complain).
as_server() { (cd "$dir" && "${run_as[@]}" "$@"); }

absolute() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$(pwd)" "$1" ;;
  esac
}
dir=$(absolute "$dir")
dir=${dir%/}
data=$dir/data

is_ours() { [ -f "$dir/$marker" ]; }

# Percent-encodes a path for a URI query value.
uri_encode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

stored_port() {
  [ -f "$dir/port" ] || die "$dir holds no cluster (no $dir/port): run 'start' first"
  cat "$dir/port"
}

uri() { printf 'postgresql:///runjournal?host=%s&port=%s&user=runjournal' "$(uri_encode "$dir")" "$(stored_port)"; }

# 0 when a server runs on DIR/data. pg_ctl status trusts a live pid in
# postmaster.pid; a pid reused by another program after a crash would fool
# it, so the process must also be a postgres whose working directory is the
# data directory (the postmaster chdirs there).
running() {
  [ -f "$data/postmaster.pid" ] || return 1
  local pid
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -d "/proc/$pid" ] || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$data" ] || return 1
  as_server "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# Removes what a killed server left behind: its pid file and socket lock.
clear_stale() {
  if [ -f "$data/postmaster.pid" ] && ! running; then
    echo "pg_cluster: removing the stale postmaster.pid of a server that is gone" >&2
    rm -f "$data/postmaster.pid"
  fi
  local lock
  for lock in "$dir"/.s.PGSQL.*.lock; do
    [ -e "$lock" ] || continue
    local pid
    pid=$(head -n 1 "$lock" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ ]] || ! [ -d "/proc/$pid" ] || ! running; then
      rm -f "$lock" "${lock%.lock}"
    fi
  done
}

stop_server() {
  running || return 0
  as_server "$bin/pg_ctl" stop -D "$data" -m "$1" -w -t 60 -s
}

destroy() {
  [ -e "$dir" ] || return 0
  if ! is_ours; then
    [ -z "$(ls -A "$dir")" ] || die "$dir is not a folder made by pg_cluster.sh (no $dir/$marker); not touching it"
  fi
  stop_server immediate
  rm -rf "$dir"
}

create() {
  mkdir -p "$dir"
  if ! is_ours; then
    [ -z "$(ls -A "$dir")" ] || die "$dir is neither empty nor a folder made by pg_cluster.sh; not touching it"
    touch "$dir/$marker"
  fi
  # The socket's path must fit in sun_path (108 bytes with its NUL).
  local socket="$dir/.s.PGSQL.65535"
  [ ${#socket} -le 107 ] || die "$dir is too long for a Unix socket path (${#socket} > 107 bytes): choose a shorter folder"
  chmod 0700 "$dir"
  if [ ${#run_as[@]} -gt 0 ]; then
    chown "$server_user:" "$dir"
    [ -z "$(ls -A "$dir/data" 2>/dev/null)" ] || chown -R "$server_user:" "$data"
    as_server test -w "$dir" 2>/dev/null ||
      die "$server_user cannot reach $dir (a parent folder is closed to it): choose a folder under /tmp"
  fi
  if [ -f "$data/PG_VERSION" ] && [ -f "$dir/port" ]; then
    return 0
  fi
  # A data directory without PG_VERSION is an initdb that was cut off.
  rm -rf "$data"
  [ -n "$port" ] || port=$((20000 + RANDOM % 40000))
  as_server "$bin/initdb" -D "$data" -U runjournal -A trust -E UTF8 --locale=C --no-sync --no-instructions \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  as_server tee -a "$data/postgresql.conf" >/dev/null <<EOF

# tools/pg_cluster.sh: a throwaway cluster for runjournal's tests.
# Only a Unix socket in the cluster's own folder: no TCP port to collide on.
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
# Durable commits, as a production server has them.
fsync = on
synchronous_commit = on
full_page_writes = on
# After a crash (stop --immediate), the server syncs the data directory
# before recovery; one syncfs(2) instead of an fsync per file, which on a
# slow disk took 4-5 s for a fresh cluster.
recovery_init_sync_method = syncfs
# Small: the machine is shared, and tests hold few connections.
shared_buffers = 64MB
max_connections = 100
logging_collector = off
log_min_messages = warning
EOF
  echo "$port" >"$dir/port"
}

start() {
  [ "$fresh" -eq 0 ] || destroy
  create
  if running; then
    echo "pg_cluster: the server in $dir is already running" >&2
  else
    clear_stale
    as_server "$bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 -s ||
      { tail -n 20 "$dir/server.log" >&2 || true; die "the server in $dir did not start"; }
  fi
  local p
  p=$(stored_port)
  local exists
  exists=$("$bin/psql" -X -q -A -t -h "$dir" -p "$p" -U runjournal -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = 'runjournal'")
  [ "$exists" = 1 ] || "$bin/createdb" -h "$dir" -p "$p" -U runjournal runjournal
  uri >"$dir/uri"
  cat "$dir/uri"
  echo
}

case $command in
  start) start ;;
  stop)
    [ -e "$dir" ] || die "no cluster in $dir"
    if running; then stop_server "$mode"; else echo "pg_cluster: the server in $dir is not running" >&2; fi ;;
  env)
    p=$(stored_port)
    printf "export PGHOST='%s' PGPORT='%s' PGUSER=runjournal PGDATABASE=runjournal\n" "$dir" "$p"
    printf "export RUNJOURNAL_PG_URI='%s'\n" "$(uri)" ;;
  uri) uri; echo ;;
  status) running ;;
  destroy) destroy ;;
  *) usage ;;
esac
