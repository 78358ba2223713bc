"""Node lifecycle, taint-based eviction, Endpoints/EndpointSlices and PodDisruptionBudget status
with the real kubectl against `skiff server` (short --node-monitor-grace-period) and two
`skiff sim` processes: killing one sim stops its nodes' Leases, so its nodes become NotReady
with the unreachable taints, and its Pods are evicted and replaced on the other sim's node."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import SKIFF_BIN, Kubectl, SkiffServer, _new_server
from test_deployments import has_sim, wait_for

pytestmark = pytest.mark.skipif(not has_sim(), reason="skiff sim not available")

GRACE = "4s"


class NodesServer(SkiffServer):
    """A `skiff server` with the node monitor flags set short."""

    def start(self, timeout=30):
        self._log = open(self.log_path, "ab")
        self.starts += 1
        self.proc = subprocess.Popen(
            [SKIFF_BIN, "server", "--data-dir", self.data_dir, "--port", str(self.port), "--bind-address", "127.0.0.1",
             "--node-monitor-grace-period", GRACE, "--node-monitor-period", "500ms", "--terminated-pod-gc-threshold", "2"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_ready(timeout)
        return self


def start_sim(server, prefix):
    log = open(os.path.join(server.data_dir, f"sim-{prefix}.log"), "ab")
    return subprocess.Popen([SKIFF_BIN, "sim", "--nodes", "1", "--name-prefix", prefix, "--node-lease-duration-seconds", "2",
                             "--kubeconfig", server.kubeconfig],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cluster():
    """(kubectl, {prefix: sim process}): a server of this module's own with two sims of one node each."""
    server = NodesServer(_new_server().data_dir)
    server.start()
    sims = {p: start_sim(server, p) for p in ("east-", "west-")}
    kubectl = Kubectl(server)
    try:
        wait_for(lambda: len(ready_nodes(kubectl)) == 2, "2 ready simulated nodes")
        yield kubectl, sims
    finally:
        for proc in sims.values():
            stop(proc)
        server.stop()


@pytest.fixture
def ns(cluster, request):
    """A namespace of its own on this module's server."""
    kubectl, _ = cluster
    name = "t-" + request.node.name.replace("_", "-")[5:40].strip("-")
    kubectl("create", "namespace", name)
    return name


def ready_nodes(kubectl):
    return [n["metadata"]["name"] for n in kubectl.json("nodes")["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))]


def condition(obj, kind):
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == kind), None)


def deployment(name, replicas, toleration_seconds=None):
    tolerations = ""
    if toleration_seconds is not None:
        tolerations = f"""
      tolerations:
      - key: node.kubernetes.io/unreachable
        operator: Exists
        effect: NoExecute
        tolerationSeconds: {toleration_seconds}
      - key: node.kubernetes.io/not-ready
        operator: Exists
        effect: NoExecute
        tolerationSeconds: {toleration_seconds}"""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels: {{app: {name}}}
      containers:
      - name: app
        image: busybox:1
        ports:
        - name: http
          containerPort: 8080{tolerations}
