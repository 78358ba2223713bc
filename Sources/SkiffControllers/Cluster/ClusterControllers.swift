import Logging
import SkiffClient

/// The cluster controllers of kube-controller-manager run together over one set of shared
/// informers: node lifecycle, taint eviction, endpoints, endpointslice,
/// disruption, pod garbage collector.
///
/// ```swift
/// let cluster = ClusterControllers(client: client, logger: logger)
/// try await cluster.run()  // until cancelled
/// ```
public struct ClusterControllers: Sendable {
    public struct Configuration: Sendable {
        public var nodeLifecycle = NodeLifecycleController.Configuration()
        public var taintEviction = TaintEvictionController.Configuration()
        public var endpoints = EndpointsController.Configuration()
        public var endpointSlices = EndpointSliceController.Configuration()
        public var disruption = DisruptionController.Configuration()
        public var podGC = PodGCController.Configuration()

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// Starts the informers, event recorders and controllers; returns when cancelled.
    public func run() async throws {
        let informers = SharedInformers(client: client, logger: logger)
        let nodeEvents = EventRecorder(client: client, component: "node-controller", logger: logger)
        let evictionEvents = EventRecorder(client: client, component: "taint-eviction-controller", logger: logger)
        let nodeLifecycle = NodeLifecycleController(configuration: configuration.nodeLifecycle, client: client, informers: informers,
                                                    events: nodeEvents, logger: logger)
        let taintEviction = TaintEvictionController(configuration: configuration.taintEviction, client: client, informers: informers,
                                                    events: evictionEvents, logger: logger)
        let endpoints = EndpointsController(configuration: configuration.endpoints, client: client, informers: informers, logger: logger)
        let endpointSlices = EndpointSliceController(configuration: configuration.endpointSlices, client: client, informers: informers,
                                                     logger: logger)
        let disruptionEvents = EventRecorder(client: client, component: "controllermanager", logger: logger)
        let disruption = DisruptionController(configuration: configuration.disruption, client: client, informers: informers,
                                              events: disruptionEvents, logger: logger)
        let podGC = PodGCController(configuration: configuration.podGC, client: client, informers: informers, logger: logger)
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            for recorder in [nodeEvents, evictionEvents, disruptionEvents] { group.addTask { await recorder.run() } }
            group.addTask { try await nodeLifecycle.run() }
            group.addTask { try await taintEviction.run() }
            group.addTask { try await endpoints.run() }
            group.addTask { try await endpointSlices.run() }
            group.addTask { try await disruption.run() }
            group.addTask { try await podGC.run() }
            try await group.waitForAll()
        }
    }
}
