/// Rejects cordoned nodes (`spec.unschedulable: true`) unless the Pod tolerates the
/// `node.kubernetes.io/unschedulable:NoSchedule` taint.
public struct NodeUnschedulable: FilterPlugin {
    public static let name = "NodeUnschedulable"
    public static let reason = "node(s) were unschedulable"
    static let taint = Taint(key: "node.kubernetes.io/unschedulable", effect: .noSchedule)
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .nodeUpdate] }

    public init() {}

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        if !node.node.unschedulable || pod.tolerations.tolerate(Self.taint) { return .success }
        return .unresolvable(Self.reason)
    }
}
