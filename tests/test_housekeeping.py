"""Namespace deletion, the default ServiceAccount, kube-root-ca.crt, and garbage collection by
ownerReferences, driven with the real kubectl against the real binary."""
import base64
import json
import time
import uuid

import yaml


def wait_for(fn, what, timeout=10.0, interval=0.05):
    """Polls `fn` until it returns something true, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def exists(kubectl, *args):
    rc, _, err = kubectl("get", *args, check=False)
    if rc != 0:
        assert "NotFound" in err, err
    return rc == 0


def dependent(name, owner, block=False):
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"]}
    if block:
        ref["blockOwnerDeletion"] = True
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "ownerReferences": [ref]}, "data": {"k": "v"}}


def family(kubectl, ns, prefix, count=2, block=False):
    """A ConfigMap owning `count` other ConfigMaps."""
    kubectl("create", "configmap", f"{prefix}-owner", "-n", ns, "--from-literal=k=v")
    owner = kubectl.json("configmap", f"{prefix}-owner", "-n", ns)
    items = [dependent(f"{prefix}-dep-{i}", owner, block) for i in range(count)]
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return owner, [i["metadata"]["name"] for i in items]


def test_deleting_a_namespace_empties_it_and_removes_it(kubectl):
    name = f"t-hk-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", name)
    kubectl("create", "configmap", "x", "-n", name, "--from-literal=a=b")
    kubectl("create", "secret", "generic", "s", "-n", name, "--from-literal=a=b")
    start = time.monotonic()
    _, out, _ = kubectl("delete", "namespace", name, timeout=10)
    elapsed = time.monotonic() - start
    assert out.strip() == f'namespace "{name}" deleted'
    assert elapsed < 10
    rc, _, err = kubectl("get", "namespace", name, check=False)
    assert rc != 0
    assert f'namespaces "{name}" not found' in err
    for kind, obj in (("configmap", "x"), ("secret", "s"), ("configmap", "kube-root-ca.crt"), ("serviceaccount", "default")):
        assert not exists(kubectl, kind, obj, "-n", name)


def test_a_terminating_namespace_reports_what_holds_it(kubectl):
    name = f"t-hk-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", name)
    kubectl("create", "-n", name, "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}))
    kubectl("delete", "namespace", name, "--wait=false")

    def conditions():
        ns = kubectl.json("namespace", name)
        by_type = {c["type"]: c for c in ns["status"].get("conditions", [])}
        c = by_type.get("NamespaceFinalizersRemaining")
        return ns if c and c["status"] == "True" else None

    ns = wait_for(conditions, "NamespaceFinalizersRemaining")
    assert ns["status"]["phase"] == "Terminating"
    by_type = {c["type"]: c for c in ns["status"]["conditions"]}
    assert by_type["NamespaceContentRemaining"]["message"] == "Some resources are remaining: configmaps. has 1 resource instances"
    assert by_type["NamespaceFinalizersRemaining"]["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert by_type["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    _, out, _ = kubectl("get", "namespace", name)
    assert "Terminating" in out

    kubectl("patch", "configmap", "held", "-n", name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    wait_for(lambda: not exists(kubectl, "namespace", name), "the namespace to go")


def test_new_namespaces_get_a_default_service_account_and_the_root_ca(kubectl, ns, skiff_server):
    wait_for(lambda: exists(kubectl, "serviceaccount", "default", "-n", ns), "the default ServiceAccount")
    cm = wait_for(lambda: exists(kubectl, "configmap", "kube-root-ca.crt", "-n", ns)
                  and kubectl.json("configmap", "kube-root-ca.crt", "-n", ns), "kube-root-ca.crt")
    with open(skiff_server.kubeconfig) as f:
        ca = base64.b64decode(yaml.safe_load(f)["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    assert cm["data"] == {"ca.crt": ca}
    assert "kube-apiserver" in cm["metadata"]["annotations"]["kubernetes.io/description"]

    kubectl("delete", "serviceaccount", "default", "-n", ns)
    wait_for(lambda: exists(kubectl, "serviceaccount", "default", "-n", ns), "the default ServiceAccount again")
    kubectl("delete", "configmap", "kube-root-ca.crt", "-n", ns)
    wait_for(lambda: exists(kubectl, "configmap", "kube-root-ca.crt", "-n", ns), "kube-root-ca.crt again")


def test_background_deletion_removes_dependents(kubectl, ns):
    _, deps = family(kubectl, ns, "bg")
    kubectl("delete", "configmap", "bg-owner", "-n", ns)
    for d in deps:
        wait_for(lambda: not exists(kubectl, "configmap", d, "-n", ns), f"{d} to be collected")


def test_orphan_deletion_keeps_dependents_without_the_reference(kubectl, ns):
    _, deps = family(kubectl, ns, "or")
    kubectl("delete", "configmap", "or-owner", "-n", ns, "--cascade=orphan", timeout=10)
    assert not exists(kubectl, "configmap", "or-owner", "-n", ns)
    for d in deps:
        obj = kubectl.json("configmap", d, "-n", ns)
        assert "ownerReferences" not in obj["metadata"]


def test_foreground_deletion_removes_dependents_before_the_owner(kubectl, ns, skiff_server):
    _, deps = family(kubectl, ns, "fg", count=3, block=True)
    status, _, body = skiff_server.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert status == 200
    rv = json.loads(body)["metadata"]["resourceVersion"]
    kubectl("delete", "configmap", "fg-owner", "-n", ns, "--cascade=foreground", timeout=10)
    for d in deps:
        assert not exists(kubectl, "configmap", d, "-n", ns)
    status, _, body = skiff_server.request(
        "GET", f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1", timeout=10)
    assert status == 200
    events = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    deleted = [e["object"]["metadata"]["name"] for e in events if e["type"] == "DELETED"]
    assert deleted[-1] == "fg-owner"
    assert sorted(deleted[:-1]) == sorted(deps)
    # The owner was first only marked: deletionTimestamp and the foregroundDeletion finalizer.
    marked = [e["object"] for e in events if e["type"] == "MODIFIED" and e["object"]["metadata"]["name"] == "fg-owner"]
    assert marked and marked[0]["metadata"]["finalizers"] == ["foregroundDeletion"]
