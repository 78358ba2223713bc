import Logging
import SkiffClient

/// Every controller of kube-controller-manager that Skiff has, run over one set of shared
/// informers: each resource is listed, watched and cached once for all of them.
///
/// All controllers are made (and add their handlers) before the informers start, so none misses
/// the first list.
///
/// ```swift
/// let manager = ControllerManager(configuration: .init(rootCAPEM: caPEM, signLegacyToken: sign), client: client, logger: logger)
/// try await manager.run()  // until cancelled
/// ```
public struct ControllerManager: Sendable {
    public struct Configuration: Sendable {
        /// The cluster CA the root CA publisher puts into every namespace, PEM.
        public var rootCAPEM: String
        /// Signs the tokens of legacy ServiceAccount token Secrets.
        public var signLegacyToken: TokensController.Signer
        public var namespace = NamespaceController.Configuration()
        public var serviceAccount = ServiceAccountController.Configuration()
        public var garbageCollector = GarbageCollector.Configuration()
        public var replicaSet = ReplicaSetController.Configuration()
        public var deployment = DeploymentController.Configuration()
        public var statefulSet = StatefulSetController.Configuration()
        public var daemonSet = DaemonSetController.Configuration()
        public var nodeLifecycle = NodeLifecycleController.Configuration()
        public var taintEviction = TaintEvictionController.Configuration()
        public var endpoints = EndpointsController.Configuration()
        public var endpointSlices = EndpointSliceController.Configuration()
        public var disruption = DisruptionController.Configuration()
        public var podGC = PodGCController.Configuration()
        public var horizontalPodAutoscaler = HorizontalPodAutoscalerController.Configuration()
        public var clusterRoleAggregation = ClusterRoleAggregationController.Configuration()

        public init(rootCAPEM: String, signLegacyToken: @escaping TokensController.Signer) {
            self.rootCAPEM = rootCAPEM
            self.signLegacyToken = signLegacyToken
        }
    }

    public let configuration: Configuration
    let client: Client
    let logger: Logger

    public init(configuration: Configuration, client: Client, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// Makes the controllers, starts the informers, and runs everything until cancelled.
    public func run() async throws {
        let c = configuration
        let informers = SharedInformers(client: client, logger: logger)
        var recorders: [EventRecorder] = []
        func events(_ component: String) -> EventRecorder {
            let recorder = EventRecorder(client: client, component: component, logger: logger)
            recorders.append(recorder)
            return recorder
        }
        let collector = GarbageCollector(configuration: c.garbageCollector, client: client, informers: informers, logger: logger)
        let controllers: [any RunnableController] = [
            collector,
            NamespaceController(configuration: c.namespace, client: client, informers: informers, logger: logger),
            ServiceAccountController(configuration: c.serviceAccount, client: client, informers: informers, logger: logger),
            RootCAPublisher(configuration: .init(caPEM: c.rootCAPEM), client: client, informers: informers, logger: logger),
            TokensController(configuration: .init(caPEM: c.rootCAPEM, sign: c.signLegacyToken), client: client, informers: informers,
                             logger: logger),
            ReplicaSetController(configuration: c.replicaSet, client: client, informers: informers,
                                 events: events("replicaset-controller"), logger: logger),
            DeploymentController(configuration: c.deployment, client: client, informers: informers,
                                 events: events("deployment-controller"), logger: logger),
            StatefulSetController(configuration: c.statefulSet, client: client, informers: informers,
                                  events: events("statefulset-controller"), logger: logger),
            DaemonSetController(configuration: c.daemonSet, client: client, informers: informers,
                                events: events("daemonset-controller"), logger: logger),
            JobController(client: client, informers: informers, events: events("job-controller"), logger: logger),
            CronJobController(client: client, informers: informers, events: events("cronjob-controller"), logger: logger),
            TTLAfterFinishedController(client: client, informers: informers, logger: logger),
            NodeLifecycleController(configuration: c.nodeLifecycle, client: client, informers: informers,
                                    events: events("node-controller"), logger: logger),
            TaintEvictionController(configuration: c.taintEviction, client: client, informers: informers,
                                    events: events("taint-eviction-controller"), logger: logger),
            EndpointsController(configuration: c.endpoints, client: client, informers: informers, logger: logger),
            EndpointSliceController(configuration: c.endpointSlices, client: client, informers: informers, logger: logger),
            DisruptionController(configuration: c.disruption, client: client, informers: informers,
                                 events: events("controllermanager"), logger: logger),
            PodGCController(configuration: c.podGC, client: client, informers: informers, logger: logger),
            HorizontalPodAutoscalerController(configuration: c.horizontalPodAutoscaler, client: client, informers: informers,
                                              events: events("horizontal-pod-autoscaler"), logger: logger),
            ClusterRoleAggregationController(configuration: c.clusterRoleAggregation, client: client, informers: informers, logger: logger),
        ]
        // Last, so the collector's metadata readers share the informers the others made.
        try await collector.prepare()
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            for recorder in recorders { group.addTask { await recorder.run() } }
            for controller in controllers { group.addTask { try await controller.run() } }
            try await group.waitForAll()
        }
    }
}

/// A controller the manager runs: `run()` returns when cancelled.
protocol RunnableController: Sendable {
    func run() async throws
}

extension GarbageCollector: RunnableController {}
extension NamespaceController: RunnableController {}
extension ServiceAccountController: RunnableController {}
extension RootCAPublisher: RunnableController {}
extension TokensController: RunnableController {}
extension ReplicaSetController: RunnableController {}
extension DeploymentController: RunnableController {}
extension StatefulSetController: RunnableController {}
extension DaemonSetController: RunnableController {}
extension JobController: RunnableController {}
extension CronJobController: RunnableController {}
extension TTLAfterFinishedController: RunnableController {}
extension NodeLifecycleController: RunnableController {}
extension TaintEvictionController: RunnableController {}
extension EndpointsController: RunnableController {}
extension EndpointSliceController: RunnableController {}
extension DisruptionController: RunnableController {}
extension PodGCController: RunnableController {}
extension HorizontalPodAutoscalerController: RunnableController {}
extension ClusterRoleAggregationController: RunnableController {}
