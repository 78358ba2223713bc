import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// The scheduler service (kube-scheduler): watches Pods, Nodes and Namespaces, places each
/// pending Pod of its profile on a node through the plugin framework, and binds it through the
/// `binding` subresource.
///
/// - A Pod that fits no node gets a `FailedScheduling` Warning event with Kubernetes' message,
///   its `PodScheduled` condition set to False (`Unschedulable`), and waits in the queue until
///   a cluster change may help (or 5 minutes pass); one that fails for another reason is
///   retried after back-off (1 s doubling to 10 s).
/// - A placed Pod is assumed onto its node at once (so the next cycle already counts it), then
///   bound concurrently with later cycles; success gives a `Scheduled` Normal event, failure
///   forgets the assumption and retries the Pod.
/// - `run()` returns when its task is cancelled.
///
/// ```swift
/// let scheduler = try Scheduler(client: client, logger: logger)
/// group.addTask { try await scheduler.run() }
/// ```
public final class Scheduler: Sendable {
    public struct Configuration: Sendable {
        public var profile: Profile = .default
        public var queue = SchedulingQueue.Configuration()
        /// Nodes to filter before scoring, in percent; nil for kube-scheduler's adaptive default.
        public var percentageOfNodesToScore: Int?
        /// Bindings (and other API writes after a cycle) in flight at once. Default 256.
        public var parallelBindings = 256

        public init() {}
    }

    /// Counters since start (what `scheduler_schedule_attempts_total` counts, by result).
    public struct Statistics: Sendable, Equatable {
        public var scheduled = 0
        public var unschedulable = 0
        public var errors = 0
        public var preemptions = 0
    }

    public let configuration: Configuration
    public let framework: Framework
    public let cache = SchedulerCache()
    public let queue: PodQueue
    let client: Client
    let events: EventRecorder
    let pods: Informer
    let nodes: Informer
    let namespaces: Informer
    let priorityClassInformer: Informer
    let priorityClasses = PriorityClasses()
    let limiter: AsyncLimiter
    let stats = Mutex(Statistics())
    let logger: Logger

