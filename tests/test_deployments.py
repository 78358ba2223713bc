"""Deployments and ReplicaSets with the real kubectl against the real binary: create, scale,
`set image`, `rollout history`, `rollout undo`, pause/resume and restart.

A module-scoped server of its own runs with `skiff sim` (when the binary has it) so that Pods get
nodes and become Ready, and `kubectl rollout status` can succeed; without it the test checks
what does not need ready Pods."""
import json
import os
import subprocess
import time

import pytest

from conftest import SKIFF_BIN, Kubectl, _new_server, stop_process


def wait_for(fn, what, timeout=30.0, interval=0.1):
    """Polls `fn` until it returns something true, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def has_sim():
    try:
        return subprocess.run([SKIFF_BIN, "sim", "--help"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def cluster():
    """(kubectl, simulated): a server of this module's own, with 3 simulated nodes if available."""
    server = _new_server()
    server.start()
    sim = None
    if has_sim():
        log = open(os.path.join(server.data_dir, "sim.log"), "ab")
        sim = subprocess.Popen([SKIFF_BIN, "sim", "--nodes", "3", "--kubeconfig", server.kubeconfig],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        kubectl = Kubectl(server)
        wait_for(lambda: len(kubectl.json("nodes")["items"]) == 3, "3 simulated nodes")
    try:
        yield Kubectl(server), sim is not None
    finally:
        if sim is not None:
            stop_process(sim)
        server.stop()


def pod_lines(kubectl, ns, selector):
    """The rows of `kubectl get pods -l <selector>` (Terminating ones included, as kubectl shows them)."""
    _, out, _ = kubectl("get", "pods", "-n", ns, "-l", selector, "--no-headers", "--ignore-not-found")
    return [line for line in out.splitlines() if line.strip()]


def replica_sets(kubectl, ns, selector):
    return sorted(kubectl.json("rs", "-n", ns, "-l", selector)["items"],
                  key=lambda rs: int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")))


def template_image(kubectl, ns, name):
    return kubectl.json("deployment", name, "-n", ns)["spec"]["template"]["spec"]["containers"][0]["image"]


def rollout_status(kubectl, ns, name):
    _, out, _ = kubectl("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=60s", timeout=90)
    assert f'deployment "{name}" successfully rolled out' in out


def test_deployment_scale_set_image_history_and_undo(cluster):
    kubectl, simulated = cluster
    ns = "deploy-basics"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "x", "--image=busybox:1", "--replicas=5", "-n", ns)
    wait_for(lambda: len(pod_lines(kubectl, ns, "app=x")) == 5, "5 pods")
    rs = replica_sets(kubectl, ns, "app=x")
    assert len(rs) == 1
    hash_ = rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert rs[0]["metadata"]["name"] == f"x-{hash_}"
    assert all(f"x-{hash_}-" in line for line in pod_lines(kubectl, ns, "app=x"))
    if simulated:
        rollout_status(kubectl, ns, "x")
        d = kubectl.json("deployment", "x", "-n", ns)
        assert d["status"]["readyReplicas"] == 5 and d["status"]["availableReplicas"] == 5
        conditions = {c["type"]: c for c in d["status"]["conditions"]}
        assert conditions["Available"]["status"] == "True"
        assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"

    kubectl("scale", "deployment", "x", "--replicas=10", "-n", ns)
    wait_for(lambda: len(pod_lines(kubectl, ns, "app=x")) == 10, "10 pods")
    kubectl("scale", "deployment", "x", "--replicas=2", "-n", ns)
    wait_for(lambda: len(pod_lines(kubectl, ns, "app=x")) == 2, "2 pods")
    if simulated:
        rollout_status(kubectl, ns, "x")

    kubectl("set", "image", "deployment/x", "busybox=busybox:2", "-n", ns)
    wait_for(lambda: len(replica_sets(kubectl, ns, "app=x")) == 2, "a second ReplicaSet")
    if simulated:
        rollout_status(kubectl, ns, "x")
        images = {p["spec"]["containers"][0]["image"] for p in kubectl.json("pods", "-n", ns, "-l", "app=x")["items"]
                  if not p["metadata"].get("deletionTimestamp")}
        assert images == {"busybox:2"}
    _, out, _ = kubectl("rollout", "history", "deployment/x", "-n", ns)
    rows = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert rows == ["1", "2"], out
    _, out, _ = kubectl("rollout", "history", "deployment/x", "-n", ns, "--revision=1")
    assert "busybox:1" in out

    _, out, _ = kubectl("rollout", "undo", "deployment/x", "-n", ns)
    assert "rolled back" in out
    assert template_image(kubectl, ns, "x") == "busybox:1"
    wait_for(lambda: kubectl.json("deployment", "x", "-n", ns)["metadata"]["annotations"]
             .get("deployment.kubernetes.io/revision") == "3", "revision 3")
    rs = replica_sets(kubectl, ns, "app=x")
    assert len(rs) == 2, "undo reuses the first ReplicaSet"
    assert rs[1]["metadata"]["labels"]["pod-template-hash"] == hash_
    assert rs[1]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    _, out, _ = kubectl("rollout", "history", "deployment/x", "-n", ns)
    assert [line.split()[0] for line in out.splitlines()[2:] if line.strip()] == ["2", "3"], out
    if simulated:
        rollout_status(kubectl, ns, "x")
        wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in kubectl.json("pods", "-n", ns, "-l", "app=x")["items"]
                          if not p["metadata"].get("deletionTimestamp")} == {"busybox:1"}, "pods of the first template")


