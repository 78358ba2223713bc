import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Watches Nodes and their Leases and marks a node whose kubelet went silent (kube-controller-
/// manager's node lifecycle controller, with taint-based eviction).
///
/// Every `monitorPeriod`, for each Node: a renewed Lease in `kube-node-lease` or a new Ready
/// heartbeat counts as a sign of life; a node with none for `gracePeriod` (`startupGracePeriod`
/// while it never posted Ready) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to
/// Unknown (`NodeStatusUnknown`, "Kubelet stopped posting node status."). Then the node's
/// controller taints are made to match its conditions: `node.kubernetes.io/unreachable`
/// (Ready Unknown) or `not-ready` (Ready False) with NoSchedule and NoExecute, the pressure
/// taints, `unschedulable`; and the Pods on a node that is not Ready get `Ready=False`.
/// The `TaintEvictionController` deletes the Pods that do not tolerate the NoExecute taints.
///
/// Events: `RegisteredNode`, `RemovingNode` and `NodeNotReady` on Nodes,
/// `NodeNotReady` (Warning) on their Pods.
public final class NodeLifecycleController: Sendable {
    public struct Configuration: Sendable {
        /// How often node health is checked. Default 5 s (`--node-monitor-period`).
        public var monitorPeriod: Duration = .seconds(5)
        /// Silence after which a node is Unknown. Default 40 s (`--node-monitor-grace-period`).
        public var gracePeriod: Duration = .seconds(40)
        /// The same for a node that never posted Ready. Default 60 s (`--node-startup-grace-period`).
        public var startupGracePeriod: Duration = .seconds(60)

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let nodes: Lister
    let leases: Lister
    let pods: Lister
    let synced: [Informer]
    let events: EventRecorder
    let clock: any TimeSource
    let wallClock: @Sendable () -> Double
    let logger: Logger
    let health = Mutex(NodeHealth())
    let known = Mutex<Set<String>>([])

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let nodeInformer = informers.informer(for: .nodes)
        let leaseInformer = informers.informer(for: .leases)
        let podInformer = informers.informer(for: .pods)
        nodes = nodeInformer.lister
        leases = leaseInformer.lister
        pods = podInformer.lister
        synced = [nodeInformer, leaseInformer, podInformer]
        self.events = events
        self.clock = clock
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "node-lifecycle"
        self.logger = logger
    }

    /// Waits for the caches, then checks node health every `monitorPeriod` until cancelled.
    public func run() async throws {
        for informer in synced { try await informer.waitForSync() }
        while true {
            await monitorNodeHealth()
            try await clock.sleep(for: configuration.monitorPeriod)
        }
    }

    /// One pass over every Node; see the type's documentation. Errors are logged; the next pass
    /// retries.
    public func monitorNodeHealth() async {
        let all = nodes.list()
        let names = Set(all.map(\.objectName))
        let (added, removed) = known.withLock { k in
            let added = names.subtracting(k), removed = k.subtracting(names)
            k = names
            return (added, removed)
        }
        health.withLock { $0.retain(names) }
        for node in all where added.contains(node.objectName) {
            events.event(node, reason: "RegisteredNode", message: "Node \(node.objectName) event: Registered Node \(node.objectName) in Controller")
        }
        for name in removed.sorted() {
            let ref: JSON = ["kind": "Node", "apiVersion": "v1", "metadata": ["name": .string(name), "uid": .string(name)]]
            events.event(ref, reason: "RemovingNode", message: "Node \(name) event: Removing Node \(name) from Controller")
        }
        for node in all {
            do {
                try await check(node)
            } catch let e as APIError where e.isNotFound || e.isConflict {
                continue  // changed under us; the next pass sees the new version
            } catch {
                logger.warning("node health update failed", metadata: ["node": "\(node.objectName)", "error": "\(error)"])
            }
        }
    }

    func check(_ observed: JSON) async throws {
        let name = observed.objectName
        let lease = leases.get(namespace: "kube-node-lease", name: name)
        let now = clock.now()
        let probe = health.withLock { $0.observe(node: observed, lease: lease, now: now) }
        let wasReady = NodeConditions.ready(observed)
        let grace = wasReady == nil ? configuration.startupGracePeriod : configuration.gracePeriod
        var node = observed
        let stamp = Timestamp.format(wallClock())
        if now - probe > grace, let unknown = NodeConditions.markedUnknown(node, now: stamp) {
            node = try await client.updateStatus(.nodes, unknown)
            logger.info("node stopped posting status", metadata: ["node": "\(name)"])
        }
        if let taints = NodeConditions.reconciledTaints(node, now: stamp) {
            var updated = node
            updated["spec", "taints"] = taints.isEmpty ? nil : .array(taints)
            node = try await client.update(.nodes, updated)
        }
        let ready = NodeConditions.ready(node)
        if wasReady == "True", ready != "True" {
            events.event(node, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
        }
        if let ready, ready != "True" { try await markPodsNotReady(on: name, now: stamp) }
    }

    /// Ready=False on every Pod bound to `nodeName` that still reads Ready (`MarkPodsNotReady`).
    func markPodsNotReady(on nodeName: String, now: String) async throws {
        for pod in pods.list() where pod["spec", "nodeName"]?.string == nodeName {
            guard var conditions = pod["status", "conditions"]?.array,
                  let i = conditions.firstIndex(where: { $0["type"]?.string == "Ready" }),
                  conditions[i]["status"]?.string != "False" else { continue }
            conditions[i]["status"] = "False"
            conditions[i]["lastTransitionTime"] = .string(now)
            var updated = pod
            updated["status", "conditions"] = .array(conditions)
            do {
                _ = try await client.updateStatus(.pods, updated)
                events.event(pod, type: .warning, reason: "NodeNotReady", message: "Node is not ready")
            } catch let e as APIError where e.isNotFound || e.isConflict {
                continue
            }
        }
    }
}
