/// How a field path is written in messages.
public enum FieldPathStyle: Sendable {
    /// As the API server's strict JSON decoding reports it (`fieldValidation=Strict|Warn` on
    /// create, update and JSON/merge/strategic-merge patch):
    /// `spec.template.spec.containers[0].foo`; map keys as `.key`.
    case decoding
    /// As server-side apply (structured-merge-diff) reports it:
    /// `.spec.template.spec.containers[name="main"].foo`; elements of associative lists by key,
    /// other list elements by index.
    case apply
}

/// One place in an object, for rendering in either `FieldPathStyle`.
enum PathElement {
    case field(String)
    case mapKey(String)
    /// A list element: its index, and its rendered key (`name="main"`) when the list is associative.
    case element(Int, key: String?)
}

func renderPath(_ elements: [PathElement], _ style: FieldPathStyle) -> String {
    var out = ""
    for element in elements {
        switch element {
        case .field(let name), .mapKey(let name):
            if style == .apply || !out.isEmpty { out += "." }
            out += name
        case .element(let index, let key):
            if style == .apply, let key { out += "[\(key)]" } else { out += "[\(index)]" }
        }
    }
    return out
}

/// A value whose JSON type the schema does not accept, with what Go's decoder would report.
struct TypeMismatch {
    var path: [PathElement]
    var value: JSON
    /// The OpenAPI type expected: `integer`, `string`, `object`, ...
    var expected: String
    /// Go's `UnmarshalTypeError` parts: the JSON value (`string`, `number 1.5`), the struct that
    /// holds the field, the field path without indices, and the Go type of the target.
    var goValue: String
    var goStruct: String
    var goField: String
    var goType: String
    /// A whole message, for values rejected by a custom decoder (quantities).
    var message: String?
}

/// Walks an object against a schema node, collecting unknown fields and type mismatches the
/// way Kubernetes' strict JSON decoding into its Go types finds them. Members are visited in
/// sorted key order (the order kubectl's YAML-to-JSON conversion produces).
struct SchemaWalker {
    let schema: Schema
    let style: FieldPathStyle
    var unknown: [String] = []
    var mismatches: [TypeMismatch] = []
    var path: [PathElement] = []
    var goFields: [String] = []
    /// The schema definition of the struct holding the current field (its Go struct is the
    /// definition's last component, named only in a mismatch's message).
    var goStruct = ""

    /// Kubernetes reports at most 100 strict decoding errors.
    static let maxUnknown = 100
    static let objectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    static let quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"
    static let timeTypes: Set<String> = ["io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"]
    /// Types decoded by custom code that accepts any JSON: never checked inside.
    static let opaque: Set<String> = [
        "io.k8s.apimachinery.pkg.runtime.RawExtension",
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
    ]

    init(schema: Schema, style: FieldPathStyle) {
        self.schema = schema
        self.style = style
    }

    mutating func walk(_ value: JSON, _ node: JSON) {
        if value.isNull { return }  // null decodes into anything
        let (n, name) = schema.resolveNamed(node)
        if let name, SchemaWalker.opaque.contains(name) { return }
        if SchemaWalker.isIntOrString(n) {
            switch value {
            case .string, .int(Int64(Int32.min)...Int64(Int32.max)): return
            case .double(let d) where d.rounded() == d && abs(d) <= Double(Int32.max): return
            case .int(let i): mismatch(value, expected: "integer,string", goType: "int32", goValue: "number \(i)"); return
            case .double(let d): mismatch(value, expected: "integer,string", goType: "int32", goValue: "number \(JSON.format(d))"); return
            default: mismatch(value, expected: "integer,string", goType: "int32"); return
            }
        }
        if name == SchemaWalker.quantity {
            checkQuantity(value)
            return
        }
        let hasShape = n["properties"] != nil || n["additionalProperties"] != nil
        guard let type = n["type"]?.string ?? (hasShape ? "object" : nil) else { return }
        switch type {
        case "object":
            guard case .object(let members) = value else { return mismatch(value, expected: type, goType: goType(n, name)) }
            walkObject(members, n, name)
        case "array":
            guard case .array(let elements) = value else { return mismatch(value, expected: type, goType: goType(n, name)) }
            let items = n["items"] ?? .null
            let keys = style == .apply ? SchemaWalker.listKeys(n) : []
            for (i, element) in elements.enumerated() {
                path.append(.element(i, key: SchemaWalker.renderKey(element, keys)))
                walk(element, items)
                path.removeLast()
            }
        case "string":
            if value.string == nil { mismatch(value, expected: type, goType: goType(n, name)) }
        case "boolean":
            if value.bool == nil { mismatch(value, expected: type, goType: goType(n, name)) }
        case "number":
            if value.double == nil { mismatch(value, expected: type, goType: goType(n, name)) }
        case "integer":
            checkInteger(value, n, name)
        default:
            return
        }
    }

