"""Eviction, PodDisruptionBudgets, `kubectl cordon`, `uncordon` and `drain`, with the real kubectl
and the Python client against the real binary and `skiff sim` nodes."""
import json
import os
import subprocess

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from conftest import SKIFF_BIN, Kubectl, _new_server, stop_process
from test_deployments import has_sim, wait_for

pytestmark = pytest.mark.skipif(not has_sim(), reason="needs `skiff sim`")


@pytest.fixture(scope="module")
def cluster():
    """(kubectl, api client): a server of this module's own with 3 simulated nodes."""
    server = _new_server()
    server.start()
    log = open(os.path.join(server.data_dir, "sim.log"), "ab")
    sim = subprocess.Popen([SKIFF_BIN, "sim", "--nodes", "3", "--kubeconfig", server.kubeconfig],
                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    kubectl = Kubectl(server)
    api = server.api_client()
    try:
        wait_for(lambda: len(kubectl.json("nodes")["items"]) == 3, "3 simulated nodes")
        yield kubectl, api
    finally:
        api.close()
        stop_process(sim)
        server.stop()


@pytest.fixture
def namespace(cluster, request):
    kubectl, _ = cluster
    name = "ev-" + request.node.name.replace("_", "-")[5:40].strip("-")
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


def deployment(kubectl, ns, name, replicas):
    kubectl("create", "deployment", name, "-n", ns, "--image=registry.k8s.io/pause:3.9", f"--replicas={replicas}")
    kubectl("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=60s", timeout=90)


def running_pods(kubectl, ns, app):
    pods = kubectl.json("pods", "-n", ns, "-l", f"app={app}")["items"]
    return [p for p in pods if "deletionTimestamp" not in p["metadata"] and p["status"].get("phase") == "Running"]


def evict(api, ns, name):
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=ns))
    return client.CoreV1Api(api).create_namespaced_pod_eviction(name, ns, body)


def pdb_status(kubectl, ns, name):
    return kubectl.json("pdb", name, "-n", ns).get("status", {})


def test_evict_without_budget_deletes_the_pod(cluster, namespace):
    kubectl, api = cluster
    kubectl("run", "lonely", "-n", namespace, "--image=registry.k8s.io/pause:3.9")
    wait_for(lambda: kubectl.json("pod", "lonely", "-n", namespace)["status"].get("phase") == "Running", "Running pod")
    evict(api, namespace, "lonely")
    _, out, err = kubectl("get", "pod", "lonely", "-n", namespace, check=False)
    gone_or_going = "NotFound" in err or "Terminating" in out
    if not gone_or_going:
        pod = kubectl.json("pod", "lonely", "-n", namespace)
        conditions = {c["type"]: c for c in pod["status"].get("conditions", [])}
        assert conditions["DisruptionTarget"]["reason"] == "EvictionByEvictionAPI"
        assert "deletionTimestamp" in pod["metadata"]


def test_eviction_errors(cluster, namespace):
    kubectl, api = cluster
    with pytest.raises(ApiException) as missing:
        evict(api, namespace, "nope")
    assert missing.value.status == 404
    kubectl("run", "p", "-n", namespace, "--image=registry.k8s.io/pause:3.9")
    core = client.CoreV1Api(api)
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name="other", namespace=namespace))
    with pytest.raises(ApiException) as mismatch:
        core.create_namespaced_pod_eviction("p", namespace, body)
    assert mismatch.value.status == 400
    assert "name in URL does not match name in Eviction object" in mismatch.value.body


def test_budget_allows_one_eviction_then_refuses(cluster, namespace):
    kubectl, api = cluster
    deployment(kubectl, namespace, "web", 3)
    kubectl("create", "pdb", "web", "-n", namespace, "--selector=app=web", "--min-available=2")
    wait_for(lambda: pdb_status(kubectl, namespace, "web").get("disruptionsAllowed") == 1, "disruptionsAllowed 1")
    _, out, _ = kubectl("get", "pdb", "web", "-n", namespace)
    assert out.split("\n")[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert out.split("\n")[1].split()[:4] == ["web", "2", "N/A", "1"]

    first, second = [p["metadata"]["name"] for p in running_pods(kubectl, namespace, "web")][:2]
    evict(api, namespace, first)
    with pytest.raises(ApiException) as refused:
        evict(api, namespace, second)
    assert refused.value.status == 429
    status = json.loads(refused.value.body)
    assert status["reason"] == "TooManyRequests"
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert status["details"]["causes"][0]["reason"] == "DisruptionBudget"
    # The replacement becomes Ready, the budget allows one disruption again, and the eviction goes through.
    wait_for(lambda: pdb_status(kubectl, namespace, "web").get("disruptionsAllowed") == 1
             and len(running_pods(kubectl, namespace, "web")) == 3, "the budget to recover", timeout=60)
    evict(api, namespace, second)


def test_kubectl_cordon_uncordon(cluster):
    kubectl, _ = cluster
    node = kubectl.json("nodes")["items"][0]["metadata"]["name"]
    _, out, _ = kubectl("cordon", node)
    assert f"node/{node} cordoned" in out
    _, out, _ = kubectl("get", "node", node, "--no-headers")
    assert "Ready,SchedulingDisabled" in out
    # The node lifecycle controller mirrors spec.unschedulable as a NoSchedule taint.
    wait_for(lambda: any(t["key"] == "node.kubernetes.io/unschedulable" and t["effect"] == "NoSchedule"
                         for t in kubectl.json("node", node)["spec"].get("taints", [])), "the unschedulable taint")
    _, out, _ = kubectl("uncordon", node)
    assert f"node/{node} uncordoned" in out
    assert not kubectl.json("node", node)["spec"].get("unschedulable", False)
    wait_for(lambda: not any(t["key"] == "node.kubernetes.io/unschedulable"
                             for t in kubectl.json("node", node)["spec"].get("taints", [])), "the taint to go")


def test_kubectl_drain_moves_pods_off_the_node(cluster, namespace):
    kubectl, _ = cluster
    deployment(kubectl, namespace, "drained", 6)
    kubectl("create", "pdb", "drained", "-n", namespace, "--selector=app=drained", "--max-unavailable=1")
    nodes = sorted({p["spec"]["nodeName"] for p in running_pods(kubectl, namespace, "drained")})
    victim = nodes[0]
    try:
        _, out, _ = kubectl("drain", victim, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s", timeout=120)
        assert f"node/{victim} cordoned" in out
        assert f"node/{victim} drained" in out
        assert "evicting pod" in out
        kubectl("rollout", "status", "deployment/drained", "-n", namespace, "--timeout=60s", timeout=90)
        pods = running_pods(kubectl, namespace, "drained")
        assert len(pods) == 6
        assert all(p["spec"]["nodeName"] != victim for p in pods)
        assert kubectl.json("node", victim)["spec"].get("unschedulable") is True
    finally:
        kubectl("uncordon", victim)
