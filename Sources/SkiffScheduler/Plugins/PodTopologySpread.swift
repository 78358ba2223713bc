#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spreads matching Pods across topology domains (`topologySpreadConstraints`):
/// `DoNotSchedule` constraints filter out nodes where placing the Pod would make the skew (its
/// domain's matching Pods minus the least-loaded domain's) exceed `maxSkew`; `ScheduleAnyway`
/// constraints score nodes in less loaded domains higher.
///
/// Domains are the values of `topologyKey` on nodes that carry every constraint's key and, with
/// the default `nodeAffinityPolicy: Honor`, match the Pod's node affinity and selector. Matching
/// Pods are those in the Pod's namespace selected by the constraint and not terminating.
public struct PodTopologySpread: PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let name = "PodTopologySpread"
    public static let reason = "node(s) didn't match pod topology spread constraints"
    public static let missingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)"
    static let hostnameKey = "kubernetes.io/hostname"
    static let filterKey = "PreFilter" + name
    static let scoreKey = "PreScore" + name
    public var name: String { Self.name }

    public init() {}

    struct FilterState {
        var constraints: [TopologySpreadConstraint]
        /// Per constraint: domain value -> matching Pods.
        var counts: [[String: Int64]]
        /// Per constraint: the smallest count over its domains (0 below `minDomains` domains).
        var minMatch: [Int64]
    }

    static func hasAllKeys(_ node: NodeSpec, _ constraints: [TopologySpreadConstraint]) -> Bool {
        constraints.allSatisfy { node.labels[$0.topologyKey] != nil }
    }

    static func included(_ c: TopologySpreadConstraint, _ pod: PodInfo, _ node: NodeSpec) -> Bool {
        if c.honorNodeAffinity && !NodeAffinity.matches(pod, node) { return false }
        if c.honorNodeTaints {
            for t in node.taints where t.effect == .noSchedule || t.effect == .noExecute {
                if !pod.tolerations.tolerate(t) { return false }
            }
        }
        return true
    }

    static func countMatching(_ pods: [PodInfo], _ c: TopologySpreadConstraint, namespace: String) -> Int64 {
        var n: Int64 = 0
        for p in pods where !p.isTerminating && p.namespace == namespace && c.selector.matches(p.labels) { n += 1 }
        return n
    }

    public func preFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status {
        let constraints = pod.spreadConstraints.filter(\.doNotSchedule)
        if constraints.isEmpty { return .skip }
        var counts = [[String: Int64]](repeating: [:], count: constraints.count)
        for node in snapshot.nodes where Self.hasAllKeys(node.node, constraints) {
            for (i, c) in constraints.enumerated() where Self.included(c, pod, node.node) {
                let value = node.labels[c.topologyKey] ?? ""
                counts[i][value, default: 0] += Self.countMatching(node.pods, c, namespace: pod.namespace)
            }
        }
        let minMatch = constraints.indices.map { i -> Int64 in
            if Int64(counts[i].count) < constraints[i].minDomains { return 0 }
            return counts[i].values.min() ?? 0
        }
        state.write(Self.filterKey, FilterState(constraints: constraints, counts: counts, minMatch: minMatch))
        return .success
    }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        guard let s: FilterState = state.read(Self.filterKey) else { return .success }
        for (i, c) in s.constraints.enumerated() {
            guard let value = node.labels[c.topologyKey] else { return .unresolvable(Self.missingLabelReason) }
            let selfMatch: Int64 = c.selector.matches(pod.labels) ? 1 : 0
            let skew = (s.counts[i][value] ?? 0) + selfMatch - s.minMatch[i]
            if skew > c.maxSkew { return .unschedulable(Self.reason) }
        }
        return .success
    }

    struct ScoreState {
        var constraints: [TopologySpreadConstraint]
        /// Feasible nodes missing a constraint key: scored 0.
        var ignored: Set<String>
        /// Per constraint: `log(domains + 2)`, so that keys with many domains weigh more.
        var weights: [Double]
        /// Per constraint (not hostname): domain value -> matching Pods.
        var counts: [[String: Int64]]
    }

    public func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status {
        let constraints = pod.spreadConstraints.filter { !$0.doNotSchedule }
        if constraints.isEmpty { return .skip }
        var ignored = Set<String>()
        var domains = [Set<String>](repeating: [], count: constraints.count)
        for node in nodes {
            guard Self.hasAllKeys(node.node, constraints) else {
                ignored.insert(node.name)
                continue
            }
            for (i, c) in constraints.enumerated() { domains[i].insert(node.labels[c.topologyKey] ?? "") }
        }
        var counts = [[String: Int64]](repeating: [:], count: constraints.count)
        for node in snapshot.nodes where Self.hasAllKeys(node.node, constraints) {
            for (i, c) in constraints.enumerated() where c.topologyKey != Self.hostnameKey && Self.included(c, pod, node.node) {
                let value = node.labels[c.topologyKey] ?? ""
                guard domains[i].contains(value) else { continue }
                counts[i][value, default: 0] += Self.countMatching(node.pods, c, namespace: pod.namespace)
            }
        }
        let weights = domains.map { log(Double($0.count + 2)) }
        state.write(Self.scoreKey, ScoreState(constraints: constraints, ignored: ignored, weights: weights, counts: counts))
        return .success
    }

    /// Lower is better before normalizing; -1 marks a node that is ignored.
    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        guard let s: ScoreState = state.read(Self.scoreKey) else { return 0 }
        if s.ignored.contains(node.name) { return -1 }
        var total = 0.0
        for (i, c) in s.constraints.enumerated() {
            guard let value = node.labels[c.topologyKey] else { continue }
            let count = c.topologyKey == Self.hostnameKey
                ? Self.countMatching(node.pods, c, namespace: pod.namespace) : (s.counts[i][value] ?? 0)
            total += Double(count) * s.weights[i] + Double(c.maxSkew - 1)
        }
        return Int64(total.rounded())
    }

    /// Fewer matching Pods scores higher: `100 * (max + min - score) / max`.
    public func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64]) {
        let live = scores.filter { $0 >= 0 }
        guard let maxScore = live.max(), let minScore = live.min() else { return }
        for i in scores.indices {
            if scores[i] < 0 {
                scores[i] = 0
            } else if maxScore == 0 {
                scores[i] = maxNodeScore
            } else {
                scores[i] = maxNodeScore * (maxScore + minScore - scores[i]) / maxScore
            }
        }
    }
}
