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
/// taints, `unschedulable`; and the Pods on a node that is not Ready get `Ready=False`. While
/// no node at all is Ready ("master disruption mode") the NoExecute taints are withheld; else
/// they are added at the zone's eviction rate (`ZoneStates`).
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
        /// NoExecute tainting rates: 0.1 nodes/s (`--node-eviction-rate`), 0.01 in a partially
        /// disrupted zone of more than 50 nodes (`--secondary-node-eviction-rate`,
        /// `--large-cluster-size-threshold`), none in a smaller one; a zone is partially
        /// disrupted from 55 % of its nodes not Ready (`--unhealthy-zone-threshold`).
        var rates = ZoneStates.Rates()

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
    let masterDisruption = Mutex(false)
    let zones = Mutex(ZoneStates())

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
        var checked: [JSON] = []
        for node in all {
            do {
                checked.append(try await updateHealth(node))
            } catch let e as APIError where e.isNotFound || e.isConflict {
                continue  // changed under us; the next pass sees the new version
            } catch {
                logger.warning("node health update failed", metadata: ["node": "\(node.objectName)", "error": "\(error)"])
            }
        }
        // Every node not Ready: more likely the control plane's network than every kubelet, so no
        // NoExecute taints (and so no evictions) until some node is Ready again.
        let allDisrupted = !checked.isEmpty && checked.allSatisfy { NodeConditions.ready($0) != "True" }
        let wasDisrupted = masterDisruption.withLock { d in
            defer { d = allDisrupted }
            return d
        }
        if allDisrupted && !wasDisrupted {
            logger.warning("Controller detected that all Nodes are not-Ready. Entering master disruption mode")
        } else if !allDisrupted && wasDisrupted {
            logger.notice("Controller detected that some Nodes are Ready. Exiting master disruption mode")
        }
        let now = clock.now()
        let sizes = Dictionary(grouping: checked, by: ZoneStates.zone).mapValues(\.count)
        let changes = zones.withLock { $0.update(checked, rates: configuration.rates) }
        for change in changes where change.from != nil {
            logger.notice("zone state changed", metadata: ["zone": "\(change.zone.replacingOccurrences(of: "\u{0}", with: ""))",
                                                           "state": "\(change.to.rawValue)"])
        }
        for node in checked {
            let zone = ZoneStates.zone(node)
            let hold = !allDisrupted && NodeConditions.needsNewNoExecute(node)
                && !zones.withLock { $0.mayTaint(zone: zone, size: sizes[zone] ?? 0, now: now, rates: configuration.rates) }
            guard let taints = NodeConditions.reconciledTaints(node, now: Timestamp.format(wallClock()), noExecute: !allDisrupted,
                                                               holdNoExecute: hold) else {
                continue
            }
            var updated = node
            updated["spec", "taints"] = taints.isEmpty ? nil : .array(taints)
            do {
                _ = try await client.update(.nodes, updated)
            } catch let e as APIError where e.isNotFound || e.isConflict {
                continue
            } catch {
                logger.warning("node taint update failed", metadata: ["node": "\(node.objectName)", "error": "\(error)"])
            }
        }
    }

    /// Marks the node Unknown once silent past its grace period, records NodeNotReady, and marks
    /// the Pods of a node that is not Ready; returns the node as written.
    func updateHealth(_ observed: JSON) async throws -> JSON {
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
        let ready = NodeConditions.ready(node)
        if wasReady == "True", ready != "True" {
            events.event(node, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
        }
        if let ready, ready != "True" { try await markPodsNotReady(on: name, now: stamp) }
        return node
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
