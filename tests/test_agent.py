"""The node agent end to end: `skiff up` runs Pods as real runc containers.

The whole `skiff up` runs inside a network namespace this test creates (`ip netns add`, with only
`lo`, up), entered with `nsenter --net` so the mount namespace stays the host's (the leftover
checks see the agent's mounts). kubectl reaches the API on 127.0.0.1 inside that namespace the
same way. The busybox image is built here from busybox-static with umoci and imported with
`skiff image import`. Needs root, runc, umoci, busybox-static, ip and nsenter.
"""
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import KUBECTL, SKIFF_BIN, free_port

TOOLS = ["runc", "umoci", "ip", "nsenter", "findmnt"]
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/bin/busybox") or any(shutil.which(t) is None for t in TOOLS),
    reason="needs root, runc, umoci, busybox-static, ip, nsenter and findmnt")

BUILD_IMAGE = r"""
set -euo pipefail
cd "$1"
umoci init --layout oci >/dev/null
umoci new --image oci:latest >/dev/null
umoci unpack --image oci:latest bundle >/dev/null
mkdir -p bundle/rootfs/bin bundle/rootfs/etc bundle/rootfs/tmp
cp /bin/busybox bundle/rootfs/bin/busybox
for a in sh sleep echo cat env hostname ls true false; do ln -s busybox bundle/rootfs/bin/$a; done
echo root:x:0:0:root:/root:/bin/sh > bundle/rootfs/etc/passwd
umoci repack --image oci:latest bundle >/dev/null
umoci config --image oci:latest --config.cmd /bin/sh --config.env PATH=/bin >/dev/null
umoci gc --layout oci >/dev/null
"""


