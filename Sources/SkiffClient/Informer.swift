import Logging
import SkiffModel
import Synchronization

/// Keeps a local, indexed copy of one resource current and tells handlers about every change
/// (client-go's shared informer: reflector, store and processor in one).
///
/// `run()` lists, then watches from the list's resourceVersion. When a watch ends (the server's
/// timeout, a dropped connection) it watches again from the last resourceVersion seen (events and
/// bookmarks). When the server says that version is gone (410), it lists again and reports the
/// difference to the handlers. Failed lists and watches are retried with back-off (0.8 s doubling
/// to 30 s). `run()` returns when its task is cancelled.
///
/// Consistency: the cache and handlers see changes in resourceVersion order; `hasSynced` turns
/// true once the first list has been stored and its objects handed to the handlers, so a
/// controller that waits for it has every existing key queued.
///
/// ```swift
/// let pods = Informer(client: client, resource: .pods,
///                     indexers: ["nodeName": ObjectCache.fieldIndex("spec", "nodeName")], logger: logger)
/// pods.addEventHandler(.enqueue(into: queue))
/// group.addTask { try await pods.run() }
/// try await pods.waitForSync()
/// ```
public final class Informer: Sendable {
    public struct Configuration: Sendable {
        public var resource: Resource
        /// Watch one namespace, or all when nil.
        public var namespace: String?
        public var labelSelector: LabelSelector?
        public var fieldSelector: FieldSelector?
        /// Keep only `apiVersion`, `kind` and `metadata` of each object (client-go's metadata
        /// informer), for controllers that read nothing else: a cache of Secrets or ConfigMaps
        /// then holds no data.
        public var metadataOnly = false
        /// The server ends each watch after a random number of seconds in this range; the
        /// informer then resumes it. Default 300...600, as client-go.
        public var watchTimeoutSeconds: ClosedRange<Int> = 300...600
        /// The first delay after a failed list or watch; it doubles up to `maxRetryDelay`.
        public var retryDelay: Duration = .milliseconds(800)
        public var maxRetryDelay: Duration = .seconds(30)

        public init(resource: Resource, namespace: String? = nil, labelSelector: LabelSelector? = nil,
                    fieldSelector: FieldSelector? = nil) {
            self.resource = resource
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
        }
    }

    public let configuration: Configuration
    public let cache: ObjectCache
    let client: Client
    let clock: any TimeSource
    let logger: Logger
    /// The handlers, and whether any objects were handed to them yet: a handler added after that
    /// is first told about the cache's contents.
    let handlers = Mutex<(list: [EventHandler], delivered: Bool)>(([], false))
    let synced = Latch()
    let resourceVersion = Mutex("")
    let started = Atomic<Bool>(false)

