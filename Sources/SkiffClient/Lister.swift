import SkiffModel

/// Read access to an informer's cache (client-go's listers): what controllers read instead of
/// calling the API server. Reads are synchronous, never block on the network, and reflect every
/// event the informer has applied so far (possibly behind the server).
///
/// The objects are shared snapshots: mutate a copy and write it through the `Client`.
///
/// ```swift
/// let pods = informer.lister
/// let onNode = pods.byIndex("nodeName", "node-1")
/// let web = pods.get(namespace: "default", name: "web-0")
/// ```
public struct Lister: Sendable {
    public let cache: ObjectCache

    public init(cache: ObjectCache) {
        self.cache = cache
    }

    public func get(namespace: String? = nil, name: String) -> JSON? {
        cache.get(ObjectKey.key(namespace: namespace, name: name))
    }

    /// The object at a work-queue key (`namespace/name` or `name`).
    public func get(key: String) -> JSON? { cache.get(key) }

    /// Objects in `namespace` (all if nil) whose labels match `selector`, in key order.
    public func list(namespace: String? = nil, selector: LabelSelector = .everything) -> [JSON] {
        let candidates = namespace.map { cache.byIndex(ObjectCache.namespaceIndex, $0) } ?? cache.list()
        if selector.isEverything { return candidates }
        return candidates.filter { selector.matches($0["metadata", "labels"]?.stringMap ?? [:]) }
    }

    /// Objects a custom index maps to `value`, in key order.
    public func byIndex(_ indexName: String, _ value: String) -> [JSON] {
        cache.byIndex(indexName, value)
    }

    public var count: Int { cache.count }
}
