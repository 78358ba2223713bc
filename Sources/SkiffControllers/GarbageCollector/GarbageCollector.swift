import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Deletes objects whose owners are gone, and carries out foreground and orphan deletion
/// (kube-controller-manager's garbage collector).
///
/// It watches every resource discovery reports with `list`, `watch` and `delete` (except
/// `ignoredResources`) through shared informers and keeps an `OwnerGraph` of ownerReferences by
/// UID. Work-queue keys are object UIDs. For each object:
/// - being deleted with the `orphan` finalizer: its dependents' references to it are removed, then
///   the finalizer;
/// - being deleted with the `foregroundDeletion` finalizer: its dependents are deleted; once no
///   dependent with `blockOwnerDeletion` remains, the finalizer is removed (and the server deletes it);
/// - with ownerReferences: each owner is looked up (the graph, then the API server by name and
///   UID); if none exists the object is deleted (see `plan`), if some do, references to missing or
///   foreground-deleted owners are dropped.
///
/// Deletions carry a UID precondition; metadata changes are merge patches with a
/// resourceVersion, re-read on conflict. Discovery is read again every `rediscoveryInterval` to
/// watch resources that appear later (CustomResourceDefinitions).
public final class GarbageCollector: Sendable {
    public static let foregroundFinalizer = "foregroundDeletion"
    public static let orphanFinalizer = "orphan"

    public struct Configuration: Sendable {
        /// Objects processed at once. Default 4.
        public var workers = 4
        /// Resources not watched, as `plural.group` (`plural.` for the core group). Default: the
        /// events.k8s.io view of core Events (the same objects again).
        public var ignoredResources: Set<String> = ["events.events.k8s.io"]
        /// How often discovery is read again for new resources. Default 30 s.
        public var rediscoveryInterval: Duration = .seconds(30)

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let informers: SharedInformers
    let logger: Logger
    let graph = OwnerGraph()
    let queue = WorkQueue<String>(name: "garbage_collector_attempt_to_delete")
    /// The informers watched, by resource.
    let monitors = Mutex<[Resource: Informer]>([:])
    /// The last discovery read, to map an owner's group and kind to its resource.
    let discovery = Mutex(APIDiscovery(entries: []))

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.informers = informers
        var logger = logger
        logger[metadataKey: "controller"] = "garbagecollector"
        self.logger = logger
    }

    /// Reads discovery (retrying until it succeeds or the task is cancelled) and adds handlers to
    /// the informers of every collectable resource. Call before `SharedInformers.start()` so the
    /// handlers see the first lists; `run()` calls it if it was not called.
    public func prepare() async throws {
        guard monitors.withLock({ $0.isEmpty }) else { return }
        var delay = Duration.milliseconds(200)
        while true {
            do {
                try await resync()
                return
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("discovery failed; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    /// Waits for the graph's first lists, then processes objects until cancelled.
    public func run() async throws {
        try await prepare()
        informers.start()
        let watched = monitors.withLock { Array($0.values) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ControllerRunner(name: "garbagecollector", informers: watched, queue: self.queue,
                                           workers: self.configuration.workers, logger: self.logger) { uid in
                    try await self.reconcile(uid)
                }.run()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.configuration.rediscoveryInterval)
                    do {
                        try await self.resync()
                        self.informers.start()
                    } catch {
                        self.logger.warning("discovery failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Reads discovery and watches every collectable resource not yet watched.
    func resync() async throws {
        let found = try await APIDiscovery.read(client)
        discovery.withLock { $0 = found }
        let wanted = found.entries.filter {
            $0.supports("list", "watch", "delete") && !configuration.ignoredResources.contains("\($0.resource.plural).\($0.resource.group)")
        }.map(\.resource)
        for resource in wanted where monitors.withLock({ $0[resource] == nil }) {
            // Metadata is all the collector reads (owners, finalizers, deletion) or patches.
            let informer = informers.informer(for: resource, metadataOnly: true)
            let handler = EventHandler(onAdd: { await self.observe(resource, $0) },
                                       onUpdate: { _, new in await self.observe(resource, new) },
                                       onDelete: { await self.observeDeletion($0) })
            informer.addEventHandler(handler)  // told what the informer holds, if it already runs
            monitors.withLock { $0[resource] = informer }
            logger.debug("watching resource", metadata: ["resource": "\(resource)"])
        }
    }

    /// The graph builder: records an object and queues what its change may concern.
    func observe(_ resource: Resource, _ object: JSON) async {
        let node = OwnerGraph.Node(resource: resource, object: object)
        guard !node.uid.isEmpty else { return }
        let old = graph.upsert(node)
        guard old == nil || old!.owners != node.owners || old!.beingDeleted != node.beingDeleted || old!.finalizers != node.finalizers else {
            return
        }
        if !node.owners.isEmpty || node.deletingDependents || node.orphaningDependents {
            await queue.add(node.uid)
        }
        let owners = Set((old?.owners ?? []).map(\.uid)).union(node.owners.map(\.uid))
        for uid in owners.sorted() where graph.node(uid)?.deletingDependents == true {
            await queue.add(uid)
        }
    }

    /// An object is gone: its dependents may now be garbage, and an owner may stop waiting.
    func observeDeletion(_ object: JSON) async {
        guard let uid = object["metadata", "uid"]?.string else { return }
        let old = graph.remove(uid)
        for dependent in graph.dependents(of: uid) { await queue.add(dependent.uid) }
        for owner in old?.owners ?? [] where graph.node(owner.uid)?.deletingDependents == true {
            await queue.add(owner.uid)
        }
    }

    /// The resource of an owner reference's group and kind, from the last discovery read.
    func resource(group: String, kind: String) -> Resource? {
        discovery.withLock { $0.resource(group: group, kind: kind) }
    }
}

/// The collector could not decide about an object yet (an owner of a kind the server does not serve).
struct GarbageCollectionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
