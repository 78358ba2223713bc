"""`kubectl port-forward` and `kubectl attach` against the node agent, end to end.

As tests/test_agent.py: `skiff up` runs inside a network namespace this test creates, kubectl
runs in it too, and the forwarded port is fetched from 127.0.0.1 inside that namespace. The Pod's
server listens only on its own network namespace, so a working forward proves the agent dialled
inside the Pod's namespace. Needs root, runc, umoci, busybox-static, ip and nsenter.
"""
import json
import os
import select
import subprocess
import time

import pytest

from conftest import KUBECTL, KUBECTL_VERSIONED
from test_agent import apply, pod, pytestmark, started_node, wait_for  # noqa: F401  (pytestmark: same requirements)

HTTPD = ["/bin/busybox", "sh", "-c",
         "mkdir -p /www && echo hello-from-pod > /www/index.html"
         " && /bin/busybox dd if=/dev/zero bs=1024 count=8192 2>/dev/null | /bin/busybox tr '\\0' x > /www/big"
         " && exec /bin/busybox httpd -f -p 8080 -h /www"]


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-pf-") as n:
        yield n


def running(node, name):
    def ready():
        p = node.get("pod", name)
        statuses = p.get("status", {}).get("containerStatuses", [])
        return p if statuses and all("running" in s["state"] for s in statuses) else None
    return wait_for(f"pod {name} running", ready, timeout=60)


def in_netns(node, *cmd, **kw):
    return ["nsenter", f"--net=/run/netns/{node.netns}", *cmd]


def kubectl_cmd(node, *args, binary=KUBECTL):
    return in_netns(node, binary, "--kubeconfig", node.kubeconfig, "--cache-dir",
                    os.path.join(node.root, "kcache"), *[str(a) for a in args])


