"""Delete semantics and friends, as the Python client and kubectl see them: DeleteOptions
preconditions, propagationPolicy (Foreground, Background, Orphan) with the garbage collector of
`skiff server`, deletecollection, generateName, JSON patch, and watch bookmarks."""
import json
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

HOLD = "example.com/hold"


def wait_for(fn, what, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def cm(name, data=None, labels=None, owner=None, block=False, finalizers=None):
    meta = client.V1ObjectMeta(name=name, labels=labels, finalizers=finalizers)
    if owner is not None:
        meta.owner_references = [client.V1OwnerReference(
            api_version="v1", kind="ConfigMap", name=owner.metadata.name, uid=owner.metadata.uid,
            block_owner_deletion=block or None)]
    return client.V1ConfigMap(metadata=meta, data=data or {"k": "v"})


def read_or_none(core_v1, name, ns):
    try:
        return core_v1.read_namespaced_config_map(name, ns)
    except ApiException as e:
        assert e.status == 404, e.body
        return None


def status_of(excinfo):
    return json.loads(excinfo.value.body)


# ---- preconditions ------------------------------------------------------------------------------

def test_uid_precondition_mismatch_is_a_conflict(core_v1, ns):
    created = core_v1.create_namespaced_config_map(ns, cm("pre"))
    uid = created.metadata.uid
    wrong = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ApiException) as e:
        core_v1.delete_namespaced_config_map(
            "pre", ns, body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=wrong)))
    assert e.value.status == 409
    st = status_of(e)
    assert st["reason"] == "Conflict" and st["code"] == 409
    # kube-apiserver's rest.BeforeDelete checks first and names the Kind, not the resource.
    assert st["message"] == (
        f'Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition ({wrong}) '
        f"does not match the UID in record ({uid}). The object might have been deleted and then recreated")
    assert st["details"] == {"name": "pre", "kind": "ConfigMap"}
    assert read_or_none(core_v1, "pre", ns) is not None

    core_v1.delete_namespaced_config_map(
        "pre", ns, body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=uid)))
    assert read_or_none(core_v1, "pre", ns) is None


def test_resource_version_precondition_mismatch_is_a_conflict(core_v1, ns):
    v1 = core_v1.create_namespaced_config_map(ns, cm("rv", {"k": "1"}))
    v2 = core_v1.patch_namespaced_config_map("rv", ns, {"data": {"k": "2"}})
    old, now = v1.metadata.resource_version, v2.metadata.resource_version
    with pytest.raises(ApiException) as e:
        core_v1.delete_namespaced_config_map(
            "rv", ns, body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version=old)))
    assert e.value.status == 409
    st = status_of(e)
    assert st["reason"] == "Conflict"
    assert st["message"] == (
        f'Operation cannot be fulfilled on ConfigMap "rv": the ResourceVersion in the precondition ({old}) '
        f"does not match the ResourceVersion in record ({now}). The object might have been modified")
    assert read_or_none(core_v1, "rv", ns).data == {"k": "2"}

    core_v1.delete_namespaced_config_map("rv", ns, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=v2.metadata.uid, resource_version=now)))
    assert read_or_none(core_v1, "rv", ns) is None


def test_namespace_uid_precondition_uses_the_storage_wording(core_v1):
    # Namespaces check preconditions in their own REST Delete, with the storage layer's message.
    name = f"t-pre-ns-{int(time.time() * 1000) % 10**8}"
    created = core_v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        with pytest.raises(ApiException) as e:
            core_v1.delete_namespace(name, body=client.V1DeleteOptions(
                preconditions=client.V1Preconditions(uid="wrong-uid")))
        assert e.value.status == 409
        st = status_of(e)
        assert st["message"] == (f'Operation cannot be fulfilled on namespaces "{name}": Precondition failed: '
                                 f"UID in precondition: wrong-uid, UID in object meta: {created.metadata.uid}")
        assert core_v1.read_namespace(name).status.phase == "Active"
    finally:
        core_v1.delete_namespace(name)


# ---- propagationPolicy ------------------------------------------------------------------------

def family(core_v1, ns, prefix, count=2, block=False, hold_first=False):
    owner = core_v1.create_namespaced_config_map(ns, cm(f"{prefix}-owner"))
    deps = []
    for i in range(count):
        fin = [HOLD] if hold_first and i == 0 else None
        deps.append(core_v1.create_namespaced_config_map(
            ns, cm(f"{prefix}-dep-{i}", owner=owner, block=block, finalizers=fin)).metadata.name)
    return owner, deps


