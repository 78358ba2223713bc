import Logging
import SkiffClient
import SkiffModel

/// Empties namespaces that are being deleted, then lets the server remove them (the namespace
/// controller of kube-controller-manager).
///
/// For a namespace with a `deletionTimestamp` that still carries the `kubernetes` finalizer in
/// `spec.finalizers`, `reconcile` finds the namespaced resources through discovery, deletes every
/// object in the namespace (deletecollection, or list and delete, in background propagation),
/// records progress in the namespace's conditions (`NamespaceDeletionDiscoveryFailure`,
/// `NamespaceDeletionContentFailure`, `NamespaceContentRemaining`, `NamespaceFinalizersRemaining`,
/// ...), and looks again after `recheckInterval` while objects remain (finalizers, graceful Pod
/// termination). Once nothing remains it removes `kubernetes` through `namespaces/{name}/finalize`;
/// the server then deletes the namespace.
///
/// Keys are namespace names. Idempotent: every pass starts from what the server holds.
public struct NamespaceController: Sendable {
    /// The finalizer this controller owns in `spec.finalizers`.
    public static let finalizer = "kubernetes"

    public struct Configuration: Sendable {
        /// Namespaces emptied at once. Default 4.
        public var workers = 4
        /// How soon a namespace whose objects are still going away is looked at again. Default 1 s.
        public var recheckInterval: Duration = .seconds(1)

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let namespaces: Lister
    let queue = WorkQueue<String>(name: "namespace")
    let synced: [Informer]
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let nsInformer = informers.informer(for: .namespaces)
        namespaces = nsInformer.lister
        let queue = self.queue
        let enqueueDeleted: @Sendable (JSON) async -> Void = { ns in
            guard ns["metadata", "deletionTimestamp"] != nil else { return }
            await queue.add(ObjectKey.of(ns))
        }
        nsInformer.addEventHandler(EventHandler(onAdd: enqueueDeleted, onUpdate: { _, new in await enqueueDeleted(new) }))
        synced = [nsInformer]
        var logger = logger
        logger[metadataKey: "controller"] = "namespace"
        self.logger = logger
    }

    /// Waits for the cache, then reconciles namespaces until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "namespace", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over namespace `key`: nothing unless it is being deleted and not yet finalized;
    /// else delete its content, record the conditions, and finalize it once it is empty. Throws
    /// (and is retried with back-off) when discovery or a deletion failed.
    public func reconcile(_ key: String) async throws {
        guard var ns = namespaces.get(name: key), ns["metadata", "deletionTimestamp"] != nil,
              Self.finalizers(of: ns).contains(Self.finalizer) else { return }
        let content = await deleteContent(namespace: key)
        ns = await recordConditions(ns, content)
        if !content.errors.isEmpty || content.discoveryFailure != nil {
            throw NamespaceDeletionError(namespace: key, message: ([content.discoveryFailure].compactMap { $0 } + content.errors).joined(separator: "; "))
        }
        if !content.remaining.isEmpty {
            logger.debug("namespace content remains", metadata: ["k8s.name": "\(key)", "remaining": "\(content.remaining)"])
            await queue.addAfter(key, configuration.recheckInterval)
            return
        }
        try await finalize(ns)
    }

    /// Removes this controller's finalizer through the `finalize` subresource, re-reading on conflict.
    func finalize(_ namespace: JSON) async throws {
        var ns = namespace
        let name = ns["metadata", "name"]?.string ?? ""
        for attempt in 0..<3 {
            ns["spec", "finalizers"] = .array(Self.finalizers(of: ns).filter { $0 != Self.finalizer }.sorted().map { .string($0) })
            do {
                _ = try await client.request("PUT", Resource.namespaces.path(namespace: nil, name: name, subresource: "finalize"), body: ns)
                logger.info("namespace finalized", metadata: ["k8s.name": "\(name)"])
                return
            } catch let e as APIError where e.isNotFound {
                return
            } catch let e as APIError where e.isConflict && attempt < 2 {
                ns = try await client.get(.namespaces, name: name)
                if ns["metadata", "deletionTimestamp"] == nil || !Self.finalizers(of: ns).contains(Self.finalizer) { return }
            }
        }
    }

    /// Writes the namespace's deletion conditions (and phase Terminating) if they changed; returns
    /// the namespace as stored. A failed write is logged, not thrown: the next pass writes again.
    func recordConditions(_ namespace: JSON, _ content: ContentDeletion) async -> JSON {
        var ns = namespace
        let old = ns["status", "conditions"]?.array ?? []
        let conditions = NamespaceConditions.merge(old, content.conditions, now: Timestamp.format(Timestamp.now()))
        if conditions == old && ns["status", "phase"]?.string == "Terminating" { return ns }
        ns["status", "phase"] = "Terminating"
        ns["status", "conditions"] = .array(conditions)
        do {
            return try await client.updateStatus(.namespaces, ns)
        } catch {
            logger.warning("could not update namespace conditions", metadata: ["k8s.name": "\(ns["metadata", "name"]?.string ?? "")", "error": "\(error)"])
            return namespace
        }
    }

    static func finalizers(of ns: JSON) -> [String] {
        (ns["spec", "finalizers"]?.array ?? []).compactMap(\.string)
    }
}

/// A namespace could not be emptied in one pass; the controller retries with back-off.
public struct NamespaceDeletionError: Error, CustomStringConvertible {
    public var namespace: String
    public var message: String
    public var description: String { "namespace \(namespace): \(message)" }
}
