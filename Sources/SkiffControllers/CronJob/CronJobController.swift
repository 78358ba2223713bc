import Foundation
import Logging
import SkiffClient
import SkiffModel

/// Creates Jobs on a CronJob's schedule (kube-controller-manager's cronjob controller, v2).
///
/// `reconcile(key)` reads the CronJob and the Jobs it controls from the caches; drops finished
/// and vanished Jobs from `status.active` (`SawCompletedJob`, `MissingJob`) and records
/// `lastSuccessfulTime`; then, unless suspended, finds the most recent schedule time not yet run
/// (since `lastScheduleTime` or creation, bounded by `startingDeadlineSeconds`), skips it when it
/// is too late (`MissSchedule`) or a prior run is active under `Forbid` (`JobAlreadyActive`),
/// deletes active runs under `Replace`, and creates the Job `<cronjob>-<minutes since epoch>`
/// (`SuccessfulCreate`). Finished Jobs beyond the history limits are deleted oldest first
/// (`SuccessfulDelete`). The key is queued again for the next schedule time.
public struct CronJobController: Sendable {
    public struct Configuration: Sendable {
        /// CronJobs reconciled at once. Default 5 (`--concurrent-cron-job-syncs`).
        public var workers = 5
        public init() {}
    }

    static let resource = Resource.cronJobs
    static let scheduledTimestamp = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    public let configuration: Configuration
    let client: Client
    let jobs: Lister
    let cronJobs: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    let wallClock: @Sendable () -> Double
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let jobInformer = informers.informer(for: .jobs)
        let cronInformer = informers.informer(for: .cronJobs)
        jobs = jobInformer.lister
        cronJobs = cronInformer.lister
        synced = [jobInformer, cronInformer]
        queue = WorkQueue<String>(name: "cronjob", clock: clock)
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "cronjob"
        self.logger = logger
        cronInformer.addEventHandler(.enqueue(into: queue))
        let queue = queue
        @Sendable func owner(_ job: JSON) async {
            guard let ref = job.controllerRef, ref["kind"]?.string == "CronJob", let name = ref["name"]?.string else { return }
            await queue.add(job.objectNamespace + "/" + name)
        }
        jobInformer.addEventHandler(EventHandler(onAdd: { await owner($0) }, onUpdate: { await owner($1) }, onDelete: { await owner($0) }))
    }

    /// Waits for the caches, then reconciles CronJobs until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "cronjob", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }
}
