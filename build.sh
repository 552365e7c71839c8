#!/usr/bin/env bash
# Tributary's one entry point on a fresh Debian machine with the .NET SDK, node/npm and apt.
#
#   ./build.sh demo [ARGS...]     install what is missing, build, run the embedded demo (tributary demo ARGS)
#   ./build.sh test [ARGS...]     install, build, start Redis/MariaDB/s3rver on 127.0.0.1, run every test project
#   ./build.sh bench [SCENARIO]   install, start services, run `tributary bench SCENARIO` in Release (all when none)
#   ./build.sh deps               only install (apt packages, npm tools into .tools/, NuGet restore)
#   ./build.sh services           start the services and print their environment; Ctrl-C stops them
#   ./build.sh cluster [N]        start Redis, s3rver, MariaDB, a dev broker and N silo processes (default 3) in the
#                                 cluster profile on 127.0.0.1; print their URLs; Ctrl-C stops them all
#
# Everything is idempotent: a second run installs nothing and reuses the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
TOOLS="$ROOT/.tools"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests, the demo and the benchmarks use (CRoaring comes inside the Roaring.Net NuGet package).
APT_PACKAGES=(redis-server mariadb-server mariadb-client kcat mydumper)
# npm tools, installed into .tools/ (never globally): s3rver for the S3 tests, Plywood (Turnilo's Druid client) for the client test,
# DB-IP's IP to Country Lite database (CSV, CC BY 4.0) for the geo enricher.
NPM_PACKAGES=(s3rver@3.7.1 plywood@0.33.3 plywood-druid-requester@3.0.2 @ip-location-db/dbip-country@2.3.2026060120)

log() { printf '\033[1;34m[build]\033[0m %s\n' "$*" >&2; }

deps_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # policy-rc.d keeps the packages' own services from starting: the build starts what it needs itself.
  local added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ -n "$added_policy" ] && $sudo rm -f /usr/sbin/policy-rc.d
  return $rc
}

deps_npm() {
  local stamp="$TOOLS/.npm-installed" want="${NPM_PACKAGES[*]}"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$TOOLS/node_modules/s3rver" ]; then return 0; fi
  log "installing npm tools into .tools/: $want"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"name":"tributary-tools","private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error "${NPM_PACKAGES[@]}" >/dev/null)
  echo "$want" > "$stamp"
}

deps() {
  deps_apt
  deps_npm
  log "restoring NuGet packages"
  dotnet restore Grains.sln --verbosity quiet
}

