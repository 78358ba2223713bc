#!/usr/bin/env python3
"""Scheduling throughput: `skiff server` plus `skiff sim --nodes N`, then M Pods created as fast
as a few keep-alive connections allow; times from the first create until every Pod is bound
(spec.nodeName set, seen on a watch) and until every Pod is Running and Ready.

Starts both processes itself on a fresh data dir under /var/tmp (127.0.0.1 only) and stops
them by their own pids. Prints one JSON line:
  pods_per_s      M / (last bind - first create): scheduling throughput end to end
  create_s        time to create all M Pods (the client's pace bounds pods_per_s from above)
  bound_s, running_s, server_cpu_s, sim_cpu_s, server_rss_mb
With --backlog the Pods are created first and the nodes started after; pods_per_s is then
(M - 1) / (last bind - first bind).
"""
import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Conn, ensure_namespace_body, load_credentials  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "skiff"))
p.add_argument("--nodes", type=int, default=100)
p.add_argument("--pods", type=int, default=1000)
p.add_argument("--port", type=int, default=16543)
p.add_argument("--create-concurrency", type=int, default=8)
p.add_argument("--cpu", default="100m", help="cpu request of each Pod")
p.add_argument("--timeout", type=float, default=300.0)
p.add_argument("--perf", help="record `perf record -g` of the server while the Pods are scheduled into this file")
p.add_argument("--backlog", action="store_true",
               help="create the Pods before the nodes exist, then start the simulator: measures how fast the scheduler "
                    "drains a queue (pods_per_s over first to last bind) without the client's create pace in the way")
a = p.parse_args()

NS = "bench-sched"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def watch_pods(port, ctx, token, rv, bound, running, done, errors):
    """A watch on the namespace's Pods in a thread: first time each Pod has a node / is Ready."""
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=a.timeout)
        conn.request("GET", f"/api/v1/namespaces/{NS}/pods?watch=1&resourceVersion={rv}&timeoutSeconds={int(a.timeout)}",
                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"watch answered {resp.status}")
        while len(running) < a.pods:
            line = resp.readline()
            if not line:
                break
            obj = json.loads(line)["object"]
            name = obj["metadata"]["name"]
            now = time.monotonic()
            if obj["spec"].get("nodeName") and name not in bound:
                bound[name] = now
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in obj.get("status", {}).get("conditions", []))
            if ready and name not in running:
                running[name] = now
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported in the result
        errors.append(repr(e))
    finally:
        done.set()


async def create_pods(port, ctx, token):
    conns = await asyncio.gather(*[Conn.open(port, ctx, token) for _ in range(a.create_concurrency)])
    names = iter(range(a.pods))
    failures = []

    async def creator(conn):
        for i in names:
            body = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p-{i:06d}", "labels": {"app": "bench"}},
                               "spec": {"containers": [{"name": "c", "image": "registry.local/app:1",
                                                        "resources": {"requests": {"cpu": a.cpu, "memory": "64Mi"}}}]}}).encode()
            st, b = await conn.request("POST", f"/api/v1/namespaces/{NS}/pods", body)
            if st != 201:
                failures.append((st, b[:200]))
    await asyncio.gather(*[creator(c) for c in conns])
    for c in conns:
        c.close()
    return failures


async def request(port, ctx, token, method, path, body=None):
    c = await Conn.open(port, ctx, token)
    try:
        return await c.request(method, path, body)
    finally:
        c.close()


