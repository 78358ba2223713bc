import SkiffClient
import SkiffModel
import Synchronization
@testable import SkiffControllers

/// The Job controller over a real in-process API server (the housekeeping fixture's); Pods are
/// finished by the test (`finish`), and waits re-check a condition on every informer event.
final class JobFixture: Sendable {
    let cluster: HousekeepingCluster
    let informers: SharedInformers
    let controller: JobController
    /// Not run: tests call `reconcile` themselves after moving `wallClock`.
    let cronController: CronJobController
    /// The CronJob controller's clock: frozen, so that no schedule time passes unless a test moves it.
    let cronClock = TestWallClock(frozen: true)
    let ttlController: TTLAfterFinishedController
    let wallClock = TestWallClock()
    let waiter = ChangeWaiter(defaultTimeout: .seconds(20))
    let maxActive = Atomic<Int>(0)

    var client: Client { cluster.client }
    var pods: Lister { informers.informer(for: .pods).lister }
    var jobs: Lister { informers.informer(for: .jobs).lister }

    init(cluster: HousekeepingCluster) {
        self.cluster = cluster
        let informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
        self.informers = informers
        let clock = wallClock
        let events = EventRecorder(client: cluster.client, component: "job-controller", logger: HousekeepingCluster.logger)
        controller = JobController(client: cluster.client, informers: informers, events: events,
                                   wallClock: { clock.now() }, logger: HousekeepingCluster.logger)
        let cronClock = cronClock
        cronController = CronJobController(client: cluster.client, informers: informers, events: events,
                                           wallClock: { cronClock.now() }, logger: HousekeepingCluster.logger)
        ttlController = TTLAfterFinishedController(client: cluster.client, informers: informers, wallClock: { clock.now() },
                                                   logger: HousekeepingCluster.logger)
        let notify = EventHandler(onAdd: { [weak self] _ in self?.changed() }, onUpdate: { [weak self] _, _ in self?.changed() },
                                  onDelete: { [weak self] _ in self?.changed() })
        for resource in [Resource.pods, .jobs, .cronJobs] { informers.informer(for: resource).addEventHandler(notify) }
    }

    static func with<T: Sendable>(_ body: @Sendable (JobFixture) async throws -> T) async throws -> T {
        try await HousekeepingCluster.with { cluster in
            let fixture = JobFixture(cluster: cluster)
            fixture.informers.start()
            return try await whileRunning([{ await fixture.informers.run() }, { try await fixture.controller.run() }]) {
                try await body(fixture)
            }
        }
    }

    func changed() {
        let active = pods.list(namespace: "default").filter(PodState.isActive).count
        _ = maxActive.max(active, ordering: .relaxed)
        waiter.changed()
    }

    /// Returns once `predicate` holds over the caches; re-checked on every informer event.
    func waitUntil(_ what: String, timeout: Duration? = nil, _ predicate: @escaping @Sendable () -> Bool) async throws {
        try await waiter.waitUntil(what, timeout: timeout, predicate)
    }

    /// The active Pods of Job `name`.
    func activePods(of name: String) -> [JSON] {
        pods.list(namespace: "default").filter { $0.objectLabels["job-name"] == name && PodState.isActive($0) }
    }

    /// Moves a Pod to Succeeded (`code` 0) or Failed.
    func finish(_ pod: JSON, code: Int = 0) async throws {
        var p = try await client.get(.pods, namespace: "default", name: pod.objectName)
        p["status", "phase"] = .string(code == 0 ? "Succeeded" : "Failed")
        p["status", "containerStatuses"] = [["name": "work", "image": "busybox:1", "ready": false, "restartCount": 0,
                                             "state": ["terminated": ["exitCode": .int(Int64(code))]]]]
        _ = try await client.updateStatus(.pods, p)
    }

    func job(_ name: String) -> JSON? { jobs.get(namespace: "default", name: name) }
    var cronJobs: Lister { informers.informer(for: .cronJobs).lister }

    /// Marks Job `name` finished now (`Complete`, or `Failed`).
    func finishJob(_ name: String, failed: Bool = false) async throws {
        for attempt in 0..<10 {
            var job = try await client.get(.jobs, namespace: "default", name: name)
            let now = JSON.string(Timestamp.format(wallClock.now()))
            job["status", "startTime"] = job["status", "startTime"] ?? now
            if !failed { job["status", "completionTime"] = now }
            job["status", "conditions"] = [["type": failed ? "Failed" : "Complete", "status": "True", "lastTransitionTime": now]]
            do {
                _ = try await client.updateStatus(.jobs, job)
                return
            } catch let e as APIError where e.isConflict && attempt < 9 {
                continue  // the Job controller wrote its status meanwhile
            }
        }
    }

    static func cronJob(_ name: String, schedule: String = "*/1 * * * *", extra: JSON = [:]) -> JSON {
        // The Jobs are suspended: the tests finish them, not their Pods.
        var spec: JSON = ["schedule": .string(schedule),
                          "jobTemplate": ["metadata": ["labels": ["run": .string(name)]],
                                          "spec": manifest(name, extra: ["suspend": true])["spec"]!]]
        for (k, v) in extra.members { spec[k] = v }
        return ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": .string(name), "namespace": "default"], "spec": spec]
    }

    static func manifest(_ name: String, completions: Int? = 1, parallelism: Int = 1, backoffLimit: Int = 6,
                         extra: JSON = [:]) -> JSON {
        var spec: JSON = ["parallelism": .int(Int64(parallelism)), "backoffLimit": .int(Int64(backoffLimit)),
                          "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "work", "image": "busybox:1"]]]]]
        if let completions { spec["completions"] = .int(Int64(completions)) }
        for (k, v) in extra.members { spec[k] = v }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"], "spec": spec]
    }
}
