"""Integration-test support: start the real `skiff` binary and drive it with the real kubectl
and the official Python client, as a user would.

Fixtures:
  skiff_server   session-scoped server in a temporary data dir (log in <dir>/skiff.log)
  kubectl        kubectl(*args, input=None, check=True, ...) -> (rc, stdout, stderr) against it
  ns             a fresh namespace per test (created, then deleted with --wait=false)
  api_client     kubernetes.client.ApiClient configured from the server's kubeconfig
  core_v1        kubernetes.client.CoreV1Api on that client
  fresh_server   a new server per test (for tests that stop, kill or restart it)

Environment: SKIFF_BIN (default .build/debug/skiff next to this directory), KUBECTL
(default /usr/bin/kubectl, the dispatcher that picks a kubectl by the server's version).
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIFF_BIN = os.environ.get("SKIFF_BIN", os.path.join(ROOT, ".build", "debug", "skiff"))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
KUBECTL_VERSIONED = "/usr/lib/google-cloud-sdk/bin/kubectl.{}"
SEED_DIR = os.environ.get("SKIFF_SEED_DIR", "/work/shared/seed")

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0



def stop_process(proc, timeout=10):
    """SIGTERM to a process this test started, SIGKILL after `timeout`; waits for it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port():
    """A port nobody listens on right now (bind to port 0 on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KubectlError(AssertionError):
    pass


class SkiffServer:
    """One `skiff server` process on a data dir. Restartable on the same dir and port."""

    def __init__(self, data_dir, port=None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.log_path = os.path.join(data_dir, "skiff.log")
        self.cache_dir = os.path.join(data_dir, "kubectl-cache")
        self.proc = None
        self._log = None
        self.starts = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "kubeconfig")

    def start(self, timeout=START_TIMEOUT):
        if not os.path.exists(SKIFF_BIN):
            pytest.fail(f"skiff binary not found at {SKIFF_BIN} (build it, or set SKIFF_BIN)")
        self._log = open(self.log_path, "ab")
        self.starts += 1
        self._log.write(f"\n===== test harness: start #{self.starts} on port {self.port} =====\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            [SKIFF_BIN, "server", "--data-dir", self.data_dir, "--port", str(self.port),
             "--bind-address", "127.0.0.1"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(
                    f"skiff exited with {rc} before becoming ready\n{self.log_tail()}")
            if os.path.exists(self.kubeconfig):
                try:
                    status, body = self.raw_get("/readyz", timeout=2)
                    if status == 200 and body.strip() == b"ok":
                        return
                    last = f"/readyz -> {status} {body[:200]!r}"
                except (OSError, ssl.SSLError, http.client.HTTPException, ValueError, KeyError) as e:
                    last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"skiff not ready after {timeout}s (last: {last})\n{self.log_tail()}")

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM to our own process, SIGKILL after `timeout`. Returns the exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        stop_process(proc, timeout)
        self._close_log()
        return proc.returncode

    def kill9(self):
        """SIGKILL our own process (a crash), and reap it."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        self._close_log()
        return proc.returncode

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines=80):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode(errors="replace").splitlines()
        except OSError:
            return "(no skiff log)"
        return "\n".join(data[-lines:])

    # ---- clients -----------------------------------------------------------------------

    def _kubeconfig_parts(self, kubeconfig=None):
        with open(kubeconfig or self.kubeconfig) as f:
            cfg = yaml.safe_load(f)
        cluster = cfg["clusters"][0]["cluster"]
        user = cfg["users"][0]["user"]
        return cluster, user

    def raw_get(self, path, timeout=5, kubeconfig=None):
        """GET over HTTPS with the kubeconfig's CA and token (used to poll readiness)."""
        status, _, body = self.request("GET", path, timeout=timeout, kubeconfig=kubeconfig)
        return status, body

    def request(self, method, path, body=None, content_type="application/json", timeout=5,
                kubeconfig=None, accept="application/json"):
        """One HTTPS request with the kubeconfig's CA and token: (status, headers, body bytes).

        For what kubectl and the Python client cannot send (e.g. duplicate JSON keys)."""
        cluster, user = self._kubeconfig_parts(kubeconfig)
        ctx = ssl.create_default_context(
            cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        m = re.match(r"https://([^:/]+):(\d+)", cluster["server"])
        conn = http.client.HTTPSConnection(m.group(1), int(m.group(2)), context=ctx, timeout=timeout)
        try:
            headers = {"Accept": accept}
            if user.get("token"):
                headers["Authorization"] = "Bearer " + user["token"]
            if body is not None:
                headers["Content-Type"] = content_type
                if isinstance(body, str):
                    body = body.encode()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def kubectl(self, *args, input=None, check=True, timeout=60, env=None, binary=None,
                kubeconfig=None):
        """Run kubectl against this server. Returns (rc, stdout, stderr).

        With check=True a non-zero exit fails the test showing stderr."""
        cmd = [binary or KUBECTL, "--kubeconfig", kubeconfig or self.kubeconfig,
               "--cache-dir", self.cache_dir, *[str(a) for a in args]]
        full_env = dict(os.environ)
        full_env["KUBECONFIG"] = kubeconfig or self.kubeconfig
        full_env.pop("HTTPS_PROXY", None)
        full_env.pop("https_proxy", None)
        full_env["NO_PROXY"] = "127.0.0.1,localhost"
        if env:
            full_env.update(env)
        try:
            p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                               timeout=timeout, env=full_env)
        except subprocess.TimeoutExpired as e:
            raise KubectlError(f"timeout after {timeout}s: {' '.join(cmd)}\n"
                               f"stdout: {e.stdout}\nstderr: {e.stderr}")
        if check and p.returncode != 0:
            raise KubectlError(f"kubectl {' '.join(str(a) for a in args)} exited {p.returncode}\n"
                               f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p.returncode, p.stdout, p.stderr

    def get_json(self, *args, **kw):
        _, out, _ = self.kubectl("get", *args, "-o", "json", **kw)
        return json.loads(out)

    def api_client(self, kubeconfig=None):
        from kubernetes import client, config
        cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig or self.kubeconfig, client_configuration=cfg)
        return client.ApiClient(cfg)


