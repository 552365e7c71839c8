#!/usr/bin/env bash
# Redis from Debian on a free loopback port, data in the given directory. Persistence is the append-only file
# (AOF, fsync every second), as production must run it: the silos keep checkpoints, membership and reminders
# here, so a Redis restart on the same directory must find them. Starting again on the same directory reloads it,
# on the same port.
set -euo pipefail
action=$1 dir=$2
case "$action" in
  start)
    # A restart on the same directory keeps its port too, so clients configured with it reconnect.
    if [ -f "$dir/port" ]; then
      port=$(cat "$dir/port")
    else
      port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
      echo "$port" > "$dir/port"
    fi
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec --dir "$dir" \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$port" ping >/dev/null
    echo "TRIBUTARY_REDIS=127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      # Wait for it to exit, so nothing writes into the directory while the caller removes it.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
esac
