#!/usr/bin/env python3
"""Authorization cost for a ServiceAccount: `skiff server` (RBAC on), a ServiceAccount bound to
the `view` ClusterRole in `default`, then --requests GETs of one ConfigMap with its token from
--conns keep-alive connections. The same GETs with the admin token (system:masters, allowed
without a rule) are the baseline.

Prints one JSON line: requests/s and server CPU per request, for the ServiceAccount and the admin.

Example: python3 bench/rbac.py --bin /tmp/build-osize/release/skiff
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
from benchlib import Conn  # noqa: E402
from proclib import Cluster, cpu_seconds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(ROOT, ".build-release", "release", "skiff"))
p.add_argument("--requests", type=int, default=4000)
p.add_argument("--conns", type=int, default=4)
p.add_argument("--port", type=int, default=16743)
a = p.parse_args()

PATH = "/api/v1/namespaces/default/configmaps/kube-root-ca.crt"


def run(cluster, token):
    async def go():
        conns = await asyncio.gather(*[Conn.open(cluster.port, cluster.ctx, token) for _ in range(a.conns)])
        left = [a.requests]
        codes = {}

        async def worker(conn):
            while left[0] > 0:
                left[0] -= 1
                st, _ = await conn.request("GET", PATH)
                codes[st] = codes.get(st, 0) + 1
        c0, t0 = cpu_seconds(cluster.server.pid), time.monotonic()
        await asyncio.gather(*[worker(c) for c in conns])
        t1, c1 = time.monotonic(), cpu_seconds(cluster.server.pid)
        for c in conns:
            c.close()
        return {"requests_per_s": round(a.requests / (t1 - t0)), "server_cpu_us_per_request": round((c1 - c0) / a.requests * 1e6),
                "codes": codes}
    return asyncio.run(go())


def main():
    data = tempfile.mkdtemp(prefix="skiff-rbac-bench-", dir="/var/tmp")
    cluster = None
    try:
        cluster = Cluster(a.bin, data, a.port)
        for _ in range(100):  # the root CA ConfigMap is published by a controller
            if cluster.call("GET", PATH)[0] == 200:
                break
            time.sleep(0.1)
        cluster.call("POST", "/api/v1/namespaces/default/serviceaccounts",
                     json.dumps({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}}).encode())
        cluster.call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", json.dumps({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}]}).encode())
        st, body = cluster.call("POST", "/api/v1/namespaces/default/serviceaccounts/reader/token",
                                json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}).encode())
        token = json.loads(body)["status"]["token"]
        run(cluster, token)  # warm-up
        result = {"serviceaccount": run(cluster, token), "admin": run(cluster, cluster.token)}
        print(json.dumps(result))
        return 0 if set(result["serviceaccount"]["codes"]) == {200} else 1
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