class Node:
    """`skiff up` in a network namespace of its own, restartable on the same data dir."""

    extra_args = ()  # more `skiff up` flags, for subclasses

    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "data")
        self.netns = "skifftest-" + uuid.uuid4().hex[:8]
        self.port = free_port()
        self.proc = None
        self.log = None

    @property
    def kubeconfig(self):
        return os.path.join(self.data, "kubeconfig")

    def setup(self):
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        image = os.path.join(self.root, "image")
        os.makedirs(image)
        subprocess.run(["bash", "-c", BUILD_IMAGE, "build", image], check=True)
        for name in ("busybox", "busybox2"):  # a second name, for a Pod whose image changes
            subprocess.run([SKIFF_BIN, "image", "import", "--data-dir", self.data, os.path.join(image, "oci"),
                            "--name", name], check=True, capture_output=True)

    def start(self):
        self.log = open(os.path.join(self.root, "skiff.log"), "ab")
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.netns}", SKIFF_BIN, "up", "--data-dir", self.data,
             "--port", str(self.port), "--bind-address", "127.0.0.1", "--node-name", "agent-test", *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"skiff up exited {self.proc.returncode}:\n{self.log_tail()}")
            if os.path.exists(self.kubeconfig):
                rc, out, _ = self.kubectl("get", "node", "agent-test", "-o", "json", check=False)
                if rc == 0:
                    conds = {c["type"]: c["status"] for c in json.loads(out)["status"].get("conditions", [])}
                    if conds.get("Ready") == "True":
                        return
            time.sleep(0.3)
        pytest.fail("node agent-test never became Ready:\n" + self.log_tail())

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self, n=60):
        try:
            with open(os.path.join(self.root, "skiff.log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def kubectl(self, *args, input=None, check=True, timeout=60):
        cmd = ["nsenter", f"--net=/run/netns/{self.netns}", KUBECTL, "--kubeconfig", self.kubeconfig,
               "--cache-dir", os.path.join(self.root, "kcache"), *[str(a) for a in args]]
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(map(str, args))} exited {p.returncode}: {p.stderr}\n{self.log_tail()}")
        return p.returncode, p.stdout, p.stderr

    def get(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json")[1])

    def runc(self, *args):
        return subprocess.run(["runc", "--root", os.path.join(self.data, "runc"), *args],
                              capture_output=True, text=True)

    def containers(self):
        out = self.runc("list", "--format", "json").stdout.strip()
        return json.loads(out) if out and out != "null" else []

    def cleanup(self):
        """Stops skiff and removes whatever is left (containers, mounts, cgroups, the netns)."""
        self.stop()
        for c in self.containers():
            self.runc("delete", "--force", c["id"])
        mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout.split()
        for m in sorted((m for m in mounts if m.startswith(self.data)), key=len, reverse=True):
            subprocess.run(["umount", "-l", m])
        for d in sorted(glob.glob("/sys/fs/cgroup/*/skiff/pod*/*") + glob.glob("/sys/fs/cgroup/*/skiff/pod*"), key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
        subprocess.run(["ip", "netns", "del", self.netns])
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def started_node(prefix, cls=Node):
    """A started `Node` (or subclass) in a fresh directory; everything it made is removed after."""
    n = cls(tempfile.mkdtemp(prefix=prefix))
    try:
        n.setup()
        n.start()
        yield n
    finally:
        n.cleanup()


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-agent-") as n:
        yield n


def apply(node, manifest):
    node.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def pod(name, command, restart="Always", grace=30, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": restart, "terminationGracePeriodSeconds": grace,
                     "containers": [{"name": "main", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                     "command": command}], **spec}}


def wait_for(what, fn, timeout=30, interval=0.3):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


def log_of(node, p, container="main", attempt=0):
    path = os.path.join(node.data, "pods", p["metadata"]["uid"], "logs", container, f"{attempt}.log")
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def container_status(p, name="main"):
    return next((s for s in p.get("status", {}).get("containerStatuses", []) if s["name"] == name), None)


def test_node_registered_with_capacity_and_lease(node):
    n = node.get("node", "agent-test")
    cap = n["status"]["capacity"]
    assert int(cap["pods"]) == 110 and int(cap["cpu"]) >= 1
    assert cap["memory"].endswith("Ki") and cap["ephemeral-storage"].endswith("Ki")
    info = n["status"]["nodeInfo"]
    assert info["containerRuntimeVersion"].startswith("runc://")
    assert info["kubeletVersion"] == "v1.33.0" and info["operatingSystem"] == "linux"
    assert {a["type"] for a in n["status"]["addresses"]} == {"InternalIP", "Hostname"}
    assert {c["type"] for c in n["status"]["conditions"]} == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}
    lease = node.get("lease", "-n", "kube-node-lease", "agent-test")
    assert lease["spec"]["holderIdentity"] == "agent-test"


def test_pod_runs_and_logs(node):
    apply(node, pod("hello", ["sh", "-c", "echo hello; hostname; sleep 3600"]))
    p = wait_for("hello Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "hello")))
    cs = container_status(p)
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert cs["containerID"].startswith("runc://") and "running" in cs["state"]
    assert cs["imageID"].startswith("docker.io/library/busybox@sha256:")
    conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conds["Ready"] == "True" and conds["ContainersReady"] == "True" and conds["Initialized"] == "True"
    assert p["status"]["qosClass"] == "BestEffort" and p["status"]["hostIP"] and p["status"]["startTime"]
    log = wait_for("hello in the CRI log", lambda: log_of(node, p) if "hello" in log_of(node, p) else None)
    lines = log.splitlines()
    assert lines[0].split(" ", 3)[1:] == ["stdout", "F", "hello"]
    assert lines[1].endswith(" hello")  # the Pod's own UTS namespace has the Pod's name
    events = node.get("events", "--field-selector", "involvedObject.name=hello")["items"]
    reasons = {e["reason"] for e in events if e["source"].get("component") == "kubelet"}
    assert {"Created", "Started"} <= reasons


def test_completed_and_failed_pods(node):
    apply(node, pod("ok", ["sh", "-c", "echo bye"], restart="Never"))
    apply(node, pod("bad", ["sh", "-c", "exit 3"], restart="Never"))
    ok = wait_for("ok Succeeded", lambda: (lambda p: p if p["status"].get("phase") == "Succeeded" else None)(node.get("pod", "ok")))
    t = container_status(ok)["state"]["terminated"]
    assert t["reason"] == "Completed" and t["exitCode"] == 0
    bad = wait_for("bad Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(node.get("pod", "bad")))
    t = container_status(bad)["state"]["terminated"]
    assert t["reason"] == "Error" and t["exitCode"] == 3
    _, out, _ = node.kubectl("get", "pods", "ok", "bad")
    assert "Completed" in out and "Error" in out


def test_crash_loop_back_off(node):
    apply(node, pod("crash", ["sh", "-c", "echo crashing; exit 1"]))

    def looping():
        cs = container_status(node.get("pod", "crash")) or {}
        waiting = cs.get("state", {}).get("waiting", {})
        return cs if waiting.get("reason") == "CrashLoopBackOff" and cs["restartCount"] >= 1 else None
    cs = wait_for("CrashLoopBackOff", looping, timeout=40)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert "back-off 10s restarting failed container=main" in cs["state"]["waiting"]["message"]
    first = cs["restartCount"]
    wait_for("restartCount to grow", lambda: (container_status(node.get("pod", "crash"))["restartCount"] > first) or None,
             timeout=40)
    events = node.get("events", "--field-selector", "involvedObject.name=crash,reason=BackOff")["items"]
    assert events and events[0]["type"] == "Warning"


def running(node, name, timeout=30):
    return wait_for(f"{name} Running",
                    lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", name)),
                    timeout=timeout)


def test_pods_get_ips_and_reach_each_other(node):
    apply(node, pod("server", ["sh", "-c", "while true; do echo pong | nc -l -p 8080; done"]))
    server = running(node, "server")
    ip = server["status"]["podIP"]
    assert ip.startswith("10.42.0.") and server["status"]["podIPs"] == [{"ip": ip}]
    apply(node, pod("client", ["sh", "-c", f"sleep 1; echo ping | nc {ip} 8080; sleep 3600"]))
    client = running(node, "client")
    assert client["status"]["podIP"].startswith("10.42.0.") and client["status"]["podIP"] != ip
    wait_for("pong from the server Pod", lambda: "pong" in log_of(node, client) or None)
    assert node.get("node", "agent-test")["spec"]["podCIDR"] == "10.42.0.0/24"


def test_service_account_token_and_config_map_volume(node):
    node.kubectl("create", "configmap", "settings", "--from-literal=mode=fast")
    p = pod("mounts", ["sh", "-c", "cd /var/run/secrets/kubernetes.io/serviceaccount && echo ns=$(cat namespace); "
                                   "head -c 3 token; echo; grep -c BEGIN ca.crt; echo mode=$(cat /etc/settings/mode); "
                                   "sleep 3600"])
    p["spec"]["volumes"] = [{"name": "settings", "configMap": {"name": "settings"}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": "/etc/settings"}]
    apply(node, p)
    p = running(node, "mounts")
    assert any(v["name"].startswith("kube-api-access-") for v in p["spec"]["volumes"])
    log = wait_for("the mounted files in the log", lambda: (lambda t: t if "mode=" in t else None)(log_of(node, p)))
    assert "ns=default" in log and "eyJ" in log and "mode=fast" in log  # a JWT starts with eyJ
    assert any(line.endswith(" 1") for line in log.splitlines())  # ca.crt holds the cluster CA


def test_missing_config_map_is_a_failed_mount(node):
    p = pod("nomount", ["sh", "-c", "sleep 3600"])
    p["spec"]["volumes"] = [{"name": "gone", "configMap": {"name": "does-not-exist"}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "gone", "mountPath": "/etc/gone"}]
    apply(node, p)

    def failed_mount():
        items = node.get("events", "--field-selector", "involvedObject.name=nomount,reason=FailedMount")["items"]
        return items[0] if items else None
    e = wait_for("a FailedMount event", failed_mount)
    assert 'configmap "does-not-exist" not found' in e["message"] and e["type"] == "Warning"
    assert node.get("pod", "nomount")["status"].get("phase") == "Pending"


def test_secret_env_from(node):
    node.kubectl("create", "secret", "generic", "mysecret", "--from-literal=token=0123abcd")
    p = pod("envy", ["sh", "-c", "echo token=$token name=$(NAME); sleep 3600"])
    p["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "mysecret"}}]
    p["spec"]["containers"][0]["env"] = [{"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    apply(node, p)
    p = wait_for("envy Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "envy")))
    wait_for("the secret in the log", lambda: "token=0123abcd name=envy" in log_of(node, p) or None)


def test_missing_secret_waits_with_config_error(node):
    p = pod("nosecret", ["sh", "-c", "sleep 3600"])
    p["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "absent"}}]
    apply(node, p)

    def waiting():
        cs = container_status(node.get("pod", "nosecret")) or {}
        return cs.get("state", {}).get("waiting", {}).get("reason") == "CreateContainerConfigError" and cs
    cs = wait_for("CreateContainerConfigError", waiting)
    assert cs["state"]["waiting"]["message"] == 'secret "absent" not found'


def test_init_containers_run_first(node):
    p = pod("inited", ["sh", "-c", "cat /work/order; sleep 3600"])
    p["spec"]["volumes"] = [{"name": "work", "emptyDir": {}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "work", "mountPath": "/work"}]
    p["spec"]["initContainers"] = [
        {"name": f"init{i}", "image": "busybox", "imagePullPolicy": "IfNotPresent",
         "command": ["sh", "-c", f"echo init{i} >> /work/order"], "volumeMounts": [{"name": "work", "mountPath": "/work"}]}
        for i in (1, 2)]
    apply(node, p)
    p = wait_for("inited Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "inited")))
    assert [s["state"]["terminated"]["reason"] for s in p["status"]["initContainerStatuses"]] == ["Completed", "Completed"]
    log = wait_for("init output", lambda: log_of(node, p) if "init2" in log_of(node, p) else None)
    assert log.index("init1") < log.index("init2")


def leftovers(node, uid):
    found = [c["id"] for c in node.containers() if c["id"].startswith(uid)]
    mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout.split()
    found += [m for m in mounts if uid in m]
    found += glob.glob(f"/sys/fs/cgroup/*/skiff/pod{uid}") + glob.glob(f"/sys/fs/cgroup/skiff/pod{uid}")
    if os.path.exists(os.path.join(node.data, "pods", uid)):
        found.append(os.path.join(node.data, "pods", uid))
    found += glob.glob(os.path.join(node.data, "images", "containers", uid + "_*"))
    return found


def test_delete_stops_within_grace_and_leaves_nothing(node):
    apply(node, pod("stopper", ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"], grace=10))
    p = wait_for("stopper Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "stopper")))
    uid = p["metadata"]["uid"]
    assert leftovers(node, uid)  # the check can see what a Pod has
    began = time.time()
    node.kubectl("delete", "pod", "stopper", "--wait=false")
    wait_for("pod gone", lambda: node.kubectl("get", "pod", "stopper", check=False)[0] != 0, timeout=15)
    # SIGTERM ended it (the trap exits within a second), long before SIGKILL at 10 s.
    assert time.time() - began < 5
    assert leftovers(node, uid) == []

    # A container ignoring SIGTERM (sh as PID 1) is killed when the grace period ends.
    apply(node, pod("stubborn", ["sh", "-c", "sleep 3600"], grace=2))
    p = wait_for("stubborn Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "stubborn")))
    began = time.time()
    node.kubectl("delete", "pod", "stubborn", "--timeout=30s")
    assert 2 <= time.time() - began < 2 + 4
    assert leftovers(node, p["metadata"]["uid"]) == []
    events = node.get("events", "--field-selector", "involvedObject.name=stubborn,reason=Killing")["items"]
    assert events and events[0]["message"] == "Stopping container main"


def test_a_new_image_restarts_the_container(node):
    # As the kubelet: a changed container spec restarts it, whatever the restart policy.
    apply(node, pod("respec", ["sleep", "3600"], restart="Never", grace=1))
    first = container_status(running(node, "respec"))
    node.kubectl("set", "image", "pod/respec", "main=busybox2")

    def restarted():
        cs = container_status(node.get("pod", "respec")) or {}
        return cs if cs.get("restartCount") == 1 and "running" in cs.get("state", {}) else None
    cs = wait_for("the container to run again", restarted, timeout=30)
    assert cs["image"] == "busybox2"
    assert cs["containerID"] != first["containerID"]
    assert cs["lastState"]["terminated"]["exitCode"] == 137  # sleep as PID 1 ignores SIGTERM: killed after 1 s
    killing = node.get("events", "--field-selector", "involvedObject.name=respec,reason=Killing")["items"]
    assert [e["message"] for e in killing] == ["Container main definition changed, will be restarted"]
    assert node.get("pod", "respec")["status"]["phase"] == "Running"


def test_image_pull_failure_backs_off(node):
    p = pod("nopull", ["sh"])
    p["spec"]["containers"][0]["image"] = f"127.0.0.1:{free_port()}/missing:v1"
    apply(node, p)

    def reason():
        cs = container_status(node.get("pod", "nopull")) or {}
        return cs.get("state", {}).get("waiting", {}).get("reason")
    wait_for("ErrImagePull", lambda: reason() in ("ErrImagePull", "ImagePullBackOff") or None)
    wait_for("ImagePullBackOff", lambda: reason() == "ImagePullBackOff" or None)
    events = node.get("events", "--field-selector", "involvedObject.name=nopull")["items"]
    reasons = {e["reason"] for e in events}
    assert {"Pulling", "Failed", "BackOff"} <= reasons
    node.kubectl("delete", "pod", "nopull", "--grace-period=1")


def test_agent_restart_keeps_running_containers(node):
    apply(node, pod("ticker", ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]))
    p = wait_for("ticker Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "ticker")))
    cid = container_status(p)["containerID"][len("runc://"):]
    pid = json.loads(node.runc("state", cid).stdout)["pid"]
    wait_for("ticks", lambda: "tick 3" in log_of(node, p) or None)
    node.kill9()
    time.sleep(1)  # the container goes on writing while no agent reads its output
    assert json.loads(node.runc("state", cid).stdout)["status"] == "running"
    node.start()
    wait_for("ticker ready again", lambda: container_status(node.get("pod", "ticker"))["ready"] or None)
    before = log_of(node, p).count("tick")
    wait_for("ticks logged after the restart", lambda: log_of(node, p).count("tick") >= before + 5 or None)
    ticks = [int(line.rsplit(" ", 1)[1]) for line in log_of(node, p).splitlines() if " tick " in line]
    assert ticks == list(range(1, len(ticks) + 1))  # nothing lost or repeated across the restart
    p2 = node.get("pod", "ticker")
    assert container_status(p2)["containerID"] == "runc://" + cid
    assert container_status(p2)["restartCount"] == 0
    assert json.loads(node.runc("state", cid).stdout)["pid"] == pid
    hello = node.get("pod", "hello")
    assert container_status(hello)["restartCount"] == 0 and container_status(hello)["ready"]
    # The adopted container is stopped and cleaned up like any other.
    uid = p2["metadata"]["uid"]
    node.kubectl("delete", "pod", "ticker", "--grace-period=2")
    assert leftovers(node, uid) == []


def test_a_container_gone_while_the_agent_was_down_counts_as_a_restart(node):
    apply(node, pod("vanish", ["sleep", "3600"], grace=1))
    p = wait_for("vanish Running", lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(node.get("pod", "vanish")))
    cid = container_status(p)["containerID"][len("runc://"):]
    node.kill9()
    # The container dies while no agent watches it (its exit code is then nobody's to read).
    node.runc("kill", cid, "KILL")
    wait_for("vanish stopped", lambda: json.loads(node.runc("state", cid).stdout)["status"] == "stopped" or None)
    node.start()
    # As the kubelet reports a container it cannot find: terminated, ContainerStatusUnknown,
    # 137; then restartPolicy Always runs it again, and the restart is counted.
    cs = wait_for("vanish restarted", lambda: (lambda c: c if c["restartCount"] == 1 and "running" in c["state"] else None)(
        container_status(node.get("pod", "vanish"))), timeout=60)
    last = cs["lastState"]["terminated"]
    assert last["reason"] == "ContainerStatusUnknown" and last["exitCode"] == 137, last
    assert last["containerID"] == "runc://" + cid and cs["containerID"] != "runc://" + cid
    node.kubectl("delete", "pod", "vanish", "--grace-period=1")


class SplitNode(Node):
    """`skiff server` and a separate `skiff agent` joining it, both in the test's namespace."""

    def start(self):
        self.log = open(os.path.join(self.root, "skiff.log"), "ab")
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.netns}", SKIFF_BIN, "server", "--data-dir", self.data,
             "--port", str(self.port), "--bind-address", "127.0.0.1"], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("kubeconfig", lambda: os.path.exists(self.kubeconfig) or None)
        wait_for("the server", lambda: self.kubectl("get", "ns", "default", check=False)[0] == 0 or None)
        self.agent = None
        self.start_agent()

    def start_agent(self):
        with open(os.path.join(self.data, "admin.token")) as f:
            token = f.read().strip()
        self.agent = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.netns}", SKIFF_BIN, "agent", "--server", f"https://127.0.0.1:{self.port}",
             "--token", token, "--certificate-authority", os.path.join(self.data, "tls", "ca.crt"),
             "--node-name", "agent-test", "--data-dir", self.data], stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            rc, out, _ = self.kubectl("get", "node", "agent-test", "-o", "json", check=False)
            return rc == 0 and any(c["type"] == "Ready" and c["status"] == "True" for c in json.loads(out)["status"]["conditions"])
        wait_for("agent-test Ready", ready)

    def kill_agent(self):
        self.agent.send_signal(signal.SIGKILL)
        self.agent.wait(timeout=10)

    def stop(self):
        if getattr(self, "agent", None) and self.agent.poll() is None:
            self.agent.send_signal(signal.SIGTERM)
            self.agent.wait(timeout=20)
        super().stop()


@pytest.fixture(scope="module")
def split():
    n = SplitNode(tempfile.mkdtemp(prefix="skiff-agent-"))
    try:
        n.setup()
        n.start()
        yield n
    finally:
        n.cleanup()


def test_agent_joins_a_server_and_cleans_up_pods_deleted_while_it_was_down(split):
    apply(split, pod("keep", ["sh", "-c", "sleep 3600"]))
    apply(split, pod("drop", ["sh", "-c", "sleep 3600"]))
    for name in ("keep", "drop"):
        wait_for(f"{name} Running", lambda: split.get("pod", name)["status"].get("phase") == "Running" or None)
    keep, drop = split.get("pod", "keep"), split.get("pod", "drop")
    keep_id = container_status(keep)["containerID"][len("runc://"):]
    keep_pid = json.loads(split.runc("state", keep_id).stdout)["pid"]
    split.kill_agent()
    split.kubectl("delete", "pod", "drop", "--grace-period=0", "--force")
    split.start_agent()
    wait_for("drop's container removed", lambda: leftovers(split, drop["metadata"]["uid"]) == [] or None, timeout=20)
    assert json.loads(split.runc("state", keep_id).stdout)["pid"] == keep_pid
    assert container_status(split.get("pod", "keep"))["restartCount"] == 0


def test_kubectl_logs_and_exec(node):
    """The seed's check, as a user makes it: the Secret in the environment and the
    ServiceAccount token mounted, seen through `kubectl exec`; and `kubectl logs`."""
    node.kubectl("create", "secret", "generic", "execsecret", "--from-literal=token=feedbeef")
    p = pod("shell", ["sh", "-c", "echo started; sleep 3600"])
    p["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "execsecret"}}]
    apply(node, p)
    running(node, "shell")
    wait_for("kubectl logs", lambda: "started" in node.kubectl("logs", "shell")[1] or None)
    _, out, _ = node.kubectl("exec", "shell", "--", "sh", "-c", "echo $token")
    assert out.strip() == "feedbeef"
    _, out, _ = node.kubectl("exec", "shell", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
    assert out.startswith("eyJ") and out.count(".") == 2
    code, out, err = node.kubectl("exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert code == 3 and out.strip() == "out" and "err" in err
    _, out, _ = node.kubectl("exec", "-i", "shell", "--", "cat", input="piped\n")
    assert out == "piped\n"
    code, _, err = node.kubectl("logs", "shell", "-c", "nope", check=False)
    assert code != 0 and "container nope is not valid for pod shell" in err
