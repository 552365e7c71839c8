#!/usr/bin/env bash
# MariaDB from Debian for the Tracker tests and bench: one primary and two GTID replicas on free loopback
# ports, data in the given directory. Two replicas so a test can promote one mid-snapshot and watch the
# snapshot move to the other.
#
# Users (created on the primary; replication copies them to the replicas):
#   tributary_admin  ALL ON *.* -- the test harness only (flips read_only to fake a promotion).
#   tributary_app    ALL ON `tributary\_%`.* -- writes test data on the primary. Database-level grants
#                    carry no READ ONLY ADMIN, so this user cannot write on a read_only replica
#                    (GRANT ALL ON *.* would: it includes READ ONLY ADMIN).
#   tributary_snap   the snapshotter: SELECT, SHOW VIEW ON *.* (read-only privileges), plus
#                    REPLICATION SLAVE ADMIN (STOP/START SLAVE SQL_THREAD), SLAVE MONITOR (SHOW SLAVE
#                    STATUS) and BINLOG MONITOR (SHOW MASTER STATUS). No RELOAD: Tracker never takes
#                    FLUSH TABLES WITH READ LOCK; pausing the SQL thread is what freezes the replica.
#   tributary_repl   REPLICATION SLAVE, for the replicas' IO threads.
# The primary has the general log on (log_output=TABLE, mysql.general_log) so a test can prove that no
# snapshot query ever ran there.
set -euo pipefail
action=$1 dir=$2
PASSWORD=${TRIBUTARY_MYSQL_TEST_PASSWORD:-tributary-test-pw}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_server() { # name server-id port extra-args...
  local name=$1 id=$2 port=$3
  shift 3
  local user_arg=()
  [ "$(id -u)" -eq 0 ] && user_arg=(--user=root)
  mariadbd --no-defaults "${user_arg[@]}" --log-basename="$name" --datadir="$dir/$name/data" --socket="$dir/$name/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/$name/mysqld.pid" --log-error="$dir/$name/error.log" \
    --server-id="$id" --log-bin="$dir/$name/binlog" --binlog-format=ROW --log-slave-updates \
    --gtid-strict-mode=1 --skip-name-resolve --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --sync-binlog=0 --innodb-doublewrite=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --max-connections=300 --max-allowed-packet=256M --plugin-load-add=sequence "$@" >/dev/null 2>&1 &
  echo $! > "$dir/$name/launcher.pid"
}

wait_ready() { # name
  local _
  for _ in $(seq 1 300); do
    mariadb --no-defaults --socket="$dir/$1/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "mariadb $1 did not start; see $dir/$1/error.log" >&2
  tail -20 "$dir/$1/error.log" >&2 || true
  return 1
}

sql() { # name statements
  mariadb --no-defaults --socket="$dir/$1/mysqld.sock" -uroot -e "$2"
}

case "$action" in
  start)
    mkdir -p "$dir/template"
    user_arg=()
    [ "$(id -u)" -eq 0 ] && user_arg=(--user=root)
    # One install, copied three times: mariadb-install-db is the slow part of starting.
    mariadb-install-db --no-defaults "${user_arg[@]}" --datadir="$dir/template" --auth-root-authentication-method=socket \
      --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
    primary_port=$(free_port) replica1_port=$(free_port) replica2_port=$(free_port)
    for name in primary replica1 replica2; do
      mkdir -p "$dir/$name"
      cp -a "$dir/template" "$dir/$name/data"
    done
    start_server primary 1 "$primary_port" --general-log=1 --log-output=TABLE
    start_server replica1 2 "$replica1_port" --read-only=1
    start_server replica2 3 "$replica2_port" --read-only=1
    wait_ready primary
    sql primary "
      CREATE USER 'tributary_admin'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
      GRANT ALL ON *.* TO 'tributary_admin'@'127.0.0.1' WITH GRANT OPTION;
      CREATE USER 'tributary_app'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
      GRANT ALL ON \`tributary\\_%\`.* TO 'tributary_app'@'127.0.0.1';
      CREATE USER 'tributary_snap'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
      GRANT SELECT, SHOW VIEW, REPLICATION SLAVE ADMIN, SLAVE MONITOR, BINLOG MONITOR ON *.* TO 'tributary_snap'@'127.0.0.1';
      CREATE USER 'tributary_repl'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
      GRANT REPLICATION SLAVE ON *.* TO 'tributary_repl'@'127.0.0.1';"
    for name in replica1 replica2; do
      wait_ready "$name"
      sql "$name" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$primary_port, MASTER_USER='tributary_repl',
        MASTER_PASSWORD='$PASSWORD', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
    done
    # Ready when both replicas applied the user set-up.
    target=$(mariadb --no-defaults --socket="$dir/primary/mysqld.sock" -uroot -N -e 'SELECT @@gtid_binlog_pos')
    for name in replica1 replica2; do
      for _ in $(seq 1 200); do
        [ "$(mariadb --no-defaults --socket="$dir/$name/mysqld.sock" -uroot -N -e 'SELECT @@gtid_slave_pos')" = "$target" ] && break
        sleep 0.05
      done
    done
    echo "TRIBUTARY_MYSQL_PRIMARY=127.0.0.1:$primary_port"
    echo "TRIBUTARY_MYSQL_REPLICA=127.0.0.1:$replica1_port"
    echo "TRIBUTARY_MYSQL_REPLICA2=127.0.0.1:$replica2_port"
    echo "TRIBUTARY_MYSQL_USER=tributary_snap"
    echo "TRIBUTARY_MYSQL_PASSWORD=$PASSWORD"
    echo "TRIBUTARY_MYSQL_APP_USER=tributary_app"
    echo "TRIBUTARY_MYSQL_ADMIN_USER=tributary_admin"
    ;;
  stop)
    for name in primary replica1 replica2; do
      if [ -f "$dir/$name/launcher.pid" ]; then
        pid=$(cat "$dir/$name/launcher.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    done
    ;;
esac
