import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Simulated nodes, like KWOK: registers Nodes that report Ready, keeps a Lease per node
/// renewed, and moves Pods bound to them to Running and Ready without running anything.
///
/// - Nodes are `<namePrefix>0` ... `<namePrefix><n-1>`, with the configured capacity (equal
///   allocatable), the usual `kubernetes.io/*` labels, and optionally
///   `topology.kubernetes.io/zone: zone-<i % zones>`. An existing Node of that name is adopted
///   (its status rewritten).
/// - Each node's Lease in `kube-node-lease` is renewed every `leaseRenewInterval`; the Ready
///   condition's heartbeat every `statusUpdateInterval`.
/// - A Pod bound to a simulated node gets a Pod IP from the node's `10.244.<i>.0/24` and a
///   Running, Ready status; a Pod being deleted is deleted at once (grace period 0).
///   Containers never exit.
/// - `run()` returns when its task is cancelled; the Nodes stay registered.
///
/// ```swift
/// let sim = Simulator(client: client, configuration: .init(nodes: 3), logger: logger)
/// try await sim.run()
/// ```
public final class Simulator: Sendable {
    public struct Configuration: Sendable {
        public var nodes: Int
        public var namePrefix = "sim-node-"
        /// Capacity and allocatable of each node. Default cpu 4, memory 16Gi, pods 110,
        /// ephemeral-storage 100Gi.
        public var capacity: [String: String] = ["cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"]
        /// Extra labels on every node.
        public var labels: [String: String] = [:]
        /// Spread nodes over this many zones (`topology.kubernetes.io/zone`); 0 for none.
        public var zones = 0
        public var kubeletVersion = "v1.33.0-skiff"
        public var leaseDurationSeconds: Int64 = 40
        /// Default 10 s, as the kubelet.
        public var leaseRenewInterval: Duration = .seconds(10)
        /// How often the Ready condition's heartbeat is rewritten. Default 60 s.
        public var statusUpdateInterval: Duration = .seconds(60)
        /// Pod workers. Default 16.
        public var workers = 16
        /// Concurrent requests when registering and renewing nodes. Default 16.
        public var parallelRequests = 16

        public init(nodes: Int) {
            self.nodes = nodes
        }

        public func nodeName(_ index: Int) -> String { namePrefix + String(index) }
    }

    public let configuration: Configuration
    let client: Client
    let clock: any TimeSource
    let logger: Logger
    let pods: Informer
    let queue: WorkQueue<String>
    /// Node name -> index.
    let indices: [String: Int]
    let nodeUIDs = Mutex<[String: String]>([:])
    /// When each node was registered: the conditions' `lastTransitionTime`.
    let readySince = Mutex<[String: String]>([:])
    let addresses = Mutex(AddressBook())

    public init(client: Client, configuration: Configuration, clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        var logger = logger
        logger[metadataKey: "component"] = "sim"
        self.logger = logger
        var indices: [String: Int] = [:]
        for i in 0..<max(configuration.nodes, 0) { indices[configuration.nodeName(i)] = i }
        self.indices = indices
        let bound = FieldSelector(requirements: [.init(field: "spec.nodeName", op: .notEquals, value: "")])
        pods = Informer(client: client, configuration: .init(resource: .pods, fieldSelector: bound), logger: logger)
        queue = WorkQueue(name: "sim-pods", clock: clock)
        pods.addEventHandler(EventHandler(
            onAdd: { [self] in await podChanged($0) },
            onUpdate: { [self] in await podChanged($1) },
            onDelete: { [self] in podDeleted($0) }))
    }