class Kubectl:
    """The `kubectl` fixture: callable like kubectl(*args, input=None, check=True)."""

    def __init__(self, server):
        self.server = server

    def __call__(self, *args, **kw):
        return self.server.kubectl(*args, **kw)

    def json(self, *args, **kw):
        return self.server.get_json(*args, **kw)


def _new_server():
    d = tempfile.mkdtemp(prefix="skiff-it-")
    return SkiffServer(d)


@pytest.fixture(scope="session")
def skiff_server():
    server = _new_server()
    server.start()
    yield server
    server.stop()
    if os.environ.get("SKIFF_KEEP_DATA") != "1":
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def kubectl(skiff_server):
    return Kubectl(skiff_server)


def _ns_name(nodeid):
    base = re.sub(r"[^a-z0-9]+", "-", nodeid.split("::")[-1].lower()).strip("-")
    return f"t-{base[:40].strip('-')}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def ns(request, kubectl):
    name = _ns_name(request.node.nodeid)
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def api_client(skiff_server):
    c = skiff_server.api_client()
    yield c
    c.close()


@pytest.fixture(scope="session")
def core_v1(api_client):
    from kubernetes import client
    return client.CoreV1Api(api_client)


@pytest.fixture
def fresh_server():
    server = _new_server()
    server.start()
    yield server
    server.stop()
    if os.environ.get("SKIFF_KEEP_DATA") != "1":
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture
def seed_dir():
    return SEED_DIR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of the log of every skiff server the test used."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    funcargs = getattr(item, "funcargs", {}) or {}
    seen = set()
    for value in funcargs.values():
        server = value if isinstance(value, SkiffServer) else getattr(value, "server", None)
        if isinstance(server, SkiffServer) and id(server) not in seen:
            seen.add(id(server))
            rep.sections.append((f"skiff log ({server.log_path}, last lines)", server.log_tail()))
