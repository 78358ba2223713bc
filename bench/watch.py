#!/usr/bin/env python3
"""Fan-out: N watch streams on ConfigMaps in one fresh namespace, then M creates in it.

Reports the time from the first create being sent until every watcher has received all M ADDED
events, the time until the last create was answered, and events delivered per second
(N*M / fan-out time). Watch events are counted by their `{"type":"ADDED"` prefix in the raw
chunked stream (chunk-size lines cannot contain it), so the client does little work per event.
Bounded by --timeout. Prints one JSON line.
"""
import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time

from benchlib import Conn, ensure_namespace_body, load_credentials

p = argparse.ArgumentParser()
p.add_argument("--data-dir", required=True)
p.add_argument("--watchers", type=int, default=100)
p.add_argument("--creates", type=int, default=1000)
p.add_argument("--create-concurrency", type=int, default=8)
p.add_argument("--namespace", default="bench-watch")
p.add_argument("--timeout", type=float, default=120.0)
p.add_argument("--server-pid", type=int, help="report this process's CPU time over the fan-out")
a = p.parse_args()

MARK = b'{"type":"ADDED"'


def cpu_seconds(pid):
    """utime+stime of a process, from /proc/<pid>/stat."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watcher:
    def __init__(self):
        self.count = 0
        self.started = asyncio.get_running_loop().create_future()  # set once the 200 arrived
        self.done_at = None
        self.reads = 0

    async def run(self, conn, path, want):
        conn.writer.write(conn.head("GET", path))
        status, headers = await conn.read_head()
        if status != 200:
            err = RuntimeError(f"watch answered {status}: {(await conn.read_body(headers))[:200]!r}")
            self.started.set_exception(err)
            raise err
        self.started.set_result(None)
        tail = b""
        while self.count < want:
            data = await conn.reader.read(1 << 16)
            self.reads += 1
            if not data:
                raise RuntimeError("watch stream ended early")
            buf = tail + data
            self.count += buf.count(MARK)
            tail = buf[-(len(MARK) - 1):]
        self.done_at = time.monotonic()


async def main():
    token, ctx, port = load_credentials(a.data_dir)
    ns = a.namespace
    admin = await Conn.open(port, ctx, token)
    status, body = await admin.request("POST", "/api/v1/namespaces", ensure_namespace_body(ns))
    if status not in (201, 409):
        raise RuntimeError(f"namespace create: {status} {body[:200]}")
    status, body = await admin.request("GET", f"/api/v1/namespaces/{ns}/configmaps?limit=1")
    rv = json.loads(body)["metadata"]["resourceVersion"]

    watchers = [Watcher() for _ in range(a.watchers)]
    conns = await asyncio.gather(*[Conn.open(port, ctx, token) for _ in watchers])
    # Only the bench's own ConfigMaps: the root CA publisher adds kube-root-ca.crt to the namespace.
    path = (f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds={int(a.timeout)}"
            "&labelSelector=bench%3Dwatch")
    tasks = []
    for w, c in zip(watchers, conns):
        tasks.append(asyncio.create_task(w.run(c, path, a.creates)))
    await asyncio.wait_for(asyncio.gather(*[w.started for w in watchers]), 30)

    # Creates, from a few keep-alive connections, names handed out from one counter.
    creators = await asyncio.gather(*[Conn.open(port, ctx, token) for _ in range(a.create_concurrency)])
    next_i = iter(range(a.creates))
    failures = []

    async def creator(conn):
        for i in next_i:
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": f"w-{i:06d}", "labels": {"bench": "watch"}}, "data": {"key": f"value-{i}"}}).encode()
            st, b = await conn.request("POST", f"/api/v1/namespaces/{ns}/configmaps", body)
            if st != 201:
                failures.append((st, b[:200]))

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    s0 = cpu_seconds(a.server_pid)
    t0 = time.monotonic()
    await asyncio.gather(*[creator(c) for c in creators])
    t_created = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), a.timeout)
    except asyncio.TimeoutError:
        pass
    t_end = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    s1 = cpu_seconds(a.server_pid)
    for c in conns + creators + [admin]:
        c.close()

    done = [w.done_at - t0 for w in watchers if w.done_at]
    counts = [w.count for w in watchers]
    fanout = max(done) if len(done) == len(watchers) else None
    out = {
        "watchers": a.watchers,
        "creates": a.creates,
        "create_failures": len(failures),
        "watchers_complete": len(done),
        "min_events_seen": min(counts),
        "max_events_seen": max(counts),
        "creates_done_ms": round((t_created - t0) * 1000, 1),
        "all_watchers_done_ms": round(fanout * 1000, 1) if fanout else None,
        "first_watcher_done_ms": round(min(done) * 1000, 1) if done else None,
        "median_watcher_done_ms": round(statistics.median(done) * 1000, 1) if done else None,
        "events_per_s": round(a.watchers * a.creates / fanout) if fanout else None,
        "client_cpu_s": round((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 3),
        "server_cpu_s": round(s1 - s0, 3) if a.server_pid else None,
        "wall_s": round(t_end - t0, 3),
        "client_reads": sum(w.reads for w in watchers),
    }
    if failures:
        print("create failures (first 3):", failures[:3], file=sys.stderr)
    print(json.dumps(out))
    return 0 if fanout and not failures and max(counts) == a.creates else 1


sys.exit(asyncio.run(main()))
