/// Rejects nodes that do not match the Pod's `nodeSelector` or required node affinity, and
/// scores nodes by the weights of the preferred node affinity terms they match.
public struct NodeAffinity: PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let name = "NodeAffinity"
    public static let reason = "node(s) didn't match Pod's node affinity/selector"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .nodeUpdate] }

    public init() {}

    /// Whether `node` satisfies the Pod's `nodeSelector` and required node affinity
    /// (`GetRequiredNodeAffinity(pod).Match(node)`); also used by PodTopologySpread.
    public static func matches(_ pod: PodInfo, _ node: NodeSpec) -> Bool {
        for (k, v) in pod.nodeSelector where node.labels[k] != v { return false }
        if let required = pod.requiredNodeAffinity, !required.matches(labels: node.labels, name: node.name) { return false }
        return true
    }

    public func preFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status {
        pod.nodeSelector.isEmpty && pod.requiredNodeAffinity == nil ? .skip : .success
    }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        Self.matches(pod, node.node) ? .success : .unresolvable(Self.reason)
    }

    public func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status {
        pod.preferredNodeAffinity.isEmpty ? .skip : .success
    }

    /// The sum of the weights of the preferred terms the node matches.
    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        var total: Int64 = 0
        for w in pod.preferredNodeAffinity where w.weight != 0 && w.term.matches(labels: node.labels, name: node.name) {
            total += w.weight
        }
        return total
    }

    public func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64]) {
        defaultNormalize(&scores, reverse: false)
    }
}
