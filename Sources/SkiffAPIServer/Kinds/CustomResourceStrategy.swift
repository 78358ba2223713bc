import SkiffModel

/// A custom resource version as its definition declares it: validated against its
/// `openAPIV3Schema`, `status` as a subresource when declared, and its printer columns.
struct CustomResourceStrategy: Strategy {
    /// The version's schema, with the root marked as an embedded resource so that `apiVersion`,
    /// `kind` and `metadata` are implicitly declared.
    let schema: JSON?
    let hasStatus: Bool
    let printerColumns: [JSON]

    init(version: JSON) {
        if var s = version["schema", "openAPIV3Schema"] {
            s["x-kubernetes-embedded-resource"] = true
            schema = s
        } else {
            schema = nil
        }
        hasStatus = version["subresources", "status"] != nil
        let declared = version["additionalPrinterColumns"]?.array ?? []
        printerColumns = declared.isEmpty
            ? [["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"]]
            : declared
    }

    func prepareForCreate(_ object: inout JSON) {
        if hasStatus { object["status"] = nil }
    }

    func prepareForUpdate(_ object: inout JSON, old: JSON) {
        if hasStatus { object["status"] = old["status"] }
    }

    var tracksGeneration: Bool { hasStatus }

    func validate(_ object: JSON) -> [FieldError] {
        guard let schema else { return [] }
        var body = object
        body["metadata"] = nil
        return Schema.builtin.typeErrors(in: body, schema: schema) + Self.requiredErrors(body, schema, path: "")
    }

    /// Fields the schema lists as `required` that are missing, as `spec.x: Required value`.
    static func requiredErrors(_ value: JSON, _ schema: JSON, path: String) -> [FieldError] {
        guard let members = value.object else {
            if let items = value.array, let itemSchema = schema["items"] {
                return items.enumerated().flatMap { requiredErrors($1, itemSchema, path: "\(path)[\($0)]") }
            }
            return []
        }
        var errors: [FieldError] = []
        for r in (schema["required"]?.array ?? []).compactMap(\.string) where members[r] == nil {
            errors.append(.required(path.isEmpty ? r : "\(path).\(r)"))
        }
        for (k, v) in members.sorted(by: { $0.key < $1.key }) {
            if let child = schema["properties", k] {
                errors += requiredErrors(v, child, path: path.isEmpty ? k : "\(path).\(k)")
            }
        }
        return errors
    }

    var columns: [TableColumn] {
        [.name] + printerColumns.map { c in
            TableColumn(c["name"]?.string ?? "", c["type"]?.string ?? "string", format: c["format"]?.string ?? "",
                        priority: Int(c["priority"]?.int ?? 0), description: c["description"]?.string ?? "")
        }
    }

    func cells(_ object: JSON) -> [JSON] {
        [object["metadata", "name"] ?? ""] + printerColumns.map { c in
            let value = Self.evaluate(c["jsonPath"]?.string ?? "", object)
            if c["type"]?.string == "date", let t = value?.string.flatMap(Timestamp.parse) {
                return .string(Timestamp.humanDuration(Timestamp.now() - t))
            }
            return value ?? .null
        }
    }

    /// The simple JSONPath forms printer columns use: `.spec.replicas`, `.status.conditions[0].type`.
    static func evaluate(_ path: String, _ object: JSON) -> JSON? {
        var current: JSON? = object
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var index: Int?
            if let open = part.firstIndex(of: "["), part.hasSuffix("]") {
                name = part[..<open]
                index = Int(part[part.index(after: open)..<part.index(before: part.endIndex)])
            }
            if !name.isEmpty { current = current?[String(name)] }
            if let i = index {
                guard let items = current?.array, i >= 0, i < items.count else { return nil }
                current = items[i]
            }
        }
        return current
    }
}

/// apiextensions.k8s.io/v1 CustomResourceDefinition: names, scope and versions checked as
/// Kubernetes does.
struct CustomResourceDefinitionStrategy: StatusSubresourceStrategy {
    var tracksGeneration: Bool { true }

