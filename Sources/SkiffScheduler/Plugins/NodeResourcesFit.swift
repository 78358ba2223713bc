/// Rejects nodes without room for the Pod's requests (cpu, memory, ephemeral storage, extended
/// resources, and the node's Pod count), and scores nodes by how much they leave free
/// (the LeastAllocated strategy over cpu and memory, equally weighted).
public struct NodeResourcesFit: FilterPlugin, ScorePlugin {
    public static let name = "NodeResourcesFit"
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> { [.nodeAdd, .nodeUpdate, .assignedPodDelete, .assignedPodUpdate] }

    public init() {}

    /// One resource the node lacks.
    public struct Insufficient: Sendable, Hashable {
        public var resource: String
        /// `Too many pods`, `Insufficient cpu`, `Insufficient example.com/gpu`.
        public var reason: String
        public var requested: Int64
        public var used: Int64
        public var capacity: Int64
    }

    /// The resources `node` lacks for `pod`, in Kubernetes' order (pods, cpu, memory,
    /// ephemeral-storage, then the others by name); empty when it fits.
    public static func insufficient(_ pod: PodInfo, _ node: NodeInfo) -> [Insufficient] {
        var out: [Insufficient] = []
        let alloc = node.allocatable
        let used = node.requested
        if Int64(node.pods.count) + 1 > alloc.allowedPods {
            out.append(Insufficient(resource: "pods", reason: "Too many pods", requested: 1, used: Int64(node.pods.count),
                                    capacity: alloc.allowedPods))
        }
        let want = pod.requests
        if want.isZero { return out }
        func check(_ name: String, _ requested: Int64, _ used: Int64, _ capacity: Int64) {
            if requested > 0 && requested > capacity - used {
                out.append(Insufficient(resource: name, reason: "Insufficient \(name)", requested: requested, used: used, capacity: capacity))
            }
        }
        check("cpu", want.milliCPU, used.milliCPU, alloc.milliCPU)
        check("memory", want.memory, used.memory, alloc.memory)
        check("ephemeral-storage", want.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage)
        if !want.scalar.isEmpty {
            for name in want.scalar.keys.sorted() {
                check(name, want.scalar[name] ?? 0, used.scalar[name] ?? 0, alloc.scalar[name] ?? 0)
            }
        }
        return out
    }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        let missing = Self.insufficient(pod, node)
        return missing.isEmpty ? .success : Status(.unschedulable, missing.map(\.reason))
    }

    /// `(allocatable - requested) * 100 / allocatable` for cpu and memory, averaged; requests
    /// include the Pod's and count containers without requests at the default amounts.
    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        let cpu = Self.leastRequested(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, node.allocatable.milliCPU)
        let memory = Self.leastRequested(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory)
        return (cpu + memory) / 2
    }

    static func leastRequested(_ requested: Int64, _ capacity: Int64) -> Int64 {
        if capacity == 0 || requested > capacity { return 0 }
        return (capacity - requested) * maxNodeScore / capacity
    }
}
