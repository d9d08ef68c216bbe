#!/usr/bin/env bash
# The gateway benchmark: builds release, starts the four subgraphs and the gateway, checks
# both operations' responses against the data, warms up, loads with wrk and prints the
# figures (and, with --record, appends them to docs/BENCHMARKS.md). The large operation runs
# twice: with inbound deduplication off (the default) and, on a restarted gateway, on.
#
#   bench/run.sh [--duration SECS] [--warmup SECS] [--connections N] [--no-build] [--record]
#
# Gateway on core 0, subgraphs and wrk on core 1 (taskset). Needs wrk (apt-get install wrk)
# and python3 (to JSON-encode the operations).
set -euo pipefail

DURATION=30
WARMUP=10
CONNECTIONS=50
BUILD=1
RECORD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --record) RECORD=1; shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release}"
WORK="$(mktemp -d)"
GATEWAY_PORT=4200
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT/graphql"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -p router --bin gateway && cargo build --release -p bench --bins)
fi

wait_for() { # url
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "nothing answers at $1" >&2; exit 1
}

taskset -c 1 "$BIN/bench-subgraphs" 2>"$WORK/subgraphs.log" & PIDS+=($!)
for port in 4201 4202 4203 4204; do wait_for "http://127.0.0.1:$port/count"; done
start_gateway() { # extra gateway flags; sets GATEWAY_PID
  RUST_LOG=warn taskset -c 0 "$BIN/gateway" --supergraph "$ROOT/bench/supergraph.graphql" \
    --listen "127.0.0.1:$GATEWAY_PORT" "$@" 2>>"$WORK/gateway.log" & GATEWAY_PID=$!; PIDS+=($GATEWAY_PID)
  wait_for "http://127.0.0.1:$GATEWAY_PORT/health"
}
start_gateway

"$BIN/bench-check" --gateway "$GATEWAY_URL"

for op in large small; do
  python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' \
    "$ROOT/bench/operations/$op.graphql" > "$WORK/$op.json"
done

subgraph_requests() {
  local total=0
  for port in 4201 4202 4203 4204; do
    total=$((total + $(curl -s "http://127.0.0.1:$port/count")))
  done
  echo "$total"
}

cpu_ticks() { # pid -> user+system clock ticks so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

load() { # name url body seconds -> RESULT line
  BENCH_BODY="$3" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${4}s" --timeout 5s \
    -s "$ROOT/bench/wrk/post.lua" "$2" | grep '^RESULT' | sed "s/^RESULT/$1/"
}

echo "warm-up ${WARMUP}s"
load warmup "$GATEWAY_URL" "$WORK/large.json" "$WARMUP" >/dev/null
before=$(subgraph_requests)
ticks=$(cpu_ticks "$GATEWAY_PID")
large=$(load large "$GATEWAY_URL" "$WORK/large.json" "$DURATION")
ticks=$(( $(cpu_ticks "$GATEWAY_PID") - ticks ))
after=$(subgraph_requests)
connections=$(ss -Htn state established '( dport >= :4201 and dport <= :4204 )' | wc -l)
small=$(load small "$GATEWAY_URL" "$WORK/small.json" "$DURATION")
baseline=$(load baseline-products "http://127.0.0.1:4202/" "$WORK/small.json" "$DURATION")
# Responses after load must still be correct and free of errors.
"$BIN/bench-check" --gateway "$GATEWAY_URL" >/dev/null
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$GATEWAY_PID/status")
large_response=$("$BIN/bench-check" --gateway "$GATEWAY_URL" | awk '/large/ {print $3}')

# The same large run with inbound deduplication on: a fresh gateway, its own warm-up.
kill "$GATEWAY_PID" 2>/dev/null || true; wait "$GATEWAY_PID" 2>/dev/null || true
start_gateway --inbound-dedup
"$BIN/bench-check" --gateway "$GATEWAY_URL" >/dev/null
load warmup "$GATEWAY_URL" "$WORK/large.json" "$WARMUP" >/dev/null
before_dedup=$(subgraph_requests)
ticks_dedup=$(cpu_ticks "$GATEWAY_PID")
large_dedup=$(load large-dedup "$GATEWAY_URL" "$WORK/large.json" "$DURATION")
ticks_dedup=$(( $(cpu_ticks "$GATEWAY_PID") - ticks_dedup ))
after_dedup=$(subgraph_requests)
"$BIN/bench-check" --gateway "$GATEWAY_URL" >/dev/null
rss_dedup_kb=$(awk '/VmHWM/ {print $2}' "/proc/$GATEWAY_PID/status")

field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
large_requests=$(field "$large" requests)
per_request=$(python3 -c "print(f'{($after - $before) / max($large_requests, 1):.2f}')")
per_request_dedup=$(python3 -c "print(f'{($after_dedup - $before_dedup) / max($(field "$large_dedup" requests), 1):.2f}')")
hz=$(getconf CLK_TCK)
cpu=$(python3 -c "print(f'{100 * $ticks / $hz / $DURATION:.0f}')")
cpu_dedup=$(python3 -c "print(f'{100 * $ticks_dedup / $hz / $DURATION:.0f}')")
ratio=$(python3 -c "print(f'{$(field "$small" rps) / max($(field "$baseline" rps), 1):.2f}')")

REPORT="$WORK/report.md"
{
  echo "### $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)."
  echo "Gateway on core 0, subgraphs and wrk (1 thread, $CONNECTIONS connections) on core 1;"
  echo "warm-up ${WARMUP}s, ${DURATION}s per run. Large response: $large_response bytes."
  echo "\`large-dedup\`: the large operation on a restarted gateway with \`--inbound-dedup\`."
  echo
  echo "| run | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |"
  echo "|---|---|---|---|---|---|---|"
  for line in "$large" "$large_dedup" "$small" "$baseline"; do
    name=${line%% *}
    echo "| $name | $(field "$line" rps) | $(field "$line" p50_ms) | $(field "$line" p95_ms) | $(field "$line" p99_ms) | $(field "$line" max_ms) | $(field "$line" errors) |"
  done
  echo
  echo "- Gateway peak RSS (VmHWM): $((rss_kb / 1024)) MB; with inbound dedup: $((rss_dedup_kb / 1024)) MB"
  echo "- Subgraph requests per large client request: $per_request; with inbound dedup: $per_request_dedup"
  echo "- Gateway CPU during the large run: ${cpu}% of one core; with inbound dedup: ${cpu_dedup}%"
  echo "- Gateway-to-subgraph connections open during the large run: $connections (for $CONNECTIONS client connections)"
  echo "- Small operation through the gateway / straight to products: $ratio"
} > "$REPORT"
cat "$REPORT"
if [ "$RECORD" = 1 ]; then
  { echo; cat "$REPORT"; } >> "$ROOT/docs/BENCHMARKS.md"
fi
