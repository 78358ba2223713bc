/// The nodes, their Pods and the namespaces' labels at one moment: what one scheduling cycle
/// reads (`cache.Snapshot`). Never changes under the cycle.
public struct Snapshot: Sendable {
    public let nodes: [NodeInfo]
    let index: [String: Int]
    /// Labels by namespace, for affinity terms with a `namespaceSelector`.
    public let namespaceLabels: [String: [String: String]]

    public init(nodes: [NodeInfo], namespaceLabels: [String: [String: String]] = [:]) {
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { index[n.name] = i }
        self.init(nodes: nodes, index: index, namespaceLabels: namespaceLabels)
    }

    init(nodes: [NodeInfo], index: [String: Int], namespaceLabels: [String: [String: String]]) {
        self.nodes = nodes
        self.index = index
        self.namespaceLabels = namespaceLabels
    }

    public func node(_ name: String) -> NodeInfo? { index[name].map { nodes[$0] } }

    public func labels(ofNamespace namespace: String) -> [String: String] { namespaceLabels[namespace] ?? [:] }

    /// The same snapshot with one node replaced (preemption's "what if").
    public func replacing(_ node: NodeInfo) -> Snapshot {
        guard let i = index[node.name] else { return self }
        var nodes = self.nodes
        nodes[i] = node
        return Snapshot(nodes: nodes, index: index, namespaceLabels: namespaceLabels)
    }
}
