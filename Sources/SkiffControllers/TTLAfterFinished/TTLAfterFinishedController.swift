import Logging
import SkiffClient
import SkiffModel

/// Deletes finished Jobs once `spec.ttlSecondsAfterFinished` has passed since they finished
/// (kube-controller-manager's ttl-after-finished controller), with background propagation so
/// that the garbage collector removes their Pods.
///
/// A Job finished at its `completionTime`, or at the `lastTransitionTime` of its `Complete` or
/// `Failed` condition. Before deleting, the Job is read again from the API server (the TTL may
/// have changed); the delete carries the Job's UID as a precondition. Not-yet-expired Jobs are
/// queued again for their expiry.
public struct TTLAfterFinishedController: Sendable {
    let client: Client
    let jobs: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let wallClock: @Sendable () -> Double
    let logger: Logger

    public init(client: Client, informers: SharedInformers, clock: any TimeSource = SystemTimeSource(),
                wallClock: @escaping @Sendable () -> Double = { Timestamp.now() }, logger: Logger) {
        self.client = client
        let jobInformer = informers.informer(for: .jobs)
        jobs = jobInformer.lister
        synced = [jobInformer]
        queue = WorkQueue<String>(name: "ttl_jobs_to_delete", clock: clock)
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "ttl-after-finished"
        self.logger = logger
        let queue = queue
        jobInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                 onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                                                 onDelete: { _ in }))
    }

    public func run() async throws {
        try await ControllerRunner(name: "ttl-after-finished", informers: synced, queue: queue, workers: 5,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// When the Job expires, if it is finished and has a TTL.
    static func expiry(_ job: JSON) -> Double? {
        guard !job.isBeingDeleted, let ttl = job["spec", "ttlSecondsAfterFinished"]?.int else { return nil }
        let finished = (job["status", "conditions"]?.array ?? []).first {
            ($0["type"]?.string == "Complete" || $0["type"]?.string == "Failed") && $0["status"]?.string == "True"
        }
        guard let finished else { return nil }
        let at = job["status", "completionTime"]?.string.flatMap(Timestamp.parse)
            ?? finished["lastTransitionTime"]?.string.flatMap(Timestamp.parse)
        return at.map { $0 + Double(ttl) }
    }

    public func reconcile(_ key: String) async throws {
        guard let cached = jobs.get(key: key), let cachedExpiry = Self.expiry(cached) else { return }
        let now = wallClock()
        if cachedExpiry > now {
            await queue.addAfter(key, .milliseconds(Int((cachedExpiry - now) * 1000) + 10))
            return
        }
        let fresh: JSON
        do {
            fresh = try await client.get(.jobs, namespace: cached.objectNamespace, name: cached.objectName)
        } catch let e as APIError where e.isNotFound {
            return
        }
        guard let expiry = Self.expiry(fresh) else { return }
        if expiry > now {
            await queue.addAfter(key, .milliseconds(Int((expiry - now) * 1000) + 10))
            return
        }
        logger.info("deleting finished job", metadata: ["k8s.namespace": "\(fresh.objectNamespace)", "k8s.name": "\(fresh.objectName)"])
        do {
            _ = try await client.delete(.jobs, namespace: fresh.objectNamespace, name: fresh.objectName,
                                        options: .init(propagationPolicy: .background, preconditionUID: fresh.objectUID))
        } catch let e as APIError where e.isNotFound || e.isConflict {
        }
    }
}
