"""Watch: the Python client's watch.Watch().stream, resuming from an old resourceVersion,
and `kubectl get -w`."""
import os
import queue
import subprocess
import threading
import time

from kubernetes import client, watch

from conftest import KUBECTL


def cm(name, data):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data=data)


def test_watch_sees_added_modified_deleted(core_v1, ns):
    def changes():
        time.sleep(0.5)
        core_v1.create_namespaced_config_map(ns, cm("w1", {"k": "1"}))
        core_v1.patch_namespaced_config_map("w1", ns, {"data": {"k": "2"}})
        core_v1.delete_namespaced_config_map("w1", ns)

    t = threading.Thread(target=changes)
    t.start()
    events = []
    w = watch.Watch()
    try:
        for ev in w.stream(core_v1.list_namespaced_config_map, ns, timeout_seconds=10):
            if ev["object"].metadata.name != "w1":
                continue
            events.append((ev["type"], ev["object"].data))
            if ev["type"] == "DELETED":
                w.stop()
    finally:
        t.join()
    assert [e[0] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[0][1] == {"k": "1"}
    assert events[1][1] == {"k": "2"}


def test_watch_from_old_resource_version_replays(core_v1, ns):
    created = core_v1.create_namespaced_config_map(ns, cm("r1", {"k": "0"}))
    start_rv = created.metadata.resource_version
    rvs = []
    for i in range(1, 4):
        rvs.append(core_v1.patch_namespaced_config_map("r1", ns, {"data": {"k": str(i)}}).metadata.resource_version)
    core_v1.create_namespaced_config_map(ns, cm("r2", {"k": "x"}))
    core_v1.delete_namespaced_config_map("r1", ns)

    events = []
    w = watch.Watch()
    for ev in w.stream(core_v1.list_namespaced_config_map, ns, resource_version=start_rv, timeout_seconds=5):
        events.append((ev["type"], ev["object"].metadata.name, ev["object"].data,
                       ev["object"].metadata.resource_version))
        if ev["type"] == "DELETED":
            w.stop()
    assert [(t, n, d) for t, n, d, _ in events] == [
        ("MODIFIED", "r1", {"k": "1"}),
        ("MODIFIED", "r1", {"k": "2"}),
        ("MODIFIED", "r1", {"k": "3"}),
        ("ADDED", "r2", {"k": "x"}),
        ("DELETED", "r1", {"k": "3"}),
    ]
    assert [rv for _, _, _, rv in events[:3]] == rvs
    # resourceVersions increase along the stream.
    assert [int(rv) for *_, rv in events] == sorted(int(rv) for *_, rv in events)


def test_watch_with_label_selector(core_v1, ns):
    lst = core_v1.list_namespaced_config_map(ns)
    core_v1.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="other", labels={"app": "no"})))
    core_v1.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="mine", labels={"app": "yes"})))
    w = watch.Watch()
    seen = []
    for ev in w.stream(core_v1.list_namespaced_config_map, ns, label_selector="app=yes",
                       resource_version=lst.metadata.resource_version, timeout_seconds=3):
        seen.append((ev["type"], ev["object"].metadata.name))
        w.stop()
    assert seen == [("ADDED", "mine")]


def test_kubectl_get_watch_prints_new_object(skiff_server, kubectl, ns):
    kubectl("create", "configmap", "before", "-n", ns)
    proc = subprocess.Popen(
        [KUBECTL, "--kubeconfig", skiff_server.kubeconfig, "--cache-dir", skiff_server.cache_dir,
         "get", "configmaps", "-n", ns, "-w", "--request-timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, KUBECONFIG=skiff_server.kubeconfig))
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True)
    reader.start()
    out = ""
    try:
        deadline = time.monotonic() + 15
        created = False
        while time.monotonic() < deadline and "watched-new" not in out:
            try:
                out += lines.get(timeout=0.2)
            except queue.Empty:
                pass
            if not created and "before" in out:
                kubectl("create", "configmap", "watched-new", "-n", ns, "--from-literal=a=b")
                created = True
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err = proc.stderr.read()
    assert out.splitlines()[0].split() == ["NAME", "DATA", "AGE"], out + err
    rows = [l.split() for l in out.splitlines()[1:]]
    assert ["before", "0"] in [r[:2] for r in rows], out + err
    assert ["watched-new", "1"] in [r[:2] for r in rows], out + err