    /// The finalizer under which the definition's objects are deleted before it goes.
    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    func prepareForCreate(_ object: inout JSON) {
        object["status"] = nil
        var finalizers = object["metadata", "finalizers"]?.array ?? []
        if !finalizers.contains(.string(Self.cleanupFinalizer)) { finalizers.append(.string(Self.cleanupFinalizer)) }
        object["metadata", "finalizers"] = .array(finalizers)
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        let group = spec["group"]?.string ?? ""
        let plural = spec["names", "plural"]?.string ?? ""
        if group.isEmpty { errors.append(.required("spec.group")) }
        if plural.isEmpty { errors.append(.required("spec.names.plural")) }
        if (spec["names", "kind"]?.string ?? "").isEmpty { errors.append(.required("spec.names.kind")) }
        let name = object["metadata", "name"]?.string ?? ""
        if !group.isEmpty, !plural.isEmpty, name != "\(plural).\(group)" {
            errors.append(.invalid("metadata.name", .string(name), "must be spec.names.plural+\".\"+spec.group"))
        }
        let scope = spec["scope"]?.string ?? ""
        if !["Namespaced", "Cluster"].contains(scope) {
            errors.append(scope.isEmpty ? .required("spec.scope") : .notSupported("spec.scope", .string(scope), ["Cluster", "Namespaced"]))
        }
        let versions = spec["versions"]?.array ?? []
        if versions.isEmpty { errors.append(.required("spec.versions")) }
        let storage = versions.filter { $0["storage"]?.bool == true }.count
        if !versions.isEmpty && storage != 1 {
            errors.append(.invalid("spec.versions", .string(""), "must have exactly one version marked as storage version"))
        }
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        if object["spec", "scope"] != old["spec", "scope"] {
            return [.invalid("spec.scope", object["spec", "scope"] ?? "", "field is immutable")]
        }
        return []
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Created At", format: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")]
    }

    func cells(_ object: JSON) -> [JSON] {
        [object["metadata", "name"] ?? "", object["metadata", "creationTimestamp"] ?? ""]
    }

    /// The resource a definition serves, or nil when it serves no version.
    static func resourceType(_ crd: JSON) -> ResourceType? {
        let spec = crd["spec"] ?? [:]
        let versions = (spec["versions"]?.array ?? []).filter { $0["served"]?.bool != false }
        guard let group = spec["group"]?.string, let plural = spec["names", "plural"]?.string,
              let kind = spec["names", "kind"]?.string,
              let storage = versions.first(where: { $0["storage"]?.bool == true }) ?? versions.first,
              let storageVersion = storage["name"]?.string else { return nil }
        let others = versions.filter { $0["name"]?.string != storageVersion }.compactMap { v -> VersionConversion? in
            guard let name = v["name"]?.string else { return nil }
            let apiVersion = "\(group)/\(name)"
            return VersionConversion(version: name, warning: v["deprecated"]?.bool == true ? (v["deprecationWarning"]?.string ?? "\(apiVersion) \(kind) is deprecated") : nil,
                                     toStorage: { o in var o = o; o["apiVersion"] = .string("\(group)/\(storageVersion)"); return o },
                                     fromStorage: { o in var o = o; o["apiVersion"] = .string(apiVersion); return o })
        }
        return ResourceType(group: group, version: storageVersion, kind: kind, plural: plural,
                            singular: spec["names", "singular"]?.string, shortNames: (spec["names", "shortNames"]?.array ?? []).compactMap(\.string),
                            namespaced: spec["scope"]?.string != "Cluster",
                            categories: (spec["names", "categories"]?.array ?? []).compactMap(\.string),
                            subresources: storage["subresources", "status"] != nil ? ["status"] : [],
                            strategy: CustomResourceStrategy(version: storage), otherVersions: others)
    }
}
