#!/usr/bin/env bash
# Press exports of 50,000 attendees on SQLite and PostgreSQL: time to first byte, total time,
# rows per second and the server's memory (resident before, after, and peak).
# Usage: benches/press-export.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-50000}
port=18182
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port

seed_sql() { # $1: the row-number source for the backend
  cat <<SQL
INSERT INTO organizations (id, name, name_key, kind, country, created_at)
  SELECT 'bench-org-' || n, 'Centro de Información ' || n, 'centro de información ' || n, 'information_hub', 'GT', CURRENT_TIMESTAMP
  FROM ($1) AS g WHERE n <= 50;
INSERT INTO registrations (id, meeting_id, email, email_key, full_name, organization_id, job_title, country,
    language, consent_data_processing, consent_press_listing, status, search_text, created_at, status_changed_at)
  SELECT 'bench-' || n, (SELECT id FROM meetings WHERE slug = 'mexico-city-hubs'),
    'b' || n || '@example.org', 'b' || n || '@example.org', 'Participante Peña Número ' || n,
    'bench-org-' || (n % 50 + 1), 'Coordinación', 'GT', 'es', TRUE, TRUE, 'confirmed', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
  FROM ($1) AS g;
SQL
}

measure() {
  local name=$1 url=$2
  RUST_LOG=warn ./target/release/convene demo --database-url "$url" --bind 127.0.0.1:$port \
    --mail-url "file://$work/mail-$name" >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
  local token press
  token=$(curl -s -X POST "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d '{"email":"organizer@convene.example","password":"convene-demo-2026"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
  press=$(curl -s -X POST "$base/api/v1/meetings/mexico-city-hubs/press-tokens" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"label":"bench"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
  echo "== $name: $rows attendees"
  local rss_before; rss_before=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  for format in csv xlsx; do
    for attempt in 1 2 3; do
      curl -s -o "$work/out.$format" -H "Authorization: Bearer $press" \
        -w "$format run $attempt: first byte %{time_starttransfer}s, total %{time_total}s, %{size_download} bytes\n" \
        "$base/api/v1/meetings/mexico-city-hubs/attendees.$format"
    done
  done
  local total; total=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $press" "$base/api/v1/meetings/mexico-city-hubs/attendees.csv")
  echo "csv rows/s: $(python3 -c "print(int($rows / $total))")"
  echo "server memory: resident before ${rss_before} kB, after $(awk '/VmRSS/ {print $2}' /proc/$pid/status) kB, peak $(awk '/VmHWM/ {print $2}' /proc/$pid/status) kB"
  kill $pid; wait $pid 2>/dev/null || true
}

# SQLite: create the schema and demo, then seed.
RUST_LOG=warn ./target/release/convene migrate --database-url "$work/bench.db" >/dev/null
./target/release/convene demo --database-url "$work/bench.db" --bind 127.0.0.1:$port --mail-url "file://$work/m" >/dev/null 2>&1 &
seed_pid=$!; sleep 1; kill $seed_pid; wait $seed_pid 2>/dev/null || true
python3 - "$work/bench.db" "$(seed_sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows) SELECT x AS n FROM c")" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()
PY
measure sqlite "$work/bench.db"

if pg_isready -h 127.0.0.1 -q; then
  db=convene_bench_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  ./target/release/convene demo --database-url "postgres://postgres@127.0.0.1:5432/$db" --bind 127.0.0.1:$port --mail-url "file://$work/m" >/dev/null 2>&1 &
  seed_pid=$!; sleep 2; kill $seed_pid; wait $seed_pid 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d "$db" -q -c "$(seed_sql "SELECT generate_series(1, $rows) AS n")"
  measure postgres "postgres://postgres@127.0.0.1:5432/$db"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $db WITH (FORCE)"
fi
