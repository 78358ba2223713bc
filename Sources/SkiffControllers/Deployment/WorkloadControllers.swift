import Logging
import SkiffClient

/// The ReplicaSet and Deployment controllers, run together over one set of shared informers
/// (Pods, ReplicaSets, Deployments) with one event recorder per controller.
///
/// ```swift
/// let workloads = WorkloadControllers(client: client, logger: logger)
/// try await workloads.run()  // until cancelled
/// ```
public struct WorkloadControllers: Sendable {
    public struct Configuration: Sendable {
        public var replicaSet = ReplicaSetController.Configuration()
        public var deployment = DeploymentController.Configuration()

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let informers: SharedInformers?
    let logger: Logger

    /// `informers`: shared with other controllers of the process (their owner runs them; `run()`
    /// starts the ones these controllers add), or nil for a set of its own.
    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers? = nil, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.informers = informers
        self.logger = logger
    }

    /// Starts the informers, event recorders and both controllers; returns when cancelled.
    public func run() async throws {
        let informers = self.informers ?? SharedInformers(client: client, logger: logger)
        let rsEvents = EventRecorder(client: client, component: "replicaset-controller", logger: logger)
        let deploymentEvents = EventRecorder(client: client, component: "deployment-controller", logger: logger)
        let replicaSets = ReplicaSetController(configuration: configuration.replicaSet, client: client, informers: informers,
                                               events: rsEvents, logger: logger)
        let deployments = DeploymentController(configuration: configuration.deployment, client: client, informers: informers,
                                               events: deploymentEvents, logger: logger)
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            if self.informers == nil { group.addTask { await informers.run() } }
            group.addTask { await rsEvents.run() }
            group.addTask { await deploymentEvents.run() }
            group.addTask { try await replicaSets.run() }
            group.addTask { try await deployments.run() }
            try await group.waitForAll()
        }
    }
}