    public init(client: Client, configuration: Configuration = .init(), registry: Registry = .builtin,
                clock: any TimeSource = SystemTimeSource(), logger: Logger) throws(SchedulerError) {
        self.client = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "component"] = "scheduler"
        self.logger = logger
        framework = try Framework(profile: configuration.profile, registry: registry,
                                  handle: Handle(client: client, schedulerName: configuration.profile.schedulerName))
        queue = PodQueue(configuration: configuration.queue, clock: clock)
        events = EventRecorder(client: client, component: configuration.profile.schedulerName, logger: logger)
        let notFinished = FieldSelector(requirements: [.init(field: "status.phase", op: .notEquals, value: "Succeeded"),
                                                       .init(field: "status.phase", op: .notEquals, value: "Failed")])
        pods = Informer(client: client, configuration: .init(resource: .pods, fieldSelector: notFinished), logger: logger)
        nodes = Informer(client: client, resource: .nodes, logger: logger)
        namespaces = Informer(client: client, resource: .namespaces, logger: logger)
        priorityClassInformer = Informer(client: client, resource: .priorityClasses, logger: logger)
        limiter = AsyncLimiter(limit: max(configuration.parallelBindings, 1))
        pods.addEventHandler(EventHandler(onAdd: { [self] in await podAdded($0) },
                                          onUpdate: { [self] in await podUpdated($0, $1) },
                                          onDelete: { [self] in await podDeleted($0) }))
        nodes.addEventHandler(EventHandler(onAdd: { [self] in await nodeAdded($0) },
                                           onUpdate: { [self] in await nodeUpdated($0, $1) },
                                           onDelete: { [self] in await nodeDeleted($0) }))
        namespaces.addEventHandler(EventHandler(
            onAdd: { [cache] in cache.setNamespace($0["metadata", "name"]?.string ?? "", labels: $0["metadata", "labels"]?.stringMap ?? [:]) },
            onUpdate: { [cache] in cache.setNamespace($1["metadata", "name"]?.string ?? "", labels: $1["metadata", "labels"]?.stringMap ?? [:]) },
            onDelete: { [cache] in cache.removeNamespace($0["metadata", "name"]?.string ?? "") }))
        priorityClassInformer.addEventHandler(EventHandler(
            onAdd: { [priorityClasses] in priorityClasses.set($0) },
            onUpdate: { [priorityClasses] in priorityClasses.set($1) },
            onDelete: { [priorityClasses] in priorityClasses.remove($0) }))
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// Watches, schedules and binds until cancelled.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.nodes.run() }
            group.addTask { try await self.namespaces.run() }
            group.addTask { try await self.priorityClassInformer.run() }
            group.addTask { try await self.pods.run() }
            group.addTask { await self.events.run() }
            try await nodes.waitForSync()
            try await namespaces.waitForSync()
            try await priorityClassInformer.waitForSync()
            try await pods.waitForSync()
            let pending = await queue.snapshot.activeCount
            logger.info("scheduler started", metadata: ["schedulerName": "\(framework.schedulerName)",
                                                        "nodes": "\(cache.nodeCount)", "pendingPods": "\(pending)"])
            await withDiscardingTaskGroup { work in
                var startIndex = 0
                var random = SplitMix64()
                while let queued = await queue.pop() {
                    guard let job = await scheduleOne(queued, startIndex: &startIndex, random: &random) else { continue }
                    await limiter.acquire()
                    work.addTask {
                        await job()
                        self.limiter.release()
                    }
                }
            }
            logger.info("scheduler stopped")
            group.cancelAll()
        }
    }

    // MARK: informer handlers

    func responsible(_ pod: PodInfo) -> Bool {
        pod.schedulerName == framework.schedulerName && !pod.isTerminating
    }

    static func finished(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string
        return phase == "Succeeded" || phase == "Failed"
    }

    func moveAll(_ event: ClusterEvent) async {
        let framework = self.framework
        await queue.moveAll { framework.mayHelp(event, rejectedBy: $0) }
    }

    func podAdded(_ object: JSON) async {
        if Self.finished(object) { return }
        let pod = priorityClasses.podInfo(object)
        if !pod.nodeName.isEmpty {
            cache.setPod(pod)
            await queue.delete(pod.key)
            await moveAll(.assignedPodAdd)
        } else if responsible(pod) {
            await queue.add(pod)
        }
    }

    func podUpdated(_ old: JSON, _ new: JSON) async {
        if Self.finished(new) {
            await podDeleted(new)
            return
        }
        let pod = priorityClasses.podInfo(new)
        if !pod.nodeName.isEmpty {
            let wasBound = !(old["spec", "nodeName"]?.string ?? "").isEmpty
            cache.setPod(pod)
            if !wasBound {
                await queue.delete(pod.key)
                await moveAll(.assignedPodAdd)
            } else if old["metadata", "labels"] != new["metadata", "labels"] || PodRequests.pod(old["spec"] ?? [:]) != pod.requests {
                await moveAll(.assignedPodUpdate)
            }
            return
        }
        if cache.isAssumed(pod.key) { return }
        if !responsible(pod) {
            await queue.delete(pod.key)
            return
        }
        await queue.update(pod, significant: Self.significant(old, new))
    }

    func podDeleted(_ object: JSON) async {
        let key = ObjectKey.of(object)
        if !(object["spec", "nodeName"]?.string ?? "").isEmpty || cache.isAssumed(key) {
            cache.removePod(key)
            await moveAll(.assignedPodDelete)
        }
        await queue.delete(key)
    }

    /// Whether an update of a pending Pod changed more than its status and bookkeeping.
    static func significant(_ old: JSON, _ new: JSON) -> Bool {
        if old["spec"] != new["spec"] { return true }
        for field in ["labels", "annotations"] where old["metadata", field] != new["metadata", field] { return true }
        return false
    }

    func nodeAdded(_ object: JSON) async {
        cache.setNode(NodeSpec(object))
        await moveAll(.nodeAdd)
    }

    func nodeUpdated(_ old: JSON, _ new: JSON) async {
        let (before, after) = (NodeSpec(old), NodeSpec(new))
        guard before != after else { return }
        cache.setNode(after)
        await moveAll(.nodeUpdate)
    }

    func nodeDeleted(_ object: JSON) async {
        cache.removeNode(object["metadata", "name"]?.string ?? "")
        await moveAll(.nodeDelete)
    }
}
