#!/usr/bin/env bash
# Skiff API server benchmarks: creates, full list, watch fan-out, startup, RSS.
# Usage: bench/run.sh            (RUNS=3 PORT=16443 N=10000 CLIENTS=32 SKIP_BUILD=1 to change)
# Each run starts a release `skiff server` on a fresh data dir under /var/tmp (ext4, so the
# store's fsyncs are real), drives it from 127.0.0.1 only, stops it by its pid and removes the
# dir. Prints a table of every run and the median. The load generators share the machine's
# cores with the server.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=${RUNS:-3}
PORT=${PORT:-16443}
N=${N:-10000}
CLIENTS=${CLIENTS:-32}
BIN=${BIN:-$ROOT/.build/release/skiff}  # a release binary from scripts/build-release

# --- what the bench needs (idempotent) ---
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
for tool in curl python3 flock; do command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

revision() {
  local dirty=""
  git -C "$ROOT" diff --quiet HEAD -- Sources Package.swift Package.resolved || dirty=" + uncommitted changes to Sources"
  echo "$(git -C "$ROOT" rev-parse --short HEAD)$dirty"
}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  flock /tmp/skiff-build.lock "$ROOT/scripts/build-release" >/dev/null
  BUILT="built from $(revision)"
else
  BUILT="not rebuilt (SKIP_BUILD=1); checkout now at $(revision)"
fi
[ -x "$BIN" ] || { echo "no release binary at $BIN" >&2; exit 1; }

# Hold the build lock while measuring, so that no build through it shares the 2 cores with the
# bench (BENCH_NO_LOCK=1 to skip). Released when this script exits.
if [ "${BENCH_NO_LOCK:-0}" != 1 ]; then
  exec 9>/tmp/skiff-build.lock
  echo "waiting for /tmp/skiff-build.lock ..." >&2
  flock 9
fi

WORK=$(mktemp -d -p /var/tmp skiff-bench.XXXXXX)
RESULTS=$WORK/results.jsonl
SERVER_PID=""

