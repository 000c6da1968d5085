#!/usr/bin/env bash
# Starts any of this machine's services the tests need that is down (as root), with the
# commands of the machine's SERVICES.md, and waits until each accepts connections.
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    up "$port" && return 0
    sleep 0.5
  done
  echo "ensure-services: $name did not come up on port $port" >&2
  return 1
}

start() {
  local name=$1 port=$2
  shift 2
  if up "$port"; then return 0; fi
  echo "ensure-services: starting $name"
  "$@" >/dev/null 2>&1 || true
  wait_for "$name" "$port"
}

status=0
start postgresql 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start' || status=1
start redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log || status=1
start nats 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
  -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || status=1
# The cluster tests (e2e/cluster) put HAProxy from Debian in front of their nodes.
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "ensure-services: installing haproxy"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; } >/dev/null || status=1
fi
exit $status
