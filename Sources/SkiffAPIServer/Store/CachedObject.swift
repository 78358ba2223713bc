import SkiffModel
import SkiffStorage

/// One object as the watch cache holds it: its serialized form (with `resourceVersion` set),
/// and what selectors need, so lists and watches filter without parsing.
public struct CachedObject: Sendable {
    public var key: String
    public var revision: Int64
    public var bytes: [UInt8]
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    /// Field values for field selectors, including `metadata.name` and `metadata.namespace`.
    public var fields: [String: String]

    /// Builds the cached form of a stored value: sets `resourceVersion`, extracts selector fields.
    /// `parsed` is the value already parsed, when the caller has it.
    public init?(_ kv: KeyValue, registry: Registry) {
        guard let (entry, _) = CachedObject.make(kv, registry: registry) else { return nil }
        self = entry
    }

    /// The cached form of a stored value and the object it serializes (with `resourceVersion`).
    /// `prepared` is what the write path stored as `kv.value`, when it was this server's write.
    static func make(_ kv: KeyValue, registry: Registry, prepared: PreparedWrite? = nil) -> (CachedObject, JSON)? {
        let type = registry.type(forKey: kv.key)
        if let prepared {
            let object = prepared.object(revision: kv.modRevision)
            return (CachedObject(key: kv.key, revision: kv.modRevision, object: object, bytes: prepared.bytes(revision: kv.modRevision),
                                 type: type), object)
        }
        guard var object = try? JSON.parse(kv.value) else { return nil }
        object["metadata", "resourceVersion"] = .string(String(kv.modRevision))
        return (CachedObject(key: kv.key, revision: kv.modRevision, object: object, bytes: object.serialized(), type: type), object)
    }

    init(key: String, revision: Int64, object: JSON, bytes: [UInt8], type: ResourceType?) {
        self.key = key
        self.revision = revision
        namespace = object["metadata", "namespace"]?.string ?? ""
        name = object["metadata", "name"]?.string ?? ""
        labels = object["metadata", "labels"]?.stringMap ?? [:]
        var fields = type?.strategy.selectableFields(object) ?? [:]
        fields["metadata.name"] = name
        if type?.namespaced ?? true { fields["metadata.namespace"] = namespace }
        self.fields = fields
        self.bytes = bytes
    }

    /// The parsed object. Bytes in the cache were produced by Skiff, so this does not fail.
    public var object: JSON { (try? JSON.parse(bytes)) ?? .null }
}

/// A change as the watch cache delivers it to watchers.
public struct CacheEvent: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    public var kind: Kind
    public var object: CachedObject
    /// The object before the change, for `modified` and `deleted` (filters need the old labels).
    public var previous: CachedObject?
    public var revision: Int64
    /// `object` parsed, as the watch cache had it when it applied the change; set on the events
    /// handed to watchers (so a watcher in this process need not parse the bytes), not on those
    /// kept in the window.
    public var parsed: JSON? = nil
}
