#!/usr/bin/env bash
# `make cluster`: three release nodes on 127.0.0.1:3001-3003, sharing the machine's Redis and
# a Postgres database `natter_cluster`, behind nginx on 127.0.0.1:3000 (sticky by client
# address; deploy/cluster/nginx.conf.in). `make cluster-down` stops them. Logs and pids go to
# target/cluster/.
#
#   scripts/cluster.sh up|down
#
# REDIS_URL and DATABASE_URL override the services; NODES (default 3) the number of nodes.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=$PWD/target/cluster
NODES=${NODES:-3}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432}
DATABASE_URL=${DATABASE_URL:-$PG_ADMIN/natter_cluster}

say() { printf '\033[1;34m[cluster]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[cluster] %s\033[0m\n' "$*" >&2; exit 1; }

down() {
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      say "stopping $(basename "$pidfile" .pid) ($pid)"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

wait_for() { # port what
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$2 did not start on port $1 (see $DIR/)"
}

up() {
  [ -x /usr/sbin/nginx ] || die "nginx is missing: scripts/setup.sh test installs it"
  [ -x target/release/natter ] || die "no release build: run make build"
  redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || die "Redis does not answer at $REDIS_URL"
  psql "$PG_ADMIN/postgres" -qtc "SELECT 1" >/dev/null 2>&1 || die "Postgres does not answer at $PG_ADMIN"
  db=${DATABASE_URL##*/}
  if ! psql "$PG_ADMIN/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    say "creating the database $db"
    psql "$PG_ADMIN/postgres" -qc "CREATE DATABASE $db"
  fi
  down
  mkdir -p "$DIR"
  servers=""
  for n in $(seq "$NODES"); do
    port=$((3000 + n))
    servers+="server 127.0.0.1:$port max_fails=1 fail_timeout=5s; "
    say "node $n on 127.0.0.1:$port"
    mkdir -p "$DIR/node$n"
    NATTER_ADDR=127.0.0.1:$port NATTER_DATA_DIR=$DIR/node$n REDIS_URL=$REDIS_URL \
      DATABASE_URL=$DATABASE_URL NATTER_TRUSTED_PROXIES=127.0.0.1/32 \
      NATTER_PUBLIC_URL=http://127.0.0.1:3000 \
      nohup target/release/natter >"$DIR/node$n.log" 2>&1 &
    echo $! >"$DIR/node$n.pid"
    # One at a time: the first migrates the database.
    wait_for "$port" "node $n"
  done
  user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  sed -e "s|@DIR@|$DIR|g" -e "s|@LISTEN@|127.0.0.1:3000|" \
    -e 's|@BALANCE@|hash $remote_addr consistent;|' -e "s|@SERVERS@|$servers|" \
    -e "s|@USER@|$user|" deploy/cluster/nginx.conf.in >"$DIR/nginx.conf"
  nohup /usr/sbin/nginx -c "$DIR/nginx.conf" -p "$DIR" >"$DIR/nginx.log" 2>&1 &
  echo $! >"$DIR/nginx.pid"
  wait_for 3000 nginx
  say "up: http://127.0.0.1:3000 (nodes' /readyz:$(for n in $(seq "$NODES"); do
    printf ' %s' "$(curl -s "http://127.0.0.1:$((3000 + n))/readyz")"; done))"
}

case "${1:-}" in
  up) up ;;
  down) down; say "down" ;;
  *) die "usage: scripts/cluster.sh up|down" ;;
esac
