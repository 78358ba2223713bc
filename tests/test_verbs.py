"""kubectl verbs on ConfigMaps and Deployments: create, get (all output formats), list, delete,
replace, apply, edit, patch (three types), label, annotate, describe."""
import json
import os
import stat

import yaml

CM = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  key: {value}
"""

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: a
        image: img-a
      - name: b
        image: img-b
"""


def test_create_get_list_delete(kubectl, ns):
    _, out, _ = kubectl("create", "configmap", "one", "-n", ns, "--from-literal=key=value1")
    assert out.strip() == "configmap/one created"
    _, out, _ = kubectl("create", "-n", ns, "-f", "-", input=CM.format(name="two", value="v2"))
    assert out.strip() == "configmap/two created"

    cm = kubectl.json("configmap", "one", "-n", ns)
    assert cm["apiVersion"] == "v1" and cm["kind"] == "ConfigMap"
    assert cm["data"] == {"key": "value1"}
    assert cm["metadata"]["namespace"] == ns
    assert cm["metadata"]["uid"] and cm["metadata"]["resourceVersion"]
    assert cm["metadata"]["creationTimestamp"].endswith("Z")

    lst = kubectl.json("configmaps", "-n", ns)
    assert lst["kind"] == "List"
    names = sorted(i["metadata"]["name"] for i in lst["items"] if i["metadata"]["name"] in ("one", "two"))
    assert names == ["one", "two"]

    _, out, _ = kubectl("get", "cm", "-n", ns)
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows["one"][1] == "1" and rows["two"][1] == "1"

    _, out, _ = kubectl("delete", "configmap", "one", "-n", ns)
    assert out.startswith('configmap "one" deleted')
    rc, _, err = kubectl("get", "configmap", "one", "-n", ns, check=False)
    assert rc == 1
    assert 'Error from server (NotFound): configmaps "one" not found' in err


