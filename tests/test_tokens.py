"""ServiceAccount tokens with the real kubectl and the Python client: `kubectl create token`,
using the token as a bearer, `kubectl auth whoami`, TokenReview, Pod-bound tokens, and the
ServiceAccount admission that gives Pods the kube-api-access volume."""
import base64
import json
import os
import time

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

ISSUER = "https://kubernetes.default.svc.cluster.local"
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def token_kubeconfig(server, token, name):
    """A kubeconfig like the admin's, but authenticating with `token`."""
    with open(server.kubeconfig) as f:
        cfg = yaml.safe_load(f)
    cfg["users"][0]["user"] = {"token": token}
    path = os.path.join(server.data_dir, f"kubeconfig-{name}")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def create_token(kubectl, ns, sa, *flags):
    _, out, _ = kubectl("create", "token", sa, "-n", ns, *flags)
    return out.strip()


def pod_manifest(name, sa=None, automount=None):
    spec = {"containers": [{"name": "main", "image": "busybox"}],
            "initContainers": [{"name": "setup", "image": "busybox"}]}
    if sa:
        spec["serviceAccountName"] = sa
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def test_create_token_and_authenticate_with_it(skiff_server, kubectl, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    sa = kubectl.json("serviceaccount", "robot", "-n", ns)
    token = create_token(kubectl, ns, "robot")
    c = claims(token)
    assert c["iss"] == ISSUER
    assert c["sub"] == f"system:serviceaccount:{ns}:robot"
    assert c["aud"] == [ISSUER]
    assert c["exp"] - c["iat"] == 3600
    assert c["kubernetes.io"]["serviceaccount"] == {"name": "robot", "uid": sa["metadata"]["uid"]}

    config = token_kubeconfig(skiff_server, token, ns)
    status, body = skiff_server.raw_get("/api", kubeconfig=config)
    assert status == 200, body
    assert json.loads(body)["kind"] == "APIVersions"

    _, out, _ = kubectl("auth", "whoami", "-o", "json", kubeconfig=config)
    info = json.loads(out)["status"]["userInfo"]
    assert info["username"] == f"system:serviceaccount:{ns}:robot"
    assert info["uid"] == sa["metadata"]["uid"]
    assert info["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    _, table, _ = kubectl("auth", "whoami", kubeconfig=config)
    assert f"system:serviceaccount:{ns}:robot" in table

    # A token of a deleted ServiceAccount stops working at once.
    kubectl("delete", "serviceaccount", "robot", "-n", ns)
    status, body = skiff_server.raw_get("/api", kubeconfig=config)
    assert status == 401
    assert json.loads(body)["reason"] == "Unauthorized"
    rc, _, err = kubectl("get", "pods", "-n", ns, kubeconfig=config, check=False)
    assert rc != 0 and "Unauthorized" in err


def test_duration_and_audience_flags(skiff_server, kubectl, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    token = create_token(kubectl, ns, "robot", "--duration", "20m", "--audience", "vault", "--audience", ISSUER)
    c = claims(token)
    assert c["exp"] - c["iat"] == 1200
    assert c["aud"] == ["vault", ISSUER]
    assert skiff_server.raw_get("/api", kubeconfig=token_kubeconfig(skiff_server, token, ns + "-a"))[0] == 200

    # A token for another audience only is no credential for the API server.
    vault_only = create_token(kubectl, ns, "robot", "--audience", "vault")
    status, body = skiff_server.raw_get("/api", kubeconfig=token_kubeconfig(skiff_server, vault_only, ns + "-b"))
    assert status == 401, body

    rc, _, err = kubectl("create", "token", "robot", "-n", ns, "--duration", "5m", check=False)
    assert rc != 0
    assert "may not specify a duration less than 10 minutes" in err


def test_token_for_missing_service_account_is_not_found(kubectl, core_v1, ns):
    rc, _, err = kubectl("create", "token", "ghost", "-n", ns, check=False)
    assert rc != 0
    assert 'serviceaccounts "ghost" not found' in err
    body = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
    with pytest.raises(ApiException) as e:
        core_v1.create_namespaced_service_account_token("ghost", ns, body)
    assert e.value.status == 404


def test_python_client_token_request_and_token_review(api_client, core_v1, kubectl, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    body = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=900))
    tr = core_v1.create_namespaced_service_account_token("robot", ns, body)
    assert tr.status.token
    assert tr.spec.expiration_seconds == 900
    left = tr.status.expiration_timestamp.timestamp() - time.time()
    assert 850 < left <= 900

    auth = client.AuthenticationV1Api(api_client)
    review = auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=tr.status.token)))
    assert review.status.authenticated is True
    assert review.status.user.username == f"system:serviceaccount:{ns}:robot"
    assert review.status.audiences == [ISSUER]
    bad = auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=tr.status.token[:-4] + "AAAA")))
    assert not bad.status.authenticated
    assert bad.status.error


def test_pod_bound_token_dies_with_the_pod(skiff_server, kubectl, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("web", sa="robot"))
    pod = kubectl.json("pod", "web", "-n", ns)
    token = create_token(kubectl, ns, "robot", "--bound-object-kind", "Pod", "--bound-object-name", "web")
    c = claims(token)
    assert c["kubernetes.io"]["pod"] == {"name": "web", "uid": pod["metadata"]["uid"]}
    config = token_kubeconfig(skiff_server, token, ns)
    assert skiff_server.raw_get("/api", kubeconfig=config)[0] == 200

    # A Pod of another ServiceAccount cannot be bound.
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("other"))
    rc, _, err = kubectl("create", "token", "robot", "-n", ns, "--bound-object-kind", "Pod",
                         "--bound-object-name", "other", check=False)
    assert rc != 0 and "different serviceaccount name" in err

    kubectl("delete", "pod", "web", "-n", ns, "--wait=true")
    status, body = skiff_server.raw_get("/api", kubeconfig=config)
    assert status == 401, body