"""


def pods(kubectl, ns, app):
    return kubectl.json("pods", "-n", ns, "-l", f"app={app}")["items"]


def test_node_goes_unreachable_and_its_pods_are_evicted(cluster, ns):
    kubectl, sims = cluster
    kubectl("apply", "-n", ns, "-f", "-", input=deployment("web", 4, toleration_seconds=2))
    wait_for(lambda: len([p for p in pods(kubectl, ns, "web") if (condition(p, "Ready") or {}).get("status") == "True"]) == 4,
             "4 ready pods")
    on = lambda node: [p for p in pods(kubectl, ns, "web") if p["spec"].get("nodeName") == node]
    assert on("east-0") and on("west-0"), "the pods are spread over both nodes"
    doomed = {p["metadata"]["name"] for p in on("west-0")}

    started = time.monotonic()
    stop(sims["west-"], signal.SIGKILL)

    def unreachable():
        node = kubectl.json("node", "west-0")
        ready = condition(node, "Ready")
        taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints", [])}
        return ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown" and \
            ready["message"] == "Kubelet stopped posting node status." and \
            {("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")} <= taints and node
    node = wait_for(unreachable, "west-0 Unknown with the unreachable taints", timeout=20)
    assert time.monotonic() - started >= 3, "not before the grace period"
    assert all(condition(node, t)["status"] == "Unknown" for t in ("MemoryPressure", "DiskPressure", "PIDPressure"))
    _, out, _ = kubectl("get", "node", "west-0", "--no-headers")
    assert out.split()[1] == "NotReady"
    assert condition(kubectl.json("node", "east-0"), "Ready")["status"] == "True"
    assert not kubectl.json("node", "east-0")["spec"].get("taints")

    # Pods on the lost node: Ready=False, then after tolerationSeconds the DisruptionTarget
    # condition and deletion; the Deployment replaces them on east-0.
    def evicted():
        ps = {p["metadata"]["name"]: p for p in pods(kubectl, ns, "web")}
        return all(n in ps and ps[n]["metadata"].get("deletionTimestamp") for n in doomed) and ps
    ps = wait_for(evicted, "the west pods marked for deletion", timeout=30)
    for name in doomed:
        assert condition(ps[name], "Ready")["status"] == "False"
        target = condition(ps[name], "DisruptionTarget")
        assert target and target["status"] == "True" and target["reason"] == "DeletionByTaintManager"
    wait_for(lambda: len([p for p in on("east-0") if not p["metadata"].get("deletionTimestamp")
                          and (condition(p, "Ready") or {}).get("status") == "True"]) == 4, "4 ready pods on east-0", timeout=30)

    events = kubectl.json("events", "-n", ns, "--field-selector", "reason=TaintManagerEviction")["items"]
    messages = {e["message"] for e in events}
    for name in doomed:
        assert f"Marking for deletion Pod {ns}/{name}" in messages
    node_events = kubectl.json("events", "-n", "default", "--field-selector", "involvedObject.name=west-0")["items"]
    assert "NodeNotReady" in {e["reason"] for e in node_events}

    # The node comes back: Ready again, taints removed.
    sims["west-"] = start_sim(kubectl.server, "west-")
    wait_for(lambda: condition(kubectl.json("node", "west-0"), "Ready")["status"] == "True"
             and not kubectl.json("node", "west-0")["spec"].get("taints"), "west-0 Ready without taints", timeout=20)


def test_endpoints_and_endpointslices_list_the_ready_pod_ips(cluster, ns):
    kubectl, _ = cluster
    kubectl("apply", "-n", ns, "-f", "-", input=deployment("api", 3) + """
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
  - name: web
    port: 80
    targetPort: http
""")

    def ready_ips():
        ps = [p for p in pods(kubectl, ns, "api") if not p["metadata"].get("deletionTimestamp")]
        ips = sorted(p["status"].get("podIP", "") for p in ps if (condition(p, "Ready") or {}).get("status") == "True")
        return len(ips) == 3 and ips

    ips = wait_for(ready_ips, "3 ready api pods")

    def endpoint_ips():
        ep = kubectl.json("endpoints", "api", "-n", ns)
        subsets = ep.get("subsets") or []
        got = sorted(a["ip"] for s in subsets for a in s.get("addresses", []))
        return got == ips and ep
    ep = wait_for(endpoint_ips, "Endpoints with the pod IPs")
    assert ep["subsets"][0]["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    assert all(a["targetRef"]["kind"] == "Pod" and a["nodeName"] for a in ep["subsets"][0]["addresses"])
    _, out, _ = kubectl("get", "endpoints", "api", "-n", ns)
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "ENDPOINTS", "AGE"]
    assert row.split()[1] == ",".join(f"{ip}:8080" for ip in ips)

    def slice_ips():
        slices = kubectl.json("endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=api")["items"]
        got = sorted(e["addresses"][0] for s in slices for e in s.get("endpoints") or [] if e["conditions"]["ready"])
        return got == ips and slices
    slices = wait_for(slice_ips, "EndpointSlices with the pod IPs")
    assert len(slices) == 1
    s = slices[0]
    assert s["metadata"]["name"].startswith("api-")
    assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert s["addressType"] == "IPv4" and s["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"
    _, out, _ = kubectl("get", "endpointslices", "-n", ns)
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert row.split()[1:4] == ["IPv4", "8080", ",".join(ips)]

    # Scaling down drops an address.
    kubectl("scale", "deployment", "api", "-n", ns, "--replicas=2")
    wait_for(lambda: len([a for s in kubectl.json("endpoints", "api", "-n", ns).get("subsets") or []
                          for a in s.get("addresses", [])]) == 2, "2 addresses after scale-down")

    # The API server's own Service has both.
    k = kubectl.json("endpointslice", "kubernetes", "-n", "default")
    assert k["metadata"]["labels"]["kubernetes.io/service-name"] == "kubernetes"
    assert k["endpoints"][0]["conditions"]["ready"] is True
    assert kubectl.json("endpoints", "kubernetes", "-n", "default")["subsets"][0]["addresses"]


def test_pod_disruption_budget_status(cluster, ns):
    kubectl, _ = cluster
    kubectl("apply", "-n", ns, "-f", "-", input=deployment("db", 3) + """
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db-min
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: db}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db-max
spec:
  maxUnavailable: "50%"
  selector:
    matchLabels: {app: db}