    /// Registers the nodes, then runs them until cancelled.
    public func run() async throws {
        logger.info("registering nodes", metadata: ["count": "\(configuration.nodes)", "prefix": "\(configuration.namePrefix)"])
        while true {
            do {
                try await forEach(0..<configuration.nodes) { try await self.register($0) }
                break
            } catch {
                if Task.isCancelled { throw error }
                logger.warning("node registration failed; retrying", metadata: ["error": "\(error)"])
                try await clock.sleep(for: .seconds(1))
            }
        }
        try await forEach(0..<configuration.nodes) { await self.renewLease(self.configuration.nodeName($0)) }
        logger.info("nodes registered", metadata: ["count": "\(configuration.nodes)"])
        let runner = ControllerRunner(name: "sim-pods", informers: [pods], queue: queue, workers: configuration.workers,
                                      logger: logger) { [self] key in try await reconcile(key) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.pods.run() }
            group.addTask { try await runner.run() }
            group.addTask { try await self.every(self.configuration.leaseRenewInterval) { await self.renewLease($0) } }
            group.addTask { try await self.every(self.configuration.statusUpdateInterval) { await self.heartbeat($0) } }
        }
    }

    // MARK: nodes

    func register(_ index: Int) async throws {
        let name = configuration.nodeName(index)
        var labels = configuration.labels
        if configuration.zones > 0 { labels["topology.kubernetes.io/zone"] = "zone-\(index % configuration.zones)" }
        var node: JSON
        do {
            node = try await client.create(.nodes, NodeTemplate.node(name: name, index: index, labels: labels))
        } catch let e as APIError where e.isAlreadyExists {
            node = try await client.get(.nodes, name: name)
        }
        if let uid = node["metadata", "uid"]?.string { nodeUIDs.withLock { $0[name] = uid } }
        try await writeStatus(name, index: index)
    }

    func writeStatus(_ name: String, index: Int) async throws {
        let now = Timestamp.format(Timestamp.now())
        let since = readySince.withLock { first in
            if let t = first[name] { return t }
            first[name] = now
            return now
        }
        let status = NodeTemplate.status(name: name, index: index, capacity: configuration.capacity,
                                         kubeletVersion: configuration.kubeletVersion, now: now, since: since)
        _ = try await client.patch(.nodes, name: name, type: .merge, ["status": status], subresource: "status")
    }

    func heartbeat(_ name: String) async {
        guard let index = indices[name] else { return }
        do {
            try await writeStatus(name, index: index)
        } catch {
            logger.warning("node status update failed", metadata: ["node": "\(name)", "error": "\(error)"])
        }
    }

    func renewLease(_ name: String) async {
        let now = Timestamp.formatMicro(Timestamp.now())
        let spec: JSON = ["holderIdentity": .string(name), "leaseDurationSeconds": .int(configuration.leaseDurationSeconds),
                          "renewTime": .string(now)]
        do {
            _ = try await client.patch(.leases, namespace: "kube-node-lease", name: name, type: .merge, ["spec": spec])
        } catch let e as APIError where e.isNotFound {
            let uid = nodeUIDs.withLock { $0[name] }
            do {
                _ = try await client.create(.leases, namespace: "kube-node-lease",
                                            NodeTemplate.lease(name: name, nodeUID: uid, durationSeconds: configuration.leaseDurationSeconds,
                                                               renewTime: now))
            } catch {
                logger.warning("lease create failed", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        } catch {
            logger.warning("lease renewal failed", metadata: ["node": "\(name)", "error": "\(error)"])
        }
    }

    /// Calls `body` for every node each `interval`, `parallelRequests` at a time, until cancelled.
    func every(_ interval: Duration, _ body: @escaping @Sendable (String) async -> Void) async throws {
        while true {
            try await clock.sleep(for: interval)
            try await forEach(0..<configuration.nodes) { await body(self.configuration.nodeName($0)) }
        }
    }

    func forEach(_ range: Range<Int>, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = range.lowerBound
            while next < range.upperBound && next - range.lowerBound < configuration.parallelRequests {
                let i = next
                group.addTask { try await body(i) }
                next += 1
            }
            while try await group.next() != nil {
                if next < range.upperBound {
                    let i = next
                    group.addTask { try await body(i) }
                    next += 1
                }
            }
        }
    }

    // MARK: pods

    func podChanged(_ pod: JSON) async {
        guard let node = pod["spec", "nodeName"]?.string, indices[node] != nil else { return }
        if PodLifecycle.action(for: pod) != .none {
            await queue.add(ObjectKey.of(pod))
        } else if pod["status", "phase"]?.string == "Running", let exit = PodExit.exitTime(for: pod) {
            // Look again when the containers exit.
            await queue.addAfter(ObjectKey.of(pod), .milliseconds(max(0, Int((exit - Timestamp.now()) * 1000)) + 10))
        }
    }

    func podDeleted(_ pod: JSON) {
        guard let node = pod["spec", "nodeName"]?.string, indices[node] != nil else { return }
        let uid = pod["metadata", "uid"]?.string ?? ""
        addresses.withLock { $0.release(uid: uid, node: node) }
    }

    /// Makes one Pod's status what its node would report.
    func reconcile(_ key: String) async throws {
        guard let pod = pods.lister.get(key: key), let node = pod["spec", "nodeName"]?.string, let index = indices[node] else { return }
        let namespace = pod["metadata", "namespace"]?.string
        let name = pod["metadata", "name"]?.string ?? ""
        switch PodLifecycle.action(for: pod) {
        case .none:
            return
        case .delete:
            do {
                try await client.delete(.pods, namespace: namespace, name: name,
                                        options: .init(gracePeriodSeconds: 0, preconditionUID: pod["metadata", "uid"]?.string))
            } catch let e as APIError where e.isNotFound || e.isConflict {
                return
            }
        case .exit:
            var updated = pod
            updated["status"] = PodExit.finishedStatus(for: pod, now: Timestamp.format(Timestamp.now()))
            do {
                _ = try await client.updateStatus(.pods, updated)
            } catch let e as APIError where e.isNotFound {
                return
            }
        case .start:
            let uid = pod["metadata", "uid"]?.string ?? ""
            let ip = pod["status", "podIP"]?.string ?? addresses.withLock { $0.assign(uid: uid, node: node, index: index) }
            var updated = pod
            updated["status"] = PodLifecycle.runningStatus(for: pod, podIP: ip, hostIP: NodeTemplate.internalIP(index),
                                                           now: Timestamp.format(Timestamp.now()))
            do {
                _ = try await client.updateStatus(.pods, updated)
            } catch let e as APIError where e.isNotFound {
                return
            }
        }
    }
}

/// Pod IPs handed out per node: the lowest free host number in 2...254.
struct AddressBook {
    var byPod: [String: (node: String, n: Int)] = [:]
    var used: [String: Set<Int>] = [:]

    mutating func assign(uid: String, node: String, index: Int) -> String {
        if let a = byPod[uid], a.node == node { return NodeTemplate.podIP(node: index, a.n) }
        var taken = used[node, default: []]
        let n = (2...254).first { !taken.contains($0) } ?? 2
        taken.insert(n)
        used[node] = taken
        byPod[uid] = (node, n)
        return NodeTemplate.podIP(node: index, n)
    }

    mutating func release(uid: String, node: String) {
        guard let a = byPod.removeValue(forKey: uid) else { return }
        used[a.node]?.remove(a.n)
    }
}
