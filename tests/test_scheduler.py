"""The scheduler and simulated nodes through the real binary and the real kubectl.

A module-scoped `skiff server` of its own runs with `skiff sim --nodes 3` (stopped by its own
pid). Pods are placed by nodeSelector, taints and tolerations, resources, anti-affinity and
topology spread; an impossible Pod stays Pending with a FailedScheduling event in Kubernetes'
message shape; simulated nodes run Pods (Running, Ready, a Pod IP) and finish deletions.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import SKIFF_BIN, Kubectl, _new_server

NODES = ["sim-node-0", "sim-node-1", "sim-node-2"]


def wait_for(predicate, what, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def cluster():
    server = _new_server()
    server.start()
    kubectl = Kubectl(server)
    log = open(os.path.join(server.data_dir, "sim.log"), "ab")
    sim = subprocess.Popen([SKIFF_BIN, "sim", "--nodes", "3", "--kubeconfig", server.kubeconfig],
                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(kubectl.json("nodes")["items"]) == 3, "3 simulated nodes")
        yield kubectl
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
        log.close()
        server.stop()


@pytest.fixture
def ns(cluster):
    name = f"sched-{uuid.uuid4().hex[:8]}"
    cluster("create", "namespace", name)
    yield name
    # Free the simulated nodes for the next test (the simulator finishes the deletions).
    cluster("delete", "pods", "--all", "-n", name, "--timeout=30s", check=False)
    cluster("delete", "namespace", name, "--wait=false", check=False)


def pod_manifest(name, ns, cpu=None, memory=None, labels=None, **spec):
    container = {"name": "app", "image": "registry.local/app:1"}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if requests:
        container["resources"] = {"requests": requests}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"containers": [container], **spec}}


def create(kubectl, *objects):
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def node_of(kubectl, ns, name):
    return kubectl.json("pod", name, "-n", ns)["spec"].get("nodeName")


def wait_running(kubectl, ns, name, timeout=30):
    def running():
        pod = kubectl.json("pod", name, "-n", ns)
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
        return pod if pod["status"].get("phase") == "Running" and ready else None
    return wait_for(running, f"pod {ns}/{name} Running and Ready", timeout)


def failed_scheduling(kubectl, ns, name):
    events = kubectl.json("events", "-n", ns, "--field-selector", f"reason=FailedScheduling,involvedObject.name={name}")
    return [e["message"] for e in events["items"]]


def test_simulated_nodes_register_ready_with_leases(cluster):
    nodes = cluster.json("nodes")["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == NODES
    for n in nodes:
        status = n["status"]
        assert status["capacity"]["cpu"] == "4" and status["capacity"]["memory"] == "16Gi" and status["capacity"]["pods"] == "110"
        assert status["allocatable"] == status["capacity"]
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in status["conditions"])
        assert status["nodeInfo"]["kubeletVersion"] == "v1.33.0-skiff"
    leases = cluster.json("leases", "-n", "kube-node-lease")["items"]
    assert sorted(l["metadata"]["name"] for l in leases) == NODES
    assert all(l["spec"]["holderIdentity"] == l["metadata"]["name"] and l["spec"].get("renewTime") for l in leases)
    _, out, _ = cluster("get", "nodes")
    assert out.count(" Ready ") == 3


def test_pod_runs_and_is_deleted(cluster, ns):
    create(cluster, pod_manifest("web-1", ns))
    pod = wait_running(cluster, ns, "web-1")
    assert pod["spec"]["nodeName"] in NODES
    assert pod["status"]["podIP"].startswith("10.24")
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert {c["type"] for c in pod["status"]["conditions"]} >= {"PodScheduled", "Initialized", "ContainersReady", "Ready"}
    events = cluster.json("events", "-n", ns, "--field-selector", "reason=Scheduled")["items"]
    assert [e["message"] for e in events] == [f"Successfully assigned {ns}/web-1 to {pod['spec']['nodeName']}"]
    assert events[0]["source"]["component"] == "default-scheduler" and events[0]["type"] == "Normal"
    # A graceful delete returns once the simulated node has finished the Pod.
    cluster("delete", "pod", "web-1", "-n", ns, "--timeout=20s")
    rc, _, err = cluster("get", "pod", "web-1", "-n", ns, check=False)
    assert rc != 0 and "NotFound" in err


def test_node_selector(cluster, ns):
    cluster("label", "node", "sim-node-1", "disktype=ssd", "--overwrite")
    try:
        create(cluster, *[pod_manifest(f"ssd-{i}", ns, nodeSelector={"disktype": "ssd"}) for i in range(3)])
        for i in range(3):
            assert wait_running(cluster, ns, f"ssd-{i}")["spec"]["nodeName"] == "sim-node-1"
        create(cluster, pod_manifest("nvme", ns, nodeSelector={"disktype": "nvme"}))
        messages = wait_for(lambda: failed_scheduling(cluster, ns, "nvme"), "FailedScheduling for nvme")
        assert messages[0] == ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
                               "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        # Labelling a node to match lets the Pending Pod schedule (a node update retries it).
        cluster("label", "node", "sim-node-2", "disktype=nvme", "--overwrite")
        assert wait_running(cluster, ns, "nvme")["spec"]["nodeName"] == "sim-node-2"
    finally:
        cluster("label", "node", "sim-node-1", "disktype-", check=False)
        cluster("label", "node", "sim-node-2", "disktype-", check=False)


def test_node_affinity_required_and_preferred(cluster, ns):
    affinity = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["sim-node-0"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                                                   "values": ["sim-node-2"]}]}}]}}
    create(cluster, pod_manifest("aff", ns, affinity=affinity))
    assert wait_running(cluster, ns, "aff")["spec"]["nodeName"] == "sim-node-2"


def test_taints_and_tolerations(cluster, ns):
    cluster("taint", "node", "sim-node-0", "dedicated=gpu:NoSchedule")
    cluster("taint", "node", "sim-node-1", "dedicated=gpu:NoSchedule")
    try:
        create(cluster, *[pod_manifest(f"plain-{i}", ns) for i in range(3)])
        for i in range(3):
            assert wait_running(cluster, ns, f"plain-{i}")["spec"]["nodeName"] == "sim-node-2"
        tolerant = pod_manifest("gpu", ns, nodeSelector={"kubernetes.io/hostname": "sim-node-0"},
                                tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}])
        create(cluster, tolerant, pod_manifest("blocked", ns, nodeSelector={"kubernetes.io/hostname": "sim-node-0"}))
        assert wait_running(cluster, ns, "gpu")["spec"]["nodeName"] == "sim-node-0"
        messages = wait_for(lambda: failed_scheduling(cluster, ns, "blocked"), "FailedScheduling for blocked")
        assert messages[0].startswith("0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                                      "2 node(s) had untolerated taint {dedicated: gpu}.")
    finally:
        cluster("taint", "node", "sim-node-0", "dedicated-", check=False)
        cluster("taint", "node", "sim-node-1", "dedicated-", check=False)


def test_resources_and_an_impossible_pod(cluster, ns):
    create(cluster, *[pod_manifest(f"big-{i}", ns, cpu="3", memory="1Gi") for i in range(3)])
    nodes = {wait_running(cluster, ns, f"big-{i}")["spec"]["nodeName"] for i in range(3)}
    assert nodes == set(NODES), "3-cpu Pods on 4-cpu nodes must spread one per node"

    create(cluster, pod_manifest("one-more", ns, cpu="3"), pod_manifest("impossible", ns, cpu="100"))
    messages = wait_for(lambda: failed_scheduling(cluster, ns, "impossible"), "FailedScheduling for impossible")
    assert messages[0] == ("0/3 nodes are available: 3 Insufficient cpu. "
                           "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    _, out, _ = cluster("get", "events", "-n", ns, "--field-selector", "reason=FailedScheduling")
    assert "Warning" in out and "pod/impossible" in out and "Insufficient cpu" in out
    pod = cluster.json("pod", "impossible", "-n", ns)
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable") and "Insufficient cpu" in cond["message"]
    _, out, _ = cluster("describe", "pod", "impossible", "-n", ns)
    assert "FailedScheduling" in out and "default-scheduler" in out

    wait_for(lambda: failed_scheduling(cluster, ns, "one-more"), "FailedScheduling for one-more")
    # Freeing a node lets the waiting Pod in; the impossible one stays Pending.
    cluster("delete", "pod", "big-0", "-n", ns)
    wait_running(cluster, ns, "one-more")
    time.sleep(1)
    assert node_of(cluster, ns, "impossible") is None


def test_extended_resources(cluster, ns):
    create(cluster, pod_manifest("gpu", ns, **{"containers": [{"name": "c", "image": "x", "resources": {
        "limits": {"example.com/gpu": "1"}, "requests": {"example.com/gpu": "1"}}}]}))
    messages = wait_for(lambda: failed_scheduling(cluster, ns, "gpu"), "FailedScheduling for gpu")
    assert messages[0].startswith("0/3 nodes are available: 3 Insufficient example.com/gpu.")


def test_required_anti_affinity_spreads_replicas(cluster, ns):
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    create(cluster, *[pod_manifest(f"db-{i}", ns, labels={"app": "db"}, affinity=affinity) for i in range(4)])

    def placement():
        nodes = {f"db-{i}": node_of(cluster, ns, f"db-{i}") for i in range(4)}
        return nodes if sum(1 for n in nodes.values() if n) == 3 else None
    nodes = wait_for(placement, "3 db replicas placed")
    assert sorted(n for n in nodes.values() if n) == NODES
    pending = next(name for name, n in nodes.items() if not n)
    messages = wait_for(lambda: failed_scheduling(cluster, ns, pending), f"FailedScheduling for {pending}")
    assert messages[0].startswith("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")


def test_topology_spread_across_zones(cluster, ns):
    zones = {"sim-node-0": "a", "sim-node-1": "a", "sim-node-2": "b"}
    for node, zone in zones.items():
        cluster("label", "node", node, f"test-zone={zone}", "--overwrite")
    try:
        spread = [{"maxSkew": 1, "topologyKey": "test-zone", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"app": "spread"}}}]
        for i in range(4):
            create(cluster, pod_manifest(f"s-{i}", ns, labels={"app": "spread"}, topologySpreadConstraints=spread))
            wait_running(cluster, ns, f"s-{i}")
        counts = {"a": 0, "b": 0}
        for i in range(4):
            counts[zones[node_of(cluster, ns, f"s-{i}")]] += 1
        assert counts == {"a": 2, "b": 2}
    finally:
        for node in zones:
            cluster("label", "node", node, "test-zone-", check=False)


def test_cordon_keeps_new_pods_off(cluster, ns):
    cluster("cordon", "sim-node-0")
    cluster("cordon", "sim-node-1")
    try:
        create(cluster, *[pod_manifest(f"c-{i}", ns) for i in range(3)])
        for i in range(3):
            assert wait_running(cluster, ns, f"c-{i}")["spec"]["nodeName"] == "sim-node-2"
    finally:
        cluster("uncordon", "sim-node-0", check=False)
        cluster("uncordon", "sim-node-1", check=False)


def test_scheduling_gates_hold_a_pod(cluster, ns):
    create(cluster, pod_manifest("gated", ns, schedulingGates=[{"name": "example.com/wait"}]))
    def gated():
        pod = cluster.json("pod", "gated", "-n", ns)
        cond = [c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"]
        return cond and cond[0]["reason"] == "SchedulingGated"
    wait_for(gated, "PodScheduled=False/SchedulingGated")
    assert node_of(cluster, ns, "gated") is None
    assert failed_scheduling(cluster, ns, "gated") == []


def test_priority_preemption(cluster, ns):
    """A Pod of a higher PriorityClass evicts a lower one when nothing else fits."""
    cls = f"vip-{ns}"
    cluster("create", "priorityclass", cls, "--value=1000")
    try:
        create(cluster, *[pod_manifest(f"low-{n}", ns, cpu="3500m", nodeSelector={"kubernetes.io/hostname": n})
                          for n in NODES])
        for n in NODES:
            wait_running(cluster, ns, f"low-{n}")
        create(cluster, pod_manifest("vip", ns, cpu="2", priorityClassName=cls))
        pod = wait_running(cluster, ns, "vip", timeout=40)
        gone = [n for n in NODES if cluster("get", "pod", f"low-{n}", "-n", ns, check=False)[0] != 0]
        assert gone == [pod["spec"]["nodeName"]]
        preempted = cluster.json("events", "-n", ns, "--field-selector", "reason=Preempted")["items"]
        assert len(preempted) == 1 and preempted[0]["message"].startswith("Preempted by pod ")
        assert preempted[0]["involvedObject"]["name"] == f"low-{pod['spec']['nodeName']}"
    finally:
        cluster("delete", "priorityclass", cls, check=False)