def main():
    data = tempfile.mkdtemp(prefix="skiff-sched-bench-", dir="/var/tmp")
    procs = []
    try:
        server_log = open(os.path.join(data, "server.log"), "wb")
        server = subprocess.Popen([a.bin, "server", "--data-dir", data, "--port", str(a.port), "--bind-address", "127.0.0.1",
                                   "--log-level", "warning"], stdout=server_log, stderr=subprocess.STDOUT)
        procs.append(server)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(data, "kubeconfig")):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        token, ctx, port = load_credentials(data)
        while True:
            try:
                st, body = asyncio.run(request(port, ctx, token, "GET", "/readyz"))
                if st == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        sim_log = open(os.path.join(data, "sim.log"), "wb")

        def start_sim():
            sim = subprocess.Popen([a.bin, "sim", "--nodes", str(a.nodes), "--kubeconfig", os.path.join(data, "kubeconfig"),
                                    "--log-level", "warning"], stdout=sim_log, stderr=subprocess.STDOUT)
            procs.append(sim)
            return sim

        def wait_nodes():
            t_nodes = time.monotonic()
            while True:
                st, body = asyncio.run(request(port, ctx, token, "GET", "/api/v1/nodes"))
                items = json.loads(body)["items"]
                ready = [n for n in items
                         if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))]
                if len(ready) == a.nodes:
                    return time.monotonic() - t_nodes
                if time.monotonic() - t_nodes > 120:
                    raise RuntimeError(f"only {len(ready)} nodes ready")
                time.sleep(0.05 if a.backlog else 0.2)

        nodes_s = None
        if not a.backlog:
            sim = start_sim()
            nodes_s = wait_nodes()
            time.sleep(1)  # let the scheduler's informers see every node
        st, body = asyncio.run(request(port, ctx, token, "POST", "/api/v1/namespaces", ensure_namespace_body(NS)))
        st, body = asyncio.run(request(port, ctx, token, "GET", f"/api/v1/namespaces/{NS}/pods?limit=1"))
        rv = json.loads(body)["metadata"]["resourceVersion"]

        bound, running, errors = {}, {}, []
        done = threading.Event()
        watcher = threading.Thread(target=watch_pods, args=(port, ctx, token, rv, bound, running, done, errors), daemon=True)
        watcher.start()
        time.sleep(0.3)
        perf = None

        def start_perf():
            if a.perf:
                started = subprocess.Popen(["perf", "record", "-g", "-o", a.perf, "-p", str(server.pid)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                return started
        t0 = time.monotonic()
        if a.backlog:
            failures = asyncio.run(create_pods(port, ctx, token))
            t_created = time.monotonic()
            time.sleep(2)  # every Pod has failed once (no nodes) and waits
            perf = start_perf()
            sim = start_sim()
            s0, m0 = cpu_seconds(server.pid), cpu_seconds(sim.pid)
            nodes_s = wait_nodes()
        else:
            perf = start_perf()
            t0 = time.monotonic()
            s0, m0 = cpu_seconds(server.pid), cpu_seconds(sim.pid)
            failures = asyncio.run(create_pods(port, ctx, token))
            t_created = time.monotonic()
        done.wait(a.timeout)
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(30)
        s1, m1 = cpu_seconds(server.pid), cpu_seconds(sim.pid)
        last_bound = max(bound.values()) if bound else None
        last_running = max(running.values()) if running else None
        first_bound = min(bound.values()) if bound else None
        out = {
            "nodes": a.nodes, "pods": a.pods, "create_failures": len(failures), "watch_errors": errors,
            "mode": "backlog" if a.backlog else "end-to-end",
            "nodes_ready_s": round(nodes_s, 2),
            "create_s": round(t_created - t0, 3),
            "bound": len(bound), "running": len(running),
            "bound_s": round(last_bound - t0, 3) if last_bound else None,
            "running_s": round(last_running - t0, 3) if last_running else None,
            "pods_per_s": (round((len(bound) - 1) / (last_bound - first_bound)) if a.backlog and len(bound) > 1
                           else round(len(bound) / (last_bound - t0)) if last_bound else None),
            "server_cpu_s": round(s1 - s0, 2), "sim_cpu_s": round(m1 - m0, 2),
            "server_rss_mb": round(rss_mb(server.pid), 1),
        }
        if failures:
            print("create failures (first 3):", failures[:3], file=sys.stderr)
        print(json.dumps(out))
        return 0 if len(bound) == a.pods and not failures else 1
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if os.environ.get("SKIFF_KEEP_DATA") != "1":
            shutil.rmtree(data, ignore_errors=True)


sys.exit(main())
