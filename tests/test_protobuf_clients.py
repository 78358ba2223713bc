"""kubectl 1.32 and later send built-in objects as Kubernetes protobuf
(`Content-Type: application/vnd.kubernetes.protobuf`) and do not fall back to JSON: the server
decodes them. The dispatcher runs kubectl 1.33 against Skiff; 1.32 is also run directly."""
import base64
import json
import uuid

import pytest

from conftest import KUBECTL_VERSIONED

PROTOBUF = "application/vnd.kubernetes.protobuf"


@pytest.fixture(params=["dispatcher", "1.32"])
def k(request, kubectl):
    binary = None if request.param == "dispatcher" else KUBECTL_VERSIONED.format(request.param)

    def run(*args, **kw):
        return kubectl(*args, binary=binary, **kw)
    return run


def get(k, *args):
    _, out, _ = k("get", *args, "-o", "json")
    return json.loads(out)


def test_secret_data_round_trips(k, ns):
    _, out, _ = k("create", "secret", "generic", "mysecret", "-n", ns, "--from-literal=token=abc")
    assert out.strip() == "secret/mysecret created"
    _, out, _ = k("get", "secret", "mysecret", "-n", ns, "-o", "jsonpath={.data.token}")
    assert base64.b64decode(out) == b"abc"
    s = get(k, "secret", "mysecret", "-n", ns)
    assert s["type"] == "Opaque"  # the empty `type` on the wire means unset, then defaulted


def test_namespaced_create_commands(k, ns):
    cases = [
        (["configmap", "settings", "--from-literal=mode=fast", "--from-literal=empty="], "configmap/settings created"),
        (["serviceaccount", "robot"], "serviceaccount/robot created"),
        (["deployment", "web", "--image=nginx", "--replicas=2", "--port=80"], "deployment.apps/web created"),
        (["job", "once", "--image=busybox", "--", "echo", "hi"], "job.batch/once created"),
        (["cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *"], "cronjob.batch/tick created"),
        (["service", "clusterip", "web", "--tcp=80:8080"], "service/web created"),
        (["role", "reader", "--verb=get,list", "--resource=pods"], "role.rbac.authorization.k8s.io/reader created"),
        (["rolebinding", "reader", "--role=reader", f"--serviceaccount={ns}:robot"],
         "rolebinding.rbac.authorization.k8s.io/reader created"),
        (["quota", "q", "--hard=pods=10,cpu=1,memory=1Gi"], "resourcequota/q created"),
        (["poddisruptionbudget", "pdb", "--selector=app=web", "--max-unavailable=50%"],
         "poddisruptionbudget.policy/pdb created"),
        (["ingress", "ing", "--rule=foo.com/bar=web:80", "--class=nginx"], "ingress.networking.k8s.io/ing created"),
    ]
    for args, expected in cases:
        _, out, _ = k("create", "-n", ns, *args)
        assert out.strip() == expected

    cm = get(k, "configmap", "settings", "-n", ns)
    assert cm["data"] == {"mode": "fast", "empty": ""}
    d = get(k, "deployment", "web", "-n", ns)
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = d["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("nginx", "nginx")
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert d["spec"]["template"]["spec"]["restartPolicy"] == "Always"  # unset on the wire, defaulted
    job = get(k, "job", "once", "-n", ns)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert get(k, "cronjob", "tick", "-n", ns)["spec"]["schedule"] == "*/5 * * * *"
    svc = get(k, "service", "web", "-n", ns)
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(80, 8080)]
    assert get(k, "role", "reader", "-n", ns)["rules"][0]["verbs"] == ["get", "list"]
    assert get(k, "rolebinding", "reader", "-n", ns)["subjects"] == [
        {"kind": "ServiceAccount", "name": "robot", "namespace": ns}]
    assert get(k, "quota", "q", "-n", ns)["spec"]["hard"] == {"pods": "10", "cpu": "1", "memory": "1Gi"}
    assert get(k, "pdb", "pdb", "-n", ns)["spec"]["maxUnavailable"] == "50%"
    rule = get(k, "ingress", "ing", "-n", ns)["spec"]["rules"][0]
    assert rule["host"] == "foo.com" and rule["http"]["paths"][0]["backend"]["service"]["name"] == "web"


def test_zero_replicas_is_kept(k, ns):
    """`replicas` is a pointer: a zero on the wire is set, not absent (which defaults to 1)."""
    k("create", "deployment", "idle", "-n", ns, "--image=nginx", "--replicas=0")
    assert get(k, "deployment", "idle", "-n", ns)["spec"]["replicas"] == 0


def test_cluster_scoped_create_commands(k):
    suffix = uuid.uuid4().hex[:6]
    names = {"namespace": f"pb-{suffix}", "clusterrole": f"pb-{suffix}",
             "clusterrolebinding": f"pb-{suffix}", "priorityclass": f"pb-{suffix}"}
    try:
        k("create", "namespace", names["namespace"])
        k("create", "clusterrole", names["clusterrole"], "--verb=get", "--resource=nodes")
        k("create", "clusterrolebinding", names["clusterrolebinding"], f"--clusterrole={names['clusterrole']}",
          "--group=devs")
        k("create", "priorityclass", names["priorityclass"], "--value=0")
        assert get(k, "namespace", names["namespace"])["status"]["phase"] == "Active"
        assert get(k, "clusterrolebinding", names["clusterrolebinding"])["roleRef"]["name"] == names["clusterrole"]
        assert get(k, "priorityclass", names["priorityclass"])["value"] == 0
    finally:
        for kind, name in names.items():
            k("delete", kind, name, "--wait=false", check=False)


def test_changes_to_a_deployment(k, ns):
    k("create", "deployment", "web", "-n", ns, "--image=nginx", "--replicas=2")
    k("label", "deployment", "web", "-n", ns, "tier=frontend")
    k("annotate", "deployment", "web", "-n", ns, "note=hello")
    _, out, _ = k("scale", "deployment", "web", "-n", ns, "--replicas=3")
    assert out.strip() == "deployment.apps/web scaled"
    d = get(k, "deployment", "web", "-n", ns)
    assert d["spec"]["replicas"] == 3
    assert d["metadata"]["labels"]["tier"] == "frontend"
    assert d["metadata"]["annotations"]["note"] == "hello"
    _, out, _ = k("expose", "deployment", "web", "-n", ns, "--port=80", "--target-port=8080")
    assert out.strip() == "service/web exposed"
    _, out, _ = k("autoscale", "deployment", "web", "-n", ns, "--min=1", "--max=3", "--cpu-percent=50")
    assert out.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled"
    assert get(k, "hpa", "web", "-n", ns)["spec"]["maxReplicas"] == 3
    _, out, _ = k("run", "one", "-n", ns, "--image=busybox", "--restart=Never", "--labels=app=one")
    assert out.strip() == "pod/one created"


def test_bad_protobuf_bodies(skiff_server, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    status, _, body = skiff_server.request("POST", path, body=b"k8s\x00\x0a\x05", content_type=PROTOBUF)
    assert status == 400, body
    assert json.loads(body)["reason"] == "BadRequest"
    status, _, body = skiff_server.request("POST", path, body=b"not protobuf", content_type=PROTOBUF)
    assert status == 400, body
    # A kind with no protobuf schema (custom resources are JSON only) is an unsupported media type.
    unknown = b"k8s\x00\x0a\x15\x0a\x0eexample.com/v1\x12\x03Foo\x12\x00"
    status, _, body = skiff_server.request("POST", path, body=unknown, content_type=PROTOBUF)
    assert status == 415, body
