#!/usr/bin/env python3
"""The write side of the mixed read/write benchmark (tests/bench/mixed.sh): Python stdlib only.

usage: writer.py --base http://127.0.0.1:PORT --token TOKEN --seconds N --authorities FILE
                 --out SUMMARY.json [--puts-per-second 20] [--upload-every 10]
                 [--upload-rows 20000] [--start-date YYYY-MM-DD] [--seed N]

Two threads for --seconds:
* PUTs, paced at --puts-per-second (the i-th at start + i/rate): each writes a new file
  (PDC, open) of a random comune among the odd-indexed lines of --authorities, then reads that
  authority's indicators for the semester of the file and checks read-your-writes: `started`
  must equal what it was before this run's first write there plus the files this writer put.
* Uploads, every --upload-every seconds: a generated CSV register of --upload-rows new files to
  a random comune among the even-indexed lines (never one the PUTs check).

The file's start date is today by default: the current semester has no report yet, so it is
never locked. A semester submitted or validated locks `lock_days` after its end and then keeps
its values, so a fixed past date (e.g. --start-date 2025-02-03) makes every check fail on data
that validated it (the region-scale seed validates every semester but the last two ended); the
summary counts PUTs whose semester the server reported as locked.

Writes a JSON summary to --out and prints one line. Exits 0 even with errors (the caller reports
them); exits 2 only on bad arguments or an unreadable --authorities file.
"""
import argparse
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

TIMEOUT = 60
PROCEDURES = ["PDC", "SCIA", "CILA", "VIA_PAUR", "AUA"]
HEADER = ("codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;"
          "data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n")
UPLOAD_FIRST = date(2021, 1, 4)
UPLOAD_LAST = date(2025, 12, 15)


def period_of(d):
    return f"{d.year}S{1 if d.month <= 6 else 2}"


def percentile(values, p):
    """Nearest rank; None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))
    return round(s[int(k)], 1)


def generate_register(rows, prefix, rng, today):
    """A CSV register of `rows` new files coded PREFIX-i; about 30 % still open."""
    first = UPLOAD_FIRST.toordinal()
    last = min(UPLOAD_LAST, today).toordinal()
    out = [HEADER]
    for i in range(rows):
        proc = PROCEDURES[rng.randrange(len(PROCEDURES))]
        start = date.fromordinal(rng.randint(first, last))
        decision = ""
        if rng.random() >= 0.3:
            decision = min(start + timedelta(days=rng.randint(10, 200)), today).isoformat()
        out.append(f"{prefix}-{i};{proc};{start.isoformat()};;{decision};;;\n")
    return "".join(out).encode("utf-8")


class Stats:
    """Everything the two threads record (one lock; the volumes are small)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.put_ms, self.check_ms, self.upload_ms, self.baseline_ms = [], [], [], []
        self.puts = self.put_non_2xx = self.put_locked = 0
        self.checks = self.check_non_2xx = self.mismatches = self.unchecked = 0
        self.examples = []
        self.uploads = self.upload_non_2xx = self.upload_rows = 0
        self.files_added = []
        self.non_2xx = 0
        self.errors = []
        self.behind_max_s = 0.0

    def error(self, method, path, status, body, non_2xx=True):
        with self.lock:
            self.non_2xx += 1 if non_2xx else 0
            if len(self.errors) < 10:
                self.errors.append({"method": method, "path": path, "status": status,
                                    "body": body[:200]})


