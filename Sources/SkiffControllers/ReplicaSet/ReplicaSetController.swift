import Logging
import SkiffClient
import SkiffModel

/// Keeps the number of Pods of each ReplicaSet at `spec.replicas` (kube-controller-manager's
/// replicaset controller).
///
/// `reconcile(key)` reads the ReplicaSet and the Pods of its namespace from the caches; claims
/// Pods (keeps the ones it controls and its selector matches, adopts matching orphans, releases
/// its Pods that stopped matching); then, once the cache has seen every create and delete it
/// made before (`ControllerExpectations`), creates Pods from the template named
/// `<replicaset>-<5 random characters>` (in slow-start batches of 1, 2, 4, ... up to
/// `burstReplicas` per pass), or deletes the least valuable ones (`PodDeletionOrder`). Finally it
/// writes `status` (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas after
/// `minReadySeconds`, observedGeneration, a `ReplicaFailure` condition while creates or deletes
/// fail) through the status subresource.
///
/// Events: `SuccessfulCreate`, `FailedCreate`, `SuccessfulDelete`, `FailedDelete`.
/// Idempotent: every pass starts from the caches; a failure requeues the key with back-off.
public struct ReplicaSetController: Sendable {
    public struct Configuration: Sendable {
        /// ReplicaSets reconciled at once. Default 5 (`--concurrent-replicaset-syncs`).
        public var workers = 5
        /// The most Pods created or deleted in one pass. Default 500.
        public var burstReplicas = 500
        /// How long unobserved creates and deletes hold a ReplicaSet back. Default 5 minutes.
        public var expectationsTimeout: Duration = .seconds(300)

        public init() {}
    }

    static let resource = Resource.replicaSets

    public let configuration: Configuration
    let client: Client
    let pods: Lister
    let replicaSets: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let expectations: ControllerExpectations
    let events: EventRecorder
    /// Wall-clock seconds since the epoch: readiness times, conditions.
    let wallClock: @Sendable () -> Double
    let logger: Logger

    /// Makes the controller and adds its handlers to the Pod and ReplicaSet informers of
    /// `informers` (call before `informers.start()`).
    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let podInformer = informers.informer(for: .pods)
        let rsInformer = informers.informer(for: .replicaSets)
        pods = podInformer.lister
        replicaSets = rsInformer.lister
        synced = [podInformer, rsInformer]
        queue = WorkQueue<String>(name: "replicaset", clock: clock)
        expectations = ControllerExpectations(clock: clock, timeout: configuration.expectationsTimeout)
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "replicaset"
        self.logger = logger
        let handlers = ReplicaSetEventHandlers(queue: queue, expectations: expectations, replicaSets: replicaSets)
        podInformer.addEventHandler(handlers.podHandler)
        rsInformer.addEventHandler(handlers.replicaSetHandler)
    }

    /// Waits for the caches, then reconciles ReplicaSets until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "replicaset", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the ReplicaSet at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let rs = replicaSets.get(key: key) else {
            expectations.delete(key)
            return
        }
        let needsSync = expectations.satisfied(key)
        guard case .success(let selector) = LabelSelector.from(rs["spec", "selector"] ?? .null) else {
            logger.error("invalid selector", metadata: ["key": "\(key)"])
            return
        }
        let uid = rs.objectUID
        let candidates = pods.list(namespace: rs.objectNamespace).filter { pod in
            guard PodState.isActive(pod) else { return false }
            guard let ref = pod.controllerRef else { return true }
            return ref["uid"]?.string == uid
        }
        let claimer = ControllerRefManager(client: client, controller: rs, controllerResource: Self.resource,
                                           ownedResource: .pods, selector: selector)
        let owned = try await claimer.claim(candidates)

        var manageError: (any Error)?
        if needsSync && !rs.isBeingDeleted {
            do {
                try await manageReplicas(owned, rs, key: key)
            } catch {
                manageError = error
            }
        }
        let status = calculateStatus(rs, owned, manageError: manageError)
        let updated = try await updateStatus(rs, status)
        let minReady = Int(updated["spec", "minReadySeconds"]?.int ?? 0)
        if manageError == nil, minReady > 0, updated.statusCount("readyReplicas") == updated.specReplicas,
           updated.statusCount("availableReplicas") != updated.specReplicas {
            await queue.addAfter(key, .seconds(minReady))
        }
        if let manageError { throw manageError }
    }
}
