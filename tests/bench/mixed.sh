# shellcheck shell=bash
# Mixed read/write load, sourced by tests/bench/run.sh after `start` and `login`; uses run.sh's
# $port, $token, $data, $threads, $connections, $duration and $pid (the server's process).
#
#   source tests/bench/mixed.sh
#   mixed_load mixed_read 0    # dashboards only
#   mixed_load mixed_write 1   # dashboards while tests/bench/writer.py writes
#
# Reads: wrk with tests/bench/dashboards.lua, each request a random dashboard among every
# authority, the 12 provinces and the region ($data/paths.txt). Writes (WRITES=1): writer.py for
# the same duration (single-file PUTs with a read-your-writes check, and register uploads).
# Sets rps_NAME p50_NAME p99_NAME err_NAME (as `load` does), rss_NAME and hwm_NAME (the server's
# VmRSS and VmHWM after the run) and, with WRITES=1, writer_NAME (the writer's JSON summary).

mixed_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# mixed_paths: $data/paths.txt (the dashboards wrk reads) and $data/comuni.txt (the ISTAT codes
# of the comuni, for the writer); built once.
mixed_paths() {
  [ -s "$data/paths.txt" ] && [ -s "$data/comuni.txt" ] && return 0
  python3 - "http://127.0.0.1:$port" "$token" "$data" <<'PY'
import json, sys, urllib.request
base, token, data = sys.argv[1:4]
items, offset, total = [], 0, None
while total is None or offset < total:
    req = urllib.request.Request(f"{base}/api/v1/authorities?limit=200&offset={offset}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        page = json.load(r)
    total = page["total"]
    if not page["items"]:
        break
    items += page["items"]
    offset += len(page["items"])
assert len(items) == total, (len(items), total)
comuni = [a["istat_code"] for a in items if a["kind"] == "comune"]
assert len(comuni) >= 2, len(comuni)
paths = [f"/api/v1/indicators?level=authority&key={a['istat_code']}" for a in items]
paths += [f"/api/v1/indicators?level=province&key={p}"
          for p in "BG BS CO CR LC LO MB MI MN PV SO VA".split()]
paths += ["/api/v1/indicators?level=region"] * 3
with open(f"{data}/paths.txt", "w") as f:
    f.write("\n".join(paths) + "\n")
with open(f"{data}/comuni.txt", "w") as f:
    f.write("\n".join(comuni) + "\n")
print(f"mixed: {len(paths)} dashboard paths, {len(comuni)} comuni")
PY
}

# mixed_seconds DURATION: wrk's duration (20s, 2m, 1h, or plain seconds) in seconds.
mixed_seconds() {
  case $1 in
    *s) echo "${1%s}" ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *h) echo $(( ${1%h} * 3600 )) ;;
    *) echo "$1" ;;
  esac
}

# mixed_load NAME WRITES: a read-only warm-up, then the measured run (WRITES=1: with writer.py).
mixed_load() {
  local name=$1 writes=${2:-0}
  local base="http://127.0.0.1:$port" writer_pid="" summary="$data/writer-$name.json"
  local seconds status=0
  seconds=$(mixed_seconds "$duration")
  mixed_paths
  wrk -t"$threads" -c"$connections" -d5s -s "$mixed_dir/dashboards.lua" \
    -H "Authorization: Bearer $token" "$base" -- "$data/paths.txt" >/dev/null
  if [ "$writes" = 1 ]; then
    rm -f "$summary"
    python3 "$mixed_dir/writer.py" --base "$base" --token "$token" --seconds "$seconds" \
      --authorities "$data/comuni.txt" --out "$summary" >"$data/writer-$name.log" 2>&1 &
    writer_pid=$!
  fi
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$mixed_dir/dashboards.lua" \
    -H "Authorization: Bearer $token" "$base" -- "$data/paths.txt" | tee "$data/$name.txt"
  if [ -n "$writer_pid" ]; then
    wait "$writer_pid" || status=$?
    cat "$data/writer-$name.log"
    if [ "$status" != 0 ] || [ ! -s "$summary" ]; then
      echo "mixed: the writer failed (exit $status), no summary" >&2
      printf -v "writer_$name" '%s' ""
    else
      printf -v "writer_$name" '%s' "$summary"
    fi
  fi
  printf -v "rps_$name" '%s' "$(awk '/Requests\/sec/ {print $2}' "$data/$name.txt")"
  printf -v "p50_$name" '%s' "$(awk '$1=="50%" {print $2}' "$data/$name.txt")"
  printf -v "p99_$name" '%s' "$(awk '$1=="99%" {print $2}' "$data/$name.txt")"
  printf -v "err_$name" '%s' "$(grep -E "Non-2xx|Socket errors" "$data/$name.txt" || true)"
  local rss="" hwm=""
  if [ -n "${pid:-}" ] && [ -r "/proc/$pid/status" ]; then
    rss=$(awk '$1=="VmRSS:" {print $2, $3}' "/proc/$pid/status")
    hwm=$(awk '$1=="VmHWM:" {print $2, $3}' "/proc/$pid/status")
  fi
  printf -v "rss_$name" '%s' "$rss"
  printf -v "hwm_$name" '%s' "$hwm"
}
