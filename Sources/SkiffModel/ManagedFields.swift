/// One `metadata.managedFields` entry: which manager set which fields, by which operation.
public struct ManagedFieldsEntry: Sendable, Equatable {
    public var manager: String
    /// `Apply` or `Update`.
    public var operation: String
    public var apiVersion: String
    public var time: String
    public var subresource: String
    public var fields: FieldSet

    public init(manager: String, operation: String, apiVersion: String, time: String, subresource: String = "", fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    /// Reads an entry; with `decodingFields` false, `fields` is left empty (for a caller that
    /// reads `fieldsV1` itself only when it needs to).
    public init?(_ json: JSON, decodingFields: Bool = true) {
        guard let manager = json["manager"]?.string, let operation = json["operation"]?.string else { return nil }
        self.init(manager: manager, operation: operation, apiVersion: json["apiVersion"]?.string ?? "",
                  time: json["time"]?.string ?? "", subresource: json["subresource"]?.string ?? "",
                  fields: decodingFields ? FieldSet(fieldsV1: json["fieldsV1"] ?? [:]) : FieldSet())
    }

    public var json: JSON {
        var j: JSON = ["manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
                       "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1]
        if !subresource.isEmpty { j["subresource"] = .string(subresource) }
        return j
    }

    /// Whether this entry is the one a write by `manager` with `operation` on `subresource` updates.
    public func isSlot(manager: String, operation: String, subresource: String) -> Bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }

    public static func decode(_ object: JSON) -> [ManagedFieldsEntry] {
        (object["metadata", "managedFields"]?.array ?? []).compactMap { ManagedFieldsEntry($0) }
    }

    public static func encode(_ entries: [ManagedFieldsEntry]) -> JSON? {
        let kept = entries.filter { !$0.fields.isEmpty }
        return kept.isEmpty ? nil : .array(kept.map(\.json))
    }
}

/// Server-side apply's merge: the applied configuration merged into the live object by the
/// schema's list semantics, after removing the fields the manager applied before and no longer
/// applies (unless another manager owns them).
public enum ServerSideApply {
    /// Merges `applied` into `live`: objects member by member, keyed lists element by element,
    /// sets as unions; scalars and atomic lists are replaced; `null` removes.
    public static func merge(_ live: JSON?, _ applied: JSON, meta: SchemaPatchMeta?) -> JSON {
        switch applied {
        case .object(let members):
            var out = live?.object ?? [:]
            for (k, v) in members {
                if v == .null { out[k] = nil; continue }
                out[k] = merge(out[k], v, meta: meta?.child(k) as? SchemaPatchMeta)
            }
            return .object(out)
        case .array(let items):
            let keys = FieldSet.listMapKeys(meta)
            guard let liveItems = live?.array else { return applied }
            if !keys.isEmpty, items.allSatisfy({ $0.object != nil }) {
                var out = liveItems
                for item in items {
                    if let i = out.firstIndex(where: { l in keys.allSatisfy { l[$0] == item[$0] } }) {
                        out[i] = merge(out[i], item, meta: meta?.elements as? SchemaPatchMeta)
                    } else {
                        out.append(item)
                    }
                }
                return .array(out)
            }
            if FieldSet.isSet(meta) {
                return .array(liveItems + items.filter { !liveItems.contains($0) })
            }
            return applied
        default:
            return applied
        }
    }

    /// `object` without the nodes at `paths` (deepest first, so removing a list element does
    /// not shift another path's target).
    public static func remove(_ paths: Set<FieldPath>, from object: JSON) -> JSON {
        var out = object
        for path in paths.sorted(by: { $0.elements.count > $1.elements.count }) {
            out = remove(path.elements[...], from: out)
        }
        return out
    }

    static func remove(_ elements: ArraySlice<FieldPathElement>, from node: JSON) -> JSON {
        guard let first = elements.first else { return node }
        let last = elements.count == 1
        switch first {
        case .field(let f):
            guard var members = node.object, let child = members[f] else { return node }
            members[f] = last ? nil : remove(elements.dropFirst(), from: child)
            return .object(members)
        case .key(let k):
            guard var items = node.array, let keys = (try? JSON.parse(k))?.members,
                  let i = items.firstIndex(where: { item in keys.allSatisfy { item[$0.key] == $0.value } }) else { return node }
            if last { items.remove(at: i) } else { items[i] = remove(elements.dropFirst(), from: items[i]) }
            return .array(items)
        case .value(let v):
            guard let items = node.array, let value = try? JSON.parse(v) else { return node }
            return .array(items.filter { $0 != value })
        case .index(let i):
            guard var items = node.array, i >= 0, i < items.count else { return node }
            if last { items.remove(at: i) } else { items[i] = remove(elements.dropFirst(), from: items[i]) }
            return .array(items)
        }
    }

    /// A conflict: fields `manager` owns whose values the applied configuration changes.
    public struct Conflict: Sendable, Equatable {
        public var manager: String
        public var apiVersion: String
        public var operation: String
        public var subresource: String = ""
        public var paths: [FieldPath]

        /// The owner as Kubernetes prints it: `"kubectl" using apps/v1` for an Update, just
        /// `"helm"` for an Apply, with `with subresource "status"` when it wrote a subresource.
        public var managerDescription: String {
            var s = "\"\(manager)\""
            if !subresource.isEmpty { s += " with subresource \"\(subresource)\"" }
            if operation == "Update" { s += " using \(apiVersion)" }
            return s
        }
    }

    /// The fields of `applied` that other managers own with a different live value.
    public static func conflicts(appliedSet: FieldSet, applied: JSON, live: JSON, entries: [ManagedFieldsEntry], manager: String) -> [Conflict] {
        var out: [Conflict] = []
        for entry in entries where entry.manager != manager {
            let shared = appliedSet.intersection(entry.fields).paths.filter { path in
                guard let a = path.value(in: applied), a.object == nil else { return false }
                return path.value(in: live) != a
            }
            if !shared.isEmpty {
                out.append(Conflict(manager: entry.manager, apiVersion: entry.apiVersion, operation: entry.operation,
                                    subresource: entry.subresource, paths: shared.sorted()))
            }
        }
        return out
    }

    /// Kubernetes' message for apply conflicts: one conflict on one line; more listed under each
    /// manager, managers in order.
    public static func conflictMessage(_ conflicts: [Conflict]) -> String {
        let count = conflicts.reduce(0) { $0 + $1.paths.count }
        if count == 1, let c = conflicts.first(where: { !$0.paths.isEmpty }) {
            return "Apply failed with 1 conflict: conflict with \(c.managerDescription): \(c.paths[0])"
        }
        let ordered = conflicts.filter { !$0.paths.isEmpty }.sorted {
            ($0.manager, $0.operation, $0.apiVersion, $0.subresource) < ($1.manager, $1.operation, $1.apiVersion, $1.subresource)
        }
        var lines: [String] = []
        for c in ordered {
            lines.append("conflicts with \(c.managerDescription):")
            lines += c.paths.map { "- \($0)" }
        }
        return "Apply failed with \(count) conflicts: " + lines.joined(separator: "\n")
    }
}
