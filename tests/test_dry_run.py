"""Server-side dry run: validated and admitted as a real write, but never stored."""


def test_create_dry_run_server(kubectl, ns):
    _, out, _ = kubectl("create", "configmap", "x", "-n", ns, "--from-literal=a=b", "--dry-run=server")
    assert out.strip() == "configmap/x created (server dry run)"
    rc, _, err = kubectl("get", "configmap", "x", "-n", ns, check=False)
    assert rc == 1
    assert err.strip() == 'Error from server (NotFound): configmaps "x" not found'


def test_dry_run_server_returns_object(kubectl, ns):
    _, out, _ = kubectl("create", "configmap", "y", "-n", ns, "--from-literal=a=b",
                        "--dry-run=server", "-o", "jsonpath={.metadata.uid}|{.data.a}")
    uid, data = out.split("|")
    assert uid, "server dry run should fill in generated fields such as uid"
    assert data == "b"


def test_dry_run_server_still_validates(kubectl, ns):
    rc, _, err = kubectl("create", "configmap", "Bad_Name", "-n", ns, "--dry-run=server", check=False)
    assert rc == 1
    assert 'metadata.name: Invalid value: "Bad_Name"' in err


def test_dry_run_server_delete_and_patch(kubectl, ns):
    kubectl("create", "configmap", "keep", "-n", ns, "--from-literal=a=b")
    _, out, _ = kubectl("delete", "configmap", "keep", "-n", ns, "--dry-run=server")
    assert out.startswith('configmap "keep" deleted (server dry run)')
    _, out, _ = kubectl("patch", "configmap", "keep", "-n", ns, "-p", '{"data":{"a":"c"}}', "--dry-run=server")
    # kubectl patch names the operation itself and, unlike create and delete, adds no
    # "(server dry run)" suffix.
    assert out.strip() == "configmap/keep patched"
    assert kubectl.json("configmap", "keep", "-n", ns)["data"] == {"a": "b"}
