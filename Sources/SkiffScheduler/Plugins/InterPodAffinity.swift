/// Inter-pod affinity and anti-affinity by topology domain.
///
/// Filter, in Kubernetes' order: the Pod's required affinity terms need a matching Pod in the
/// node's domain of each term's `topologyKey` (a Pod that matches its own terms may start the
/// group when no Pod matches anywhere); its required anti-affinity terms need none; and no
/// existing Pod's required anti-affinity may select it within that Pod's domain.
/// Score: preferred terms of the Pod and of existing Pods (and existing Pods' required
/// affinity, weight 1) add or subtract their weights per domain.
public struct InterPodAffinity: PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let name = "InterPodAffinity"
    public static let affinityReason = "node(s) didn't match pod affinity rules"
    public static let antiAffinityReason = "node(s) didn't match pod anti-affinity rules"
    public static let existingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules"
    /// The weight of an existing Pod's required affinity term in scoring (`hardPodAffinityWeight`).
    static let hardPodAffinityWeight: Int64 = 1
    static let filterKey = "PreFilter" + name
    static let scoreKey = "PreScore" + name
    public var name: String { Self.name }
    public var events: Set<ClusterEvent> {
        [.nodeAdd, .nodeUpdate, .assignedPodAdd, .assignedPodUpdate, .assignedPodDelete]
    }

    public init() {}

    struct Pair: Hashable {
        var key: String
        var value: String
    }

    struct FilterState {
        var existingAnti: [Pair: Int64] = [:]
        var affinity: [Pair: Int64] = [:]
        var anti: [Pair: Int64] = [:]
        /// The Pod matches all its own required affinity terms.
        var selfMatch = false
    }

    /// Whether `pod` matches every term (false for no terms).
    static func matchesAll(_ terms: [AffinityTerm], _ pod: PodInfo, _ snapshot: Snapshot) -> Bool {
        if terms.isEmpty { return false }
        let ns = snapshot.labels(ofNamespace: pod.namespace)
        return terms.allSatisfy { $0.matches(pod, namespaceLabels: ns) }
    }

    public func preFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status {
        var s = FilterState()
        let incomingNS = snapshot.labels(ofNamespace: pod.namespace)
        for node in snapshot.nodes where !node.podsWithRequiredAntiAffinity.isEmpty {
            for existing in node.podsWithRequiredAntiAffinity {
                for t in existing.requiredAntiAffinity where t.matches(pod, namespaceLabels: incomingNS) {
                    if let v = node.labels[t.topologyKey] { s.existingAnti[Pair(key: t.topologyKey, value: v), default: 0] += 1 }
                }
            }
        }
        let hasTerms = !pod.requiredAffinity.isEmpty || !pod.requiredAntiAffinity.isEmpty
        if !hasTerms && s.existingAnti.isEmpty { return .skip }
        if hasTerms {
            s.selfMatch = Self.matchesAll(pod.requiredAffinity, pod, snapshot)
            for node in snapshot.nodes {
                for existing in node.pods {
                    if Self.matchesAll(pod.requiredAffinity, existing, snapshot) {
                        for t in pod.requiredAffinity {
                            if let v = node.labels[t.topologyKey] { s.affinity[Pair(key: t.topologyKey, value: v), default: 0] += 1 }
                        }
                    }
                    if pod.requiredAntiAffinity.isEmpty { continue }
                    let ns = snapshot.labels(ofNamespace: existing.namespace)
                    for t in pod.requiredAntiAffinity where t.matches(existing, namespaceLabels: ns) {
                        if let v = node.labels[t.topologyKey] { s.anti[Pair(key: t.topologyKey, value: v), default: 0] += 1 }
                    }
                }
            }
        }
        state.write(Self.filterKey, s)
        return .success
    }

    public func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        guard let s: FilterState = state.read(Self.filterKey) else { return .success }
        if !pod.requiredAffinity.isEmpty {
            var podsExist = true
            for t in pod.requiredAffinity {
                guard let v = node.labels[t.topologyKey] else { return .unresolvable(Self.affinityReason) }
                if (s.affinity[Pair(key: t.topologyKey, value: v)] ?? 0) <= 0 { podsExist = false }
            }
            if !podsExist {
                if !(s.affinity.isEmpty && s.selfMatch) { return .unresolvable(Self.affinityReason) }
            }
        }
        for t in pod.requiredAntiAffinity {
            if let v = node.labels[t.topologyKey], (s.anti[Pair(key: t.topologyKey, value: v)] ?? 0) > 0 {
                return .unschedulable(Self.antiAffinityReason)
            }
        }
        if !s.existingAnti.isEmpty {
            for (k, v) in node.labels where (s.existingAnti[Pair(key: k, value: v)] ?? 0) > 0 {
                return .unschedulable(Self.existingAntiAffinityReason)
            }
        }
        return .success
    }

    public func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status {
        let hasPreferred = !pod.preferredAffinity.isEmpty || !pod.preferredAntiAffinity.isEmpty
        var scores: [Pair: Int64] = [:]
        let incomingNS = snapshot.labels(ofNamespace: pod.namespace)
        var any = false
        for node in snapshot.nodes {
            let candidates = hasPreferred ? node.pods : node.podsWithAffinity
            for existing in candidates {
                any = true
                let existingNS = snapshot.labels(ofNamespace: existing.namespace)
                func add(_ key: String, _ weight: Int64) {
                    if weight != 0, let v = node.labels[key] { scores[Pair(key: key, value: v), default: 0] += weight }
                }
                for w in pod.preferredAffinity where w.term.matches(existing, namespaceLabels: existingNS) { add(w.term.topologyKey, w.weight) }
                for w in pod.preferredAntiAffinity where w.term.matches(existing, namespaceLabels: existingNS) { add(w.term.topologyKey, -w.weight) }
                for t in existing.requiredAffinity where t.matches(pod, namespaceLabels: incomingNS) { add(t.topologyKey, Self.hardPodAffinityWeight) }
                for w in existing.preferredAffinity where w.term.matches(pod, namespaceLabels: incomingNS) { add(w.term.topologyKey, w.weight) }
                for w in existing.preferredAntiAffinity where w.term.matches(pod, namespaceLabels: incomingNS) { add(w.term.topologyKey, -w.weight) }
            }
        }
        if !any { return .skip }
        state.write(Self.scoreKey, scores)
        return .success
    }

    public func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        guard let scores: [Pair: Int64] = state.read(Self.scoreKey), !scores.isEmpty else { return 0 }
        var total: Int64 = 0
        for (k, v) in node.labels { total += scores[Pair(key: k, value: v)] ?? 0 }
        return total
    }

    /// Min-max scaling to 0...100; all equal scores become 0.
    public func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64]) {
        guard let hi = scores.max(), let lo = scores.min() else { return }
        let diff = hi - lo
        for i in scores.indices { scores[i] = diff > 0 ? maxNodeScore * (scores[i] - lo) / diff : 0 }
    }
}
