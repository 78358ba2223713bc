"""CustomResourceDefinitions as a user drives them: kubectl apply of an apiextensions.k8s.io/v1
definition, discovery, custom resources with printer columns, schema validation, the status
subresource, generation, watch and list through the Python client's CustomObjectsApi, and the
definition's deletion taking its objects with it."""
import json
import tempfile
import threading
import time
import uuid

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

GROUP = "example.com"
VERSION = "v1"


def crd_yaml(plural, kind, short):
    return yaml.safe_dump({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind,
                      "shortNames": [short]},
            "versions": [{
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "properties": {
                            "size": {"type": "integer"},
                            "color": {"type": "string"},
                        }},
                        "status": {"type": "object", "properties": {
                            "phase": {"type": "string"},
                        }},
                    },
                }},
            }],
        },
    })


def widget(name, size=1, color="red", labels=None, status=None):
    obj = {"apiVersion": f"{GROUP}/{VERSION}", "kind": None,
           "metadata": {"name": name}, "spec": {"size": size, "color": color}}
    if labels:
        obj["metadata"]["labels"] = labels
    if status:
        obj["status"] = status
    return obj


class Definition:
    """One CRD with a unique plural/kind/shortName so tests do not share a definition."""

    def __init__(self, kubectl):
        suffix = uuid.uuid4().hex[:6]
        self.kubectl = kubectl
        self.plural = f"widgets{suffix}"
        self.kind = f"Widget{suffix}"
        self.short = f"wd{suffix}"
        self.name = f"{self.plural}.{GROUP}"

    def create(self):
        _, out, _ = self.kubectl("apply", "-f", "-", input=crd_yaml(self.plural, self.kind, self.short))
        assert out.strip() == f"customresourcedefinition.apiextensions.k8s.io/{self.name} created"
        _, out, _ = self.kubectl("wait", "--for", "condition=established", f"crd/{self.name}", "--timeout=30s")
        assert out.strip() == f"customresourcedefinition.apiextensions.k8s.io/{self.name} condition met"
        self.wait_served()
        return self

    def wait_served(self, timeout=15):
        """Discovery can lag the Established condition by a moment in Kubernetes too."""
        deadline = time.monotonic() + timeout
        while True:
            rc, out, _ = self.kubectl("api-resources", "--api-group", GROUP, check=False)
            if rc == 0 and any(l.split()[:1] == [self.plural] for l in out.splitlines()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.plural} never served: {out}")
            time.sleep(0.2)

    def obj(self, *a, **kw):
        o = widget(*a, **kw)
        o["kind"] = self.kind
        return o

    def delete(self):
        self.kubectl("delete", "crd", self.name, "--ignore-not-found", "--wait=false", check=False)


@pytest.fixture
def crd(kubectl):
    d = Definition(kubectl).create()
    yield d
    d.delete()


@pytest.fixture(scope="module")
def custom(api_client):
    return client.CustomObjectsApi(api_client)


def test_definition_is_established_and_discoverable(kubectl, crd):
    got = kubectl.json("crd", crd.name)
    conditions = {c["type"]: c for c in got["status"]["conditions"]}
    assert conditions["Established"]["status"] == "True"
    assert conditions["NamesAccepted"]["status"] == "True"
    assert got["status"]["acceptedNames"]["kind"] == crd.kind
    assert got["status"]["acceptedNames"]["shortNames"] == [crd.short]
    assert got["status"]["storedVersions"] == [VERSION]

    _, out, _ = kubectl("api-resources", "--api-group", GROUP)
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows[crd.plural] == [crd.plural, crd.short, f"{GROUP}/{VERSION}", "true", crd.kind]


