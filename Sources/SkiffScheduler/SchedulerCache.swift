import Synchronization

/// The scheduler's view of nodes and the Pods bound to them, including Pods it has assumed
/// onto a node but whose binding it has not yet seen (kube-scheduler's `internal/cache`).
///
/// Informer handlers feed it; the scheduling loop takes a `snapshot()` per cycle. Assuming a
/// Pod counts it against its node at once, so back-to-back cycles never place more on a node
/// than fits. An assumed Pod is confirmed when the informer reports it bound (to any node), and
/// forgotten if its binding fails. All methods are synchronous and safe from any task.
public final class SchedulerCache: Sendable {
    struct State {
        var specs: [String: NodeSpec] = [:]
        var podsByNode: [String: [String: PodInfo]] = [:]
        var nodeOfPod: [String: String] = [:]
        var assumed: Set<String> = []
        var list: [NodeInfo] = []
        var index: [String: Int] = [:]
        var namespaceLabels: [String: [String: String]] = [:]
    }

    let state = Mutex(State())

    public init() {}

    // MARK: nodes

    /// Adds or replaces a node.
    public func setNode(_ spec: NodeSpec) {
        state.withLock { s in
            s.specs[spec.name] = spec
            Self.rebuild(&s, spec.name)
        }
    }

    public func removeNode(_ name: String) {
        state.withLock { s in
            s.specs[name] = nil
            Self.rebuild(&s, name)
        }
    }

    // MARK: pods

    /// Adds or replaces a bound Pod; confirms it if it was assumed.
    public func setPod(_ pod: PodInfo) {
        precondition(!pod.nodeName.isEmpty, "only bound or assumed Pods are cached")
        state.withLock { s in
            s.assumed.remove(pod.key)
            Self.put(&s, pod)
        }
    }

    /// Removes a Pod (deleted, or finished).
    public func removePod(_ key: String) {
        state.withLock { s in
            s.assumed.remove(key)
            Self.drop(&s, key)
        }
    }

    /// Counts `pod` (already `assigned(to:)` its node) against its node before it is bound.
    public func assume(_ pod: PodInfo) {
        state.withLock { s in
            s.assumed.insert(pod.key)
            Self.put(&s, pod)
        }
    }

    /// Undoes `assume` after a failed binding; does nothing once the binding was seen.
    public func forget(_ key: String) {
        state.withLock { s in
            guard s.assumed.remove(key) != nil else { return }
            Self.drop(&s, key)
        }
    }

    public func isAssumed(_ key: String) -> Bool { state.withLock { $0.assumed.contains(key) } }

    // MARK: namespaces

    public func setNamespace(_ name: String, labels: [String: String]) {
        state.withLock { $0.namespaceLabels[name] = labels }
    }

    public func removeNamespace(_ name: String) {
        state.withLock { $0.namespaceLabels[name] = nil }
    }

    // MARK: reading

    /// The current nodes with their Pods, for one scheduling cycle.
    public func snapshot() -> Snapshot {
        state.withLock { Snapshot(nodes: $0.list, index: $0.index, namespaceLabels: $0.namespaceLabels) }
    }

    public var nodeCount: Int { state.withLock { $0.list.count } }
    public var podCount: Int { state.withLock { $0.nodeOfPod.count } }
    public var assumedCount: Int { state.withLock { $0.assumed.count } }

    // MARK: internals

    static func put(_ s: inout State, _ pod: PodInfo) {
        if let old = s.nodeOfPod[pod.key], old != pod.nodeName { drop(&s, pod.key) }
        s.nodeOfPod[pod.key] = pod.nodeName
        s.podsByNode[pod.nodeName, default: [:]][pod.key] = pod
        rebuild(&s, pod.nodeName)
    }

    static func drop(_ s: inout State, _ key: String) {
        guard let node = s.nodeOfPod.removeValue(forKey: key) else { return }
        s.podsByNode[node]?[key] = nil
        if s.podsByNode[node]?.isEmpty == true { s.podsByNode[node] = nil }
        rebuild(&s, node)
    }

    /// Makes the node's entry in `list` match its spec and Pods (removed when it has no spec).
    static func rebuild(_ s: inout State, _ name: String) {
        guard let spec = s.specs[name] else {
            guard let i = s.index.removeValue(forKey: name) else { return }
            let last = s.list.count - 1
            if i != last {
                s.list[i] = s.list[last]
                s.index[s.list[i].name] = i
            }
            s.list.removeLast()
            return
        }
        let info = NodeInfo(node: spec, pods: s.podsByNode[name].map { Array($0.values) } ?? [])
        if let i = s.index[name] {
            s.list[i] = info
        } else {
            s.index[name] = s.list.count
            s.list.append(info)
        }
    }
}
