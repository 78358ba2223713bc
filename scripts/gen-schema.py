#!/usr/bin/env python3
"""Generate Sources/SkiffModel/Generated/SchemaData.swift from the Kubernetes OpenAPI v2 document.

Usage (from the repository root):  python3 scripts/gen-schema.py [path/to/swagger.json]

The input defaults to ../shared/kubernetes-api/swagger.json (relative to the repository root).
The output is the document's `definitions`, compacted to what Skiff uses, minified and embedded
as one Swift raw string literal (`let schemaJSON = #"..."#`), so the server stays a single binary.

Compaction:
  * only these schema keys are kept: type, format, properties, items, $ref, additionalProperties,
    required, enum, and the x-kubernetes-* extensions listed in KEEP;
  * `$ref` values are stored as bare definition names ("io.k8s.api.core.v1.Pod"), without the
    "#/definitions/" prefix (Schema.swift accepts both forms and re-adds the right prefix when it
    builds OpenAPI v2/v3 documents);
  * definitions that no kind (a definition with x-kubernetes-group-version-kind) reaches through
    $ref are dropped, apart from EXTRA_ROOTS (used by generated API paths).

Restored: the properties literally named `description` (PriorityClass, JSONSchemaProps,
CustomResourceColumnDefinition), which the description-stripped input lost along with the docs.

Additions: apps/v1beta1 Deployment and DeploymentList, derived from the apps/v1 definitions by
changing their x-kubernetes-group-version-kind (Skiff serves that old version for the seed's
manifest; the old version's differences, such as the optional selector, are not modelled).
"""
import json
import os
import sys

KEEP = {
    "type", "format", "properties", "items", "$ref", "additionalProperties", "required", "enum",
    "x-kubernetes-group-version-kind", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
}
EXTRA_ROOTS = ["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"]
REF_PREFIX = "#/definitions/"
OUTPUT = "Sources/SkiffModel/Generated/SchemaData.swift"


def compact(node):
    """A copy of a schema node with only the kept keys; refs made bare."""
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key not in KEEP:
            continue
        if key == "$ref":
            assert value.startswith(REF_PREFIX), value
            out[key] = value[len(REF_PREFIX):]
        elif key == "properties":
            out[key] = {name: compact(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = compact(value) if isinstance(value, dict) else value
        else:
            out[key] = value
    return out


def refs(node, found):
    """Adds the definition names a compacted schema node refers to (property names are not keys)."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        found.add(node["$ref"])
    for prop in node.get("properties", {}).values():
        refs(prop, found)
    for key in ("items", "additionalProperties"):
        refs(node.get(key), found)


def add_v1beta1_deployment(defs):
    v1 = defs["io.k8s.api.apps.v1.Deployment"]
    beta = json.loads(json.dumps(v1))
    beta["x-kubernetes-group-version-kind"] = [{"group": "apps", "kind": "Deployment", "version": "v1beta1"}]
    defs["io.k8s.api.apps.v1beta1.Deployment"] = beta
    v1list = defs["io.k8s.api.apps.v1.DeploymentList"]
    betalist = json.loads(json.dumps(v1list))
    betalist["properties"]["items"]["items"]["$ref"] = "io.k8s.api.apps.v1beta1.Deployment"
    betalist["x-kubernetes-group-version-kind"] = [{"group": "apps", "kind": "DeploymentList", "version": "v1beta1"}]
    defs["io.k8s.api.apps.v1beta1.DeploymentList"] = betalist


# Properties named `description` that Kubernetes 1.28 has and the stripped input lost.
DESCRIPTION_PROPERTIES = [
    "io.k8s.api.scheduling.v1.PriorityClass",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceColumnDefinition",
]


def restore_description_properties(defs):
    for name in DESCRIPTION_PROPERTIES:
        defs[name].setdefault("properties", {})["description"] = {"type": "string"}


def reachable(defs):
    roots = [name for name, d in defs.items() if d.get("x-kubernetes-group-version-kind")] + EXTRA_ROOTS
    seen = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        found = set()
        refs(defs[name], found)
        stack.extend(found - seen)
    return seen


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "kubernetes-api", "swagger.json")
    with open(source) as f:
        swagger = json.load(f)
    defs = {name: compact(d) for name, d in swagger["definitions"].items()}
    add_v1beta1_deployment(defs)
    restore_description_properties(defs)
    keep = reachable(defs)
    dropped = sorted(set(defs) - keep)
    defs = {name: defs[name] for name in sorted(keep)}

    text = json.dumps(defs, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    hashes = "#"
    while ('"' + hashes) in text:
        hashes += "#"
    swift = (
        "// Generated by scripts/gen-schema.py from the Kubernetes 1.28 OpenAPI v2 document. Do not edit.\n"
        "// The `definitions`, compacted (see the script); `$ref` values are bare definition names.\n"
        f"// {len(defs)} definitions; dropped as unreachable from any kind: {len(dropped)}.\n\n"
        f"let schemaJSON = {hashes}\"{text}\"{hashes}\n"
    )
    out = os.path.join(root, OUTPUT)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(swift)
    print(f"wrote {OUTPUT}: {len(defs)} definitions, {len(swift)} bytes; dropped {len(dropped)}: {', '.join(dropped)}")


if __name__ == "__main__":
    main()
