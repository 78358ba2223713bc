import Logging
import SkiffClient
import SkiffModel

/// Runs each Job's Pods to completion (kube-controller-manager's job controller).
///
/// `reconcile(key)` reads the Job and its Pods (those whose controller is the Job) from the
/// caches, adopting orphans its selector matches; counts finished Pods through
/// `status.uncountedTerminatedPods` and then removes their `batch.kubernetes.io/job-tracking`
/// finalizer; applies `podFailurePolicy` to failed Pods (a failure ignored, counted, or failing
/// the Job with reason `PodFailurePolicy`); fails the Job past `backoffLimit`
/// (`BackoffLimitExceeded`) or `activeDeadlineSeconds` (`DeadlineExceeded`) with the conditions
/// `FailureTarget` then `Failed`; completes it at `completions` (`SuccessCriteriaMet` then
/// `Complete`); otherwise creates or deletes Pods so that `parallelism` run (none while
/// `suspend`). Indexed Jobs give each Pod a completion index (annotation, label,
/// `JOB_COMPLETION_INDEX`, hostname `<job>-<index>`) and record `status.completedIndexes`.
///
/// Events: `SuccessfulCreate`, `SuccessfulDelete`, `Completed`, `BackoffLimitExceeded`, `DeadlineExceeded`,
/// `PodFailurePolicy`.
public struct JobController: Sendable {
    public struct Configuration: Sendable {
        /// Jobs reconciled at once. Default 5 (`--concurrent-job-syncs`).
        public var workers = 5
        public init() {}
    }

    static let resource = Resource.jobs
    static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    static let indexKey = "batch.kubernetes.io/job-completion-index"

    public let configuration: Configuration
    let client: Client
    let pods: Lister
    let jobs: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let expectations: ControllerExpectations
    /// The Job versions this controller's status writes replaced: a Job cached at one is stale.
    let replacedVersions = ReplacedVersions()
    let events: EventRecorder
    let wallClock: @Sendable () -> Double
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let podInformer = informers.informer(for: .pods)
        let jobInformer = informers.informer(for: .jobs)
        pods = podInformer.lister
        jobs = jobInformer.lister
        synced = [podInformer, jobInformer]
        queue = WorkQueue<String>(name: "job", clock: clock)
        expectations = ControllerExpectations(clock: clock, timeout: .seconds(300))
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "job"
        self.logger = logger
        let queue = queue, expectations = expectations, jobs = jobs
        jobInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                 onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                                                 onDelete: { expectations.delete(ObjectKey.of($0)) }))
        @Sendable func owner(_ pod: JSON) -> String? {
            guard let ref = pod.controllerRef, ref["kind"]?.string == "Job", let name = ref["name"]?.string,
                  let job = jobs.get(namespace: pod.objectNamespace, name: name), job.objectUID == ref["uid"]?.string else { return nil }
            return ObjectKey.of(job)
        }
        /// An orphan concerns every unfinished Job whose selector matches it: one may adopt it.
        @Sendable func adopters(_ pod: JSON) async {
            guard pod.controllerRef == nil, !pod.isBeingDeleted else { return }
            for job in jobs.list(namespace: pod.objectNamespace) where !JobStatus.isFinished(job["status"] ?? [:]) {
                let selector = job.specSelector
                if !selector.isEverything, selector.matches(pod.objectLabels) { await queue.add(ObjectKey.of(job)) }
            }
        }
        podInformer.addEventHandler(EventHandler(
            onAdd: { pod in
                await adopters(pod)
                guard let key = owner(pod) else { return }
                expectations.creationObserved(key)
                await queue.add(key)
            },
            onUpdate: { _, pod in
                await adopters(pod)
                guard let key = owner(pod) else { return }
                if pod.isBeingDeleted { expectations.deletionObserved(key, ObjectKey.of(pod)) }
                await queue.add(key)
            },
            onDelete: { pod in
                guard let key = owner(pod) else { return }
                expectations.deletionObserved(key, ObjectKey.of(pod))
                await queue.add(key)
            }))
    }

    /// Waits for the caches, then reconciles Jobs until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "job", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }
}