    public init(client: Client, configuration: Configuration, indexers: [String: ObjectCache.IndexFunction] = [:],
                clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.cache = ObjectCache(indexers: indexers)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "resource"] = "\(configuration.resource)"
        self.logger = logger
    }

    public convenience init(client: Client, resource: Resource, namespace: String? = nil,
                            indexers: [String: ObjectCache.IndexFunction] = [:], logger: Logger) {
        self.init(client: client, configuration: Configuration(resource: resource, namespace: namespace), indexers: indexers, logger: logger)
    }

    /// Read access to the cache.
    public var lister: Lister { Lister(cache: cache) }

    /// Whether the first list has been stored and handed to the handlers.
    public var hasSynced: Bool { synced.isOpen }

    /// Returns once `hasSynced` is true. Throws `CancellationError` if cancelled first.
    public func waitForSync() async throws { try await synced.wait() }

    /// The resourceVersion of the last list, event or bookmark applied.
    public var lastSyncResourceVersion: String { resourceVersion.withLock { $0 } }

    /// Adds a handler. One added after the informer handed out its first list is first given
    /// every object in the cache as an add (as client-go does), from a task of its own, so a
    /// controller sharing a running informer still sees what is already there.
    public func addEventHandler(_ handler: EventHandler) {
        let existing: [JSON]? = handlers.withLock { h in
            h.list.append(handler)
            // The cache changes before handlers are looked up, so a snapshot taken now holds
            // everything the handler would otherwise miss.
            return h.delivered ? cache.list() : nil
        }
        guard let existing, !existing.isEmpty else { return }
        Task { for object in existing { await handler.onAdd(object) } }
    }

    /// Lists and watches until cancelled; see the type's documentation. Run it once.
    public func run() async throws {
        precondition(!started.exchange(true, ordering: .relaxed), "an Informer runs once")
        var needList = true
        var delay = configuration.retryDelay
        while !Task.isCancelled {
            do {
                if needList {
                    try await relist()
                    needList = false
                }
                try await watch()
                delay = configuration.retryDelay
            } catch {
                if Task.isCancelled { break }
                if let e = error as? APIError, e.isGone {
                    logger.info("watch expired; listing again", metadata: ["resourceVersion": "\(lastSyncResourceVersion)", "message": "\(e.message)"])
                    needList = true
                    continue
                }
                logger.warning(needList ? "list failed" : "watch failed", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                do { try await clock.sleep(for: delay) } catch { break }
                delay = min(delay * 2, configuration.maxRetryDelay)
            }
        }
    }

    /// Lists everything, makes the cache match, reports the differences, and marks the informer synced.
    func relist() async throws {
        let list = try await client.list(configuration.resource, namespace: configuration.namespace,
                                         options: .init(labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector))
        let changes = cache.replace(list.items.map(complete))
        let current = handlers.withLock { h in
            h.delivered = true
            return h.list
        }
        for object in changes.added {
            for h in current { await h.onAdd(object) }
        }
        for (old, new) in changes.updated {
            for h in current { await h.onUpdate(old, new) }
        }
        for object in changes.deleted {
            for h in current { await h.onDelete(object) }
        }
        resourceVersion.withLock { $0 = list.resourceVersion }
        logger.debug("listed", metadata: ["count": "\(list.items.count)", "resourceVersion": "\(list.resourceVersion)"])
        synced.open()
    }

    /// Watches from the last resourceVersion until the server ends the watch.
    func watch() async throws {
        let options = Client.ListOptions(labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector,
                                         resourceVersion: lastSyncResourceVersion,
                                         timeoutSeconds: Int.random(in: configuration.watchTimeoutSeconds), allowWatchBookmarks: true)
        let start = clock.now()
        var count = 0
        for try await event in try await client.watch(configuration.resource, namespace: configuration.namespace, options: options) {
            count += 1
            await apply(event)
        }
        if count == 0 && clock.now() - start < .seconds(1) {
            throw ClientError(.invalidResponse, "very short watch: the watch ended within a second without an event")
        }
    }

    func apply(_ event: Client.WatchEvent) async {
        let object = complete(event.object)
        let current = handlers.withLock { $0.list }
        switch event.type {
        case .bookmark:
            break
        case .added, .modified:
            if let old = cache.upsert(object) {
                for h in current { await h.onUpdate(old, object) }
            } else {
                for h in current { await h.onAdd(object) }
            }
        case .deleted:
            cache.remove(ObjectKey.of(object))
            for h in current { await h.onDelete(object) }
        }
        if let rv = event.resourceVersion { resourceVersion.withLock { $0 = rv } }
    }

    /// List items may omit `kind` and `apiVersion`; fill them in as client-go's dynamic client does.
    /// `metadata.managedFields` is dropped, as kube-controller-manager and kube-scheduler drop it
    /// from their caches: no controller reads it, and it is often the larger part of an object.
    /// A metadata-only informer keeps nothing but `metadata`.
    func complete(_ object: JSON) -> JSON {
        var o: JSON = configuration.metadataOnly ? ["metadata": object["metadata"] ?? [:]] : object
        o["apiVersion"] = object["apiVersion"] ?? .string(configuration.resource.apiVersion)
        if let kind = object["kind"] { o["kind"] = kind } else if !configuration.resource.kind.isEmpty { o["kind"] = .string(configuration.resource.kind) }
        if o["metadata", "managedFields"] != nil { o["metadata", "managedFields"] = nil }
        return o
    }
}