    mutating func walkObject(_ members: [String: JSON], _ node: JSON, _ name: String?) {
        let properties = node["properties"]?.object
        let additional = node["additionalProperties"]
        let preserve = node["x-kubernetes-preserve-unknown-fields"]?.bool == true
        let embedded = node["x-kubernetes-embedded-resource"]?.bool == true
        let structName = name ?? ""
        for key in members.keys.sorted() {
            let child = members[key]!
            if let property = properties?[key] {
                field(key, child, property, structName)
            } else if embedded, key == "apiVersion" || key == "kind" {
                field(key, child, ["type": "string"], structName)
            } else if embedded, key == "metadata" {
                field(key, child, ["$ref": .string(SchemaWalker.objectMeta)], structName)
            } else if let additional, additional.object != nil {
                path.append(.mapKey(key))
                walk(child, additional)
                path.removeLast()
            } else if additional?.bool == true || preserve {
                continue
            } else if unknown.count < SchemaWalker.maxUnknown {
                path.append(.field(key))
                unknown.append(renderPath(path, style))
                path.removeLast()
            }
        }
    }

    mutating func field(_ key: String, _ value: JSON, _ node: JSON, _ structName: String) {
        let savedStruct = goStruct
        path.append(.field(key))
        goFields.append(key)
        goStruct = structName
        walk(value, node)
        goStruct = savedStruct
        goFields.removeLast()
        path.removeLast()
    }

    static func isIntOrString(_ node: JSON) -> Bool {
        node["x-kubernetes-int-or-string"]?.bool == true || node["format"]?.string == "int-or-string"
    }

    /// `Deployment` from `io.k8s.api.apps.v1.Deployment`.
    static func shortName(_ definition: String) -> String {
        String(definition.split(separator: ".").last ?? Substring(definition))
    }

    /// The keys identifying elements of an associative list, as structured-merge-diff derives
    /// them: `x-kubernetes-list-map-keys` of a `map` list, else the patch merge key of a list
    /// with the `merge` patch strategy; none for atomic lists.
    static func listKeys(_ node: JSON) -> [String] {
        switch node["x-kubernetes-list-type"]?.string {
        case "map"?:
            return (node["x-kubernetes-list-map-keys"]?.array ?? []).compactMap(\.string)
        case nil:
            let strategies = (node["x-kubernetes-patch-strategy"]?.string ?? "").split(separator: ",")
            if strategies.contains("merge"), let key = node["x-kubernetes-patch-merge-key"]?.string { return [key] }
            return []
        default:
            return []
        }
    }

    /// `name="main"` or `containerPort=80,protocol="TCP"` (keys sorted), nil if a key is missing.
    static func renderKey(_ element: JSON, _ keys: [String]) -> String? {
        guard !keys.isEmpty else { return nil }
        var parts: [String] = []
        for key in keys.sorted() {
            guard let v = element[key], !v.isNull else { return nil }
            parts.append("\(key)=\(v.serializedString(sortedKeys: true))")
        }
        return parts.joined(separator: ",")
    }
}
