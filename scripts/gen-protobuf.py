#!/usr/bin/env python3
"""Generate Sources/SkiffModel/Generated/ProtobufSchemaData.swift from scripts/proto/**/generated.proto.

Usage (from the repository root):  python3 scripts/gen-protobuf.py [path/to/swagger.json]

The .proto files are Kubernetes' `generated.proto` field lists (scripts/extract-proto.py renders
them from the descriptors compiled into kubectl). The output is one Swift raw string that
ProtobufSchema parses on first use: a `package` line, then a line per message,

    Name field field ...          (`@Name` for a message that is a JSON array of its `items`)
    field = number:jsonName:flags:type

flags: r repeated, v Go value field (`(gogoproto.nullable) = false`: a zero scalar is omitted, as
Go's `omitempty` does), z keep a zero value (the field is `required` in the OpenAPI document: Go
writes it without `omitempty`), i inline (a Go struct embedded with `json:",inline"`).
type: a scalar, a message (no dot: in the same package), or map<key,value>.

The OpenAPI v2 document (default ../shared/kubernetes-api/swagger.json) is used to check the
field names and to find the `required` fields; fields it does not know are reported and kept.
"""
import glob
import json
import os
import re
import sys

PROTO_DIR = "scripts/proto"
OUTPUT = "Sources/SkiffModel/Generated/ProtobufSchemaData.swift"
SWAGGER = "../shared/kubernetes-api/swagger.json"

# Go structs embedded with `json:",inline"`: their fields belong to the enclosing JSON object.
INLINE = {
    "k8s.io.api.core.v1.ConfigMapEnvSource.localObjectReference",
    "k8s.io.api.core.v1.ConfigMapKeySelector.localObjectReference",
    "k8s.io.api.core.v1.ConfigMapProjection.localObjectReference",
    "k8s.io.api.core.v1.ConfigMapVolumeSource.localObjectReference",
    "k8s.io.api.core.v1.SecretEnvSource.localObjectReference",
    "k8s.io.api.core.v1.SecretKeySelector.localObjectReference",
    "k8s.io.api.core.v1.SecretProjection.localObjectReference",
    "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
    "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
    "k8s.io.api.core.v1.Probe.handler",
    "k8s.io.api.core.v1.Volume.volumeSource",
    "k8s.io.api.networking.v1.IngressRule.ingressRuleValue",
}
# Proto field names that are not the JSON names (go-to-protobuf lower-cased the Go name).
JSON_NAMES = {
    "k8s.io.api.networking.v1.IngressClassParametersReference.aPIGroup": "apiGroup",
    "k8s.io.api.authentication.v1.BoundObjectReference.uID": "uid",
}
# Named []string types: the JSON is the array itself.
ARRAY_WRAPPERS = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Verbs",
    "k8s.io.api.authentication.v1.ExtraValue",
    "k8s.io.api.authorization.v1.ExtraValue",
    "k8s.io.api.certificates.v1.ExtraValue",
}
# Messages decoded by hand (their JSON forms are strings, numbers or raw JSON): no check.
SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time", "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration", "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity", "k8s.io.apimachinery.pkg.api.resource.QuantityValue",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString", "k8s.io.apimachinery.pkg.runtime.RawExtension",
}
SCALARS = {"double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string", "bytes",
           "uint32", "sfixed32", "sfixed64", "sint32", "sint64"}
FIELD = re.compile(r"^\s+(?:(optional|repeated|required) )?(map<\w+, [\w.]+>|[\w.]+) (\w+) = (\d+)( \[.*\])?;$")


def definition_name(package, message):
    """The OpenAPI definition of a message: io.k8s.api.core.v1.Secret for k8s.io.api.core.v1.Secret."""
    return "io." + package.replace("k8s.io.", "k8s.", 1) + "." + message


def parse(path):
    """(package, [(message, [(label, type, name, number, options)])]) of one .proto file."""
    text = open(path).read()
    package = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    messages = []
    for m in re.finditer(r"^message (\w+) \{\n(.*?)^\}", text, re.M | re.S):
        fields = []
        for line in m.group(2).splitlines():
            f = FIELD.match(line)
            if not f:
                sys.exit(f"{path}: message {m.group(1)}: cannot read {line!r}")
            fields.append((f.group(1) or "optional", f.group(2), f.group(3), int(f.group(4)), f.group(5) or ""))
        messages.append((m.group(1), fields))
    return package, messages


def resolve(type_name, package, known):
    """A type as written in the schema text: checked, relative to `package` when it is there."""
    if type_name in SCALARS:
        return type_name
    full = type_name if "." in type_name else f"{package}.{type_name}"
    if full not in known:
        sys.exit(f"{package}: unknown type {type_name}")
    return full[len(package) + 1:] if full.startswith(package + ".") and "." not in full[len(package) + 1:] else full


def main():
    swagger_path = sys.argv[1] if len(sys.argv) > 1 else SWAGGER
    definitions = json.load(open(swagger_path))["definitions"]
    files = [parse(p) for p in sorted(glob.glob(os.path.join(PROTO_DIR, "**", "generated.proto"), recursive=True))]
    known = {f"{pkg}.{name}" for pkg, messages in files for name, _ in messages}
    lines, unknown_to_openapi, count = [], [], 0
    for package, messages in files:
        if not messages:
            continue
        lines.append(f"package {package}")
        for name, fields in messages:
            full = f"{package}.{name}"
            definition = definitions.get(definition_name(package, name))
            properties = set((definition or {}).get("properties", {}))
            required = set((definition or {}).get("required", []))
            out = []
            for label, type_name, field, number, options in fields:
                json_name = JSON_NAMES.get(f"{full}.{field}", field)
                flags = ""
                if label == "repeated":
                    flags += "r"
                if "(gogoproto.nullable) = false" in options:
                    flags += "v"
                if json_name in required:
                    flags += "z"
                if f"{full}.{field}" in INLINE:
                    flags += "i"
                elif definition and full not in SPECIAL and json_name not in properties:
                    unknown_to_openapi.append(f"{full}.{json_name}")
                if type_name.startswith("map<"):
                    k, v = type_name[4:-1].split(", ")
                    t = f"map<{resolve(k, package, known)},{resolve(v, package, known)}>"
                else:
                    t = resolve(type_name, package, known)
                out.append(f"{number}:{json_name}:{flags}:{t}")
                count += 1
            prefix = "@" if full in ARRAY_WRAPPERS else ""
            lines.append(" ".join([prefix + name] + out))
    for name in ARRAY_WRAPPERS | SPECIAL | {f.rsplit(".", 1)[0] for f in INLINE | set(JSON_NAMES)}:
        if name not in known:
            sys.exit(f"listed but not in the .proto files: {name}")
    header = [
        "// Generated by scripts/gen-protobuf.py from scripts/proto (Kubernetes' generated.proto files). Do not edit.",
        f"// {len(known)} messages, {count} fields. Format: see the script; parsed by ProtobufSchema (ProtobufSchema.swift).",
        "",
        'let protobufSchemaText = #"""',
    ]
    with open(OUTPUT, "w") as f:
        f.write("\n".join(header + lines + ['"""#', ""]))
    print(f"{OUTPUT}: {len(known)} messages, {count} fields")
    if unknown_to_openapi:
        print(f"{len(unknown_to_openapi)} fields newer than the OpenAPI document (kept as named): "
              + ", ".join(sorted(unknown_to_openapi)))


if __name__ == "__main__":
    main()
