/// Rejects nodes with a `NoSchedule` or `NoExecute` taint the Pod does not tolerate, and
/// prefers nodes with fewer untolerated `PreferNoSchedule` taints.
public struct TaintToleration: FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let name = "TaintToleration"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .nodeUpdate] }
    static let stateKey = "PreScore" + name

    public init() {}

    /// `node(s) had untolerated taint {key: value}`, for the first such taint.
    public static func reason(_ taint: Taint) -> String { "node(s) had untolerated taint \(taint.braced)" }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        for taint in node.node.taints where taint.effect == .noSchedule || taint.effect == .noExecute {
            if !pod.tolerations.tolerate(taint) { return .unresolvable(Self.reason(taint)) }
        }
        return .success
    }

    public func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status {
        state.write(Self.stateKey, pod.tolerations.filter { $0.effect == nil || $0.effect == .preferNoSchedule })
        return .success
    }

    /// The number of `PreferNoSchedule` taints the Pod does not tolerate.
    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        let tolerations: [Toleration] = state.read(Self.stateKey) ?? pod.tolerations
        var count: Int64 = 0
        for taint in node.node.taints where taint.effect == .preferNoSchedule && !tolerations.tolerate(taint) { count += 1 }
        return count
    }

    public func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64]) {
        defaultNormalize(&scores, reverse: true)
    }
}
