/// What the schema says about one field of an object: its type and its strategic-merge-patch
/// and list metadata (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`,
/// `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`).
public struct SchemaField: Sendable, Equatable {
    /// The field's schema, `$ref` resolved: a struct's definition, or an array, map or scalar node.
    public var schema: JSON
    /// The schema to descend into for the field's members: a list's `items` or a map's values
    /// (`additionalProperties`), resolved; for a struct, `schema` itself; nil for scalars and
    /// free-form values.
    public var elementSchema: JSON?
    /// The definition named by the field, or by its list items / map values (nil if inline).
    public var definition: String?
    /// `x-kubernetes-patch-strategy`: `merge`, `replace`, `retainKeys`, `merge,retainKeys`.
    public var patchStrategy: String?
    /// `x-kubernetes-patch-merge-key`, e.g. `name` for `PodSpec.containers`.
    public var patchMergeKey: String?
    /// `x-kubernetes-list-type`: `atomic`, `set` or `map`.
    public var listType: String?
    /// `x-kubernetes-list-map-keys`, e.g. `["containerPort", "protocol"]`.
    public var listMapKeys: [String]
    public var isList: Bool
    /// A map with arbitrary keys (`additionalProperties`), such as `metadata.labels`.
    public var isMap: Bool

    /// The patch strategies, split: `["merge", "retainKeys"]`.
    public var patchStrategies: [String] {
        (patchStrategy ?? "").split(separator: ",").map { String($0) }
    }

    /// Whether strategic merge patch merges this list by `patchMergeKey` (else replaces it).
    public var mergesByKey: Bool { isList && patchStrategies.contains("merge") && patchMergeKey != nil }
}

extension Schema {
    /// The field `field` of the definition named `definition` (a name or `$ref` string), or nil
    /// if the definition does not declare it.
    ///
    /// Walking down an object: start from `definitionName(for: gvk)`, then for each level call
    /// `fieldInfo(in: parent.elementSchema, field:)`, e.g. `Pod` → `spec` → `containers`
    /// (a list merged by `name`, elements `io.k8s.api.core.v1.Container`) → `ports` → ...
    public func fieldInfo(definition: String, field: String) -> SchemaField? {
        guard self.definition(named: definition) != nil else { return nil }
        return fieldInfo(in: ["$ref": .string(Schema.definitionName(ref: definition))], field: field)
    }

    /// The field `field` of an object schema node (`$ref` followed first); nil if the node
    /// declares no such property. Map values are not fields: use `elementSchema` of the map.
    public func fieldInfo(in node: JSON, field: String) -> SchemaField? {
        guard let property = resolve(node)["properties"]?[field] else { return nil }
        return describe(property)
    }

    /// A `SchemaField` for a schema node (e.g. a property node or a root definition reference).
    public func describe(_ property: JSON) -> SchemaField {
        let (resolved, name) = resolveNamed(property)
        // Extensions live on the property node; a resolved definition may carry its own.
        func ext(_ key: String) -> JSON? { property[key] ?? resolved[key] }
        let isList = resolved["type"]?.string == "array"
        let additional = resolved["additionalProperties"]
        let isMap = !isList && resolved["properties"] == nil && additional?.object != nil
        var element: (node: JSON, name: String?)?
        if isList, let items = resolved["items"] {
            element = resolveNamed(items)
        } else if isMap, let additional {
            element = resolveNamed(additional)
        } else if resolved["properties"] != nil {
            element = (resolved, name)
        }
        return SchemaField(
            schema: resolved,
            elementSchema: element?.node,
            definition: isList || isMap ? element?.name : name,
            patchStrategy: ext("x-kubernetes-patch-strategy")?.string,
            patchMergeKey: ext("x-kubernetes-patch-merge-key")?.string,
            listType: ext("x-kubernetes-list-type")?.string,
            listMapKeys: (ext("x-kubernetes-list-map-keys")?.array ?? []).compactMap(\.string),
            isList: isList,
            isMap: isMap)
    }
}

/// `PatchMeta` read from the schema, for strategic merge patch: a node is a schema node in its
/// parent's context (a property, list items, or map values), so the property's
/// `x-kubernetes-patch-strategy`/`-merge-key` apply to it, and `$ref`s are followed lazily as
/// the patch walks down.
public struct SchemaPatchMeta: PatchMeta {
    public let schema: Schema
    /// The schema node, unresolved (extensions sit beside a property's `$ref`).
    public let node: JSON

    public init(schema: Schema, node: JSON) {
        self.schema = schema
        self.node = node
    }

    /// A struct field, or any member of a map (`additionalProperties`); nil otherwise.
    public func child(_ name: String) -> (any PatchMeta)? {
        let resolved = schema.resolve(node)
        if let property = resolved["properties"]?[name] { return SchemaPatchMeta(schema: schema, node: property) }
        if let additional = resolved["additionalProperties"], additional.object != nil {
            return SchemaPatchMeta(schema: schema, node: additional)
        }
        return nil
    }

    public var elements: (any PatchMeta)? {
        let resolved = schema.resolve(node)
        guard resolved["type"] == "array", let items = resolved["items"] else { return nil }
        return SchemaPatchMeta(schema: schema, node: items)
    }

    public var patchStrategies: [String] {
        let strategy = node["x-kubernetes-patch-strategy"]?.string ?? schema.resolve(node)["x-kubernetes-patch-strategy"]?.string
        return (strategy ?? "").split(separator: ",").map { String($0) }
    }

    public var patchMergeKey: String? {
        node["x-kubernetes-patch-merge-key"]?.string ?? schema.resolve(node)["x-kubernetes-patch-merge-key"]?.string
    }
}

extension Schema {
    /// The strategic-merge-patch metadata of `gvk`'s objects (the root of the walk), or nil
    /// when the kind has no schema (e.g. a custom resource, which Kubernetes refuses strategic
    /// merge patches for).
    public func patchMeta(for gvk: GroupVersionKind) -> SchemaPatchMeta? {
        definitionName(for: gvk).map { SchemaPatchMeta(schema: self, node: ["$ref": .string($0)]) }
    }

    /// The metadata rooted at a definition (a name or `$ref` string), or nil if there is none.
    public func patchMeta(definition: String) -> SchemaPatchMeta? {
        guard self.definition(named: definition) != nil else { return nil }
        return SchemaPatchMeta(schema: self, node: ["$ref": .string(Schema.definitionName(ref: definition))])
    }
}
