"""RBAC with the real kubectl: a ServiceAccount's token may do only what its bindings allow,
with kube-apiserver's Forbidden messages; `kubectl auth can-i` (SelfSubjectAccessReview,
impersonation with --as); the bootstrap ClusterRoles and bindings."""
import json
import time

from test_tokens import create_token, token_kubeconfig


def test_a_service_account_may_do_what_its_role_allows(skiff_server, kubectl, ns):
    kubectl("create", "serviceaccount", "reader", "-n", ns)
    config = token_kubeconfig(skiff_server, create_token(kubectl, ns, "reader"), f"reader-{ns}")
    user = f"system:serviceaccount:{ns}:reader"

    # Authenticated, but no binding yet: discovery works, the Pods do not.
    assert skiff_server.raw_get("/api", kubeconfig=config)[0] == 200
    rc, _, err = kubectl("get", "pods", "-n", ns, kubeconfig=config, check=False)
    assert rc != 0
    assert (f'pods is forbidden: User "{user}" cannot list resource "pods" in API group "" in the namespace "{ns}"') in err, err

    kubectl("create", "role", "pod-reader", "-n", ns, "--verb=get,list,watch", "--resource=pods")
    kubectl("create", "rolebinding", "read-pods", "-n", ns, "--role=pod-reader", f"--serviceaccount={ns}:reader")
    _, out, err = kubectl("get", "pods", "-n", ns, kubeconfig=config)
    assert "No resources found" in out + err
    # Only in its namespace, only what the Role says.
    rc, _, err = kubectl("get", "pods", "-n", "default", kubeconfig=config, check=False)
    assert rc != 0 and 'cannot list resource "pods" in API group "" in the namespace "default"' in err, err
    rc, _, err = kubectl("create", "configmap", "x", "-n", ns, kubeconfig=config, check=False)
    assert rc != 0 and (f'configmaps is forbidden: User "{user}" cannot create resource "configmaps" in API group "" '
                        f'in the namespace "{ns}"') in err, err
    rc, _, err = kubectl("get", "deployments", "-A", kubeconfig=config, check=False)
    assert rc != 0 and 'cannot list resource "deployments" in API group "apps" at the cluster scope' in err, err

    # The built-in edit ClusterRole, bound in the namespace, lets it write there.
    kubectl("create", "rolebinding", "editor", "-n", ns, "--clusterrole=edit", f"--serviceaccount={ns}:reader")
    _, out, _ = kubectl("create", "configmap", "x", "-n", ns, "--from-literal=a=b", kubeconfig=config)
    assert "configmap/x created" in out
    rc, _, err = kubectl("get", "secrets", "-n", ns, kubeconfig=config)
    assert rc == 0
    # Impersonating needs the impersonate verb, which edit does not give.
    rc, _, err = kubectl("get", "pods", "-n", ns, "--as=alice", kubeconfig=config, check=False)
    assert rc != 0 and (f'users "alice" is forbidden: User "{user}" cannot impersonate resource "users" in API group "" '
                        'at the cluster scope') in err, err


def test_kubectl_auth_can_i(kubectl, ns):
    kubectl("create", "serviceaccount", "bot", "-n", ns)
    sa = f"system:serviceaccount:{ns}:bot"
    assert kubectl("auth", "can-i", "create", "deployments", "-n", ns)[1].strip() == "yes"  # the admin
    rc, out, _ = kubectl("auth", "can-i", "list", "pods", "-n", ns, f"--as={sa}", check=False)
    assert (rc, out.strip()) == (1, "no")
    kubectl("create", "rolebinding", "bot-view", "-n", ns, "--clusterrole=view", f"--serviceaccount={ns}:bot")
    _, out, _ = kubectl("auth", "can-i", "list", "pods", "-n", ns, f"--as={sa}")
    assert out.strip() == "yes"
    rc, out, _ = kubectl("auth", "can-i", "get", "secrets", "-n", ns, f"--as={sa}", check=False)
    assert (rc, out.strip()) == (1, "no")
    rc, out, _ = kubectl("auth", "can-i", "list", "pods", "-n", "default", f"--as={sa}", check=False)
    assert (rc, out.strip()) == (1, "no")
    # As a user in no group but system:authenticated: discovery only.
    assert kubectl("auth", "can-i", "get", "/api", "--as=alice")[1].strip() == "yes"
    rc, out, _ = kubectl("auth", "can-i", "get", "nodes", "--as=alice", check=False)
    assert (rc, out.strip()) == (1, "no")


def test_bootstrap_roles_and_bindings_exist(kubectl):
    roles = {r["metadata"]["name"]: r for r in kubectl.json("clusterroles")["items"]}
    for name in ["cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user", "system:public-info-viewer"]:
        assert name in roles and roles[name]["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
    binding = kubectl.json("clusterrolebinding", "cluster-admin")
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    review = json.loads(kubectl("create", "-o", "json", "-f", "-", input=json.dumps({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:anonymous", "groups": ["system:unauthenticated"],
                 "nonResourceAttributes": {"path": "/version", "verb": "get"}}}))[1])
    assert review["status"]["allowed"] is True
    assert review["status"]["reason"] == ('RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole '
                                          '"system:public-info-viewer" to User "system:anonymous"')
    denied = json.loads(kubectl("create", "-o", "json", "-f", "-", input=json.dumps({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:anonymous", "groups": ["system:unauthenticated"],
                 "resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}}}))[1])
    assert denied["status"]["allowed"] is False


def test_a_role_labelled_aggregate_to_view_joins_view(kubectl, ns):
    kubectl("create", "serviceaccount", "viewer", "-n", ns)
    sa = f"system:serviceaccount:{ns}:viewer"
    kubectl("create", "rolebinding", "viewer", "-n", ns, "--clusterrole=view", f"--serviceaccount={ns}:viewer")
    rc, out, _ = kubectl("auth", "can-i", "list", "leases.coordination.k8s.io", "-n", ns, f"--as={sa}", check=False)
    assert (rc, out.strip()) == (1, "no")
    name = f"leases-view-{ns}"
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch"]}]}))
    try:
        # The clusterrole-aggregation controller adds its rules to view (and so to edit and admin).
        def allowed():
            rc, out, _ = kubectl("auth", "can-i", "list", "leases.coordination.k8s.io", "-n", ns, f"--as={sa}", check=False)
            return rc == 0 and out.strip() == "yes"
        deadline = time.time() + 20
        while not allowed():
            assert time.time() < deadline, "view never gathered the aggregated rule"
            time.sleep(0.2)
        admin = kubectl.json("clusterrole", "admin")
        assert {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch"]} in admin["rules"]
    finally:
        kubectl("delete", "clusterrole", name)


def test_kubectl_auth_can_i_list(kubectl, ns):
    kubectl("create", "serviceaccount", "lister", "-n", ns)
    kubectl("create", "role", "cm-reader", "-n", ns, "--verb=get,list", "--resource=configmaps", "--resource-name=settings")
    kubectl("create", "rolebinding", "lister", "-n", ns, "--role=cm-reader", f"--serviceaccount={ns}:lister")
    _, out, _ = kubectl("auth", "can-i", "--list", "-n", ns, f"--as=system:serviceaccount:{ns}:lister")
    rows = [line.split() for line in out.splitlines()]
    assert ["configmaps", "[]", "[settings]", "[get", "list]"] in rows, out
    assert any(r[0] == "selfsubjectaccessreviews.authorization.k8s.io" for r in rows), out
    assert ["[/api/*]", "[]", "[get]"] in rows, out  # system:discovery, for every authenticated user
