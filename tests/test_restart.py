"""A clean stop (SIGTERM) and a start on the same data dir keep every object and credential."""
import base64
import json
import shutil

import yaml


def test_restart_keeps_objects_and_credentials(fresh_server, tmp_path):
    s = fresh_server
    s.kubectl("create", "namespace", "keep")
    items = [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"cm-{i:02d}", "labels": {"set": "restart"}}, "data": {"i": str(i)}}
             for i in range(20)]
    s.kubectl("create", "-n", "keep", "-f", "-",
              input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    before = {i["metadata"]["name"]: i for i in s.get_json("configmaps", "-n", "keep", "-l", "set=restart")["items"]}
    assert len(before) == 20

    old_kubeconfig = tmp_path / "kubeconfig.before"
    shutil.copy(s.kubeconfig, old_kubeconfig)

    rc = s.stop()
    assert rc == 0, f"skiff should exit 0 on SIGTERM, got {rc}\n{s.log_tail()}"

    s.start()
    # The kubeconfig written before the restart still works: same CA, same token, same port.
    after = {i["metadata"]["name"]: i for i in
             s.get_json("configmaps", "-n", "keep", "-l", "set=restart", kubeconfig=str(old_kubeconfig))["items"]}
    assert sorted(after) == sorted(before)
    for name, obj in before.items():
        assert after[name]["metadata"]["uid"] == obj["metadata"]["uid"], name
        assert after[name]["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"], name
        assert after[name]["metadata"]["creationTimestamp"] == obj["metadata"]["creationTimestamp"], name
        assert after[name]["data"] == obj["data"], name

    old = yaml.safe_load(old_kubeconfig.read_text())
    new = yaml.safe_load(open(s.kubeconfig).read())
    assert new["clusters"][0]["cluster"]["certificate-authority-data"] == \
        old["clusters"][0]["cluster"]["certificate-authority-data"]
    assert base64.b64decode(old["clusters"][0]["cluster"]["certificate-authority-data"]).startswith(
        b"-----BEGIN CERTIFICATE-----")

    # Writes continue with newer resourceVersions.
    _, out, _ = s.kubectl("create", "configmap", "after-restart", "-n", "keep")
    assert out.strip() == "configmap/after-restart created"
    rv = s.get_json("configmap", "after-restart", "-n", "keep")["metadata"]["resourceVersion"]
    assert int(rv) > max(int(o["metadata"]["resourceVersion"]) for o in before.values())
