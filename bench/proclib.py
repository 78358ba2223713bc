"""Process helpers shared by bench/cluster.py and bench/deployment.py: start `skiff server` and
`skiff sim` on a fresh data dir (127.0.0.1 only), read CPU and peak RSS from /proc, stop them by
their own pids."""
import asyncio
import json
import os
import signal
import subprocess
import time

from benchlib import Conn, load_credentials


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_mb(pid, key):
    """A VmRSS / VmHWM line of /proc/<pid>/status in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


async def request(port, ctx, token, method, path, body=None, extra=""):
    c = await Conn.open(port, ctx, token)
    try:
        if extra:
            c.writer.write(c.head(method, path, body, extra))
            status, headers = await c.read_head()
            return status, await c.read_body(headers)
        return await c.request(method, path, body)
    finally:
        c.close()


class Cluster:
    """skiff server (and later skiff sim) on data_dir; stop() ends both."""

    def __init__(self, binary, data_dir, port):
        self.bin, self.data, self.procs = binary, data_dir, []
        log = open(os.path.join(data_dir, "server.log"), "wb")
        self.server = subprocess.Popen([binary, "server", "--data-dir", data_dir, "--port", str(port),
                                        "--bind-address", "127.0.0.1", "--log-level", "warning"],
                                       stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(self.server)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(data_dir, "kubeconfig")):
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        self.token, self.ctx, self.port = load_credentials(data_dir)
        while True:
            try:
                st, _ = self.call("GET", "/readyz")
                if st == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready")
            time.sleep(0.05)
        self.sim = None

    def call(self, method, path, body=None, extra=""):
        return asyncio.run(request(self.port, self.ctx, self.token, method, path, body, extra))

    def start_sim(self, nodes):
        log = open(os.path.join(self.data, "sim.log"), "wb")
        self.sim = subprocess.Popen([self.bin, "sim", "--nodes", str(nodes), "--kubeconfig",
                                     os.path.join(self.data, "kubeconfig"), "--log-level", "warning"],
                                    stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(self.sim)

    def wait_nodes_ready(self, nodes, timeout=300):
        t0 = time.monotonic()
        while True:
            st, body = self.call("GET", "/api/v1/nodes")
            items = json.loads(body)["items"] if st == 200 else []
            ready = sum(1 for n in items if any(c["type"] == "Ready" and c["status"] == "True"
                                                 for c in n.get("status", {}).get("conditions", [])))
            if ready == nodes:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"only {ready} of {nodes} nodes ready")
            time.sleep(0.25)

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
