/// One step of a field path, as server-side apply names them (structured-merge-diff): a struct
/// or map member, a list element by its key fields, a set element by value, or a list index.
public enum FieldPathElement: Hashable, Sendable, Comparable {
    case field(String)
    /// The canonical JSON of the element's key fields: `{"name":"main"}`.
    case key(String)
    /// The canonical JSON of a set element: `"example.com/finalizer"`.
    case value(String)
    case index(Int)

    /// The element as a `fieldsV1` key: `f:name`, `k:{"name":"main"}`, `v:"x"`, `i:0`.
    public var fieldsV1Key: String {
        switch self {
        case .field(let f): return "f:" + f
        case .key(let k): return "k:" + k
        case .value(let v): return "v:" + v
        case .index(let i): return "i:\(i)"
        }
    }

    public init?(fieldsV1Key s: String) {
        guard s.count >= 2, s.dropFirst().first == ":" else { return nil }
        let rest = String(s.dropFirst(2))
        switch s.first {
        case "f": self = .field(rest)
        case "k": self = .key(rest)
        case "v": self = .value(rest)
        case "i": guard let i = Int(rest) else { return nil }; self = .index(i)
        default: return nil
        }
    }

    /// As structured-merge-diff prints paths in conflict messages.
    var text: String {
        switch self {
        case .field(let f): return "." + f
        case .key(let k):
            let parsed = (try? JSON.parse(k))?.members ?? [:]
            return "[" + parsed.keys.sorted().map { "\($0)=\(parsed[$0]!.serializedString())" }.joined(separator: ",") + "]"
        case .value(let v): return "[=\(v)]"
        case .index(let i): return "[\(i)]"
        }
    }
}

/// A field path: `.spec.template.spec.containers[name="main"].image`.
public struct FieldPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var elements: [FieldPathElement]

    public init(_ elements: [FieldPathElement]) { self.elements = elements }

    public var description: String { elements.map(\.text).joined() }

    public static func < (a: FieldPath, b: FieldPath) -> Bool { a.description < b.description }

    public func appending(_ e: FieldPathElement) -> FieldPath { FieldPath(elements + [e]) }

    /// The value at this path in `object`, if present.
    public func value(in object: JSON) -> JSON? {
        var current = object
        for e in elements {
            switch e {
            case .field(let f):
                guard let next = current[f] else { return nil }
                current = next
            case .key(let k):
                guard let keys = (try? JSON.parse(k))?.members, let items = current.array,
                      let match = items.first(where: { item in keys.allSatisfy { item[$0.key] == $0.value } }) else { return nil }
                current = match
            case .value(let v):
                guard let items = current.array, let value = try? JSON.parse(v), items.contains(value) else { return nil }
                current = value
            case .index(let i):
                guard let items = current.array, i >= 0, i < items.count else { return nil }
                current = items[i]
            }
        }
        return current
    }
}

/// The set of fields an object sets, as server-side apply tracks ownership: scalars, atomic
/// lists and empty objects are leaves; maps and keyed list elements are members too, with their
/// contents below them. Shapes come from the schema's list semantics (merge keys, sets); without
/// a schema every list is atomic.
public struct FieldSet: Hashable, Sendable {
    public var paths: Set<FieldPath>

    public init(_ paths: Set<FieldPath> = []) { self.paths = paths }

    public var isEmpty: Bool { paths.isEmpty }

    /// Server-owned fields never tracked: type, identity and bookkeeping metadata.
    static let untrackedMetadata: Set<String> = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                                                 "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]

    /// The fields `object` sets, walking its shape by `meta` (nil: no schema).
    public static func of(_ object: JSON, meta: SchemaPatchMeta?, ignoring ignored: Set<String> = []) -> FieldSet {
        var set = FieldSet()
        forEachTopLevel(object, meta: meta, ignoring: ignored) { value, meta, path in set.walk(value, meta, path) }
        return set
    }

