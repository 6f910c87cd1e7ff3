#!/usr/bin/env bash
# A standalone Flink session cluster on this machine: one JobManager and one TaskManager process,
# each its own JVM, on the lib/ directory that `tools/build-jvm.sh` assembles from Maven Central
# into examples/flink-sql-wine/target/lib (Flink's distribution itself is not on Maven Central).
#   examples/flink-sql-wine/cluster.sh start DIR    writes DIR/conf/config.yaml (free ports), starts
#                                                   both, waits until the TaskManager has registered
#   examples/flink-sql-wine/cluster.sh sql DIR FILE runs the SQL script FILE with Flink's SQL client
#                                                   (embedded gateway) against that cluster
#   examples/flink-sql-wine/cluster.sh stop DIR     stops both
# DIR/conf is then the FLINK_CONF_DIR for clients (run.sh uses it); logs are DIR/*.log.
# FLINK_LIB overrides the lib/ directory (the SQL client also loads the opt/ beside it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${FLINK_LIB:-$here/target/lib}"
cmd="${1:-}"; dir="${2:-}"
usage() { echo "usage: $(basename "$0") start DIR | sql DIR FILE | stop DIR" >&2; exit 1; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage

# What Flink's launch scripts pass to every Flink JVM on Java 17.
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true"

stop() {
  local pid
  for role in taskmanager jobmanager; do
    [ -f "$dir/$role.pid" ] || continue
    pid=$(cat "$dir/$role.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$role.pid"
  done
}

case "$cmd" in
  stop) stop; exit 0 ;;
  sql)
    [ -n "${3:-}" ] || usage
    # shellcheck disable=SC2086  # $opens is a list of options
    FLINK_CONF_DIR="$dir/conf" exec java $opens -cp "$lib/*:$lib/../opt/*" org.apache.flink.table.client.SqlClient -f "$3" ;;
  start) ;;
  *) usage ;;
esac

[ -d "$lib" ] && ls "$lib"/flink-runtime-*.jar >/dev/null 2>&1 \
  || { echo "cluster.sh: no Flink lib/ at $lib: run tools/build-jvm.sh first" >&2; exit 1; }
mkdir -p "$dir/conf" "$dir/tmp"
read -r rpc_port rest_port blob_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
cat > "$dir/conf/config.yaml" <<EOF
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: localhost
jobmanager.memory.process.size: 1024m
rest.address: localhost
rest.bind-address: localhost
rest.port: $rest_port
blob.server.port: $blob_port
taskmanager.host: localhost
taskmanager.bind-host: localhost
taskmanager.numberOfTaskSlots: 2
taskmanager.cpu.cores: 2
taskmanager.memory.framework.heap.size: 128m
taskmanager.memory.task.heap.size: 512m
taskmanager.memory.framework.off-heap.size: 128m
taskmanager.memory.task.off-heap.size: 0m
taskmanager.memory.network.min: 64m
taskmanager.memory.network.max: 64m
taskmanager.memory.managed.size: 64m
taskmanager.memory.jvm-metaspace.size: 256m
taskmanager.memory.jvm-overhead.min: 192m
taskmanager.memory.jvm-overhead.max: 192m
parallelism.default: 1
io.tmp.dirs: $dir/tmp
execution.target: remote
EOF

# shellcheck disable=SC2086  # $opens is a list of options
java -Xmx512m $opens -cp "$lib/*" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
  --configDir "$dir/conf" > "$dir/jobmanager.log" 2>&1 &
echo $! > "$dir/jobmanager.pid"
# shellcheck disable=SC2086
java -Xmx640m -XX:MaxDirectMemorySize=256m $opens -cp "$lib/*" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
  --configDir "$dir/conf" > "$dir/taskmanager.log" 2>&1 &
echo $! > "$dir/taskmanager.pid"

# Ready when the JobManager's REST endpoint lists the TaskManager.
for _ in $(seq 1 240); do
  if curl -sf "http://localhost:$rest_port/taskmanagers" 2>/dev/null | grep -q '"id"'; then
    echo "cluster.sh: a JobManager and a TaskManager at http://localhost:$rest_port (FLINK_CONF_DIR=$dir/conf)"
    exit 0
  fi
  for role in jobmanager taskmanager; do
    kill -0 "$(cat "$dir/$role.pid")" 2>/dev/null && continue
    echo "cluster.sh: the $role exited; the end of $dir/$role.log:" >&2
    tail -30 "$dir/$role.log" >&2
    stop; exit 1
  done
  sleep 0.5
done
echo "cluster.sh: no TaskManager registered within 120 s; the ends of the logs:" >&2
tail -20 "$dir/jobmanager.log" "$dir/taskmanager.log" >&2
stop; exit 1
