"""Field validation (strict/warn/ignore) and `kubectl explain` from the server's OpenAPI."""
import json

DEPLOY_UNKNOWN = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: strict
spec:
  foo: 1
  replicas: 1
  selector:
    matchLabels: {app: strict}
  template:
    metadata:
      labels: {app: strict}
    spec:
      containers:
      - name: main
        image: img
"""


def test_apply_validate_strict_rejects_unknown_field(kubectl, ns):
    rc, out, err = kubectl("apply", "--validate=strict", "-n", ns, "-f", "-", input=DEPLOY_UNKNOWN, check=False)
    assert rc == 1
    assert 'unknown field "spec.foo"' in err
    assert "strict decoding error" in err
    rc, _, err = kubectl("get", "deployment", "strict", "-n", ns, check=False)
    assert rc == 1 and "NotFound" in err


def test_apply_validate_false_accepts_and_drops_unknown_field(kubectl, ns):
    _, out, err = kubectl("apply", "--validate=false", "-n", ns, "-f", "-", input=DEPLOY_UNKNOWN)
    assert out.strip() == "deployment.apps/strict created"
    d = kubectl.json("deployment", "strict", "-n", ns)
    assert "foo" not in d["spec"]
    assert d["spec"]["replicas"] == 1


def test_validate_warn_prints_warning(kubectl, ns):
    _, out, err = kubectl("create", "--validate=warn", "-n", ns, "-f", "-", input=DEPLOY_UNKNOWN)
    assert out.strip() == "deployment.apps/strict created"
    assert 'Warning: unknown field "spec.foo"' in err


def test_strict_rejects_duplicate_field(skiff_server, kubectl, ns):
    # kubectl and the Python client re-encode objects, so duplicate keys only reach the
    # server from a raw request.
    manifest = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupe"},'
                '"data":{"a":"1"},"data":{"b":"2"}}')
    status, _, body = skiff_server.request(
        "POST", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict", manifest)
    assert status == 400, body
    st = json.loads(body)
    assert st["reason"] == "BadRequest"
    assert 'strict decoding error: duplicate field "data"' in st["message"]

    status, headers, body = skiff_server.request(
        "POST", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Warn", manifest)
    assert status == 201, body
    warnings = [v for k, v in headers if k.lower() == "warning"]
    assert any('duplicate field \\"data\\"' in w for w in warnings), warnings
    assert kubectl.json("cm", "dupe", "-n", ns)["data"] == {"b": "2"}


def test_explain_deployment_replicas(kubectl):
    _, out, _ = kubectl("explain", "deployment.spec.replicas")
    lines = out.splitlines()
    assert lines[0].split() == ["GROUP:", "apps"]
    assert lines[1].split() == ["KIND:", "Deployment"]
    assert lines[2].split() == ["VERSION:", "v1"]
    assert "FIELD: replicas <integer>" in out
    assert "DESCRIPTION:" in out


def test_explain_pod_spec_containers(kubectl):
    _, out, _ = kubectl("explain", "pods.spec.containers")
    assert "FIELD: containers <[]Container>" in out
    assert "image\t<string>" in out
    assert "name\t<string> -required-" in out
