import Logging
import SkiffClient
import SkiffModel

/// Runs one Pod of each DaemonSet on every eligible node (kube-controller-manager's daemonset
/// controller).
///
/// A node is eligible when the template's `nodeName` (if any), `nodeSelector` and required node
/// affinity match it and its NoSchedule/NoExecute taints are tolerated, counting the tolerations
/// every daemon Pod gets (not-ready, unreachable, disk/memory/pid-pressure, unschedulable). Each
/// Pod carries the required node affinity `metadata.name In [<node>]` and is placed by the
/// scheduler.
///
/// `reconcile(key)` claims the DaemonSet's Pods and ControllerRevisions, makes sure a revision
/// `<ds>-<hash>` holds the current template (renumbering an old one that does, as after
/// `kubectl rollout undo`), then creates Pods on eligible nodes that have none, deletes failed
/// Pods, duplicates, Pods on nodes that are gone or no longer eligible (a NoExecute taint), and
/// with `updateStrategy: RollingUpdate` replaces old Pods within `maxUnavailable` (delete, then
/// create) or `maxSurge` (create, then delete the old one once the new one is available).
/// Finally it writes status (desiredNumberScheduled, currentNumberScheduled, numberReady,
/// numberAvailable, numberUnavailable, updatedNumberScheduled, numberMisscheduled,
/// observedGeneration) and deletes revisions beyond `revisionHistoryLimit` no Pod uses.
///
/// Events: `SuccessfulCreate` (`Created pod: ds-x2x8q`), `SuccessfulDelete`, `FailedCreate`,
/// `FailedDelete`, `FailedDaemonPod`. Idempotent; failures requeue the key with back-off.
public struct DaemonSetController: Sendable {
    public struct Configuration: Sendable {
        /// DaemonSets reconciled at once. Default 2 (`--concurrent-daemonset-syncs`).
        public var workers = 2
        /// The most Pods created in one pass. Default 250.
        public var burstReplicas = 250

        public init() {}
    }

    static let resource = Resource.daemonSets

    public let configuration: Configuration
    let client: Client
    let daemonSets: Lister
    let pods: Lister
    let nodes: Lister
    let revisionLister: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let expectations: ControllerExpectations
    let events: EventRecorder
    let numbers = RevisionNumbers()
    let wallClock: @Sendable () -> Double
    let logger: Logger

    /// Makes the controller and adds its handlers to the DaemonSet, Pod and Node informers of
    /// `informers` (call before `informers.start()`).
    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let dsInformer = informers.informer(for: .daemonSets)
        let podInformer = informers.informer(for: .pods)
        let nodeInformer = informers.informer(for: .nodes)
        let revisionInformer = informers.informer(for: .controllerRevisions)
        daemonSets = dsInformer.lister
        pods = podInformer.lister
        nodes = nodeInformer.lister
        revisionLister = revisionInformer.lister
        synced = [dsInformer, podInformer, nodeInformer, revisionInformer]
        queue = WorkQueue<String>(name: "daemonset", clock: clock)
        expectations = ControllerExpectations(clock: clock)
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "daemonset"
        self.logger = logger
        let queue = queue, expectations = expectations, daemonSets = daemonSets
        dsInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                                                onDelete: { ds in
                                                    expectations.delete(ObjectKey.of(ds))
                                                    await queue.add(ObjectKey.of(ds))
                                                }))
        podInformer.addEventHandler(OwnerEventHandlers(queue: queue, owners: daemonSets, kind: "DaemonSet",
                                                       expectations: expectations).podHandler)
        let enqueueAll: @Sendable () async -> Void = {
            for ds in daemonSets.list() { await queue.add(ObjectKey.of(ds)) }
        }
        nodeInformer.addEventHandler(EventHandler(onAdd: { _ in await enqueueAll() },
                                                  onUpdate: { old, new in
                                                      if Self.nodeChanged(old, new) { await enqueueAll() }
                                                  },
                                                  onDelete: { _ in await enqueueAll() }))
    }

    /// Whether a node update can change where daemon Pods run (labels, taints, cordoning).
    static func nodeChanged(_ old: JSON, _ new: JSON) -> Bool {
        old.objectLabels != new.objectLabels || old["spec", "taints"] != new["spec", "taints"]
            || old["spec", "unschedulable"] != new["spec", "unschedulable"]
    }

    /// Waits for the caches, then reconciles DaemonSets until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "daemonset", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the DaemonSet at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let ds = daemonSets.get(key: key) else {
            expectations.delete(key)
            return
        }
        guard case .success(let selector) = LabelSelector.from(ds["spec", "selector"] ?? .null) else {
            logger.error("invalid selector", metadata: ["key": "\(key)"])
            return
        }
        if selector.isEverything {
            events.event(ds, type: .warning, reason: "SelectingAll",
                         message: "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        }
        let uid = ds.objectUID
        let candidates = pods.list(namespace: ds.objectNamespace).filter { pod in
            guard let ref = pod.controllerRef else { return !pod.isBeingDeleted }
            return ref["uid"]?.string == uid
        }
        let owned = try await ControllerRefManager(client: client, controller: ds, controllerResource: Self.resource,
                                                   ownedResource: .pods, selector: selector).claim(candidates)
        let history = try await ControllerHistory.claim(revisionLister, client: client, owner: ds, resource: Self.resource,
                                                        selector: selector)
        let (current, old) = try await constructHistory(ds, history)
        let hash = current.objectLabels[ControllerHistory.podRevisionLabel] ?? ""
        let nodeList = nodes.list()
        var syncError: (any Error)?
        if !ds.isBeingDeleted && expectations.satisfied(key) {
            do {
                try await manage(ds, owned, nodes: nodeList, hash: hash, key: key)
                if DaemonSetRollout.isRollingUpdate(ds) {
                    try await rollingUpdate(ds, owned, nodes: nodeList, hash: hash, key: key)
                }
                try await cleanupHistory(ds, owned, old: old)
            } catch {
                syncError = error
            }
        }
        try await updateStatus(ds, owned, nodes: nodeList, hash: hash)
        if let syncError { throw syncError }
        let minReady = Int(ds["spec", "minReadySeconds"]?.int ?? 0)
        let now = wallClock()
        if minReady > 0, owned.contains(where: { PodState.isReady($0) && !PodState.isAvailable($0, minReadySeconds: minReady, now: now) }) {
            await queue.addAfter(key, .seconds(minReady))
        }
    }
}
