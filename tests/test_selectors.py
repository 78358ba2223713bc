"""Label and field selectors, and paginated lists (limit/continue)."""
import json

OBJECTS = [
    ("a", {"env": "prod", "tier": "web"}),
    ("b", {"env": "dev", "tier": "web"}),
    ("c", {"env": "test"}),
    ("d", {"tier": "db"}),
]


def make_labeled(kubectl, ns):
    items = [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": n, "labels": dict(labels, sel="yes")}} for n, labels in OBJECTS]
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))


def names(kubectl, ns, *args):
    _, out, _ = kubectl("get", "configmaps", "-n", ns, "-o", "name", *args)
    return sorted(l.split("/", 1)[1] for l in out.split())


def test_label_selectors(kubectl, ns):
    make_labeled(kubectl, ns)
    assert names(kubectl, ns, "-l", "env=prod") == ["a"]
    assert names(kubectl, ns, "-l", "env==prod") == ["a"]
    assert names(kubectl, ns, "-l", "env!=prod,sel=yes") == ["b", "c", "d"]
    assert names(kubectl, ns, "-l", "tier=web,env=dev") == ["b"]
    assert names(kubectl, ns, "-l", "env in (prod,dev)") == ["a", "b"]
    assert names(kubectl, ns, "-l", "env notin (prod,dev),sel=yes") == ["c", "d"]
    assert names(kubectl, ns, "-l", "!env,sel=yes") == ["d"]
    assert names(kubectl, ns, "-l", "env") == ["a", "b", "c"]
    assert names(kubectl, ns, "-l", "tier in (web),env notin (dev)") == ["a"]
    _, out, err = kubectl("get", "configmaps", "-n", ns, "-l", "env=nothing")
    assert out == ""
    assert err.strip() == f"No resources found in {ns} namespace."


def test_field_selector(kubectl, ns):
    make_labeled(kubectl, ns)
    assert names(kubectl, ns, "--field-selector", "metadata.name=c") == ["c"]
    assert names(kubectl, ns, "--field-selector", "metadata.name!=c", "-l", "sel=yes") == ["a", "b", "d"]
    assert names(kubectl, ns, "--field-selector", f"metadata.namespace={ns}", "-l", "sel=yes") == \
        ["a", "b", "c", "d"]
    assert names(kubectl, ns, "--field-selector", "metadata.name=a", "-l", "env=dev") == []


def test_kubectl_chunked_list(kubectl, ns):
    items = [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"page-{i}", "labels": {"set": "page"}}, "data": {"i": str(i)}}
             for i in range(7)]
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    _, out, err = kubectl("get", "configmaps", "-n", ns, "-l", "set=page", "--chunk-size=2",
                          "-o", "name", "-v=6")
    assert sorted(out.split()) == [f"configmap/page-{i}" for i in range(7)]
    # kubectl asked for pages of 2 and followed the continue token (4 requests for 7 objects).
    gets = [l for l in err.splitlines() if "/configmaps?" in l and "GET" in l]
    assert len(gets) == 4, "\n".join(gets)
    assert all("limit=2" in g for g in gets)
    assert sum("continue=" in g for g in gets) == 3


def test_python_client_limit_continue(kubectl, core_v1, ns):
    items = [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"pc-{i}", "labels": {"set": "pc"}}} for i in range(7)]
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

    first = core_v1.list_namespaced_config_map(ns, limit=2, label_selector="set=pc")
    assert len(first.items) == 2
    assert first.metadata._continue
    # With a selector the number of remaining items is unknown, so it is left unset.
    assert first.metadata.remaining_item_count is None
    seen = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    rv = first.metadata.resource_version
    pages = 1
    while token:
        page = core_v1.list_namespaced_config_map(ns, limit=2, label_selector="set=pc", _continue=token)
        assert len(page.items) <= 2
        # Every page is served at the snapshot of the first one.
        assert page.metadata.resource_version == rv
        seen += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        pages += 1
    assert pages == 4
    assert sorted(seen) == sorted(f"pc-{i}" for i in range(7))
    assert len(seen) == len(set(seen))


def test_python_client_remaining_item_count(kubectl, core_v1, ns):
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"rc-{i}"}} for i in range(5)]
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    total = len(core_v1.list_namespaced_config_map(ns).items)
    assert total >= 5
    first = core_v1.list_namespaced_config_map(ns, limit=2)
    assert len(first.items) == 2
    assert first.metadata.remaining_item_count == total - 2
    assert first.metadata._continue
