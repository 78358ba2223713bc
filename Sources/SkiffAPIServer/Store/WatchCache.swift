import Logging
import SkiffModel
import SkiffStorage
import Synchronization

/// Every object of every resource in memory, kept current from the backend's watch, with a window
/// of recent events that watches resume from (kube-apiserver's cacher).
///
/// Reads are consistent: `waitUntil(revision)` returns once every write up to that revision is
/// visible. A watch asking for a revision older than the window fails with 410 Expired.
public actor WatchCache {
    let backend: any StorageBackend
    let registry: Registry
    let logger: Logger
    /// Objects by resource key prefix, then by key.
    var objects: [String: [String: CachedObject]] = [:]
    public private(set) var revision: Int64 = 0
    var window: [CacheEvent] = []
    var windowStart = 0
    let windowCapacity: Int
    /// The revision before the oldest event in the window: watches may resume from here on.
    var oldestResumable: Int64 = 0
    /// The revision of each resource's last change (absent: none since the last load).
    var changedAt: [String: Int64] = [:]
    var loadedAt: Int64 = 0
    /// Parsed lists and objects of the small resources the server reads itself on every
    /// request (RBAC's), kept until their resource changes.
    var parsedLists: [String: (revision: Int64, objects: [JSON])] = [:]
    var parsedObjects: [String: (revision: Int64, object: JSON)] = [:]
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 0
    let waiters = RevisionWaiters()
    /// What this server is about to store, by key: the bytes and the object they serialize, so
    /// that applying the write's event need not parse the bytes again.
    nonisolated let pending = Mutex<[String: PreparedWrite]>([:])

    struct Watcher {
        var prefix: String
        var continuation: AsyncStream<CacheEvent>.Continuation
    }

    public init(backend: any StorageBackend, registry: Registry, windowCapacity: Int = 10_000, logger: Logger) {
        self.backend = backend
        self.registry = registry
        self.windowCapacity = windowCapacity
        self.logger = logger
    }

    /// Follows the backend from `revision` (as returned by `load()`) until cancelled.
    public func follow(from revision: Int64) async throws {
        var from = revision
        while !Task.isCancelled {
            do {
                for try await batch in backend.watch(prefix: "/registry/", after: from) {
                    for event in batch { apply(event) }
                    from = revision
                }
                return
            } catch StorageError.compacted {
                logger.warning("watch cache fell behind compaction; reloading")
                from = try await load()
            }
        }
    }

    /// Lists the whole store into memory and returns the revision it was read at.
    public func load() async throws -> Int64 {
        var fresh: [String: [String: CachedObject]] = [:]
        var after: String? = nil
        var rev: Int64 = 0
        repeat {
            let page = try await backend.list(prefix: "/registry/", startAfter: after, limit: 5000, revision: rev == 0 ? nil : rev)
            rev = page.revision
            for kv in page.items {
                guard let (prefix, obj) = cached(kv) else { continue }
                fresh[prefix, default: [:]][kv.key] = obj
            }
            after = page.more ? page.items.last?.key : nil
        } while after != nil
        objects = fresh
        revision = rev
        loadedAt = rev
        changedAt = [:]
        parsedLists = [:]
        parsedObjects = [:]
        oldestResumable = rev
        window.removeAll()
        windowStart = 0
        resumeWaiters()
        return rev
    }

    func cached(_ kv: KeyValue) -> (String, CachedObject)? {
        guard let entry = CachedObject(kv, registry: registry) else { return nil }
        return (Registry.keyPrefix(of: kv.key) ?? "", entry)
    }

    /// Called by the write path before it stores `prepared.bytes` at `key`. A write that then
    /// fails leaves a note that the key's next event discards: only a value with exactly these
    /// bytes is taken from it.
    nonisolated func willStore(key: String, _ prepared: PreparedWrite) {
        pending.withLock { $0[key] = prepared }
    }

    func apply(_ event: WatchEvent) {
        let note = pending.withLock { $0.removeValue(forKey: event.kv.key) }
        let prepared = event.kind == .put && note?.bytes == event.kv.value ? note : nil
        guard let (entry, object) = CachedObject.make(event.kv, registry: registry, prepared: prepared) else { return }
        let prefix = Registry.keyPrefix(of: event.kv.key) ?? ""
        let previous = objects[prefix]?[event.kv.key]
        let out: CacheEvent
        switch event.kind {
        case .put:
            objects[prefix, default: [:]][event.kv.key] = entry
            out = CacheEvent(kind: previous == nil ? .added : .modified, object: entry, previous: previous, revision: event.revision)
        case .delete:
            objects[prefix]?[event.kv.key] = nil
            parsedObjects[event.kv.key] = nil
            out = CacheEvent(kind: .deleted, object: entry, previous: previous, revision: event.revision)
        }
        revision = event.revision
        changedAt[prefix] = event.revision
        record(out)
        var delivered = out
        delivered.parsed = object
        for (_, w) in watchers where event.kv.key.hasPrefix(w.prefix) {
            w.continuation.yield(delivered)
        }
        resumeWaiters()
    }

    func record(_ event: CacheEvent) {
        if window.count < windowCapacity {
            window.append(event)
        } else {
            oldestResumable = window[windowStart].revision
            window[windowStart] = event
            windowStart = (windowStart + 1) % windowCapacity
        }
    }

    /// Events in the window after `revision`, oldest first.
    func events(after revision: Int64) -> [CacheEvent] {
        let ordered = window[windowStart...] + window[..<windowStart]
        return ordered.filter { $0.revision > revision }
    }

    func resumeWaiters() {
        if !waiters.isEmpty { waiters.resume(upTo: revision) }
    }

    /// Returns once the cache has applied every change up to `revision`, or at once when the
    /// calling task is cancelled.
    public func waitUntil(_ revision: Int64) async {
        if revision <= self.revision { return }
        await waiters.wait(waiters.register(revision))
    }

    /// The objects under `prefix` (a resource's or a namespace's), sorted by key.
    public func list(resourcePrefix: String, keyPrefix: String) -> (items: [CachedObject], revision: Int64) {
        guard let all = objects[resourcePrefix] else { return ([], revision) }
        var items: [CachedObject] = []
        if keyPrefix == resourcePrefix {
            items = Array(all.values)
        } else {
            for (k, v) in all where k.hasPrefix(keyPrefix) { items.append(v) }
        }
        items.sort { $0.key < $1.key }
        return (items, revision)
    }

    public func get(resourcePrefix: String, key: String) -> CachedObject? {
        objects[resourcePrefix]?[key]
    }

    /// `list(...)`'s objects parsed, parsed again only after the resource changes. For small
    /// resources read on every request: the parsed copies stay in memory.
    public func parsedList(resourcePrefix: String, keyPrefix: String) -> [JSON] {
        let changed = changedAt[resourcePrefix] ?? loadedAt
        if let memo = parsedLists[keyPrefix], memo.revision == changed { return memo.objects }
        let parsed = list(resourcePrefix: resourcePrefix, keyPrefix: keyPrefix).items.map(\.object)
        parsedLists[keyPrefix] = (changed, parsed)
        return parsed
    }

    /// `get(...)`'s object parsed, parsed again only after it changes (see `parsedList`).
    public func parsedObject(resourcePrefix: String, key: String) -> JSON? {
        guard let cached = objects[resourcePrefix]?[key] else { return nil }
        if let memo = parsedObjects[key], memo.revision == cached.revision { return memo.object }
        let object = cached.object
        parsedObjects[key] = (cached.revision, object)
        return object
    }

    /// How many keys under `keyPrefix` sort after `key` (a list page's `remainingItemCount`).
    public func count(resourcePrefix: String, keyPrefix: String, after key: String) -> Int {
        (objects[resourcePrefix] ?? [:]).keys.reduce(0) { $0 + ($1.hasPrefix(keyPrefix) && $1 > key ? 1 : 0) }
    }

    public func count(resourcePrefix: String, keyPrefix: String) -> Int {
        guard let all = objects[resourcePrefix] else { return 0 }
        if keyPrefix == resourcePrefix { return all.count }
        return all.keys.reduce(0) { $0 + ($1.hasPrefix(keyPrefix) ? 1 : 0) }
    }

    /// Starts a watch of keys under `prefix` after `revision` (nil: from now, with the current
    /// objects as ADDED events first when `initial` is true).
    public func watch(resourcePrefix: String, keyPrefix: String, after revision: Int64?) throws(APIError) -> (initial: [CachedObject], stream: AsyncStream<CacheEvent>, revision: Int64) {
        var backlog: [CacheEvent] = []
        var initial: [CachedObject] = []
        if let rev = revision {
            if rev < oldestResumable {
                // As the cacher: the parenthesized revision is the oldest one a watch may start from.
                throw APIError.gone("too old resource version: \(rev) (\(oldestResumable))")
            }
            backlog = events(after: rev).filter { $0.object.key.hasPrefix(keyPrefix) }
        } else {
            initial = list(resourcePrefix: resourcePrefix, keyPrefix: keyPrefix).items
        }
        let id = nextWatcherID
        nextWatcherID += 1
        let (stream, continuation) = AsyncStream<CacheEvent>.makeStream()
        for e in backlog { continuation.yield(e) }
        watchers[id] = Watcher(prefix: keyPrefix, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        return (initial, stream, self.revision)
    }

    func removeWatcher(_ id: Int) { watchers[id] = nil }

    public var watcherCount: Int { watchers.count }
}