def fetch(node, port, request=b"GET / HTTP/1.0\r\n\r\n"):
    """Connects to 127.0.0.1:port inside the test's namespace, sends `request`, reads to EOF."""
    script = ("import socket,sys\n"
              f"s=socket.create_connection(('127.0.0.1',{port}),timeout=10)\n"
              "s.sendall(sys.stdin.buffer.read())\n"
              "out=b''\n"
              "while True:\n"
              "    b=s.recv(65536)\n"
              "    if not b: break\n"
              "    out+=b\n"
              "sys.stdout.buffer.write(out)\n")
    p = subprocess.run(in_netns(node, "python3", "-c", script), input=request, capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


class PortForward:
    """`kubectl port-forward` running in the background until closed."""

    def __init__(self, node, target, mapping, binary=KUBECTL, env=None, extra=()):
        mappings = mapping if isinstance(mapping, list) else [mapping]
        self.proc = subprocess.Popen(kubectl_cmd(node, "port-forward", target, *mappings, *extra, binary=binary),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        self.out = b""
        deadline = time.time() + 30
        while b"Forwarding from" not in self.out:
            if self.proc.poll() is not None or time.time() > deadline:
                self.close()
                raise AssertionError(f"port-forward did not start: {self.out!r} {self.proc.stderr.read()!r}\n{node.log_tail()}")
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                self.out += os.read(self.proc.stdout.fileno(), 4096)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


@pytest.fixture(scope="module")
def web(node):
    apply(node, pod("web", HTTPD))
    return running(node, "web")


def free_port_in(node):
    script = "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"
    return int(subprocess.run(in_netns(node, "python3", "-c", script), capture_output=True, text=True).stdout)


@pytest.mark.parametrize("client", ["default", "spdy-only", "1.27", "1.30"])
def test_port_forward_reaches_the_pods_loopback(node, web, client):
    """kubectl 1.31+ tunnels SPDY in WebSocket messages; older ones, or with the feature turned
    off, upgrade to SPDY/3.1 directly."""
    # Nothing listens on 8080 in the test's own namespace: only the Pod's does.
    assert fetch(node, 8080)[0] != 0
    binary = KUBECTL_VERSIONED.format(client) if client[0].isdigit() else KUBECTL
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not installed")
    env = {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"} if client == "spdy-only" else {}
    local = free_port_in(node)
    pf = PortForward(node, "pod/web", f"{local}:8080", binary=binary, env=env, extra=("-v=7",))
    try:
        assert f"127.0.0.1:{local} -> 8080".encode() in pf.out
        for _ in range(3):  # one stream pair per connection, several in a row
            rc, body, err = fetch(node, local)
            assert rc == 0, err
            assert body.startswith(b"HTTP/1.") and body.endswith(b"hello-from-pod\n"), body
    finally:
        err = pf.close()
    assert "an error occurred" not in err, err
    # client-go logs each tunnelled write at -v=7.
    assert ("tunneling_connection" in err) == (client == "default"), err[-2000:]


def test_port_forward_carries_large_bodies(node, web):
    local = free_port_in(node)
    pf = PortForward(node, "pod/web", f"{local}:8080")
    try:
        # 8 MiB from the Pod: many DATA frames, more than SPDY's initial 64 KiB window.
        rc, body, err = fetch(node, local, b"GET /big HTTP/1.0\r\n\r\n")
        assert rc == 0, err
        head, _, payload = body.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == b"200" and payload == b"x" * (8 << 20), head
        # A request larger than one read on the way in; the answer still comes back.
        rc, body, err = fetch(node, local, b"GET / HTTP/1.0\r\nX-Pad: " + b"a" * 3000 + b"\r\n\r\n")
        assert rc == 0 and body.startswith(b"HTTP/1."), err
    finally:
        pf.close()


def test_port_forward_of_several_ports_and_concurrent_connections(node, web):
    a, b = free_port_in(node), free_port_in(node)
    while b == a:
        b = free_port_in(node)
    pf = PortForward(node, "pod/web", [f"{a}:8080", f"{b}:8080"])
    try:
        procs = [subprocess.Popen(in_netns(node, "python3", "-c",
                                           "import socket,sys\n"
                                           f"s=socket.create_connection(('127.0.0.1',{port}),timeout=10)\n"
                                           "s.sendall(b'GET /big HTTP/1.0\\r\\n\\r\\n')\n"
                                           "out=b''\n"
                                           "while True:\n"
                                           "    d=s.recv(65536)\n"
                                           "    if not d: break\n"
                                           "    out+=d\n"
                                           "print(out.partition(b'\\r\\n\\r\\n')[2].count(b'x'))\n"), stdout=subprocess.PIPE, text=True)
                 for port in (a, b, a, b)]
        sizes = [int(p.communicate(timeout=60)[0]) for p in procs]
        # Four 8 MiB downloads at once over one SPDY connection, each whole.
        assert sizes == [8 << 20] * 4, sizes
    finally:
        pf.close()


def test_port_forward_to_a_closed_port_reports_the_kubelets_error(node, web):
    local = free_port_in(node)
    pf = PortForward(node, "pod/web", f"{local}:9999")
    try:
        rc, body, _ = fetch(node, local)
        assert body == b""
        deadline = time.time() + 10
        while time.time() < deadline and pf.proc.poll() is None:
            time.sleep(0.2)
    finally:
        err = pf.close()
    assert "an error occurred forwarding" in err and "-> 9999" in err, err
    assert "error forwarding port 9999 to pod web" in err, err
    assert "dial tcp4 127.0.0.1:9999: connect: connection refused" in err, err


def test_port_forward_to_a_missing_pod_is_not_found(node):
    rc, _, err = node.kubectl("port-forward", "pod/nope", "18080:80", check=False, timeout=30)
    assert rc != 0 and 'pods "nope" not found' in err, err


def read_until(proc, needle, timeout=20):
    out = b""
    deadline = time.time() + timeout
    while needle not in out and time.time() < deadline and proc.poll() is None:
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
    return out


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_attach_streams_output_written_after_attaching(node):
    apply(node, pod("talker", ["/bin/busybox", "sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done"]))
    running(node, "talker")
    wait_for("some output", lambda: "tick-3" in node.kubectl("logs", "talker")[1])
    proc = subprocess.Popen(kubectl_cmd(node, "attach", "talker", "-c", "main"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = read_until(proc, b"\n", timeout=20)
        out += read_until(proc, b"tick-", timeout=5)
    finally:
        _, err = stop(proc)
    lines = [l for l in out.decode().splitlines() if l.startswith("tick-")]
    assert lines, (out, err, node.log_tail())
    # Not a replay of the log: what was written before attaching does not come again.
    assert "tick-0" not in lines and int(lines[0].split("-")[1]) >= 3, lines


def test_attach_with_stdin_delivers_input(node):
    manifest = pod("reader", ["/bin/busybox", "sh", "-c", "echo ready; while read line; do echo got:$line; done"])
    manifest["spec"]["containers"][0]["stdin"] = True
    apply(node, manifest)
    running(node, "reader")
    proc = subprocess.Popen(kubectl_cmd(node, "attach", "-i", "reader"), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1)
        proc.stdin.write(b"hello\n")
        proc.stdin.flush()
        out = read_until(proc, b"got:hello", timeout=20)
    finally:
        _, err = stop(proc)
    assert b"got:hello" in out, (out, err, node.log_tail())
    # The container still runs after the client detached, and its log has the echo.
    assert "got:hello" in node.kubectl("logs", "reader")[1]
    assert "running" in node.get("pod", "reader")["status"]["containerStatuses"][0]["state"]


def test_attach_to_a_missing_container_is_an_error(node, web):
    rc, _, err = node.kubectl("attach", "web", "-c", "nope", check=False, timeout=30)
    assert rc != 0 and "nope" in err, err


@pytest.mark.parametrize("version", ["1.27", "1.29"])
def test_kubectl_before_1_30_runs_exec_and_attach_over_spdy(node, web, version):
    binary = KUBECTL_VERSIONED.format(version)
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not installed")

    def run(*args, input=None):
        p = subprocess.run(kubectl_cmd(node, *args, binary=binary), input=input, capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    rc, out, err = run("exec", "web", "--", "echo", "hi")
    assert (rc, out) == (0, "hi\n"), err
    rc, out, err = run("exec", "web", "--", "sh", "-c", "echo oops >&2; exit 3")
    assert rc == 3 and "oops" in err, (out, err)
    rc, out, err = run("exec", "-i", "web", "--", "cat", input=b"through stdin\n")
    assert (rc, out) == (0, "through stdin\n"), err

    name = "reader-" + version.replace(".", "-")
    manifest = pod(name, ["/bin/busybox", "sh", "-c", "while read line; do echo got:$line; done"])
    manifest["spec"]["containers"][0]["stdin"] = True
    apply(node, manifest)
    running(node, name)
    proc = subprocess.Popen(kubectl_cmd(node, "attach", "-i", name, binary=binary), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1)
        proc.stdin.write(b"old-client\n")
        proc.stdin.flush()
        out = read_until(proc, b"got:old-client", timeout=20)
    finally:
        _, err = stop(proc)
    assert b"got:old-client" in out, (out, err, node.log_tail())
