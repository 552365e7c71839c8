#!/usr/bin/env bash
# s3rver (npm, installed in .tools/) on a free loopback port: an S3-compatible server for the tests.
# NODE_OPTIONS=--openssl-legacy-provider: without it s3rver's paged listings fail on current Node.
set -euo pipefail
action=$1 dir=$2
case "$action" in
  start)
    script="$TOOLS/node_modules/s3rver/bin/s3rver.js"
    [ -f "$script" ] || { echo "s3rver is not installed at $script: run ./build.sh deps (it installs s3rver into .tools/)" >&2; exit 1; }
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    mkdir -p "$dir/data"
    NODE_OPTIONS=--openssl-legacy-provider nohup node "$script" \
      --directory "$dir/data" --address 127.0.0.1 --port "$port" --silent >"$dir/s3rver.log" 2>&1 &
    echo $! > "$dir/s3rver.pid"
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    echo "TRIBUTARY_S3_ENDPOINT=http://127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$dir/s3rver.pid" ]; then
      pid=$(cat "$dir/s3rver.pid")
      kill "$pid" 2>/dev/null || true
      # Wait for it to exit, so nothing writes into the directory while the caller removes it.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
esac
