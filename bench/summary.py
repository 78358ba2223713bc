#!/usr/bin/env python3
"""Reads the results file run.sh writes (one JSON object per line: run, key, value) and prints
a table with every run and the median, and whether each target is met."""
import json
import statistics
import sys

# key: (figure, unit, target text, predicate on the median or None)
FIGURES = [
    ("create_rate", "ConfigMap creates/s (10,000, 32 clients, HTTPS, durable)", "creates/s", "≥ 3,000", lambda v: v >= 3000),
    ("create_p50_ms", "create latency p50", "ms", "", None),
    ("create_p99_ms", "create latency p99", "ms", "< 25", lambda v: v < 25),
    ("create_server_cpu_s", "server CPU during the 10,000 creates", "s", "", None),
    ("list_ms", "full list of 10,000 ConfigMaps (curl time_total)", "ms", "< 150", lambda v: v < 150),
    ("list_response_ms", "  same, request sent to last byte (excl. TCP+TLS setup)", "ms", "", None),
    ("list_mb", "  list response size", "MB", "", None),
    ("watch_all_ms", "100 watchers x 1,000 creates: until every watcher saw all", "ms", "", None),
    ("watch_events_per_s", "  events delivered/s", "events/s", "", None),
    ("watch_creates_ms", "  until the last of the 1,000 creates was answered", "ms", "", None),
    ("watch_server_cpu_s", "  server CPU during the fan-out", "s", "", None),
    ("watch_client_cpu_s", "  client (Python) CPU during the fan-out", "s", "", None),
    ("ready_fresh_ms", "process start -> /readyz ok, fresh data dir", "ms", "< 300", lambda v: v < 300),
    ("ready_10k_ms", "process start -> /readyz ok, 10,000 objects", "ms", "< 300", lambda v: v < 300),
    ("rss_idle_mb", "RSS idle, fresh", "MB", "< 40", lambda v: v < 40),
    ("rss_loaded_mb", "RSS after 10,000 creates and 6 full lists", "MB", "", None),
    ("hwm_loaded_mb", "  peak RSS (VmHWM) by then", "MB", "", None),
    ("rss_10k_restart_mb", "RSS idle after restart with 10,000 objects", "MB", "", None),
    ("rss_after_watch_mb", "RSS after the watch fan-out (watchers closed)", "MB", "", None),
]


def fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def main(path):
    values = {}
    runs = set()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            values.setdefault(r["key"], {})[r["run"]] = r["value"]
            runs.add(r["run"])
    runs = sorted(runs)
    head = ["figure", "target"] + [f"run {r}" for r in runs] + ["median", "unit", "met"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    missed = 0
    for key, name, unit, target, ok in FIGURES:
        per = values.get(key, {})
        vals = [per.get(r) for r in runs]
        present = [v for v in vals if v is not None]
        med = statistics.median(present) if present else None
        met = ""
        if ok is not None:
            met = "—" if med is None else ("yes" if ok(med) else "**NO**")
            missed += met != "yes"
        print("| " + " | ".join([name, target] + [fmt(v) for v in vals] + [fmt(med), unit, met]) + " |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