def test_foreground_keeps_the_owner_until_its_dependents_are_gone(core_v1, ns):
    owner, deps = family(core_v1, ns, "fg", count=2, block=True, hold_first=True)
    core_v1.delete_namespaced_config_map("fg-owner", ns, propagation_policy="Foreground")

    # The owner stays, marked: deletionTimestamp and the foregroundDeletion finalizer.
    marked = core_v1.read_namespaced_config_map("fg-owner", ns)
    assert marked.metadata.deletion_timestamp is not None
    assert marked.metadata.finalizers == ["foregroundDeletion"]
    # The collector deletes the dependents; the held one waits on its own finalizer.
    wait_for(lambda: read_or_none(core_v1, deps[1], ns) is None, "the free dependent to go")
    held = wait_for(lambda: (lambda o: o if o and o.metadata.deletion_timestamp else None)(
        read_or_none(core_v1, deps[0], ns)), "the held dependent to be marked")
    assert held.metadata.finalizers == [HOLD]
    time.sleep(1.0)
    still = read_or_none(core_v1, "fg-owner", ns)
    assert still is not None and still.metadata.finalizers == ["foregroundDeletion"]

    core_v1.patch_namespaced_config_map(deps[0], ns, {"metadata": {"finalizers": None}})
    wait_for(lambda: read_or_none(core_v1, deps[0], ns) is None, "the held dependent to go")
    wait_for(lambda: read_or_none(core_v1, "fg-owner", ns) is None, "the owner to go")


def test_background_removes_the_owner_at_once_and_the_dependents_after(core_v1, ns):
    _, deps = family(core_v1, ns, "bg", count=3)
    core_v1.delete_namespaced_config_map("bg-owner", ns, propagation_policy="Background")
    assert read_or_none(core_v1, "bg-owner", ns) is None
    for d in deps:
        wait_for(lambda: read_or_none(core_v1, d, ns) is None, f"{d} to be collected")


def test_orphan_keeps_the_dependents_without_the_reference(core_v1, ns):
    _, deps = family(core_v1, ns, "or", count=2, block=True)
    core_v1.delete_namespaced_config_map("or-owner", ns, body=client.V1DeleteOptions(propagation_policy="Orphan"))
    wait_for(lambda: read_or_none(core_v1, "or-owner", ns) is None, "the owner to go")
    for d in deps:
        dep = wait_for(lambda: (lambda o: o if o and not o.metadata.owner_references else None)(
            read_or_none(core_v1, d, ns)), f"{d} to lose its ownerReference")
        assert dep.metadata.deletion_timestamp is None


def test_an_unknown_propagation_policy_is_refused(core_v1, ns):
    core_v1.create_namespaced_config_map(ns, cm("pp"))
    with pytest.raises(ApiException) as e:
        core_v1.delete_namespaced_config_map("pp", ns, propagation_policy="Sideways")
    assert e.value.status == 422
    st = status_of(e)
    assert st["reason"] == "Invalid"
    assert 'propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"' \
        in st["message"]
    assert read_or_none(core_v1, "pp", ns) is not None


# ---- deletecollection ---------------------------------------------------------------------------

def test_kubectl_delete_all(kubectl, core_v1, ns):
    for n in ("a", "b", "c"):
        core_v1.create_namespaced_config_map(ns, cm(n))
    _, out, _ = kubectl("delete", "configmaps", "--all", "-n", ns, timeout=30)
    lines = out.strip().splitlines()
    for n in ("a", "b", "c"):
        assert f'configmap "{n}" deleted' in lines
    for n in ("a", "b", "c"):
        assert read_or_none(core_v1, n, ns) is None


