#!/usr/bin/env python3
"""Pod start-up on one real node: `skiff up` (control plane and node agent in one process) runs
busybox Pods as runc containers, inside a network namespace this script creates.

Measures, each time from the create request sent to phase Running seen on a watch:
  single        one Pod at a time (--runs, default 10), each deleted (and gone) before the next
  single_host   the same with hostNetwork: true (no CNI), to show what the Pod network costs
  burst         --pods (default 100) Pods created at once from 8 threads: p50, p99, max, and
                first create -> last Running
  rss           VmRSS / VmHWM of the `skiff up` process with the burst's Pods running
                (`sleep 3600`); the agent shares that process with the API server, store,
                scheduler and controllers, so this is the whole process, not the agent alone.
                With --split, `skiff server` and `skiff agent` run as two processes instead,
                and the agent's own RSS is reported (the server's too)
  runc          plain `runc run -d` of the same busybox rootfs (its own network namespace, no
                network set up), --runs times: the floor a Pod start is compared with

Prints a table and one JSON line. Needs root, runc, umoci, busybox-static, ip.
Binary: --bin, else .build/release/skiff if it exists, else .build/debug/skiff (debug figures
are pessimistic; the output says which was used).

Example: sudo flock /tmp/skiff-build.lock python3 bench/pods.py
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import load_credentials  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release", "skiff")
DEBUG = os.path.join(ROOT, ".build", "debug", "skiff")
CLONE_NEWNET = 0x40000000

BUILD_IMAGE = r"""
set -euo pipefail
cd "$1"
umoci init --layout oci >/dev/null
umoci new --image oci:latest >/dev/null
umoci unpack --image oci:latest bundle >/dev/null
mkdir -p bundle/rootfs/bin bundle/rootfs/etc bundle/rootfs/tmp
cp /bin/busybox bundle/rootfs/bin/busybox
for a in sh sleep; do ln -s busybox bundle/rootfs/bin/$a; done
echo root:x:0:0:root:/root:/bin/sh > bundle/rootfs/etc/passwd
umoci repack --image oci:latest bundle >/dev/null
umoci config --image oci:latest --config.cmd /bin/sh --config.env PATH=/bin >/dev/null
"""


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def enter_netns(name):
    """Moves this process (before it starts any thread) into /run/netns/<name>."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    with open(f"/run/netns/{name}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")


class API:
    """Bearer-token HTTPS to the API server on 127.0.0.1 (inside the namespace); one keep-alive
    connection per thread."""

    def __init__(self, data_dir):
        token, self.ctx, self.port = load_credentials(data_dir)
        self.host = "127.0.0.1"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=60)
        return c

    def call(self, method, path, body=None):
        c = self.conn()
        headers = dict(self.headers, **({"Content-Type": "application/json"} if body is not None else {}))
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)

    def watch(self, path):
        c = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=600)
        c.request("GET", path, headers=self.headers)
        r = c.getresponse()
        assert r.status == 200, r.status
        return c, r


class RunningWatch:
    """Records, per Pod name, when a watch first showed it Running."""

    def __init__(self, api, ns):
        _, lst = api.call("GET", f"/api/v1/namespaces/{ns}/pods")
        rv = lst["metadata"]["resourceVersion"]
        self.conn, self.resp = api.watch(f"/api/v1/namespaces/{ns}/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=false")
        self.running, self.cond = {}, threading.Condition()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        try:
            for line in self.resp:
                ev = json.loads(line)
                obj = ev["object"]
                if ev["type"] in ("ADDED", "MODIFIED") and obj.get("status", {}).get("phase") == "Running":
                    name = obj["metadata"]["name"]
                    with self.cond:
                        self.running.setdefault(name, time.monotonic())
                        self.cond.notify_all()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # the watch was closed

    def wait(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(n in self.running for n in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [n for n in names if n not in self.running]
                    raise RuntimeError(f"{len(missing)} Pods not Running after {timeout}s: {missing[:5]}")
                self.cond.wait(left)
            return {n: self.running[n] for n in names}

    def close(self):
        # Shut the socket down first: it wakes the reading thread (closing the response while
        # that thread reads from it would wait on the reader's lock forever).
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.conn.close()


def pod(name, host_network=False):
    spec = {"terminationGracePeriodSeconds": 1, "containers": [
        {"name": "c", "image": "busybox", "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"]}]}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}}, "spec": spec}