    /// Calls `body` with each tracked top-level field of `object` (and each tracked member of
    /// its metadata), its schema and its path.
    static func forEachTopLevel(_ object: JSON, meta: SchemaPatchMeta?, ignoring ignored: Set<String>,
                                _ body: (JSON, SchemaPatchMeta?, FieldPath) -> Void) {
        for (k, v) in object.members where k != "apiVersion" && k != "kind" && !ignored.contains(k) {
            let path = FieldPath([.field(k)])
            if k == "metadata" {
                let metadataMeta = meta?.child("metadata") as? SchemaPatchMeta
                for (mk, mv) in v.members where !untrackedMetadata.contains(mk) {
                    body(mv, metadataMeta?.child(mk) as? SchemaPatchMeta, path.appending(.field(mk)))
                }
            } else {
                body(v, meta?.child(k) as? SchemaPatchMeta, path)
            }
        }
    }

    mutating func walk(_ value: JSON, _ meta: SchemaPatchMeta?, _ path: FieldPath) {
        if FieldSet.isOwnMember(value, meta) { paths.insert(path) }
        switch value {
        case .object(let members):
            for (k, v) in members {
                walk(v, meta?.child(k) as? SchemaPatchMeta, path.appending(.field(k)))
            }
        case .array(let items):
            let elementMeta = meta?.elements as? SchemaPatchMeta
            if let keys = FieldSet.mapKeys(of: items, meta) {
                for item in items {
                    let elementPath = path.appending(.key(FieldSet.elementKey(item, keys)))
                    paths.insert(elementPath)
                    for (k, v) in item.members { walk(v, elementMeta?.child(k) as? SchemaPatchMeta, elementPath.appending(.field(k))) }
                }
            } else if FieldSet.isSet(meta) {
                for item in items { paths.insert(path.appending(.value(item.serializedString(sortedKeys: true)))) }
            }
        default:
            break
        }
    }

    /// Whether a value is a member of the set at its own path: a scalar, an atomic list, an
    /// empty object, or a map; not a struct (only what it holds is), not an associative list or
    /// a set (their elements are).
    static func isOwnMember(_ value: JSON, _ meta: SchemaPatchMeta?) -> Bool {
        switch value {
        case .object(let members): return members.isEmpty || isMap(meta)
        case .array(let items): return mapKeys(of: items, meta) == nil && !isSet(meta)
        default: return true
        }
    }

    /// The key fields of an associative list whose elements are all objects; nil otherwise.
    static func mapKeys(of items: [JSON], _ meta: SchemaPatchMeta?) -> [String]? {
        let keys = listMapKeys(meta)
        return !keys.isEmpty && items.allSatisfy({ $0.object != nil }) ? keys : nil
    }

    /// A keyed list element's key fields as canonical JSON: `{"name":"main"}`.
    static func elementKey(_ item: JSON, _ keys: [String]) -> String {
        var keyObject: [String: JSON] = [:]
        for k in keys { if let v = item[k] { keyObject[k] = v } }
        return JSON.object(keyObject).serializedString(sortedKeys: true)
    }

    /// A map (additionalProperties) or an object with no schema: its own member of the set.
    static func isMap(_ meta: SchemaPatchMeta?) -> Bool {
        guard let meta else { return true }
        let resolved = meta.schema.resolve(meta.node)
        return resolved["properties"] == nil
    }

    static func listMapKeys(_ meta: SchemaPatchMeta?) -> [String] {
        guard let meta else { return [] }
        if let keys = meta.node["x-kubernetes-list-map-keys"]?.array, !keys.isEmpty { return keys.compactMap(\.string) }
        if meta.patchStrategies.contains("merge"), let key = meta.patchMergeKey { return [key] }
        return []
    }

    static func isSet(_ meta: SchemaPatchMeta?) -> Bool {
        guard let meta else { return false }
        return meta.node["x-kubernetes-list-type"]?.string == "set" || (meta.patchStrategies.contains("merge") && meta.patchMergeKey == nil)
    }

    public func union(_ o: FieldSet) -> FieldSet { FieldSet(paths.union(o.paths)) }
    public func subtracting(_ o: FieldSet) -> FieldSet { FieldSet(paths.subtracting(o.paths)) }
    public func intersection(_ o: FieldSet) -> FieldSet { FieldSet(paths.intersection(o.paths)) }
}