def test_custom_resource_printer_columns_and_yaml_round_trip(kubectl, ns, crd, skiff_server):
    manifest = yaml.safe_dump(crd.obj("w1", size=3, color="blue"))
    _, out, _ = kubectl("apply", "-n", ns, "-f", "-", input=manifest)
    assert out.strip() == f"{crd.kind.lower()}.{GROUP}/w1 created"
    _, out, _ = kubectl("apply", "-n", ns, "-f", "-", input=manifest)
    assert out.strip() == f"{crd.kind.lower()}.{GROUP}/w1 unchanged"

    _, out, _ = kubectl("get", crd.short, "-n", ns)
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "COLOR", "PHASE", "AGE"]
    assert lines[1].split()[:3] == ["w1", "3", "blue"]
    # The Table behind it: a column that finds nothing (no status yet) is a null cell.
    status, _, body = skiff_server.request(
        "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/{crd.plural}",
        accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert status == 200
    table = json.loads(body)
    assert table["kind"] == "Table"
    assert [(c["name"], c["type"]) for c in table["columnDefinitions"]] == [
        ("Name", "string"), ("Size", "integer"), ("Color", "string"), ("Phase", "string"), ("Age", "date")]
    assert table["rows"][0]["cells"][:4] == ["w1", 3, "blue", None]

    _, out, _ = kubectl("get", f"{crd.plural}.{GROUP}", "w1", "-n", ns, "-o", "yaml")
    got = yaml.safe_load(out)
    assert got["apiVersion"] == f"{GROUP}/{VERSION}" and got["kind"] == crd.kind
    assert got["spec"] == {"size": 3, "color": "blue"}
    assert got["metadata"]["generation"] == 1
    assert got["metadata"]["uid"] and got["metadata"]["resourceVersion"]

    # What `-o yaml` prints goes back through replace and leaves the spec as it was.
    _, out, _ = kubectl("replace", "-n", ns, "-f", "-", input=out)
    assert out.strip() == f"{crd.kind.lower()}.{GROUP}/w1 replaced"
    again = kubectl.json(crd.short, "w1", "-n", ns)
    assert again["spec"] == got["spec"] and again["metadata"]["generation"] == 1
    # kubectl replace rewrites the last-applied annotation: metadata only, so no new generation.
    assert '"resourceVersion"' in again["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]


def test_schema_refuses_a_wrongly_typed_field(kubectl, ns, crd):
    bad = crd.obj("bad")
    bad["spec"]["size"] = "string"
    rc, _, err = kubectl("create", "-n", ns, "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert rc == 1
    assert (f'The {crd.kind} "bad" is invalid: spec.size: Invalid value: "string": '
            f'spec.size in body must be of type integer: "string"') in err
    assert kubectl("get", crd.short, "bad", "-n", ns, check=False)[0] == 1


def test_strict_validation_names_an_unknown_field(kubectl, ns, crd):
    obj = crd.obj("strict")
    obj["spec"]["colour"] = "green"
    rc, _, err = kubectl("create", "-n", ns, "--validate=strict", "-f", "-", input=yaml.safe_dump(obj), check=False)
    assert rc == 1
    assert ('Error from server (BadRequest): error when creating "STDIN": '
            f'{crd.kind} in version "{VERSION}" cannot be handled as a {crd.kind}: '
            'strict decoding error: unknown field "spec.colour"') in err

    # Without strict validation the unknown field is pruned (and kubectl warns).
    _, out, err = kubectl("create", "-n", ns, "--validate=warn", "-f", "-", input=yaml.safe_dump(obj))
    assert 'unknown field "spec.colour"' in err
    assert kubectl.json(crd.short, "strict", "-n", ns)["spec"] == {"size": 1, "color": "red"}


def test_status_subresource_and_generation(kubectl, ns, crd, custom):
    created = custom.create_namespaced_custom_object(
        GROUP, VERSION, ns, crd.plural, crd.obj("s1", size=1, status={"phase": "Set-on-create"}))
    assert "status" not in created
    assert created["metadata"]["generation"] == 1

    # An update of the main resource ignores .status.
    current = custom.get_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "s1")
    current["status"] = {"phase": "Ignored"}
    updated = custom.replace_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "s1", current)
    assert "status" not in updated
    assert updated["metadata"]["generation"] == 1

    # /status sets .status and leaves .spec as it was, even when the patch carries a spec.
    patched = custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, ns, crd.plural, "s1", {"status": {"phase": "Ready"}, "spec": {"size": 99}})
    assert patched["status"] == {"phase": "Ready"}
    assert patched["spec"] == {"size": 1, "color": "red"}
    assert patched["metadata"]["generation"] == 1
    _, out, _ = kubectl("get", crd.short, "s1", "-n", ns)
    assert out.strip().splitlines()[1].split()[:4] == ["s1", "1", "red", "Ready"]

    # Generation bumps on spec changes only: not on labels, not on status.
    labelled = custom.patch_namespaced_custom_object(
        GROUP, VERSION, ns, crd.plural, "s1", {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == 1
    respec = custom.patch_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "s1", {"spec": {"size": 2}})
    assert respec["metadata"]["generation"] == 2
    assert respec["status"] == {"phase": "Ready"}
    kubectl("patch", crd.short, "s1", "-n", ns, "--type=merge", "--subresource=status",
            "-p", '{"status":{"phase":"Done"}}')
    final = kubectl.json(crd.short, "s1", "-n", ns)
    assert final["metadata"]["generation"] == 2
    assert final["status"] == {"phase": "Done"} and final["spec"] == {"size": 2, "color": "red"}


def test_list_and_watch_with_a_label_selector(ns, crd, custom):
    for name, team in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, crd.plural,
                                               crd.obj(name, labels={"team": team}))
    lst = custom.list_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, label_selector="team=a")
    assert lst["kind"] == f"{crd.kind}List" and lst["apiVersion"] == f"{GROUP}/{VERSION}"
    assert sorted(i["metadata"]["name"] for i in lst["items"]) == ["a1", "a2"]
    assert lst["metadata"]["resourceVersion"]
    everywhere = custom.list_cluster_custom_object(GROUP, VERSION, crd.plural, label_selector="team=b")
    assert [i["metadata"]["name"] for i in everywhere["items"]] == ["b1"]

    def changes():
        time.sleep(0.5)
        custom.patch_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "b1", {"spec": {"size": 5}})
        custom.patch_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "a1", {"spec": {"size": 7}})
        custom.delete_namespaced_custom_object(GROUP, VERSION, ns, crd.plural, "a1")

    t = threading.Thread(target=changes)
    t.start()
    events = []
    w = watch.Watch()
    try:
        for ev in w.stream(custom.list_namespaced_custom_object, GROUP, VERSION, ns, crd.plural,
                           label_selector="team=a", resource_version=lst["metadata"]["resourceVersion"],
                           timeout_seconds=10):
            obj = ev["object"]
            events.append((ev["type"], obj["metadata"]["name"], obj["spec"]["size"]))
            assert obj["kind"] == crd.kind
            if ev["type"] == "DELETED":
                w.stop()
    finally:
        t.join()
    assert events == [("MODIFIED", "a1", 7), ("DELETED", "a1", 7)]