class Bench:
    def __init__(self, a):
        self.a = a
        self.bin = a.bin or (RELEASE if os.path.exists(RELEASE) else DEBUG)
        self.build = "release" if "/release/" in self.bin else "debug"
        self.root = tempfile.mkdtemp(prefix="skiff-bench-pods-", dir="/var/tmp")
        self.data = os.path.join(self.root, "data")
        self.netns = "skiffbench-" + uuid.uuid4().hex[:8]
        self.proc = None
        self.server = None  # with --split: `skiff server`; self.proc is then `skiff agent`
        # Where the agent keeps images, containers and runc state.
        self.agent_data = os.path.join(self.root, "agent") if a.split else self.data
        self.ns = "default"

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def setup(self):
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        enter_netns(self.netns)
        image = os.path.join(self.root, "image")
        os.makedirs(image)
        subprocess.run(["bash", "-c", BUILD_IMAGE, "build", image], check=True)
        subprocess.run([self.bin, "image", "import", "--data-dir", self.agent_data, os.path.join(image, "oci"), "--name", "busybox"],
                       check=True, capture_output=True)
        self.bundle = os.path.join(image, "bundle")
        log = open(os.path.join(self.root, "skiff.log"), "wb")
        kubeconfig = os.path.join(self.data, "kubeconfig")
        node = ["--node-name", "bench-node", "--log-level", "warning", "--runc", shutil.which(self.a.runtime) or self.a.runtime]
        if self.a.split:
            self.server = subprocess.Popen([self.bin, "server", "--data-dir", self.data, "--port", str(self.a.port),
                                            "--bind-address", "127.0.0.1", "--log-level", "warning"],
                                           stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 60
            while not os.path.exists(kubeconfig):
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("skiff server did not start; see " + os.path.join(self.root, "skiff.log"))
                time.sleep(0.1)
            self.proc = subprocess.Popen([self.bin, "agent", "--kubeconfig", kubeconfig, "--data-dir", self.agent_data,
                                          "--pod-cidr", "10.42.0.0/24"] + node, stdout=log, stderr=subprocess.STDOUT)
        else:
            self.proc = subprocess.Popen([self.bin, "up", "--data-dir", self.data, "--port", str(self.a.port),
                                          "--bind-address", "127.0.0.1"] + node, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("skiff up did not start; see " + os.path.join(self.root, "skiff.log"))
            if os.path.exists(kubeconfig) and os.path.exists(os.path.join(self.data, "admin.token")):
                try:
                    self.api = API(self.data)
                    st, node = self.api.call("GET", "/api/v1/nodes/bench-node")
                    if st == 200 and any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"]):
                        break
                except (OSError, http.client.HTTPException, KeyError, ssl.SSLError):
                    self.api = None
            time.sleep(0.2)

    def create(self, body):
        st, out = self.api.call("POST", f"/api/v1/namespaces/{self.ns}/pods", body)
        if st != 201:
            raise RuntimeError(f"create {body['metadata']['name']}: {st} {out}")

    def delete_all(self, timeout=120):
        self.api.call("DELETE", f"/api/v1/namespaces/{self.ns}/pods?labelSelector=app%3Dbench&gracePeriodSeconds=1")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, lst = self.api.call("GET", f"/api/v1/namespaces/{self.ns}/pods?labelSelector=app%3Dbench")
            if not lst["items"] and not self.containers():
                return
            time.sleep(0.2)
        raise RuntimeError("bench Pods not gone")

    def containers(self):
        out = subprocess.run([self.a.runtime, "--root", os.path.join(self.agent_data, "runc"), "list", "-q"], capture_output=True, text=True).stdout
        return out.split()

    def singles(self, host_network):
        w = RunningWatch(self.api, self.ns)
        times = []
        try:
            for i in range(self.a.runs):
                name = f"single-{'host-' if host_network else ''}{i}"
                began = time.monotonic()
                self.create(pod(name, host_network))
                times.append(w.wait([name], 60)[name] - began)
                self.delete_all()
        finally:
            w.close()
        return times

    def cpu(self):
        """CPU seconds so far: the agent's own, its reaped children's (runc, CNI plugins), the server's."""
        def times(pid):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            tick = os.sysconf("SC_CLK_TCK")
            return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick
        own, children = times(self.proc.pid)
        return {"agent": own, "children": children, "server": times(self.server.pid)[0] if self.server else 0.0}

    def burst(self):
        w = RunningWatch(self.api, self.ns)
        names = [f"burst-{i:03d}" for i in range(self.a.pods)]
        sent = {}

        def one(name):
            sent[name] = time.monotonic()
            self.create(pod(name))
        try:
            with ThreadPoolExecutor(8) as ex:
                list(ex.map(one, names))
            seen = w.wait(names, 600)
        finally:
            w.close()
        lat = [seen[n] - sent[n] for n in names]
        return lat, max(seen.values()) - min(sent.values())

    def rss(self):
        pid = self.proc.pid
        kids = subprocess.run(["ps", "-o", "pid=,comm=,rss=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split("\n")
        helpers = [k.split() for k in kids if k.strip() and k.split()[1] != "sleep"]
        return {"rss_mb": status_kb(pid, "VmRSS") / 1024, "hwm_mb": status_kb(pid, "VmHWM") / 1024,
                "server_rss_mb": status_kb(self.server.pid, "VmRSS") / 1024 if self.server else None,
                "containers": sum(1 for k in kids if k.strip() and k.split()[1] == "sleep"),
                "helper_processes": helpers}

    def plain_runc(self):
        cfg_path = os.path.join(self.bundle, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["sleep", "3600"]
        cfg["process"]["env"] = ["PATH=/bin"]
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        state = os.path.join(self.root, "runc-plain")
        times = []
        for i in range(self.a.runs):
            cid = f"skiff-bench-plain-{i}"
            began = time.monotonic()
            # Not a pipe: the detached container would hold its write end open.
            with open(os.path.join(self.root, "runc-plain.err"), "w+") as err:
                p = subprocess.run([self.a.runtime, "--root", state, "run", "-d", "--bundle", self.bundle, cid],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
                times.append(time.monotonic() - began)
                if p.returncode != 0:
                    err.seek(0)
                    raise RuntimeError(f"{self.a.runtime} run: " + err.read())
            subprocess.run([self.a.runtime, "--root", state, "kill", cid, "KILL"], capture_output=True)
            deadline = time.monotonic() + 10
            while json.loads(subprocess.run([self.a.runtime, "--root", state, "state", cid], capture_output=True,
                                            text=True).stdout or "{}").get("status") == "running":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{cid} did not stop")
                time.sleep(0.05)
            d = subprocess.run([self.a.runtime, "--root", state, "delete", "--force", cid], capture_output=True, text=True)
            if d.returncode != 0:
                raise RuntimeError(f"{self.a.runtime} delete {cid}: {d.stderr}")
        return times

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            try:
                if self.api:
                    self.delete_all()
            except Exception as e:  # the forced cleanup below still runs
                self.log(f"cleanup: {e}")
        for proc in (self.proc, self.server):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for root in (os.path.join(self.agent_data, "runc"), os.path.join(self.root, "runc-plain")):
            out = subprocess.run([self.a.runtime, "--root", root, "list", "-q"], capture_output=True, text=True).stdout
            for cid in out.split():
                subprocess.run([self.a.runtime, "--root", root, "delete", "--force", cid], capture_output=True)
        mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout.split()
        for m in sorted((m for m in mounts if m.startswith(self.root)), key=len, reverse=True):
            subprocess.run(["umount", "-l", m])
        subprocess.run(["ip", "netns", "del", self.netns])
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", help="skiff binary (default: release build if present, else debug)")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--pods", type=int, default=100)
    p.add_argument("--port", type=int, default=16743)
    p.add_argument("--split", action="store_true", help="run `skiff server` and `skiff agent` as two processes")
    p.add_argument("--runtime", default="runc", help="the OCI runtime: runc (default) or crun, for the agent and the plain baseline")
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so the cleanup runs
    b = Bench(a)
    b.log(f"binary: {b.bin} ({b.build} build)")
    try:
        b.setup()
        b.log("plain runc run -d ...")
        plain = b.plain_runc()
        b.log(f"{a.runs} single Pods ...")
        single = b.singles(False)
        b.log(f"{a.runs} single hostNetwork Pods ...")
        single_host = b.singles(True)
        b.log(f"{a.pods} Pods at once ...")
        cpu_before = b.cpu()
        burst, burst_all = b.burst()
        cpu_burst = {k: v - cpu_before[k] for k, v in b.cpu().items()}
        time.sleep(2)
        rss = b.rss()
    finally:
        b.cleanup()
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    result = {
        "build": b.build, "binary": b.bin, "runs": a.runs, "pods": a.pods,
        "single_p50_ms": ms(statistics.median(single)), "single_max_ms": ms(max(single)),
        "single_host_p50_ms": ms(statistics.median(single_host)), "single_host_max_ms": ms(max(single_host)),
        "burst_p50_ms": ms(percentile(burst, 50)), "burst_p99_ms": ms(percentile(burst, 99)), "burst_max_ms": ms(max(burst)),
        "burst_all_running_s": round(burst_all, 2),
        # CPU spent while the burst started, per Pod: what bounds it on this machine's cores.
        "burst_cpu_per_pod_ms": {k: ms(v / a.pods) for k, v in cpu_burst.items()},
        "split": a.split, "process_rss_mb": round(rss["rss_mb"], 1), "process_peak_rss_mb": round(rss["hwm_mb"], 1),
        "server_rss_mb": rss["server_rss_mb"] and round(rss["server_rss_mb"], 1),
        "containers_running_at_rss": rss["containers"], "helper_processes": rss["helper_processes"],
        "runc_run_p50_ms": ms(statistics.median(plain)), "runc_run_max_ms": ms(max(plain)),
        "overhead_p50_ms": ms(statistics.median(single) - statistics.median(plain)),
        "overhead_host_p50_ms": ms(statistics.median(single_host) - statistics.median(plain)),
    }
    rows = [("binary", f"{b.bin} ({b.build})"),
            (f"1 Pod, create -> Running (x{a.runs})", f"p50 {result['single_p50_ms']} ms, max {result['single_max_ms']} ms"),
            ("  same, hostNetwork", f"p50 {result['single_host_p50_ms']} ms, max {result['single_host_max_ms']} ms"),
            (f"{a.pods} Pods at once, create -> Running", f"p50 {result['burst_p50_ms']} ms, p99 {result['burst_p99_ms']} ms, "
                                                        f"all Running after {result['burst_all_running_s']} s"),
            ("  CPU per Pod during it", ", ".join(f"{k} {v} ms" for k, v in result["burst_cpu_per_pod_ms"].items())
             + " (children: runc and CNI plugins)"),
            (f"{'skiff agent' if a.split else 'skiff up'} RSS, {rss['containers']} containers running",
             f"{result['process_rss_mb']} MB (peak {result['process_peak_rss_mb']} MB)"
             + (f"; skiff server {result['server_rss_mb']} MB" if a.split else "")),
            (f"plain runc run -d (x{a.runs})", f"p50 {result['runc_run_p50_ms']} ms"),
            ("start overhead over runc run", f"{result['overhead_p50_ms']} ms (hostNetwork: {result['overhead_host_p50_ms']} ms)")]
    for k, v in rows:
        print(f"{k:45} {v}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
