#!/usr/bin/env bash
# Registrations per second on SQLite and PostgreSQL: a release build serving the demo meeting,
# loaded by wrk on loopback for a fixed time. Usage: benches/registration-load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
port=18181
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() {
  local name=$1 url=$2
  CONVENE_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn ./target/release/convene demo \
    --database-url "$url" --bind 127.0.0.1:$port --mail-url "file://$work/mail-$name" >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  echo "== $name: POST registrations, $connections connections, ${seconds}s"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s benches/register.lua "http://127.0.0.1:$port" \
    | grep -E 'Requests/sec|50%|99%|statuses|requests in'
  sleep 2
  echo "   emails written so far: $(ls "$work/mail-$name" | wc -l)"
  kill $pid; wait $pid 2>/dev/null || true
}

run sqlite "$work/bench.db"
if pg_isready -h 127.0.0.1 -q; then
  db=convene_bench_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  run postgres "postgres://postgres@127.0.0.1:5432/$db"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $db WITH (FORCE)"
else
  echo "PostgreSQL not reachable: skipped"
fi
