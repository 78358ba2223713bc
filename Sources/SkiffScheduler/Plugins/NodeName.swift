/// Rejects every node but the one a Pod names in `spec.nodeName`.
public struct NodeName: FilterPlugin {
    public static let name = "NodeName"
    public static let reason = "node(s) didn't match the requested node name"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd] }

    public init() {}

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        if pod.nodeName.isEmpty || pod.nodeName == node.name { return .success }
        return .unresolvable(Self.reason)
    }
}
