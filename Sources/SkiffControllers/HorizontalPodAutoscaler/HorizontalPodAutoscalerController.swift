import Logging
import SkiffClient
import SkiffModel

/// Scales Deployments, ReplicaSets and StatefulSets on their Pods' resource usage
/// (kube-controller-manager's horizontal-pod-autoscaler controller, autoscaling/v2).
///
/// Every `syncPeriod` (15 s) and on each change of an HPA, `reconcile(key)` reads the target's
/// `scale` subresource (its replicas and Pod selector), asks `ReplicaCalculator` what each
/// Resource metric (cpu or memory, `Utilization` or `AverageValue`) wants from the Pods' usage in
/// the resource metrics API, takes the largest, applies `spec.behavior` and the replica bounds
/// (`ScaleBehavior`), and writes the new count through the scale subresource. It records
/// `status` (`currentReplicas`, `desiredReplicas`, `currentMetrics`, `lastScaleTime`) with the
/// conditions `AbleToScale`, `ScalingActive` and `ScalingLimited` as Kubernetes words them.
///
/// Events: `SuccessfulRescale`, `FailedRescale`, `FailedGetScale`, `FailedGetResourceMetric`,
/// `FailedComputeMetricsReplicas`.
public struct HorizontalPodAutoscalerController: Sendable {
    public struct Configuration: Sendable {
        public var workers = 5
        /// How often each HPA is looked at again (`--horizontal-pod-autoscaler-sync-period`).
        public var syncPeriod: Duration = .seconds(15)
        public init() {}
    }

    static let resource = Resource(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers",
                                   kind: "HorizontalPodAutoscaler", namespaced: true)

    public let configuration: Configuration
    let client: Client
    let hpas: Lister
    let pods: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    let metrics: any PodMetricsSource
    let history = ScaleHistory()
    let wallClock: @Sendable () -> Double
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                metrics: (any PodMetricsSource)? = nil, clock: any TimeSource = SystemTimeSource(),
                wallClock: @escaping @Sendable () -> Double = { Timestamp.now() }, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let hpaInformer = informers.informer(for: Self.resource)
        let podInformer = informers.informer(for: .pods)
        hpas = hpaInformer.lister
        pods = podInformer.lister
        synced = [hpaInformer, podInformer]
        queue = WorkQueue<String>(name: "horizontalpodautoscaler", clock: clock)
        self.events = events
        self.metrics = metrics ?? ResourceMetricsAPI(client: client)
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "horizontalpodautoscaler"
        self.logger = logger
        let queue = queue, history = history
        hpaInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                 onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                                                 onDelete: { history.forget(ObjectKey.of($0)) }))
    }

    /// Waits for the caches, then reconciles HPAs until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "horizontalpodautoscaler", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// The resource of a `scaleTargetRef`, for the kinds with a scale subresource Skiff serves.
    static func scaleResource(_ ref: JSON?) -> Resource? {
        let group = (ref?["apiVersion"]?.string ?? "").split(separator: "/").dropLast().first.map(String.init) ?? ""
        switch (group, ref?["kind"]?.string ?? "") {
        case ("apps", "Deployment"): return .deployments
        case ("apps", "ReplicaSet"): return .replicaSets
        case ("apps", "StatefulSet"): return .statefulSets
        default: return nil
        }
    }
}