def test_delete_collection_with_a_label_selector(core_v1, ns, skiff_server):
    for n, tier in (("x1", "web"), ("x2", "web"), ("y1", "db")):
        core_v1.create_namespaced_config_map(ns, cm(n, labels={"tier": tier}))
    core_v1.delete_collection_namespaced_config_map(ns, label_selector="tier=web")
    names = {i.metadata.name for i in core_v1.list_namespaced_config_map(ns, label_selector="tier").items}
    assert names == {"y1"}
    # The same through the raw API: deletecollection answers with the list of what it deleted.
    core_v1.create_namespaced_config_map(ns, cm("z1", labels={"tier": "web"}))
    status, _, body = skiff_server.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps?labelSelector=tier%3Dweb")
    assert status == 200
    raw = json.loads(body)
    assert raw["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in raw["items"]] == ["z1"]
    assert read_or_none(core_v1, "z1", ns) is None and read_or_none(core_v1, "y1", ns) is not None


# ---- generateName -------------------------------------------------------------------------------

def test_generate_name_gives_distinct_names(core_v1, kubectl, ns):
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-"), data={"k": "v"})
    a = core_v1.create_namespaced_config_map(ns, body)
    b = core_v1.create_namespaced_config_map(ns, body)
    for obj in (a, b):
        assert obj.metadata.name.startswith("gen-") and len(obj.metadata.name) == len("gen-") + 5
        assert obj.metadata.generate_name == "gen-"
    assert a.metadata.name != b.metadata.name

    _, out, _ = kubectl("create", "-n", ns, "-f", "-",
                        input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: kc-\ndata:\n  k: v\n")
    made = out.strip()
    assert made.startswith("configmap/kc-") and made.endswith(" created")
    assert read_or_none(core_v1, made.split("/")[1].split()[0], ns) is not None


# ---- JSON patch ---------------------------------------------------------------------------------

def test_json_patch_add_and_a_failing_test_op(kubectl, core_v1, ns):
    core_v1.create_namespaced_config_map(ns, cm("jp", {"k": "v"}))
    _, out, _ = kubectl("patch", "configmap", "jp", "-n", ns, "--type", "json",
                        "-p", '[{"op":"add","path":"/data/new","value":"n"}]')
    assert out.strip() == "configmap/jp patched"
    assert read_or_none(core_v1, "jp", ns).data == {"k": "v", "new": "n"}

    rc, _, err = kubectl("patch", "configmap", "jp", "-n", ns, "--type", "json", "-p",
                         '[{"op":"test","path":"/data/k","value":"other"},{"op":"add","path":"/data/x","value":"y"}]',
                         check=False)
    assert rc == 1
    assert err.strip() == "The request is invalid: the server rejected our request due to an error in our request"
    assert read_or_none(core_v1, "jp", ns).data == {"k": "v", "new": "n"}

    # The Python client sends a list body as application/json-patch+json.
    with pytest.raises(ApiException) as e:
        core_v1.patch_namespaced_config_map("jp", ns, [{"op": "test", "path": "/data/k", "value": "other"}])
    assert e.value.status == 422
    st = status_of(e)
    assert st["reason"] == "Invalid"
    assert st["message"] == "the server rejected our request due to an error in our request"
    patched = core_v1.patch_namespaced_config_map(
        "jp", ns, [{"op": "test", "path": "/data/k", "value": "v"}, {"op": "remove", "path": "/data/new"}])
    assert patched.data == {"k": "v"}


# ---- bookmarks ----------------------------------------------------------------------------------

def test_watch_with_bookmarks_ends_at_its_timeout(core_v1, ns):
    core_v1.create_namespaced_config_map(ns, cm("bm"))
    rv = core_v1.list_namespaced_config_map(ns).metadata.resource_version
    events = []
    start = time.monotonic()
    w = watch.Watch()
    for ev in w.stream(core_v1.list_namespaced_config_map, ns, resource_version=rv,
                       field_selector="metadata.name=bm", allow_watch_bookmarks=True, timeout_seconds=5):
        events.append((time.monotonic() - start, ev))
    elapsed = time.monotonic() - start
    assert 4.5 <= elapsed < 9, elapsed
    assert all(ev["type"] == "BOOKMARK" for _, ev in events), [ev["type"] for _, ev in events]
    # kube-apiserver's cache watcher sends a bookmark 2s before the watch's deadline (and then
    # every minute): a 5s watch gets one at about 3s.
    assert events, "no BOOKMARK before the timeout"
    for at, ev in events:
        obj = ev["object"]
        assert isinstance(obj, dict)
        assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1"
        assert set(obj) == {"kind", "apiVersion", "metadata"}
        meta = {k: v for k, v in obj["metadata"].items() if v is not None}
        assert set(meta) == {"resourceVersion"}
        assert int(meta["resourceVersion"]) >= int(rv)
        assert 2 <= at <= 4.5, at
    # The client remembers the bookmark's resourceVersion to resume from.
    assert w.resource_version == events[-1][1]["object"]["metadata"]["resourceVersion"]
