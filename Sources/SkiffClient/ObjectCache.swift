import SkiffModel
import Synchronization

/// An informer's local copy of objects by key, with secondary indexes (client-go's
/// `ThreadSafeStore` with `Indexers`).
///
/// Every index is kept in step with the objects under one lock: a reader never sees an object
/// without its index entries. Reads are synchronous and safe from any task.
public final class ObjectCache: Sendable {
    /// Maps an object to the index values it is found under (none to leave it out).
    public typealias IndexFunction = @Sendable (JSON) -> [String]

    /// The index every cache has: objects by `metadata.namespace`.
    public static let namespaceIndex = "namespace"

    /// An index function over a string field, for example `spec.nodeName` of pods.
    public static func fieldIndex(_ path: String...) -> IndexFunction {
        { object in object[path: path[...]]?.string.map { [$0] } ?? [] }
    }

    struct State {
        var items: [String: JSON] = [:]
        /// index name -> index value -> keys
        var indices: [String: [String: Set<String>]] = [:]
    }

    let indexers: [String: IndexFunction]
    let state = Mutex(State())

    public init(indexers: [String: IndexFunction] = [:]) {
        var all = indexers
        all[Self.namespaceIndex] = all[Self.namespaceIndex] ?? { obj in obj["metadata", "namespace"]?.string.map { [$0] } ?? [] }
        self.indexers = all
    }

    /// Stores `object` under its key; returns the object it replaced.
    @discardableResult
    func upsert(_ object: JSON) -> JSON? {
        let key = ObjectKey.of(object)
        return state.withLock { s in
            let old = s.items.updateValue(object, forKey: key)
            if let old { unindex(&s, key, old) }
            index(&s, key, object)
            return old
        }
    }

    /// Removes the object at `key`; returns it.
    @discardableResult
    func remove(_ key: String) -> JSON? {
        state.withLock { s in
            guard let old = s.items.removeValue(forKey: key) else { return nil }
            unindex(&s, key, old)
            return old
        }
    }

    /// What `replace` changed: objects new to the cache, objects whose resourceVersion changed
    /// (old, new), and objects no longer present.
    struct Changes {
        var added: [JSON] = []
        var updated: [(old: JSON, new: JSON)] = []
        var deleted: [JSON] = []
    }

    /// Makes the cache hold exactly `objects` (after a list) and reports what changed, in key order.
    func replace(_ objects: [JSON]) -> Changes {
        state.withLock { s in
            var fresh: [String: JSON] = [:]
            for o in objects { fresh[ObjectKey.of(o)] = o }
            var changes = Changes()
            for key in s.items.keys.sorted() where fresh[key] == nil {
                changes.deleted.append(s.items[key]!)
            }
            for key in fresh.keys.sorted() {
                let new = fresh[key]!
                if let old = s.items[key] {
                    if old["metadata", "resourceVersion"] != new["metadata", "resourceVersion"] { changes.updated.append((old, new)) }
                } else {
                    changes.added.append(new)
                }
            }
            s.items = fresh
            s.indices = [:]
            for (key, o) in fresh { index(&s, key, o) }
            return changes
        }
    }

    public func get(_ key: String) -> JSON? { state.withLock { $0.items[key] } }

    /// Every object, in key order.
    public func list() -> [JSON] {
        state.withLock { s in s.items.keys.sorted().map { s.items[$0]! } }
    }

    public var keys: [String] { state.withLock { $0.items.keys.sorted() } }

    public var count: Int { state.withLock { $0.items.count } }

    /// The objects `indexName` maps to `value`, in key order; empty for an unknown index.
    public func byIndex(_ indexName: String, _ value: String) -> [JSON] {
        state.withLock { s in
            (s.indices[indexName]?[value] ?? []).sorted().compactMap { s.items[$0] }
        }
    }

    /// The keys `indexName` maps to `value`, sorted.
    public func keys(index indexName: String, _ value: String) -> [String] {
        state.withLock { s in (s.indices[indexName]?[value] ?? []).sorted() }
    }

    func index(_ s: inout State, _ key: String, _ object: JSON) {
        for (name, fn) in indexers {
            for value in fn(object) { s.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    func unindex(_ s: inout State, _ key: String, _ object: JSON) {
        for (name, fn) in indexers {
            for value in fn(object) {
                s.indices[name]?[value]?.remove(key)
                if s.indices[name]?[value]?.isEmpty == true { s.indices[name]?[value] = nil }
            }
        }
    }
}