http_ok() {
  node -e "require('http').get(process.argv[1],r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))" "$1"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Services: each .ci/services/NAME.sh takes `start DIR` (prints KEY=VALUE lines to export) and `stop DIR`.
SERVICES_DIR=""
services_start() {
  SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tributary-services.XXXXXX")
  trap services_stop EXIT
  local script name line
  for script in "$ROOT"/.ci/services/*.sh; do
    name=$(basename "$script" .sh)
    mkdir -p "$SERVICES_DIR/$name"
    log "starting $name"
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      export "${line?}"
      log "  $line"
    done < <(TOOLS="$TOOLS" bash "$script" start "$SERVICES_DIR/$name")
  done
}

services_stop() {
  [ -n "$SERVICES_DIR" ] && [ -d "$SERVICES_DIR" ] || return 0
  local script name
  for script in "$ROOT"/.ci/services/*.sh; do
    name=$(basename "$script" .sh)
    TOOLS="$TOOLS" bash "$script" stop "$SERVICES_DIR/$name" || true
  done
  # A service may still be writing its last log lines as it exits: retry, and never fail the run over a temp dir.
  local _
  for _ in 1 2 3 4 5; do
    rm -rf "$SERVICES_DIR" 2>/dev/null && break
    sleep 0.5
  done
  [ -d "$SERVICES_DIR" ] && log "could not remove $SERVICES_DIR (left for the OS to clean)"
  SERVICES_DIR=""
  return 0
}

cmd_test() {
  deps
  log "building (Debug)"
  dotnet build Grains.sln --no-restore -c Debug --verbosity quiet -nologo
  services_start
  log "running tests"
  local out rc=0
  out=$(mktemp)
  # Test projects run in parallel (two at a time on two cores); a failing one does not stop the others.
  # Category=Quarantined marks a test with a known setup race under investigation (see the closing notes); it is
  # excluded here so CI stays meaningful, and runs with: dotnet test --project ... -- --filter-trait Category=Quarantined
  dotnet test --solution Grains.sln --no-build -c Debug --max-parallel-test-modules 2 "$@" -- --filter-not-trait Category=Quarantined 2>&1 | tee "$out" || rc=$?
  local total failed succeeded skipped
  total=$(grep -E '^\s+total:' "$out" | tail -1 | awk '{print $2}')
  failed=$(grep -E '^\s+failed:' "$out" | tail -1 | awk '{print $2}')
  succeeded=$(grep -E '^\s+succeeded:' "$out" | tail -1 | awk '{print $2}')
  skipped=$(grep -E '^\s+skipped:' "$out" | tail -1 | awk '{print $2}')
  rm -f "$out"
  [ -n "$total" ] && echo "tests: ${succeeded:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
  return $rc
}

cmd_demo() {
  deps
  log "building (Release)"
  dotnet build src/Tributary.Cli --no-restore -c Release --verbosity quiet -nologo
  dotnet src/Tributary.Cli/bin/Release/net10.0/tributary.dll demo "$@"
}

cmd_bench() {
  deps
  log "building (Release)"
  dotnet build src/Tributary.Cli --no-restore -c Release --verbosity quiet -nologo
  services_start
  dotnet src/Tributary.Cli/bin/Release/net10.0/tributary.dll bench "${@:-all}"
}

# The operator's local rehearsal of production: every sink of the cluster profile on N silo processes sharing Redis
# (membership, grain state, reminders), s3rver (segments, archive, Tracker) and a standalone dev broker.
CLUSTER_PIDS=()
cluster_stop() {
  # Silos first (SIGTERM: each hands its queues over and flushes), then the dev broker (CLUSTER_PIDS[0]), the services last.
  local pid
  stop_pids() {
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
      for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done
  }
  [ ${#CLUSTER_PIDS[@]} -gt 1 ] && stop_pids "${CLUSTER_PIDS[@]:1}"
  [ ${#CLUSTER_PIDS[@]} -gt 0 ] && stop_pids "${CLUSTER_PIDS[0]}"
  CLUSTER_PIDS=()
  services_stop
}

cmd_cluster() {
  local n=${1:-3}
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || { log "cluster N: N must be a number of silos between 1 and 99 (was '$n')"; exit 2; }
  deps
  log "building (Release)"
  dotnet build src/Tributary.Silo --no-restore -c Release --verbosity quiet -nologo
  dotnet build src/Tributary.Cli --no-restore -c Release --verbosity quiet -nologo
  services_start
  trap 'cluster_stop; exit 0' INT TERM
  trap cluster_stop EXIT
  local dir=$SERVICES_DIR/cluster
  mkdir -p "$dir"
  local cli="$ROOT/src/Tributary.Cli/bin/Release/net10.0/tributary.dll"
  local silo="$ROOT/src/Tributary.Silo/bin/Release/net10.0/Tributary.Silo.dll"
  log "starting the dev broker (3 brokers)"
  dotnet "$cli" dev-broker --brokers 3 --topic pin_engagement:16 --topic pin_engagement.deadletter:1 \
    --topic _tributary.archive.files:1 >"$dir/broker.out" 2>"$dir/broker.log" &
  CLUSTER_PIDS+=($!)
  local bootstrap=""
  for _ in $(seq 1 300); do bootstrap=$(head -1 "$dir/broker.out" 2>/dev/null || true); [ -n "$bootstrap" ] && break; sleep 0.1; done
  [ -n "$bootstrap" ] || { log "the dev broker did not start: $(cat "$dir/broker.log")"; exit 1; }
  # Settings of the cluster profile that name this machine's services (an operator gives the same keys for production).
  export TRIBUTARY_PROFILE=cluster
  export Tributary__RedisConnectionString="$TRIBUTARY_REDIS"
  export Tributary__Kafka__BootstrapServers="$bootstrap"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  local store
  for store in Segments Archive Tracker; do
    export "Tributary__${store}__Store__S3__ServiceUrl=$TRIBUTARY_S3_ENDPOINT"
    export "Tributary__${store}__Store__S3__ForcePathStyle=true"
    export "Tributary__${store}__Store__S3__DisableChunkEncoding=true"
    export "Tributary__${store}__Store__S3__CreateBucketIfMissing=true"
  done
  export Tributary__SqlSink__Enabled=true Tributary__Streams__sql__Enabled=true
  export Tributary__SqlSink__ConnectionString="Server=${TRIBUTARY_MYSQL_PRIMARY%:*};Port=${TRIBUTARY_MYSQL_PRIMARY#*:};User ID=$TRIBUTARY_MYSQL_APP_USER;Password=$TRIBUTARY_MYSQL_PASSWORD;Database=tributary_analytics;AllowLoadLocalInfile=true"
  mariadb --no-defaults -h"${TRIBUTARY_MYSQL_PRIMARY%:*}" -P"${TRIBUTARY_MYSQL_PRIMARY#*:}" -u"$TRIBUTARY_MYSQL_ADMIN_USER" \
    -p"$TRIBUTARY_MYSQL_PASSWORD" -e 'CREATE DATABASE IF NOT EXISTS tributary_analytics'
  export Tributary__Tracker__Enabled=true
  local i silo_port gateway_port http_port urls=()
  for i in $(seq 1 "$n"); do
    silo_port=$(free_port); gateway_port=$(free_port); http_port=$(free_port)
    log "starting silo $i (silo port $silo_port, gateway $gateway_port, http $http_port); log: $dir/silo-$i.log"
    dotnet "$silo" --Tributary:SiloPort="$silo_port" --Tributary:GatewayPort="$gateway_port" \
      --Tributary:HttpUrls="http://127.0.0.1:$http_port" --Tributary:Kafka:Settings:fetch.wait.max.ms=10 >"$dir/silo-$i.log" 2>&1 &
    CLUSTER_PIDS+=($!)
    urls+=("$http_port")
    # Silos join one at a time: the first creates the membership table, each next one finds the others.
    for _ in $(seq 1 600); do
      http_ok "http://127.0.0.1:$http_port/status/health" && break
      kill -0 "${CLUSTER_PIDS[-1]}" 2>/dev/null || { log "silo $i exited: $(tail -5 "$dir/silo-$i.log")"; exit 1; }
      sleep 0.2
    done
  done
  log "cluster of $n silos is up; Ctrl-C stops everything"
  for i in $(seq 1 "$n"); do
    echo "silo $i: dashboard http://127.0.0.1:${urls[$((i-1))]}/dashboard  query http://127.0.0.1:${urls[$((i-1))]}/druid/v2  metrics http://127.0.0.1:${urls[$((i-1))]}/metrics"
  done
  echo "kafka bootstrap servers: $bootstrap"
  echo "feed it:   dotnet $cli generate --count 100000 --to-kafka $bootstrap"
  echo "ask it:    mariadb -h${TRIBUTARY_MYSQL_PRIMARY%:*} -P${TRIBUTARY_MYSQL_PRIMARY#*:} -u$TRIBUTARY_MYSQL_APP_USER -p$TRIBUTARY_MYSQL_PASSWORD tributary_analytics"
  echo "s3 (s3rver, key S3RVER/S3RVER): $TRIBUTARY_S3_ENDPOINT   redis: $TRIBUTARY_REDIS"
  wait "${CLUSTER_PIDS[@]}" || true
}

cmd_services() {
  deps_apt
  deps_npm
  services_start
  log "services are up; Ctrl-C stops them"
  while true; do sleep 3600; done
}

case "${1:-}" in
  deps) deps ;;
  test) shift; cmd_test "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  services) cmd_services ;;
  cluster) shift; cmd_cluster "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
