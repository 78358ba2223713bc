import Logging
import SkiffClient
import SkiffModel
import Synchronization
@testable import SkiffControllers

/// The ReplicaSet and Deployment controllers over a real in-process API server (the
/// housekeeping fixture's), with a stand-in kubelet that marks new Pods Running and Ready while
/// `autoReady` is on, and waits that re-check a condition on every informer event.
final class WorkloadFixture: Sendable {
    let cluster: HousekeepingCluster
    let informers: SharedInformers
    let replicaSetController: ReplicaSetController
    let deploymentController: DeploymentController
    let autoReady: Atomic<Bool>
    /// The controllers' wall clock, which a test may move ahead (progress deadlines without waiting).
    let wallClock = TestWallClock()
    let waiter = ChangeWaiter(defaultTimeout: .seconds(20))
    let checks = Mutex<[@Sendable () -> Void]>([])
    let kubeletQueue = WorkQueue<String>(name: "kubelet")

    var client: Client { cluster.client }
    var pods: Lister { informers.informer(for: .pods).lister }
    var replicaSets: Lister { informers.informer(for: .replicaSets).lister }
    var deployments: Lister { informers.informer(for: .deployments).lister }

    init(cluster: HousekeepingCluster, autoReady: Bool) {
        self.cluster = cluster
        self.autoReady = Atomic(autoReady)
        let informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
        self.informers = informers
        let clock = wallClock
        let wallClock: @Sendable () -> Double = { clock.now() }
        let events = EventRecorder(client: cluster.client, component: "test", logger: HousekeepingCluster.logger)
        replicaSetController = ReplicaSetController(client: cluster.client, informers: informers, events: events,
                                                    wallClock: wallClock, logger: HousekeepingCluster.logger)
        deploymentController = DeploymentController(client: cluster.client, informers: informers, events: events,
                                                    wallClock: wallClock, logger: HousekeepingCluster.logger)
        let notify = EventHandler(onAdd: { [weak self] _ in self?.changed() }, onUpdate: { [weak self] _, _ in self?.changed() },
                                  onDelete: { [weak self] _ in self?.changed() })
        for resource in [Resource.pods, .replicaSets, .deployments] {
            informers.informer(for: resource).addEventHandler(notify)
        }
        let queue = kubeletQueue
        informers.informer(for: .pods).addEventHandler(.enqueue(into: queue))
    }

    /// Runs a fixture for `body`: the cluster, the informers, the ReplicaSet controller, the
    /// Deployment controller unless `deployments` is false, and the stand-in kubelet.
    static func with<T: Sendable>(autoReady: Bool = true, deployments: Bool = true,
                                  _ body: @Sendable (WorkloadFixture) async throws -> T) async throws -> T {
        try await HousekeepingCluster.with { cluster in
            let fixture = WorkloadFixture(cluster: cluster, autoReady: autoReady)
            fixture.informers.start()
            var services: [@Sendable () async throws -> Void] = [
                { await fixture.informers.run() }, { try await fixture.replicaSetController.run() },
                {
                    try await ControllerRunner(name: "kubelet", informers: [fixture.informers.informer(for: .pods)],
                                               queue: fixture.kubeletQueue, workers: 2, logger: HousekeepingCluster.logger) {
                        try await fixture.kubelet($0)
                    }.run()
                },
            ]
            if deployments { services.append { try await fixture.deploymentController.run() } }
            return try await whileRunning(services) { try await body(fixture) }
        }
    }

    /// Called by the informers after every change they apply.
    func changed() {
        for check in checks.withLock({ $0 }) { check() }
        waiter.changed()
    }

    /// Runs `check` after every change of Pods, ReplicaSets or Deployments (in the informer's task).
    func observe(_ check: @escaping @Sendable () -> Void) {
        checks.withLock { $0.append(check) }
    }

    /// Returns once `predicate` holds over the caches; re-checked on every informer event.
    func waitUntil(_ what: String, timeout: Duration? = nil, _ predicate: @escaping @Sendable () -> Bool) async throws {
        try await waiter.waitUntil(what, timeout: timeout, predicate)
    }