def test_pause_resume_and_restart(cluster):
    kubectl, simulated = cluster
    ns = "deploy-pause"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "p", "--image=busybox:1", "--replicas=2", "-n", ns)
    wait_for(lambda: len(replica_sets(kubectl, ns, "app=p")) == 1, "first ReplicaSet")
    if simulated:
        rollout_status(kubectl, ns, "p")
    kubectl("rollout", "pause", "deployment/p", "-n", ns)
    kubectl("set", "image", "deployment/p", "busybox=busybox:2", "-n", ns)
    wait_for(lambda: any(c["reason"] == "DeploymentPaused"
                         for c in kubectl.json("deployment", "p", "-n", ns)["status"].get("conditions", [])), "paused condition")
    assert len(replica_sets(kubectl, ns, "app=p")) == 1, "a paused Deployment does not roll out"
    kubectl("rollout", "resume", "deployment/p", "-n", ns)
    wait_for(lambda: len(replica_sets(kubectl, ns, "app=p")) == 2, "rollout after resume")
    if simulated:
        rollout_status(kubectl, ns, "p")
    kubectl("rollout", "restart", "deployment/p", "-n", ns)
    wait_for(lambda: len(replica_sets(kubectl, ns, "app=p")) == 3, "a ReplicaSet for the restart")
    rs = replica_sets(kubectl, ns, "app=p")
    assert "kubectl.kubernetes.io/restartedAt" in rs[-1]["spec"]["template"]["metadata"]["annotations"]
    if simulated:
        rollout_status(kubectl, ns, "p")


def test_replicaset_adopts_orphans_and_keeps_its_count(cluster):
    kubectl, _ = cluster
    ns = "rs-adopt"
    kubectl("create", "namespace", ns)
    for name in ("orphan-1", "orphan-2"):
        kubectl("run", name, "--image=busybox:1", "--labels=app=r", "-n", ns)
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
          "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "r"}},
                   "template": {"metadata": {"labels": {"app": "r"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(rs))
    wait_for(lambda: len(pod_lines(kubectl, ns, "app=r")) == 3, "3 pods")
    uid = kubectl.json("rs", "r", "-n", ns)["metadata"]["uid"]
    for name in ("orphan-1", "orphan-2"):
        refs = kubectl.json("pod", name, "-n", ns)["metadata"].get("ownerReferences", [])
        assert [r["uid"] for r in refs if r.get("controller")] == [uid]
    wait_for(lambda: kubectl.json("rs", "r", "-n", ns)["status"].get("replicas") == 3, "status.replicas 3")


def test_deleting_a_deployment_removes_its_replicasets_and_pods_unless_orphaned(cluster):
    kubectl, _ = cluster
    ns = "deploy-delete"
    kubectl("create", "namespace", ns)
    for name in ("gone", "kept"):
        kubectl("create", "deployment", name, "--image=busybox:1", "--replicas=3", "-n", ns)
        wait_for(lambda: len(pod_lines(kubectl, ns, f"app={name}")) == 3, f"3 pods of {name}")

    _, out, _ = kubectl("delete", "deployment", "gone", "-n", ns)
    assert out.strip() == 'deployment.apps "gone" deleted'
    wait_for(lambda: not replica_sets(kubectl, ns, "app=gone"), "the ReplicaSet of gone to be collected")
    wait_for(lambda: not pod_lines(kubectl, ns, "app=gone"), "the pods of gone to be collected")

    kubectl("delete", "deployment", "kept", "-n", ns, "--cascade=orphan")
    assert kubectl("get", "deployment", "kept", "-n", ns, "--ignore-not-found")[1].strip() == ""
    time.sleep(2)  # time enough for a collector to act, were it going to
    rs = replica_sets(kubectl, ns, "app=kept")
    assert len(rs) == 1 and "ownerReferences" not in rs[0]["metadata"]
    assert len(pod_lines(kubectl, ns, "app=kept")) == 3
    pods = kubectl.json("pods", "-n", ns, "-l", "app=kept")["items"]
    assert all(p["metadata"]["ownerReferences"][0]["name"] == rs[0]["metadata"]["name"] for p in pods)
