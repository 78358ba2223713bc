import Logging
import SkiffClient

/// The controllers that keep namespaces and ownership tidy, run together over one set of shared
/// informers: namespace deletion, the `default` ServiceAccount, the `kube-root-ca.crt`
/// ConfigMap, and the garbage collector.
///
/// ```swift
/// let controllers = HousekeepingControllers(configuration: .init(rootCAPEM: caPEM), client: client, logger: logger)
/// try await controllers.run()  // until cancelled
/// ```
public struct HousekeepingControllers: Sendable {
    public struct Configuration: Sendable {
        /// The cluster CA the root CA publisher puts into every namespace, PEM.
        public var rootCAPEM: String
        public var namespace = NamespaceController.Configuration()
        public var serviceAccount = ServiceAccountController.Configuration()
        public var garbageCollector = GarbageCollector.Configuration()

        public init(rootCAPEM: String) {
            self.rootCAPEM = rootCAPEM
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

    /// Starts the informers and the four controllers; returns when cancelled.
    public func run() async throws {
        let informers = SharedInformers(client: client, logger: logger)
        let namespaces = NamespaceController(configuration: configuration.namespace, client: client, informers: informers, logger: logger)
        let serviceAccounts = ServiceAccountController(configuration: configuration.serviceAccount, client: client,
                                                       informers: informers, logger: logger)
        let rootCA = RootCAPublisher(configuration: .init(caPEM: configuration.rootCAPEM), client: client, informers: informers, logger: logger)
        let collector = GarbageCollector(configuration: configuration.garbageCollector, client: client, informers: informers, logger: logger)
        try await collector.prepare()
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            group.addTask { try await namespaces.run() }
            group.addTask { try await serviceAccounts.run() }
            group.addTask { try await rootCA.run() }
            group.addTask { try await collector.run() }
            try await group.waitForAll()
        }
    }
}