    /// The stand-in kubelet: marks an active Pod Running and Ready while `autoReady` is on.
    func kubelet(_ key: String) async throws {
        guard autoReady.load(ordering: .relaxed), let pod = pods.get(key: key), PodState.isActive(pod), !PodState.isReady(pod) else { return }
        do {
            _ = try await client.updateStatus(.pods, Self.ready(pod))
        } catch let e as APIError where e.isNotFound {
            return
        }
    }

    /// Marks the Pods at `keys` Running and Ready now.
    func markReady(_ names: [String], namespace: String = "default") async throws {
        for name in names {
            let pod = try await client.get(.pods, namespace: namespace, name: name)
            _ = try await client.updateStatus(.pods, Self.ready(pod))
        }
    }

    static func ready(_ pod: JSON) -> JSON {
        var p = pod
        let now = JSON.string(Timestamp.format(Timestamp.now()))
        p["status", "phase"] = "Running"
        p["status", "conditions"] = .array(["PodScheduled", "Initialized", "ContainersReady", "Ready"].map {
            ["type": .string($0), "status": "True", "lastTransitionTime": now]
        })
        return p
    }

    // MARK: - Reading the caches

    /// The active Pods in `namespace` whose labels include `labels`.
    func activePods(_ labels: [String: String], namespace: String = "default") -> [JSON] {
        pods.list(namespace: namespace, selector: LabelSelector(equalTo: labels)).filter(PodState.isActive)
    }

    /// The ReplicaSets a Deployment controls, lowest revision first.
    func replicaSets(of deployment: String, namespace: String = "default") -> [JSON] {
        guard let d = deployments.get(namespace: namespace, name: deployment) else { return [] }
        return ReplicaSetOrder.byRevision(replicaSets.list(namespace: namespace).filter { $0.controllerRef?["uid"]?.string == d.objectUID })
    }
}

/// Real time (or, frozen, the time it was made) plus an offset a test can add to.
final class TestWallClock: Sendable {
    let offset = Mutex<Double>(0)
    /// Set when frozen: the real time at creation, which then moves only by `advance`.
    let frozenAt: Double?

    init(frozen: Bool = false) {
        frozenAt = frozen ? Timestamp.now() : nil
    }

    func now() -> Double { (frozenAt ?? Timestamp.now()) + offset.withLock { $0 } }

    func advance(seconds: Double) { offset.withLock { $0 += seconds } }
}

/// Objects the workload tests create.
enum Workload {
    static func template(_ labels: [String: String], image: String = "busybox:1") -> JSON {
        ["metadata": ["labels": JSON(labels)],
         "spec": ["containers": [["name": "app", "image": .string(image)]]]]
    }

    static func replicaSet(_ name: String, replicas: Int, labels: [String: String]? = nil, minReadySeconds: Int = 0) -> JSON {
        let labels = labels ?? ["app": name]
        return ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": .string(name), "namespace": "default"],
                "spec": ["replicas": .int(Int64(replicas)), "minReadySeconds": .int(Int64(minReadySeconds)),
                         "selector": ["matchLabels": JSON(labels)], "template": template(labels)]]
    }

    static func deployment(_ name: String, replicas: Int, strategy: JSON? = nil, image: String = "busybox:1",
                           extra: JSON = [:]) -> JSON {
        let labels = ["app": name]
        var d: JSON = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "default"],
                       "spec": ["replicas": .int(Int64(replicas)), "selector": ["matchLabels": JSON(labels)],
                                "template": template(labels, image: image)]]
        if let strategy { d["spec", "strategy"] = strategy }
        for (k, v) in extra.members { d["spec", k] = v }
        return d
    }

    static func pod(_ name: String, labels: [String: String]) -> JSON {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default", "labels": JSON(labels)],
         "spec": ["containers": [["name": "app", "image": "busybox:1"]]]]
    }

    static func rollingUpdate(surge: JSON, unavailable: JSON) -> JSON {
        ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": surge, "maxUnavailable": unavailable]]
    }
}
