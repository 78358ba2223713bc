/// Kubernetes' API schema: the OpenAPI definitions of every built-in type, looked up by
/// definition name (`io.k8s.api.apps.v1.Deployment`) or by group/version/kind.
///
/// `Schema.builtin` is the Kubernetes 1.28 schema embedded in the binary
/// (`Generated/SchemaData.swift`, made by `scripts/gen-schema.py`), parsed once on first use.
/// Definitions keep only what Skiff needs: `type`, `format`, `properties`, `items`, `$ref`,
/// `additionalProperties`, `required`, `enum` and the `x-kubernetes-*` extensions.
///
/// Schema nodes are plain `JSON`. A `$ref` may be a bare definition name (the embedded data's
/// form), `#/definitions/<name>` (OpenAPI v2) or `#/components/schemas/<name>` (OpenAPI v3).
public struct Schema: Sendable {
    final class Storage: Sendable {
        let definitions: [String: JSON]
        let byGVK: [GroupVersionKind: String]

        init(definitions: [String: JSON]) {
            self.definitions = definitions
            var index: [GroupVersionKind: String] = [:]
            for (name, def) in definitions {
                for entry in def["x-kubernetes-group-version-kind"]?.array ?? [] {
                    guard let gvk = GroupVersionKind(json: entry) else { continue }
                    // Deterministic if two definitions ever declare one GVK (1.28 has none).
                    if let existing = index[gvk], existing < name { continue }
                    index[gvk] = name
                }
            }
            byGVK = index
        }
    }

    let storage: Storage

    /// A schema over the given definitions (name → OpenAPI schema object), e.g. for tests or
    /// for custom resources.
    public init(definitions: [String: JSON]) {
        storage = Storage(definitions: definitions)
    }

    /// The embedded Kubernetes 1.28 schema; the data is parsed on first access (lazily, once).
    public static let builtin: Schema = {
        do {
            let parsed = try JSON.parse(schemaJSON.utf8)
            return Schema(definitions: parsed.members.merging(metricsDefinitions) { builtin, _ in builtin })
        } catch {
            fatalError("embedded schema data does not parse: \(error)")
        }
    }()

    /// Every definition, by name.
    public var definitions: [String: JSON] { storage.definitions }

    /// Every group/version/kind some definition declares, sorted.
    public var kinds: [GroupVersionKind] { storage.byGVK.keys.sorted() }

    /// The definition named `name`; the name may also be given as a `$ref` string.
    public func definition(named name: String) -> JSON? {
        storage.definitions[Schema.definitionName(ref: name)]
    }

    /// The name of the definition declaring `gvk` in `x-kubernetes-group-version-kind`.
    public func definitionName(for gvk: GroupVersionKind) -> String? { storage.byGVK[gvk] }

    /// The definition declaring `gvk`.
    public func definition(for gvk: GroupVersionKind) -> JSON? {
        definitionName(for: gvk).flatMap { storage.definitions[$0] }
    }

    /// The group/version/kinds a definition declares (empty for non-kinds).
    public func groupVersionKinds(ofDefinition name: String) -> [GroupVersionKind] {
        (definition(named: name)?["x-kubernetes-group-version-kind"]?.array ?? []).compactMap(GroupVersionKind.init(json:))
    }

    /// A definition name from a `$ref` value: strips `#/definitions/` or `#/components/schemas/`.
    public static func definitionName(ref: String) -> String {
        for prefix in ["#/definitions/", "#/components/schemas/"] where ref.hasPrefix(prefix) {
            return String(ref.dropFirst(prefix.count))
        }
        return ref
    }

    /// The node with its `$ref` followed (repeatedly), or the node itself when it has no
    /// `$ref` or the reference does not resolve. A single-element `allOf` wrapping a `$ref`
    /// (OpenAPI v3 style) is followed too.
    public func resolve(_ node: JSON) -> JSON {
        resolveNamed(node).node
    }

    /// Like `resolve`, also returning the name of the last definition reached (nil if none).
    func resolveNamed(_ node: JSON) -> (node: JSON, name: String?) {
        var current = node
        var name: String?
        for _ in 0..<32 {
            let ref: String
            if let r = current["$ref"]?.string {
                ref = r
            } else if let all = current["allOf"]?.array, all.count == 1, let r = all[0]["$ref"]?.string,
                      current["properties"] == nil {
                ref = r
            } else {
                break
            }
            let target = Schema.definitionName(ref: ref)
            guard let def = storage.definitions[target] else { break }
            current = def
            name = target
        }
        return (current, name)
    }
}
