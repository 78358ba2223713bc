import Logging
import SkiffClient
import SkiffModel

/// Runs the Pods of each StatefulSet with stable identities (kube-controller-manager's
/// statefulset controller).
///
/// `reconcile(key)` claims the set's Pods (named `<set>-<ordinal>`) and ControllerRevisions,
/// finds the current and update revisions (creating a revision `<set>-<hash>` for a new
/// template), then:
/// - creates the missing ordinals `0..<replicas` (their PersistentVolumeClaims
///   `<claim>-<set>-<ordinal>` from `volumeClaimTemplates` first), Pods below the
///   RollingUpdate `partition` at the current revision, the rest at the update revision;
/// - deletes ordinals at or above `replicas`, highest first;
/// - with `podManagementPolicy: OrderedReady` (the default) does one of these at a time and
///   only while every lower ordinal is Running and Ready; with `Parallel`, all at once;
/// - with `updateStrategy: RollingUpdate`, deletes the highest ordinal at or above the
///   partition whose `controller-revision-hash` is not the update revision, once everything
///   above it is healthy (it comes back at the new revision); `OnDelete` waits for the user;
/// - writes status (replicas, readyReplicas, currentReplicas, updatedReplicas,
///   availableReplicas, currentRevision, updateRevision, collisionCount, observedGeneration)
///   and deletes revisions beyond `revisionHistoryLimit`.
///
/// Claims are never deleted by the controller; `persistentVolumeClaimRetentionPolicy` sets
/// owner references (the set for `whenDeleted: Delete`, the Pod for `whenScaled: Delete` once
/// its ordinal is scaled away) so the garbage collector deletes them.
///
/// Events: `SuccessfulCreate` (`create Pod web-0 in StatefulSet web successful`,
/// `create Claim www-web-0 Pod web-0 in StatefulSet web success`), `SuccessfulDelete`,
/// `FailedCreate`, `FailedDelete`. Idempotent; failures requeue the key with back-off.
public struct StatefulSetController: Sendable {
    public struct Configuration: Sendable {
        /// StatefulSets reconciled at once. Default 5 (`--concurrent-statefulset-syncs`).
        public var workers = 5

        public init() {}
    }

    static let resource = Resource.statefulSets

    public let configuration: Configuration
    let client: Client
    let sets: Lister
    let pods: Lister
    let claims: Lister
    let revisionLister: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    let numbers = RevisionNumbers()
    let wallClock: @Sendable () -> Double
    let logger: Logger

    /// Makes the controller and adds its handlers to the StatefulSet and Pod informers of
    /// `informers` (call before `informers.start()`).
    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let setInformer = informers.informer(for: .statefulSets)
        let podInformer = informers.informer(for: .pods)
        let claimInformer = informers.informer(for: .persistentVolumeClaims)
        let revisionInformer = informers.informer(for: .controllerRevisions)
        sets = setInformer.lister
        pods = podInformer.lister
        claims = claimInformer.lister
        revisionLister = revisionInformer.lister
        synced = [setInformer, podInformer, claimInformer, revisionInformer]
        queue = WorkQueue<String>(name: "statefulset", clock: clock)
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "statefulset"
        self.logger = logger
        setInformer.addEventHandler(.enqueue(into: queue))
        podInformer.addEventHandler(OwnerEventHandlers(queue: queue, owners: sets, kind: "StatefulSet").podHandler)
    }

    /// Waits for the caches, then reconciles StatefulSets until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "statefulset", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the StatefulSet at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let set = sets.get(key: key) else { return }
        guard case .success(let selector) = LabelSelector.from(set["spec", "selector"] ?? .null), !selector.isEverything else {
            logger.error("invalid selector", metadata: ["key": "\(key)"])
            return
        }
        let uid = set.objectUID
        let candidates = pods.list(namespace: set.objectNamespace).filter { pod in
            guard StatefulSetPods.ordinal(of: pod, in: set) != nil else { return false }
            guard let ref = pod.controllerRef else { return true }
            return ref["uid"]?.string == uid
        }
        let owned = try await ControllerRefManager(client: client, controller: set, controllerResource: Self.resource,
                                                   ownedResource: .pods, selector: selector).claim(candidates)
        let history = try await ControllerHistory.claim(revisionLister, client: client, owner: set, resource: Self.resource,
                                                        selector: selector)
        let (current, update, collisionCount) = try await revisions(set, history)
        var pass = StatefulSetPass(statefulSet: set, pods: owned, current: current, update: update, now: wallClock())
        var syncError: (any Error)?
        if !set.isBeingDeleted {
            do {
                try await sync(&pass)
            } catch {
                syncError = error
            }
        }
        try await updateStatus(set, pass.status(collisionCount: collisionCount))
        if syncError == nil {
            try await truncateHistory(set, pods: owned, revisions: history + [update], current: current, update: update)
        }
        if let syncError { throw syncError }
        let minReady = Int(set["spec", "minReadySeconds"]?.int ?? 0)
        if minReady > 0, owned.contains(where: { PodState.isReady($0) && !PodState.isAvailable($0, minReadySeconds: minReady, now: pass.now) }) {
            await queue.addAfter(key, .seconds(minReady))
        }
    }
}
