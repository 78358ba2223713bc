import Logging
import SkiffClient

/// The batch controllers (Job, CronJob, TTL-after-finished), run over one set of shared informers with an event recorder.
///
/// ```swift
/// try await BatchControllers(client: client, logger: logger).run()  // until cancelled
/// ```
public struct BatchControllers: Sendable {
    let client: Client
    let logger: Logger

    public init(client: Client, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Starts the informers, the event recorder and the controllers; returns when cancelled.
    public func run() async throws {
        let informers = SharedInformers(client: client, logger: logger)
        let jobEvents = EventRecorder(client: client, component: "job-controller", logger: logger)
        let cronEvents = EventRecorder(client: client, component: "cronjob-controller", logger: logger)
        let jobs = JobController(client: client, informers: informers, events: jobEvents, logger: logger)
        let cronJobs = CronJobController(client: client, informers: informers, events: cronEvents, logger: logger)
        let ttl = TTLAfterFinishedController(client: client, informers: informers, logger: logger)
        informers.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            group.addTask { await jobEvents.run() }
            group.addTask { await cronEvents.run() }
            group.addTask { try await jobs.run() }
            group.addTask { try await cronJobs.run() }
            group.addTask { try await ttl.run() }
            try await group.waitForAll()
        }
    }
}
