"""Bootstrap namespaces, discovery (api-resources, api-versions), version and health endpoints."""
import json


def test_standard_namespaces_exist(fresh_server):
    _, out, _ = fresh_server.kubectl("get", "namespaces", "-o", "name")
    assert sorted(out.split()) == sorted(
        ["namespace/default", "namespace/kube-node-lease", "namespace/kube-public", "namespace/kube-system"])
    _, out, _ = fresh_server.kubectl("get", "namespaces")
    rows = {l.split()[0]: l.split() for l in out.strip().splitlines()[1:]}
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
    assert all(rows[n][1] == "Active" for n in ("default", "kube-system", "kube-public", "kube-node-lease"))


def test_api_resources(kubectl):
    _, out, _ = kubectl("api-resources")
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {}
    for l in lines[1:]:
        f = l.split()
        rows[(f[0], f[-1])] = f
    assert rows[("pods", "Pod")] == ["pods", "po", "v1", "true", "Pod"]
    assert rows[("deployments", "Deployment")] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows[("configmaps", "ConfigMap")] == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    assert rows[("namespaces", "Namespace")] == ["namespaces", "ns", "v1", "false", "Namespace"]
    assert rows[("secrets", "Secret")] == ["secrets", "v1", "true", "Secret"]
    assert rows[("serviceaccounts", "ServiceAccount")] == ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"]

    _, out, _ = kubectl("api-resources", "--api-group=apps", "-o", "name")
    assert "deployments.apps" in out.split()
    _, out, _ = kubectl("api-resources", "--namespaced=false", "-o", "name")
    assert "namespaces" in out.split() and "pods" not in out.split()


def test_api_versions(kubectl):
    _, out, _ = kubectl("api-versions")
    versions = out.split()
    assert "v1" in versions
    assert "apps/v1" in versions
    assert "apps/v1beta1" in versions
    assert versions == sorted(versions)


def test_version(kubectl):
    _, out, _ = kubectl("version", "-o", "json")
    v = json.loads(out)
    sv = v["serverVersion"]
    assert sv["gitVersion"].startswith("v1.33")
    assert sv["major"] == "1"
    assert sv["minor"] == "33"
    assert sv["platform"] == "linux/amd64"
    assert v["clientVersion"]["minor"] == "33", "the kubectl dispatcher should pick kubectl 1.33"


def test_health_endpoints(kubectl):
    for path in ("/healthz", "/livez", "/readyz"):
        _, out, _ = kubectl("get", "--raw", path)
        assert out.strip() == "ok", path
    _, out, _ = kubectl("get", "--raw", "/readyz?verbose")
    assert out.strip().endswith("readyz check passed")
    assert "[+]ping ok" in out


def test_raw_discovery_documents(kubectl):
    api = json.loads(kubectl("get", "--raw", "/api")[1])
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    groups = json.loads(kubectl("get", "--raw", "/apis")[1])
    assert groups["kind"] == "APIGroupList"
    apps = [g for g in groups["groups"] if g["name"] == "apps"][0]
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    res = json.loads(kubectl("get", "--raw", "/apis/apps/v1")[1])
    deploy = [r for r in res["resources"] if r["name"] == "deployments"][0]
    assert deploy["namespaced"] is True and deploy["kind"] == "Deployment"
    assert set(deploy["verbs"]) >= {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
    assert "deployments/status" in [r["name"] for r in res["resources"]]


def test_resource_metrics_api_is_discovered_and_explained(kubectl):
    _, out, _ = kubectl("api-resources", "--api-group=metrics.k8s.io", "--no-headers")
    assert sorted(line.split()[0] for line in out.splitlines()) == ["nodes", "pods"]
    _, out, _ = kubectl("explain", "podmetrics.containers")
    assert "KIND:       PodMetrics" in out and "usage\t<map[string]string>" in out
    # Without node agents there is nothing to report yet, as with a fresh metrics-server.
    rc, _, err = kubectl("top", "node", check=False)
    assert rc != 0 and "metrics not available yet" in err
