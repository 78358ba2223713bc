"""The seed's flow through the real binary and the real kubectl: a quick end-to-end check."""
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "..", "shared", "seed")
SKIFF = os.environ.get("SKIFF_BIN", os.path.join(ROOT, ".build", "debug", "skiff"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp(prefix="skiff-smoke-")
    port = free_port()
    log = open(os.path.join(data, "server.log"), "w")
    proc = subprocess.Popen([SKIFF, "server", "--data-dir", data, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    kubeconfig = os.path.join(data, "kubeconfig")
    deadline = time.time() + 20
    while time.time() < deadline:
        if os.path.exists(kubeconfig):
            r = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/readyz"], capture_output=True, text=True)
            if r.stdout.strip() == "ok":
                break
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("skiff did not become ready: " + open(os.path.join(data, "server.log")).read())
    yield kubeconfig
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def kubectl(kubeconfig, *args, stdin=None):
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, input=stdin)


def test_standard_namespaces(server):
    out = kubectl(server, "get", "namespaces", "-o", "name").stdout.split()
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]:
        assert f"namespace/{ns}" in out


def test_seed_deployment_v1beta1(server):
    r = kubectl(server, "apply", "-f", os.path.join(SEED, "serviceaccount.yaml"))
    assert r.returncode == 0, r.stderr
    assert "serviceaccount/my-serviceaccount created" in r.stdout
    r = kubectl(server, "apply", "-f", os.path.join(SEED, "deployment-v1beta1.yaml"))
    assert r.returncode == 0, r.stderr
    assert "deployment.apps/myapp created" in r.stdout
    assert "apps/v1beta1 Deployment is deprecated" in r.stderr
    r = kubectl(server, "get", "deployment", "myapp", "-o", "jsonpath={.apiVersion} {.spec.selector.matchLabels.app}")
    assert r.stdout == "apps/v1 myapp"


def test_pod_spec_is_immutable_but_template_is_not(server):
    pod = """
apiVersion: v1
kind: Pod
metadata: {name: mypod}
spec:
  containers:
  - name: main
    image: busybox
    env: [{name: A, value: b}]
"""
    assert kubectl(server, "apply", "-f", "-", stdin=pod).returncode == 0
    patch = '{"spec":{"containers":[{"name":"main","image":"busybox:2"}],"restartPolicy":"Never"}}'
    r = kubectl(server, "patch", "pods", "mypod", "-p", patch)
    assert r.returncode != 0
    assert "Forbidden: pod updates may not change fields other than" in r.stderr
    r = kubectl(server, "patch", "pods", "mypod", "-p", '{"spec":{"containers":[{"name":"main","env":[]}]}}')
    assert r.returncode == 0, r.stderr
    assert "pod/mypod patched (no change)" in r.stdout
    before = kubectl(server, "get", "deployment", "myapp", "-o", "jsonpath={.metadata.generation}").stdout
    r = kubectl(server, "patch", "deployment", "myapp", "-p",
                '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"X","value":"1"}]}]}}}}')
    assert r.returncode == 0, r.stderr
    assert "deployment.apps/myapp patched" in r.stdout
    after = kubectl(server, "get", "deployment", "myapp", "-o", "jsonpath={.metadata.generation}").stdout
    assert int(after) == int(before) + 1


def test_replace_force_recreates(server):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rotate}\ndata: {token: '%s'}\n"
    assert kubectl(server, "apply", "-f", "-", stdin=cm % secrets.token_hex(4)).returncode == 0
    uid = kubectl(server, "get", "cm", "rotate", "-o", "jsonpath={.metadata.uid}").stdout
    r = kubectl(server, "replace", "--force", "-f", "-", stdin=cm % secrets.token_hex(4))
    assert r.returncode == 0, r.stderr
    assert kubectl(server, "get", "cm", "rotate", "-o", "jsonpath={.metadata.uid}").stdout != uid


def test_errors_as_kubectl_prints_them(server):
    r = kubectl(server, "get", "configmap", "nope")
    assert 'Error from server (NotFound): configmaps "nope" not found' in r.stderr
    r = kubectl(server, "get", "pods", "-n", "missing-ns", "x")
    assert "NotFound" in r.stderr


def test_explain(server):
    r = kubectl(server, "explain", "deployment.spec.replicas")
    assert r.returncode == 0, r.stderr
    assert "replicas" in r.stdout and "<integer>" in r.stdout
