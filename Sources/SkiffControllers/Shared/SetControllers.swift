import Logging
import SkiffClient

/// The StatefulSet and DaemonSet controllers, run together over one set of shared informers
/// with one event recorder each.
///
/// ```swift
/// let sets = SetControllers(client: client, logger: logger)
/// try await sets.run()  // until cancelled
/// ```
public struct SetControllers: Sendable {
    public struct Configuration: Sendable {
        public var statefulSet = StatefulSetController.Configuration()
        public var daemonSet = DaemonSetController.Configuration()

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

    /// Starts the informers, event recorders and controllers; returns when cancelled.
    public func run() async throws {
        let informers = self.informers ?? SharedInformers(client: client, logger: logger)
        let setEvents = EventRecorder(client: client, component: "statefulset-controller", logger: logger)
        let statefulSets = StatefulSetController(configuration: configuration.statefulSet, client: client, informers: informers,
                                                 events: setEvents, logger: logger)
        let daemonEvents = EventRecorder(client: client, component: "daemonset-controller", logger: logger)
        let daemonSets = DaemonSetController(configuration: configuration.daemonSet, client: client, informers: informers,
                                             events: daemonEvents, logger: logger)
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            if self.informers == nil { group.addTask { await informers.run() } }
            group.addTask { await setEvents.run() }
            group.addTask { try await statefulSets.run() }
            group.addTask { await daemonEvents.run() }
            group.addTask { try await daemonSets.run() }
            try await group.waitForAll()
        }
    }
}
