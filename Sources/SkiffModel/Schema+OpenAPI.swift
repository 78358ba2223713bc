/// OpenAPI documents built from the schema for a set of served resources.
extension Schema {
    /// This schema with more definitions (e.g. custom resources' schemas, with
    /// `x-kubernetes-group-version-kind` set), replacing definitions of the same name.
    public func adding(definitions extra: [String: JSON]) -> Schema {
        Schema(definitions: definitions.merging(extra) { _, new in new })
    }

    /// The OpenAPI v2 document served at `/openapi/v2` (JSON): `paths` for the served
    /// resources and the `definitions` they reach, named as Kubernetes names them
    /// (`io.k8s.api.apps.v1.Deployment`, with `x-kubernetes-group-version-kind`), `$ref`s in
    /// the `#/definitions/<name>` form.
    public func openAPIV2(served: [ServedKind]) -> JSON {
        var builder = OpenAPIPathBuilder(schema: self)
        for kind in served { builder.add(kind) }
        let paths = JSON.object(builder.paths)
        var definitions: [String: JSON] = [:]
        for name in definitionClosure(of: paths) {
            definitions[name] = exportSchema(storage.definitions[name]!, prefix: "#/definitions/", wrapRefs: false)
        }
        return [
            "swagger": "2.0",
            "info": ["title": "Kubernetes", "version": "unversioned"],
            "paths": paths,
            "definitions": .object(definitions),
            "securityDefinitions": ["BearerToken": [
                "description": "Bearer Token authentication", "in": "header", "name": "authorization", "type": "apiKey",
            ]],
            "security": [["BearerToken": []]],
        ]
    }

    /// The definitions `document` refers to (by any `$ref` string in it), and all they
    /// refer to in turn.
    func definitionClosure(of document: JSON) -> Set<String> {
        var pending: [String] = []
        Schema.collectRefs(document, into: &pending)
        var seen: Set<String> = []
        while let next = pending.popLast() {
            let name = Schema.definitionName(ref: next)
            guard !seen.contains(name), let def = storage.definitions[name] else { continue }
            seen.insert(name)
            Schema.collectRefs(def, into: &pending)
        }
        return seen
    }

    /// Appends every `"$ref": "<string>"` member found in `json`. (A property *named* `$ref`,
    /// as in `JSONSchemaProps`, holds an object and is not taken for a reference.)
    static func collectRefs(_ json: JSON, into refs: inout [String]) {
        switch json {
        case .object(let members):
            for (key, value) in members {
                if key == "$ref", let ref = value.string { refs.append(ref) } else { collectRefs(value, into: &refs) }
            }
        case .array(let elements):
            for element in elements { collectRefs(element, into: &refs) }
        default:
            break
        }
    }

    /// A schema node with its `$ref`s in the form `prefix + name`. With `wrapRefs` (OpenAPI v3,
    /// as Kubernetes publishes it), a property's or list item's `$ref` is wrapped as
    /// `{"allOf": [{"$ref": ...}]}`, the form `kubectl explain` follows.
    func exportSchema(_ node: JSON, prefix: String, wrapRefs: Bool) -> JSON {
        guard case .object(var members) = node else { return node }
        if let ref = members["$ref"]?.string { members["$ref"] = .string(prefix + Schema.definitionName(ref: ref)) }
        func child(_ value: JSON) -> JSON {
            let exported = exportSchema(value, prefix: prefix, wrapRefs: wrapRefs)
            guard wrapRefs, case .object(var o) = exported, let ref = o["$ref"] else { return exported }
            o["$ref"] = nil
            o["allOf"] = [["$ref": ref]]
            return .object(o)
        }
        if case .object(let properties)? = members["properties"] {
            members["properties"] = .object(properties.mapValues(child))
        }
        if let items = members["items"] { members["items"] = child(items) }
        if let additional = members["additionalProperties"], additional.object != nil {
            members["additionalProperties"] = exportSchema(additional, prefix: prefix, wrapRefs: wrapRefs)
        }
        return .object(members)
    }
}
