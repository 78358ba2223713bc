import Logging
import SkiffClient
import SkiffModel

/// Rolls Deployments out through ReplicaSets (kube-controller-manager's deployment controller).
///
/// `reconcile(key)` reads the Deployment and the ReplicaSets of its namespace from the caches,
/// claims ReplicaSets by selector (adoption and release, as the ReplicaSet controller claims
/// Pods), then:
/// - a Deployment being deleted only gets its status updated;
/// - `spec.paused` records a `DeploymentPaused` condition and only applies scaling;
/// - a change of `spec.replicas` mid-rollout (a ReplicaSet's `desired-replicas` annotation
///   differs) scales every active ReplicaSet in proportion;
/// - otherwise the strategy runs. RollingUpdate creates the new ReplicaSet
///   `<deployment>-<pod-template-hash>` and grows it while every ReplicaSet together stays within
///   `replicas + maxSurge` Pods, and shrinks old ones while at least `replicas - maxUnavailable`
///   stay available. Recreate scales the old ones to zero, waits until their Pods are gone, then
///   creates the new one at full size.
///
/// It numbers templates with `deployment.kubernetes.io/revision` (a ReplicaSet whose template
/// comes back, as after `kubectl rollout undo`, takes the next number), deletes old ReplicaSets
/// beyond `revisionHistoryLimit` once the rollout is complete, and writes status: replica counts,
/// `observedGeneration`, and the `Available` and `Progressing` conditions, `Progressing` turning
/// `False` with `ProgressDeadlineExceeded` when no progress was made for
/// `progressDeadlineSeconds`.
///
/// Events: `ScalingReplicaSet` (`Scaled up replica set web-6c5f9 from 0 to 3`), `SelectingAll`.
/// Idempotent; conflicts and failures requeue the key with back-off.
public struct DeploymentController: Sendable {
    public struct Configuration: Sendable {
        /// Deployments reconciled at once. Default 5 (`--concurrent-deployment-syncs`).
        public var workers = 5

        public init() {}
    }

    static let resource = Resource.deployments

    public let configuration: Configuration
    let client: Client
    let deployments: Lister
    let replicaSets: Lister
    let pods: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    /// Wall-clock seconds since the epoch: condition times and the progress deadline.
    let wallClock: @Sendable () -> Double
    let logger: Logger

    /// Makes the controller and adds its handlers to the Deployment, ReplicaSet and Pod informers
    /// of `informers` (call before `informers.start()`).
    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let dInformer = informers.informer(for: .deployments)
        let rsInformer = informers.informer(for: .replicaSets)
        let podInformer = informers.informer(for: .pods)
        deployments = dInformer.lister
        replicaSets = rsInformer.lister
        pods = podInformer.lister
        synced = [dInformer, rsInformer, podInformer]
        queue = WorkQueue<String>(name: "deployment", clock: clock)
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "deployment"
        self.logger = logger
        let handlers = DeploymentEventHandlers(queue: queue, deployments: deployments, replicaSets: replicaSets)
        dInformer.addEventHandler(.enqueue(into: queue))
        rsInformer.addEventHandler(handlers.replicaSetHandler)
        podInformer.addEventHandler(handlers.podHandler)
    }

    /// Waits for the caches, then reconciles Deployments until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "deployment", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the Deployment at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard var d = deployments.get(key: key) else { return }
        guard case .success(let selector) = LabelSelector.from(d["spec", "selector"] ?? .null) else {
            logger.error("invalid selector", metadata: ["key": "\(key)"])
            return
        }
        if selector.isEverything {
            events.event(d, type: .warning, reason: "SelectingAll",
                         message: "This deployment is selecting all pods. A non-empty selector is required.")
            if d.statusCount("observedGeneration") < d.objectGeneration {
                d["status", "observedGeneration"] = .int(d.objectGeneration)
                _ = try await client.updateStatus(Self.resource, d)
            }
            return
        }
        let rsList = try await claimReplicaSets(d, selector: selector)
        if d.isBeingDeleted {
            let (new, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
            return try await syncStatus(d, all: old + (new.map { [$0] } ?? []), new: new)
        }
        try await checkPausedConditions(&d)
        if d["spec", "paused"]?.bool == true {
            return try await sync(&d, rsList)
        }
        if try await isScalingEvent(&d, rsList) {
            return try await sync(&d, rsList)
        }
        if RolloutMath.isRollingUpdate(d) {
            try await rolloutRolling(&d, rsList)
        } else {
            try await rolloutRecreate(&d, rsList, selector: selector)
        }
    }

    /// The ReplicaSets of the Deployment's namespace it controls, after adopting matching orphans
    /// and releasing its ReplicaSets that stopped matching.
    func claimReplicaSets(_ d: JSON, selector: LabelSelector) async throws -> [JSON] {
        let uid = d.objectUID
        let candidates = replicaSets.list(namespace: d.objectNamespace).filter { rs in
            guard let ref = rs.controllerRef else { return true }
            return ref["uid"]?.string == uid
        }
        let claimer = ControllerRefManager(client: client, controller: d, controllerResource: Self.resource,
                                           ownedResource: .replicaSets, selector: selector)
        return try await claimer.claim(candidates)
    }
}
