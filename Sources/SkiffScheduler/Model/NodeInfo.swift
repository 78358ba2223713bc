import SkiffModel

/// What scheduling needs of a Node object: name, labels, taints, whether it is cordoned, and
/// its allocatable resources.
public struct NodeSpec: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var taints: [Taint]
    public var unschedulable: Bool
    public var allocatable: Resources

    public init(name: String, labels: [String: String] = [:], taints: [Taint] = [], unschedulable: Bool = false,
                allocatable: Resources) {
        self.name = name
        self.labels = labels
        self.taints = taints
        self.unschedulable = unschedulable
        self.allocatable = allocatable
    }

    /// Reads a Node object; `status.allocatable` (or `capacity` when absent).
    public init(_ node: JSON) {
        self.init(name: node["metadata", "name"]?.string ?? "",
                  labels: node["metadata", "labels"]?.stringMap ?? [:],
                  taints: (node["spec", "taints"]?.array ?? []).map(Taint.init(json:)),
                  unschedulable: node["spec", "unschedulable"]?.bool ?? false,
                  allocatable: Resources(list: node["status", "allocatable"] ?? node["status", "capacity"]))
    }
}

/// A node with the Pods bound or assumed to it and their sums (`framework.NodeInfo`).
///
/// Immutable: the cache builds a new one when the node or its Pods change, so a snapshot is a
/// cheap array of references that never changes under a scheduling cycle.
public final class NodeInfo: Sendable {
    public let node: NodeSpec
    public let pods: [PodInfo]
    /// The sum of the Pods' requests.
    public let requested: Resources
    /// The sum with the scorers' defaults for containers that request nothing.
    public let nonZeroRequested: Resources
    public let usedPorts: [HostPort]
    /// Pods with any inter-pod affinity or anti-affinity term.
    public let podsWithAffinity: [PodInfo]
    /// Pods with required anti-affinity terms.
    public let podsWithRequiredAntiAffinity: [PodInfo]

    public init(node: NodeSpec, pods: [PodInfo] = []) {
        self.node = node
        self.pods = pods
        var requested = Resources()
        var nonZero = Resources()
        var ports: [HostPort] = []
        var withAffinity: [PodInfo] = []
        var withAnti: [PodInfo] = []
        for p in pods {
            requested.add(p.requests)
            nonZero.add(p.nonZeroRequests)
            ports += p.hostPorts
            if p.hasAffinity { withAffinity.append(p) }
            if !p.requiredAntiAffinity.isEmpty { withAnti.append(p) }
        }
        self.requested = requested
        self.nonZeroRequested = nonZero
        self.usedPorts = ports
        self.podsWithAffinity = withAffinity
        self.podsWithRequiredAntiAffinity = withAnti
    }

    public var name: String { node.name }
    public var labels: [String: String] { node.labels }
    public var allocatable: Resources { node.allocatable }

    /// The same node without the Pods whose keys are given (preemption's "what if").
    public func removing(_ keys: Set<String>) -> NodeInfo {
        NodeInfo(node: node, pods: pods.filter { !keys.contains($0.key) })
    }

    /// The same node with one more Pod.
    public func adding(_ pod: PodInfo) -> NodeInfo {
        NodeInfo(node: node, pods: pods + [pod])
    }
}