class Client:
    def __init__(self, base, token, stats):
        self.base = base.rstrip("/")
        self.token = token
        self.stats = stats

    def call(self, method, path, body=None, content_type=None):
        """(status, body text, milliseconds); status 0 for a network error or a timeout."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                status, text = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            try:
                text = e.read().decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - the body of an error is best effort
                text = ""
            status = e.code
        except Exception as e:  # noqa: BLE001 - timeouts, refused, reset: all recorded
            status, text = 0, f"{type(e).__name__}: {e}"
        ms = (time.perf_counter() - t0) * 1000
        if not 200 <= status < 300:
            self.stats.error(method, path, status, text)
        return status, text, ms


def started(client, stats, code, period, timings):
    """The files started in `period` for `code`, or None when the read failed."""
    q = urllib.parse.urlencode({"level": "authority", "key": code, "from": period, "to": period})
    status, text, ms = client.call("GET", f"/api/v1/indicators?{q}")
    with stats.lock:
        timings.append(ms)
    if status != 200:
        return None, status
    try:
        series = json.loads(text)["series"]
        point = next((p for p in series if p.get("period") == period), series[0])
        return int(point["started"]), status
    except (ValueError, KeyError, IndexError, TypeError):
        stats.error("GET", f"/api/v1/indicators?{q}", status, "unexpected answer: " + text,
                    non_2xx=False)
        return None, status


def put_loop(client, stats, args, comuni, deadline, rng, start_date, rate, tag):
    """One PUT worker: its own comuni (so that a check sees only this worker's writes to them),
    paced at `rate` PUTs a second, each followed by the read-your-writes check."""
    period = period_of(start_date)
    total = int(args.seconds * rate)
    base, written, doubtful = {}, {}, set()
    body = json.dumps({"procedure": "PDC", "start_date": start_date.isoformat(),
                       "decision_date": None}).encode()
    t0 = time.monotonic()
    for i in range(total):
        due = t0 + i / rate
        now = time.monotonic()
        if now >= deadline:
            break
        if due > now:
            time.sleep(due - now)
        else:
            with stats.lock:
                stats.behind_max_s = max(stats.behind_max_s, now - due)
        code = comuni[rng.randrange(len(comuni))]
        if code in doubtful:
            continue
        if code not in base:
            seen, _ = started(client, stats, code, period, stats.baseline_ms)
            if seen is None:
                doubtful.add(code)
                continue
            base[code], written[code] = seen, 0
        file_code = f"BENCH-{args.run_id}-{tag}-{i}"
        path = (f"/api/v1/authorities/{urllib.parse.quote(code)}/files/"
                f"{urllib.parse.quote(file_code)}")
        status, text, ms = client.call("PUT", path, body, "application/json")
        with stats.lock:
            stats.puts += 1
            stats.put_ms.append(ms)
            if not 200 <= status < 300:
                stats.put_non_2xx += 1
        if status == 0:
            # A timeout may or may not have written: this authority can no longer be checked.
            doubtful.add(code)
            continue
        if status != 201:
            if 200 <= status < 300:  # 200 would mean the file already existed: not expected
                stats.error("PUT", path, status, "expected 201: " + text, non_2xx=False)
                doubtful.add(code)
            continue
        written[code] += 1
        try:
            if period in json.loads(text).get("semesters_locked", []):
                with stats.lock:
                    stats.put_locked += 1
        except (ValueError, AttributeError):
            pass
        seen, check_status = started(client, stats, code, period, stats.check_ms)
        with stats.lock:
            stats.checks += 1
            if seen is None:
                stats.check_non_2xx += 1 if check_status != 200 else 0
                stats.unchecked += 1
                continue
            expected = base[code] + written[code]
            if seen != expected:
                stats.mismatches += 1
                if len(stats.examples) < 5:
                    stats.examples.append({"authority": code, "file": file_code, "period": period,
                                           "before_run": base[code], "written": written[code],
                                           "expected": expected, "seen": seen})


def upload_loop(client, stats, args, comuni, deadline, rng, today):
    n = 0
    t0 = time.monotonic()
    while True:
        due = t0 + (n + 0.5) * args.upload_every
        if due >= deadline:
            break
        csv = generate_register(args.upload_rows, f"UPL-{args.run_id}-{n}", rng, today)
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        code = comuni[rng.randrange(len(comuni))]
        path = f"/api/v1/authorities/{urllib.parse.quote(code)}/register"
        status, text, ms = client.call("POST", path, csv, "text/csv")
        with stats.lock:
            stats.uploads += 1
            stats.upload_ms.append(ms)
            stats.upload_rows += args.upload_rows
            if status != 200:
                stats.upload_non_2xx += 1
        if status == 200:
            try:
                added = json.loads(text)["files_added"]
            except (ValueError, KeyError, TypeError):
                added = None
            with stats.lock:
                stats.files_added.append(added)
        n += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--puts-per-second", type=float, default=20)
    ap.add_argument("--upload-every", type=float, default=10)
    ap.add_argument("--upload-rows", type=int, default=20000)
    ap.add_argument("--authorities", required=True, help="ISTAT codes of comuni, one a line")
    ap.add_argument("--out", required=True)
    ap.add_argument("--start-date", type=date.fromisoformat, default=None,
                    help="start date of the PUT files (default today, UTC)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--put-workers", type=int, default=4,
                    help="PUT workers, each on its own comuni at rate/N (a PUT and its check "
                         "take longer than 1/rate under load)")
    args = ap.parse_args()
    if args.seconds <= 0 or args.puts_per_second <= 0 or args.upload_every <= 0:
        ap.error("--seconds, --puts-per-second and --upload-every must be positive")
    try:
        with open(args.authorities, encoding="utf-8") as f:
            codes = [c.strip() for c in f if c.strip() and not c.startswith("#")]
    except OSError as e:
        ap.error(f"--authorities: {e}")
    if len(codes) < 2:
        ap.error("--authorities: at least two codes are needed")
    uploads_to, puts_to = codes[0::2], codes[1::2]
    # Codes of the files written: new on every run, even on the same database.
    args.run_id = f"{int(time.time())}-{os.getpid()}"
    today = date.today()
    start_date = args.start_date or today
    seed = args.seed if args.seed is not None else int(time.time()) ^ os.getpid()

    stats = Stats()
    client = Client(args.base, args.token, stats)
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    workers = max(1, min(args.put_workers, len(puts_to)))
    threads = [
        threading.Thread(target=put_loop, name=f"puts-{w}", daemon=True,
                         args=(client, stats, args, puts_to[w::workers], deadline,
                               random.Random(seed + 10 + w), start_date,
                               args.puts_per_second / workers, w))
        for w in range(workers)
    ]
    threads.append(
        threading.Thread(target=upload_loop, name="uploads", daemon=True,
                         args=(client, stats, args, uploads_to, deadline,
                               random.Random(seed + 1), today)))
    for t in threads:
        t.start()
    # Each loop stops scheduling at the deadline; a request in flight ends within TIMEOUT.
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 2 * TIMEOUT + 5)
    stuck = [t.name for t in threads if t.is_alive()]
    elapsed = time.monotonic() - t0

    with stats.lock:
        summary = {
            "seconds": round(elapsed, 1),
            "period": period_of(start_date),
            "puts": {"count": stats.puts, "non_2xx": stats.put_non_2xx,
                     "p50_ms": percentile(stats.put_ms, 50),
                     "p99_ms": percentile(stats.put_ms, 99),
                     "rate_target": args.puts_per_second,
                     "rate_achieved": round(stats.puts / elapsed, 1) if elapsed else None,
                     "behind_max_ms": round(stats.behind_max_s * 1000, 1),
                     "locked": stats.put_locked},
            "checks": {"count": stats.checks, "mismatches": stats.mismatches,
                       "examples": stats.examples, "non_2xx": stats.check_non_2xx,
                       "unchecked": stats.unchecked,
                       "p50_ms": percentile(stats.check_ms, 50),
                       "p99_ms": percentile(stats.check_ms, 99),
                       "baseline_reads": len(stats.baseline_ms)},
            "uploads": {"count": stats.uploads, "non_2xx": stats.upload_non_2xx,
                        "p50_ms": percentile(stats.upload_ms, 50),
                        "max_ms": round(max(stats.upload_ms), 1) if stats.upload_ms else None,
                        "rows": stats.upload_rows, "files_added": stats.files_added},
            "non_2xx": stats.non_2xx,
            "errors": stats.errors,
            "stuck_threads": stuck,
        }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    p, c, u = summary["puts"], summary["checks"], summary["uploads"]
    print(f"writer: {p['count']} PUTs ({p['rate_achieved']}/s, p50 {p['p50_ms']} ms, "
          f"p99 {p['p99_ms']} ms), {c['count']} checks ({c['mismatches']} mismatches, "
          f"p99 {c['p99_ms']} ms), {u['count']} uploads of {args.upload_rows} rows "
          f"(max {u['max_ms']} ms), {summary['non_2xx']} non-2xx"
          + (f", stuck: {','.join(stuck)}" if stuck else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