alive() { # running and not a zombie
  [ -r /proc/$1/stat ] && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do alive "$SERVER_PID" || break; sleep 0.1; done
  if alive "$SERVER_PID"; then echo "server $SERVER_PID ignored SIGTERM for 10 s; killing" >&2; kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { # run key value
  printf '{"run":%s,"key":"%s","value":%s}\n' "$1" "$2" "$3" >> "$RESULTS"
}
json() { # file-or-string key -> value
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
rss_mb() { awk -v k="${2:-VmRSS}:" '$1==k {printf "%.1f", $2/1024}' /proc/$1/status; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12+$13)/t}' /proc/$1/stat; }
start_server() { # dir -> sets SERVER_PID and READY_MS (not in a subshell: the pid must survive)
  local out
  out=$(python3 "$HERE/startup.py" --bin "$BIN" --data-dir "$1" --port "$PORT" --log "$1/server.log") || true
  SERVER_PID=$(json "$out" pid 2>/dev/null || true)
  if ! READY_MS=$(json "$out" ready_ms 2>/dev/null); then echo "start failed: $out" >&2; tail -20 "$1/server.log" >&2; exit 1; fi
}

for run in $(seq "$RUNS"); do
  D=$WORK/run$run
  mkdir -p "$D"
  echo "== run $run ($D), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

  # 4, 5: fresh start, idle RSS
  start_server "$D"; ms=$READY_MS; record $run ready_fresh_ms "$ms"
  sleep 2; record $run rss_idle_mb "$(rss_mb $SERVER_PID)"
  echo "   fresh start ${ms} ms, idle RSS $(rss_mb $SERVER_PID) MB" >&2

  TOKEN=$(cat "$D/admin.token")
  grep certificate-authority-data "$D/kubeconfig" | awk '{print $2}' | base64 -d > "$D/ca.crt"
  URL=https://127.0.0.1:$PORT
  CURL=(curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" -H "Accept: application/json")
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}' "$URL/api/v1/namespaces")
  [ "$code" = 201 ] || { echo "namespace create answered $code" >&2; exit 1; }

  # 1: creates
  cpu0=$(cpu_s $SERVER_PID)
  BENCH_TOKEN=$TOKEN BENCH_NS=bench BENCH_COUNT=$N \
    wrk -t1 -c"$CLIENTS" -d120s --timeout 10s -s "$HERE/create.lua" "$URL" > "$D/wrk.out" 2>&1 || true
  cpu1=$(cpu_s $SERVER_PID)
  timing=$(sed -n 's/^CREATE_TIMING //p' "$D/wrk.out"); result=$(sed -n 's/^WRK_RESULT //p' "$D/wrk.out")
  if [ -z "$timing" ] || [ -z "$result" ]; then echo "wrk did not finish:" >&2; cat "$D/wrk.out" >&2; exit 1; fi
  errs=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); print(t["non201"]+sum(v for k,v in r.items() if k.startswith("errors_")))' "$result" "$timing")
  [ "$errs" = 0 ] || { echo "create errors:" >&2; cat "$D/wrk.out" >&2; exit 1; }
  record $run create_rate "$(json "$timing" rate)"
  record $run create_p50_ms "$(json "$result" p50_ms)"
  record $run create_p99_ms "$(json "$result" p99_ms)"
  record $run create_server_cpu_s "$(python3 -c "print(round($cpu1-$cpu0,2))")"
  echo "   creates: $timing" >&2
  echo "   latency: $result" >&2
  record $run rss_after_creates_mb "$(rss_mb $SERVER_PID)"

  # 2: full list (one untimed warm-up, then 5 timed; the median of the 5 is this run's figure)
  "${CURL[@]}" -o "$D/list.json" "$URL/api/v1/namespaces/bench/configmaps"
  items=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$D/list.json")
  [ "$items" -ge "$N" ] || { echo "list has $items items, expected >= $N" >&2; exit 1; }
  : > "$D/list.times"
  for _ in 1 2 3 4 5; do
    "${CURL[@]}" -o /dev/null -w '%{http_code} %{time_pretransfer} %{time_total} %{size_download}\n' \
      "$URL/api/v1/namespaces/bench/configmaps" >> "$D/list.times"
  done
  read -r list_ms resp_ms mb < <(python3 - "$D/list.times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
assert all(r[0] == "200" for r in rows), rows
print(round(statistics.median(float(r[2]) for r in rows) * 1000, 1),
      round(statistics.median(float(r[2]) - float(r[1]) for r in rows) * 1000, 1),
      round(int(rows[0][3]) / 1e6, 2))
PY
)
  record $run list_ms "$list_ms"; record $run list_response_ms "$resp_ms"; record $run list_mb "$mb"
  echo "   list of $items items (${mb} MB): ${list_ms} ms total, ${resp_ms} ms after TLS setup" >&2
  sleep 2
  record $run rss_loaded_mb "$(rss_mb $SERVER_PID)"; record $run hwm_loaded_mb "$(rss_mb $SERVER_PID VmHWM)"

  # 4, 5: restart with the objects
  stop_server
  start_server "$D"; ms=$READY_MS; record $run ready_10k_ms "$ms"
  sleep 2; record $run rss_10k_restart_mb "$(rss_mb $SERVER_PID)"
  echo "   restart with $items ConfigMaps: ${ms} ms, idle RSS $(rss_mb $SERVER_PID) MB" >&2

  # 3: watch fan-out
  out=$(python3 "$HERE/watch.py" --data-dir "$D" --watchers 100 --creates 1000 --server-pid "$SERVER_PID") \
    || { echo "watch bench failed: $out" >&2; exit 1; }
  echo "   watch: $out" >&2
  record $run watch_all_ms "$(json "$out" all_watchers_done_ms)"
  record $run watch_events_per_s "$(json "$out" events_per_s)"
  record $run watch_creates_ms "$(json "$out" creates_done_ms)"
  record $run watch_server_cpu_s "$(json "$out" server_cpu_s)"
  record $run watch_client_cpu_s "$(json "$out" client_cpu_s)"
  sleep 2; record $run rss_after_watch_mb "$(rss_mb $SERVER_PID)"

  stop_server
  rm -rf "$D"
done

echo
echo "Skiff binary of $(date -r "$BIN" '+%F %T'), $BUILT; $(nproc) cores; load generators (wrk, curl, Python) share the cores with the server."
python3 "$HERE/summary.py" "$RESULTS" || echo "(at least one target missed)"