def test_deleting_the_definition_removes_its_objects(kubectl, ns):
    d = Definition(kubectl).create()
    try:
        kubectl("create", "-n", ns, "-f", "-", input=yaml.safe_dump(d.obj("gone")))
        _, out, _ = kubectl("delete", "crd", d.name, timeout=30)
        assert out.strip() == f'customresourcedefinition.apiextensions.k8s.io "{d.name}" deleted'
        rc, _, err = kubectl("get", "crd", d.name, check=False)
        assert rc == 1 and f'customresourcedefinitions.apiextensions.k8s.io "{d.name}" not found' in err
        # A kubectl whose discovery cache still lists the resource gets a 404 for the list.
        rc, _, err = kubectl("get", d.plural, "-n", ns, check=False)
        assert rc == 1
        assert err.strip() == (f'Error from server (NotFound): Unable to list "{GROUP}/{VERSION}, Resource={d.plural}": '
                               "the server could not find the requested resource")
        # A kubectl that discovers afresh does not know the resource type any more.
        with tempfile.TemporaryDirectory() as cache:
            rc, _, err = kubectl("get", d.plural, "-n", ns, "--cache-dir", cache, check=False)
        assert rc == 1
        assert err.strip().splitlines()[-1] == f'error: the server doesn\'t have a resource type "{d.plural}"'
    finally:
        d.delete()

    # Defining the same resource again starts empty: the old object went with the definition.
    again = Definition(kubectl)
    again.plural, again.kind, again.short, again.name = d.plural, d.kind, d.short, d.name
    again.create()
    try:
        lst = kubectl.json(d.plural, "-n", ns)
        assert lst["items"] == []
    finally:
        again.delete()
