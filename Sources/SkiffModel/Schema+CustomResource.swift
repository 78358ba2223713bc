/// Definitions for custom resources, so that they appear in the OpenAPI documents and can be
/// checked like built-in kinds (`schema.adding(definitions:)`).
extension Schema {
    /// The definitions Kubernetes publishes for one version of a custom resource, named from
    /// the reversed group: `com.example.stable.v1.CronTab` (for `stable.example.com/v1`) and
    /// `com.example.stable.v1.CronTabList`, each with its `x-kubernetes-group-version-kind`.
    ///
    /// The kind's definition is the CRD's `openAPIV3Schema` (or a schema that keeps any field,
    /// when the version has none) with `apiVersion`, `kind` and `metadata` (ObjectMeta)
    /// declared, as the API server adds them.
    public static func customResourceDefinitions(group: String, version: String, kind: String, listKind: String? = nil,
                                                 openAPIV3Schema: JSON?) -> [String: JSON] {
        let prefix = group.split(separator: ".").reversed().joined(separator: ".") + ".\(version)."
        let listKind = listKind ?? kind + "List"
        var root = openAPIV3Schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        var properties = root["properties"]?.object ?? [:]
        properties["apiVersion"] = ["type": "string"]
        properties["kind"] = ["type": "string"]
        properties["metadata"] = ["$ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
        root["properties"] = .object(properties)
        if root["type"] == nil { root["type"] = "object" }
        root["x-kubernetes-group-version-kind"] = [GroupVersionKind(group: group, version: version, kind: kind).json]
        let list: JSON = [
            "type": "object",
            "required": ["items"],
            "properties": [
                "apiVersion": ["type": "string"],
                "kind": ["type": "string"],
                "metadata": ["$ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"],
                "items": ["type": "array", "items": ["$ref": .string(prefix + kind)]],
            ],
            "x-kubernetes-group-version-kind": [GroupVersionKind(group: group, version: version, kind: listKind).json],
        ]
        return [prefix + kind: root, prefix + listKind: list]
    }
}
