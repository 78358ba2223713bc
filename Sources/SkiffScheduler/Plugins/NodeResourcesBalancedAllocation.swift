/// Prefers nodes whose cpu and memory would be used in equal proportion after placing the Pod:
/// `(1 - standard deviation of the used fractions) * 100`.
public struct NodeResourcesBalancedAllocation: PreScorePlugin, ScorePlugin {
    public static let name = "NodeResourcesBalancedAllocation"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .nodeUpdate, .assignedPodDelete, .assignedPodUpdate] }

    public init() {}

    /// A Pod that requests no cpu and no memory does not change any node's balance.
    public func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status {
        pod.requests.milliCPU == 0 && pod.requests.memory == 0 ? .skip : .success
    }

    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        func fraction(_ requested: Int64, _ capacity: Int64) -> Double? {
            capacity <= 0 ? nil : min(Double(requested) / Double(capacity), 1)
        }
        let fractions = [fraction(node.requested.milliCPU + pod.requests.milliCPU, node.allocatable.milliCPU),
                         fraction(node.requested.memory + pod.requests.memory, node.allocatable.memory)].compactMap { $0 }
        guard !fractions.isEmpty else { return 0 }
        let mean = fractions.reduce(0, +) / Double(fractions.count)
        let variance = fractions.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(fractions.count)
        return Int64((1 - variance.squareRoot()) * Double(maxNodeScore))
    }
}