def test_output_formats(kubectl, ns):
    kubectl("create", "configmap", "fmt", "-n", ns, "--from-literal=key=value1", "--from-literal=k2=v2")
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o", "yaml")
    obj = yaml.safe_load(out)
    assert obj["kind"] == "ConfigMap" and obj["data"] == {"key": "value1", "k2": "v2"}
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o", "json")
    assert json.loads(out)["metadata"]["name"] == "fmt"
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o", "wide")
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert lines[1].split()[:2] == ["fmt", "2"]
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o", "name")
    assert out.strip() == "configmap/fmt"
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o", "jsonpath={.data.key}")
    assert out == "value1"
    _, out, _ = kubectl("get", "cm", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
    assert "fmt" in out.split()
    _, out, _ = kubectl("get", "cm", "fmt", "-n", ns, "-o",
                        "custom-columns=NAME:.metadata.name,KEY:.data.key")
    assert out.strip().splitlines()[1].split() == ["fmt", "value1"]


def test_describe_configmap(kubectl, ns):
    kubectl("create", "configmap", "desc", "-n", ns, "--from-literal=greeting=hello")
    kubectl("label", "cm", "desc", "-n", ns, "tier=web")
    _, out, _ = kubectl("describe", "configmap", "desc", "-n", ns)
    assert "Name:         desc" in out
    assert f"Namespace:    {ns}" in out
    assert "Labels:       tier=web" in out
    assert "Data\n====\ngreeting:\n----\nhello" in out


def test_replace(kubectl, ns):
    kubectl("create", "-n", ns, "-f", "-", input=CM.format(name="rep", value="before"))
    before = kubectl.json("cm", "rep", "-n", ns)
    _, out, _ = kubectl("replace", "-n", ns, "-f", "-", input=CM.format(name="rep", value="after"))
    assert out.strip() == "configmap/rep replaced"
    after = kubectl.json("cm", "rep", "-n", ns)
    assert after["data"] == {"key": "after"}
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_apply_created_configured_unchanged(kubectl, ns):
    _, out, _ = kubectl("apply", "-n", ns, "-f", "-", input=CM.format(name="app", value="one"))
    assert out.strip() == "configmap/app created"
    cm = kubectl.json("cm", "app", "-n", ns)
    last = json.loads(cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"key": "one"}

    _, out, _ = kubectl("apply", "-n", ns, "-f", "-", input=CM.format(name="app", value="two"))
    assert out.strip() == "configmap/app configured"
    assert kubectl.json("cm", "app", "-n", ns)["data"] == {"key": "two"}
    rv = kubectl.json("cm", "app", "-n", ns)["metadata"]["resourceVersion"]

    _, out, _ = kubectl("apply", "-n", ns, "-f", "-", input=CM.format(name="app", value="two"))
    assert out.strip() == "configmap/app unchanged"
    assert kubectl.json("cm", "app", "-n", ns)["metadata"]["resourceVersion"] == rv


def test_server_side_apply(kubectl, ns):
    _, out, _ = kubectl("apply", "--server-side", "-n", ns, "-f", "-",
                        input=CM.format(name="ssa", value="one"))
    assert out.strip() == "configmap/ssa serverside-applied"
    cm = kubectl.json("cm", "ssa", "-n", ns, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in cm["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    _, out, _ = kubectl("apply", "--server-side", "-n", ns, "-f", "-",
                        input=CM.format(name="ssa", value="two"))
    assert out.strip() == "configmap/ssa serverside-applied"
    assert kubectl.json("cm", "ssa", "-n", ns)["data"] == {"key": "two"}


def test_edit_with_editor_script(kubectl, ns, tmp_path):
    kubectl("create", "configmap", "ed", "-n", ns, "--from-literal=key=value1")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/value1/value2/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    env = {"EDITOR": str(editor), "KUBE_EDITOR": str(editor)}
    _, out, _ = kubectl("edit", "configmap", "ed", "-n", ns, env=env)
    assert out.strip() == "configmap/ed edited"
    assert kubectl.json("cm", "ed", "-n", ns)["data"] == {"key": "value2"}
    # Nothing left to change: kubectl reports the edit was cancelled and the object stays.
    rv = kubectl.json("cm", "ed", "-n", ns)["metadata"]["resourceVersion"]
    _, out, err = kubectl("edit", "configmap", "ed", "-n", ns, env=env)
    assert "Edit cancelled, no changes made." in out + err
    assert kubectl.json("cm", "ed", "-n", ns)["metadata"]["resourceVersion"] == rv


def test_patch_strategic_merge_json(kubectl, ns):
    kubectl("create", "-n", ns, "-f", "-", input=DEPLOY)
    # Strategic merge: the containers list is merged by name; container a stays.
    _, out, _ = kubectl("patch", "deployment", "web", "-n", ns, "-p",
                        '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"img-b2"}]}}}}')
    assert out.strip() == "deployment.apps/web patched"
    cs = kubectl.json("deployment", "web", "-n", ns)["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in cs] == [("a", "img-a"), ("b", "img-b2")]

    # JSON merge patch: lists are replaced as a whole.
    _, out, _ = kubectl("patch", "deployment", "web", "-n", ns, "--type", "merge", "-p",
                        '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"img-b3"}]}}}}')
    assert out.strip() == "deployment.apps/web patched"
    d = kubectl.json("deployment", "web", "-n", ns)
    cs = d["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in cs] == [("b", "img-b3")]
    # Defaults were applied again to the replaced container.
    assert cs[0]["imagePullPolicy"] == "Always"
    assert cs[0]["terminationMessagePath"] == "/dev/termination-log"

    # JSON patch.
    _, out, _ = kubectl("patch", "deployment", "web", "-n", ns, "--type", "json", "-p",
                        '[{"op":"replace","path":"/spec/replicas","value":3},'
                        '{"op":"add","path":"/metadata/labels","value":{"patched":"yes"}}]')
    assert out.strip() == "deployment.apps/web patched"
    d = kubectl.json("deployment", "web", "-n", ns)
    assert d["spec"]["replicas"] == 3
    assert d["metadata"]["labels"] == {"patched": "yes"}

    # A JSON patch whose test op fails is refused and changes nothing.
    rc, _, err = kubectl("patch", "deployment", "web", "-n", ns, "--type", "json", "-p",
                         '[{"op":"test","path":"/spec/replicas","value":7},'
                         '{"op":"replace","path":"/spec/replicas","value":9}]', check=False)
    assert rc != 0
    assert kubectl.json("deployment", "web", "-n", ns)["spec"]["replicas"] == 3

    # Merge patch with null deletes a key.
    kubectl("create", "configmap", "mp", "-n", ns, "--from-literal=a=1", "--from-literal=b=2")
    _, out, _ = kubectl("patch", "cm", "mp", "-n", ns, "--type", "merge", "-p", '{"data":{"a":null}}')
    assert out.strip() == "configmap/mp patched"
    assert kubectl.json("cm", "mp", "-n", ns)["data"] == {"b": "2"}


def test_label_and_annotate(kubectl, ns):
    kubectl("create", "configmap", "lab", "-n", ns, "--from-literal=k=v")
    _, out, _ = kubectl("label", "cm", "lab", "-n", ns, "env=prod")
    assert out.strip() == "configmap/lab labeled"
    rc, _, err = kubectl("label", "cm", "lab", "-n", ns, "env=dev", check=False)
    assert rc != 0
    assert "'env' already has a value (prod), and --overwrite is false" in err
    _, out, _ = kubectl("label", "cm", "lab", "-n", ns, "env=dev", "--overwrite")
    assert out.strip() == "configmap/lab labeled"
    assert kubectl.json("cm", "lab", "-n", ns)["metadata"]["labels"] == {"env": "dev"}
    _, out, _ = kubectl("label", "cm", "lab", "-n", ns, "env-")
    assert out.strip() == "configmap/lab unlabeled"
    assert not kubectl.json("cm", "lab", "-n", ns)["metadata"].get("labels")

    _, out, _ = kubectl("annotate", "cm", "lab", "-n", ns, "owner=team-a")
    assert out.strip() == "configmap/lab annotated"
    assert kubectl.json("cm", "lab", "-n", ns)["metadata"]["annotations"] == {"owner": "team-a"}
    _, out, _ = kubectl("annotate", "cm", "lab", "-n", ns, "owner-")
    assert out.strip() == "configmap/lab annotated"
    assert not kubectl.json("cm", "lab", "-n", ns)["metadata"].get("annotations")