""")

    def status(name, **want):
        s = kubectl.json("pdb", name, "-n", ns).get("status", {})
        return all(s.get(k) == v for k, v in want.items()) and s
    s = wait_for(lambda: status("db-min", currentHealthy=3, desiredHealthy=2, expectedPods=3, disruptionsAllowed=1), "db-min status")
    assert s["observedGeneration"] == 1
    cond = next(c for c in s["conditions"] if c["type"] == "DisruptionAllowed")
    assert cond["status"] == "True" and cond["reason"] == "SufficientPods"
    wait_for(lambda: status("db-max", currentHealthy=3, desiredHealthy=1, expectedPods=3, disruptionsAllowed=2), "db-max status")
    _, out, _ = kubectl("get", "pdb", "db-min", "-n", ns)
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert row.split()[:4] == ["db-min", "2", "N/A", "1"]

    # An eviction through the API takes the one allowed disruption; the next is refused (with
    # one budget: a Pod with two is an error, as in Kubernetes).
    kubectl("delete", "pdb", "db-max", "-n", ns)
    victims = [p["metadata"]["name"] for p in pods(kubectl, ns, "db")][:2]
    codes = []
    for name in victims:
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}}
        code, _, _ = kubectl.server.request("POST", f"/api/v1/namespaces/{ns}/pods/{name}/eviction", body=json.dumps(body))
        codes.append(code)
    assert codes == [201, 429]
    wait_for(lambda: status("db-min", currentHealthy=3, disruptionsAllowed=1), "the Deployment replaced the evicted Pod", timeout=30)


def test_default_toleration_seconds_are_added_per_taint(cluster, ns):
    kubectl, _ = cluster
    kubectl("run", "lone", "-n", ns, "--image=busybox:1", "--overrides",
            '{"spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", '
            '"effect": "NoExecute", "tolerationSeconds": 7}, {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]}}')
    tolerations = kubectl.json("pod", "lone", "-n", ns)["spec"]["tolerations"]
    assert tolerations == [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 7},
        {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ]


def test_pod_gc_keeps_at_most_the_threshold_of_terminated_pods(cluster, ns):
    kubectl, _ = cluster
    for i in range(4):
        kubectl("run", f"done-{i}", "-n", ns, "--image=busybox:1", "--restart=Never")
        kubectl("patch", "pod", f"done-{i}", "-n", ns, "--subresource=status", "--type=merge",
                "-p", '{"status": {"phase": "Succeeded"}}')
    # The collector runs every 20 s; the server keeps 2 terminated Pods (--terminated-pod-gc-threshold 2).
    wait_for(lambda: len(kubectl.json("pods", "-n", ns)["items"]) == 2, "2 terminated pods left", timeout=45)
    left = sorted(p["metadata"]["name"] for p in kubectl.json("pods", "-n", ns)["items"])
    assert left == ["done-2", "done-3"], "the oldest go first"
