"""API errors, exactly as kubectl and the Python client report them."""
import json

import pytest
from kubernetes.client.rest import ApiException


def test_not_found(kubectl, ns):
    rc, out, err = kubectl("get", "configmap", "nope", "-n", ns, check=False)
    assert rc == 1
    assert err.strip() == 'Error from server (NotFound): configmaps "nope" not found'
    rc, _, err = kubectl("delete", "configmap", "nope", "-n", ns, check=False)
    assert rc == 1
    assert 'Error from server (NotFound): configmaps "nope" not found' in err


def test_not_found_status_object(core_v1, ns):
    with pytest.raises(ApiException) as e:
        core_v1.read_namespaced_config_map("nope", ns)
    assert e.value.status == 404
    status = json.loads(e.value.body)
    assert status["kind"] == "Status" and status["apiVersion"] == "v1"
    assert status["status"] == "Failure"
    assert status["reason"] == "NotFound"
    assert status["code"] == 404
    assert status["message"] == 'configmaps "nope" not found'
    assert status["details"] == {"name": "nope", "kind": "configmaps"}


def test_already_exists(kubectl, ns):
    kubectl("create", "configmap", "dup", "-n", ns)
    rc, _, err = kubectl("create", "configmap", "dup", "-n", ns, check=False)
    assert rc == 1
    assert err.strip() == 'error: failed to create configmap: configmaps "dup" already exists'
    rc, _, err = kubectl("create", "-n", ns, "-f", "-", check=False,
                         input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n")
    assert rc == 1
    assert 'Error from server (AlreadyExists): error when creating "STDIN": configmaps "dup" already exists' in err


def test_invalid_name(kubectl, ns):
    rc, _, err = kubectl("create", "-n", ns, "-f", "-", check=False,
                         input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n")
    assert rc == 1
    assert 'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ' \
           "a lowercase RFC 1123 subdomain must consist of" in err


def test_missing_namespace(kubectl):
    rc, _, err = kubectl("create", "configmap", "x", "-n", "nope", check=False)
    assert rc == 1
    assert 'namespaces "nope" not found' in err
    rc, _, err = kubectl("create", "-n", "nope", "-f", "-", check=False,
                         input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    assert rc == 1
    assert 'Error from server (NotFound): error when creating "STDIN": namespaces "nope" not found' in err


def test_stale_resource_version_conflict(kubectl, ns):
    kubectl("create", "configmap", "cas", "-n", ns, "--from-literal=k=v1")
    stale = kubectl.json("cm", "cas", "-n", ns)
    kubectl("patch", "cm", "cas", "-n", ns, "-p", '{"data":{"k":"v2"}}')
    stale["data"]["k"] = "v3"
    rc, _, err = kubectl("replace", "-n", ns, "-f", "-", input=json.dumps(stale), check=False)
    assert rc == 1
    assert "Error from server (Conflict)" in err
    assert 'Operation cannot be fulfilled on configmaps "cas": the object has been modified; ' \
           "please apply your changes to the latest version and try again" in err
    assert kubectl.json("cm", "cas", "-n", ns)["data"] == {"k": "v2"}


def test_bad_label_selector(kubectl, core_v1, ns):
    rc, _, err = kubectl("get", "configmaps", "-n", ns, "-l", "a in (b", check=False)
    assert rc == 1
    assert "Error from server (BadRequest)" in err
    with pytest.raises(ApiException) as e:
        core_v1.list_namespaced_config_map(ns, label_selector="a in (b")
    assert e.value.status == 400
    assert json.loads(e.value.body)["reason"] == "BadRequest"


def test_bad_field_selector(core_v1, ns):
    with pytest.raises(ApiException) as e:
        core_v1.list_namespaced_config_map(ns, field_selector="spec.nothing=x")
    assert e.value.status == 400
    assert json.loads(e.value.body)["message"] == \
        '"spec.nothing" is not a known field selector: only "metadata.name", "metadata.namespace"'
