import Logging
import SkiffClient
import SkiffModel
import Synchronization
@testable import SkiffControllers

/// The in-process API server with shared informers (running) and a manual clock, for tests
/// that call a cluster controller's passes directly: `waitUntil` re-checks a predicate over the
/// caches on every informer event, so a test sees its writes before the next pass.
final class ClusterControllerFixture: Sendable {
    let cluster: HousekeepingCluster
    let informers: SharedInformers
    let clock = ManualClock()
    /// Wall-clock seconds that follow `clock` from a fixed start.
    let start = Timestamp.now()
    let events: EventRecorder
    let waiter = ChangeWaiter(defaultTimeout: .seconds(10))

    var client: Client { cluster.client }
    var wallClock: @Sendable () -> Double {
        let clock = self.clock, start = self.start
        return { start + Double(clock.now().components.seconds) + Double(clock.now().components.attoseconds) / 1e18 }
    }

    init(cluster: HousekeepingCluster, resources: [Resource]) {
        self.cluster = cluster
        informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
        events = EventRecorder(client: cluster.client, component: "test", logger: HousekeepingCluster.logger)
        let notify = EventHandler(onAdd: { [weak self] _ in self?.changed() }, onUpdate: { [weak self] _, _ in self?.changed() },
                                  onDelete: { [weak self] _ in self?.changed() })
        for resource in resources { informers.informer(for: resource).addEventHandler(notify) }
    }

    /// Runs `body` with the informers of `resources` started (and synced) and `make`'s
    /// controllers built before they start.
    static func with<T: Sendable>(_ resources: [Resource], _ body: @Sendable (ClusterControllerFixture) async throws -> T) async throws -> T {
        try await HousekeepingCluster.with { cluster in
            let f = ClusterControllerFixture(cluster: cluster, resources: resources)
            return try await body(f)
        }
    }

    /// Starts the informers (after the controllers were made), runs `body`, then stops them.
    func running<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        informers.start()
        return try await whileRunning([{ await self.informers.run() }, { await self.events.run() }], body)
    }

    func changed() {
        waiter.changed()
    }

    /// Returns once `predicate` holds over the caches; re-checked on every informer event.
    func waitUntil(_ what: String, timeout: Duration? = nil, _ predicate: @escaping @Sendable () -> Bool) async throws {
        try await waiter.waitUntil(what, timeout: timeout, predicate)
    }

    func lister(_ resource: Resource) -> Lister { informers.informer(for: resource).lister }

    // MARK: objects

    static func node(_ name: String, ready: String = "True", heartbeat: String) -> JSON {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)],
         "status": ["conditions": [
            ["type": "Ready", "status": .string(ready), "reason": "KubeletReady", "message": "kubelet is posting ready status",
             "lastHeartbeatTime": .string(heartbeat), "lastTransitionTime": .string(heartbeat)],
            ["type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "",
             "lastHeartbeatTime": .string(heartbeat), "lastTransitionTime": .string(heartbeat)],
         ]]]
    }

    /// Creates the Node `name` and writes its status (Ready as given, heartbeat `heartbeat`).
    func createNode(_ name: String, ready: String = "True", heartbeat: String) async throws {
        _ = try await client.create(.nodes, Self.node(name, ready: ready, heartbeat: heartbeat))
        var node = try await client.get(.nodes, name: name)
        node["status"] = Self.node(name, ready: ready, heartbeat: heartbeat)["status"]
        _ = try await client.updateStatus(.nodes, node)
    }

    static func lease(_ node: String, renewTime: String) -> JSON {
        ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": .string(node), "namespace": "kube-node-lease"],
         "spec": ["holderIdentity": .string(node), "leaseDurationSeconds": 40, "renewTime": .string(renewTime)]]
    }

    static func pod(_ name: String, node: String?, labels: [String: String] = [:], tolerations: [JSON]? = nil, ready: Bool = true,
                    ip: String? = nil, extraSpec: JSON = [:]) -> JSON {
        var spec: JSON = ["containers": [["name": "app", "image": "busybox:1",
                                          "ports": [["name": "http", "containerPort": 8080, "protocol": "TCP"]]]]]
        if let node { spec["nodeName"] = .string(node) }
        if let tolerations { spec["tolerations"] = .array(tolerations) }
        for (k, v) in extraSpec.members { spec[k] = v }
        return ["apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string(name), "namespace": "default", "labels": JSON(labels)], "spec": spec]
    }

    /// Writes Running status (Ready as given, `ip`) to the Pod `name`.
    func setRunning(_ name: String, ready: Bool = true, ip: String? = nil) async throws {
        var pod = try await client.get(.pods, namespace: "default", name: name)
        let now = JSON.string(Timestamp.format(wallClock()))
        pod["status", "phase"] = "Running"
        if let ip { pod["status", "podIP"] = .string(ip); pod["status", "podIPs"] = [["ip": .string(ip)]] }
        pod["status", "conditions"] = .array(["PodScheduled", "Initialized", "ContainersReady", "Ready"].map {
            ["type": .string($0), "status": ready || $0 == "PodScheduled" || $0 == "Initialized" ? "True" : "False", "lastTransitionTime": now]
        })
        _ = try await client.updateStatus(.pods, pod)
    }

    static func toleration(_ key: String, seconds: Int64?) -> JSON {
        var t: JSON = ["key": .string(key), "operator": "Exists", "effect": "NoExecute"]
        if let seconds { t["tolerationSeconds"] = .int(seconds) }
        return t
    }
}
