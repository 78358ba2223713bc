/// Rejects nodes where a host port the Pod asks for is already taken (same protocol and port,
/// and the same IP or a wildcard on either side).
public struct NodePorts: PreFilterPlugin, FilterPlugin {
    public static let name = "NodePorts"
    public static let reason = "node(s) didn't have free ports for the requested pod ports"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .assignedPodDelete] }

    public init() {}

    public func preFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status {
        pod.hostPorts.isEmpty ? .skip : .success
    }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        for want in pod.hostPorts {
            if node.usedPorts.contains(where: { $0.conflicts(with: want) }) { return .unschedulable(Self.reason) }
        }
        return .success
    }
}
