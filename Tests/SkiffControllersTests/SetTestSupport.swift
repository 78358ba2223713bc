import Logging
import SkiffClient
import SkiffModel
import Synchronization
@testable import SkiffControllers

/// The StatefulSet and DaemonSet controllers over a real in-process API server, with a
/// stand-in kubelet that marks new Pods Running and Ready while `autoReady` is on (bound or
/// not: no scheduler runs here), and waits that re-check a condition on every informer event.
final class SetFixture: Sendable {
    let cluster: HousekeepingCluster
    let informers: SharedInformers
    let statefulSetController: StatefulSetController
    let daemonSetController: DaemonSetController
    let autoReady: Atomic<Bool>
    let events: EventRecorder
    let waiter = ChangeWaiter(defaultTimeout: .seconds(20))
    let kubeletQueue = WorkQueue<String>(name: "kubelet")
    /// The names of deleted Pods, in the order the informer saw them go.
    let deleted = Mutex<[String]>([])
    let checks = Mutex<[@Sendable () -> Void]>([])

    var client: Client { cluster.client }
    var pods: Lister { informers.informer(for: .pods).lister }
    var statefulSets: Lister { informers.informer(for: .statefulSets).lister }
    var daemonSets: Lister { informers.informer(for: .daemonSets).lister }
    var revisions: Lister { informers.informer(for: .controllerRevisions).lister }
    var claims: Lister { informers.informer(for: .persistentVolumeClaims).lister }

    init(cluster: HousekeepingCluster, autoReady: Bool) {
        self.cluster = cluster
        self.autoReady = Atomic(autoReady)
        let informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
        self.informers = informers
        let events = EventRecorder(client: cluster.client, component: "test", logger: HousekeepingCluster.logger)
        self.events = events
        statefulSetController = StatefulSetController(client: cluster.client, informers: informers, events: events,
                                                      logger: HousekeepingCluster.logger)
        daemonSetController = DaemonSetController(client: cluster.client, informers: informers, events: events,
                                                  logger: HousekeepingCluster.logger)
        let notify = EventHandler(onAdd: { [weak self] _ in self?.changed() }, onUpdate: { [weak self] _, _ in self?.changed() },
                                  onDelete: { [weak self] _ in self?.changed() })
        for resource in [Resource.pods, .statefulSets, .daemonSets, .controllerRevisions, .persistentVolumeClaims, .nodes, .events] {
            informers.informer(for: resource).addEventHandler(notify)
        }
        informers.informer(for: .pods).addEventHandler(.enqueue(into: kubeletQueue))
        informers.informer(for: .pods).addEventHandler(EventHandler(onDelete: { [weak self] pod in
            self?.deleted.withLock { $0.append(pod.objectName) }
        }))
    }

    static func with<T: Sendable>(autoReady: Bool = true, _ body: @Sendable (SetFixture) async throws -> T) async throws -> T {
        try await HousekeepingCluster.with { cluster in
            let fixture = SetFixture(cluster: cluster, autoReady: autoReady)
            fixture.informers.start()
            return try await whileRunning([
                { await fixture.informers.run() }, { await fixture.events.run() },
                { try await fixture.statefulSetController.run() }, { try await fixture.daemonSetController.run() },
                {
                    try await ControllerRunner(name: "kubelet", informers: [fixture.informers.informer(for: .pods)],
                                               queue: fixture.kubeletQueue, workers: 2, logger: HousekeepingCluster.logger) {
                        try await fixture.kubelet($0)
                    }.run()
                },
            ]) {
                try await body(fixture)
            }
        }
    }

    func changed() {
        for check in checks.withLock({ $0 }) { check() }
        waiter.changed()
    }

    /// Runs `check` after every change the informers apply (in the informer's task).
    func observe(_ check: @escaping @Sendable () -> Void) {
        checks.withLock { $0.append(check) }
    }

    /// Returns once `predicate` holds over the caches; re-checked on every informer event.
    func waitUntil(_ what: String, timeout: Duration? = nil, _ predicate: @escaping @Sendable () -> Bool) async throws {
        try await waiter.waitUntil(what, timeout: timeout, predicate)
    }

    func kubelet(_ key: String) async throws {
        guard autoReady.load(ordering: .relaxed), let pod = pods.get(key: key), PodState.isActive(pod), !PodState.isReady(pod) else { return }
        do {
            _ = try await client.updateStatus(.pods, WorkloadFixture.ready(pod))
        } catch let e as APIError where e.isNotFound || e.isConflict {
            return
        }
    }

    func markReady(_ names: [String], namespace: String = "default") async throws {
        for name in names {
            let pod = try await client.get(.pods, namespace: namespace, name: name)
            _ = try await client.updateStatus(.pods, WorkloadFixture.ready(pod))
        }
    }

    /// Names of the Pods in the cache (those being deleted too) whose labels include `labels`.
    func podNames(_ labels: [String: String], namespace: String = "default") -> Set<String> {
        Set(pods.list(namespace: namespace, selector: LabelSelector(equalTo: labels)).map(\.objectName))
    }

    /// The messages of the Events recorded so far.
    var eventMessages: Set<String> {
        Set(informers.informer(for: .events).lister.list().compactMap { $0["message"]?.string })
    }

    func statefulSet(_ name: String) -> JSON? { statefulSets.get(namespace: "default", name: name) }
    func daemonSet(_ name: String) -> JSON? { daemonSets.get(namespace: "default", name: name) }
}

/// Objects the set tests create.
enum SetObjects {
    static func statefulSet(_ name: String, replicas: Int, image: String = "busybox:1", spec extra: JSON = [:]) -> JSON {
        var s: JSON = ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name), "namespace": "default"],
                       "spec": ["replicas": .int(Int64(replicas)), "serviceName": .string(name),
                                "selector": ["matchLabels": ["app": .string(name)]],
                                "template": Workload.template(["app": name], image: image)]]
        for (k, v) in extra.members { s["spec", k] = v }
        return s
    }

    static func daemonSet(_ name: String, image: String = "busybox:1", spec extra: JSON = [:], podSpec: JSON = [:]) -> JSON {
        var d: JSON = ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": .string(name), "namespace": "default"],
                       "spec": ["selector": ["matchLabels": ["app": .string(name)]],
                                "template": Workload.template(["app": name], image: image)]]
        for (k, v) in extra.members { d["spec", k] = v }
        for (k, v) in podSpec.members { d["spec", "template", "spec", k] = v }
        return d
    }

    static func node(_ name: String, labels: [String: String] = [:], taints: [JSON] = []) -> JSON {
        var n: JSON = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSON(labels)]]
        if !taints.isEmpty { n["spec", "taints"] = .array(taints) }
        return n
    }
}
