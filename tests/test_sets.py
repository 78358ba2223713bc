"""StatefulSets and DaemonSets with the real kubectl against the real binary and `skiff sim`:
ordered creation, claims from volumeClaimTemplates, scale down from the highest ordinal, partitioned
rolling updates, `rollout status/history/undo`; one daemon Pod per eligible node, taints, new nodes.

A module-scoped server of its own runs with `skiff sim --nodes 3` so that Pods get nodes and
become Ready."""
import json
import os
import signal
import subprocess
import threading
from datetime import datetime

import pytest

from conftest import SKIFF_BIN, Kubectl, _new_server
from test_deployments import has_sim, wait_for


def start_sim(server, nodes, prefix):
    log = open(os.path.join(server.data_dir, f"sim-{prefix}.log"), "ab")
    return subprocess.Popen([SKIFF_BIN, "sim", "--nodes", str(nodes), "--name-prefix", prefix, "--kubeconfig", server.kubeconfig],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def cluster():
    """(server, kubectl): a server of this module's own with 3 simulated nodes sim-node-0..2."""
    if not has_sim():
        pytest.skip("skiff sim is not available")
    server = _new_server()
    server.start()
    sim = start_sim(server, 3, "sim-node-")
    kubectl = Kubectl(server)
    try:
        wait_for(lambda: len(kubectl.json("nodes")["items"]) == 3, "3 simulated nodes")
        yield server, kubectl
    finally:
        stop(sim)
        server.stop()


class PodWatch:
    """`kubectl get pods --watch --output-watch-events -o json` in the background: the events, in order."""

    def __init__(self, server, ns, selector):
        self.proc = subprocess.Popen(["kubectl", "--kubeconfig", server.kubeconfig, "get", "pods", "-n", ns, "-l", selector,
                                      "--watch", "--output-watch-events", "-o", "json"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        decoder, buffer = json.JSONDecoder(), ""
        for line in self.proc.stdout:
            buffer += line
            while True:
                stripped = buffer.lstrip()
                try:
                    event, end = decoder.raw_decode(stripped)
                except ValueError:
                    break
                self.events.append((event["type"], event["object"]))
                buffer = stripped[end:]

    def wait_listed(self, count):
        """Returns once the watch has reported `count` Pods (its initial list)."""
        wait_for(lambda: len(self.events) >= count, f"the watch to list {count} pods")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.reader.join(10)
        return list(self.events)


def first_index(events, predicate):
    return next(i for i, e in enumerate(events) if predicate(*e))


def created_at(pod):
    return datetime.strptime(pod["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")


def ready_since(pod):
    for c in pod["status"].get("conditions", []):
        if c["type"] == "Ready" and c["status"] == "True":
            return datetime.strptime(c["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ")
    return None


def pods(kubectl, ns, selector):
    return {p["metadata"]["name"]: p for p in kubectl.json("pods", "-n", ns, "-l", selector)["items"]}


def live_pods(kubectl, ns, selector):
    return {n: p for n, p in pods(kubectl, ns, selector).items() if not p["metadata"].get("deletionTimestamp")}


STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: busybox:1
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
"""


def test_statefulset_ordered_claims_scale_and_partitioned_update(cluster):
    _, kubectl = cluster
    ns = "sts-basics"
    kubectl("create", "namespace", ns)
    watch = PodWatch(cluster[0], ns, "app=web")
    try:
        kubectl("apply", "-n", ns, "-f", "-", input=STATEFULSET)
        _, out, _ = kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)
        assert "partitioned roll out complete: 3 new pods have been updated" in out, out
    finally:
        events = watch.stop()
    # web-N appears only after web-(N-1) was seen Running and Ready.
    added = {o["metadata"]["name"]: first_index(events, lambda t, x, o=o: t == "ADDED" and x["metadata"]["name"] == o["metadata"]["name"])
             for t, o in events if t == "ADDED"}
    assert sorted(added, key=added.get) == ["web-0", "web-1", "web-2"]
    for n in (1, 2):
        ready = first_index(events, lambda t, o: o["metadata"]["name"] == f"web-{n-1}" and o["status"].get("phase") == "Running"
                            and ready_since(o) is not None)
        assert ready < added[f"web-{n}"], f"web-{n} created before web-{n-1} was ready"

    current = pods(kubectl, ns, "app=web")
    assert set(current) == {"web-0", "web-1", "web-2"}
    for n in (1, 2):
        assert created_at(current[f"web-{n}"]) >= ready_since(current[f"web-{n-1}"])
    web1 = current["web-1"]
    assert web1["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert web1["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert web1["spec"]["hostname"] == "web-1" and web1["spec"]["subdomain"] == "web"
    assert web1["spec"]["nodeName"].startswith("sim-node-")
    claims = {c["metadata"]["name"]: c for c in kubectl.json("pvc", "-n", ns)["items"]}
    assert set(claims) == {"www-web-0", "www-web-1", "www-web-2"}
    assert claims["www-web-1"]["metadata"]["labels"] == {"app": "web"}
    sts = kubectl.json("sts", "web", "-n", ns)
    status = sts["status"]
    assert status["replicas"] == 3 and status["readyReplicas"] == 3 and status["currentReplicas"] == 3
    assert status["updatedReplicas"] == 3 and status["availableReplicas"] == 3 and status["observedGeneration"] == 1
    assert status["currentRevision"] == status["updateRevision"] == web1["metadata"]["labels"]["controller-revision-hash"]
    _, out, _ = kubectl("get", "sts", "web", "-n", ns, "-o", "wide")
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
    assert row.split()[0:2] == ["web", "3/3"] and row.split()[3:] == ["nginx", "busybox:1"]
    _, out, _ = kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.kind=StatefulSet", "-o", "json")
    messages = {e["message"] for e in json.loads(out)["items"]}
    assert "create Pod web-0 in StatefulSet web successful" in messages
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in messages

    # Scale down: web-2 goes before web-1; claims stay.
    watch = PodWatch(cluster[0], ns, "app=web")
    try:
        watch.wait_listed(3)
        kubectl("scale", "sts", "web", "--replicas=1", "-n", ns)
        wait_for(lambda: set(pods(kubectl, ns, "app=web")) == {"web-0"}, "1 pod left")
    finally:
        events = watch.stop()
    web2_gone = first_index(events, lambda t, o: t == "DELETED" and o["metadata"]["name"] == "web-2")
    web1_deleting = first_index(events, lambda t, o: o["metadata"]["name"] == "web-1" and (t == "DELETED" or o["metadata"].get("deletionTimestamp")))
    assert web2_gone < web1_deleting, "web-1 was deleted before web-2 was gone"
    assert {c["metadata"]["name"] for c in kubectl.json("pvc", "-n", ns)["items"]} == {"www-web-0", "www-web-1", "www-web-2"}
    kubectl("scale", "sts", "web", "--replicas=3", "-n", ns)
    kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)

    # Partitioned rolling update: only ordinals >= 2 move to the new revision.
    kubectl("patch", "sts", "web", "-n", ns, "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}')
    kubectl("set", "image", "sts/web", "nginx=busybox:2", "-n", ns)
    _, out, _ = kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)
    assert "partitioned roll out complete: 1 new pods have been updated" in out, out
    images = {n: p["spec"]["containers"][0]["image"] for n, p in live_pods(kubectl, ns, "app=web").items()}
    assert images == {"web-0": "busybox:1", "web-1": "busybox:1", "web-2": "busybox:2"}
    kubectl("patch", "sts", "web", "-n", ns, "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}')
    kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in live_pods(kubectl, ns, "app=web").values()} == {"busybox:2"}
             and len(live_pods(kubectl, ns, "app=web")) == 3, "every pod at busybox:2")
    wait_for(lambda: kubectl.json("sts", "web", "-n", ns)["status"].get("currentRevision")
             == kubectl.json("sts", "web", "-n", ns)["status"].get("updateRevision"), "update complete")

    _, out, _ = kubectl("rollout", "history", "statefulset/web", "-n", ns)
    assert [line.split()[0] for line in out.splitlines()[2:] if line.strip()] == ["1", "2"], out
    _, out, _ = kubectl("rollout", "undo", "statefulset/web", "-n", ns)
    assert "rolled back" in out, out
    kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in live_pods(kubectl, ns, "app=web").values()} == {"busybox:1"}
             and len(live_pods(kubectl, ns, "app=web")) == 3, "every pod back at busybox:1")
    _, out, _ = kubectl("rollout", "history", "statefulset/web", "-n", ns)
    assert [line.split()[0] for line in out.splitlines()[2:] if line.strip()] == ["2", "3"], out


DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: busybox:1
"""


def test_daemonset_nodes_taints_new_nodes_and_rollout(cluster):
    server, kubectl = cluster
    ns = "ds-basics"
    kubectl("create", "namespace", ns)
    kubectl("taint", "nodes", "sim-node-2", "dedicated=db:NoSchedule")
    try:
        kubectl("apply", "-n", ns, "-f", "-", input=DAEMONSET)
        _, out, _ = kubectl("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s", timeout=90)
        assert 'daemon set "agent" successfully rolled out' in out, out
        placed = {p["spec"].get("nodeName") for p in live_pods(kubectl, ns, "app=agent").values()}
        assert placed == {"sim-node-0", "sim-node-1"}
        ds = kubectl.json("ds", "agent", "-n", ns)
        assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
        status = ds["status"]
        assert status["desiredNumberScheduled"] == 2 and status["currentNumberScheduled"] == 2 and status["numberReady"] == 2
        assert status["updatedNumberScheduled"] == 2 and status["numberAvailable"] == 2 and status["numberMisscheduled"] == 0
        _, out, _ = kubectl("get", "ds", "agent", "-n", ns, "-o", "wide")
        header, row = out.splitlines()[:2]
        assert header.split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE",
                                  "CONTAINERS", "IMAGES", "SELECTOR"]
        assert row.split()[:7] == ["agent", "2", "2", "2", "2", "2", "<none>"]

        # A node that matches a nodeSelector no longer does: its Pod goes.
        kubectl("label", "node", "sim-node-0", "role=edge")
        kubectl("label", "node", "sim-node-1", "role=edge")
        kubectl("patch", "ds", "agent", "-n", ns, "-p", '{"spec":{"template":{"spec":{"nodeSelector":{"role":"edge"}}}}}')
        kubectl("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s", timeout=90)
        kubectl("label", "node", "sim-node-1", "role-", )
        wait_for(lambda: {p["spec"].get("nodeName") for p in live_pods(kubectl, ns, "app=agent").values()} == {"sim-node-0"},
                 "only sim-node-0 keeps a pod")

        # A new node with the label gets a Pod.
        extra = start_sim(server, 1, "extra-node-")
        try:
            wait_for(lambda: len(kubectl.json("nodes")["items"]) == 4, "4 nodes")
            kubectl("label", "node", "extra-node-0", "role=edge")
            wait_for(lambda: {p["spec"].get("nodeName") for p in live_pods(kubectl, ns, "app=agent").values()}
                     == {"sim-node-0", "extra-node-0"}, "a pod on the new node")
            kubectl("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s", timeout=90)

            # Rollout of a new image, one node at a time.
            kubectl("annotate", "ds", "agent", "-n", ns, "kubernetes.io/change-cause=image busybox:2")
            kubectl("set", "image", "ds/agent", "agent=busybox:2", "-n", ns)
            _, out, _ = kubectl("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s", timeout=90)
            assert 'daemon set "agent" successfully rolled out' in out, out
            wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in live_pods(kubectl, ns, "app=agent").values()}
                     == {"busybox:2"}, "every pod at busybox:2")
            assert kubectl.json("ds", "agent", "-n", ns)["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "3"
            _, out, _ = kubectl("rollout", "history", "daemonset/agent", "-n", ns)
            assert [line.split()[0] for line in out.splitlines()[2:] if line.strip()] == ["1", "2", "3"], out
            assert [line for line in out.splitlines() if line.strip()][-1].split(None, 1) == ["3", "image busybox:2"], out
            _, out, _ = kubectl("rollout", "history", "daemonset/agent", "-n", ns, "--revision=2")
            assert "busybox:1" in out and "role=edge" in out, out
            _, out, _ = kubectl("rollout", "undo", "daemonset/agent", "-n", ns)
            assert "rolled back" in out, out
            kubectl("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s", timeout=90)
            wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in live_pods(kubectl, ns, "app=agent").values()}
                     == {"busybox:1"}, "every pod back at busybox:1")
            _, out, _ = kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.kind=DaemonSet", "-o", "json")
            reasons = {e["reason"] for e in json.loads(out)["items"]}
            assert {"SuccessfulCreate", "SuccessfulDelete"} <= reasons
        finally:
            stop(extra)
            # Nothing runs Pods there any more (there is no node lifecycle controller to taint it).
            kubectl("delete", "node", "extra-node-0", check=False)
    finally:
        kubectl("taint", "nodes", "sim-node-2", "dedicated-", check=False)


def test_statefulset_claim_retention_policy_delete(cluster):
    _, kubectl = cluster
    ns = "sts-retention"
    kubectl("create", "namespace", ns)
    manifest = STATEFULSET.replace("  replicas: 3\n", "  replicas: 2\n  persistentVolumeClaimRetentionPolicy:\n"
                                   "    whenDeleted: Delete\n    whenScaled: Delete\n")
    kubectl("apply", "-n", ns, "-f", "-", input=manifest)
    kubectl("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s", timeout=90)
    claims = lambda: {c["metadata"]["name"] for c in kubectl.json("pvc", "-n", ns)["items"] if not c["metadata"].get("deletionTimestamp")}
    assert claims() == {"www-web-0", "www-web-1"}
    # Scaled away: the claim goes with its Pod.
    kubectl("scale", "sts", "web", "--replicas=1", "-n", ns)
    wait_for(lambda: claims() == {"www-web-0"}, "www-web-1 deleted with web-1")
    # The set deleted: its claims go too.
    kubectl("delete", "sts", "web", "-n", ns)
    wait_for(lambda: not claims() and not pods(kubectl, ns, "app=web"), "claims and pods deleted with the set")
