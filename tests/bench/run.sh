#!/usr/bin/env bash
# Benchmarks of Affianca (called by `just bench` after the release build). Starts the release
# server on SQLite with the demo data, loads it with wrk (Debian) from this same machine, and
# writes BENCHMARKS.md. Traffic goes to 127.0.0.1 only; every run is bounded in time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

duration=${BENCH_DURATION:-20s}
connections=32
threads=2
port=${BENCH_PORT:-18088}
data=$(mktemp -d)
log_filter=${BENCH_LOG:-info,sqlx=warn,sea_orm=warn}

RUST_LOG=$log_filter AFFIANCA_DATA_DIR="$data" AFFIANCA_BIND=127.0.0.1:$port AFFIANCA_DEMO=1 \
  ./target/release/affianca serve >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/api/v1/status" >/dev/null && break
  sleep 0.2
done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"segreteria@demo.affianca.it","password":"Affianca-Demo-2026"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

url="http://127.0.0.1:$port/api/v1/authorities?province=BG&limit=50"
# Sanity: the benchmarked request really answers 50 items.
curl -fs -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["items"])==50 and d["total"]==244, d["total"]'

wrk -t$threads -c$connections -d5s -H "Authorization: Bearer $token" "$url" >/dev/null # warm-up
wrk -t$threads -c$connections -d"$duration" --latency -H "Authorization: Bearer $token" "$url" | tee "$data/wrk.txt"

rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
p50=$(awk '$1=="50%" {print $2}' "$data/wrk.txt")
p99=$(awk '$1=="99%" {print $2}' "$data/wrk.txt")
errors=$(grep -E "Non-2xx|Socket errors" "$data/wrk.txt" || true)

wasm=$(ls crates/web/dist/*.wasm | head -n1)
wasm_raw=$(stat -c %s "$wasm")
wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
js=$(ls crates/web/dist/*.js | head -n1)
js_raw=$(stat -c %s "$js")

cat > BENCHMARKS.md <<MD
# Benchmarks

Written by \`just bench\` (tests/bench/run.sh) on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown).

Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr). Server and load generator share the machine.

## Authority directory: \`GET /api/v1/authorities?province=BG&limit=50\`
Release build, SQLite (WAL), demo data (1502 comuni, 12 provinces, region), a valid secretariat
bearer token on every request (JWT verification included), $connections connections,
\`wrk -t$threads -c$connections -d$duration --latency\` (Debian's wrk) after a 5 s warm-up.
Each response is the first 50 of 244 authorities with the total count. The registry is served
from memory (crates/api/src/registry.rs): each request reads the registry's version with one
indexed query and reloads the rows only when an import changed them, then filters, sorts and pages
in memory. Server log filter: \`$log_filter\` (one log line per request).

| figure | result | target |
| --- | --- | --- |
| throughput | **$rps requests/s** | ≥ 3,000 |
| latency p50 | $p50 | |
| latency p99 | **$p99** | < 30 ms |

${errors:+Errors reported by wrk: $errors}

## Web client size (release, \`wasm-release\` profile, wasm-opt -Oz from npm binaryen)
| file | raw | gzip -9 |
| --- | --- | --- |
| $(basename "$wasm") | $wasm_raw bytes ($((wasm_raw / 1024)) KiB) | $wasm_gz bytes ($((wasm_gz / 1024)) KiB) |
| $(basename "$js") | $js_raw bytes | |

Target: under 1.5 MB raw.
MD
echo "BENCHMARKS.md written: $rps req/s, p99 $p99, wasm $wasm_raw bytes"
