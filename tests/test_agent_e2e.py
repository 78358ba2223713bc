"""The rest of the node agent's acceptance list, end to end with the real binary and kubectl:
an image pushed to a real `docker-registry` on loopback and pulled by the agent (Pulling and
Pulled, ErrImagePull then ImagePullBackOff for a missing tag), a container over its memory limit
OOMKilled, `kubectl cp` into and out of a running Pod, and `kubectl logs -f` following a
container until it exits.

Uses test_agent.py's `Node` (`skiff up` inside a network namespace this test creates); the
registry runs in that same namespace (`nsenter --net`), on 127.0.0.1 there. The busybox image
here links every busybox applet (kubectl cp needs `tar`). Needs root, runc, umoci,
busybox-static, ip, nsenter, findmnt, docker-registry and skopeo.
"""
import os
import shutil
import subprocess
import time

import pytest

from conftest import KUBECTL, SKIFF_BIN, free_port, stop_process
from test_agent import BUILD_IMAGE, Node, started_node, apply, container_status, pod, running, wait_for

TOOLS = ["runc", "umoci", "ip", "nsenter", "findmnt", "docker-registry", "skopeo", "tar"]
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/bin/busybox") or any(shutil.which(t) is None for t in TOOLS),
    reason="needs root, runc, umoci, busybox-static, ip, nsenter, findmnt, docker-registry, skopeo and tar")

APPLETS = "for a in sh sleep echo cat env hostname ls true false; do ln -s busybox bundle/rootfs/bin/$a; done"
ALL_APPLETS = ("for a in $(/bin/busybox --list); do [ $a = busybox ] || ln -s busybox bundle/rootfs/bin/$a; done")
assert APPLETS in BUILD_IMAGE, "test_agent.BUILD_IMAGE changed: update the applet line here"
BUILD_FULL_IMAGE = BUILD_IMAGE.replace(APPLETS, ALL_APPLETS)

MANIFEST_ACCEPT = ("application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
                   "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")


class FullNode(Node):
    """A `Node` whose busybox image has every applet, and which keeps the OCI layout (to push)."""

    @property
    def layout(self):
        return os.path.join(self.root, "image", "oci")

    def setup(self):
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        os.makedirs(os.path.dirname(self.layout))
        subprocess.run(["bash", "-c", BUILD_FULL_IMAGE, "build", os.path.dirname(self.layout)], check=True)
        subprocess.run([SKIFF_BIN, "image", "import", "--data-dir", self.data, self.layout, "--name", "busybox"],
                       check=True, capture_output=True)

    def in_netns(self, *cmd, **kw):
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.netns}", *cmd], **kw)


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-e2e-", FullNode) as n:
        yield n


class Registry:
    """`docker-registry serve` on 127.0.0.1:<port> inside the node's network namespace."""

    def __init__(self, node):
        self.node = node
        self.port = free_port()
        self.dir = os.path.join(node.root, "registry")
        os.makedirs(os.path.join(self.dir, "storage"))
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {self.dir}/storage\n"
                    f"http:\n  addr: 127.0.0.1:{self.port}\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "wb")
        self.proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{node.netns}", "docker-registry", "serve", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("the registry", lambda: self.curl("/v2/").returncode == 0 or self.dead(), timeout=20)
        assert self.proc.poll() is None, open(os.path.join(self.dir, "registry.log")).read()

    def dead(self):
        return self.proc.poll() is not None

    def curl(self, path, *args):
        return self.node.in_netns("curl", "-sf", *args, f"http://127.0.0.1:{self.port}{path}", capture_output=True, text=True)

    def push(self, layout, repo_tag):
        p = self.node.in_netns("skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:latest",
                               f"docker://127.0.0.1:{self.port}/{repo_tag}", capture_output=True, text=True)
        assert p.returncode == 0, p.stderr

    def digest(self, repo, tag):
        """The manifest digest the registry serves for repo:tag."""
        p = self.curl(f"/v2/{repo}/manifests/{tag}", "-I", "-H", f"Accept: {MANIFEST_ACCEPT}")
        assert p.returncode == 0, p.stderr
        return next(line.split(":", 1)[1].strip() for line in p.stdout.splitlines()
                    if line.lower().startswith("docker-content-digest:"))

    def stop(self):
        stop_process(self.proc)
        self.log.close()


@pytest.fixture(scope="module")
def registry(node):
    r = Registry(node)
    try:
        yield r
    finally:
        r.stop()


def events_of(node, name):
    return node.get("events", "--field-selector", f"involvedObject.name={name}")["items"]


def waiting_reason(node, name):
    cs = container_status(node.get("pod", name)) or {}
    return cs.get("state", {}).get("waiting", {}).get("reason")


def test_image_pulled_from_a_loopback_registry(node, registry):
    registry.push(node.layout, "test/busybox:v1")
    image = f"127.0.0.1:{registry.port}/test/busybox:v1"
    p = pod("pulled", ["sh", "-c", "echo from-the-registry; sleep 3600"])
    p["spec"]["containers"][0].update(image=image, imagePullPolicy="Always")
    apply(node, p)
    p = running(node, "pulled", timeout=60)
    cs = container_status(p)
    assert cs["image"] == image
    assert cs["imageID"] == f"127.0.0.1:{registry.port}/test/busybox@{registry.digest('test/busybox', 'v1')}"
    wait_for("the pulled image's output", lambda: "from-the-registry" in node.kubectl("logs", "pulled")[1] or None)
    events = {e["reason"]: e for e in events_of(node, "pulled") if e["source"].get("component") == "kubelet"}
    assert events["Pulling"]["message"] == f'Pulling image "{image}"'
    assert events["Pulled"]["message"].startswith(f'Successfully pulled image "{image}" in ')
    assert {"Created", "Started"} <= set(events)

    # Always pulls again for each new Pod (the blobs are already there).
    p2 = pod("pulled-again", ["sh", "-c", "sleep 3600"])
    p2["spec"]["containers"][0].update(image=image, imagePullPolicy="Always")
    apply(node, p2)
    running(node, "pulled-again", timeout=60)
    assert "Pulling" in {e["reason"] for e in events_of(node, "pulled-again")}
    node.kubectl("delete", "pod", "pulled", "pulled-again", "--grace-period=1")


