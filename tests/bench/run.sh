#!/usr/bin/env bash
# Benchmarks of Affianca (called by `just bench` after the release build). Starts the release
# server on SQLite, loads it with wrk (Debian) from this same machine, and writes BENCHMARKS.md.
# Two datasets: the demo data (authority directory) and the region-scale dataset of
# `affianca seed-demo --scale region` (support requests). Traffic goes to 127.0.0.1 only; every
# run is bounded in time.
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
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$data"' EXIT

# start DIR: the release server on the SQLite database in DIR; waits until it answers.
start() {
  RUST_LOG=$log_filter AFFIANCA_DATA_DIR="$1" AFFIANCA_BIND=127.0.0.1:$port AFFIANCA_DEMO=1 \
    ./target/release/affianca serve >"$1/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/api/v1/status" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start:" >&2; cat "$1/server.log" >&2; exit 1
}

login() {
  curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"segreteria@demo.affianca.it","password":"Affianca-Demo-2026"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# load NAME URL: warm-up, then a measured wrk run; sets rps_NAME, p50_NAME, p99_NAME, err_NAME.
load() {
  local name=$1 url=$2
  wrk -t$threads -c$connections -d5s -H "Authorization: Bearer $token" "$url" >/dev/null
  wrk -t$threads -c$connections -d"$duration" --latency -H "Authorization: Bearer $token" "$url" | tee "$data/$name.txt"
  printf -v "rps_$name" '%s' "$(awk '/Requests\/sec/ {print $2}' "$data/$name.txt")"
  printf -v "p50_$name" '%s' "$(awk '$1=="50%" {print $2}' "$data/$name.txt")"
  printf -v "p99_$name" '%s' "$(awk '$1=="99%" {print $2}' "$data/$name.txt")"
  printf -v "err_$name" '%s' "$(grep -E "Non-2xx|Socket errors" "$data/$name.txt" || true)"
}

# ---- the authority directory, demo data ---------------------------------------------------------
mkdir -p "$data/demo"
start "$data/demo"
token=$(login)
url="http://127.0.0.1:$port/api/v1/authorities?province=BG&limit=50"
# Sanity: the benchmarked request really answers 50 items.
curl -fs -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["items"])==50 and d["total"]==244, d["total"]'
load directory "$url"
stop

# ---- support requests, region scale -------------------------------------------------------------
mkdir -p "$data/region"
t0=$(date +%s.%N)
AFFIANCA_DATA_DIR="$data/region" RUST_LOG=warn ./target/release/affianca seed-demo --scale region | tee "$data/seed.txt"
t1=$(date +%s.%N)
seed_seconds=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
start "$data/region"
token=$(login)
list_url="http://127.0.0.1:$port/api/v1/support-requests?status=submitted&province=BG&limit=50"
list_total=$(curl -fs -H "Authorization: Bearer $token" "$list_url" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["items"], d; print(d["total"])')
# The detail: a closed request with a full history and messages.
detail_id=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/support-requests?status=closed&province=MI&limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
detail_url="http://127.0.0.1:$port/api/v1/support-requests/$detail_id"
history=$(curl -fs -H "Authorization: Bearer $token" "$detail_url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))')
load list "$list_url"
load detail "$detail_url"
stop

wasm=$(ls crates/web/dist/*.wasm | head -n1)
wasm_raw=$(stat -c %s "$wasm")
wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
js=$(ls crates/web/dist/*.js | head -n1)
js_raw=$(stat -c %s "$js")

cat > BENCHMARKS.md <<MD
# Benchmarks

Written by \`just bench\` (tests/bench/run.sh) on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown).

Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr). Server and load generator share the machine.
Every figure: release build, SQLite (WAL), a valid secretariat bearer token on every request
(JWT verification included), $connections connections, \`wrk -t$threads -c$connections -d$duration --latency\`
(Debian's wrk) after a 5 s warm-up. Server log filter: \`$log_filter\` (one log line per request).

## Authority directory: \`GET /api/v1/authorities?province=BG&limit=50\`
Demo data (1502 comuni, 12 provinces, region). Each response is the first 50 of 244 authorities
with the total count. The registry is served from memory (crates/api/src/registry.rs): each
request reads the registry's version with one indexed query and reloads the rows only when an
import changed them, then filters, sorts and pages in memory.

| figure | result | target |
| --- | --- | --- |
| throughput | **$rps_directory requests/s** | ≥ 3,000 |
| latency p50 | $p50_directory | |
| latency p99 | **$p99_directory** | < 30 ms |

${err_directory:+Errors reported by wrk: $err_directory}

## Region-scale dataset: \`affianca seed-demo --scale region\`
$(cat "$data/seed.txt" | sed 's/^/    /')

| figure | result | target |
| --- | --- | --- |
| time to seed (migrations, reference data, demo accounts, the region) | **$seed_seconds s** | < 120 s |

## Filtered request list: \`GET /api/v1/support-requests?status=submitted&province=BG&limit=50\`
On the region-scale dataset; $list_total requests match. Each response counts the matches and
returns the first 50 (indexed on status and province; names of authorities from the in-memory
registry, of lead experts in one query).

| figure | result | target |
| --- | --- | --- |
| throughput | **$rps_list requests/s** | ≥ 2,000 |
| latency p50 | $p50_list | |
| latency p99 | **$p99_list** | < 50 ms |

${err_list:+Errors reported by wrk: $err_list}

## Request detail: \`GET /api/v1/support-requests/{id}\`
On the region-scale dataset: a closed request (n. $detail_id) with its assignees and a history of
$history transitions, the caller's allowed actions computed by the state machine.

| figure | result | target |
| --- | --- | --- |
| throughput | $rps_detail requests/s | |
| latency p50 | $p50_detail | |
| latency p99 | **$p99_detail** | < 20 ms |

${err_detail:+Errors reported by wrk: $err_detail}

## Web client size (release, \`wasm-release\` profile, wasm-opt -Oz from npm binaryen)
| file | raw | gzip -9 |
| --- | --- | --- |
| $(basename "$wasm") | $wasm_raw bytes ($((wasm_raw / 1024)) KiB) | $wasm_gz bytes ($((wasm_gz / 1024)) KiB) |
| $(basename "$js") | $js_raw bytes | |

Aim (issue 2): under 1.5 MB raw. Above it since the pages of issues 3 and 4 (experts, phases,
meetings, support requests): one bundle holds every page. Next step: split the bundle by route.
MD
echo "BENCHMARKS.md written: directory $rps_directory req/s p99 $p99_directory; list $rps_list req/s p99 $p99_list; detail p99 $p99_detail; seed ${seed_seconds}s; wasm $wasm_raw bytes"
