#!/usr/bin/env python3
"""Scheduling throughput at cluster scale: `skiff server` plus `skiff sim --nodes N`, then M Pods
created by several client processes (each with a few keep-alive connections), timed from the
first create until a watch has seen every Pod bound (spec.nodeName set).

Prints one JSON line:
  pods_per_s        M / (last bound - first create sent)
  create_s          time until every create was answered (the clients' pace bounds pods_per_s)
  latency_p50_ms, latency_p99_ms   per Pod, create sent -> bound seen on the watch
  running_s         first create -> last Pod Running and Ready
  server_cpu_s      server utime+stime from the first create to the last Ready Pod
  server_rss_mb     VmRSS at the end; server_peak_rss_mb: VmHWM (peak over the server's life)
  sim_cpu_s         the simulator's CPU over the same span

Example: python3 bench/cluster.py --nodes 1000 --pods 10000
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Conn, ensure_namespace_body  # noqa: E402
from proclib import Cluster, cpu_seconds, status_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(ROOT, ".build-release", "release", "skiff"))
p.add_argument("--nodes", type=int, default=1000)
p.add_argument("--pods", type=int, default=10000)
p.add_argument("--port", type=int, default=16643)
p.add_argument("--clients", type=int, default=2, help="client processes")
p.add_argument("--conns", type=int, default=8, help="keep-alive connections per client process")
p.add_argument("--cpu", default="10m", help="cpu request of each Pod")
p.add_argument("--timeout", type=float, default=600.0)
a = p.parse_args()

NS = "bench-cluster"


def pod_body(i):
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"p-{i:06d}", "labels": {"app": "bench"}},
                       "spec": {"containers": [{"name": "c", "image": "registry.local/app:1",
                                                "resources": {"requests": {"cpu": a.cpu, "memory": "16Mi"}}}]}}).encode()


def client_proc(index, port, token, ca_data, start, out):
    """One client process: creates Pods i with i % clients == index over a.conns connections."""
    import ssl
    ctx = ssl.create_default_context(cadata=ca_data)
    names = iter(range(index, a.pods, a.clients))
    sent, failures = {}, []

    async def creator(conn):
        for i in names:
            body = pod_body(i)
            sent[f"p-{i:06d}"] = time.monotonic()
            st, b = await conn.request("POST", f"/api/v1/namespaces/{NS}/pods", body)
            if st != 201:
                failures.append((st, b[:200].decode(errors="replace")))

    async def run():
        conns = await asyncio.gather(*[Conn.open(port, ctx, token) for _ in range(a.conns)])
        start.wait()
        await asyncio.gather(*[creator(c) for c in conns])
        done = time.monotonic()
        for c in conns:
            c.close()
        return done
    done = asyncio.run(run())
    out.put((sent, failures, done))


def watch_pods(cluster, rv, bound, running, finished, errors):
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=cluster.ctx, timeout=a.timeout)
        conn.request("GET", f"/api/v1/namespaces/{NS}/pods?watch=1&resourceVersion={rv}&timeoutSeconds={int(a.timeout)}",
                     headers={"Authorization": f"Bearer {cluster.token}", "Accept": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"watch answered {resp.status}")
        while len(running) < a.pods:
            line = resp.readline()
            if not line:
                break
            now = time.monotonic()
            obj = json.loads(line)["object"]
            name = obj["metadata"]["name"]
            if name not in bound and obj["spec"].get("nodeName"):
                bound[name] = now
            if name not in running and any(c["type"] == "Ready" and c["status"] == "True"
                                           for c in obj.get("status", {}).get("conditions", [])):
                running[name] = now
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported in the result
        errors.append(repr(e))
    finally:
        finished.set()


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def main():
    data = tempfile.mkdtemp(prefix="skiff-cluster-bench-", dir="/var/tmp")
    cluster = None
    try:
        cluster = Cluster(a.bin, data, a.port)
        cluster.start_sim(a.nodes)
        nodes_s = cluster.wait_nodes_ready(a.nodes)
        time.sleep(2)  # the scheduler's informers see every node; node registration's writes settle
        cluster.call("POST", "/api/v1/namespaces", ensure_namespace_body(NS))
        st, body = cluster.call("GET", f"/api/v1/namespaces/{NS}/pods?limit=1")
        rv = json.loads(body)["metadata"]["resourceVersion"]
        bound, running, errors = {}, {}, []
        finished = threading.Event()
        threading.Thread(target=watch_pods, args=(cluster, rv, bound, running, finished, errors), daemon=True).start()
        import base64
        import re
        with open(os.path.join(data, "kubeconfig")) as f:
            ca = base64.b64decode(re.search(r"certificate-authority-data:\s*(\S+)", f.read()).group(1)).decode()
        start, out = mp.Event(), mp.Queue()
        procs = [mp.Process(target=client_proc, args=(i, cluster.port, cluster.token, ca, start, out))
                 for i in range(a.clients)]
        for pr in procs:
            pr.start()
        time.sleep(1.0)  # connections open
        s0, m0 = cpu_seconds(cluster.server.pid), cpu_seconds(cluster.sim.pid)
        t0 = time.monotonic()
        start.set()
        sent, failures, created = {}, [], []
        for _ in procs:
            s, f, d = out.get(timeout=a.timeout)
            sent.update(s)
            failures += f
            created.append(d)
        for pr in procs:
            pr.join()
        finished.wait(a.timeout)
        s1, m1 = cpu_seconds(cluster.server.pid), cpu_seconds(cluster.sim.pid)
        first = min(sent.values()) if sent else t0
        last_bound = max(bound.values()) if bound else None
        last_running = max(running.values()) if running else None
        lat = [(bound[n] - sent[n]) * 1000 for n in bound if n in sent]
        res = {
            "nodes": a.nodes, "pods": a.pods, "clients": a.clients, "conns": a.conns,
            "create_failures": len(failures), "watch_errors": errors,
            "nodes_ready_s": round(nodes_s, 2),
            "create_s": round(max(created) - first, 3),
            "bound": len(bound), "running": len(running),
            "bound_s": round(last_bound - first, 3) if last_bound else None,
            "running_s": round(last_running - first, 3) if last_running else None,
            "pods_per_s": round(len(bound) / (last_bound - first)) if last_bound else None,
            "latency_p50_ms": round(pct(lat, 0.50), 1) if lat else None,
            "latency_p99_ms": round(pct(lat, 0.99), 1) if lat else None,
            "server_cpu_s": round(s1 - s0, 2), "sim_cpu_s": round(m1 - m0, 2),
            "server_rss_mb": round(status_mb(cluster.server.pid, "VmRSS"), 1),
            "server_peak_rss_mb": round(status_mb(cluster.server.pid, "VmHWM"), 1),
        }
        if failures:
            print("create failures (first 3):", failures[:3], file=sys.stderr)
        print(json.dumps(res))
        return 0 if len(bound) == a.pods and not failures else 1
    finally:
        if cluster:
            cluster.stop()
        if os.environ.get("SKIFF_KEEP_DATA") != "1":
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    mp.set_start_method("fork")
    sys.exit(main())