def test_missing_tag_is_err_image_pull_then_back_off(node, registry):
    registry.push(node.layout, "test/busybox:v1")
    image = f"127.0.0.1:{registry.port}/test/busybox:no-such-tag"
    p = pod("badtag", ["sh", "-c", "sleep 3600"])
    p["spec"]["containers"][0].update(image=image, imagePullPolicy="Always")
    apply(node, p)
    seen = set()

    def backed_off():
        seen.add(waiting_reason(node, "badtag"))
        return "ImagePullBackOff" in seen or None
    wait_for("ImagePullBackOff", backed_off, timeout=60, interval=0.1)
    assert "ErrImagePull" in seen  # first the pull error, then the back-off
    cs = container_status(node.get("pod", "badtag"))
    assert "Back-off pulling image" in cs["state"]["waiting"]["message"]
    events = events_of(node, "badtag")
    failed = [e["message"] for e in events if e["reason"] == "Failed"]
    assert any(m.startswith(f'Failed to pull image "{image}"') and "not found" in m for m in failed), failed
    assert "Error: ErrImagePull" in failed
    assert any(e["reason"] == "BackOff" and e["type"] == "Warning" for e in events)
    assert node.get("pod", "badtag")["status"]["phase"] == "Pending"
    node.kubectl("delete", "pod", "badtag", "--grace-period=1")


def test_container_over_its_memory_limit_is_oom_killed(node):
    p = pod("hog", ["sh", "-c", "echo allocating; head -c 100m /dev/zero | tail"], restart="Never")
    p["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}}
    apply(node, p)
    p = wait_for("hog Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(node.get("pod", "hog")),
                 timeout=60)
    t = container_status(p)["state"]["terminated"]
    assert t["reason"] == "OOMKilled" and t["exitCode"] == 137, t
    _, out, _ = node.kubectl("get", "pod", "hog")
    assert "OOMKilled" in out
    node.kubectl("delete", "pod", "hog", "--grace-period=1")


def test_restarted_container_over_its_limit_reports_oom_killed_as_last_state(node):
    p = pod("hog2", ["sh", "-c", "head -c 100m /dev/zero | tail"])
    p["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}}
    apply(node, p)

    def restarted():
        cs = container_status(node.get("pod", "hog2")) or {}
        return cs if cs.get("restartCount", 0) >= 1 and "terminated" in cs.get("lastState", {}) else None
    cs = wait_for("hog2 restarted", restarted, timeout=60)
    last = cs["lastState"]["terminated"]
    assert last["reason"] == "OOMKilled" and last["exitCode"] == 137, last
    node.kubectl("delete", "pod", "hog2", "--grace-period=1")


def test_kubectl_cp_into_and_out_of_a_pod(node):
    apply(node, pod("files", ["sh", "-c", "mkdir -p /data; echo made-inside > /data/inside.txt; sleep 3600"]))
    running(node, "files")
    wait_for("the file made inside", lambda: node.kubectl("exec", "files", "--", "cat", "/data/inside.txt", check=False)[0] == 0 or None)
    local = os.path.join(node.root, "cp")
    os.makedirs(local)
    src = os.path.join(local, "upload.txt")
    payload = "".join(f"line {i}\n" for i in range(2000))  # larger than one stream frame
    with open(src, "w") as f:
        f.write(payload)
    node.kubectl("cp", src, "default/files:/data/upload.txt", "-c", "main")
    _, out, _ = node.kubectl("exec", "files", "--", "cat", "/data/upload.txt")
    assert out == payload
    dst = os.path.join(local, "downloaded.txt")
    node.kubectl("cp", "default/files:/data/inside.txt", dst, "-c", "main")
    with open(dst) as f:
        assert f.read() == "made-inside\n"
    # A whole directory back out.
    node.kubectl("cp", "default/files:/data", os.path.join(local, "data"), "-c", "main")
    assert sorted(os.listdir(os.path.join(local, "data"))) == ["inside.txt", "upload.txt"]
    # (A missing source in the Pod is not checked: kubectl itself exits 0 then, kubernetes/kubectl#980.)
    node.kubectl("delete", "pod", "files", "--grace-period=1")


def test_kubectl_logs_follow_ends_when_the_container_exits(node):
    apply(node, pod("counter", ["sh", "-c", "for i in 1 2 3 4 5 6; do echo count $i; sleep 1; done"], restart="Never"))
    running(node, "counter")
    wait_for("the first line", lambda: "count 1" in node.kubectl("logs", "counter")[1] or None)
    began = time.time()
    follow = subprocess.Popen(["nsenter", f"--net=/run/netns/{node.netns}", KUBECTL, "--kubeconfig", node.kubeconfig,
                               "--cache-dir", os.path.join(node.root, "kcache"), "logs", "-f", "counter"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = follow.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        follow.kill()
        follow.communicate()
        raise AssertionError("kubectl logs -f did not end after the container exited")
    assert follow.returncode == 0, err
    assert out.splitlines() == [f"count {i}" for i in range(1, 7)]
    assert time.time() - began >= 2  # it waited for lines written after it started
    p = node.get("pod", "counter")
    assert p["status"]["phase"] == "Succeeded"
    node.kubectl("delete", "pod", "counter", "--grace-period=1")