def test_pod_gets_the_kube_api_access_volume(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("web"))
    pod = kubectl.json("pod", "web", "-n", ns)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default"
    volumes = [v for v in spec.get("volumes", []) if v["name"].startswith("kube-api-access-")]
    assert len(volumes) == 1
    name = volumes[0]["name"]
    assert len(name) == len("kube-api-access-") + 5
    assert volumes[0]["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ],
    }
    for c in spec["containers"] + spec["initContainers"]:
        assert {"name": name, "mountPath": MOUNT, "readOnly": True} in c["volumeMounts"]


def test_automount_false_and_missing_service_account(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("quiet", automount=False))
    spec = kubectl.json("pod", "quiet", "-n", ns)["spec"]
    assert "volumes" not in spec
    assert all("volumeMounts" not in c for c in spec["containers"])

    kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nomount"}, "automountServiceAccountToken": False}))
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("calm", sa="nomount"))
    assert "volumes" not in kubectl.json("pod", "calm", "-n", ns)["spec"]

    rc, _, err = kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("lost", sa="ghost"), check=False)
    assert rc != 0
    assert f'error looking up service account {ns}/ghost: serviceaccount "ghost" not found' in err
    assert "Forbidden" in err


def test_pod_right_after_its_namespace(kubectl, core_v1):
    """The `default` ServiceAccount is made by a controller; admission waits for it briefly."""
    name = f"t-fresh-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    core_v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        pod = core_v1.create_namespaced_pod(name, client.V1Pod(
            metadata=client.V1ObjectMeta(name="first"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox")])))
        assert pod.spec.service_account_name == "default"
        assert any(v.name.startswith("kube-api-access-") for v in pod.spec.volumes)
    finally:
        kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_garbage_bearer_is_unauthorized(skiff_server, ns):
    for token in ["nope", "e30.e30.e30", "a.b.c"]:
        status, body = skiff_server.raw_get("/api", kubeconfig=token_kubeconfig(skiff_server, token, ns))
        assert status == 401
        status_obj = json.loads(body)
        assert status_obj["kind"] == "Status" and status_obj["reason"] == "Unauthorized" and status_obj["code"] == 401


def test_issuer_discovery(skiff_server):
    status, body = skiff_server.raw_get("/.well-known/openid-configuration")
    assert status == 200
    doc = json.loads(body)
    assert doc["issuer"] == ISSUER
    status, body = skiff_server.raw_get("/openid/v1/jwks")
    assert status == 200
    keys = json.loads(body)["keys"]
    assert keys[0]["alg"] == "ES256" and keys[0]["crv"] == "P-256"


def test_signing_key_survives_restart(fresh_server):
    fresh_server.kubectl("create", "serviceaccount", "robot", "-n", "default")
    _, out, _ = fresh_server.kubectl("create", "token", "robot", "-n", "default")
    token = out.strip()
    key_path = os.path.join(fresh_server.data_dir, "tls", "service-account.key")
    assert oct(os.stat(key_path).st_mode & 0o777) == "0o600"
    with open(key_path) as f:
        key = f.read()
    fresh_server.stop()
    fresh_server.start()
    with open(key_path) as f:
        assert f.read() == key
    config = token_kubeconfig(fresh_server, token, "restart")
    assert fresh_server.raw_get("/api", kubeconfig=config)[0] == 200


def wait_for(fn, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def token_secret(name, sa):
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                           "metadata": {"name": name, "annotations": {"kubernetes.io/service-account.name": sa}}})


def test_legacy_token_secret_is_filled_and_authenticates(skiff_server, kubectl, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    uid = kubectl.json("serviceaccount", "robot", "-n", ns)["metadata"]["uid"]
    kubectl("apply", "-n", ns, "-f", "-", input=token_secret("robot-token", "robot"))
    secret = wait_for(lambda: (s := kubectl.json("secret", "robot-token", "-n", ns)).get("data", {}).get("token") and s)
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["namespace"] == ns
    with open(skiff_server.kubeconfig) as f:
        ca = base64.b64decode(yaml.safe_load(f)["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    assert data["ca.crt"].strip() == ca.strip()
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == uid
    c = claims(data["token"])
    assert c["iss"] == "kubernetes/serviceaccount"
    assert c["kubernetes.io/serviceaccount/secret.name"] == "robot-token"

    config = token_kubeconfig(skiff_server, data["token"], ns)
    _, out, _ = kubectl("auth", "whoami", "-o", "json", kubeconfig=config)
    assert json.loads(out)["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:robot"
    kubectl("delete", "secret", "robot-token", "-n", ns)
    assert skiff_server.raw_get("/api", kubeconfig=config)[0] == 401

    # A token Secret of a ServiceAccount that does not exist is removed.
    kubectl("apply", "-n", ns, "-f", "-", input=token_secret("orphan-token", "ghost"))
    wait_for(lambda: kubectl("get", "secret", "orphan-token", "-n", ns, check=False)[0] != 0)
