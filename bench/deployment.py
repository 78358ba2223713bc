#!/usr/bin/env python3
"""A Deployment of R replicas from apply to all Ready: `skiff server` plus `skiff sim --nodes N`,
one server-side apply of the Deployment, then its status polled (every 50 ms on a kept-alive
connection) until updatedReplicas, readyReplicas and availableReplicas all equal R for the
current generation (what `kubectl rollout status` waits for).

Prints one JSON line: ready_s (apply sent -> all Ready), apply_ms, server_cpu_s over that span,
server_rss_mb (VmRSS at the end), server_peak_rss_mb (VmHWM), sim_cpu_s.

Example: python3 bench/deployment.py --replicas 3000 --nodes 100
"""
import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Conn, ensure_namespace_body  # noqa: E402
from proclib import Cluster, cpu_seconds, status_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(ROOT, ".build-release", "release", "skiff"))
p.add_argument("--nodes", type=int, default=100)
p.add_argument("--replicas", type=int, default=3000)
p.add_argument("--port", type=int, default=16743)
p.add_argument("--timeout", type=float, default=300.0)
a = p.parse_args()

NS = "bench-deploy"


def deployment():
    labels = {"app": "web"}
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": NS},
                       "spec": {"replicas": a.replicas, "selector": {"matchLabels": labels},
                                "template": {"metadata": {"labels": labels},
                                             "spec": {"containers": [{"name": "c", "image": "registry.local/web:1",
                                                                      "resources": {"requests": {"cpu": "10m",
                                                                                                 "memory": "16Mi"}}}]}}}}
                      ).encode()


async def run(cluster):
    conn = await Conn.open(cluster.port, cluster.ctx, cluster.token)
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/web"
    s0, m0 = cpu_seconds(cluster.server.pid), cpu_seconds(cluster.sim.pid)
    t0 = time.monotonic()
    conn.writer.write(conn.head("PATCH", path + "?fieldManager=bench", deployment(),
                                "Content-Type: application/apply-patch+yaml\r\n").replace(
        b"Content-Type: application/json\r\n", b""))
    st, headers = await conn.read_head()
    body = await conn.read_body(headers)
    apply_ms = (time.monotonic() - t0) * 1000
    if st not in (200, 201):
        raise RuntimeError(f"apply answered {st}: {body[:300]!r}")
    seen = {}
    while time.monotonic() - t0 < a.timeout:
        st, body = await conn.request("GET", path)
        d = json.loads(body)
        s = d.get("status", {})
        now = time.monotonic() - t0
        for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if s.get(k, 0) >= a.replicas and k not in seen:
                seen[k] = round(now, 3)
        if (s.get("observedGeneration", 0) >= d["metadata"]["generation"]
                and all(s.get(k, 0) == a.replicas for k in ("updatedReplicas", "readyReplicas", "availableReplicas"))):
            break
        await asyncio.sleep(0.05)
    ready_s = time.monotonic() - t0
    s1, m1 = cpu_seconds(cluster.server.pid), cpu_seconds(cluster.sim.pid)
    conn.close()
    return {"replicas": a.replicas, "nodes": a.nodes, "apply_ms": round(apply_ms, 1),
            "ready_s": round(ready_s, 3), "all_ready": len(seen) == 4, "first_reached_s": seen,
            "server_cpu_s": round(s1 - s0, 2), "sim_cpu_s": round(m1 - m0, 2),
            "server_rss_mb": round(status_mb(cluster.server.pid, "VmRSS"), 1),
            "server_peak_rss_mb": round(status_mb(cluster.server.pid, "VmHWM"), 1)}


def main():
    data = tempfile.mkdtemp(prefix="skiff-deploy-bench-", dir="/var/tmp")
    cluster = None
    try:
        cluster = Cluster(a.bin, data, a.port)
        cluster.start_sim(a.nodes)
        nodes_s = cluster.wait_nodes_ready(a.nodes)
        time.sleep(2)
        cluster.call("POST", "/api/v1/namespaces", ensure_namespace_body(NS))
        time.sleep(0.5)  # the namespace's default ServiceAccount
        res = asyncio.run(run(cluster))
        res["nodes_ready_s"] = round(nodes_s, 2)
        print(json.dumps(res))
        return 0 if res["all_ready"] else 1
    finally:
        if cluster:
            cluster.stop()
        if os.environ.get("SKIFF_KEEP_DATA") != "1":
            shutil.rmtree(data, ignore_errors=True)


sys.exit(main())
